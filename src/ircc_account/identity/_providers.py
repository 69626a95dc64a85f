"""
The providers a portal trusts, their discovery metadata and key sets, cached.

Discovery is fetched only from ``issuer + "/.well-known/openid-configuration"``
of the configured issuer, and the document's ``issuer`` must equal the
configured string exactly (OIDC Discovery §4.3, SEC-06; authlib compares ID
tokens with the metadata's issuer instead, a gap this closes). Every endpoint
is taken from that document and must be HTTPS; nothing is ever fetched from
a URL that arrived in a request or a token (SEC-84).
"""

from __future__ import annotations

import datetime as dt
import logging
import ssl
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs
import httpx

from ircc_account._clock import Clock, SystemClock
from ircc_account.errors import ConfigurationError, ProviderMetadataInvalid, ProviderUnavailable
from ircc_account.hazmat.jose import JwksCache, fail

from ._config import AUTH_METHODS, ProviderConfig, _https_url, credential_methods
from ._dpop import DpopNonces
from ._http import BackChannel, HttpLimits

__all__ = ["DPOP_ALGORITHMS", "Provider", "ProviderMetadata", "Providers"]

_log = logging.getLogger("ircc_account.identity")


@attrs.frozen(kw_only=True)
class ProviderMetadata:
    """
    The parts of a provider's discovery document we use, validated, and the
    settings we derive from it for this portal's configuration.

    Attributes:
        issuer: Equal to the configured issuer.
        authorization_endpoint, token_endpoint, jwks_uri: Required HTTPS endpoints.
        userinfo_endpoint, end_session_endpoint: Optional HTTPS endpoints.
        revocation_endpoint: RFC 7009 token revocation, if offered: refresh
            tokens are revoked there at logout.
        par_endpoint: ``pushed_authorization_request_endpoint``, if offered.
        require_par: The provider accepts only pushed requests.
        iss_parameter_supported: ``authorization_response_iss_parameter_supported``
            (RFC 9207): a callback without ``iss`` is then refused.
        token_endpoint_auth_method: How we authenticate at the token and PAR
            endpoints: the portal's choice if it set one, else the first of
            ``private_key_jwt``, ``client_secret_basic``, ``client_secret_post``
            we hold a credential for and ``token_endpoint_auth_methods_supported`` lists.
        client_assertion_algorithm: The algorithm our ``private_key_jwt``
            assertions are signed with (``None`` for a client secret).
        id_token_algorithms: The ID token algorithms accepted: the portal's
            allowlist (and its HMAC opt-in) intersected with
            ``id_token_signing_alg_values_supported``.
        logout_token_algorithms: The logout token algorithms accepted: the
            asymmetric part of the same intersection.
        dpop_algorithm: The algorithm of our DPoP proofs, when DPoP is on.
    """

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    end_session_endpoint: str | None = None
    revocation_endpoint: str | None = None
    par_endpoint: str | None = None
    require_par: bool = False
    iss_parameter_supported: bool = False
    # Ruff's S105 takes the name for a password; it is a method name.
    token_endpoint_auth_method: str = "client_secret_basic"  # noqa: S105
    client_assertion_algorithm: str | None = None
    id_token_algorithms: frozenset[str] = frozenset()
    logout_token_algorithms: frozenset[str] = frozenset()
    dpop_algorithm: str | None = None


#: Our preference for DPoP proof keys: fast to generate, then RSA (RFC 9449 §4.2).
DPOP_ALGORITHMS = ("ES256", "EdDSA", "ES384", "PS256", "RS256")


def _endpoint(doc: Mapping[str, Any], name: str, provider: str, *, required: bool) -> str | None:
    value = doc.get(name)
    if value is None and not required:
        return None
    try:
        return _https_url(name, value, allow_query=True)
    except ConfigurationError:
        raise fail(ProviderMetadataInvalid, f"metadata.{name}", provider=provider) from None


def _flag(doc: Mapping[str, Any], name: str, provider: str) -> bool:
    value = doc.get(name, False)
    if not isinstance(value, bool):
        raise fail(ProviderMetadataInvalid, f"metadata.{name}", provider=provider)
    return value


def _str_list(doc: Mapping[str, Any], name: str, provider: str) -> list[str] | None:
    value = doc.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(ProviderMetadataInvalid, f"metadata.{name}", provider=provider)
    return value


def parse_metadata(doc: Mapping[str, Any], config: ProviderConfig) -> ProviderMetadata:
    """
    Validate a discovery document against *config*.

    Raises:
        ProviderMetadataInvalid: the issuer differs in any way, an endpoint is
            missing or not HTTPS, or the provider cannot do the code flow with S256.
    """
    name = config.name
    # OIDC Discovery §4.3: "The issuer value returned MUST be identical to the
    # Issuer URL that was used as the prefix to /.well-known/openid-configuration".
    if doc.get("issuer") != config.issuer:
        raise fail(ProviderMetadataInvalid, "metadata.issuer", provider=name)
    response_types = _str_list(doc, "response_types_supported", name)
    if response_types is None or "code" not in response_types:
        raise fail(ProviderMetadataInvalid, "metadata.response_types", provider=name)
    methods = _str_list(doc, "code_challenge_methods_supported", name)
    if methods is not None and "S256" not in methods:
        raise fail(ProviderMetadataInvalid, "metadata.pkce", provider=name)
    par = _endpoint(doc, "pushed_authorization_request_endpoint", name, required=False)
    require_par = _flag(doc, "require_pushed_authorization_requests", name)
    if config.use_par == "always" and par is None:
        raise fail(ProviderMetadataInvalid, "metadata.par_missing", provider=name)
    if config.use_par == "never" and require_par:
        raise fail(ProviderMetadataInvalid, "metadata.par_required", provider=name)
    authz = _endpoint(doc, "authorization_endpoint", name, required=True)
    token = _endpoint(doc, "token_endpoint", name, required=True)
    jwks = _endpoint(doc, "jwks_uri", name, required=True)
    assert authz is not None
    assert token is not None
    assert jwks is not None
    method = _auth_method(doc, config)
    id_algs, logout_algs = _token_algorithms(doc, config)
    return ProviderMetadata(
        issuer=config.issuer,
        authorization_endpoint=authz,
        token_endpoint=token,
        jwks_uri=jwks,
        userinfo_endpoint=_endpoint(doc, "userinfo_endpoint", name, required=False),
        end_session_endpoint=_endpoint(doc, "end_session_endpoint", name, required=False),
        revocation_endpoint=_endpoint(doc, "revocation_endpoint", name, required=False),
        par_endpoint=None if config.use_par == "never" else par,
        require_par=require_par,
        iss_parameter_supported=_flag(doc, "authorization_response_iss_parameter_supported", name),
        token_endpoint_auth_method=method,
        client_assertion_algorithm=(
            _assertion_algorithm(doc, config) if method == "private_key_jwt" else None
        ),
        id_token_algorithms=id_algs,
        logout_token_algorithms=logout_algs,
        dpop_algorithm=_dpop_algorithm(doc, config) if config.dpop else None,
    )


def _auth_method(doc: Mapping[str, Any], config: ProviderConfig) -> str:
    # OIDC Discovery §3: token_endpoint_auth_methods_supported; "If omitted,
    # the default is client_secret_basic". We hold credentials for some
    # methods; the first of ours (in AUTH_METHODS order) the provider lists
    # wins, unless the portal forced one. A missing list means our preferred.
    name = config.name
    ours = [m for m in AUTH_METHODS if any(m in credential_methods(c) for c in config.credentials)]
    forced = config.token_endpoint_auth_method
    if forced is None:
        secret = config.client_secret
        if secret is not None and secret.method is not None and config.private_key is None:
            forced = secret.method
    if forced is not None:
        return forced
    advertised = _str_list(doc, "token_endpoint_auth_methods_supported", name)
    for method in ours:
        if advertised is None or method in advertised:
            return method
    raise fail(ProviderMetadataInvalid, "metadata.token_auth", provider=name)


def _assertion_algorithm(doc: Mapping[str, Any], config: ProviderConfig) -> str:
    key = config.private_key
    assert key is not None
    advertised = _str_list(doc, "token_endpoint_auth_signing_alg_values_supported", config.name)
    if key.algorithm is not None or advertised is None:
        return key.algorithms[0]
    for alg in key.algorithms:
        if alg in advertised:
            return alg
    raise fail(ProviderMetadataInvalid, "metadata.assertion_alg", provider=config.name)


def _token_algorithms(
    doc: Mapping[str, Any], config: ProviderConfig
) -> tuple[frozenset[str], frozenset[str]]:
    # SEC-09: the alg must be on the portal's pinned allowlist, never taken
    # from metadata alone; what the provider says it signs with narrows it
    # (id_token_signing_alg_values_supported is REQUIRED in Discovery §3).
    advertised = _str_list(doc, "id_token_signing_alg_values_supported", config.name)
    id_algs = config.algorithms | config.hmac_algorithms
    logout_algs = config.algorithms
    if advertised is not None:
        id_algs = id_algs & frozenset(advertised)
        logout_algs = logout_algs & frozenset(advertised)
    if not id_algs:
        raise fail(ProviderMetadataInvalid, "metadata.algorithms", provider=config.name)
    return id_algs, logout_algs


def _dpop_algorithm(doc: Mapping[str, Any], config: ProviderConfig) -> str:
    # RFC 9449 §5.1: dpop_signing_alg_values_supported. A provider that does
    # not list it does not do DPoP, and the portal asked for it.
    advertised = _str_list(doc, "dpop_signing_alg_values_supported", config.name)
    for alg in DPOP_ALGORITHMS:
        if advertised is not None and alg in advertised:
            return alg
    raise fail(ProviderMetadataInvalid, "metadata.dpop", provider=config.name)


def discovery_url(issuer: str) -> str:
    """
    Where *issuer*'s metadata lives (OIDC Discovery §4.1: a trailing ``/`` is removed first).
    """
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


class Provider:
    """
    One configured provider at run time: its metadata and keys, cached; thread-safe.

    Args:
        config: The provider's configuration.
        back_channel: The shared HTTP client.
        clock: The time source for cache lifetimes.
        metadata_max_age: How long a discovery document is used.
        jwks_max_age: How long a key set is used.
        jwks_refetch_budget: The most unknown-``kid`` refetches per window.
        jwks_refetch_window: The window of that budget.
    """

    def __init__(
        self,
        config: ProviderConfig,
        back_channel: BackChannel,
        *,
        clock: Clock,
        metadata_max_age: dt.timedelta,
        jwks_max_age: dt.timedelta,
        jwks_refetch_budget: int,
        jwks_refetch_window: dt.timedelta,
    ) -> None:
        self.config = config
        self._http = back_channel
        self._clock = clock
        self._max_age = metadata_max_age
        self._lock = threading.Lock()
        self._metadata: ProviderMetadata | None = None
        self._fetched_at: dt.datetime | None = None
        self.metadata_fetches = 0
        #: The DPoP nonces this provider's servers gave (RFC 9449 §8, §9).
        self.dpop_nonces = DpopNonces()
        self.keys = JwksCache(
            self._fetch_jwks,
            clock=clock,
            max_age=jwks_max_age,
            refetch_budget=jwks_refetch_budget,
            refetch_window=jwks_refetch_window,
            provider=config.name,
            max_bytes=back_channel.limits.max_jwks_bytes,
        )

    def __repr__(self) -> str:
        return f"Provider({self.config.name!r}, issuer={self.config.issuer!r})"

    def _fetch_jwks(self) -> bytes:
        r = self._http.request(
            "GET",
            self.metadata().jwks_uri,
            provider=self.config.name,
            max_bytes=self._http.limits.max_jwks_bytes,
        )
        if r.status != 200:
            raise fail(ProviderUnavailable, "jwks.status", provider=self.config.name)
        return r.body

    def metadata(self) -> ProviderMetadata:
        """
        The validated discovery metadata, fetched when absent or stale.

        Raises:
            ProviderUnavailable: the provider could not be reached.
            ProviderMetadataInvalid: the document was refused.
        """
        now = self._clock.now()
        md, at = self._metadata, self._fetched_at
        if md is not None and at is not None and dt.timedelta(0) <= now - at < self._max_age:
            return md
        with self._lock:
            md, at = self._metadata, self._fetched_at
            if md is not None and at is not None and dt.timedelta(0) <= now - at < self._max_age:
                return md
            name = self.config.name
            self.metadata_fetches += 1
            r = self._http.request(
                "GET",
                discovery_url(self.config.issuer),
                provider=name,
                max_bytes=self._http.limits.max_metadata_bytes,
            )
            if r.status != 200:
                raise fail(ProviderUnavailable, "metadata.status", provider=name)
            md = parse_metadata(r.json(ProviderMetadataInvalid, name), self.config)
            self._metadata, self._fetched_at = md, now
            return md


class Providers:
    """
    The registry of configured providers, sharing one HTTP client.

    Args:
        configs: The providers; names and issuers must be unique.
        http: An :class:`httpx.Client` to share; by default one is made here, once.
        ssl_context: The TLS trust for the client made here (ignored with *http*).
        limits: Timeouts and size caps.
        clock: The time source for cache lifetimes.
        metadata_max_age: How long discovery documents are used (default 1 h).
        jwks_max_age: How long key sets are used (default 1 h).
        jwks_refetch_budget: The most key refetches for unknown ``kid`` values
            per provider and window (default 2); the first fetch and the
            hourly refresh do not count.
        jwks_refetch_window: The window of that budget (default 60 s).

    Raises:
        ConfigurationError: no providers, or two with the same name or issuer.
    """

    def __init__(
        self,
        configs: Iterable[ProviderConfig],
        *,
        http: httpx.Client | None = None,
        ssl_context: ssl.SSLContext | None = None,
        limits: HttpLimits | None = None,
        clock: Clock | None = None,
        metadata_max_age: dt.timedelta = dt.timedelta(hours=1),
        jwks_max_age: dt.timedelta = dt.timedelta(hours=1),
        jwks_refetch_budget: int = 2,
        jwks_refetch_window: dt.timedelta = dt.timedelta(seconds=60),
    ) -> None:
        configs = list(configs)
        if not configs:
            raise ConfigurationError(reason="at least one provider is needed")
        if len({c.name for c in configs}) != len(configs):
            raise ConfigurationError(reason="provider names must be unique")
        if len({c.issuer for c in configs}) != len(configs):
            raise ConfigurationError(reason="provider issuers must be unique")
        if metadata_max_age <= dt.timedelta(0):
            raise ConfigurationError(reason="metadata_max_age must be positive")
        self.back_channel = BackChannel(http, ssl_context=ssl_context, limits=limits)
        self.clock = clock or SystemClock()
        self._by_name = {
            c.name: Provider(
                c,
                self.back_channel,
                clock=self.clock,
                metadata_max_age=metadata_max_age,
                jwks_max_age=jwks_max_age,
                jwks_refetch_budget=jwks_refetch_budget,
                jwks_refetch_window=jwks_refetch_window,
            )
            for c in configs
        }
        self._by_issuer = {p.config.issuer: p for p in self._by_name.values()}

    def __repr__(self) -> str:
        return f"Providers({sorted(self._by_name)!r})"

    def __iter__(self) -> Iterator[Provider]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def get(self, name: str) -> Provider:
        """
        The provider called *name*.

        Raises:
            ConfigurationError: no such provider.
        """
        provider = self._by_name.get(name) if isinstance(name, str) else None
        if provider is None:
            raise ConfigurationError(reason="unknown provider")
        return provider

    def by_issuer(self, issuer: str) -> Provider | None:
        """
        The provider whose configured issuer equals *issuer* exactly, if any.
        """
        return self._by_issuer.get(issuer) if isinstance(issuer, str) else None

    def close(self) -> None:
        """
        Close the HTTP client if this registry created it.
        """
        self.back_channel.close()
