"""
Delegation: representatives, organisations, memberships, consent grants,
account consent-signing keys, and the decision-cache version counters.

Revision ID: 0002_delegation
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_delegation"
down_revision = "0001_foundation"
branch_labels = ("delegation",)
depends_on = None

ID = sa.String(128)
INSTANT = sa.BigInteger()


def upgrade() -> None:
    op.create_table(
        "representatives",
        sa.Column("representative_id", ID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(150), nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("licence_body", sa.String(32), nullable=True),
        sa.Column("licence_number", ID, nullable=True),
        sa.Column("licence_expires_on", sa.String(10), nullable=True),
        sa.Column("licence_verified_at", INSTANT, nullable=True),
        sa.Column("licence_valid", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("representative_id", name="pk_representatives"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name="fk_representatives_account_id_accounts"
        ),
    )
    op.create_index("ix_representatives_account_id", "representatives", ["account_id"])
    op.create_table(
        "organisations",
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(150), nullable=False),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("organisation_id", name="pk_organisations"),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organisations.organisation_id"],
            name="fk_organisations_parent_id_organisations",
        ),
    )
    op.create_index("ix_organisations_parent_id", "organisations", ["parent_id"])
    op.create_table(
        "organisation_closure",
        sa.Column("ancestor_id", ID, nullable=False),
        sa.Column("descendant_id", ID, nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ancestor_id", "descendant_id", name="pk_organisation_closure"),
        sa.ForeignKeyConstraint(
            ["ancestor_id"],
            ["organisations.organisation_id"],
            name="fk_organisation_closure_ancestor_id_organisations",
        ),
        sa.ForeignKeyConstraint(
            ["descendant_id"],
            ["organisations.organisation_id"],
            name="fk_organisation_closure_descendant_id_organisations",
        ),
    )
    op.create_index(
        "ix_organisation_closure_descendant",
        "organisation_closure",
        ["descendant_id", "ancestor_id"],
    )
    op.create_table(
        "memberships",
        sa.Column("organisation_id", ID, nullable=False),
        sa.Column("representative_id", ID, nullable=False),
        sa.Column("started_at", INSTANT, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("access_groups", sa.Text(), nullable=False),
        sa.Column("ended_at", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint(
            "organisation_id", "representative_id", "started_at", name="pk_memberships"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.organisation_id"],
            name="fk_memberships_organisation_id_organisations",
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["representatives.representative_id"],
            name="fk_memberships_representative_id_representatives",
        ),
    )
    op.create_index(
        "ix_memberships_representative", "memberships", ["representative_id", "organisation_id"]
    )
    op.create_table(
        "consent_grants",
        sa.Column("grant_id", ID, nullable=False),
        sa.Column("client_account_id", ID, nullable=False),
        sa.Column("grantee_id", ID, nullable=False),
        sa.Column("grantee_is_organisation", sa.SmallInteger(), nullable=False),
        sa.Column("access_group", ID, nullable=True),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("coverage", sa.String(16), nullable=False),
        sa.Column("target", ID, nullable=True),
        sa.Column("valid_from", INSTANT, nullable=False),
        sa.Column("valid_until", INSTANT, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by_grantee", sa.SmallInteger(), nullable=False),
        sa.Column("paid", sa.SmallInteger(), nullable=False),
        sa.Column("evidence_basis", sa.String(16), nullable=True),
        sa.Column("evidence_digest", sa.LargeBinary(32), nullable=True),
        sa.Column("evidence_signature", sa.LargeBinary(64), nullable=True),
        sa.Column("evidence_key_id", ID, nullable=True),
        sa.Column("evidence_signed_on", sa.String(10), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("revoked_at", INSTANT, nullable=True),
        sa.Column("first_used_at", INSTANT, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("grant_id", name="pk_consent_grants"),
        sa.ForeignKeyConstraint(
            ["client_account_id"],
            ["accounts.account_id"],
            name="fk_consent_grants_client_account_id_accounts",
        ),
    )
    op.create_index(
        "ix_consent_grants_client_grantee", "consent_grants", ["client_account_id", "grantee_id"]
    )
    op.create_index("ix_consent_grants_grantee", "consent_grants", ["grantee_id"])
    op.create_table(
        "consent_grant_versions",
        sa.Column("grant_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("coverage", sa.String(16), nullable=False),
        sa.Column("target", ID, nullable=True),
        sa.Column("access_group", ID, nullable=True),
        sa.Column("valid_from", INSTANT, nullable=False),
        sa.Column("valid_until", INSTANT, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("evidence_digest", sa.LargeBinary(32), nullable=True),
        sa.Column("replaced_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("grant_id", "version", name="pk_consent_grant_versions"),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["consent_grants.grant_id"],
            name="fk_consent_grant_versions_grant_id_consent_grants",
        ),
    )
    op.create_table(
        "account_signing_keys",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("key_id", ID, nullable=False),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("private_ct", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_account_signing_keys"),
        sa.UniqueConstraint("key_id", name="uq_account_signing_keys_key_id"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name="fk_account_signing_keys_account_id_accounts",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "delegation_versions",
        sa.Column("key", sa.String(140), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_delegation_versions"),
    )


def downgrade() -> None:
    for table in (
        "delegation_versions",
        "account_signing_keys",
        "consent_grant_versions",
        "consent_grants",
        "memberships",
        "organisation_closure",
        "organisations",
        "representatives",
    ):
        op.drop_table(table)
