"""
The wiring every identity operation shares, and the session primitives.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import attrs
import sqlalchemy as sa

from ircc_account._clock import Clock, Randomness, SystemClock, SystemRandomness
from ircc_account._model import AccountStatus, AuditEntry
from ircc_account._storage._schema_identity import identity_transactions as t_tx
from ircc_account._storage.ports import AuditSink, SqlStorage, SqlUnit
from ircc_account.errors import IdentityError, InvalidCallback, SessionExpired
from ircc_account.hazmat.jose import fail

from ._providers import Providers
from ._ratelimit import RateLimiter
from ._secrets import equal, id_hash, new_token, well_formed
from ._sessions import (
    IssuedSession,
    SessionPolicy,
    SessionState,
    SessionStore,
    SessionTokens,
    SqlSessionStore,
    session_from_row,
)

__all__ = ["AuditSink", "Core", "RateLimits"]

# Built once (as in the shared store): building a WHERE clause costs more than running it.
_TAKE_TX = t_tx.delete().where(t_tx.c.state_hash == sa.bindparam("state_hash")).returning(*t_tx.c)
_PEEK_TX = sa.select(t_tx).where(t_tx.c.state_hash == sa.bindparam("state_hash"))
_DROP_TX = t_tx.delete().where(t_tx.c.state_hash == sa.bindparam("state_hash"))
_CLAIM_TX = _DROP_TX.returning(t_tx.c.state_hash)
_PURGE_TX = t_tx.delete().where(t_tx.c.expires_at < sa.bindparam("now"))

_log = logging.getLogger("ircc_account.identity")


@attrs.frozen(kw_only=True)
class RateLimits:
    """
    Per-client-key limits on the identity endpoints (SEC-83).

    Attributes:
        login_start: Starting a login.
        callback: Completing one.
        backchannel_logout: Back-channel logout requests (keyed by source).
        legacy_claim: Legacy file claims (besides the stored per-account limits).
    """

    login_start: RateLimiter
    callback: RateLimiter
    backchannel_logout: RateLimiter
    legacy_claim: RateLimiter

    @classmethod
    def default(cls, clock: Clock) -> RateLimits:
        """
        Limits for one portal process: generous for people, tight for scripts.
        """
        return cls(
            login_start=RateLimiter(20, 0.5, clock=clock),
            callback=RateLimiter(20, 0.5, clock=clock),
            backchannel_logout=RateLimiter(100, 10.0, clock=clock),
            legacy_claim=RateLimiter(5, 1 / 60, clock=clock),
        )


class Core:
    """
    What every identity operation needs: the store, the providers, time, randomness.
    """

    def __init__(
        self,
        store: SqlStorage,
        providers: Providers,
        *,
        clock: Clock | None = None,
        randomness: Randomness | None = None,
        policy: SessionPolicy | None = None,
        sessions: SessionStore | None = None,
        audit: AuditSink | None = None,
        rate_limits: RateLimits | None = None,
    ) -> None:
        self.store = store
        self.providers = providers
        self.clock = clock or providers.clock or SystemClock()
        self.randomness = randomness or SystemRandomness()
        self.policy = policy or SessionPolicy()
        self.sessions: SessionStore = sessions or SqlSessionStore()
        self.audit = audit
        self.rate_limits = rate_limits or RateLimits.default(self.clock)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.providers!r})"

    # --- sessions --------------------------------------------------------------------

    def _live_row(self, uow: SqlUnit, cookie: str | None) -> Mapping[str, Any] | None:
        """
        The row of a live session for *cookie*; an expired one is deleted (SEC-36, SEC-37).
        """
        if not well_formed(cookie):
            return None
        assert cookie is not None
        hashed = id_hash(cookie)
        row = self.sessions.get(uow, hashed)
        if row is None or not equal(row["id_hash"], hashed):
            return None
        now = self.clock.now()
        if now >= row["expires_at"] or now - row["last_seen_at"] >= self.policy.idle_timeout:
            self.sessions.delete(uow, hashed)
            return None
        return row

    def _take_live_row(self, uow: SqlUnit, cookie: str | None) -> Mapping[str, Any] | None:
        """
        Delete *cookie*'s session, whether live or expired, and return its row if
        it was live (the old id of a rotation, SEC-34).
        """
        if not well_formed(cookie):
            return None
        assert cookie is not None
        hashed = id_hash(cookie)
        row = self.sessions.take(uow, hashed)
        if row is None or not equal(row["id_hash"], hashed):
            return None
        now = self.clock.now()
        if now >= row["expires_at"] or now - row["last_seen_at"] >= self.policy.idle_timeout:
            return None
        return row

    def _new_row_values(self, now: dt.datetime, **values: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "state": SessionState.ANONYMOUS.value,
            "assurance": 1,
            "created_at": now,
            "last_seen_at": now,
            "expires_at": now + self.policy.absolute_timeout,
        }
        base.update(values)
        return base

    def _issue(self, uow: SqlUnit, values: Mapping[str, Any]) -> IssuedSession:
        """
        Store a session with a fresh 256-bit id and return it with its cookie value.
        """
        cookie = new_token(self.randomness)
        hashed = id_hash(cookie)
        values = dict(values)
        tokens = values.pop("tokens", None)
        if isinstance(tokens, SessionTokens):
            values["tokens_ct"] = tokens.seal(uow, values["account_id"], hashed)
        self.sessions.insert(uow, hashed, values)
        row = {"id_hash": hashed, "tokens_ct": None, **_NULLS, **values}
        return IssuedSession(
            cookie_value=cookie, session=session_from_row(row), cookie_name=self.policy.cookie_name
        )

    def _tokens(self, uow: SqlUnit, row: Mapping[str, Any]) -> SessionTokens | None:
        if row["tokens_ct"] is None or row["account_id"] is None:
            return None
        return SessionTokens.open(uow, row["account_id"], row["id_hash"], row["tokens_ct"])

    def _carry(self, uow: SqlUnit, row: Mapping[str, Any], **changes: Any) -> IssuedSession:
        """
        Replace *row*'s session with a new id, keeping its contents (rotation, SEC-34).
        """
        values = {k: v for k, v in row.items() if k not in ("id_hash", "tokens_ct")}
        tokens = self._tokens(uow, row)
        self.sessions.delete(uow, row["id_hash"])
        values.update(changes)
        values["last_seen_at"] = self.clock.now()
        if (
            "tokens" not in changes
            and tokens is not None
            and values.get("account_id") == row["account_id"]
        ):
            values["tokens"] = tokens
        return self._issue(uow, values)

    def _require_row(self, uow: SqlUnit, cookie: str | None) -> Mapping[str, Any]:
        row = self._live_row(uow, cookie)
        if row is None:
            raise SessionExpired()
        return row

    def _take_transaction(self, cookie: str | None, state: str, kind: str) -> dict[str, Any]:
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            # One atomic statement finds and deletes the transaction: of two
            # concurrent callbacks with the same state, only one gets it (SEC-03).
            tx = uow.execute(_TAKE_TX, "login transaction", state_hash=id_hash(state)).first()
            if tx is None:
                raise fail(InvalidCallback, "state.unknown")
            uow.commit()
        row = dict(tx._mapping)
        # SEC-03, SEC-20: the flow must have been started by this browser session.
        bound = cookie is not None and equal(id_hash(cookie), row["session_hash"])
        if not bound or row["kind"] != kind or now >= row["expires_at"]:
            raise fail(InvalidCallback, "state.binding")
        return row

    def _peek_transaction(self, cookie: str | None, state_hash: bytes, kind: str) -> dict[str, Any]:
        """
        Read (not yet delete) a transaction for a callback; the caller must end it
        with :meth:`_claim_transaction` in its final unit of work, or
        :meth:`_drop_transaction` on any failure after this returns (SEC-03).

        A transaction that fails the binding checks is dropped here.
        """
        now = self.clock.now()
        with self.store.unit_of_work(write=False) as uow:
            tx = uow.execute(_PEEK_TX, "login transaction", state_hash=state_hash).first()
        if tx is None:
            raise fail(InvalidCallback, "state.unknown")
        row = dict(tx._mapping)
        # SEC-03, SEC-20: the flow must have been started by this browser session.
        bound = cookie is not None and equal(id_hash(cookie), row["session_hash"])
        if not bound or row["kind"] != kind or now >= row["expires_at"]:
            self._drop_transaction(state_hash)
            raise fail(InvalidCallback, "state.binding")
        return row

    @staticmethod
    def _claim_transaction(uow: SqlUnit, state_hash: bytes) -> None:
        """
        Delete a peeked transaction in the unit that completes it. One atomic
        statement: of two concurrent callbacks with the same state, only one
        finds the row; the other fails (SEC-03).
        """
        if uow.execute(_CLAIM_TX, "login transaction", state_hash=state_hash).first() is None:
            raise fail(InvalidCallback, "state.unknown")

    def _drop_transaction(self, state_hash: bytes) -> None:
        """
        Delete a transaction in a unit of its own, committed (the failure path, SEC-03).
        """
        with self.store.unit_of_work() as uow:
            uow.execute(_DROP_TX, "login transaction", state_hash=state_hash)
            uow.commit()

    def _account_active(self, uow: SqlUnit, account_id: str) -> bool:
        return uow.accounts.status(account_id) is AccountStatus.ACTIVE

    def _purge_transactions(self, uow: SqlUnit, now: dt.datetime) -> None:
        uow.execute(_PURGE_TX, "login transaction", now=now)

    def _audit(self, uow: SqlUnit, entry: AuditEntry) -> None:
        if self.audit is not None:
            self.audit.append(uow, entry)

    @staticmethod
    def _log_failure(what: str, exc: IdentityError) -> None:
        # The reason is a fixed code attached by the validator, never token contents.
        _log.info("%s failed: %s (%s)", what, exc.code, exc.__dict__.get("_reason", "-"))


_NULLS: dict[str, Any] = {
    "account_id": None,
    "provider": None,
    "issuer": None,
    "subject": None,
    "provider_sid": None,
    "auth_time": None,
    "authenticated_at": None,
    "pending_provider": None,
    "pending_issuer": None,
    "pending_subject": None,
    "pending_sid": None,
    "pending_assurance": None,
    "pending_at": None,
    "acting_for": None,
}
