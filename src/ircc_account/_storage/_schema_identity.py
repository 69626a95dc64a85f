"""
Tables of the identity subsystem, on the shared :data:`~ircc_account._storage._schema.metadata`.

Its Alembic migrations form the ``identity`` branch off ``0001_foundation``.

No table holds a live secret in a form a database read could replay:
session ids and ``state`` values are stored as SHA-256 hashes only, and the
provider's tokens are sealed with the account's data key (SEC-21, SEC-33).
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa

from ircc_account._crypto import Keyring
from ircc_account._storage._schema_base import ID, Instant, metadata

__all__ = [
    "claim_attempt_key",
    "identity_claim_attempts",
    "identity_logout_jtis",
    "identity_sessions",
    "identity_transactions",
    "metadata",
]

HASH = sa.LargeBinary(32)

# One row per server-side session. ``state`` is anonymous (before login),
# pending (a credential authenticated but not yet linked to an account) or
# authenticated. A pending credential may sit beside an authenticated account
# while the client links a second credential.
identity_sessions = sa.Table(
    "identity_sessions",
    metadata,
    sa.Column("id_hash", HASH, primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column(
        "account_id",
        ID,
        sa.ForeignKey("accounts.account_id", ondelete="CASCADE"),
        nullable=True,
        index=True,
    ),
    sa.Column("provider", ID, nullable=True),
    sa.Column("issuer", sa.String(255), nullable=True),
    sa.Column("subject", sa.String(255), nullable=True),
    sa.Column("provider_sid", sa.String(255), nullable=True),
    sa.Column("assurance", sa.SmallInteger(), nullable=False),
    sa.Column("auth_time", Instant(), nullable=True),
    sa.Column("authenticated_at", Instant(), nullable=True),
    sa.Column("pending_provider", ID, nullable=True),
    sa.Column("pending_issuer", sa.String(255), nullable=True),
    sa.Column("pending_subject", sa.String(255), nullable=True),
    sa.Column("pending_sid", sa.String(255), nullable=True),
    sa.Column("pending_assurance", sa.SmallInteger(), nullable=True),
    sa.Column("pending_at", Instant(), nullable=True),
    sa.Column("acting_for", ID, nullable=True),
    sa.Column("created_at", Instant(), nullable=False),
    sa.Column("last_seen_at", Instant(), nullable=False),
    sa.Column("expires_at", Instant(), nullable=False),
    # Access, refresh and ID tokens and the original ID token claims, sealed
    # with the account's data key; NULL for sessions without an account.
    sa.Column("tokens_ct", sa.LargeBinary(), nullable=True),
    sa.Index("ix_identity_sessions_subject", "issuer", "subject"),
    sa.Index("ix_identity_sessions_sid", "issuer", "provider_sid"),
    sa.Index("ix_identity_sessions_pending", "pending_issuer", "pending_subject"),
)

# In-flight authorization requests and RP-initiated logouts, keyed by the
# SHA-256 of their ``state``; bound to the browser session that started them.
identity_transactions = sa.Table(
    "identity_transactions",
    metadata,
    sa.Column("state_hash", HASH, primary_key=True),
    sa.Column("session_hash", HASH, nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("provider", ID, nullable=False),
    sa.Column("issuer", sa.String(255), nullable=False),
    sa.Column("nonce", sa.String(128), nullable=True),
    sa.Column("code_verifier", sa.String(128), nullable=True),
    sa.Column("acr_level", sa.SmallInteger(), nullable=True),
    sa.Column("max_age", sa.Integer(), nullable=True),
    sa.Column("created_at", Instant(), nullable=False),
    sa.Column("expires_at", Instant(), nullable=False, index=True),
)

# Back-channel logout token ids already accepted (BCL §2.6 step 8, SEC-46).
identity_logout_jtis = sa.Table(
    "identity_logout_jtis",
    metadata,
    sa.Column("issuer", sa.String(255), primary_key=True),
    sa.Column("jti", sa.String(256), primary_key=True),
    sa.Column("expires_at", Instant(), nullable=False, index=True),
)

# Failed legacy-file claims per account and per target person, keyed by
# claim_attempt_key (a blind index: a UCI has too few values for a plain hash).
identity_claim_attempts = sa.Table(
    "identity_claim_attempts",
    metadata,
    sa.Column("key_hash", HASH, primary_key=True),
    sa.Column("window_start", Instant(), nullable=False),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("locked_until", Instant(), nullable=True),
)


def claim_attempt_key(keyring: Keyring, *, account_id: str | None = None, uci: str = "") -> bytes:
    """
    The key of a claim-attempt counter: the keyring's blind index (HMAC) of
    the account, or of the UCI tried (its decimal digits, in ASCII).
    """
    if account_id is not None:
        return keyring.blind_index("claim", f"account:{account_id}")
    digits = "".join(str(unicodedata.decimal(c)) for c in uci if c.isdecimal())
    return keyring.blind_index("claim", f"uci:{digits}")
