"""
The authlib authorization server behind the development provider.

authlib supplies the protocol (RFC 6749 code and refresh grants, RFC 7636
PKCE, RFC 7523 client assertions, RFC 9207 ``iss``, OpenID Connect ID
tokens); this module supplies the models, the storage hooks and a framework
neutral request/response pair that :mod:`._app` adapts to Starlette.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import attrs
from authlib.common.security import generate_token
from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin, InvalidClientError, InvalidRequestError, grants
from authlib.oauth2.rfc6749.requests import OAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import OpenIDCode, UserInfo
from joserfc.jwk import KeySet

from ircc_account._clock import Clock
from ircc_account.devidp._config import DevClient, DevProviderConfig, DevUser
from ircc_account.devidp._keys import SigningKeys
from ircc_account.devidp._store import Code, ProviderSession, ProviderStore, Token

__all__ = ["SCOPES", "DevAuthorizationServer", "HttpResult", "Request", "user_claims"]

SCOPES = ("openid", "profile", "email", "offline_access")
TOKEN_AUTH_METHODS = ["private_key_jwt", "client_secret_basic", "client_secret_post"]
# RFC 7523 §3 lets the server bound an assertion's lifetime; five minutes is ample.
MAX_ASSERTION_LIFETIME = 300


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self._datalist: dict[str, list[str]] = {}
        for key, value in items:
            self._datalist.setdefault(key, []).append(value)
        # The first value wins; authlib's own checks reject repeats where they matter.
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class _Headers(dict[str, str]):
    # HTTP header names are case-insensitive (RFC 9110 §5.1); authlib asks
    # for "Authorization" while ASGI servers hand over lower-case names.
    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__((k.lower(), v) for k, v in headers.items())

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


class Request(OAuth2Request):  # type: ignore[misc]
    """
    A framework-neutral HTTP request, in the shape authlib's grants read.

    Args:
        method: The HTTP method.
        uri: The full request URI.
        headers: The request headers.
        query: The query parameters, in order, repeats kept.
        form: The form body parameters, in order, repeats kept.
    """

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        query: Sequence[tuple[str, str]] = (),
        form: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(method, uri, headers=_Headers(headers))
        self._args = dict(query)
        self._form = dict(form)
        self.payload = _Payload([*query, *form])
        self.dev_session: ProviderSession | None = None
        #: The thumbprint of the request's checked DPoP proof key, if it had one.
        self.dpop_jkt: str | None = None

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


@attrs.define
class HttpResult:
    """
    A framework-neutral response; ``location`` is what authlib's RFC 9207 hook edits.
    """

    status: int
    body: Any
    headers: list[tuple[str, str]]

    @property
    def location(self) -> str | None:
        for name, value in self.headers:
            if name.lower() == "location":
                return value
        return None

    @location.setter
    def location(self, value: str) -> None:
        self.headers = [(n, v) for n, v in self.headers if n.lower() != "location"]
        self.headers.append(("Location", value))


class _Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, dev: DevClient) -> None:
        self.dev = dev
        self.id_token_signed_response_alg = dev.id_token_signed_response_alg

    def get_client_id(self) -> str:
        return self.dev.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.dev.redirect_uris[0] if len(self.dev.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        requested = (scope or "openid").split()
        return " ".join(s for s in requested if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # OpenID Connect Core §3.1.2.1: the URI "MUST exactly match one of the
        # Redirection URI values for the Client pre-registered at the OpenID Provider".
        return redirect_uri in self.dev.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        secret = self.dev.client_secret
        return secret is not None and hmac.compare_digest(secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.dev.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


def user_claims(user: DevUser, scope: str) -> dict[str, Any]:
    """
    The claims a user releases for *scope* (OpenID Connect Core §5.4).

    Args:
        user: The user.
        scope: The space-separated granted scope.
    """
    scopes = set(scope.split())
    claims: dict[str, Any] = {"sub": user.subject}
    if "email" in scopes:
        claims.update(email=user.email, email_verified=True)
    if "profile" in scopes:
        claims.update(
            given_name=user.given_name,
            family_name=user.family_name,
            name=f"{user.given_name} {user.family_name}",
            preferred_username=user.username,
        )
    return claims


class _S256Only(CodeChallenge):  # type: ignore[misc]
    # RFC 9700 §2.1.1: clients "MUST use PKCE" and authorization servers
    # should refuse "plain"; so a challenge is required of every client, S256 only.
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    CODE_CHALLENGE_METHODS: ClassVar[dict[str, Any]] = {"S256": compare_s256_code_challenge}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send a code_challenge.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)


class _OpenIDCode(OpenIDCode):  # type: ignore[misc]
    def __init__(self, server: DevAuthorizationServer) -> None:
        super().__init__(require_nonce=False)
        self._server = server

    def exists_nonce(self, nonce: str, request: Request) -> bool:
        return self._server.store.nonce_seen(request.payload.client_id, nonce)

    def resolve_client_private_key(self, client: _Client) -> Any:
        return self._server.keys.signing_key(client.dev.id_token_signed_response_alg)

    def get_encode_header(self, client: _Client) -> dict[str, str]:
        key = self.resolve_client_private_key(client)
        return {"alg": client.dev.id_token_signed_response_alg, "kid": key.kid, "typ": "JWT"}

    def get_client_claims(self, client: _Client) -> dict[str, Any]:
        now = int(self._server.clock.now().timestamp())
        lifetime = int(self._server.config.token_lifetime.total_seconds())
        return {
            "iss": self._server.issuer(),
            "aud": client.dev.client_id,
            "iat": now,
            "exp": now + lifetime,
        }

    def get_compatible_claims(self, request: Request) -> dict[str, Any]:
        claims: dict[str, Any] = super().get_compatible_claims(request)
        # The same session facts go into the first ID token and every
        # refreshed one: OpenID Connect Core §12.2 wants iss, sub, auth_time
        # and acr unchanged across refreshes.
        origin = request.authorization_code or request.refresh_token
        session: ProviderSession = origin.session
        claims.update(
            sid=session.sid, auth_time=session.auth_time, acr=session.acr, amr=list(session.amr)
        )
        return claims

    def generate_user_info(self, user: DevUser, scope: str) -> UserInfo:
        return UserInfo(user_claims(user, scope))


class _OpenIDRefresh(_OpenIDCode):
    def __call__(self, grant: Any) -> None:
        grant.register_hook("after_create_token_response", self.process_token)


class _CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    server: DevAuthorizationServer

    def save_authorization_code(self, code: str, request: Request) -> None:
        data = request.payload.data
        session = request.dev_session
        assert session is not None, "the provider logs the user in before issuing a code"
        self.server.store.add_code(
            Code(
                code=code,
                client_id=request.client.get_client_id(),
                redirect_uri=data.get("redirect_uri", ""),
                scope=request.scope,
                nonce=data.get("nonce"),
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                session=session,
                expires_at=self.server.clock.now() + self.server.config.code_lifetime,
            )
        )

    def query_authorization_code(self, code: str, client: _Client) -> Code | None:
        return self.server.store.find_code(code, client.dev)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        self.server.store.delete_code(authorization_code)

    def authenticate_user(self, authorization_code: Code) -> DevUser:
        return authorization_code.session.user


class _RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: DevAuthorizationServer

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        return self.server.store.find_refresh_token(refresh_token)

    def authenticate_user(self, refresh_token: Token) -> DevUser:
        return refresh_token.session.user

    def revoke_old_credential(self, refresh_token: Token) -> None:
        self.server.store.revoke_refresh_token(refresh_token)


class _PrivateKeyJWT(JWTBearerClientAssertion):  # type: ignore[misc]
    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, server: DevAuthorizationServer) -> None:
        super().__init__(validate_jti=True, leeway=30)
        self._server = server

    def get_audiences(self) -> list[str]:
        # RFC 7523 §3 item 3 and RFC 9126 §2: the issuer identifier, or the
        # endpoint the assertion is sent to.
        issuer = self._server.issuer()
        return [issuer, f"{issuer}/token", f"{issuer}/par"]

    def resolve_client_public_key(self, client: _Client) -> KeySet:
        if not client.dev.jwks:
            raise InvalidClientError(description="The client has no registered keys.")
        return KeySet.import_key_set(dict(client.dev.jwks))  # type: ignore[arg-type]

    def verify_claims(self, claims: Mapping[str, Any]) -> None:
        super().verify_claims(claims)
        now = self._server.clock.now().timestamp()
        if claims["exp"] - now > MAX_ASSERTION_LIFETIME:
            raise InvalidClientError(description="The client assertion lives too long.")

    def validate_jti(self, claims: Mapping[str, Any], jti: str) -> bool:
        expires = dt.datetime.fromtimestamp(claims["exp"], dt.UTC) + dt.timedelta(seconds=60)
        return self._server.store.use_jti(claims["sub"], jti, expires)


class _Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = TOKEN_AUTH_METHODS
    server: DevAuthorizationServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return self.server.store.find_any_token(token_string, token_type_hint)

    def revoke_token(self, token: Token, request: Request) -> None:
        self.server.store.revoke(token)


class _Issuer(IssuerParameter):  # type: ignore[misc]
    def __init__(self, issuer: Callable[[], str]) -> None:
        self._issuer = issuer

    def get_issuer(self) -> str:
        return self._issuer()


class DevAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """
    authlib's authorization server, wired to the in-memory store and keys.

    Args:
        config: The provider configuration.
        store: The in-memory state.
        keys: The signing keys.
        clock: The time source for token lifetimes.
        issuer: Returns the issuer URL (known only once the server is bound).
    """

    def __init__(
        self,
        config: DevProviderConfig,
        store: ProviderStore,
        keys: SigningKeys,
        clock: Clock,
        issuer: Callable[[], str],
    ) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.config = config
        self.store = store
        self.keys = keys
        self.clock = clock
        self.issuer = issuer
        self._clients = {c.client_id: _Client(c) for c in config.clients}
        lifetime = int(config.token_lifetime.total_seconds())
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: generate_token(43),
                refresh_token_generator=lambda **_: generate_token(43),
                expires_generator=lambda *_: lifetime,
            ),
        )
        self.register_client_auth_method("private_key_jwt", _PrivateKeyJWT(self))
        self.register_grant(_CodeGrant, [_S256Only(required=True), _OpenIDCode(self)])
        self.register_grant(_RefreshGrant, [_OpenIDRefresh(self)])
        self.register_extension(_Issuer(issuer))
        self.register_endpoint(_Revocation)

    def query_client(self, client_id: str) -> _Client | None:
        """The registered client with this id, or ``None``."""
        return self._clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: Request) -> None:
        """Store an issued token with the session it belongs to."""
        origin = request.authorization_code or request.refresh_token
        self.store.add_token(
            Token(
                access_token=token["access_token"],
                refresh_token=token.get("refresh_token"),
                client_id=request.client.get_client_id(),
                scope=token.get("scope", ""),
                session=origin.session,
                expires_at=self.clock.now() + self.config.token_lifetime,
                jkt=request.dpop_jkt,
            )
        )

    def create_oauth2_request(self, request: Request) -> Request:
        """The adapter hands authlib ready-made requests."""
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> HttpResult:
        """Wrap authlib's (status, body, headers) triple."""
        return HttpResult(status, body, list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """The provider has no signal system."""
