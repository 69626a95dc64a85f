"""
The session component: every operation on server-side sessions.

Finding the live session for a cookie (idle and absolute timeouts, SEC-36),
issuing and rotating ids (SEC-34), the provider tokens sealed in a session
(SEC-21), and the session-management operations :class:`Identity` offers.
Only this component touches the :class:`~._session_store.SessionStore`.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
from collections.abc import Mapping
from typing import Any

from ircc_account._model import AccountStatus, AssuranceLevel, AuditEntry, Capacity, Decision
from ircc_account._storage.ports import SqlUnit
from ircc_account.errors import ConfigurationError, SessionExpired, StepUpRequired

from ._context import IdentityContext
from ._dpop import DpopKey, dpop_proof
from ._secrets import equal, id_hash, new_token, session_ref, well_formed
from ._session_store import SessionTokens, session_from_row
from ._session_values import IssuedSession, RotationReason, Session, SessionState

__all__ = ["SessionManager"]

_log = logging.getLogger("ircc_account.identity")

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


class SessionManager:
    """
    Sessions, for :class:`Identity` and for the login, logout and accounts components.

    The primitives (``live_row`` to ``end_matching``) work inside the caller's
    unit of work; the operations below them open their own.

    Args:
        context: The shared context.
    """

    def __init__(self, context: IdentityContext) -> None:
        self._ctx = context

    # --- primitives, in the caller's unit of work --------------------------------------

    def _expired(self, row: Mapping[str, Any], now: dt.datetime) -> bool:
        # SEC-36: the absolute and the idle timeout, both on the server.
        idle = now - row["last_seen_at"] >= self._ctx.policy.idle_timeout
        return bool(now >= row["expires_at"] or idle)

    def live_row(self, uow: SqlUnit, cookie: str | None) -> Mapping[str, Any] | None:
        """
        The row of a live session for *cookie*; an expired one is deleted (SEC-36, SEC-37).
        """
        if not well_formed(cookie):
            return None
        assert cookie is not None
        hashed = id_hash(cookie)
        row = self._ctx.sessions.get(uow, hashed)
        if row is None or not equal(row["id_hash"], hashed):
            return None
        if self._expired(row, self._ctx.clock.now()):
            self._ctx.sessions.delete(uow, hashed)
            return None
        return row

    def require_row(self, uow: SqlUnit, cookie: str | None) -> Mapping[str, Any]:
        """
        The row of a live session for *cookie*.

        Raises:
            SessionExpired: there is none.
        """
        row = self.live_row(uow, cookie)
        if row is None:
            raise SessionExpired()
        return row

    def take_live_row(self, uow: SqlUnit, cookie: str | None) -> Mapping[str, Any] | None:
        """
        Delete *cookie*'s session, whether live or expired, and return its row if
        it was live (the old id of a rotation, SEC-34).
        """
        if not well_formed(cookie):
            return None
        assert cookie is not None
        hashed = id_hash(cookie)
        row = self._ctx.sessions.take(uow, hashed)
        if (
            row is None
            or not equal(row["id_hash"], hashed)
            or self._expired(row, self._ctx.clock.now())
        ):
            return None
        return row

    def new_row_values(self, now: dt.datetime, **values: Any) -> dict[str, Any]:
        """
        The columns of a new session starting *now* (anonymous unless *values* say otherwise).
        """
        base: dict[str, Any] = {
            "state": SessionState.ANONYMOUS.value,
            "assurance": 1,
            "created_at": now,
            "last_seen_at": now,
            "expires_at": now + self._ctx.policy.absolute_timeout,
        }
        base.update(values)
        return base

    def issue(self, uow: SqlUnit, values: Mapping[str, Any]) -> IssuedSession:
        """
        Store a session with a fresh 256-bit id and return it with its cookie value.

        A ``tokens`` value (:class:`SessionTokens`) is sealed for the new row (SEC-21).
        """
        cookie = new_token(self._ctx.randomness)
        hashed = id_hash(cookie)
        row = self._row(uow, hashed, values)
        self._ctx.sessions.insert(uow, hashed, row)
        return self._issued(cookie, hashed, row)

    def _row(self, uow: SqlUnit, hashed: bytes, values: Mapping[str, Any]) -> dict[str, Any]:
        # Every column, with the tokens (if any) sealed for this very row (SEC-21).
        row = {"tokens_ct": None, **_NULLS, **values}
        tokens = row.pop("tokens", None)
        if isinstance(tokens, SessionTokens):
            row["tokens_ct"] = self._seal(uow, tokens, row.get("account_id"), hashed)
        return row

    def _issued(self, cookie: str, hashed: bytes, row: Mapping[str, Any]) -> IssuedSession:
        return IssuedSession(
            cookie_value=cookie,
            session=session_from_row({"id_hash": hashed, **row}),
            cookie_name=self._ctx.policy.cookie_name,
        )

    def reissue(self, uow: SqlUnit, cookie: str | None, values: Mapping[str, Any]) -> IssuedSession:
        """
        Replace *cookie*'s session, whatever it held, with a new one of
        *values* under a fresh id (SEC-34), in one write when the store can.
        """
        old = id_hash(cookie) if cookie is not None and well_formed(cookie) else None
        replace = getattr(self._ctx.sessions, "replace", None)
        if old is None or replace is None:
            if old is not None:
                self._ctx.sessions.take(uow, old)
            return self.issue(uow, values)
        new_cookie = new_token(self._ctx.randomness)
        hashed = id_hash(new_cookie)
        row = self._row(uow, hashed, values)
        if not replace(uow, old, hashed, row):
            self._ctx.sessions.insert(uow, hashed, row)
        return self._issued(new_cookie, hashed, row)

    def carry(self, uow: SqlUnit, row: Mapping[str, Any], **changes: Any) -> IssuedSession:
        """
        Replace *row*'s session with a new id, keeping its contents (rotation, SEC-34).

        Its tokens stay while the account does, and through registration: a
        first login's tokens become the new account's (sealed under its key).
        """
        values = {k: v for k, v in row.items() if k not in ("id_hash", "tokens_ct")}
        tokens = self.tokens(uow, row)
        self._ctx.sessions.delete(uow, row["id_hash"])
        values.update(changes)
        values["last_seen_at"] = self._ctx.clock.now()
        same_person = row["account_id"] is None or values.get("account_id") == row["account_id"]
        if "tokens" not in changes and tokens is not None and same_person:
            values["tokens"] = tokens
        return self.issue(uow, values)

    def _seal(
        self, uow: SqlUnit, tokens: SessionTokens, account_id: str | None, record: bytes
    ) -> bytes:
        # A signed-in session's tokens are sealed with the account's data key
        # (crypto-shredding the account destroys them); a first login's, before
        # registration, under a key of the session's own (SEC-21).
        if account_id is None:
            return tokens.seal_unowned(self._ctx.store.keyring, record)
        return tokens.seal(uow, account_id, record)

    def tokens(self, uow: SqlUnit, row: Mapping[str, Any]) -> SessionTokens | None:
        """
        The provider tokens sealed in *row*, or ``None``.

        Raises:
            DecryptionFailed: altered, or moved from another row.
        """
        if row["tokens_ct"] is None:
            return None
        if row["account_id"] is None:
            return SessionTokens.open_unowned(
                self._ctx.store.keyring, row["id_hash"], row["tokens_ct"]
            )
        return SessionTokens.open(uow, row["account_id"], row["id_hash"], row["tokens_ct"])

    def replace_tokens(self, uow: SqlUnit, row: Mapping[str, Any], tokens: SessionTokens) -> None:
        """
        Seal *tokens* into the session *row*, replacing its tokens.
        """
        sealed = self._seal(uow, tokens, row["account_id"], row["id_hash"])
        self._ctx.sessions.update(uow, row["id_hash"], {"tokens_ct": sealed})

    def delete(self, uow: SqlUnit, row: Mapping[str, Any]) -> None:
        """
        Delete *row*'s session, and the tokens in it (SEC-37).
        """
        self._ctx.sessions.delete(uow, row["id_hash"])

    def end_matching(self, uow: SqlUnit, **match: str) -> int:
        """
        Delete every session whose columns equal *match*; how many.
        """
        return self._ctx.sessions.delete_matching(uow, **match)

    # --- operations --------------------------------------------------------------------

    def get_session(self, cookie: str | None) -> Session:
        """
        The live session for *cookie*; see :meth:`Identity.get_session`.
        """
        now = self._ctx.clock.now()
        with self._ctx.store.unit_of_work(write=False) as uow:
            row = self.live_row(uow, cookie)
            stale = row is not None and now - row["last_seen_at"] >= self._ctx.policy.touch_interval
            expired = row is None and cookie is not None
            active = row is None or row["account_id"] is None or _active(uow, row["account_id"])
        if row is None or stale or not active or expired:
            # Writes (touch, delete) only when needed: most requests read only.
            with self._ctx.store.unit_of_work() as uow:
                row = self.live_row(uow, cookie)
                if row is not None and (
                    row["account_id"] is not None and not _active(uow, row["account_id"])
                ):
                    # SEC-38: a disabled (or erased) account's sessions end at
                    # once, and the refused request is recorded in its file.
                    self.delete(uow, row)
                    self._ctx.record(
                        uow,
                        AuditEntry(
                            occurred_at=now,
                            actor_id=row["account_id"],
                            client_id=row["account_id"],
                            capacity=Capacity.CLIENT,
                            action="session.refused",
                            decision=Decision.DENIED,
                            reason="account_disabled",
                        ),
                    )
                    row = None
                if row is not None:
                    self._ctx.sessions.update(uow, row["id_hash"], {"last_seen_at": now})
                    row = {**row, "last_seen_at": now}
                uow.commit()
        if row is None:
            raise SessionExpired()
        return session_from_row(row)

    def rotate(self, cookie: str | None, reason: RotationReason) -> IssuedSession:
        """
        Give the session a new id; see :meth:`Identity.rotate`.
        """
        with self._ctx.store.unit_of_work() as uow:
            row = self.require_row(uow, cookie)
            issued = self.carry(uow, row)
            uow.commit()
        _log.info("session rotated (%s)", RotationReason(reason).value)
        return issued

    def act_for(self, cookie: str | None, client_id: str | None) -> IssuedSession:
        """
        Record (or clear) the client acted for, under a new id; see :meth:`Identity.act_for`.
        """
        with self._ctx.store.unit_of_work() as uow:
            row = self.require_row(uow, cookie)
            if row["state"] != SessionState.AUTHENTICATED.value:
                raise SessionExpired()
            issued = self.carry(uow, row, acting_for=client_id)
            uow.commit()
        return issued

    def list_sessions(self, cookie: str | None) -> list[Session]:
        """
        The signed-in person's live sessions; see :meth:`Identity.list_sessions`.
        """
        now = self._ctx.clock.now()
        with self._ctx.store.unit_of_work(write=False) as uow:
            row = self.require_row(uow, cookie)
            if row["account_id"] is None:
                raise SessionExpired()
            rows = self._ctx.sessions.for_account(uow, row["account_id"])
        return [session_from_row(r) for r in rows if not self._expired(r, now)]

    def end_session(self, cookie: str | None, ref: str) -> bool:
        """
        End one of the signed-in person's sessions; see :meth:`Identity.end_session`.
        """
        with self._ctx.store.unit_of_work() as uow:
            row = self.require_row(uow, cookie)
            if row["account_id"] is None:
                raise SessionExpired()
            for r in self._ctx.sessions.for_account(uow, row["account_id"]):
                if session_ref(r["id_hash"]) == ref:
                    self.delete(uow, r)
                    uow.commit()
                    return True
        return False

    def end_all_sessions(self, account_id: str) -> int:
        """
        End every session of an account; see :meth:`Identity.end_all_sessions`.
        """
        with self._ctx.store.unit_of_work() as uow:
            n = self.end_matching(uow, account_id=account_id)
            uow.commit()
        return n

    def access_token(self, cookie: str | None) -> str:
        """
        The session's current access token; see :meth:`Identity.access_token`.
        """
        with self._ctx.store.unit_of_work(write=False) as uow:
            row = self.require_row(uow, cookie)
            tokens = self.tokens(uow, row)
        if tokens is None:
            raise SessionExpired()
        return tokens.access_token

    def authorization_headers(
        self, cookie: str | None, method: str, url: str, *, nonce: str | None = None
    ) -> dict[str, str]:
        """
        The headers that present the session's access token; see
        :meth:`Identity.authorization_headers`.
        """
        if not isinstance(method, str) or not method.isascii() or not method.isalpha():
            raise ConfigurationError(reason="method must be an HTTP method name")
        parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConfigurationError(reason="url must be an absolute HTTP(S) URL")
        with self._ctx.store.unit_of_work(write=False) as uow:
            row = self.require_row(uow, cookie)
            tokens = self.tokens(uow, row)
        if tokens is None:
            raise SessionExpired()
        if tokens.dpop_key is None or tokens.token_type.lower() != "dpop":
            return {"Authorization": f"Bearer {tokens.access_token}"}
        # RFC 9449 §7.1: "Authorization: DPoP <token>" and a proof of
        # possession of the session's key, with ath, for this very request.
        proof = dpop_proof(
            DpopKey.from_json(tokens.dpop_key),
            method=method,
            url=url,
            now=self._ctx.clock.now(),
            randomness=self._ctx.randomness,
            nonce=nonce,
            access_token=tokens.access_token,
        )
        return {"Authorization": f"DPoP {tokens.access_token}", "DPoP": proof}

    def require_assurance(
        self, session: Session, level: AssuranceLevel, *, max_age: int | None = None
    ) -> None:
        """
        Check *session*'s assurance and age; see :meth:`Identity.require_assurance`.
        """
        if not session.authenticated or session.provider is None:
            raise SessionExpired()
        last = session.last_authentication()
        too_old = max_age is not None and (
            last is None or (self._ctx.clock.now() - last).total_seconds() > max_age
        )
        if session.assurance < level or too_old:
            raise StepUpRequired(
                provider=session.provider,
                level=int(level),
                max_age=-1 if max_age is None else int(max_age),
            )


def _active(uow: SqlUnit, account_id: str) -> bool:
    return uow.accounts.status(account_id) is AccountStatus.ACTIVE
