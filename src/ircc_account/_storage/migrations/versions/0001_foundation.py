"""
Foundation: accounts, data keys, credentials, legacy files, items, timelines.

Revision ID: 0001_foundation
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = ("foundation",)
depends_on = None

ID = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("uci_index", sa.LargeBinary(32), nullable=True),
        sa.Column("email_index", sa.LargeBinary(32), nullable=False),
        sa.Column("preferred_language", sa.String(2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("personal_ct", sa.LargeBinary(), nullable=False),
        sa.Column("contact_ct", sa.LargeBinary(), nullable=False),
        sa.Column("uci_ct", sa.LargeBinary(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_accounts"),
        sa.UniqueConstraint("uci_index", name="uq_accounts_uci_index"),
    )
    op.create_index("ix_accounts_email_index", "accounts", ["email_index"])
    op.create_table(
        "account_keys",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("kek_id", sa.String(64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_account_keys"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name="fk_account_keys_account_id_accounts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_account_keys_kek_id", "account_keys", ["kek_id"])
    op.create_table(
        "credentials",
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("assurance", sa.SmallInteger(), nullable=False),
        sa.Column("linked_at", sa.BigInteger(), nullable=False),
        sa.Column("last_login_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("issuer", "subject", name="pk_credentials"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name="fk_credentials_account_id_accounts"
        ),
    )
    op.create_index("ix_credentials_account_id", "credentials", ["account_id"])
    op.create_table(
        "legacy_files",
        sa.Column("system", ID, nullable=False),
        sa.Column("file_number", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("linked_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("system", "file_number", name="pk_legacy_files"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name="fk_legacy_files_account_id_accounts"
        ),
    )
    op.create_index("ix_legacy_files_account_id", "legacy_files", ["account_id"])
    op.create_table(
        "items",
        sa.Column("item_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("service_id", ID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reference", ID, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("title_fr", sa.Text(), nullable=False),
        sa.Column("document_ct", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name="pk_items"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name="fk_items_account_id_accounts"
        ),
        sa.UniqueConstraint("service_id", "reference", name="uq_items_service_reference"),
    )
    op.create_index("ix_items_account_id", "items", ["account_id"])
    op.create_table(
        "timeline_events",
        sa.Column("event_id", ID, nullable=False),
        sa.Column("item_id", ID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(32), nullable=True),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("summary_fr", sa.Text(), nullable=False),
        sa.Column("actor_label", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_timeline_events"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.item_id"], name="fk_timeline_events_item_id_items"
        ),
    )
    op.create_index("ix_timeline_events_item_time", "timeline_events", ["item_id", "occurred_at"])


def downgrade() -> None:
    op.drop_table("timeline_events")
    op.drop_table("items")
    op.drop_table("legacy_files")
    op.drop_table("credentials")
    op.drop_table("account_keys")
    op.drop_table("accounts")
