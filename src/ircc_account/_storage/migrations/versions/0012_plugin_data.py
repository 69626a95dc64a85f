"""
Plugin data: each service plugin's own records per client, sealed with the
client's data key.

Revision ID: 0012_plugin_data
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_plugin_data"
down_revision = "0001_foundation"
branch_labels = ("plugin_data",)
depends_on = None

ID = sa.String(128)
INSTANT = sa.BigInteger()


def upgrade() -> None:
    op.create_table(
        "plugin_records",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("service_id", ID, nullable=False),
        sa.Column("record_key", ID, nullable=False),
        sa.Column("value_ct", sa.LargeBinary(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "service_id", "record_key", name="pk_plugin_records"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name="fk_plugin_records_account_id_accounts"
        ),
    )


def downgrade() -> None:
    op.drop_table("plugin_records")
