"""
Our own private keys as a portal holds them: PEM or JWK in, the algorithm
derived from the key, public JWKs and RFC 7638 thumbprints out.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc.jwk import ECKey, OKPKey, RSAKey

from ircc_account.errors import ConfigurationError
from ircc_account.hazmat.jose import (
    KeySet,
    jwk_thumbprint,
    key_algorithms,
    load_private_key,
    parse_compact_jws,
    private_jwk,
    public_jwk,
    sign_jws,
    verify_jws,
)

_PRIVATE = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {
        "RSA": rsa.generate_private_key(65537, 2048),
        "P-256": ec.generate_private_key(ec.SECP256R1()),
        "P-384": ec.generate_private_key(ec.SECP384R1()),
        "P-521": ec.generate_private_key(ec.SECP521R1()),
        "Ed25519": ed25519.Ed25519PrivateKey.generate(),
    }


def _pem(key: Any, password: bytes | None = None) -> bytes:
    enc = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    )


def _same(a: Any, b: Any) -> bool:
    return public_jwk(a) == public_jwk(b)


@pytest.mark.parametrize("name", ["RSA", "P-256", "P-384", "P-521", "Ed25519"])
def test_pem_text_and_bytes_load(name: str, keys: dict[str, Any]) -> None:
    """An unencrypted PKCS#8 or traditional PEM, as text or bytes, loads to the same key."""
    key = keys[name]
    pem = _pem(key)
    for source in (pem, pem.decode()):
        loaded = load_private_key(source)
        assert _same(loaded.key, key) and loaded.kid is None and loaded.alg is None


def test_encrypted_pem_needs_its_password(keys: dict[str, Any]) -> None:
    """An encrypted PEM loads with its password and is a ConfigurationError without it."""
    pem = _pem(keys["P-256"], b"correct horse")
    assert _same(load_private_key(pem, password=b"correct horse").key, keys["P-256"])
    with pytest.raises(ConfigurationError):
        load_private_key(pem)
    with pytest.raises(ConfigurationError):
        load_private_key(pem, password=b"wrong")


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("RSA", lambda: RSAKey.generate_key(2048, parameters={"kid": "r1", "alg": "RS256"})),
        ("P-256", lambda: ECKey.generate_key("P-256", parameters={"kid": "e1"})),
        ("P-384", lambda: ECKey.generate_key("P-384", parameters={"kid": "e2"})),
        ("Ed25519", lambda: OKPKey.generate_key("Ed25519", parameters={"kid": "o1"})),
    ],
)
def test_private_jwk_loads_with_its_kid_and_alg(name: str, make: Any) -> None:
    """A private JWK (as a mapping or JSON text) loads with its kid and alg; it round-trips through private_jwk."""
    jwk = make().as_dict(private=True)
    for source in (jwk, json.dumps(jwk)):
        loaded = load_private_key(source)
        assert loaded.kid == jwk["kid"] and loaded.alg == jwk.get("alg")
        assert public_jwk(loaded.key) == {
            k: v for k, v in jwk.items() if k in public_jwk(loaded.key)
        }
    again = load_private_key(private_jwk(loaded.key))
    assert _same(again.key, loaded.key)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not a key",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA", "d": "AA"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQAB"},
        42,
        None,
    ],
    ids=repr,
)
def test_anything_else_is_a_configuration_error_that_echoes_nothing(bad: Any) -> None:
    """A public, symmetric, unknown-curve, incomplete or garbage key is a ConfigurationError without its text."""
    with pytest.raises(ConfigurationError) as info:
        load_private_key(bad)
    assert "AAAA" not in str(info.value) and "c2VjcmV0" not in str(info.value)


def test_jwk_whose_public_half_does_not_match_its_private_half_is_refused(
    keys: dict[str, Any],
) -> None:
    """An EC or Ed25519 JWK whose x/y do not belong to d is refused."""
    a, b = private_jwk(keys["P-256"]), public_jwk(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ConfigurationError):
        load_private_key({**a, "x": b["x"], "y": b["y"]})
    o = private_jwk(keys["Ed25519"])
    with pytest.raises(ConfigurationError):
        load_private_key({**o, "x": public_jwk(ed25519.Ed25519PrivateKey.generate())["x"]})


@pytest.mark.parametrize(
    ("name", "algs"),
    [
        ("RSA", ("PS256", "RS256")),
        ("P-256", ("ES256",)),
        ("P-384", ("ES384",)),
        ("P-521", ("ES512",)),
        ("Ed25519", ("EdDSA",)),
    ],
)
def test_the_algorithm_follows_from_the_key(
    name: str, algs: tuple[str, ...], keys: dict[str, Any]
) -> None:
    """Each key type gives its algorithms, preferred first (RSA: PS256, then RS256)."""
    assert key_algorithms(keys[name]) == algs


@pytest.mark.parametrize("name", ["RSA", "P-256", "Ed25519"])
def test_public_jwk_has_no_private_member(name: str, keys: dict[str, Any]) -> None:
    """public_jwk never carries d, p, q or any other private member."""
    assert not _PRIVATE.intersection(public_jwk(keys[name]))


def test_rfc7638_thumbprint_vector() -> None:
    """The RFC 7638 §3.1 example key has the thumbprint the RFC gives."""
    jwk = {
        "kty": "RSA",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
            "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
            "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f"
            "M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        ),
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize(
    ("name", "alg"), [("P-256", "ES256"), ("Ed25519", "EdDSA"), ("RSA", "PS256")]
)
def test_sign_jws_can_embed_the_public_key(name: str, alg: str, keys: dict[str, Any]) -> None:
    """With jwk=True the header carries the public JWK only, and the JWS verifies under it."""
    token = sign_jws({"jti": "1"}, keys[name], alg=alg, typ="dpop+jwt", jwk=True)
    header = parse_compact_jws(token).header
    assert header["typ"] == "dpop+jwt" and header["jwk"] == public_jwk(keys[name])
    assert not _PRIVATE.intersection(header["jwk"])
    verify_jws(
        token, KeySet.from_jwks({"keys": [dict(header["jwk"])]}), algorithms=frozenset({alg})
    )
