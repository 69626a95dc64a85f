"""
Each provider's tokens as the deployment would validate them (its issuer,
client id, pinned algorithms and leeway): valid ones pass, adversarial ones
are refused with the library's typed errors and nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ircc_account.errors import InvalidLogoutToken, InvalidToken
from ircc_account.hazmat.jose import (
    InMemoryJtiStore,
    KeySet,
    public_jwk,
    validate_id_token,
    validate_logout_token,
)
from ircc_account.testing.review import ProviderSettings, ReviewConfig
from ircc_account.testing.strategies import id_tokens, logout_tokens

_NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
_NONCE = "n-review-0123456789abcdef"


def _key(alg: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if alg.startswith(("RS", "PS")):
        return rsa.generate_private_key(65537, 2048)
    curves = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}
    if alg in curves:
        return ec.generate_private_key(curves[alg])
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def provider_keys(review_config: ReviewConfig) -> list[tuple[ProviderSettings, str, Any, KeySet]]:
    """For each provider, a signing key of its first pinned algorithm and the key set holding it."""
    if not review_config.providers:
        pytest.skip("the configuration names no provider")
    out = []
    for provider in review_config.providers:
        alg = sorted(provider.algorithms)[0]
        key = _key(alg)
        jwks = {"keys": [{**public_jwk(key), "kid": "review", "alg": alg}]}
        out.append((provider, alg, key, KeySet.from_jwks(json.dumps(jwks).encode())))
    return out


def _check_id(provider: ProviderSettings, keys: KeySet, token: str) -> object:
    return validate_id_token(
        token,
        keys=keys,
        issuer=provider.issuer,
        client_id=provider.client_id,
        nonce=_NONCE,
        now=_NOW,
        algorithms=frozenset(provider.algorithms),
        leeway=provider.leeway,
    )


def _check_logout(provider: ProviderSettings, keys: KeySet, token: str) -> object:
    return validate_logout_token(
        token,
        keys=keys,
        issuer=provider.issuer,
        client_id=provider.client_id,
        now=_NOW,
        jti_store=InMemoryJtiStore(),
        algorithms=frozenset(provider.algorithms),
        leeway=provider.leeway,
    )


@pytest.mark.sec("SEC-07", "SEC-08", "SEC-10", "SEC-82")
@given(data=st.data())
def test_each_providers_valid_id_tokens_pass(
    provider_keys: list[tuple[ProviderSettings, str, Any, KeySet]], data: st.DataObject
) -> None:
    """
    A well-formed ID token for the portal passes validation with each
    provider's settings (the checks below refuse for the right reason).
    """
    for provider, alg, key, keys in provider_keys:
        token = data.draw(
            id_tokens(
                key=key,
                alg=alg,
                kid="review",
                issuer=provider.issuer,
                client_id=provider.client_id,
                nonce=_NONCE,
                now=_NOW,
            )
        )
        assert _check_id(provider, keys, token) is not None


@pytest.mark.sec(
    "SEC-07", "SEC-08", "SEC-09", "SEC-10", "SEC-23", "SEC-24", "SEC-25", "SEC-26", "SEC-30",
    "SEC-32", "SEC-82",
)  # fmt: skip
@given(data=st.data())
def test_each_providers_adversarial_id_tokens_are_refused(
    provider_keys: list[tuple[ProviderSettings, str, Any, KeySet]], data: st.DataObject
) -> None:
    """
    An ID token with one thing wrong (a claim, the algorithm, the signature,
    the key id, a jku) is refused with InvalidToken under each provider's
    settings.
    """
    for provider, alg, key, keys in provider_keys:
        token = data.draw(
            id_tokens(
                key=key,
                alg=alg,
                kid="review",
                issuer=provider.issuer,
                client_id=provider.client_id,
                nonce=_NONCE,
                now=_NOW,
                adversarial=True,
            )
        )
        with pytest.raises(InvalidToken):
            _check_id(provider, keys, token)


@pytest.mark.sec("SEC-23", "SEC-28", "SEC-32", "SEC-45", "SEC-46")
@given(data=st.data())
def test_each_providers_adversarial_logout_tokens_are_refused(
    provider_keys: list[tuple[ProviderSettings, str, Any, KeySet]], data: st.DataObject
) -> None:
    """
    A logout token with one thing wrong (as for ID tokens, or no logout
    event, a nonce, neither sub nor sid) is refused under each provider's
    settings, and a valid one passes once.
    """
    for provider, alg, key, keys in provider_keys:
        strategy = logout_tokens(
            key=key, alg=alg, kid="review", issuer=provider.issuer,
            client_id=provider.client_id, now=_NOW, adversarial=True,
        )  # fmt: skip
        with pytest.raises((InvalidLogoutToken, InvalidToken)):
            _check_logout(provider, keys, data.draw(strategy))
        valid = logout_tokens(
            key=key, alg=alg, kid="review", issuer=provider.issuer,
            client_id=provider.client_id, now=_NOW,
        )  # fmt: skip
        assert _check_logout(provider, keys, data.draw(valid)) is not None
