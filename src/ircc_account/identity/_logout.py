"""
Logout: RP-initiated (OIDC RP-Initiated Logout 1.0) and back-channel (OIDC
Back-Channel Logout 1.0), plus the session-management operations.
"""

from __future__ import annotations

import datetime as dt
import logging

import attrs
import sqlalchemy as sa

from ircc_account._model import AssuranceLevel
from ircc_account._storage._schema_identity import identity_logout_jtis as t_jti
from ircc_account._storage._schema_identity import identity_transactions as t_tx
from ircc_account._storage.ports import SqlUnit
from ircc_account.errors import (
    IdentityError,
    InvalidCallback,
    InvalidLogoutToken,
    RateLimited,
    SessionExpired,
    StepUpRequired,
    StorageError,
)
from ircc_account.hazmat.jose import (
    LogoutTokenClaims,
    fail,
    json_object,
    parse_compact_jws,
    validate_logout_token,
)

from ._core import Core
from ._login import _join
from ._params import parse_form
from ._secrets import id_hash, new_token, session_ref
from ._sessions import IssuedSession, RotationReason, Session, SessionState, session_from_row

__all__ = ["LogoutRedirect"]

_log = logging.getLogger("ircc_account.identity")
MAX_LOGOUT_BODY = 32 * 1024
_NO_STORE = ("Cache-Control", "no-store")


@attrs.frozen(kw_only=True)
class LogoutRedirect:
    """
    The result of an RP-initiated logout: the local session is already gone.

    Attributes:
        url: The provider's end-session URL (``id_token_hint``,
            ``post_logout_redirect_uri``, ``state``), or ``None`` when the provider
            offers none: then show the portal's own signed-out page.
        issued: A fresh anonymous session carrying the logout ``state``; set its cookie.
    """

    url: str | None = attrs.field(repr=False)
    issued: IssuedSession


class _RecordingJtiStore:
    """Holds the jti back so it is recorded in the same unit as the session deletion."""

    def __init__(self) -> None:
        self.entry: tuple[str, str, dt.datetime] | None = None

    def seen(self, issuer: str, jti: str, expires_at: dt.datetime) -> bool:
        self.entry = (issuer, jti, expires_at)
        return False


class LogoutMixin(Core):
    """
    Ending sessions: RP-initiated and back-channel logout, lists, rotation, step-up.
    """

    # --- RP-initiated logout ----------------------------------------------------------

    def logout(self, cookie: str | None) -> LogoutRedirect:
        """
        Log out: delete the local session first, then build the redirect to the
        provider with ``id_token_hint``, the registered ``post_logout_redirect_uri``
        and a fresh ``state`` (RP-Initiated Logout §2, SEC-43).

        Never raises for an unknown or expired cookie: the result is the same.
        """
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            row = self._live_row(uow, cookie)
            id_token = None
            provider = None
            if row is not None:
                provider = row["provider"]
                try:
                    tokens = self._tokens(uow, row)
                except IdentityError:
                    tokens = None
                except Exception:
                    tokens = None
                id_token = None if tokens is None else tokens.id_token
                # SEC-37: the session, and the tokens in it, are deleted first.
                self.sessions.delete(uow, row["id_hash"])
            issued = self._issue(uow, self._new_row_values(now))
            url = None
            p = None if provider is None else self.providers.get(provider)
            if p is not None and p.config.post_logout_redirect_uri is not None:
                try:
                    end = p.metadata().end_session_endpoint
                except IdentityError:
                    end = None
                if end is not None:
                    state = new_token(self.randomness)
                    uow.execute(
                        t_tx.insert().values(
                            state_hash=id_hash(state),
                            session_hash=id_hash(issued.cookie_value),
                            kind="logout",
                            provider=p.config.name,
                            issuer=p.config.issuer,
                            created_at=now,
                            expires_at=now + self.policy.transaction_lifetime,
                        ),
                        "logout transaction",
                    )
                    params = {
                        "client_id": p.config.client_id,
                        "post_logout_redirect_uri": p.config.post_logout_redirect_uri,
                        "state": state,
                    }
                    if id_token is not None:
                        params["id_token_hint"] = id_token
                    url = _join(end, params)
            uow.commit()
        return LogoutRedirect(url=url, issued=issued)

    def complete_logout(self, cookie: str | None, query: str | bytes) -> None:
        """
        Check the provider's return to our ``post_logout_redirect_uri``: its
        ``state`` must be the one this browser's logout sent (single use).

        Raises:
            InvalidCallback: missing, unknown, replayed or another session's ``state``.
        """
        if isinstance(query, str) and query.startswith("?"):
            query = query[1:]
        try:
            fields = parse_form(query, InvalidCallback, max_bytes=2048, max_fields=4)
            state = fields.get("state")
            if state is None or not 1 <= len(state) <= 128:
                raise fail(InvalidCallback, "logout.state_missing")
            self._take_transaction(cookie, state, "logout")
        except IdentityError as exc:
            self._log_failure("logout return", exc)
            raise

    # --- back-channel logout --------------------------------------------------------

    def handle_backchannel_logout(
        self,
        form_body: bytes,
        content_type: str,
        *,
        method: str = "POST",
        client_key: str | None = None,
    ) -> tuple[int, list[tuple[str, str]]]:
        """
        The back-channel logout endpoint (BCL 1.0 §2.5–2.8), framework-free.

        Answers 200 once every session of the token's ``sid`` (or, without one,
        of its ``sub``) at that issuer is gone, tokens included (SEC-47); 400 for
        anything else about the request (SEC-48), 405 for a method other than
        POST, 429 when rate-limited, 503 if the store failed (the provider
        retries). Every answer carries ``Cache-Control: no-store``. No cookie is read.

        Args:
            form_body: The raw request body.
            content_type: The request's ``Content-Type`` header.
            method: The request method.
            client_key: The sender's address, for rate limiting.
        """
        headers = [_NO_STORE]
        if method != "POST":
            return 405, [*headers, ("Allow", "POST")]
        try:
            if client_key is not None:
                self.rate_limits.backchannel_logout.check(client_key)
            claims, provider_name = self._logout_claims(form_body, content_type)
            self._end_provider_sessions(claims, provider_name)
        except RateLimited:
            return 429, headers
        except IdentityError as exc:
            self._log_failure("back-channel logout", exc)
            return 400, headers
        except StorageError:
            _log.warning("back-channel logout could not reach the store")
            return 503, headers
        return 200, headers

    def _logout_claims(
        self, body: bytes, content_type: str
    ) -> tuple[tuple[LogoutTokenClaims, _RecordingJtiStore], str]:
        media = (
            content_type.split(";", 1)[0].strip().lower() if isinstance(content_type, str) else ""
        )
        if media != "application/x-www-form-urlencoded" or not isinstance(body, bytes):
            raise fail(InvalidLogoutToken, "request.media_type")
        fields = parse_form(body, InvalidLogoutToken, max_bytes=MAX_LOGOUT_BODY, max_fields=2)
        token = fields.get("logout_token")
        # BCL §2.5: the OP POSTs a form "containing a logout_token"; we take nothing else.
        if token is None or set(fields) != {"logout_token"}:
            raise fail(InvalidLogoutToken, "request.fields")
        # Pick the provider by the (unverified) iss, compared exactly against the
        # configured issuers; the token is then verified against that one only.
        try:
            peek = json_object(parse_compact_jws(token).payload, InvalidLogoutToken, "claims")
        except IdentityError:
            raise fail(InvalidLogoutToken, "request.token") from None
        p = self.providers.by_issuer(peek.get("iss"))  # type: ignore[arg-type]
        if p is None:
            raise fail(InvalidLogoutToken, "iss.unknown")
        jtis = _RecordingJtiStore()
        cfg = p.config
        claims = validate_logout_token(
            token,
            keys=p.keys,
            issuer=cfg.issuer,
            client_id=cfg.client_id,
            now=self.clock.now(),
            jti_store=jtis,
            algorithms=cfg.algorithms,
            leeway=cfg.leeway,
            require_typ=cfg.logout_token_typ_required,
        )
        return (claims, jtis), cfg.name

    def _end_provider_sessions(
        self, validated: tuple[LogoutTokenClaims, _RecordingJtiStore], provider: str
    ) -> None:
        claims, jtis = validated
        assert jtis.entry is not None
        issuer, jti, expires_at = jtis.entry
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            uow.execute(t_jti.delete().where(t_jti.c.expires_at < now), "logout jti")
            seen = uow.execute(
                sa.select(t_jti.c.jti).where(t_jti.c.issuer == issuer, t_jti.c.jti == jti),
                "logout jti",
            ).first()
            if seen is not None:
                # BCL §2.6 step 8 and SEC-46: a replay is refused (and logged).
                _log.info("back-channel logout token replay refused (provider %s)", provider)
                raise fail(InvalidLogoutToken, "jti.replay")
            uow.execute(
                t_jti.insert().values(issuer=issuer, jti=jti, expires_at=expires_at), "logout jti"
            )
            ended = self._delete_for(uow, claims)
            uow.commit()
        _log.info("back-channel logout from %s ended %d session(s)", provider, ended)

    def _delete_for(self, uow: SqlUnit, claims: LogoutTokenClaims) -> int:
        # BCL §2.7: with a sid, end that session (of that sub, if one is given);
        # with only a sub, end every session of (iss, sub). Deleting the row
        # deletes the tokens held in it (SEC-47).
        ended = 0
        iss = claims.iss
        if claims.sid is not None:
            match = {"issuer": iss, "provider_sid": claims.sid}
            pending = {"pending_issuer": iss, "pending_sid": claims.sid}
            if claims.sub is not None:
                match["subject"] = claims.sub
                pending["pending_subject"] = claims.sub
        else:
            assert claims.sub is not None
            match = {"issuer": iss, "subject": claims.sub}
            pending = {"pending_issuer": iss, "pending_subject": claims.sub}
        ended += self.sessions.delete_matching(uow, **match)
        ended += self.sessions.delete_matching(uow, **pending)
        return ended

    # --- sessions -----------------------------------------------------------------------

    def get_session(self, cookie: str | None) -> Session:
        """
        The live session for *cookie*, after the idle and absolute checks (SEC-36).

        Raises:
            SessionExpired: unknown, logged out, timed out, or its account disabled.
        """
        now = self.clock.now()
        with self.store.unit_of_work(write=False) as uow:
            row = self._live_row(uow, cookie)
            stale = row is not None and now - row["last_seen_at"] >= self.policy.touch_interval
            expired = row is None and cookie is not None
            active = (
                row is None
                or row["account_id"] is None
                or self._account_active(uow, row["account_id"])
            )
        if row is None or stale or not active or expired:
            # Writes (touch, delete) only when needed: most requests read only.
            with self.store.unit_of_work() as uow:
                row = self._live_row(uow, cookie)
                if row is not None and (
                    row["account_id"] is not None
                    and not self._account_active(uow, row["account_id"])
                ):
                    # SEC-38: a disabled account's sessions end at once.
                    self.sessions.delete(uow, row["id_hash"])
                    row = None
                if row is not None:
                    self.sessions.update(uow, row["id_hash"], {"last_seen_at": now})
                    row = {**row, "last_seen_at": now}
                uow.commit()
        if row is None:
            raise SessionExpired()
        return session_from_row(row)

    def rotate(self, cookie: str | None, reason: RotationReason) -> IssuedSession:
        """
        Give the session a new id; the old one stops working at once (SEC-34).

        Raises:
            SessionExpired: no live session.
        """
        with self.store.unit_of_work() as uow:
            row = self._require_row(uow, cookie)
            issued = self._carry(uow, row)
            uow.commit()
        _log.info("session rotated (%s)", RotationReason(reason).value)
        return issued

    def act_for(self, cookie: str | None, client_id: str | None) -> IssuedSession:
        """
        Start (or, with ``None``, stop) acting for a client; rotates the session id.

        Whether the person may act for *client_id* is the delegation policy's
        decision, made on every request; this only records the choice.

        Raises:
            SessionExpired: no live signed-in session.
        """
        with self.store.unit_of_work() as uow:
            row = self._require_row(uow, cookie)
            if row["state"] != SessionState.AUTHENTICATED.value:
                raise SessionExpired()
            issued = self._carry(uow, row, acting_for=client_id)
            uow.commit()
        return issued

    def list_sessions(self, cookie: str | None) -> list[Session]:
        """
        The signed-in person's live sessions, newest first (SEC-39).

        Raises:
            SessionExpired: no live signed-in session.
        """
        now = self.clock.now()
        with self.store.unit_of_work(write=False) as uow:
            row = self._require_row(uow, cookie)
            if row["account_id"] is None:
                raise SessionExpired()
            rows = self.sessions.for_account(uow, row["account_id"])
        return [
            session_from_row(r)
            for r in rows
            if now < r["expires_at"] and now - r["last_seen_at"] < self.policy.idle_timeout
        ]

    def end_session(self, cookie: str | None, ref: str) -> bool:
        """
        End one of the signed-in person's own sessions, named by its ``ref`` (SEC-39).

        Returns whether a session was ended.

        Raises:
            SessionExpired: no live signed-in session.
        """
        with self.store.unit_of_work() as uow:
            row = self._require_row(uow, cookie)
            if row["account_id"] is None:
                raise SessionExpired()
            for r in self.sessions.for_account(uow, row["account_id"]):
                if session_ref(r["id_hash"]) == ref:
                    self.sessions.delete(uow, r["id_hash"])
                    uow.commit()
                    return True
        return False

    def end_all_sessions(self, account_id: str) -> int:
        """
        End every session of an account (administrators; account disabled or
        compromised; SEC-38, SEC-39). Returns how many ended.
        """
        with self.store.unit_of_work() as uow:
            n = self.sessions.delete_matching(uow, account_id=account_id)
            uow.commit()
        return n

    def require_assurance(
        self, session: Session, level: AssuranceLevel, *, max_age: int | None = None
    ) -> None:
        """
        Check that *session* is signed in at *level* or above, authenticated at
        most *max_age* seconds ago (SEC-12, SEC-40).

        Raises:
            SessionExpired: not signed in.
            StepUpRequired: too weak or too old. ``StepUpPlan.from_error(e)``
                gives the plan for :meth:`start_login`.
        """
        if not session.authenticated or session.provider is None:
            raise SessionExpired()
        last = session.last_authentication()
        too_old = max_age is not None and (
            last is None or (self.clock.now() - last).total_seconds() > max_age
        )
        if session.assurance < level or too_old:
            raise StepUpRequired(
                provider=session.provider,
                level=int(level),
                max_age=-1 if max_age is None else int(max_age),
            )
