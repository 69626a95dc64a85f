"""
Status tracker: processing-time histograms by program, phase, office,
30-day period and duration bin (department-wide counts, no client data).

Revision ID: 0014_status
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_status"
down_revision = "0001_foundation"
branch_labels = ("status",)
depends_on = None

ID = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "status_time_bins",
        sa.Column("program", ID, nullable=False),
        sa.Column("phase", sa.String(32), nullable=False),
        sa.Column("office", ID, nullable=False),
        sa.Column("period", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("bin", sa.SmallInteger(), nullable=False, autoincrement=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "program", "phase", "office", "period", "bin", name="pk_status_time_bins"
        ),
    )


def downgrade() -> None:
    op.drop_table("status_time_bins")
