"""
ID token validation per second, one core: validate_id_token vs raw verify vs joserfc

For each of RS256 (RSA 2048), ES256 (P-256) and EdDSA (Ed25519), the same
signed ID token is validated three ways in the same run:

- raw: only ``cryptography``'s ``verify`` on the already-split signing input
  (the floor; no parsing, no key lookup, no claims);
- ours: :func:`ircc_account.hazmat.jose.validate_id_token` end to end (strict
  parse, allowlist, key selection from a KeySet, verify, every OIDC claim
  check, nonce, auth_time/max_age, acr, at_hash);
- joserfc: ``jwt.decode`` plus a ``JWTClaimsRegistry`` validating iss, aud,
  nonce and the times (a peer, not in our validation path).

The note gives ours/raw as a rate ratio (ours ops/s ÷ raw ops/s) and by median
latency (raw p50 ÷ ours p50, which stalls on a shared machine disturb less);
the target is at least 0.5.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time
import warnings
from typing import Any

from _harness import Measurement, Report, measure
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey, RSAKey

from ircc_account.hazmat.jose import KeySet, validate_id_token

ISSUER = "https://idp.example.gc.ca"
CLIENT_ID = "ircc-portal"
NONCE = "n-0S6_WzA2Mj-7fG3kX9qQ"
ACCESS_TOKEN = "SlAV32hkKG-benchmark-access-token"  # noqa: S105 - a fixture, not a secret


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(n: int, size: int | None = None) -> str:
    return _b64(n.to_bytes(size or (n.bit_length() + 7) // 8, "big"))


def _setup(alg: str) -> tuple[Any, dict[str, str], Any]:
    """A private key, its public JWK, and a raw verify callable factory."""
    if alg == "RS256":
        priv: Any = rsa.generate_private_key(65537, 2048)
        pub = priv.public_key().public_numbers()
        return priv, {"kty": "RSA", "kid": "k1", "n": _int(pub.n), "e": _int(pub.e)}, None
    if alg == "ES256":
        priv = ec.generate_private_key(ec.SECP256R1())
        pub = priv.public_key().public_numbers()
        jwk = {"kty": "EC", "crv": "P-256", "kid": "k1", "x": _int(pub.x, 32), "y": _int(pub.y, 32)}
        return priv, jwk, None
    priv = ed25519.Ed25519PrivateKey.generate()
    x = _b64(priv.public_key().public_bytes_raw())
    return priv, {"kty": "OKP", "crv": "Ed25519", "kid": "k1", "x": x}, None


def _sign(alg: str, priv: Any, signing_input: bytes) -> bytes:
    if alg == "RS256":
        return bytes(priv.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()))
    if alg == "ES256":
        r, s = decode_dss_signature(priv.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return bytes(priv.sign(signing_input))


def _raw_verifier(alg: str, priv: Any, signing_input: bytes, sig: bytes) -> Any:
    pub = priv.public_key()
    if alg == "RS256":
        pkcs, sha = padding.PKCS1v15(), hashes.SHA256()
        return lambda: pub.verify(sig, signing_input, pkcs, sha)
    if alg == "ES256":
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        ecdsa = ec.ECDSA(hashes.SHA256())
        return lambda: pub.verify(der, signing_input, ecdsa)
    return lambda: pub.verify(sig, signing_input)


def _token(alg: str, priv: Any, now: int) -> tuple[str, bytes, bytes]:
    digest = (hashlib.sha512 if alg == "EdDSA" else hashlib.sha256)(ACCESS_TOKEN.encode()).digest()
    claims = {
        "iss": ISSUER, "sub": "248289761001", "aud": CLIENT_ID, "exp": now + 3600, "iat": now,
        "nonce": NONCE, "auth_time": now - 30, "acr": "substantial", "amr": ["pwd", "otp"],
        "sid": "sid-1", "at_hash": _b64(digest[: len(digest) // 2]),
        "email": "marie.tremblay@example.ca", "given_name": "Marie", "family_name": "Tremblay",
    }  # fmt: skip
    header = {"alg": alg, "kid": "k1", "typ": "JWT"}
    h64 = _b64(json.dumps(header, separators=(",", ":")).encode())
    p64 = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{h64}.{p64}".encode()
    sig = _sign(alg, priv, signing_input)
    return f"{h64}.{p64}.{_b64(sig)}", signing_input, sig


def _joserfc(alg: str, jwk: dict[str, str], token: str) -> Any:
    key_cls = {"RS256": RSAKey, "ES256": ECKey, "EdDSA": OKPKey}[alg]
    key = key_cls.import_key(jwk)
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": CLIENT_ID},
        nonce={"essential": True, "value": NONCE},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        leeway=10,
    )

    def peer() -> None:
        with warnings.catch_warnings():
            # joserfc 1.8 warns that "EdDSA" is deprecated by RFC 9864 on every call.
            warnings.simplefilter("ignore")
            decoded = jwt.decode(token, key, algorithms=[alg])
        registry.validate(decoded.claims)

    return peer


def _rate_ratio(a: Measurement, b: Measurement) -> float:
    return a.ops_per_s / b.ops_per_s if b.ops_per_s else float("inf")


def run(report: Report) -> None:
    now_ts = int(time.time())
    now = dt.datetime.fromtimestamp(now_ts, dt.UTC)
    for alg, n in (("RS256", 4000), ("ES256", 4000), ("EdDSA", 4000)):
        priv, jwk, _ = _setup(alg)
        keys = KeySet.from_jwks({"keys": [jwk]})
        token, signing_input, sig = _token(alg, priv, now_ts)

        def ours(token: str = token, keys: KeySet = keys) -> object:
            return validate_id_token(
                token, keys=keys, issuer=ISSUER, client_id=CLIENT_ID, nonce=NONCE, now=now,
                max_age=300, acr_values=("substantial",), access_token=ACCESS_TOKEN,
            )  # fmt: skip

        floor = _raw_verifier(alg, priv, signing_input, sig)
        raw = report.add(measure(f"{alg}: cryptography verify only (floor)", floor, n=n))
        m = report.add(measure(f"{alg}: validate_id_token (ours, full)", ours, n=n))
        m.note = (
            f"ours/raw = {_rate_ratio(m, raw):.2f} (rate), {raw.p50_us / m.p50_us:.2f} (median);"
            " target ≥ 0.5"
        )
        p = report.add(
            measure(f"{alg}: joserfc jwt.decode + claims registry", _joserfc(alg, jwk, token), n=n)
        )
        p.note = f"joserfc/raw = {_rate_ratio(p, raw):.2f}; ours/joserfc = {_rate_ratio(m, p):.2f}"
