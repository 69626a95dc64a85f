"""
The development OpenID provider: endpoints as plain functions, plus logout fan-out.

Each endpoint takes a framework-neutral :class:`~._server.Request` and returns
an :class:`~._server.HttpResult`; :mod:`._app` turns them into Starlette.
"""

from __future__ import annotations

import base64
import secrets
import socket
import ssl
import urllib.parse
from typing import Any

import attrs
import httpx
from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from joserfc import jwt
from joserfc.errors import JoseError

from ircc_account._clock import Clock, SystemClock
from ircc_account.devidp._app import build_app
from ircc_account.devidp._config import DevClient, DevProviderConfig, DevUser
from ircc_account.devidp._dpop import DPOP_ALGORITHMS, DpopError, DpopVerifier
from ircc_account.devidp._keys import ALGORITHMS, SigningKeys
from ircc_account.devidp._pages import error_page, login_page, signed_out_page
from ircc_account.devidp._runner import RunningServer
from ircc_account.devidp._server import (
    SCOPES,
    TOKEN_AUTH_METHODS,
    DevAuthorizationServer,
    HttpResult,
    Request,
    user_claims,
)
from ircc_account.devidp._store import ParRequest, ProviderSession, ProviderStore
from ircc_account.errors import ConfigurationError

__all__ = ["DevelopmentProvider", "LogoutDelivery"]

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
CLAIMS = (
    *("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid"),
    *("email", "email_verified", "given_name", "family_name", "name", "preferred_username"),
)
_CLIENT_CREDENTIALS = ("client_secret", "client_assertion", "client_assertion_type")
_HTML = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]


@attrs.frozen
class LogoutDelivery:
    """
    The outcome of one back-channel logout POST.

    Attributes:
        client_id: The client that was told.
        uri: Its ``backchannel_logout_uri``.
        status_code: The HTTP status it answered, or ``None`` if unreachable.

    .. versionadded:: 0.1
    """

    client_id: str
    uri: str
    status_code: int | None


class DevelopmentProvider:
    """
    An OpenID provider for tests and the demo; refuses to run unless told it is development.

    Args:
        config: The provider configuration; ``development_mode`` must be ``True``.
        clock: The time source for token lifetimes (the real clock by default).
        http_client: The client that POSTs back-channel logout tokens; give
            one that trusts your test CA. By default a client with system
            trust is made, and closed by :meth:`close`.

    Raises:
        ConfigurationError: ``development_mode`` is not ``True``, or the
            configuration is inconsistent.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        config: DevProviderConfig,
        *,
        clock: Clock | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        # A provider that signs in anyone who clicks a button must never be
        # mistaken for a real one: starting it is an explicit decision.
        if config.development_mode is not True:
            raise ConfigurationError(reason="development provider needs development_mode=True")
        _check_config(config)
        self.config = config
        self._clock = clock or SystemClock()
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=5.0)
        self._issuer = config.issuer.rstrip("/") if config.issuer else None
        self._clients = {c.client_id: c for c in config.clients}
        self._users = {u.username: u for u in config.users}
        self.keys = SigningKeys()
        self.store = ProviderStore(self._clock)
        self.dpop = DpopVerifier(self._clock, require_nonce=config.dpop_nonce)
        self.server = DevAuthorizationServer(
            config, self.store, self.keys, self._clock, self.issuer
        )
        self._app: Any = None

    # --- identity and lifecycle ----------------------------------------------

    def issuer(self) -> str:
        """
        The issuer URL: from the configuration, or the URL :meth:`serve` bound.

        Raises:
            ConfigurationError: The configuration has no issuer and the
                provider is not served yet.
        """
        if self._issuer is None:
            raise ConfigurationError(reason="the development provider has no issuer until served")
        return self._issuer

    @property
    def app(self) -> Any:
        """The Starlette ASGI application (built on first use)."""
        if self._app is None:
            self._app = build_app(self)
        return self._app

    def serve(
        self, host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None
    ) -> RunningServer:
        """
        Run the provider with uvicorn in a background thread.

        The socket is bound first, so with ``issuer=None`` the issuer is the
        bound URL (``https://127.0.0.1:<port>`` with an SSL context).

        Args:
            host: The address to bind.
            port: The port, or 0 for any free port.
            ssl_context: A server-side context for HTTPS, or ``None`` for HTTP.

        Returns:
            The running server; stop it with ``.stop()`` or a ``with`` block.

        Raises:
            ConfigurationError: The provider is already bound to another URL.
        """
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        bound_port = sock.getsockname()[1]
        shown_host = f"[{host}]" if family == socket.AF_INET6 else host
        url = f"{'https' if ssl_context else 'http'}://{shown_host}:{bound_port}"
        if self.config.issuer is None:
            if self._issuer not in (None, url):
                sock.close()
                raise ConfigurationError(reason="the development provider is already served")
            self._issuer = url
        return RunningServer.start(self.app, sock, url, ssl_context)

    def close(self) -> None:
        """Close the back-channel HTTP client if the provider made it."""
        if self._owns_http:
            self._http.close()

    def rotate_keys(self) -> None:
        """Sign with new keys from now on; the JWKS keeps the old ones for verification."""
        self.keys.rotate()

    # --- endpoints -----------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        """The OpenID Connect Discovery 1.0 document."""
        iss = self.issuer()
        return {
            "issuer": iss,
            "authorization_endpoint": f"{iss}/authorize",
            "pushed_authorization_request_endpoint": f"{iss}/par",
            "token_endpoint": f"{iss}/token",
            "userinfo_endpoint": f"{iss}/userinfo",
            "jwks_uri": f"{iss}/jwks",
            "end_session_endpoint": f"{iss}/logout",
            "revocation_endpoint": f"{iss}/revoke",
            "revocation_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
            "dpop_signing_alg_values_supported": list(DPOP_ALGORITHMS),
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": list(ALGORITHMS),
            "token_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
            "token_endpoint_auth_signing_alg_values_supported": [
                "RS256",
                "PS256",
                "ES256",
                "EdDSA",
            ],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": list(self.config.acr_values),
            "claims_supported": list(CLAIMS),
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "require_pushed_authorization_requests": False,
            "authorization_response_iss_parameter_supported": True,
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
            "frontchannel_logout_supported": False,
        }

    def authorize(self, request: Request) -> HttpResult:
        """
        The authorization endpoint: a user picker, or straight to a code with ``login_hint``.

        Args:
            request: The GET (from the RP) or POST (from the user picker).
        """
        data = request.payload.data
        if "request_uri" in data:
            pushed = self.store.pop_par(data["request_uri"])
            # RFC 9126 §4: the request_uri is bound to the client that pushed it.
            if pushed is None or pushed.client_id != data.get("client_id"):
                return HttpResult(400, error_page("invalid_request_uri", "unknown or used"), _HTML)
            request = Request(
                "GET", request.uri, request.headers, query=list(pushed.params.items())
            )
            data = request.payload.data
        try:
            grant = self.server.get_consent_grant(request)
        except OAuth2Error as error:
            return self._authorization_error(request, error)
        username = request.form.get("username") or data.get("login_hint")
        if not username:
            params = [(k, v) for k, v in data.items() if k != "login_hint"]
            page = login_page(params, self.config.users, self.config.acr_values)
            return HttpResult(200, page, _HTML)
        user = self._users.get(username)
        if user is None:
            return self._denied(request, grant.redirect_uri, "unknown test user")
        acr = self._pick_acr(user, request.form.get("acr"), data.get("acr_values"))
        session = ProviderSession(
            sid=secrets.token_urlsafe(16),
            user=user,
            auth_time=int(self._clock.now().timestamp()),
            acr=acr,
            amr=("pwd",),
        )
        self.store.add_session(session)
        request.dev_session = session
        result: HttpResult = self.server.create_authorization_response(
            request, grant_user=user, grant=grant
        )
        return result

    def pushed_authorization_request(self, request: Request) -> HttpResult:
        """
        The PAR endpoint (RFC 9126): authenticate, check and store; answer a ``request_uri``.

        Args:
            request: The client's POST.
        """
        try:
            client = self.server.authenticate_client(request, TOKEN_AUTH_METHODS, endpoint="par")
            data = request.payload.data
            # RFC 9126 §2.1: "The request_uri authorization request parameter
            # is one exception, and it MUST NOT be provided."
            if "request_uri" in data:
                raise OAuth2Error(error="invalid_request", description="request_uri not allowed")
            params = {k: v for k, v in data.items() if k not in _CLIENT_CREDENTIALS}
            params["client_id"] = client.get_client_id()
            self.server.get_consent_grant(Request("GET", request.uri, {}, list(params.items())))
        except OAuth2Error as error:
            body = {"error": error.error, "error_description": error.description or ""}
            return HttpResult(error.status_code or 400, body, [("Cache-Control", "no-store")])
        request_uri = f"urn:ietf:params:oauth:request_uri:{secrets.token_urlsafe(24)}"
        lifetime = self.config.par_lifetime
        self.store.add_par(
            request_uri, ParRequest(params["client_id"], params, self._clock.now() + lifetime)
        )
        body = {"request_uri": request_uri, "expires_in": int(lifetime.total_seconds())}
        return HttpResult(201, body, [("Cache-Control", "no-store")])

    def token(self, request: Request) -> HttpResult:
        """
        The token endpoint: authorization_code (with PKCE) and refresh_token grants.

        With a ``DPoP`` proof (required of a client registered with
        ``dpop_bound_access_tokens``), the proof is checked before the grant
        and the access token is bound to its key: ``token_type`` ``DPoP``
        (RFC 9449 §5).

        Args:
            request: The client's POST.
        """
        proof = request.headers.get("dpop")
        client = self._clients.get(self._client_id(request) or "")
        if proof is not None or (client is not None and client.dpop_bound_access_tokens):
            try:
                request.dpop_jkt = self.dpop.check(
                    proof, method="POST", url=f"{self.issuer()}/token"
                )
            except DpopError as error:
                return _dpop_refusal(error, resource=False)
        result: HttpResult = self.server.create_token_response(request)
        if request.dpop_jkt is not None and result.status == 200 and isinstance(result.body, dict):
            # RFC 9449 §5: the bound token's type (S105 takes it for a password).
            result.body["token_type"] = "DPoP"  # noqa: S105
        return result

    def revoke(self, request: Request) -> HttpResult:
        """
        The revocation endpoint (RFC 7009), for an authenticated client's own tokens.

        Args:
            request: The client's POST with ``token`` and ``token_type_hint``.
        """
        result: HttpResult = self.server.create_endpoint_response("revocation", request)
        return result

    def userinfo(self, request: Request) -> HttpResult:
        """
        The UserInfo endpoint (OpenID Connect Core §5.3).

        A Bearer token with ``Authorization: Bearer``; a DPoP-bound one only
        with ``Authorization: DPoP`` and a proof by its key, with ``ath``
        (RFC 9449 §7.1).

        Args:
            request: The GET or POST with ``Authorization``.
        """
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        scheme = scheme.lower()
        token = self.store.find_access_token(value) if scheme in ("bearer", "dpop") else None
        if token is None or (token.jkt is None) != (scheme == "bearer"):
            name = "DPoP" if token is not None and token.jkt is not None else "Bearer"
            challenge = [("WWW-Authenticate", f'{name} error="invalid_token"')]
            return HttpResult(401, {"error": "invalid_token"}, challenge)
        if token.jkt is not None:
            try:
                jkt = self.dpop.check(
                    request.headers.get("dpop"),
                    method=request.method,
                    url=f"{self.issuer()}/userinfo",
                    access_token=value,
                )
            except DpopError as error:
                return _dpop_refusal(error, resource=True)
            if jkt != token.jkt:
                challenge = [("WWW-Authenticate", 'DPoP error="invalid_token"')]
                return HttpResult(401, {"error": "invalid_token"}, challenge)
        return HttpResult(200, user_claims(token.session.user, token.scope), [])

    def logout(self, request: Request) -> HttpResult:
        """
        RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2).

        Args:
            request: The GET or POST with ``id_token_hint``,
                ``post_logout_redirect_uri``, ``state``, ``client_id``.
        """
        data = request.payload.data
        claims: dict[str, Any] = {}
        if hint := data.get("id_token_hint"):
            try:
                decoded = jwt.decode(
                    hint, self.keys.verification_keys(), algorithms=list(ALGORITHMS)
                )
            except (JoseError, ValueError):
                return HttpResult(400, error_page("invalid_request", "bad id_token_hint"), _HTML)
            claims = dict(decoded.claims)
            # §2: the OP "SHOULD accept ID Tokens when the RP identified by the
            # ID Token's aud claim and/or sid claim has a current session or
            # had a recent session", so an expired hint is fine, a foreign one is not.
            if claims.get("iss") != self.issuer():
                return HttpResult(400, error_page("invalid_request", "bad id_token_hint"), _HTML)
        client_id = data.get("client_id") or claims.get("aud")
        if claims and client_id != claims.get("aud"):
            return HttpResult(400, error_page("invalid_request", "client_id mismatch"), _HTML)
        target = data.get("post_logout_redirect_uri")
        client = self._clients.get(client_id) if isinstance(client_id, str) else None
        if target and (client is None or target not in client.post_logout_redirect_uris):
            # §3: the URI "MUST have been previously registered with the OP".
            return HttpResult(400, error_page("invalid_request", "unregistered return URI"), _HTML)
        if isinstance(claims.get("sid"), str):
            self.end_session(claims["sid"])
        elif isinstance(claims.get("sub"), str):
            self.logout_user(claims["sub"])
        if target:
            state = data.get("state")
            return HttpResult(
                302,
                "",
                [("Location", add_params_to_uri(target, {"state": state} if state else {}))],
            )
        return HttpResult(200, signed_out_page(), _HTML)

    # --- logout fan-out --------------------------------------------------------

    def logout_user(self, subject: str) -> tuple[LogoutDelivery, ...]:
        """
        End every session of the user with this ``sub``, telling each client.

        Args:
            subject: The user's ``sub``.

        Returns:
            One delivery per back-channel POST attempted.
        """
        deliveries: list[LogoutDelivery] = []
        for session in self.store.sessions_of(subject):
            deliveries.extend(self.end_session(session.sid))
        return tuple(deliveries)

    def end_session(self, sid: str) -> tuple[LogoutDelivery, ...]:
        """
        End one session and POST a logout token to each client that used it.

        A client that fails to answer does not stop the others: Back-Channel
        Logout 1.0 §2.7 leaves retries to the OP, and a test sees the outcome.

        Args:
            sid: The session id (the ``sid`` claim).

        Returns:
            One delivery per client with a ``backchannel_logout_uri``.
        """
        session = self.store.pop_session(sid)
        if session is None:
            return ()
        deliveries = []
        for client_id in sorted(session.client_ids):
            client = self._clients[client_id]
            if client.backchannel_logout_uri is None:
                continue
            token = self.logout_token(client, session)
            try:
                response = self._http.post(
                    client.backchannel_logout_uri, data={"logout_token": token}
                )
                status: int | None = response.status_code
            except httpx.HTTPError:
                status = None
            deliveries.append(LogoutDelivery(client_id, client.backchannel_logout_uri, status))
        return tuple(deliveries)

    def logout_token(self, client: DevClient, session: ProviderSession) -> str:
        """
        A signed logout token for *client* about *session* (Back-Channel Logout 1.0 §2.4).

        Args:
            client: The audience.
            session: The session that ended.
        """
        now = int(self._clock.now().timestamp())
        alg = client.id_token_signed_response_alg
        key = self.keys.signing_key(alg)
        claims = {
            "iss": self.issuer(),
            "aud": client.client_id,
            "iat": now,
            "exp": now + int(self.config.logout_token_lifetime.total_seconds()),
            "jti": secrets.token_urlsafe(16),
            "sub": session.user.subject,
            "sid": session.sid,
            # §2.4: events holds the back-channel logout member with an empty
            # object; a nonce "is PROHIBITED".
            "events": {BACKCHANNEL_EVENT: {}},
        }
        # §2.4 recommends explicit typing, "logout+jwt", so a logout token can
        # never pass as an ID token.
        header = {"alg": alg, "kid": key.kid, "typ": "logout+jwt"}
        return jwt.encode(header, claims, key, algorithms=[alg])

    # --- helpers ---------------------------------------------------------------

    @staticmethod
    def _client_id(request: Request) -> str | None:
        # The client named in the form (private_key_jwt, client_secret_post)
        # or in Basic authentication; authlib authenticates it afterwards.
        client_id = request.payload.data.get("client_id")
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if client_id is None and scheme.lower() == "basic":
            try:
                user = base64.b64decode(value).decode("utf-8").partition(":")[0]
            except ValueError:
                return None
            client_id = urllib.parse.unquote_plus(user)
        return client_id

    def _pick_acr(self, user: DevUser, chosen: str | None, requested: str | None) -> str:
        offered = self.config.acr_values
        if chosen and chosen in offered:
            return chosen
        # OpenID Connect Core §3.1.2.1: acr_values lists values "in order of
        # preference"; the first one offered wins.
        for value in (requested or "").split():
            if value in offered:
                return value
        return user.acr

    def _authorization_error(self, request: Request, error: OAuth2Error) -> HttpResult:
        if not error.redirect_uri:
            # RFC 6749 §4.1.2.1: without a verified redirect URI the error is
            # shown to the user, never redirected.
            return HttpResult(400, error_page(error.error, error.description or ""), _HTML)
        error.state = request.payload.data.get("state")
        result: HttpResult = self.server.handle_error_response(request, error)
        return self._with_iss(result)

    def _denied(self, request: Request, redirect_uri: str, description: str) -> HttpResult:
        params = {"error": "access_denied", "error_description": description}
        if state := request.payload.data.get("state"):
            params["state"] = state
        return self._with_iss(
            HttpResult(302, "", [("Location", add_params_to_uri(redirect_uri, params))])
        )

    def _with_iss(self, result: HttpResult) -> HttpResult:
        # RFC 9207 §2: "including error responses"; authlib's hook adds iss to
        # success responses only.
        if result.location and "iss=" not in result.location:
            result.location = add_params_to_uri(result.location, {"iss": self.issuer()})
        return result

    def __repr__(self) -> str:
        return f"DevelopmentProvider(issuer={self._issuer!r})"


def _dpop_refusal(error: DpopError, *, resource: bool) -> HttpResult:
    # RFC 9449 §7.1 (resource: 401 with a DPoP challenge) and §5 (token
    # endpoint: 400 with the error); a nonce demand carries the nonce (§8, §9).
    headers = [("Cache-Control", "no-store")]
    if error.nonce is not None:
        headers.append(("DPoP-Nonce", error.nonce))
    if resource:
        headers.append(("WWW-Authenticate", f'DPoP error="{error.error}"'))
        return HttpResult(401, {"error": error.error}, headers)
    return HttpResult(400, {"error": error.error}, headers)


def _check_config(config: DevProviderConfig) -> None:
    ids = [c.client_id for c in config.clients]
    names = [u.username for u in config.users]
    if len(set(ids)) != len(ids) or len(set(names)) != len(names):
        raise ConfigurationError(reason="client ids and usernames must be unique")
    for client in config.clients:
        uses_keys = client.token_endpoint_auth_method == "private_key_jwt"  # noqa: S105 - a method name.
        if uses_keys and not client.jwks:
            raise ConfigurationError(reason=f"client {client.client_id} needs jwks")
        if not uses_keys and not client.client_secret:
            raise ConfigurationError(reason=f"client {client.client_id} needs a client_secret")
    for user in config.users:
        if user.acr not in config.acr_values:
            raise ConfigurationError(reason=f"user {user.username} has an unknown acr")
