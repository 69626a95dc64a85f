"""
Random values and their hashes: state, nonce, PKCE, session ids.

Every value comes from the injected :class:`~ircc_account._clock.Randomness`
(a CSPRNG in production) and is compared only in constant time (SEC-31).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from ircc_account._clock import Randomness
from ircc_account.hazmat.jose import b64url_encode

__all__ = [
    "code_challenge",
    "equal",
    "id_hash",
    "new_code_verifier",
    "new_token",
    "session_ref",
]

#: 256 bits: state, nonce and session ids (SEC-03, SEC-04, SEC-33 ask for ≥ 128).
TOKEN_BYTES = 32
#: 32 bytes → 43 base64url characters, the RFC 7636 §4.1 minimum length, 256 bits.
VERIFIER_BYTES = 32
_B64URL_TOKEN = re.compile(r"[A-Za-z0-9_-]{43,128}")


def new_token(randomness: Randomness) -> str:
    """
    A fresh 256-bit value as 43 base64url characters.
    """
    return b64url_encode(randomness.token_bytes(TOKEN_BYTES))


def new_code_verifier(randomness: Randomness) -> str:
    """
    A PKCE ``code_verifier``: 43 characters of ``[A-Za-z0-9_-]``, 256 bits (RFC 7636 §4.1).
    """
    return b64url_encode(randomness.token_bytes(VERIFIER_BYTES))


def code_challenge(verifier: str) -> str:
    """
    The S256 ``code_challenge``: ``BASE64URL(SHA256(ASCII(code_verifier)))`` (RFC 7636 §4.2).
    """
    return b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())


def id_hash(value: str) -> bytes:
    """
    The SHA-256 under which a secret (session id, ``state``) is stored server-side.
    """
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def session_ref(hashed: bytes) -> str:
    """
    A non-secret reference to a session, for audit and "your sessions" lists.
    """
    return "s:" + hashed[:12].hex()


def equal(a: bytes, b: bytes) -> bool:
    """
    Constant-time equality (SEC-31).
    """
    return hmac.compare_digest(a, b)


def well_formed(token: object) -> bool:
    """
    Whether *token* looks like one of our random values (before any lookup).
    """
    return isinstance(token, str) and _B64URL_TOKEN.fullmatch(token) is not None
