"""
A small token minter for the hazmat tests: real keys from ``cryptography``, our own JWS encoding.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ISSUER = "https://idp.example.gc.ca"
CLIENT_ID = "ircc-portal"
NONCE = "n-0S6_WzA2Mj-7fG3kX9qQ"
NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"

_HASHES = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}


def b64(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(obj: Any) -> str:
    """Unpadded base64url of compact JSON."""
    return b64(json.dumps(obj, separators=(",", ":")).encode())


def _int(n: int, size: int | None = None) -> str:
    return b64(n.to_bytes(size or (n.bit_length() + 7) // 8, "big"))


class Signer:
    """One private key and its public JWK; signs with the alg it was made for."""

    def __init__(self, alg: str, kid: str | None = "k1", *, rsa_bits: int = 2048, e: int = 65537):
        self.alg, self.kid = alg, kid
        if alg.startswith(("RS", "PS")):
            self.key: Any = rsa.generate_private_key(e, rsa_bits)
            pub = self.key.public_key().public_numbers()
            self.public = {"kty": "RSA", "n": _int(pub.n), "e": _int(pub.e)}
        elif alg.startswith("ES"):
            curve, self.size = {"ES256": (ec.SECP256R1(), 32), "ES384": (ec.SECP384R1(), 48),
                                "ES512": (ec.SECP521R1(), 66)}[alg]  # fmt: skip
            self.key = ec.generate_private_key(curve)
            pub = self.key.public_key().public_numbers()
            crv = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg]
            self.public = {"kty": "EC", "crv": crv, "x": _int(pub.x, self.size),
                           "y": _int(pub.y, self.size)}  # fmt: skip
        else:
            self.key = ed25519.Ed25519PrivateKey.generate()
            raw = self.key.public_key().public_bytes_raw()
            self.public = {"kty": "OKP", "crv": "Ed25519", "x": b64(raw)}
        if kid is not None:
            self.public["kid"] = kid

    def jwks(self, *others: Signer) -> bytes:
        """The JWKS document holding this key (and *others*)."""
        return json.dumps({"keys": [self.public] + [o.public for o in others]}).encode()

    def raw_sign(self, signing_input: bytes, alg: str | None = None) -> bytes:
        """The JOSE signature over *signing_input*."""
        alg = alg or self.alg
        h = _HASHES.get(alg[-3:])
        if alg.startswith("RS"):
            return self.key.sign(signing_input, padding.PKCS1v15(), h)
        if alg.startswith("PS"):
            pss = padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
            return self.key.sign(signing_input, pss, h)
        if alg.startswith("ES"):
            r, s = decode_dss_signature(self.key.sign(signing_input, ec.ECDSA(h)))
            return r.to_bytes(self.size, "big") + s.to_bytes(self.size, "big")
        return self.key.sign(signing_input)

    def sign(
        self,
        claims: dict[str, Any] | bytes,
        header: dict[str, Any] | None = None,
        **extra_header: Any,
    ) -> str:
        """A compact JWS of *claims* with a default header ``alg``, ``kid``, ``typ=JWT``."""
        hdr: dict[str, Any] = {"alg": self.alg, "typ": "JWT"}
        if self.kid is not None:
            hdr["kid"] = self.kid
        if header is not None:
            hdr = dict(header)
        hdr.update(extra_header)
        hdr = {k: v for k, v in hdr.items() if v is not None}
        payload = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
        signing_input = f"{b64json(hdr)}.{b64(payload)}".encode()
        return f"{signing_input.decode()}.{b64(self.raw_sign(signing_input))}"


def hs256(claims: dict[str, Any], secret: bytes, **header: Any) -> str:
    """An HS256 token keyed with *secret* (for confusion attacks)."""
    hdr = {"alg": "HS256", "typ": "JWT", **header}
    signing_input = f"{b64json(hdr)}.{b64json(claims)}".encode()
    return (
        f"{signing_input.decode()}.{b64(hmac.new(secret, signing_input, hashlib.sha256).digest())}"
    )


def unsigned(claims: dict[str, Any], **header: Any) -> str:
    """An ``alg: none`` token."""
    return f"{b64json({'alg': 'none', **header})}.{b64json(claims)}."


def id_claims(**over: Any) -> dict[str, Any]:
    """Valid ID token claims at NOW; keyword arguments override (None removes)."""
    ts = int(NOW.timestamp())
    claims: dict[str, Any] = {
        "iss": ISSUER, "sub": "248289761001", "aud": CLIENT_ID, "exp": ts + 300, "iat": ts,
        "nonce": NONCE, "auth_time": ts - 30, "acr": "substantial", "amr": ["pwd", "otp"],
        "sid": "sid-1",
    }  # fmt: skip
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def logout_claims(**over: Any) -> dict[str, Any]:
    """Valid logout token claims at NOW; keyword arguments override (None removes)."""
    ts = int(NOW.timestamp())
    claims: dict[str, Any] = {
        "iss": ISSUER, "aud": CLIENT_ID, "iat": ts, "exp": ts + 120, "jti": "jti-1",
        "sub": "248289761001", "sid": "sid-1", "events": {LOGOUT_EVENT: {}},
    }  # fmt: skip
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}
