"""
Where sessions live: the :class:`SessionStore` port, its SQL adapter, and the
provider tokens sealed into a session row.

The database holds only the SHA-256 of a session id, so reading the sessions
table gives no live cookie (SEC-33); tokens from the provider are sealed with
the account's data key (SEC-21).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import attrs
import sqlalchemy as sa

from ircc_account._crypto import FieldContext, Keyring, WrappedDataKey
from ircc_account._model import AssuranceLevel
from ircc_account._storage._schema_identity import identity_sessions as t_sessions
from ircc_account._storage.ports import SqlUnit
from ircc_account.errors import ConfigurationError, DecryptionFailed

from ._secrets import session_ref
from ._session_values import PendingCredential, Session, SessionState

__all__ = [
    "SessionStore",
    "SessionTokens",
    "SqlSessionStore",
    "session_from_row",
    "tokens_provider",
]

# Statements built once: building a WHERE clause per call costs more than running it.
_INSERT = t_sessions.insert()
_GET = sa.select(t_sessions).where(t_sessions.c.id_hash == sa.bindparam("b_id_hash"))
_DELETE = t_sessions.delete().where(t_sessions.c.id_hash == sa.bindparam("b_id_hash"))
_TAKE = _DELETE.returning(*t_sessions.c)
# Every column but the key is set: nothing of the old session survives its id.
_REPLACED = tuple(c.name for c in t_sessions.c if c.name != "id_hash")
_REPLACE = (
    t_sessions.update()
    .where(t_sessions.c.id_hash == sa.bindparam("b_old"))
    .values(
        id_hash=sa.bindparam("b_new"),
        **{name: sa.bindparam(f"v_{name}") for name in _REPLACED},
    )
)


@attrs.frozen(kw_only=True)
class SessionTokens:
    """
    The provider's tokens for a session, kept server-side only (SEC-21).

    Attributes:
        access_token, refresh_token, id_token: The tokens (none shown in ``repr``).
        id_claims: The original ID token's claims (for refresh checks, OIDC Core §12.2).
        alg: The original ID token's algorithm.
        provider: The configured provider the tokens came from (``None`` in
            rows sealed before it was recorded: the session's provider then).
        token_type: ``"Bearer"``, or ``"DPoP"`` for sender-constrained tokens.
        dpop_key: The session's DPoP private key as a JWK (JSON text), or
            ``None``; sealed with the tokens, never logged, never in a cookie.
    """

    access_token: str = attrs.field(repr=False)
    refresh_token: str | None = attrs.field(repr=False)
    id_token: str = attrs.field(repr=False)
    id_claims: Mapping[str, Any] = attrs.field(repr=False)
    alg: str
    provider: str | None = None
    # Ruff's S105 takes the name for a password; it is a token type.
    token_type: str = "Bearer"  # noqa: S105
    dpop_key: str | None = attrs.field(default=None, repr=False)

    def _payload(self) -> bytes:
        return json.dumps(
            {
                "a": self.access_token,
                "r": self.refresh_token,
                "i": self.id_token,
                "c": dict(self.id_claims),
                "g": self.alg,
                "p": self.provider,
                "t": self.token_type,
                "k": self.dpop_key,
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def _from_payload(cls, plain: bytes) -> SessionTokens:
        try:
            d = json.loads(plain)
            return cls(
                access_token=d["a"],
                refresh_token=d["r"],
                id_token=d["i"],
                id_claims=d["c"],
                alg=d["g"],
                provider=d.get("p"),
                token_type=d.get("t") or "Bearer",
                dpop_key=d.get("k"),
            )
        except (ValueError, KeyError, TypeError):
            raise DecryptionFailed() from None

    def seal(self, uow: SqlUnit, account_id: str, record: bytes) -> bytes:
        """
        Encrypt for the session row *record* with the account's data key.
        """
        return uow.data_key(account_id).encrypt(self._payload(), _context(account_id, record))

    @classmethod
    def open(cls, uow: SqlUnit, account_id: str, record: bytes, blob: bytes) -> SessionTokens:
        """
        Decrypt tokens sealed by :meth:`seal`.

        Raises:
            DecryptionFailed: altered, or moved from another row.
        """
        plain = uow.data_key(account_id).decrypt(blob, _context(account_id, record))
        return cls._from_payload(plain)

    def seal_unowned(self, keyring: Keyring, record: bytes) -> bytes:
        """
        Encrypt for the session row *record*, which has no account yet (a
        first login awaiting registration), under a data key of its own.

        The key is wrapped by the keyring's primary KEK for the label
        ``session:<row>``, and the tokens are bound to the row as associated
        data, so the blob opens only in that row (SEC-73).
        """
        label = _unowned_label(record)
        key, wrapped = keyring.new_data_key(label)
        kek = wrapped.kek_id.encode("ascii")
        inner = key.encrypt(self._payload(), _context(label, record))
        return b"".join(
            (
                _UNOWNED,
                len(kek).to_bytes(1, "big"),
                kek,
                len(wrapped.blob).to_bytes(2, "big"),
                wrapped.blob,
                inner,
            )
        )

    @classmethod
    def open_unowned(cls, keyring: Keyring, record: bytes, blob: bytes) -> SessionTokens:
        """
        Decrypt tokens sealed by :meth:`seal_unowned`.

        Raises:
            DecryptionFailed: altered, moved from another row, or not in that format.
            KeyNotFound: the KEK that wrapped its key has left the keyring.
        """
        try:
            if not blob.startswith(_UNOWNED):
                raise ValueError("format")
            at = len(_UNOWNED)
            n = blob[at]
            kek_id = blob[at + 1 : at + 1 + n].decode("ascii")
            at += 1 + n
            m = int.from_bytes(blob[at : at + 2], "big")
            wrapped = WrappedDataKey(kek_id=kek_id, blob=blob[at + 2 : at + 2 + m])
            inner = blob[at + 2 + m :]
            if len(wrapped.blob) != m or not inner:
                raise ValueError("truncated")
        except (ValueError, IndexError):
            raise DecryptionFailed() from None
        label = _unowned_label(record)
        plain = keyring.unwrap(wrapped, label).decrypt(inner, _context(label, record))
        return cls._from_payload(plain)


# Marks a blob sealed under a session's own key ("S", format 1); account
# envelopes start with their own version byte, 0x01.
_UNOWNED = b"S\x01"


def tokens_provider(tokens: SessionTokens, row: Mapping[str, Any]) -> str:
    """
    The configured provider *tokens* came from: recorded with them, else the
    session's login, else its pending credential's (older rows).
    """
    name = tokens.provider or row["provider"] or row["pending_provider"]
    if not isinstance(name, str):
        raise DecryptionFailed()
    return name


def _unowned_label(record: bytes) -> str:
    return "session:" + record.hex()


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

    def replace(
        self, uow: SqlUnit, old_id_hash: bytes, new_id_hash: bytes, values: Mapping[str, Any]
    ) -> bool:
        """
        Turn the session *old_id_hash* (live or not) into a new one: the id
        *new_id_hash* and every column from *values*; whether there was one.

        The old id stops existing in the same statement, as with :meth:`take`
        (SEC-34); a login into a session the browser already had costs one
        write instead of a delete and an insert. A store without this method
        still works: identity then takes the old session and inserts the new.

        .. versionadded:: 0.2
        """


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

    def replace(
        self, uow: SqlUnit, old_id_hash: bytes, new_id_hash: bytes, values: Mapping[str, Any]
    ) -> bool:
        """
        Give the session *old_id_hash* the id *new_id_hash* and the columns
        *values*, in one ``UPDATE``; whether it existed.
        """
        params = {f"v_{name}": values.get(name) for name in _REPLACED}
        result = uow.execute(_REPLACE, "session", b_old=old_id_hash, b_new=new_id_hash, **params)
        return bool(result.rowcount)

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
