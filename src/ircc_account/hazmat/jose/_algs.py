"""
The signature algorithms we verify, and how, with :mod:`cryptography` directly.

Only asymmetric JWS algorithms (RFC 7518 §3.3–§3.5, RFC 8037 §3.1) exist here:
``none`` and the HMAC family are not in the table, so no configuration can
turn them on in a trust context where the verifier holds only public keys
(RFC 8725 §3.1, §3.2).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import attrs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from ircc_account.errors import ConfigurationError

__all__ = ["ALGORITHMS", "DEFAULT_ALGORITHMS", "SUPPORTED_ALGORITHMS", "Alg", "check_algorithms"]

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@attrs.frozen
class Alg:
    """
    One JWS algorithm.

    Attributes:
        name: The JOSE name (``"RS256"``).
        kty: The key type it needs (``"RSA"``, ``"EC"``, ``"OKP"``).
        crv: The curve it needs (EC and OKP only).
        sig_len: The exact signature length in bytes (EC and OKP; RSA uses the modulus size).
        hash: The hash of the signature; also the ``at_hash`` hash (OIDC Core §3.1.3.6).
    """

    name: str
    kty: str
    crv: str | None
    sig_len: int | None
    hash: hashes.HashAlgorithm
    at_hash: Callable[[bytes], Any]
    rsa_padding: padding.AsymmetricPadding | None = None
    ecdsa: ec.ECDSA | None = None

    def verify(self, kty: str, key: PublicKey, signature: bytes, signing_input: bytes) -> bool:
        """
        Whether *signature* over *signing_input* verifies under *key* (of type *kty*); never raises.

        Dispatches on the key type string rather than ``isinstance`` checks on
        :mod:`cryptography`'s abstract classes, which cost more than parsing.
        """
        if kty != self.kty:
            return False
        try:
            if self.rsa_padding is not None:
                rsa_key: rsa.RSAPublicKey = key  # type: ignore[assignment]
                # RFC 7518 §3.3 and §3.5: the signature is exactly k octets, k the modulus size.
                if len(signature) != (rsa_key.key_size + 7) // 8:
                    return False
                rsa_key.verify(signature, signing_input, self.rsa_padding, self.hash)
            elif self.ecdsa is not None:
                ec_key: ec.EllipticCurvePublicKey = key  # type: ignore[assignment]
                # RFC 7518 §3.4: R and S as fixed-length big-endian octets, concatenated.
                if len(signature) != self.sig_len:
                    return False
                half = len(signature) // 2
                der = encode_dss_signature(
                    int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
                )
                ec_key.verify(der, signing_input, self.ecdsa)
            else:
                ed_key: ed25519.Ed25519PublicKey = key  # type: ignore[assignment]
                if len(signature) != self.sig_len:
                    return False
                ed_key.verify(signature, signing_input)
        except (InvalidSignature, ValueError, TypeError, AttributeError):
            return False
        return True

    def sign(self, key: PrivateKey, signing_input: bytes) -> bytes:
        """
        The JWS signature of *signing_input* under *key*, which the caller
        checked fits this algorithm (``_sign.check_signing_key``).
        """
        if self.rsa_padding is not None:
            rsa_key: rsa.RSAPrivateKey = key  # type: ignore[assignment]
            return rsa_key.sign(signing_input, self.rsa_padding, self.hash)
        if self.ecdsa is not None:
            ec_key: ec.EllipticCurvePrivateKey = key  # type: ignore[assignment]
            # RFC 7518 §3.4: R and S as fixed-length big-endian octets, not DER.
            r, s = decode_dss_signature(ec_key.sign(signing_input, self.ecdsa))
            half = (self.sig_len or 0) // 2
            return r.to_bytes(half, "big") + s.to_bytes(half, "big")
        ed_key: ed25519.Ed25519PrivateKey = key  # type: ignore[assignment]
        return ed_key.sign(signing_input)


_HASHLIB: dict[str, Callable[[bytes], Any]] = {
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


def _rs(bits: int, h: hashes.HashAlgorithm) -> Alg:
    return Alg(f"RS{bits}", "RSA", None, None, h, _HASHLIB[h.name], rsa_padding=padding.PKCS1v15())


def _ps(bits: int, h: hashes.HashAlgorithm) -> Alg:
    # RFC 7518 §3.5: MGF1 with the same hash, and a salt as long as the hash output.
    pss = padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
    return Alg(f"PS{bits}", "RSA", None, None, h, _HASHLIB[h.name], rsa_padding=pss)


def _es(bits: int, crv: str, size: int, h: hashes.HashAlgorithm) -> Alg:
    return Alg(f"ES{bits}", "EC", crv, 2 * size, h, _HASHLIB[h.name], ecdsa=ec.ECDSA(h))


ALGORITHMS: dict[str, Alg] = {
    a.name: a
    for a in (
        _rs(256, hashes.SHA256()),
        _rs(384, hashes.SHA384()),
        _rs(512, hashes.SHA512()),
        _ps(256, hashes.SHA256()),
        _ps(384, hashes.SHA384()),
        _ps(512, hashes.SHA512()),
        _es(256, "P-256", 32, hashes.SHA256()),
        _es(384, "P-384", 48, hashes.SHA384()),
        _es(512, "P-521", 66, hashes.SHA512()),
        # RFC 8037 §3.1 (Ed25519 only). at_hash for EdDSA uses SHA-512, the
        # hash inside Ed25519, as OpenID Connect implementations agree.
        Alg("EdDSA", "OKP", "Ed25519", 64, hashes.SHA512(), hashlib.sha512),
    )
}

#: Every asymmetric signature algorithm this package verifies (never ``none``,
#: never HMAC: those are :data:`HMAC_ALGORITHMS`, for keys the caller holds).
SUPPORTED_ALGORITHMS: frozenset[str] = frozenset(ALGORITHMS)
#: The algorithms accepted when a caller names none: RS256, PS256, ES256, EdDSA.
DEFAULT_ALGORITHMS: frozenset[str] = frozenset({"RS256", "PS256", "ES256", "EdDSA"})


@functools.lru_cache(maxsize=64)
def _checked(algorithms: frozenset[str]) -> frozenset[str]:
    unknown = sorted(a for a in algorithms if a not in ALGORITHMS)
    if not algorithms or unknown:
        # Names like "none" or "HS256" are refused here, at configuration time.
        raise ConfigurationError(reason="algorithm allowlist must be non-empty asymmetric JWS algs")
    return algorithms


def check_algorithms(algorithms: Iterable[str]) -> frozenset[str]:
    """
    Return *algorithms* as a frozenset after checking each is a supported asymmetric algorithm.

    Raises:
        ConfigurationError: The list is empty, or names ``none``, an HMAC or an unknown algorithm.
    """
    if not isinstance(algorithms, frozenset):
        if isinstance(algorithms, str):
            raise ConfigurationError(reason="algorithms must be a set of names")
        algorithms = frozenset(algorithms)
    return _checked(algorithms)
