"""
Audit: drop ``ix_audit_entries_client_time``. Nothing reads entries by
(client, time): a client's history, export and verification read its
partition by the primary key (partition, seq), where the client's entries
already are. Every append paid for the index with one more random page in
its commit.

Revision ID: 0011a_audit_lean_entries
Revises: 0011a_audit_append
"""

from __future__ import annotations

from alembic import op

revision = "0011a_audit_lean_entries"
down_revision = "0011a_audit_append"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_audit_entries_client_time", table_name="audit_entries")


def downgrade() -> None:
    op.create_index("ix_audit_entries_client_time", "audit_entries", ["client_id", "occurred_at"])
