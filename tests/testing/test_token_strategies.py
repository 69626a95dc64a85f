"""
The kit's token strategies: valid tokens pass the library's validation,
adversarial ones are refused with its typed errors and never accepted.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ircc_account.errors import InvalidLogoutToken, InvalidToken
from ircc_account.hazmat.jose import (
    InMemoryJtiStore,
    KeySet,
    public_jwk,
    validate_id_token,
    validate_logout_token,
)
from ircc_account.testing.strategies import id_tokens, logout_tokens

ISSUER = "https://id.example.test"
CLIENT = "portal"
NONCE = "n-kit-0123456789abcdef"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
KEYS = {
    "RS256": rsa.generate_private_key(65537, 2048),
    "ES256": ec.generate_private_key(ec.SECP256R1()),
}
KEY_SET = KeySet.from_jwks(
    json.dumps(
        {"keys": [{**public_jwk(key), "kid": alg, "alg": alg} for alg, key in KEYS.items()]}
    ).encode()
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _id(alg: str, adversarial: bool) -> st.SearchStrategy[str]:
    return id_tokens(
        key=KEYS[alg], alg=alg, kid=alg, issuer=ISSUER, client_id=CLIENT, nonce=NONCE, now=NOW,
        adversarial=adversarial,
    )  # fmt: skip


def _logout(alg: str, adversarial: bool) -> st.SearchStrategy[str]:
    return logout_tokens(
        key=KEYS[alg], alg=alg, kid=alg, issuer=ISSUER, client_id=CLIENT, now=NOW,
        adversarial=adversarial,
    )  # fmt: skip


def _validate_id(token: str, **kw: Any) -> object:
    return validate_id_token(
        token, keys=KEY_SET, issuer=ISSUER, client_id=CLIENT, nonce=NONCE, now=NOW, **kw
    )


def _validate_logout(token: str) -> object:
    return validate_logout_token(
        token, keys=KEY_SET, issuer=ISSUER, client_id=CLIENT, now=NOW, jti_store=InMemoryJtiStore()
    )


@pytest.mark.parametrize("alg", sorted(KEYS))
@SETTINGS
@given(data=st.data())
def test_valid_id_tokens_pass(alg: str, data: st.DataObject) -> None:
    """Every token of id_tokens() passes validate_id_token with the same issuer, client, nonce and time."""
    claims = _validate_id(data.draw(_id(alg, False)))
    assert claims is not None


@pytest.mark.parametrize("alg", sorted(KEYS))
@SETTINGS
@given(data=st.data())
def test_adversarial_id_tokens_are_refused_at_any_leeway(alg: str, data: st.DataObject) -> None:
    """Every adversarial ID token is refused with InvalidToken, even at the largest leeway."""
    token = data.draw(_id(alg, True))
    with pytest.raises(InvalidToken):
        _validate_id(token, leeway=dt.timedelta(seconds=300))


@pytest.mark.parametrize("alg", sorted(KEYS))
@SETTINGS
@given(data=st.data())
def test_valid_logout_tokens_pass(alg: str, data: st.DataObject) -> None:
    """Every token of logout_tokens() passes validate_logout_token once."""
    assert _validate_logout(data.draw(_logout(alg, False))) is not None


@pytest.mark.parametrize("alg", sorted(KEYS))
@SETTINGS
@given(data=st.data())
def test_adversarial_logout_tokens_are_refused(alg: str, data: st.DataObject) -> None:
    """Every adversarial logout token is refused with InvalidLogoutToken or InvalidToken."""
    token = data.draw(_logout(alg, True))
    with pytest.raises((InvalidLogoutToken, InvalidToken)):
        _validate_logout(token)
