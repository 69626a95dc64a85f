"""
Identity: server-side sessions, login and logout transactions, the logout
``jti`` replay store, and legacy-claim attempt counters.

Revision ID: 0004_identity
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_identity"
down_revision = "0001_foundation"
branch_labels = ("identity",)
depends_on = None

ID = sa.String(128)
HASH = sa.LargeBinary(32)
INSTANT = sa.BigInteger()


def upgrade() -> None:
    op.create_table(
        "identity_sessions",
        sa.Column("id_hash", HASH, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("account_id", ID, nullable=True),
        sa.Column("provider", ID, nullable=True),
        sa.Column("issuer", sa.String(255), nullable=True),
        sa.Column("subject", sa.String(255), nullable=True),
        sa.Column("provider_sid", sa.String(255), nullable=True),
        sa.Column("assurance", sa.SmallInteger(), nullable=False),
        sa.Column("auth_time", INSTANT, nullable=True),
        sa.Column("authenticated_at", INSTANT, nullable=True),
        sa.Column("pending_provider", ID, nullable=True),
        sa.Column("pending_issuer", sa.String(255), nullable=True),
        sa.Column("pending_subject", sa.String(255), nullable=True),
        sa.Column("pending_sid", sa.String(255), nullable=True),
        sa.Column("pending_assurance", sa.SmallInteger(), nullable=True),
        sa.Column("pending_at", INSTANT, nullable=True),
        sa.Column("acting_for", ID, nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("last_seen_at", INSTANT, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.Column("tokens_ct", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id_hash", name="pk_identity_sessions"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name="fk_identity_sessions_account_id_accounts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_identity_sessions_account_id", "identity_sessions", ["account_id"])
    op.create_index("ix_identity_sessions_subject", "identity_sessions", ["issuer", "subject"])
    op.create_index("ix_identity_sessions_sid", "identity_sessions", ["issuer", "provider_sid"])
    op.create_index(
        "ix_identity_sessions_pending", "identity_sessions", ["pending_issuer", "pending_subject"]
    )
    op.create_table(
        "identity_transactions",
        sa.Column("state_hash", HASH, nullable=False),
        sa.Column("session_hash", HASH, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("provider", ID, nullable=False),
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=True),
        sa.Column("code_verifier", sa.String(128), nullable=True),
        sa.Column("acr_level", sa.SmallInteger(), nullable=True),
        sa.Column("max_age", sa.Integer(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name="pk_identity_transactions"),
    )
    op.create_index(
        "ix_identity_transactions_session_hash", "identity_transactions", ["session_hash"]
    )
    op.create_index("ix_identity_transactions_expires_at", "identity_transactions", ["expires_at"])
    op.create_table(
        "identity_logout_jtis",
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("jti", sa.String(256), nullable=False),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("issuer", "jti", name="pk_identity_logout_jtis"),
    )
    op.create_index("ix_identity_logout_jtis_expires_at", "identity_logout_jtis", ["expires_at"])
    op.create_table(
        "identity_claim_attempts",
        sa.Column("key_hash", HASH, nullable=False),
        sa.Column("window_start", INSTANT, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("key_hash", name="pk_identity_claim_attempts"),
    )


def downgrade() -> None:
    for table in (
        "identity_claim_attempts",
        "identity_logout_jtis",
        "identity_transactions",
        "identity_sessions",
    ):
        op.drop_table(table)
