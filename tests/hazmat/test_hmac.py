"""
HMAC-signed ID tokens (OIDC Core §10.1): refused unless the caller passes the client secret as an HmacKey.
"""

from __future__ import annotations

import hashlib
import secrets

import pytest
from cryptography.hazmat.primitives import serialization

from ircc_account.errors import ConfigurationError
from ircc_account.hazmat.jose import HmacKey, KeySet

from ._mint import Signer, b64, hs256, id_claims
from .test_id_token import assert_rejected, check

SECRET = secrets.token_urlsafe(48)


@pytest.fixture(scope="module")
def keys() -> KeySet:
    return KeySet.from_jwks(Signer("ES256", "ec1").jwks())


def test_hs256_is_refused_without_the_opt_in(keys: KeySet) -> None:
    """An HS256 ID token keyed with the client secret is refused when no HmacKey is given."""
    assert assert_rejected(hs256(id_claims(), SECRET.encode()), keys).reason == "alg.not_allowed"


def test_hs256_is_accepted_with_the_client_secret(keys: KeySet) -> None:
    """With HmacKey(client secret, HS256), the token verifies, at_hash included (SHA-256)."""
    access = "access-token-value"
    at_hash = b64(hashlib.sha256(access.encode()).digest()[:16])
    token = hs256(id_claims(at_hash=at_hash), SECRET.encode())
    key = HmacKey(SECRET, {"HS256"})
    assert check(token, keys, hmac_key=key, access_token=access).alg == "HS256"
    assert_rejected(token, keys, hmac_key=key, access_token="another")


def test_a_wrong_secret_or_another_hmac_alg_is_refused(keys: KeySet) -> None:
    """A token keyed with another secret fails the signature; HS384 is refused when only HS256 is allowed."""
    key = HmacKey(SECRET, {"HS256"})
    other = secrets.token_urlsafe(48).encode()
    assert assert_rejected(hs256(id_claims(), other), keys, hmac_key=key).reason == "signature"
    hs384 = hs256(id_claims(), SECRET.encode(), alg="HS384")
    assert assert_rejected(hs384, keys, hmac_key=key).reason == "alg.not_allowed"


def test_sec_24_hmac_keyed_with_a_public_key_is_still_refused(keys: KeySet) -> None:
    """The key-confusion attack (HS256 keyed with the provider's public key) fails even with the opt-in."""
    signer = Signer("RS256", "rsa1")
    rsa_keys = KeySet.from_jwks(signer.jwks())
    pem = signer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = hs256(id_claims(), pem, kid="rsa1")
    assert_rejected(token, rsa_keys, hmac_key=HmacKey(SECRET, {"HS256"}))


def test_asymmetric_tokens_still_verify_with_the_opt_in() -> None:
    """Opting in to HMAC changes nothing for tokens signed with the provider's keys."""
    signer = Signer("ES256", "ec1")
    keys = KeySet.from_jwks(signer.jwks())
    assert check(signer.sign(id_claims()), keys, hmac_key=HmacKey(SECRET, {"HS256"})).alg == "ES256"


@pytest.mark.parametrize(
    ("secret", "algs"),
    [
        ("s" * 40, {"HS256"}),
        ("abcabcabcabcabcabcabcabcabcabcabcabcabcab", {"HS256"}),
        (secrets.token_urlsafe(23), {"HS256"}),
        (secrets.token_urlsafe(40), {"HS512"}),
        (SECRET, {"RS256"}),
        (SECRET, set()),
        (SECRET, "HS256"),
    ],
    ids=["one-char", "repeating", "short-for-hs256", "short-for-hs512", "not-hmac", "empty", "str"],
)
def test_weak_secrets_and_bad_algorithms_are_refused(secret: str, algs: object) -> None:
    """The secret must be as long as the hash output and hold about 128 bits; algs must be HS256/384/512."""
    with pytest.raises(ConfigurationError):
        HmacKey(secret, algs)  # type: ignore[arg-type]


def test_hmac_key_never_shows_its_secret() -> None:
    """repr shows the algorithms only, and pickling is refused."""
    import pickle

    key = HmacKey(SECRET, {"HS256"})
    assert SECRET not in repr(key)
    with pytest.raises(TypeError):
        pickle.dumps(key)
