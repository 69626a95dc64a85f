"""
Compact JWS signing: round trips through our verifier and through joserfc, and the key policy.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import given
from hypothesis import strategies as st
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import JWKRegistry

from ircc_account.errors import ConfigurationError, InvalidToken
from ircc_account.hazmat.jose import (
    SUPPORTED_ALGORITHMS,
    KeySet,
    b64url_decode,
    check_signing_key,
    parse_compact_jws,
    sign_jws,
    verify_jws,
)

from ._mint import b64

CLAIMS = {"iss": "client-1", "sub": "client-1", "aud": "https://idp.example", "iat": 1767225600}
_CURVES = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}


def _int(n: int, size: int | None = None) -> str:
    return b64(n.to_bytes(size or (n.bit_length() + 7) // 8, "big"))


def public_jwk(key: Any) -> dict[str, str]:
    """The public JWK of *key* (written here, not by the code under test)."""
    pub = key.public_key()
    if isinstance(key, rsa.RSAPrivateKey):
        n = pub.public_numbers()
        return {"kty": "RSA", "n": _int(n.n), "e": _int(n.e)}
    if isinstance(key, ec.EllipticCurvePrivateKey):
        size = (key.curve.key_size + 7) // 8
        n = pub.public_numbers()
        crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[key.curve.name]
        return {"kty": "EC", "crv": crv, "x": _int(n.x, size), "y": _int(n.y, size)}
    return {"kty": "OKP", "crv": "Ed25519", "x": b64(pub.public_bytes_raw())}


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    """One private key per supported algorithm (one RSA key for every RS and PS alg)."""
    rsa_key = rsa.generate_private_key(65537, 2048)
    out: dict[str, Any] = {a: rsa_key for a in SUPPORTED_ALGORITHMS if a.startswith(("RS", "PS"))}
    out.update({name: ec.generate_private_key(curve) for name, curve in _CURVES.items()})
    out["EdDSA"] = ed25519.Ed25519PrivateKey.generate()
    return out


ALGS = sorted(SUPPORTED_ALGORITHMS)


@pytest.mark.parametrize("alg", ALGS)
def test_signed_tokens_verify_with_our_verifier(alg: str, keys: dict[str, Any]) -> None:
    """Every supported algorithm signs a token our strict verifier accepts, header and claims intact."""
    key = keys[alg]
    token = sign_jws(CLAIMS, key, alg=alg, kid="k1", typ="JWT")
    jwks = KeySet.from_jwks({"keys": [{**public_jwk(key), "kid": "k1"}]})
    parsed = verify_jws(token, jwks, algorithms=frozenset({alg}))
    assert dict(parsed.header) == {"alg": alg, "kid": "k1", "typ": "JWT"}
    assert json.loads(parsed.payload) == CLAIMS


@pytest.mark.parametrize("alg", ALGS)
def test_signed_tokens_verify_with_joserfc(alg: str, keys: dict[str, Any]) -> None:
    """An independent implementation (joserfc) verifies what we sign, for every algorithm."""
    key = keys[alg]
    token = sign_jws(CLAIMS, key, alg=alg, kid="k1")
    with warnings.catch_warnings():
        # joserfc 1.8 warns that the name "EdDSA" is deprecated by RFC 9864.
        warnings.filterwarnings("ignore", "EdDSA is deprecated", SecurityWarning)
        peer = jws.deserialize_compact(
            token, JWKRegistry.import_key(public_jwk(key)), algorithms=[alg]
        )
    assert peer.protected == {"alg": alg, "kid": "k1"}
    assert json.loads(peer.payload) == CLAIMS


def test_a_signature_by_another_key_does_not_verify(keys: dict[str, Any]) -> None:
    """The round trip is not vacuous: a token signed by another key fails."""
    token = sign_jws(CLAIMS, ed25519.Ed25519PrivateKey.generate(), alg="EdDSA")
    jwks = KeySet.from_jwks({"keys": [public_jwk(keys["EdDSA"])]})
    with pytest.raises(InvalidToken):
        verify_jws(token, jwks, algorithms=frozenset({"EdDSA"}))


def test_output_is_canonical_compact_sorted_json(keys: dict[str, Any]) -> None:
    """Header and claims are compact JSON with sorted members; Ed25519 makes it deterministic."""
    claims = {"z": 1, "a": "é"}
    token = sign_jws(claims, keys["EdDSA"], alg="EdDSA", typ="x+jwt", kid="k")
    h64, p64, s64 = token.split(".")
    assert b64url_decode(h64, InvalidToken, "h") == b'{"alg":"EdDSA","kid":"k","typ":"x+jwt"}'
    assert b64url_decode(p64, InvalidToken, "p") == b'{"a":"\\u00e9","z":1}'
    assert len(b64url_decode(s64, InvalidToken, "s")) == 64
    assert token == sign_jws(claims, keys["EdDSA"], alg="EdDSA", typ="x+jwt", kid="k")
    header = parse_compact_jws(sign_jws(claims, keys["EdDSA"], alg="EdDSA")).header
    assert dict(header) == {"alg": "EdDSA"}


@pytest.mark.parametrize("alg", ["none", "None", "HS256", "HS512", "ES256K", "rs256", ""])
def test_none_hmac_and_unknown_algorithms_are_refused(alg: str, keys: dict[str, Any]) -> None:
    """``none``, HMAC and unknown names cannot be signed with (RFC 8725 §3.1–3.2)."""
    for key in (keys["RS256"], keys["ES256"], keys["EdDSA"]):
        with pytest.raises(ConfigurationError):
            sign_jws(CLAIMS, key, alg=alg)
        with pytest.raises(ConfigurationError):
            check_signing_key(key, alg)


def test_the_key_must_fit_the_algorithm(keys: dict[str, Any]) -> None:
    """Key type and curve must be the algorithm's; a public key or another object never signs."""
    misfits = [
        ("ES256", keys["RS256"]),
        ("RS256", keys["ES256"]),
        ("ES256", keys["ES384"]),
        ("ES384", keys["ES256"]),
        ("ES512", keys["ES384"]),
        ("ES256", keys["EdDSA"]),
        ("EdDSA", keys["ES256"]),
        ("EdDSA", keys["RS256"]),
        ("PS256", keys["EdDSA"]),
        ("RS256", keys["RS256"].public_key()),
        ("EdDSA", keys["EdDSA"].public_key()),
        ("RS256", b"a secret"),
    ]
    for alg, key in misfits:
        with pytest.raises(ConfigurationError):
            sign_jws(CLAIMS, key, alg=alg)
        with pytest.raises(ConfigurationError):
            check_signing_key(key, alg)


def test_sec_27_weak_rsa_keys_never_sign() -> None:
    """An RSA key below 2048 bits is refused, as the verifier ignores one (SEC-27)."""
    weak = rsa.generate_private_key(65537, 1024)  # noqa: S505 (the weak key under test)
    with pytest.raises(ConfigurationError):
        sign_jws(CLAIMS, weak, alg="RS256")
    with pytest.raises(ConfigurationError):
        check_signing_key(weak, "PS256")


def test_claims_that_are_not_json_are_refused(keys: dict[str, Any]) -> None:
    """NaN and non-JSON values are errors, never written as invalid JSON."""
    with pytest.raises(ValueError, match="JSON"):
        sign_jws({"n": float("nan")}, keys["EdDSA"], alg="EdDSA")
    with pytest.raises(TypeError):
        sign_jws({"n": object()}, keys["EdDSA"], alg="EdDSA")


_ED_KEY = ed25519.Ed25519PrivateKey.generate()
_ED_KEYS = KeySet.from_jwks({"keys": [{**public_jwk(_ED_KEY), "kid": "k1"}]})
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(claims=st.dictionaries(st.text(), JSON, max_size=8))
def test_any_json_claims_round_trip(claims: dict[str, Any]) -> None:
    """Whatever JSON object is signed, our verifier returns exactly it."""
    token = sign_jws(claims, _ED_KEY, alg="EdDSA", kid="k1")
    parsed = verify_jws(token, _ED_KEYS, algorithms=frozenset({"EdDSA"}))
    assert json.loads(parsed.payload) == claims
