"""
How a portal describes one credential provider: :class:`ProviderConfig`, client authentication.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Mapping
from typing import Literal

import attrs
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ircc_account._model import AssuranceLevel
from ircc_account.errors import ConfigurationError
from ircc_account.hazmat.jose import (
    DEFAULT_ALGORITHMS,
    DEFAULT_LEEWAY,
    MAX_LEEWAY,
    SUPPORTED_ALGORITHMS,
    check_signing_key,
)

__all__ = [
    "ClientSecret",
    "PrivateKeyJwt",
    "ProviderConfig",
]

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _https_url(field: str, value: object, *, allow_query: bool = False) -> str:
    if not isinstance(value, str) or len(value) > 2048:
        raise ConfigurationError(reason=f"{field} must be an HTTPS URL")
    parts = urllib.parse.urlsplit(value)
    if (
        parts.scheme != "https"
        or not parts.hostname
        or parts.fragment
        or (parts.query and not allow_query)
        or parts.username is not None
        or any(c.isspace() for c in value)
    ):
        raise ConfigurationError(reason=f"{field} must be an HTTPS URL")
    return value


@attrs.frozen(kw_only=True)
class PrivateKeyJwt:
    """
    ``private_key_jwt`` client authentication (RFC 7523; preferred, SEC-16).

    Attributes:
        key: Our private signing key, fitting *algorithm* (RSA of 2048–8192
            bits, EC on the algorithm's curve, or Ed25519). Never shown in ``repr``.
        key_id: The ``kid`` of the matching public key registered at the provider.
        algorithm: The JWS algorithm to sign with (``PS256``, ``ES256``, ...).
        lifetime: How long an assertion is valid; at most 300 s.
    """

    key: SigningKey = attrs.field(repr=False)
    key_id: str | None = None
    algorithm: str = "PS256"
    lifetime: dt.timedelta = dt.timedelta(seconds=60)

    def __attrs_post_init__(self) -> None:
        # The key policy of the signing path, checked now rather than at the first login.
        check_signing_key(self.key, self.algorithm)
        if not dt.timedelta(seconds=1) <= self.lifetime <= dt.timedelta(seconds=300):
            raise ConfigurationError(reason="the client assertion lifetime must be 1-300 s")


@attrs.frozen(kw_only=True)
class ClientSecret:
    """
    Shared-secret client authentication: ``client_secret_basic`` (default) or
    ``client_secret_post``. Never sent in a URL.

    Attributes:
        secret: The client secret. Never shown in ``repr``.
        method: ``"client_secret_basic"`` or ``"client_secret_post"``.
    """

    secret: str = attrs.field(repr=False)
    method: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.secret, str) or len(self.secret) < 16:
            raise ConfigurationError(reason="the client secret must have at least 16 characters")
        if self.method not in ("client_secret_basic", "client_secret_post"):
            raise ConfigurationError(reason="unknown client authentication method")


def _scopes(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, tuple | list | frozenset | set):
        raise ConfigurationError(reason="scopes must be a sequence of strings")
    scopes = tuple(dict.fromkeys(str(s) for s in value))
    if "openid" not in scopes or any(
        not re.fullmatch(r"[\x21\x23-\x5b\x5d-\x7e]+", s) for s in scopes
    ):
        raise ConfigurationError(reason="scopes must include openid")
    return scopes


def _acr_map(value: Mapping[str, AssuranceLevel]) -> Mapping[str, AssuranceLevel]:
    out = {str(k): AssuranceLevel(v) for k, v in dict(value).items()}
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


@attrs.frozen(kw_only=True)
class ProviderConfig:
    """
    One credential provider (an OpenID provider) and how we are registered with it.

    Attributes:
        name: A short id for the portal (``gckey``, ``bank-a``): lower-case letters,
            digits, ``-`` and ``_``.
        issuer: The provider's exact issuer identifier; discovery is fetched only from
            ``issuer + "/.well-known/openid-configuration"`` and its ``issuer`` must
            equal this string exactly (SEC-06).
        client_id: Our client id at the provider.
        client_auth: :class:`PrivateKeyJwt` (preferred) or :class:`ClientSecret`.
        redirect_uri: Our registered callback, HTTPS, compared exactly by the provider.
        post_logout_redirect_uri: Our registered page after RP-initiated logout, or ``None``.
        scopes: The minimum scopes to request; must include ``openid`` (SEC-21).
        algorithms: The ID and logout token signature algorithms we accept (SEC-09).
        acr_map: The provider's ``acr`` values and the assurance each one means. An
            ``acr`` not in the map, or none at all, means :attr:`AssuranceLevel.LOW` (SEC-12).
        leeway: Clock-skew tolerance for ``iat``, ``nbf``, ``exp`` and
            ``auth_time``: 60 s by default, at most 300 s (SEC-10; see
            ``docs/identity.md`` for why 60 s).
        use_par: Pushed authorization requests: ``"auto"`` (when the provider offers
            them), ``"always"`` (refuse a provider without), or ``"never"``.
        fetch_userinfo: Call the UserInfo endpoint after login (its ``sub`` must match, SEC-13).
        logout_token_typ_required: Refuse logout tokens without ``typ: logout+jwt``.
    """

    name: str = attrs.field()
    issuer: str = attrs.field()
    client_id: str = attrs.field()
    client_auth: PrivateKeyJwt | ClientSecret = attrs.field(repr=False)
    redirect_uri: str = attrs.field()
    post_logout_redirect_uri: str | None = None
    scopes: tuple[str, ...] = attrs.field(default=("openid",), converter=_scopes)
    algorithms: frozenset[str] = attrs.field(default=DEFAULT_ALGORITHMS, converter=frozenset)
    acr_map: Mapping[str, AssuranceLevel] = attrs.field(factory=dict, converter=_acr_map)
    leeway: dt.timedelta = DEFAULT_LEEWAY
    use_par: Literal["auto", "always", "never"] = "auto"
    fetch_userinfo: bool = False
    logout_token_typ_required: bool = True

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ConfigurationError(reason="the provider name must be a short lower-case id")
        _https_url("issuer", self.issuer)
        if len(self.issuer) > 255:
            raise ConfigurationError(reason="the issuer is longer than 255 characters")
        if not isinstance(self.client_id, str) or not 1 <= len(self.client_id) <= 255:
            raise ConfigurationError(reason="client_id must be a non-empty string")
        if not isinstance(self.client_auth, PrivateKeyJwt | ClientSecret):
            raise ConfigurationError(reason="client_auth must be PrivateKeyJwt or ClientSecret")
        _https_url("redirect_uri", self.redirect_uri, allow_query=True)
        if self.post_logout_redirect_uri is not None:
            _https_url("post_logout_redirect_uri", self.post_logout_redirect_uri, allow_query=True)
        if not self.algorithms or not self.algorithms <= SUPPORTED_ALGORITHMS:
            raise ConfigurationError(
                reason="algorithms must be a non-empty subset of the supported"
            )
        if not isinstance(self.leeway, dt.timedelta) or not (
            dt.timedelta(0) <= self.leeway <= MAX_LEEWAY
        ):
            raise ConfigurationError(reason="leeway must be between 0 and 300 seconds")
        if self.use_par not in ("auto", "always", "never"):
            raise ConfigurationError(reason="use_par must be auto, always or never")

    def assurance_of(self, acr: str | None) -> AssuranceLevel:
        """
        The assurance an ``acr`` value means at this provider; unknown or absent is LOW.
        """
        if acr is None:
            return AssuranceLevel.LOW
        return self.acr_map.get(acr, AssuranceLevel.LOW)

    def acr_values_for(self, level: AssuranceLevel) -> tuple[str, ...]:
        """
        The ``acr`` values that meet *level*, strongest first.

        Raises:
            ConfigurationError: the provider offers nothing that strong.
        """
        values = tuple(acr for acr, lvl in self.acr_map.items() if lvl >= level)
        if not values:
            raise ConfigurationError(reason=f"provider {self.name} cannot reach that assurance")
        return values
