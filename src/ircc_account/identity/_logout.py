"""
Logout: RP-initiated (OIDC RP-Initiated Logout 1.0) and back-channel (OIDC
Back-Channel Logout 1.0).
"""

from __future__ import annotations

import datetime as dt
import logging

import attrs
import sqlalchemy as sa

from ircc_account._model import Capacity
from ircc_account._storage._schema_identity import identity_logout_jtis as t_jti
from ircc_account._storage.ports import SqlUnit
from ircc_account.errors import (
    ConfigurationError,
    IdentityError,
    InvalidCallback,
    InvalidLogoutToken,
    ProviderUnavailable,
    RateLimited,
    StorageError,
)
from ircc_account.hazmat.jose import (
    LogoutTokenClaims,
    fail,
    json_object,
    parse_compact_jws,
    validate_logout_token,
)

from ._client_auth import client_auth
from ._context import IdentityContext, log_failure
from ._login import add_query
from ._params import parse_form
from ._providers import Provider
from ._secrets import id_hash, new_token
from ._session_store import SessionTokens, tokens_provider
from ._session_values import IssuedSession
from ._sessions import SessionManager
from ._transactions import Transactions

__all__ = ["Logout", "LogoutRedirect"]

_log = logging.getLogger("ircc_account.identity")
MAX_LOGOUT_BODY = 32 * 1024
_NO_STORE = ("Cache-Control", "no-store")
_LOGOUT_FIELDS = frozenset({"logout_token"})


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


def refused_provider(exc: BaseException) -> str | None:
    """The provider a refused logout token named, once its issuer was known."""
    name = exc.__dict__.get("_provider")
    return name if isinstance(name, str) else None


class _RecordingJtiStore:
    """Holds the jti back so it is recorded in the same unit as the session deletion."""

    def __init__(self) -> None:
        self.entry: tuple[str, str, dt.datetime] | None = None

    def seen(self, issuer: str, jti: str, expires_at: dt.datetime) -> bool:
        self.entry = (issuer, jti, expires_at)
        return False


class Logout:
    """
    The logout component: RP-initiated and back-channel logout.
    :class:`Identity` documents each operation.

    Args:
        context: The shared context.
        sessions: The session component.
    """

    def __init__(self, context: IdentityContext, sessions: SessionManager) -> None:
        self._ctx = context
        self._sessions = sessions
        self._transactions = Transactions(context)

    # --- RP-initiated logout ----------------------------------------------------------

    def logout(self, cookie: str | None) -> LogoutRedirect:
        """
        See :meth:`Identity.logout`.
        """
        now = self._ctx.clock.now()
        with self._ctx.store.unit_of_work() as uow:
            row = self._sessions.live_row(uow, cookie)
            id_token = None
            provider = None
            tokens = None
            if row is not None:
                provider = row["provider"] or row["pending_provider"]
                try:
                    tokens = self._sessions.tokens(uow, row)
                    if tokens is not None:
                        provider = tokens_provider(tokens, row)
                except Exception:
                    # Tokens that do not open (altered, or a retired KEK) must
                    # never stop a logout: the session still goes.
                    tokens = None
                id_token = None if tokens is None else tokens.id_token
                # SEC-37: the session, and the tokens in it, are deleted first.
                self._sessions.delete(uow, row)
            issued = self._sessions.issue(uow, self._sessions.new_row_values(now))
            url = None
            p = None
            if provider is not None:
                try:
                    p = self._ctx.providers.get(provider)
                except ConfigurationError:
                    p = None  # A provider since removed from the configuration.
            if p is not None and p.config.post_logout_redirect_uri is not None:
                try:
                    end = p.metadata().end_session_endpoint
                except IdentityError:
                    end = None
                if end is not None:
                    state = new_token(self._ctx.randomness)
                    self._transactions.begin(
                        uow,
                        state=state,
                        session_hash=id_hash(issued.cookie_value),
                        kind="logout",
                        provider=p.config,
                        now=now,
                    )
                    params = {
                        "client_id": p.config.client_id,
                        "post_logout_redirect_uri": p.config.post_logout_redirect_uri,
                        "state": state,
                    }
                    if id_token is not None:
                        params["id_token_hint"] = id_token
                    url = add_query(end, params)
            uow.commit()
        if p is not None and tokens is not None:
            self._revoke(p, tokens)
        return LogoutRedirect(url=url, issued=issued)

    def _revoke(self, p: Provider, tokens: SessionTokens) -> None:
        # RFC 7009 §2.1, once the session is gone here: the refresh token
        # (which per §2.1 "SHOULD also invalidate all access tokens based on
        # the same authorization grant"), or the access token if there is
        # none. A failure is logged, never raised: the person is logged out.
        name = p.config.name
        try:
            md = p.metadata()
            if md.revocation_endpoint is None:
                return
            token, hint = (
                (tokens.refresh_token, "refresh_token")
                if tokens.refresh_token is not None
                else (tokens.access_token, "access_token")
            )
            headers, form = client_auth(
                p.config, md, now=self._ctx.clock.now(), randomness=self._ctx.randomness
            )
            channel = self._ctx.providers.back_channel
            r = channel.request(
                "POST",
                md.revocation_endpoint,
                provider=name,
                max_bytes=channel.limits.max_response_bytes,
                data={"token": token, "token_type_hint": hint, **form},
                headers=headers,
            )
            # §2.2: "The authorization server responds with HTTP status code
            # 200 if the token has been revoked successfully or if the client
            # submitted an invalid token."
            if r.status != 200:
                raise fail(ProviderUnavailable, "revocation.status", provider=name)
        except IdentityError as exc:
            log_failure("token revocation at logout", exc, provider=name)

    def complete_logout(self, cookie: str | None, query: str | bytes) -> None:
        """
        See :meth:`Identity.complete_logout`.
        """
        if isinstance(query, str) and query.startswith("?"):
            query = query[1:]
        try:
            fields = parse_form(query, InvalidCallback, max_bytes=2048, max_fields=4)
            state = fields.get("state")
            if state is None or not 1 <= len(state) <= 128:
                raise fail(InvalidCallback, "logout.state_missing")
            self._transactions.take(cookie, state, "logout")
        except IdentityError as exc:
            log_failure("logout return", exc)
            raise

    # --- back-channel logout --------------------------------------------------------

    def handle_backchannel_logout(
        self,
        form_body: bytes | str,
        content_type: str,
        *,
        method: str = "POST",
        client_key: str | None = None,
    ) -> tuple[int, list[tuple[str, str]]]:
        """
        See :meth:`Identity.handle_backchannel_logout`.
        """
        headers = [_NO_STORE]
        if method != "POST":
            return 405, [*headers, ("Allow", "POST")]
        provider: str | None = None
        try:
            if client_key is not None:
                self._ctx.rate_limits.backchannel_logout.check(client_key)
            claims, provider = self._logout_claims(form_body, content_type)
            self._end_provider_sessions(claims, provider)
        except RateLimited as exc:
            log_failure("back-channel logout", exc)
            return 429, headers
        except ProviderUnavailable as exc:
            # The keys could not be fetched: the provider should retry later.
            log_failure("back-channel logout", exc, provider=provider)
            return 503, headers
        except IdentityError as exc:
            # BCL §2.8: "If the logout request was invalid or the logout
            # failed, the RP MUST respond with HTTP 400 Bad Request."
            log_failure("back-channel logout", exc, provider=provider or refused_provider(exc))
            entry = self._ctx.refusal(
                "logout.backchannel.refused",
                exc,
                provider=provider or refused_provider(exc),
                capacity=Capacity.SYSTEM,
            )
            try:
                self._ctx.record_now(entry)
            except StorageError:
                _log.warning("back-channel logout refusal could not be recorded")
                return 503, headers
            return 400, headers
        except StorageError:
            _log.warning("back-channel logout could not reach the store")
            return 503, headers
        return 200, headers

    def _logout_claims(
        self, body: bytes | str, content_type: str
    ) -> tuple[tuple[LogoutTokenClaims, _RecordingJtiStore], str]:
        media = (
            content_type.split(";", 1)[0].strip().lower() if isinstance(content_type, str) else ""
        )
        if media != "application/x-www-form-urlencoded":
            raise fail(InvalidLogoutToken, "request.media_type")
        if not isinstance(body, bytes | str):
            raise fail(InvalidLogoutToken, "request.body")
        # BCL §2.5: the body "must include a logout_token parameter [...] The
        # POST body MAY contain other values in addition to logout_token.
        # Values that are not understood by the implementation MUST be ignored."
        # So only logout_token is read, and it must appear exactly once (SEC-78).
        fields = parse_form(
            body, InvalidLogoutToken, max_bytes=MAX_LOGOUT_BODY, only=_LOGOUT_FIELDS
        )
        token = fields.get("logout_token")
        if not token:
            raise fail(InvalidLogoutToken, "request.logout_token")
        # Pick the provider by the (unverified) iss, compared exactly against the
        # configured issuers; the token is then verified against that one only.
        try:
            peek = json_object(parse_compact_jws(token).payload, InvalidLogoutToken, "claims")
        except IdentityError:
            raise fail(InvalidLogoutToken, "request.token") from None
        p = self._ctx.providers.by_issuer(peek.get("iss"))  # type: ignore[arg-type]
        if p is None:
            raise fail(InvalidLogoutToken, "iss.unknown")
        jtis = _RecordingJtiStore()
        cfg = p.config
        try:
            claims = self._validate(p, token, jtis)
        except IdentityError as exc:
            exc.__dict__["_provider"] = cfg.name
            raise
        return (claims, jtis), cfg.name

    def _validate(self, p: Provider, token: str, jtis: _RecordingJtiStore) -> LogoutTokenClaims:
        cfg = p.config
        # Only the algorithms both the portal and the provider's discovery allow.
        algorithms = p.metadata().logout_token_algorithms
        if not algorithms:
            raise fail(InvalidLogoutToken, "alg.not_allowed")
        return validate_logout_token(
            token,
            keys=p.keys,
            issuer=cfg.issuer,
            client_id=cfg.client_id,
            now=self._ctx.clock.now(),
            jti_store=jtis,
            algorithms=algorithms,
            leeway=cfg.leeway,
            require_typ=cfg.logout_token_typ_required,
        )

    def _end_provider_sessions(
        self, validated: tuple[LogoutTokenClaims, _RecordingJtiStore], provider: str
    ) -> None:
        claims, jtis = validated
        assert jtis.entry is not None
        issuer, jti, expires_at = jtis.entry
        now = self._ctx.clock.now()
        with self._ctx.store.unit_of_work() as uow:
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
        ended += self._sessions.end_matching(uow, **match)
        ended += self._sessions.end_matching(uow, **pending)
        return ended
