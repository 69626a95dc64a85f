"""
Notifications: the transactional outbox (identifiers only).

Revision ID: i16n_notify_outbox
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "i16n_notify_outbox"
down_revision = "0001_foundation"
branch_labels = ("notify",)
depends_on = None

ID = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "notify_outbox",
        sa.Column("message_id", ID, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("client_id", ID, nullable=False),
        sa.Column("service_id", ID, nullable=True),
        sa.Column("item_id", ID, nullable=True),
        sa.Column("grant_id", ID, nullable=True),
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.String(32), nullable=True),
        sa.Column("sent_to", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name="pk_notify_outbox"),
        sa.UniqueConstraint("idempotency_key", name="uq_notify_outbox_idempotency_key"),
    )
    op.create_index("ix_notify_outbox_due", "notify_outbox", ["state", "next_attempt_at"])
    op.create_index("ix_notify_outbox_grant", "notify_outbox", ["grant_id"])


def downgrade() -> None:
    op.drop_index("ix_notify_outbox_grant", table_name="notify_outbox")
    op.drop_index("ix_notify_outbox_due", table_name="notify_outbox")
    op.drop_table("notify_outbox")
