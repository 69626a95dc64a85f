"""
Onboarding: invitations to join an organisation, and one representative per
login account.

Revision ID: 0005_onboarding
Revises: 0002_delegation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_onboarding"
down_revision = "0002_delegation"
branch_labels = None
depends_on = None

ID = sa.String(128)
INSTANT = sa.BigInteger()


def upgrade() -> None:
    op.drop_index("ix_representatives_account_id", table_name="representatives")
    op.create_index("ix_representatives_account_id", "representatives", ["account_id"], unique=True)
    op.create_table(
        "organisation_invitations",
        sa.Column("code_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("access_groups", sa.Text(), nullable=False),
        sa.Column("invited_by", ID, nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.Column("used_at", INSTANT, nullable=True),
        sa.Column("used_by", ID, nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name="pk_organisation_invitations"),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.organisation_id"],
            name="fk_organisation_invitations_organisation_id_organisations",
        ),
    )
    op.create_index(
        "ix_organisation_invitations_organisation_id",
        "organisation_invitations",
        ["organisation_id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_organisation_invitations_organisation_id", table_name="organisation_invitations"
    )
    op.drop_table("organisation_invitations")
    op.drop_index("ix_representatives_account_id", table_name="representatives")
    op.create_index("ix_representatives_account_id", "representatives", ["account_id"])
