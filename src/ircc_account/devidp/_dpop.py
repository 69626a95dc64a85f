"""
DPoP (RFC 9449) on the development provider's side: proof checks, nonces, and binding.

authlib has no DPoP support, so this module checks proofs with authlib's JOSE
layer (joserfc), as an authorization server and a resource server must
(RFC 9449 §4.3): ``typ`` ``dpop+jwt``, an asymmetric ``alg``, a ``jwk``
that is a public key, the signature by that key, a ``jti`` not seen before,
``htm`` and ``htu`` equal to the request's, a recent ``iat``, the server's
nonce when it asks for one, and ``ath`` for a resource request. A checked
proof yields the RFC 7638 thumbprint (``jkt``) the access token is bound to.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import urllib.parse
import warnings
from typing import Any

import attrs
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry

from ircc_account._clock import Clock
from ircc_account.hazmat.jose import b64url_encode

__all__ = ["DPOP_ALGORITHMS", "DpopError", "DpopVerifier"]

#: What the provider accepts for proofs (advertised as dpop_signing_alg_values_supported).
DPOP_ALGORITHMS = ("ES256", "EdDSA", "PS256", "RS256")
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# §11.1: a proof is accepted only within this window around our clock.
_WINDOW = 60


@attrs.frozen
class DpopError(Exception):
    """
    A refused proof: ``invalid_dpop_proof``, or ``use_dpop_nonce`` with the nonce to use.
    """

    error: str
    nonce: str | None = None


class DpopVerifier:
    """
    Checks DPoP proofs and keeps the state they need: seen ``jti`` values and nonces.

    Args:
        clock: The time source.
        require_nonce: Ask for a server-provided nonce (RFC 9449 §8, §9).
    """

    def __init__(self, clock: Clock, *, require_nonce: bool = False) -> None:
        self._clock = clock
        self._require_nonce = require_nonce
        self._lock = threading.Lock()
        self._jtis: dict[str, float] = {}
        self._nonce = secrets.token_urlsafe(24)

    @property
    def nonce(self) -> str:
        """The nonce clients must send, when nonces are required."""
        return self._nonce

    def check(
        self,
        proof: str | None,
        *,
        method: str,
        url: str,
        access_token: str | None = None,
    ) -> str:
        """
        Check one proof for a request to *url*; return the key's thumbprint (``jkt``).

        Args:
            proof: The ``DPoP`` header value.
            method: The request method.
            url: The URL the request was sent to (compared without query and fragment).
            access_token: For a resource request, the token its ``ath`` must hash.

        Raises:
            DpopError: the proof is missing or invalid, or a nonce is needed.
        """
        if not proof or proof.count(".") != 2:
            raise DpopError("invalid_dpop_proof")
        try:
            header = json.loads(_b64decode(proof.split(".", 1)[0]))
            alg, jwk = header.get("alg"), header.get("jwk")
            if header.get("typ") != "dpop+jwt" or alg not in DPOP_ALGORITHMS:
                raise DpopError("invalid_dpop_proof")
            if not isinstance(jwk, dict) or _PRIVATE_MEMBERS.intersection(jwk):
                raise DpopError("invalid_dpop_proof")
            key = JWKRegistry.import_key(jwk)
            with warnings.catch_warnings():
                # joserfc 1.8 flags "EdDSA" as deprecated (RFC 9864) on every use.
                warnings.simplefilter("ignore")
                verified = jws.deserialize_compact(proof, key, algorithms=[alg])
            claims = json.loads(verified.payload)
        except (JoseError, ValueError, TypeError, AttributeError):
            raise DpopError("invalid_dpop_proof") from None
        if not isinstance(claims, dict):
            raise DpopError("invalid_dpop_proof")
        self._check_claims(claims, method, url, access_token)
        return str(key.thumbprint())

    def _check_claims(
        self, claims: dict[str, Any], method: str, url: str, access_token: str | None
    ) -> None:
        now = self._clock.now().timestamp()
        jti, iat = claims.get("jti"), claims.get("iat")
        if claims.get("htm") != method or claims.get("htu") != _htu(url):
            raise DpopError("invalid_dpop_proof")
        if not isinstance(iat, int | float) or abs(iat - now) > _WINDOW:
            raise DpopError("invalid_dpop_proof")
        if access_token is not None:
            ath = b64url_encode(hashlib.sha256(access_token.encode("ascii")).digest())
            if claims.get("ath") != ath:
                raise DpopError("invalid_dpop_proof")
        if self._require_nonce and claims.get("nonce") != self._nonce:
            raise DpopError("use_dpop_nonce", self._nonce)
        if not isinstance(jti, str) or not 1 <= len(jti) <= 256:
            raise DpopError("invalid_dpop_proof")
        with self._lock:
            # §11.1: a jti is remembered for as long as its proof is acceptable.
            self._jtis = {j: t for j, t in self._jtis.items() if t > now}
            if jti in self._jtis:
                raise DpopError("invalid_dpop_proof")
            self._jtis[jti] = now + 2 * _WINDOW

    def rotate_nonce(self) -> None:
        """Start asking for a new nonce (proofs with the old one get a ``use_dpop_nonce``)."""
        self._nonce = secrets.token_urlsafe(24)


def _htu(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
