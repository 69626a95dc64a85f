"""
Tables of the delegation subsystem, on the shared :data:`~ircc_account._storage._schema.metadata`.

Its Alembic migrations form the ``delegation`` branch off ``0001_foundation``.

``delegation_versions`` holds one counter per client (``c:<account>``), per
representative (``r:<representative>``) and one ``global`` counter. Every
change that can alter a decision bumps the matching counter in the same
transaction; the policy's in-process cache is valid only while the counters it
was filled at still match, and it re-reads them on every request (SEC-56).
"""

from __future__ import annotations

import sqlalchemy as sa

from ircc_account._storage._schema_base import ID, Instant, metadata

__all__ = [
    "account_signing_keys",
    "consent_grant_versions",
    "consent_grants",
    "delegation_dependants",
    "delegation_token_jtis",
    "delegation_versions",
    "memberships",
    "metadata",
    "organisation_closure",
    "organisation_invitations",
    "organisations",
    "representatives",
]

representatives = sa.Table(
    "representatives",
    metadata,
    sa.Column("representative_id", ID, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    # Rows written before 0019_rep_names only: the name in clear until
    # SqlStore.seal_plaintext_rows moves it into display_name_ct.
    sa.Column("display_name", sa.String(150), nullable=True),
    # The name, sealed with the data key of the representative's own account
    # (empty once that account's personal data is erased).
    sa.Column("display_name_ct", sa.LargeBinary(), nullable=True),
    sa.Column("account_id", ID, sa.ForeignKey("accounts.account_id"), nullable=False),
    sa.Column("licence_body", sa.String(32), nullable=True),
    sa.Column("licence_number", ID, nullable=True),
    # ISO date (YYYY-MM-DD): the last day the licence is valid.
    sa.Column("licence_expires_on", sa.String(10), nullable=True),
    sa.Column("licence_verified_at", Instant(), nullable=True),
    # 1 when the licensing body last confirmed the licence, else 0.
    sa.Column("licence_valid", sa.SmallInteger(), nullable=False),
    sa.Column("created_at", Instant(), nullable=False),
    # One login account is one representative: the front door turns a
    # session into that representative's actor.
    sa.Index("ix_representatives_account_id", "account_id", unique=True),
)

# The rows SqlStore.seal_plaintext_rows has left (see _schema._unsealed).
sa.Index(
    "ix_representatives_unsealed",
    representatives.c.representative_id,
    sqlite_where=representatives.c.display_name_ct.is_(None),
    postgresql_where=representatives.c.display_name_ct.is_(None),
)

organisations = sa.Table(
    "organisations",
    metadata,
    sa.Column("organisation_id", ID, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("name", sa.String(150), nullable=False),
    sa.Column(
        "parent_id", ID, sa.ForeignKey("organisations.organisation_id"), nullable=True, index=True
    ),
    sa.Column("created_at", Instant(), nullable=False),
)

# Transitive closure of the parent relation, including each organisation
# with itself at depth 0: a grant to an organisation reaches the members of
# every organisation below it in one indexed join, and cycles are found by
# one lookup.
organisation_closure = sa.Table(
    "organisation_closure",
    metadata,
    sa.Column("ancestor_id", ID, sa.ForeignKey("organisations.organisation_id"), primary_key=True),
    sa.Column(
        "descendant_id", ID, sa.ForeignKey("organisations.organisation_id"), primary_key=True
    ),
    sa.Column("depth", sa.Integer(), nullable=False),
    sa.Index("ix_organisation_closure_descendant", "descendant_id", "ancestor_id"),
)

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column(
        "organisation_id", ID, sa.ForeignKey("organisations.organisation_id"), primary_key=True
    ),
    sa.Column(
        "representative_id",
        ID,
        sa.ForeignKey("representatives.representative_id"),
        primary_key=True,
    ),
    sa.Column("started_at", Instant(), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    # Space-separated access group identifiers.
    sa.Column("access_groups", sa.Text(), nullable=False),
    sa.Column("ended_at", Instant(), nullable=True),
    sa.Index("ix_memberships_representative", "representative_id", "organisation_id"),
)

consent_grants = sa.Table(
    "consent_grants",
    metadata,
    sa.Column("grant_id", ID, primary_key=True),
    sa.Column("client_account_id", ID, sa.ForeignKey("accounts.account_id"), nullable=False),
    sa.Column("grantee_id", ID, nullable=False),
    sa.Column("grantee_is_organisation", sa.SmallInteger(), nullable=False),
    sa.Column("access_group", ID, nullable=True),
    # Space-separated scopes, sorted.
    sa.Column("scopes", sa.Text(), nullable=False),
    sa.Column("coverage", sa.String(16), nullable=False),
    sa.Column("target", ID, nullable=True),
    sa.Column("valid_from", Instant(), nullable=False),
    sa.Column("valid_until", Instant(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("requested_by_grantee", sa.SmallInteger(), nullable=False),
    # 1 when the grantee is a paid representative or firm (SEC-54: one per application).
    sa.Column("paid", sa.SmallInteger(), nullable=False),
    sa.Column("evidence_basis", sa.String(16), nullable=True),
    sa.Column("evidence_digest", sa.LargeBinary(32), nullable=True),
    sa.Column("evidence_signature", sa.LargeBinary(64), nullable=True),
    sa.Column("evidence_key_id", ID, nullable=True),
    sa.Column("evidence_signed_on", sa.String(10), nullable=True),
    sa.Column("created_at", Instant(), nullable=False),
    sa.Column("revoked_at", Instant(), nullable=True),
    sa.Column("first_used_at", Instant(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    # The guardian who appointed this grant for their dependant (SEC-54); the
    # client themself when NULL.
    sa.Column("appointed_by", ID, nullable=True),
    sa.Index("ix_consent_grants_client_grantee", "client_account_id", "grantee_id"),
    sa.Index("ix_consent_grants_grantee", "grantee_id"),
)

# Every earlier version of a grant, as it was before each change.
consent_grant_versions = sa.Table(
    "consent_grant_versions",
    metadata,
    sa.Column("grant_id", ID, sa.ForeignKey("consent_grants.grant_id"), primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("scopes", sa.Text(), nullable=False),
    sa.Column("coverage", sa.String(16), nullable=False),
    sa.Column("target", ID, nullable=True),
    sa.Column("access_group", ID, nullable=True),
    sa.Column("valid_from", Instant(), nullable=False),
    sa.Column("valid_until", Instant(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("evidence_digest", sa.LargeBinary(32), nullable=True),
    sa.Column("replaced_at", Instant(), nullable=False),
)

# Each client's consent-signing key: the private half sealed with the
# account's data key (so crypto-shredding the account destroys it too).
account_signing_keys = sa.Table(
    "account_signing_keys",
    metadata,
    sa.Column(
        "account_id",
        ID,
        sa.ForeignKey("accounts.account_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key_id", ID, nullable=False, unique=True),
    sa.Column("public_key", sa.LargeBinary(32), nullable=False),
    sa.Column("private_ct", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", Instant(), nullable=False),
)

# Invitations to join an organisation: only the code's SHA-256 is kept, the
# code itself is shown once to the administrator who made it.
organisation_invitations = sa.Table(
    "organisation_invitations",
    metadata,
    sa.Column("code_hash", sa.LargeBinary(32), primary_key=True),
    sa.Column(
        "organisation_id",
        ID,
        sa.ForeignKey("organisations.organisation_id"),
        nullable=False,
        index=True,
    ),
    sa.Column("role", sa.String(16), nullable=False),
    # Space-separated access group ids.
    sa.Column("access_groups", sa.Text(), nullable=False),
    sa.Column("invited_by", ID, nullable=False),
    sa.Column("created_at", Instant(), nullable=False),
    sa.Column("expires_at", Instant(), nullable=False),
    sa.Column("used_at", Instant(), nullable=True),
    sa.Column("used_by", ID, nullable=True),
)

delegation_versions = sa.Table(
    "delegation_versions",
    metadata,
    sa.Column("key", sa.String(140), primary_key=True),
    sa.Column("version", sa.BigInteger(), nullable=False),
)

# A dependant whose guardian may appoint representatives for them until they
# turn 18 (SEC-54). Recorded by the department; ``adult_at`` is the start
# (UTC) of the dependant's 18th birthday, from their account's date of birth.
delegation_dependants = sa.Table(
    "delegation_dependants",
    metadata,
    sa.Column("dependant_account_id", ID, sa.ForeignKey("accounts.account_id"), primary_key=True),
    sa.Column(
        "guardian_account_id",
        ID,
        sa.ForeignKey("accounts.account_id"),
        primary_key=True,
        index=True,
    ),
    sa.Column("adult_at", Instant(), nullable=False),
    sa.Column("recorded_by", ID, nullable=False),
    sa.Column("recorded_at", Instant(), nullable=False),
)

# Delegation token ids a verifier has already accepted (one use per token),
# kept until the token expires (plus the verifier's leeway).
delegation_token_jtis = sa.Table(
    "delegation_token_jtis",
    metadata,
    sa.Column("issuer", sa.String(255), primary_key=True),
    sa.Column("jti", ID, primary_key=True),
    sa.Column("expires_at", Instant(), nullable=False, index=True),
)
