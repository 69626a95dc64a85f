"""
Login: the authorization code flow with PKCE, PAR, the RFC 9207 ``iss`` check,
and ID token validation through :mod:`ircc_account.hazmat.jose`.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import attrs

from ircc_account._model import AssuranceLevel, AuditEntry, Capacity, Decision
from ircc_account.errors import (
    ConfigurationError,
    IdentityError,
    InvalidCallback,
    InvalidToken,
    IrccAccountError,
    ProviderMetadataInvalid,
    ProviderUnavailable,
    RateLimited,
    SessionExpired,
    StepUpRequired,
)
from ircc_account.hazmat.jose import (
    HMAC_ALGORITHMS,
    HmacKey,
    IdTokenClaims,
    fail,
    validate_id_token,
    validate_refreshed_id_token,
)

from ._client_auth import client_auth
from ._context import IdentityContext, for_account, log_failure
from ._dpop import DpopKey, dpop_proof, nonce_challenge
from ._http import Response
from ._params import CallbackParams, parse_callback
from ._providers import Provider, ProviderMetadata
from ._secrets import (
    code_challenge,
    equal,
    id_hash,
    new_code_verifier,
    new_token,
)
from ._session_store import SessionTokens, session_from_row, tokens_provider
from ._session_values import IssuedSession, Session, SessionState
from ._sessions import SessionManager
from ._transactions import Transactions

# A BCP 47 tag as RFC 5646 §2.1 shapes it, loosely: letters, digits, hyphens.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}", re.ASCII)

__all__ = ["Login", "LoginOutcome", "LoginRedirect", "LoginResult", "StepUpPlan", "add_query"]

_log = logging.getLogger("ircc_account.identity")

_TOKEN_ERRORS = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        # RFC 9449 §12.2
        "invalid_dpop_proof",
        "use_dpop_nonce",
    }
)


class LoginOutcome(enum.StrEnum):
    """
    What a completed login means for the portal.
    """

    #: The credential opens an account: the session is signed in.
    SIGNED_IN = "signed_in"
    #: The credential is linked to no account: offer registration (or, in a
    #: signed-in session, linking it to the current account).
    NEW_CREDENTIAL = "new_credential"


@attrs.frozen(kw_only=True)
class StepUpPlan:
    """
    How to log in again strongly enough for an action (carried by :class:`StepUpRequired`).

    Attributes:
        provider: The provider to send the person to.
        level: The assurance needed.
        max_age: The most seconds since authentication, or ``None``.
    """

    provider: str
    level: AssuranceLevel
    max_age: int | None = None

    @classmethod
    def from_error(cls, error: StepUpRequired) -> StepUpPlan:
        """
        The plan a :class:`StepUpRequired` raised by ``require_assurance`` carries.
        """
        p = error.params
        max_age = int(p.get("max_age", -1))
        return cls(
            provider=str(p["provider"]),
            level=AssuranceLevel(int(p["level"])),
            max_age=None if max_age < 0 else max_age,
        )


@attrs.frozen(kw_only=True)
class LoginRedirect:
    """
    Where to send the browser to log in.

    Attributes:
        url: The provider's authorization URL (with PAR: only ``client_id`` and ``request_uri``).
        issued: A new pre-login session whose cookie the response must set, or
            ``None`` when the browser's existing session was used.
    """

    url: str = attrs.field(repr=False)
    issued: IssuedSession | None


@attrs.frozen(kw_only=True)
class LoginResult:
    """
    A completed login.

    Attributes:
        outcome: Signed in, or a new credential to register or link.
        issued: The new session (rotated: the old id no longer works); set its cookie.
        claims: The ID token's claims, and UserInfo's if fetched (personal data:
            hidden from ``repr``; use only to pre-fill registration).
    """

    outcome: LoginOutcome
    issued: IssuedSession
    claims: Mapping[str, Any] = attrs.field(repr=False)

    @property
    def session(self) -> Session:
        """
        The new session.
        """
        return self.issued.session


@attrs.frozen
class _TokenResponse:
    access_token: str = attrs.field(repr=False)
    id_token: str | None = attrs.field(repr=False)
    refresh_token: str | None = attrs.field(repr=False)


def add_query(url: str, params: Mapping[str, str]) -> str:
    """
    *url* with *params* added to its query, percent-encoded.
    """
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + sep + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def _original_claims(tokens: SessionTokens) -> IdTokenClaims:
    c = dict(tokens.id_claims)

    def ts(name: str) -> dt.datetime | None:
        v = c.get(name)
        return None if v is None else dt.datetime.fromtimestamp(v, dt.UTC)

    aud = c["aud"]
    exp, iat = ts("exp"), ts("iat")
    assert exp is not None
    assert iat is not None
    return IdTokenClaims(
        iss=c["iss"],
        sub=c["sub"],
        aud=(aud,) if isinstance(aud, str) else tuple(aud),
        azp=c.get("azp"),
        exp=exp,
        iat=iat,
        nbf=ts("nbf"),
        auth_time=ts("auth_time"),
        acr=c.get("acr"),
        amr=tuple(c.get("amr", ())),
        nonce=c.get("nonce"),
        sid=c.get("sid"),
        at_hash=c.get("at_hash"),
        alg=tokens.alg,
        claims=c,
    )


class Login:
    """
    The login component: starting and completing logins at providers, and
    refreshing their tokens. :class:`Identity` documents each operation.

    Args:
        context: The shared context.
        sessions: The session component.
    """

    def __init__(self, context: IdentityContext, sessions: SessionManager) -> None:
        self._ctx = context
        self._sessions = sessions
        self._transactions = Transactions(context)

    def start_login(
        self,
        cookie: str | None,
        provider: str,
        *,
        client_key: str,
        acr: AssuranceLevel | None = None,
        max_age: int | None = None,
        force_login: bool = False,
        step_up: StepUpPlan | None = None,
        login_hint: str | None = None,
        ui_locales: tuple[str, ...] = (),
    ) -> LoginRedirect:
        """
        See :meth:`Identity.start_login`.
        """
        if step_up is not None:
            provider, acr, max_age = step_up.provider, step_up.level, step_up.max_age
            force_login = force_login or max_age is not None
        try:
            self._ctx.rate_limits.login_start.check(client_key)
            p = self._ctx.providers.get(provider)
            md = p.metadata()
        except IdentityError as exc:
            # Discovery refused or unreachable (no common client authentication
            # method, no common algorithm, no DPoP where the portal asked for
            # it): the operator sees why, once, and but for rate limiting the
            # refusal is recorded once in the audit log, in a transaction of
            # its own (nothing else was written).
            self._refused_start(exc, provider if isinstance(provider, str) else None)
            raise
        cfg = p.config
        state, nonce = new_token(self._ctx.randomness), new_token(self._ctx.randomness)
        verifier = new_code_verifier(self._ctx.randomness)
        params = {
            # SEC-01: the code flow only.
            "response_type": "code",
            "client_id": cfg.client_id,
            "redirect_uri": cfg.redirect_uri,
            # SEC-21: exactly the configured minimum.
            "scope": " ".join(cfg.scopes),
            "state": state,
            "nonce": nonce,
            # SEC-02: S256 always, never plain.
            "code_challenge": code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        if acr is not None:
            params["acr_values"] = " ".join(cfg.acr_values_for(acr))
        if max_age is not None:
            params["max_age"] = str(int(max_age))
        if force_login:
            params["prompt"] = "login"
        if login_hint is not None:
            if not 1 <= len(login_hint) <= 255 or not login_hint.isprintable():
                raise ConfigurationError(reason="login_hint must be short printable text")
            params["login_hint"] = login_hint
        if ui_locales:
            # OIDC Core §3.1.2.1: space-separated BCP 47 language tags.
            if len(ui_locales) > 8 or not all(_LANGUAGE_TAG.fullmatch(t) for t in ui_locales):
                raise ConfigurationError(reason="ui_locales must be a few BCP 47 language tags")
            params["ui_locales"] = " ".join(ui_locales)
        if md.par_endpoint is not None:
            try:
                url = self._push(p, md.par_endpoint, md.authorization_endpoint, params)
            except IdentityError as exc:
                self._refused_start(exc, provider)
                raise
        else:
            url = add_query(md.authorization_endpoint, params)
        now = self._ctx.clock.now()
        with self._ctx.store.unit_of_work() as uow:
            self._transactions.purge(uow, now)
            row = self._sessions.live_row(uow, cookie)
            issued = None
            if row is None:
                issued = self._sessions.issue(uow, self._sessions.new_row_values(now))
                session_hash = id_hash(issued.cookie_value)
            else:
                session_hash = row["id_hash"]
            self._transactions.begin(
                uow,
                state=state,
                session_hash=session_hash,
                kind="login",
                provider=cfg,
                now=now,
                nonce=nonce,
                code_verifier=verifier,
                acr_level=None if acr is None else int(acr),
                max_age=max_age,
            )
            uow.commit()
        return LoginRedirect(url=url, issued=issued)

    def _refused_start(self, exc: IdentityError, provider: str | None) -> None:
        log_failure("login start", exc, provider=provider)
        if not isinstance(exc, RateLimited):
            self._record_refusal(self._ctx.refusal("login.refused", exc, provider=provider))

    def _push(self, p: Provider, par: str, authz: str, params: Mapping[str, str]) -> str:
        # RFC 9126 §2.1: push every parameter with client authentication; the
        # front channel then carries only client_id and request_uri (SEC-17).
        headers, form = client_auth(
            p.config, p.metadata(), now=self._ctx.clock.now(), randomness=self._ctx.randomness
        )
        r = self._ctx.providers.back_channel.request(
            "POST",
            par,
            provider=p.config.name,
            max_bytes=self._ctx.providers.back_channel.limits.max_response_bytes,
            data={**params, **form},
            headers=headers,
        )
        if r.status not in (200, 201):
            raise fail(ProviderUnavailable, "par.status", provider=p.config.name)
        body = r.json(ProviderMetadataInvalid, p.config.name)
        request_uri, expires_in = body.get("request_uri"), body.get("expires_in")
        if (
            not isinstance(request_uri, str)
            or not 1 <= len(request_uri) <= 512
            or not isinstance(expires_in, int)
            or isinstance(expires_in, bool)
            or expires_in <= 0
        ):
            raise fail(ProviderMetadataInvalid, "par.response", provider=p.config.name)
        return add_query(authz, {"client_id": p.config.client_id, "request_uri": request_uri})

    # --- callback ------------------------------------------------------------------------

    def complete_login(
        self, cookie: str | None, query: str | bytes, *, client_key: str
    ) -> LoginResult:
        """
        See :meth:`Identity.complete_login`.

        Every refusal is logged once at WARNING with its reason code and, but
        for rate limiting, recorded once in the audit log; with a transaction,
        that entry commits with the transaction's deletion (SEC-03).
        """
        try:
            self._ctx.rate_limits.callback.check(client_key)
            cb = parse_callback(query)
            state_hash = id_hash(cb.state)
            tx = self._transactions.peek(cookie, state_hash, "login")
        except IdentityError as exc:
            log_failure("login", exc)
            if not isinstance(exc, RateLimited):
                self._record_refusal(self._ctx.refusal("login.refused", exc, provider=None))
            raise
        provider = tx["provider"]
        try:
            return self._complete_tx(cookie, cb, tx, state_hash)
        except IdentityError as exc:
            # SEC-03: whatever failed, this state is used up, and the refusal
            # is recorded in that same commit. (On success the transaction
            # was deleted in the same commit as the new session.)
            entry = self._ctx.refusal("login.refused", exc, provider=provider)
            self._transactions.drop(state_hash, entry)
            log_failure("login", exc, provider=provider)
            raise
        except BaseException:
            self._transactions.drop(state_hash)
            raise

    def _complete_tx(
        self, cookie: str | None, cb: CallbackParams, tx: Mapping[str, Any], state_hash: bytes
    ) -> LoginResult:
        p = self._ctx.providers.get(tx["provider"])
        md = p.metadata()
        # RFC 9207 §2.4: "Clients MUST compare the iss parameter value to the issuer
        # value of the authorization server" with a simple string comparison, for
        # errors too; if the metadata says the parameter is supported, "the client
        # MUST reject authorization responses that do not contain it" (SEC-05).
        if cb.iss is None:
            if md.iss_parameter_supported:
                raise fail(InvalidCallback, "iss.missing")
        elif not equal(cb.iss.encode(), tx["issuer"].encode()):
            raise fail(InvalidCallback, "iss.mismatch")
        if cb.error is not None:
            raise fail(InvalidCallback, "provider_error", error=cb.error)
        assert cb.code is not None
        cfg = p.config
        # RFC 9449: a fresh key for this session, used for every proof of its
        # tokens' life; sealed with them, never logged, never in a cookie.
        dpop = None if md.dpop_algorithm is None else DpopKey.generate(md.dpop_algorithm)
        tokens = self._token_request(
            p,
            {
                "grant_type": "authorization_code",
                "code": cb.code,
                "redirect_uri": cfg.redirect_uri,
                "code_verifier": tx["code_verifier"],
            },
            dpop,
        )
        if tokens.id_token is None:
            # OIDC Core §3.1.3.3: the response MUST contain an ID token (SEC-14;
            # authlib silently skips validation when it is missing).
            raise fail(InvalidToken, "id_token.missing")
        level = None if tx["acr_level"] is None else AssuranceLevel(tx["acr_level"])
        claims = validate_id_token(
            tokens.id_token,
            keys=p.keys,
            issuer=cfg.issuer,
            client_id=cfg.client_id,
            nonce=tx["nonce"],
            now=self._ctx.clock.now(),
            algorithms=_asymmetric(md.id_token_algorithms),
            leeway=cfg.leeway,
            max_age=tx["max_age"],
            acr_values=None if level is None else cfg.acr_values_for(level),
            access_token=tokens.access_token,
            hmac_key=_hmac_key(p, md),
        )
        everything = dict(claims.claims)
        if cfg.fetch_userinfo and md.userinfo_endpoint is not None:
            everything.update(
                self._userinfo(p, md.userinfo_endpoint, tokens.access_token, claims.sub, dpop)
            )
        assurance = cfg.assurance_of(claims.acr)
        if level is not None and assurance < level:
            raise fail(InvalidToken, "acr.level")
        kept = SessionTokens(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            id_token=tokens.id_token,
            id_claims=dict(claims.claims),
            alg=claims.alg,
            provider=cfg.name,
            token_type="DPoP" if dpop is not None else "Bearer",
            dpop_key=None if dpop is None else dpop.to_json(),
        )
        return self._establish(cookie, state_hash, p, claims, assurance, kept, everything)

    def _post_token(
        self, p: Provider, md: ProviderMetadata, grant: Mapping[str, str], dpop: DpopKey | None
    ) -> Response:
        channel = self._ctx.providers.back_channel
        url = md.token_endpoint
        # RFC 9449 §8: on a use_dpop_nonce error, retry once with the
        # server's nonce (a fresh client assertion and proof: new jti).
        for attempt in (1, 2):
            now = self._ctx.clock.now()
            headers, form = client_auth(p.config, md, now=now, randomness=self._ctx.randomness)
            if dpop is not None:
                headers["DPoP"] = dpop_proof(
                    dpop,
                    method="POST",
                    url=url,
                    now=now,
                    randomness=self._ctx.randomness,
                    nonce=p.dpop_nonces.get(url),
                )
            r = channel.request(
                "POST",
                url,
                provider=p.config.name,
                max_bytes=channel.limits.max_response_bytes,
                data={**grant, **form},
                headers=headers,
            )
            if dpop is None:
                return r
            p.dpop_nonces.remember(url, r)
            if attempt == 2 or nonce_challenge(r) is None:
                return r
        raise AssertionError("unreachable")  # pragma: no cover

    def _token_request(
        self, p: Provider, grant: Mapping[str, str], dpop: DpopKey | None = None
    ) -> _TokenResponse:
        name = p.config.name
        r = self._post_token(p, p.metadata(), grant, dpop)
        if r.status != 200:
            if r.status in (400, 401):
                body = (
                    r.json(ProviderUnavailable, name) if r.media_type == "application/json" else {}
                )
                error = body.get("error")
                code = error if isinstance(error, str) and error in _TOKEN_ERRORS else "unknown"
                raise fail(InvalidCallback, f"token.error.{code}", error=code)
            raise fail(ProviderUnavailable, "token.status", provider=name)
        body = r.json(InvalidToken, "token_response")
        access, token_type = body.get("access_token"), body.get("token_type")
        id_token, refresh = body.get("id_token"), body.get("refresh_token")
        # RFC 6749 §5.1: access_token and token_type are REQUIRED. RFC 9449 §5:
        # a DPoP-bound token is of type DPoP. We take exactly the type we asked
        # for: DPoP only when DPoP is on (then never an unbound Bearer token),
        # Bearer otherwise (a DPoP-bound token we hold no key for is useless).
        expected = "bearer" if dpop is None else "dpop"
        if not isinstance(access, str) or not access or len(access) > 16 * 1024:
            raise fail(InvalidToken, "token_response.access_token")
        if not isinstance(token_type, str) or token_type.lower() != expected:
            raise fail(InvalidToken, "token_response.token_type")
        if id_token is not None and not isinstance(id_token, str):
            raise fail(InvalidToken, "token_response.id_token")
        if refresh is not None and (not isinstance(refresh, str) or len(refresh) > 16 * 1024):
            raise fail(InvalidToken, "token_response.refresh_token")
        return _TokenResponse(access, id_token, refresh)

    def _userinfo(
        self, p: Provider, url: str, access_token: str, sub: str, dpop: DpopKey | None = None
    ) -> dict[str, Any]:
        channel = self._ctx.providers.back_channel
        # RFC 9449 §7.1: a DPoP-bound token goes with "Authorization: DPoP"
        # and a proof carrying ath; §9: retry once on a nonce challenge.
        for attempt in (1, 2):
            if dpop is None:
                headers = {"Authorization": f"Bearer {access_token}"}
            else:
                headers = {
                    "Authorization": f"DPoP {access_token}",
                    "DPoP": dpop_proof(
                        dpop,
                        method="GET",
                        url=url,
                        now=self._ctx.clock.now(),
                        randomness=self._ctx.randomness,
                        nonce=p.dpop_nonces.get(url),
                        access_token=access_token,
                    ),
                }
            r = channel.request(
                "GET",
                url,
                provider=p.config.name,
                max_bytes=channel.limits.max_response_bytes,
                headers=headers,
            )
            if dpop is None:
                break
            p.dpop_nonces.remember(url, r)
            if attempt == 2 or nonce_challenge(r) is None:
                break
        if r.status != 200:
            raise fail(ProviderUnavailable, "userinfo.status", provider=p.config.name)
        info = r.json(InvalidToken, "userinfo")
        # OIDC Core §5.3.2: "The sub Claim in the UserInfo Response MUST be verified
        # to exactly match the sub Claim in the ID Token; if they do not match, the
        # UserInfo Response values MUST NOT be used." (SEC-13)
        got = info.get("sub")
        if not isinstance(got, str) or not equal(got.encode(), sub.encode()):
            raise fail(InvalidToken, "userinfo.sub")
        return info

    def _establish(
        self,
        cookie: str | None,
        state_hash: bytes,
        p: Provider,
        claims: IdTokenClaims,
        assurance: AssuranceLevel,
        tokens: SessionTokens,
        everything: Mapping[str, Any],
    ) -> LoginResult:
        now = self._ctx.clock.now()
        cfg = p.config
        login = {
            "provider": cfg.name,
            "issuer": cfg.issuer,
            "subject": claims.sub,
            "provider_sid": claims.sid,
            "assurance": int(assurance),
            "auth_time": claims.auth_time,
            "authenticated_at": now,
        }
        with self._ctx.store.unit_of_work() as uow:
            # SEC-03: the transaction goes in this same commit; a concurrent
            # replay of the state that got here first leaves nothing to claim.
            self._transactions.claim(uow, state_hash)
            # SEC-11: the account key is (issuer, subject), never an email. One
            # read finds the account and primes the key that seals the tokens.
            signed_in = uow.credentials.sign_in(cfg.issuer, claims.sub, at=now, assurance=assurance)
            if signed_in is not None:
                account_id = signed_in.account_id
                if not signed_in.active:
                    raise for_account(fail(InvalidCallback, "account.disabled"), account_id)
                values = self._sessions.new_row_values(
                    now,
                    state=SessionState.AUTHENTICATED.value,
                    account_id=account_id,
                    tokens=tokens,
                    **login,
                )
                # SEC-34: the pre-login id never becomes the signed-in id;
                # the old session becomes the new one under a fresh id.
                issued = self._sessions.reissue(uow, cookie, values)
                if self._ctx.audit is not None:
                    self._ctx.record(uow, _login_entry(now, account_id, cfg.name, assurance))
                outcome = LoginOutcome.SIGNED_IN
            else:
                # SEC-34: the pre-login id never becomes the signed-in id.
                old = self._sessions.take_live_row(uow, cookie)
                pending = {
                    "pending_provider": cfg.name,
                    "pending_issuer": cfg.issuer,
                    "pending_subject": claims.sub,
                    "pending_sid": claims.sid,
                    "pending_assurance": int(assurance),
                    "pending_at": now,
                }
                if old is not None and old["state"] == SessionState.AUTHENTICATED.value:
                    # Linking: the account's login stays, beside the new credential.
                    keep = {k: v for k, v in old.items() if k not in ("id_hash", "tokens_ct")}
                    keep.update(pending, last_seen_at=now)
                    tokens_old = self._sessions.tokens(uow, old)
                    if tokens_old is not None:
                        keep["tokens"] = tokens_old
                    issued = self._sessions.issue(uow, keep)
                else:
                    # A first login keeps its tokens (sealed under the
                    # session's own key until registration gives it an
                    # account), so refresh and logout work at any age.
                    values = self._sessions.new_row_values(
                        now, state=SessionState.PENDING.value, tokens=tokens, **pending
                    )
                    issued = self._sessions.issue(uow, values)
                outcome = LoginOutcome.NEW_CREDENTIAL
            uow.commit()
        return LoginResult(outcome=outcome, issued=issued, claims=everything)

    # --- refresh -------------------------------------------------------------------------

    def refresh(self, cookie: str | None) -> Session:
        """
        See :meth:`Identity.refresh`.

        A refusal by the provider or of its answer is logged once at WARNING
        and recorded once in the audit log; the session keeps its tokens.
        """
        with self._ctx.store.unit_of_work(write=False) as uow:
            row = self._sessions.require_row(uow, cookie)
            tokens = self._sessions.tokens(uow, row)
        if tokens is None or tokens.refresh_token is None:
            raise SessionExpired()
        name = tokens_provider(tokens, row)
        try:
            return self._refresh(cookie, row, tokens, name)
        except SessionExpired:
            raise
        except IdentityError as exc:
            log_failure("refresh", exc, provider=name)
            entry = self._ctx.refusal(
                "session.refresh.refused", exc, provider=name, account_id=row["account_id"]
            )
            self._record_refusal(entry)
            raise

    def _record_refusal(self, entry: AuditEntry) -> None:
        # The refusal the caller is about to raise must not be replaced by a
        # failure to record it: that is logged instead.
        try:
            self._ctx.record_now(entry)
        except IrccAccountError:
            _log.warning("a refused %s could not be recorded in the audit log", entry.action)

    def _refresh(
        self, cookie: str | None, row: Mapping[str, Any], tokens: SessionTokens, name: str
    ) -> Session:
        assert tokens.refresh_token is not None
        p = self._ctx.providers.get(name)
        md = p.metadata()
        dpop = None
        if md.dpop_algorithm is not None:
            # The session's own key: the new access token is bound to it too.
            # (A session from before DPoP was turned on gets one now.)
            dpop = (
                DpopKey.from_json(tokens.dpop_key)
                if tokens.dpop_key is not None
                else DpopKey.generate(md.dpop_algorithm)
            )
        got = self._token_request(
            p, {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}, dpop
        )
        id_token, id_claims, alg = tokens.id_token, tokens.id_claims, tokens.alg
        if got.id_token is not None:
            new = validate_refreshed_id_token(
                got.id_token,
                _original_claims(tokens),
                keys=p.keys,
                issuer=p.config.issuer,
                client_id=p.config.client_id,
                now=self._ctx.clock.now(),
                algorithms=_asymmetric(md.id_token_algorithms),
                leeway=p.config.leeway,
                access_token=got.access_token,
                hmac_key=_hmac_key(p, md),
            )
            id_token, alg = got.id_token, new.alg
        fresh = SessionTokens(
            access_token=got.access_token,
            refresh_token=got.refresh_token or tokens.refresh_token,
            id_token=id_token,
            id_claims=id_claims,
            alg=alg,
            provider=p.config.name,
            token_type="DPoP" if dpop is not None else "Bearer",
            dpop_key=None if dpop is None else dpop.to_json(),
        )
        with self._ctx.store.unit_of_work() as uow:
            current = self._sessions.require_row(uow, cookie)
            if current["account_id"] != row["account_id"]:
                raise SessionExpired()
            self._sessions.replace_tokens(uow, current, fresh)
            uow.commit()
        return session_from_row(current)


def _asymmetric(algorithms: frozenset[str]) -> frozenset[str]:
    # The allowlist verify_jws takes is asymmetric only; HMAC goes through the
    # HmacKey (empty is allowed only with one).
    return algorithms - HMAC_ALGORITHMS


def _hmac_key(p: Provider, md: ProviderMetadata) -> HmacKey | None:
    # The HMAC opt-in applies only to the algorithms discovery left in.
    algs = md.id_token_algorithms & HMAC_ALGORITHMS
    secret = p.config.client_secret
    return None if not algs or secret is None else HmacKey(secret.secret, algs)


def _login_entry(
    now: dt.datetime, account_id: str, provider: str, assurance: AssuranceLevel
) -> AuditEntry:
    return AuditEntry(
        occurred_at=now,
        actor_id=account_id,
        client_id=account_id,
        capacity=Capacity.CLIENT,
        action="login.success",
        decision=Decision.ALLOWED,
        reason=f"provider {provider} assurance {int(assurance)}",
    )
