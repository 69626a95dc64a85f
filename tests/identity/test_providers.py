"""
What the relying party takes from a provider's discovery document and key set.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ircc_account._clock import FrozenClock
from ircc_account._storage import SqlStore
from ircc_account.errors import ConfigurationError, InvalidToken, ProviderMetadataInvalid
from ircc_account.hazmat.jose import private_jwk
from ircc_account.identity import (
    ClientSecret,
    Identity,
    LoginOutcome,
    PrivateKeyJwt,
    Providers,
)
from tests.hazmat._mint import hs256

from ._op import CLIENT_ID, LoopbackOP
from .conftest import RecordingAudit, login, make_config

IP = "198.51.100.7"
Build = Callable[..., tuple[Identity, Providers]]


def test_sec_26_key_rotation_between_two_logins_is_picked_up(
    identity: Identity, browser: httpx.Client, op: LoopbackOP
) -> None:
    """A provider that rotates its signing key seconds after our first fetch: the next login still succeeds, with one refetch."""
    assert login(identity, browser).outcome is LoginOutcome.NEW_CREDENTIAL
    assert op.count("/jwks") == 1
    op.rotate()
    assert login(identity, browser).outcome is LoginOutcome.NEW_CREDENTIAL
    assert op.count("/jwks") == 2


def test_sec_10_provider_clock_30_s_ahead_is_accepted_by_default(
    identity: Identity, browser: httpx.Client, op: LoopbackOP, clock: object
) -> None:
    """With the default 60 s leeway, a provider whose clock runs 30 s ahead still logs people in."""
    now = clock.now().timestamp()  # type: ignore[attr-defined]
    op.time = lambda: now + 30
    assert identity.providers.get("a").config.leeway.total_seconds() == 60
    assert login(identity, browser).outcome is LoginOutcome.NEW_CREDENTIAL


# --- settings from discovery -------------------------------------------------------------


@pytest.fixture
def build(
    store: SqlStore,
    op: LoopbackOP,
    tls: ssl.SSLContext,
    clock: FrozenClock,
    audit: RecordingAudit,
) -> Iterator[Callable[..., tuple[Identity, Providers]]]:
    """Builds an Identity for provider A with configuration overrides; closes its clients after the test."""
    made: list[Providers] = []

    def make(**over: Any) -> tuple[Identity, Providers]:
        providers = Providers([make_config(op, None, **over)], ssl_context=tls, clock=clock)
        made.append(providers)
        return Identity(store, providers, clock=clock, audit=audit), providers

    yield make
    for providers in made:
        providers.close()


@pytest.mark.parametrize(
    ("advertised", "credentials", "expected"),
    [
        (["client_secret_post"], ("secret",), "client_secret_post"),
        (["client_secret_basic", "client_secret_post"], ("secret",), "client_secret_basic"),
        (["client_secret_post", "client_secret_basic"], ("secret",), "client_secret_basic"),
        (["client_secret_basic", "private_key_jwt"], ("secret", "key"), "private_key_jwt"),
        (["client_secret_post", "client_secret_basic"], ("secret", "key"), "client_secret_basic"),
        (None, ("secret", "key"), "private_key_jwt"),
        (None, ("secret",), "client_secret_basic"),
    ],
)
def test_token_endpoint_auth_method_is_chosen_from_discovery(
    op: LoopbackOP,
    build: Build,
    audit: RecordingAudit,
    browser: httpx.Client,
    client_key: ec.EllipticCurvePrivateKey,
    advertised: list[str] | None,
    credentials: tuple[str, ...],
    expected: str,
) -> None:
    """private_key_jwt, then client_secret_basic, then client_secret_post, among what the provider advertises."""
    op.bad.metadata["token_endpoint_auth_methods_supported"] = advertised
    creds = {"secret": ClientSecret(secret=op.client_secret), "key": PrivateKeyJwt(key=client_key)}
    identity, providers = build(client_auth=tuple(creds[c] for c in credentials))
    assert providers.get("a").metadata().token_endpoint_auth_method == expected
    assert login(identity, browser).outcome is LoginOutcome.NEW_CREDENTIAL
    assert set(op.auth_methods) == {expected}


def test_a_method_the_portal_sets_wins(
    op: LoopbackOP,
    build: Build,
    audit: RecordingAudit,
    browser: httpx.Client,
) -> None:
    """ClientSecret(method=...) is used even when discovery would choose otherwise."""
    op.bad.metadata["token_endpoint_auth_methods_supported"] = ["client_secret_basic"]
    auth = ClientSecret(secret=op.client_secret, method="client_secret_post")
    identity, _providers = build(client_auth=auth)
    login(identity, browser)
    assert set(op.auth_methods) == {"client_secret_post"}


def test_no_common_auth_method_is_refused_at_discovery(op: LoopbackOP, build: Build) -> None:
    """A provider that takes only private_key_jwt, and a portal with only a secret: ProviderMetadataInvalid."""
    op.bad.metadata["token_endpoint_auth_methods_supported"] = ["private_key_jwt"]
    identity, _providers = build(client_auth=ClientSecret(secret=op.client_secret))
    with pytest.raises(ProviderMetadataInvalid) as info:
        identity.start_login(None, "a", client_key=IP)
    assert info.value.reason == "metadata.token_auth"


def test_id_token_algorithms_are_the_intersection_with_discovery(
    op: LoopbackOP,
    build: Build,
    audit: RecordingAudit,
    browser: httpx.Client,
    client_key: ec.EllipticCurvePrivateKey,
) -> None:
    """The portal allows ES256 and RS256, the provider advertises RS256 only: an ES256 ID token is refused."""
    op.bad.metadata["id_token_signing_alg_values_supported"] = ["RS256", "none", "HS256"]
    identity, providers = build(client_auth=PrivateKeyJwt(key=client_key),
        algorithms=frozenset({"ES256", "RS256"}),
    )  # fmt: skip
    md = providers.get("a").metadata()
    assert md.id_token_algorithms == frozenset({"RS256"})
    assert md.logout_token_algorithms == frozenset({"RS256"})
    with pytest.raises(InvalidToken) as info:
        login(identity, browser)
    assert info.value.reason == "alg.not_allowed"
    assert [e.action for e in audit.entries] == ["login.refused"]


def test_logout_token_algorithms_are_the_intersection_too(
    op: LoopbackOP,
    build: Build,
    audit: RecordingAudit,
    client_key: ec.EllipticCurvePrivateKey,
) -> None:
    """An ES256 logout token from a provider that advertises RS256 only is answered 400 and recorded once as refused."""
    op.bad.metadata["id_token_signing_alg_values_supported"] = ["RS256"]
    identity, _providers = build(client_auth=PrivateKeyJwt(key=client_key),
        algorithms=frozenset({"ES256", "RS256"}),
    )  # fmt: skip
    body = urllib.parse.urlencode({"logout_token": op.logout_token()})
    assert identity.handle_backchannel_logout(body, "application/x-www-form-urlencoded")[0] == 400
    assert [(e.action, e.reason) for e in audit.entries] == [
        ("logout.backchannel.refused", "provider a: alg.not_allowed")
    ]


def test_no_common_id_token_algorithm_is_refused_at_discovery(
    op: LoopbackOP,
    build: Build,
    audit: RecordingAudit,
    client_key: ec.EllipticCurvePrivateKey,
) -> None:
    """A provider that signs only with algorithms the portal does not allow is refused at discovery."""
    op.bad.metadata["id_token_signing_alg_values_supported"] = ["RS256", "none"]
    identity, _providers = build(client_auth=PrivateKeyJwt(key=client_key))
    with pytest.raises(ProviderMetadataInvalid) as info:
        identity.start_login(None, "a", client_key=IP)
    assert info.value.reason == "metadata.algorithms"


# --- private keys as PEM or JWK ----------------------------------------------------------------


def test_private_key_jwt_takes_a_pem_and_derives_the_algorithm(
    op: LoopbackOP,
    build: Build,
    audit: RecordingAudit,
    browser: httpx.Client,
    client_key: ec.EllipticCurvePrivateKey,
) -> None:
    """A PEM string configures private_key_jwt; the P-256 key means ES256; logins work."""
    pem = client_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    auth = PrivateKeyJwt(key=pem, key_id="rp-1")
    assert auth.algorithms == ("ES256",)
    identity, _providers = build(client_auth=auth)
    assert login(identity, browser).outcome is LoginOutcome.NEW_CREDENTIAL
    assert op.auth_methods == ["private_key_jwt"]


def test_private_key_jwt_takes_a_private_jwk_with_its_kid(
    op: LoopbackOP,
    build: Build,
    audit: RecordingAudit,
    browser: httpx.Client,
    client_key: ec.EllipticCurvePrivateKey,
) -> None:
    """A private JWK (JSON text) configures private_key_jwt with its own kid and alg."""
    jwk = {**private_jwk(client_key), "kid": "rp-jwk", "alg": "ES256"}
    auth = PrivateKeyJwt(key=json.dumps(jwk))
    assert auth.key_id == "rp-jwk" and auth.algorithm == "ES256"
    identity, _providers = build(client_auth=auth)
    login(identity, browser)
    assert op.assertions and op.assertions[-1]["iss"] == CLIENT_ID


def test_rsa_key_algorithm_follows_what_the_provider_takes(op: LoopbackOP, build: Build) -> None:
    """An RSA key without an algorithm signs PS256, or RS256 when the provider lists only that."""
    key = rsa.generate_private_key(65537, 2048)
    _, providers = build(client_auth=PrivateKeyJwt(key=key))
    assert providers.get("a").metadata().client_assertion_algorithm == "PS256"
    op.bad.metadata["token_endpoint_auth_signing_alg_values_supported"] = ["RS256", "ES256"]
    _, providers = build(client_auth=PrivateKeyJwt(key=key))
    assert providers.get("a").metadata().client_assertion_algorithm == "RS256"


@pytest.mark.parametrize(
    "over",
    [
        {"key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"},
        {"key": {"kty": "oct", "k": "c2VjcmV0"}},
        {"algorithm": "RS256"},
        {"lifetime": dt.timedelta(minutes=10)},
    ],
)
def test_private_key_jwt_refuses_bad_keys(
    client_key: ec.EllipticCurvePrivateKey, over: dict[str, Any]
) -> None:
    """Garbage PEM, a symmetric JWK, an algorithm the key cannot sign, a long lifetime: ConfigurationError."""
    with pytest.raises(ConfigurationError):
        PrivateKeyJwt(**{"key": client_key, **over})


# --- HMAC-signed ID tokens: refused unless the provider is opted in ----------------------------


class _HmacSigner:
    """Signs the loopback provider's ID tokens with the client secret, as OIDC Core §10.1 allows."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        return hs256(claims, self.secret, **header)


def test_hmac_id_tokens_are_refused_by_default(
    op: LoopbackOP,
    build: Build,
    audit: RecordingAudit,
    browser: httpx.Client,
) -> None:
    """A provider signing ID tokens with the client secret: refused (one audit entry) unless opted in."""
    op.bad.id_token_signer = _HmacSigner(op.client_secret)  # type: ignore[assignment]
    op.bad.metadata["token_endpoint_auth_methods_supported"] = ["client_secret_basic"]
    identity, _providers = build(client_auth=ClientSecret(secret=op.client_secret))
    with pytest.raises(InvalidToken) as info:
        login(identity, browser)
    assert info.value.reason == "alg.not_allowed"
    assert [e.action for e in audit.entries] == ["login.refused"]


def test_hmac_id_tokens_are_accepted_when_opted_in(
    op: LoopbackOP,
    build: Build,
    audit: RecordingAudit,
    browser: httpx.Client,
) -> None:
    """With hmac_algorithms={"HS256"} and a strong client secret, the HS256 ID token is accepted."""
    op.bad.id_token_signer = _HmacSigner(op.client_secret)  # type: ignore[assignment]
    op.bad.metadata["token_endpoint_auth_methods_supported"] = ["client_secret_basic"]
    identity, providers = build(client_auth=ClientSecret(secret=op.client_secret),
        hmac_algorithms=frozenset({"HS256"}),
    )  # fmt: skip
    assert "HS256" in providers.get("a").metadata().id_token_algorithms
    assert login(identity, browser).outcome is LoginOutcome.NEW_CREDENTIAL


@pytest.mark.parametrize(
    "over",
    [
        {"hmac_algorithms": frozenset({"HS256"})},
        {"hmac_algorithms": frozenset({"HS256"}), "client_auth": ClientSecret(secret="x" * 48)},
        {"hmac_algorithms": frozenset({"HS512"}), "client_auth": ClientSecret(secret="Aa1-" * 10)},
        {"hmac_algorithms": frozenset({"none"}), "client_auth": ClientSecret(secret="Aa1-" * 20)},
    ],
    ids=["no-secret", "low-entropy", "short-for-hs512", "not-hmac"],
)
def test_hmac_opt_in_needs_a_strong_client_secret(
    op: LoopbackOP, client_key: ec.EllipticCurvePrivateKey, over: dict[str, Any]
) -> None:
    """Opting in without a ClientSecret, with a guessable or short one, or naming a non-HMAC alg: ConfigurationError."""
    with pytest.raises(ConfigurationError):
        make_config(op, client_key, **over)


def test_sec_10_provider_clock_beyond_the_leeway_is_refused_once(
    identity: Identity,
    browser: httpx.Client,
    op: LoopbackOP,
    clock: FrozenClock,
    audit: RecordingAudit,
) -> None:
    """A provider 90 s ahead (beyond the 60 s leeway): refused as iat.future, one audit entry, no session."""
    now = clock.now().timestamp()
    op.time = lambda: now + 90
    with pytest.raises(InvalidToken) as info:
        login(identity, browser)
    assert info.value.reason == "iat.future"
    assert [e.action for e in audit.entries] == ["login.refused"]
