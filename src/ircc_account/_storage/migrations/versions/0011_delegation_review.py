"""
Delegation review (issue 11): the guardian who appointed a grant for a
dependant, the dependants themselves (SEC-54), and the delegation-token
replay store.

Revision ID: 0011_delegation_review
Revises: 0005_onboarding
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_delegation_review"
down_revision = "0005_onboarding"
branch_labels = None
depends_on = None

ID = sa.String(128)
INSTANT = sa.BigInteger()


def upgrade() -> None:
    with op.batch_alter_table("consent_grants") as batch:
        batch.add_column(sa.Column("appointed_by", ID, nullable=True))
    op.create_table(
        "delegation_dependants",
        sa.Column("dependant_account_id", ID, nullable=False),
        sa.Column("guardian_account_id", ID, nullable=False),
        sa.Column("adult_at", INSTANT, nullable=False),
        sa.Column("recorded_by", ID, nullable=False),
        sa.Column("recorded_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint(
            "dependant_account_id", "guardian_account_id", name="pk_delegation_dependants"
        ),
        sa.ForeignKeyConstraint(
            ["dependant_account_id"],
            ["accounts.account_id"],
            name="fk_delegation_dependants_dependant_account_id_accounts",
        ),
        sa.ForeignKeyConstraint(
            ["guardian_account_id"],
            ["accounts.account_id"],
            name="fk_delegation_dependants_guardian_account_id_accounts",
        ),
    )
    op.create_index(
        "ix_delegation_dependants_guardian_account_id",
        "delegation_dependants",
        ["guardian_account_id"],
    )
    op.create_table(
        "delegation_token_jtis",
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("jti", ID, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("issuer", "jti", name="pk_delegation_token_jtis"),
    )
    op.create_index("ix_delegation_token_jtis_expires_at", "delegation_token_jtis", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_delegation_token_jtis_expires_at", table_name="delegation_token_jtis")
    op.drop_table("delegation_token_jtis")
    op.drop_index(
        "ix_delegation_dependants_guardian_account_id", table_name="delegation_dependants"
    )
    op.drop_table("delegation_dependants")
    with op.batch_alter_table("consent_grants") as batch:
        batch.drop_column("appointed_by")
