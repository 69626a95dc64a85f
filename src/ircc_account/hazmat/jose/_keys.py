"""
Our own private keys, in the forms a portal is given them: PEM or JWK.

A portal registers a public key at a provider and keeps the private half as
a PEM file or a private JWK (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2). This
module loads either into a :mod:`cryptography` key, says which JWS
algorithms the key can sign with, and writes keys back out as JWKs: the
public half (for a DPoP proof's ``jwk`` header, RFC 9449 §4.2) and the
private half (to seal a session's DPoP key with its tokens). Errors never
carry key material.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import attrs
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ircc_account.errors import ConfigurationError, IdentityError

from ._algs import PrivateKey
from ._codec import b64url_decode, b64url_encode

__all__ = [
    "LoadedKey",
    "jwk_thumbprint",
    "key_algorithms",
    "load_private_key",
    "private_jwk",
    "public_jwk",
]

_CURVES: dict[str, tuple[type[ec.EllipticCurve], int, str]] = {
    "P-256": (ec.SECP256R1, 32, "ES256"),
    "P-384": (ec.SECP384R1, 48, "ES384"),
    "P-521": (ec.SECP521R1, 66, "ES512"),
}
_SIGNING_KEYS = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)
_BY_CURVE_NAME: dict[str, tuple[str, int, str]] = {
    cls().name: (crv, size, alg) for crv, (cls, size, alg) in _CURVES.items()
}


@attrs.frozen(repr=False)
class LoadedKey:
    """
    A private key as loaded from PEM or a JWK.

    Attributes:
        key: The :mod:`cryptography` private key (never shown in ``repr``).
        kid: The JWK's ``kid``, if it had one.
        alg: The JWK's ``alg``, if it had one.
    """

    key: PrivateKey
    kid: str | None = None
    alg: str | None = None

    def __repr__(self) -> str:
        return f"LoadedKey(kid={self.kid!r}, alg={self.alg!r})"


def _bad(what: str) -> ConfigurationError:
    return ConfigurationError(reason=f"the private key could not be loaded ({what})")


def _int(jwk: Mapping[str, Any], name: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise _bad(f"{name} is missing")
    try:
        return int.from_bytes(b64url_decode(value, IdentityError, name), "big")
    except IdentityError:
        raise _bad(f"{name} is not base64url") from None


def _from_jwk(jwk: Mapping[str, Any]) -> LoadedKey:
    kty, kid, alg = jwk.get("kty"), jwk.get("kid"), jwk.get("alg")
    if kid is not None and not isinstance(kid, str):
        raise _bad("kid is not a string")
    if alg is not None and not isinstance(alg, str):
        raise _bad("alg is not a string")
    key: PrivateKey
    if kty == "RSA":
        public = rsa.RSAPublicNumbers(_int(jwk, "e"), _int(jwk, "n"))
        numbers = rsa.RSAPrivateNumbers(
            p=_int(jwk, "p"),
            q=_int(jwk, "q"),
            d=_int(jwk, "d"),
            dmp1=_int(jwk, "dp"),
            dmq1=_int(jwk, "dq"),
            iqmp=_int(jwk, "qi"),
            public_numbers=public,
        )
        try:
            key = numbers.private_key()  # checks the numbers are consistent
        except ValueError:
            raise _bad("inconsistent RSA parameters") from None
    elif kty == "EC":
        crv = jwk.get("crv")
        if not isinstance(crv, str) or crv not in _CURVES:
            raise _bad("unsupported curve")
        curve, _, _ = _CURVES[crv]
        try:
            key = ec.derive_private_key(_int(jwk, "d"), curve())
        except ValueError:
            raise _bad("d is out of range") from None
        point = key.public_key().public_numbers()
        if (point.x, point.y) != (_int(jwk, "x"), _int(jwk, "y")):
            raise _bad("x and y do not belong to d")
    elif kty == "OKP":
        if jwk.get("crv") != "Ed25519":
            raise _bad("unsupported curve")
        d = jwk.get("d")
        x = jwk.get("x")
        if not isinstance(d, str) or not isinstance(x, str):
            raise _bad("d or x is missing")
        try:
            raw = b64url_decode(d, IdentityError, "d")
            key = ed25519.Ed25519PrivateKey.from_private_bytes(raw)
        except (IdentityError, ValueError):
            raise _bad("d is not an Ed25519 key") from None
        if public_jwk(key)["x"] != x:
            raise _bad("x does not belong to d")
    elif kty == "oct":
        raise _bad("a symmetric key cannot sign here")
    else:
        raise _bad("unknown kty")
    return LoadedKey(key=key, kid=kid, alg=alg)


def load_private_key(source: object, *, password: bytes | None = None) -> LoadedKey:
    """
    Load our private signing key from a :mod:`cryptography` key, PEM, or a private JWK.

    Args:
        source: A :mod:`cryptography` RSA, EC or Ed25519 private key; PEM text
            or bytes (PKCS#8, or the traditional RSA and EC formats); a private
            JWK as a mapping or JSON text (RSA with all CRT parameters, EC on
            P-256/384/521, OKP Ed25519).
        password: The password of an encrypted PEM.

    Returns:
        The key, with the JWK's ``kid`` and ``alg`` when it had them.

    Raises:
        ConfigurationError: anything else, a public or symmetric key, an
            inconsistent JWK, or a wrong password. The message never holds
            key material.
    """
    if isinstance(source, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return LoadedKey(key=source)
    if isinstance(source, ed25519.Ed25519PrivateKey):
        return LoadedKey(key=source)
    if isinstance(source, Mapping):
        return _from_jwk(source)
    if isinstance(source, str):
        text = source.strip()
        if text.startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError:
                raise _bad("not JSON") from None
            if not isinstance(parsed, dict):
                raise _bad("not a JWK")
            return _from_jwk(parsed)
        source = text.encode("utf-8", "replace")
    if not isinstance(source, bytes) or b"-----BEGIN" not in source:
        raise _bad("neither PEM nor a JWK")
    try:
        key = serialization.load_pem_private_key(source, password=password)
    except TypeError:
        raise _bad("an encrypted PEM needs its password, an unencrypted one none") from None
    except (ValueError, UnsupportedAlgorithm):
        raise _bad("not a readable private key PEM, or a wrong password") from None
    if not isinstance(key, _SIGNING_KEYS):
        raise _bad("only RSA, EC and Ed25519 keys can sign here")
    return LoadedKey(key=key)


def key_algorithms(key: PrivateKey) -> tuple[str, ...]:
    """
    The JWS algorithms *key* can sign with, preferred first.

    RSA gives ``PS256`` then ``RS256`` (FAPI 2.0 allows only the first); an
    EC key the one algorithm of its curve; Ed25519 ``EdDSA``.

    Raises:
        ConfigurationError: a key of another type or curve.
    """
    if isinstance(key, rsa.RSAPrivateKey):
        return ("PS256", "RS256")
    if isinstance(key, ec.EllipticCurvePrivateKey):
        known = _BY_CURVE_NAME.get(key.curve.name)
        if known is None:
            raise ConfigurationError(reason="the EC key is not on P-256, P-384 or P-521")
        return (known[2],)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return ("EdDSA",)
    raise ConfigurationError(reason="only RSA, EC and Ed25519 keys can sign here")


def _b64_int(n: int, size: int | None = None) -> str:
    return b64url_encode(n.to_bytes(size or max(1, (n.bit_length() + 7) // 8), "big"))


def public_jwk(key: PrivateKey) -> dict[str, str]:
    """
    The public JWK of *key*: only ``kty`` and the public members, never ``d``,
    ``p``, ``q`` or any other private member (RFC 9449 §4.2: "MUST NOT contain a private key").
    """
    if isinstance(key, rsa.RSAPrivateKey):
        pub = key.public_key().public_numbers()
        return {"kty": "RSA", "n": _b64_int(pub.n), "e": _b64_int(pub.e)}
    if isinstance(key, ec.EllipticCurvePrivateKey):
        crv, size, _ = _BY_CURVE_NAME[key.curve.name]
        point = key.public_key().public_numbers()
        return {"kty": "EC", "crv": crv, "x": _b64_int(point.x, size), "y": _b64_int(point.y, size)}
    raw = key.public_key().public_bytes_raw()
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}


def private_jwk(key: PrivateKey) -> dict[str, str]:
    """
    The private JWK of *key*, every member included. Hazardous: it is the
    key; only for sealing it where the library keeps secrets.
    """
    jwk = public_jwk(key)
    if isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        jwk.update(
            d=_b64_int(n.d),
            p=_b64_int(n.p),
            q=_b64_int(n.q),
            dp=_b64_int(n.dmp1),
            dq=_b64_int(n.dmq1),
            qi=_b64_int(n.iqmp),
        )
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        _, size, _ = _BY_CURVE_NAME[key.curve.name]
        jwk["d"] = _b64_int(key.private_numbers().private_value, size)
    else:
        jwk["d"] = b64url_encode(key.private_bytes_raw())
    return jwk


_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"),
                       "OKP": ("crv", "kty", "x")}  # fmt: skip


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """
    The RFC 7638 SHA-256 thumbprint of a public JWK, base64url (RFC 9449 §6's ``jkt``).

    Only the required members, in lexicographic order, with no whitespace (§3.2).

    Raises:
        ConfigurationError: an unknown ``kty`` or a missing member.
    """
    members = _THUMBPRINT_MEMBERS.get(jwk.get("kty"))  # type: ignore[arg-type]
    if members is None or any(not isinstance(jwk.get(m), str) for m in members):
        raise ConfigurationError(reason="a thumbprint needs a complete RSA, EC or OKP public JWK")
    text = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(text.encode("utf-8")).digest())
