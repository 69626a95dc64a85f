"""
Server-side sessions: the value the portal sees, the cookie, and the SQL store.

The cookie carries only an opaque 256-bit id. The database holds only its
SHA-256, so reading the sessions table gives no live cookie (SEC-33); tokens
from the provider are sealed with the account's data key (SEC-21).

Default lifetimes follow NIST SP 800-63B §4.2.3 for AAL2 (SEC-36): 30 minutes
idle, 12 hours absolute, both enforced here on the server.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import attrs
import sqlalchemy as sa

from ircc_account._crypto import FieldContext
from ircc_account._model import Actor, AssuranceLevel, Capacity
from ircc_account._storage._schema_identity import identity_sessions as t_sessions
from ircc_account._storage.ports import SqlUnit
from ircc_account.errors import ConfigurationError, DecryptionFailed

from ._secrets import session_ref

__all__ = [
    "IssuedSession",
    "PendingCredential",
    "RotationReason",
    "Session",
    "SessionPolicy",
    "SessionState",
    "SessionStore",
    "SessionTokens",
    "SqlSessionStore",
    "clear_cookie",
    "session_cookie",
]

COOKIE_NAME = "__Host-ircc_session"

# Statements built once: building a WHERE clause per call costs more than running it.
_INSERT = t_sessions.insert()
_GET = sa.select(t_sessions).where(t_sessions.c.id_hash == sa.bindparam("b_id_hash"))
_DELETE = t_sessions.delete().where(t_sessions.c.id_hash == sa.bindparam("b_id_hash"))
_TAKE = _DELETE.returning(*t_sessions.c)


class SessionState(enum.StrEnum):
    """
    How far a session has come.
    """

    ANONYMOUS = "anonymous"
    PENDING = "pending"
    AUTHENTICATED = "authenticated"


class RotationReason(enum.StrEnum):
    """
    Why a session id was replaced (SEC-34).
    """

    LOGIN = "login"
    REAUTHENTICATION = "reauthentication"
    REGISTRATION = "registration"
    ACTING_FOR = "acting_for"
    PRIVILEGE_CHANGE = "privilege_change"


@attrs.frozen(kw_only=True)
class SessionPolicy:
    """
    Session lifetimes and the cookie name.

    Attributes:
        idle_timeout: Inactivity after which the session ends (default 30 min).
        absolute_timeout: Age after which it ends regardless (default 12 h).
        touch_interval: How stale ``last_seen_at`` may get before a request writes it.
        transaction_lifetime: How long a login or logout started may take to return.
        link_window: How recent both logins must be to link a credential.
        cookie_name: Must start with ``__Host-`` (SEC-35).
    """

    idle_timeout: dt.timedelta = dt.timedelta(minutes=30)
    absolute_timeout: dt.timedelta = dt.timedelta(hours=12)
    touch_interval: dt.timedelta = dt.timedelta(seconds=60)
    transaction_lifetime: dt.timedelta = dt.timedelta(minutes=10)
    link_window: dt.timedelta = dt.timedelta(minutes=10)
    cookie_name: str = COOKIE_NAME

    def __attrs_post_init__(self) -> None:
        if not self.cookie_name.startswith("__Host-"):
            raise ConfigurationError(reason="the session cookie name must start with __Host-")
        if not (
            dt.timedelta(0) < self.idle_timeout <= self.absolute_timeout
            and self.touch_interval < self.idle_timeout
            and dt.timedelta(0) < self.transaction_lifetime <= dt.timedelta(hours=1)
        ):
            raise ConfigurationError(reason="session lifetimes are inconsistent")


@attrs.frozen(kw_only=True)
class PendingCredential:
    """
    A credential authenticated in this session but linked to no account yet.

    Attributes:
        provider: The provider's configured name.
        issuer: Its issuer.
        subject: Its ``sub`` for the person (hidden from ``repr``).
        assurance: The assurance of that login.
        authenticated_at: When we completed that login.
    """

    provider: str
    issuer: str
    subject: str = attrs.field(repr=False)
    assurance: AssuranceLevel
    authenticated_at: dt.datetime


@attrs.frozen(kw_only=True)
class Session:
    """
    A server-side session, as the portal sees it. Holds no secret.

    Attributes:
        ref: A non-secret reference (for "your sessions" lists and audit).
        state: Anonymous, pending (a new credential) or authenticated.
        account_id: The account, once authenticated (or while linking).
        provider: The provider of the login, if any.
        issuer: Its issuer.
        subject: The ``sub`` (hidden from ``repr``).
        assurance: The assurance of that login (LOW if none).
        auth_time: When the provider says the person authenticated, if it said.
        authenticated_at: When we completed the login.
        pending: A credential awaiting registration or linking, if any.
        acting_for: The client this user currently acts for, if any.
        created_at: When this session id was issued.
        last_seen_at: The last request (to within the touch interval).
        expires_at: The absolute end.
    """

    ref: str
    state: SessionState
    account_id: str | None = None
    provider: str | None = None
    issuer: str | None = None
    subject: str | None = attrs.field(default=None, repr=False)
    provider_sid: str | None = attrs.field(default=None, repr=False)
    assurance: AssuranceLevel = AssuranceLevel.LOW
    auth_time: dt.datetime | None = None
    authenticated_at: dt.datetime | None = None
    pending: PendingCredential | None = None
    acting_for: str | None = None
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime

    @property
    def authenticated(self) -> bool:
        """
        Whether an account is signed in.
        """
        return self.state is SessionState.AUTHENTICATED and self.account_id is not None

    def last_authentication(self) -> dt.datetime | None:
        """
        The provider's ``auth_time`` if given, else when we completed the login.
        """
        return self.auth_time or self.authenticated_at

    def actor(self) -> Actor:
        """
        The :class:`~ircc_account._model.Actor` for authorization decisions.

        Raises:
            SessionExpired: the session is not authenticated.
        """
        from ircc_account.errors import SessionExpired

        if not self.authenticated or self.account_id is None:
            raise SessionExpired()
        return Actor(
            actor_id=self.account_id,
            capacity=Capacity.CLIENT,
            account_id=self.account_id,
            assurance=self.assurance,
            auth_time=self.last_authentication(),
            session_ref=self.ref,
        )


@attrs.frozen(kw_only=True)
class IssuedSession:
    """
    A session and the secret id the browser must carry, freshly issued.

    Attributes:
        cookie_value: The session id; goes only into the ``Set-Cookie`` header.
        session: The session.
        cookie_name: The cookie's name.
    """

    cookie_value: str = attrs.field(repr=False)
    session: Session
    cookie_name: str = COOKIE_NAME

    def set_cookie(self) -> str:
        """
        The ``Set-Cookie`` header value for this session (SEC-35).
        """
        return session_cookie(self.cookie_value, name=self.cookie_name)


def session_cookie(value: str, *, name: str = COOKIE_NAME, max_age: int | None = None) -> str:
    """
    A ``Set-Cookie`` value: ``__Host-`` prefix, ``Secure``, ``HttpOnly``, ``Path=/``,
    no ``Domain``, ``SameSite=Lax`` (SEC-35; RFC 6265bis §4.1.3.2).

    Args:
        value: The opaque session id (base64url).
        name: The cookie name; must start with ``__Host-``.
        max_age: Seconds until the browser drops it; a session cookie by default.

    Raises:
        ConfigurationError: a name without the prefix, or a value that is not base64url.
    """
    if (
        not name.startswith("__Host-")
        or not name.isascii()
        or not name[7:].replace("_", "").isalnum()
    ):
        raise ConfigurationError(reason="the session cookie name must start with __Host-")
    if value and not (value.isascii() and value.replace("-", "").replace("_", "").isalnum()):
        raise ConfigurationError(reason="a session cookie value must be base64url")
    if len(name) + len(value) > 4096:
        raise ConfigurationError(reason="the cookie is too large")
    parts = [f"{name}={value}", "Path=/", "Secure", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={int(max_age)}")
    return "; ".join(parts)


def clear_cookie(name: str = COOKIE_NAME) -> str:
    """
    A ``Set-Cookie`` value that removes the session cookie.
    """
    return session_cookie("", name=name, max_age=0)


@attrs.frozen(kw_only=True)
class SessionTokens:
    """
    The provider's tokens for a session, kept server-side only (SEC-21).

    Attributes:
        access_token, refresh_token, id_token: The tokens (none shown in ``repr``).
        id_claims: The original ID token's claims (for refresh checks, OIDC Core §12.2).
        alg: The original ID token's algorithm.
    """

    access_token: str = attrs.field(repr=False)
    refresh_token: str | None = attrs.field(repr=False)
    id_token: str = attrs.field(repr=False)
    id_claims: Mapping[str, Any] = attrs.field(repr=False)
    alg: str

    def seal(self, uow: SqlUnit, account_id: str, record: bytes) -> bytes:
        """
        Encrypt for the session row *record* with the account's data key.
        """
        payload = json.dumps(
            {
                "a": self.access_token,
                "r": self.refresh_token,
                "i": self.id_token,
                "c": dict(self.id_claims),
                "g": self.alg,
            },
            separators=(",", ":"),
        ).encode()
        return uow.data_key(account_id).encrypt(payload, _context(account_id, record))

    @classmethod
    def open(cls, uow: SqlUnit, account_id: str, record: bytes, blob: bytes) -> SessionTokens:
        """
        Decrypt tokens sealed by :meth:`seal`.

        Raises:
            DecryptionFailed: altered, or moved from another row.
        """
        plain = uow.data_key(account_id).decrypt(blob, _context(account_id, record))
        try:
            d = json.loads(plain)
            return cls(
                access_token=d["a"],
                refresh_token=d["r"],
                id_token=d["i"],
                id_claims=d["c"],
                alg=d["g"],
            )
        except (ValueError, KeyError, TypeError):
            raise DecryptionFailed() from None


def _context(account_id: str, record: bytes) -> FieldContext:
    return FieldContext(
        table="identity_sessions", column="tokens", record_id=record.hex(), account_id=account_id
    )


class SessionStore(Protocol):
    """
    Where sessions live (the port). Every method works inside the caller's unit of work.

    Rows are keyed by the SHA-256 of the session id; no method sees the id itself.
    """

    def insert(self, uow: SqlUnit, id_hash: bytes, values: Mapping[str, Any]) -> None:
        """Store a new session row."""

    def get(self, uow: SqlUnit, id_hash: bytes) -> Mapping[str, Any] | None:
        """The session row, or ``None``."""

    def update(self, uow: SqlUnit, id_hash: bytes, values: Mapping[str, Any]) -> None:
        """Change columns of a session row."""

    def delete(self, uow: SqlUnit, id_hash: bytes) -> bool:
        """Delete one session; whether it existed."""

    def take(self, uow: SqlUnit, id_hash: bytes) -> Mapping[str, Any] | None:
        """
        Delete one session and return its row, or ``None`` if there was none.

        Atomic: of two concurrent calls for the same id, at most one gets the
        row. This is how a session id is retired at rotation (SEC-34), so a
        store must not build it from :meth:`get` and :meth:`delete` unless its
        unit of work serializes them.
        """

    def delete_matching(self, uow: SqlUnit, **match: str) -> int:
        """Delete every session whose columns equal *match*; how many."""

    def for_account(self, uow: SqlUnit, account_id: str) -> Sequence[Mapping[str, Any]]:
        """The account's session rows, newest first."""


class SqlSessionStore:
    """
    :class:`SessionStore` over the shared SQL schema (``identity_sessions``).
    """

    def __repr__(self) -> str:
        return "SqlSessionStore()"

    def insert(self, uow: SqlUnit, id_hash: bytes, values: Mapping[str, Any]) -> None:
        """Store a new session row."""
        uow.execute(_INSERT, "session", id_hash=id_hash, **values)

    def get(self, uow: SqlUnit, id_hash: bytes) -> Mapping[str, Any] | None:
        """The session row, or ``None``."""
        row = uow.execute(_GET, "session", b_id_hash=id_hash).first()
        return None if row is None else dict(row._mapping)

    def update(self, uow: SqlUnit, id_hash: bytes, values: Mapping[str, Any]) -> None:
        """Change columns of a session row."""
        uow.execute(
            t_sessions.update().where(t_sessions.c.id_hash == id_hash).values(**values), "session"
        )

    def delete(self, uow: SqlUnit, id_hash: bytes) -> bool:
        """Delete one session; whether it existed."""
        result = uow.execute(_DELETE, "session", b_id_hash=id_hash)
        return bool(result.rowcount)

    def take(self, uow: SqlUnit, id_hash: bytes) -> Mapping[str, Any] | None:
        """
        Delete one session and return its row (``None`` if there was none), in
        one statement: :meth:`get` then :meth:`delete` in one round trip.
        """
        row = uow.execute(_TAKE, "session", b_id_hash=id_hash).first()
        return None if row is None else dict(row._mapping)

    def delete_matching(self, uow: SqlUnit, **match: str) -> int:
        """Delete every session whose columns equal *match*; how many."""
        if not match:
            raise ConfigurationError(reason="refusing to delete every session")
        clauses = [t_sessions.c[name] == value for name, value in match.items()]
        result = uow.execute(t_sessions.delete().where(*clauses), "session")
        return int(result.rowcount)

    def for_account(self, uow: SqlUnit, account_id: str) -> Sequence[Mapping[str, Any]]:
        """The account's session rows, newest first."""
        rows = uow.execute(
            sa.select(t_sessions)
            .where(t_sessions.c.account_id == account_id)
            .order_by(t_sessions.c.created_at.desc()),
            "session",
        ).all()
        return [dict(r._mapping) for r in rows]


def session_from_row(row: Mapping[str, Any]) -> Session:
    """
    The :class:`Session` a stored row describes.
    """
    pending = None
    if row["pending_issuer"] is not None:
        pending = PendingCredential(
            provider=row["pending_provider"],
            issuer=row["pending_issuer"],
            subject=row["pending_subject"],
            assurance=AssuranceLevel(row["pending_assurance"]),
            authenticated_at=row["pending_at"],
        )
    return Session(
        ref=session_ref(row["id_hash"]),
        state=SessionState(row["state"]),
        account_id=row["account_id"],
        provider=row["provider"],
        issuer=row["issuer"],
        subject=row["subject"],
        provider_sid=row["provider_sid"],
        assurance=AssuranceLevel(row["assurance"]),
        auth_time=row["auth_time"],
        authenticated_at=row["authenticated_at"],
        pending=pending,
        acting_for=row["acting_for"],
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
        expires_at=row["expires_at"],
    )
