"""
Compact JWS signing (RFC 7515 §5.1, §7.1): the one way the library signs a JOSE object.

Client assertions (RFC 7523) and delegation tokens are both signed here. The
algorithms are those the verifier accepts, so ``none`` and HMAC do not exist
(RFC 8725 §3.1, §3.2), and our own key must pass the policy a provider's key
must pass before we verify with it (SEC-27): RSA of 2048–8192 bits with a
sound exponent and no ROCA modulus, EC on the curve the algorithm names
(RFC 7518 §3.4), Ed25519 for EdDSA (RFC 8037 §3.1). The header holds ``alg``
and, if given, ``kid`` and ``typ``; nothing that points to a key, and a key
itself only as a DPoP proof's public ``jwk`` (RFC 9449 §4.2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ircc_account.errors import ConfigurationError

from ._algs import ALGORITHMS, Alg, PrivateKey
from ._codec import b64url_encode
from ._jwk import is_curve, rsa_key_problem
from ._keys import public_jwk

__all__ = ["check_signing_key", "sign_jws"]


def _fitting_alg(key: object, alg: str) -> Alg:
    a = ALGORITHMS.get(alg) if isinstance(alg, str) else None
    if a is None:
        # "none", the HMAC family and unknown names are refused alike.
        raise ConfigurationError(reason="the signing algorithm must be an asymmetric JWS alg")
    if a.kty == "RSA" and isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        fits = rsa_key_problem(numbers.n, numbers.e) is None
    elif a.kty == "EC" and isinstance(key, ec.EllipticCurvePrivateKey):
        fits = is_curve(key.curve, a.crv)
    else:
        fits = a.kty == "OKP" and isinstance(key, ed25519.Ed25519PrivateKey)
    if not fits:
        raise ConfigurationError(reason=f"the signing key does not fit {alg} or the key policy")
    return a


def check_signing_key(key: object, alg: str) -> None:
    """
    Check that *key* may sign with *alg*, as :func:`sign_jws` will; for
    checking configuration before the first signature.

    Args:
        key: A :mod:`cryptography` private key.
        alg: A JWS algorithm name from :data:`SUPPORTED_ALGORITHMS`.

    Raises:
        ConfigurationError: *alg* is ``none``, an HMAC or unknown; or *key* is
            not a private key of the type and curve *alg* needs, or an RSA key
            outside the key policy (2048–8192 bits, odd exponent ≥ 3, no ROCA).
    """
    _fitting_alg(key, alg)


def _part(value: Mapping[str, Any]) -> str:
    # Sorted and compact: the same claims always give the same bytes.
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, allow_nan=False)
    return b64url_encode(text.encode("ascii"))


def sign_jws(
    claims: Mapping[str, Any],
    key: PrivateKey,
    *,
    alg: str,
    kid: str | None = None,
    typ: str | None = None,
    jwk: bool = False,
) -> str:
    """
    Sign *claims* as a JWS in compact serialization (RFC 7515 §7.1).

    The protected header is ``alg``, then ``kid`` and ``typ`` when given
    (RFC 8725 §3.11: type what you sign), and with *jwk* the public half of
    *key*. Header and claims are compact JSON with sorted members, in
    unpadded base64url.

    Args:
        claims: The payload: a JSON object (no NaN or infinity).
        key: Our private key; it must fit *alg* (see :func:`check_signing_key`).
        alg: The algorithm, one of :data:`SUPPORTED_ALGORITHMS`.
        kid: The key id the verifier selects the key by.
        typ: The explicit type, such as ``"JWT"`` or ``"dpop+jwt"``.
        jwk: Put *key*'s public JWK in the header, as a DPoP proof must
            (RFC 9449 §4.2). Derived from the key, so it can hold no private member.

    Raises:
        ConfigurationError: *alg* is not a supported asymmetric algorithm, or
            *key* does not fit it or the key policy.
        TypeError, ValueError: *claims* cannot be written as JSON.
    """
    a = _fitting_alg(key, alg)
    header: dict[str, Any] = {"alg": alg}
    if kid is not None:
        header["kid"] = kid
    if typ is not None:
        header["typ"] = typ
    if jwk:
        header["jwk"] = public_jwk(key)
    signing_input = f"{_part(header)}.{_part(claims)}"
    return f"{signing_input}.{b64url_encode(a.sign(key, signing_input.encode('ascii')))}"
