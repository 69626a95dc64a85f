"""
Client authentication at the provider's token and PAR endpoints.

``private_key_jwt`` (RFC 7523 §3, FAPI 2.0 SP §5.3.3.1; SEC-16): a fresh
assertion per request with ``iss = sub = client_id``, ``aud`` the provider's
issuer identifier as a plain string, a unique ``jti`` and a short ``exp``.
Shared secrets go in the ``Authorization`` header or the form body, never in
a URL.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.parse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from ircc_account._clock import Randomness

from ._config import ClientSecret, PrivateKeyJwt, ProviderConfig

__all__ = ["ASSERTION_TYPE", "client_assertion", "client_auth"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "256": hashes.SHA256(),
    "384": hashes.SHA384(),
    "512": hashes.SHA512(),
}
_EC_SIZES = {"ES256": 32, "ES384": 48, "ES512": 66}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign(auth: PrivateKeyJwt, signing_input: bytes) -> bytes:
    alg, key = auth.algorithm, auth.key
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(signing_input)
    h = _HASHES[alg[-3:]]
    if isinstance(key, rsa.RSAPrivateKey):
        if alg.startswith("PS"):
            pss = padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
            return key.sign(signing_input, pss, h)
        return key.sign(signing_input, padding.PKCS1v15(), h)
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(h)))
    size = _EC_SIZES[alg]
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def client_assertion(
    auth: PrivateKeyJwt,
    *,
    client_id: str,
    audience: str,
    now: dt.datetime,
    randomness: Randomness,
) -> str:
    """
    A signed ``private_key_jwt`` client assertion (RFC 7523 §3).

    Args:
        auth: Our key and algorithm.
        client_id: Both ``iss`` and ``sub``.
        audience: The provider's issuer identifier, sent as a string (FAPI 2.0).
        now: The current time.
        randomness: The source of the 256-bit ``jti``.
    """
    header: dict[str, str] = {"alg": auth.algorithm, "typ": "JWT"}
    if auth.key_id is not None:
        header["kid"] = auth.key_id
    iat = int(now.timestamp())
    claims = {
        "iss": client_id,
        "sub": client_id,
        # RFC 7523 §3 item 3 and FAPI 2.0 SP §5.3.3.1 item 5: the audience is
        # the issuer identifier, "as a string and not as an array".
        "aud": audience,
        "jti": _b64(randomness.token_bytes(32)),
        "iat": iat,
        "nbf": iat,
        "exp": iat + int(auth.lifetime.total_seconds()),
    }
    enc = _b64(json.dumps(header, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{enc}.{payload}".encode("ascii")
    return f"{enc}.{payload}.{_b64(_sign(auth, signing_input))}"


def client_auth(
    config: ProviderConfig, *, now: dt.datetime, randomness: Randomness
) -> tuple[dict[str, str], dict[str, str]]:
    """
    The headers and form fields that authenticate us at *config*'s provider.
    """
    auth = config.client_auth
    if isinstance(auth, PrivateKeyJwt):
        assertion = client_assertion(
            auth, client_id=config.client_id, audience=config.issuer, now=now, randomness=randomness
        )
        form = {
            "client_id": config.client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        }
        return {}, form
    assert isinstance(auth, ClientSecret)
    if auth.method == "client_secret_post":
        return {}, {"client_id": config.client_id, "client_secret": auth.secret}
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    user = urllib.parse.quote_plus(config.client_id, safe="")
    password = urllib.parse.quote_plus(auth.secret, safe="")
    pair = f"{user}:{password}"
    basic = base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return {"Authorization": f"Basic {basic}"}, {}
