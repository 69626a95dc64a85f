"""
DPoP (RFC 9449): sender-constrained tokens, opt-in per provider.

Each signed-in session gets a fresh key pair of its own at login; the private
half is sealed with the session's tokens (never logged, never in a cookie).
Every request that uses or obtains a token carries a proof signed with it
(SEC-22): ``typ`` ``dpop+jwt``, an asymmetric ``alg``, the public ``jwk``
only, a unique ``jti``, the exact ``htm`` and ``htu`` (no query or fragment),
a fresh ``iat``, ``ath`` for a resource request, and the server's nonce once
it asked for one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import urllib.parse
from collections import OrderedDict

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ircc_account._clock import Randomness
from ircc_account.errors import ConfigurationError, IdentityError
from ircc_account.hazmat.jose import (
    b64url_encode,
    json_object,
    load_private_key,
    private_jwk,
    public_jwk,
    sign_jws,
)

from ._config import SigningKey
from ._http import Response

__all__ = [
    "DpopKey",
    "DpopNonces",
    "dpop_htu",
    "dpop_proof",
    "nonce_challenge",
]


class DpopKey:
    """
    A session's DPoP key and the algorithm its proofs use. Never shown in ``repr``.

    Args:
        key: The private key.
        alg: The JWS algorithm (one the provider lists in
            ``dpop_signing_alg_values_supported``).
    """

    __slots__ = ("alg", "key")

    def __init__(self, key: SigningKey, alg: str) -> None:
        self.key = key
        self.alg = alg

    @classmethod
    def generate(cls, alg: str) -> DpopKey:
        """
        A fresh key for *alg*: P-256, P-384, Ed25519, or RSA 2048.
        """
        key: SigningKey
        if alg == "ES256":
            key = ec.generate_private_key(ec.SECP256R1())
        elif alg == "ES384":
            key = ec.generate_private_key(ec.SECP384R1())
        elif alg == "EdDSA":
            key = ed25519.Ed25519PrivateKey.generate()
        elif alg in ("PS256", "RS256"):
            key = rsa.generate_private_key(65537, 2048)
        else:
            raise ConfigurationError(reason="unsupported DPoP algorithm")
        return cls(key, alg)

    def public_jwk(self) -> dict[str, str]:
        """
        The public JWK that goes in each proof's header.
        """
        return public_jwk(self.key)

    def to_json(self) -> str:
        """
        The private JWK with its ``alg``, to seal with the session's tokens (never elsewhere).
        """
        return json.dumps({**private_jwk(self.key), "alg": self.alg}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> DpopKey:
        """
        The key :meth:`to_json` wrote.

        Raises:
            ConfigurationError: not such a key.
        """
        loaded = load_private_key(text)
        if loaded.alg is None:
            raise ConfigurationError(reason="a sealed DPoP key has no alg")
        return cls(loaded.key, loaded.alg)

    def __repr__(self) -> str:
        return f"DpopKey(alg={self.alg!r})"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a DPoP key cannot be pickled")


def dpop_htu(url: str) -> str:
    """
    The ``htu`` of a request to *url*: the target URI "without query and
    fragment parts" (RFC 9449 §4.2).
    """
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def dpop_proof(
    key: DpopKey,
    *,
    method: str,
    url: str,
    now: dt.datetime,
    randomness: Randomness,
    nonce: str | None = None,
    access_token: str | None = None,
) -> str:
    """
    A DPoP proof JWT for one request (RFC 9449 §4.2), signed with :func:`sign_jws`.

    Args:
        key: The session's key; its public half goes in the ``jwk`` header.
        method: The request's method (``htm``).
        url: The request's URL (``htu`` drops its query and fragment).
        now: The current time (``iat``).
        randomness: The source of the 256-bit ``jti``.
        nonce: The server's ``DPoP-Nonce``, once it gave one.
        access_token: For a request to a resource (UserInfo), the access token
            whose hash goes in ``ath``.
    """
    claims: dict[str, str | int] = {
        "jti": b64url_encode(randomness.token_bytes(32)),
        "htm": method.upper(),
        "htu": dpop_htu(url),
        "iat": int(now.timestamp()),
    }
    if nonce is not None:
        claims["nonce"] = nonce
    if access_token is not None:
        # §4.2: "ath: Hash of the access token. The value MUST be the result of
        # a base64url encoding [...] the SHA-256 hash of the ASCII encoding of
        # the associated access token's value."
        claims["ath"] = b64url_encode(hashlib.sha256(access_token.encode("ascii")).digest())
    return sign_jws(claims, key.key, alg=key.alg, typ="dpop+jwt", jwk=True)


def nonce_challenge(response: Response) -> str | None:
    """
    The nonce a server demands, if *response* is a ``use_dpop_nonce`` challenge
    (RFC 9449 §8: a 400 error from the token endpoint; §9: a 401 with a
    ``WWW-Authenticate: DPoP error="use_dpop_nonce"`` from a resource), else ``None``.
    """
    nonce = response.header("dpop-nonce")
    if nonce is None or not 1 <= len(nonce) <= 512 or not nonce.isascii():
        return None
    if response.status == 400 and response.media_type == "application/json":
        try:
            body = json_object(response.body, IdentityError, "dpop")
        except IdentityError:
            return None
        return nonce if body.get("error") == "use_dpop_nonce" else None
    challenge = (response.header("www-authenticate") or "").lower()
    if response.status == 401 and challenge.startswith("dpop") and "use_dpop_nonce" in challenge:
        return nonce
    return None


class DpopNonces:
    """
    The latest ``DPoP-Nonce`` each server gave (RFC 9449 §8: "the client
    MUST use the new nonce value supplied for the next token request"), by
    origin; bounded and thread-safe.

    Args:
        max_entries: The most origins remembered.
    """

    def __init__(self, max_entries: int = 64) -> None:
        self._max = max_entries
        self._lock = threading.Lock()
        self._nonces: OrderedDict[str, str] = OrderedDict()

    @staticmethod
    def _origin(url: str) -> str:
        parts = urllib.parse.urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    def get(self, url: str) -> str | None:
        """
        The nonce to send to *url*'s server, if it gave one.
        """
        with self._lock:
            return self._nonces.get(self._origin(url))

    def remember(self, url: str, response: Response) -> None:
        """
        Keep the ``DPoP-Nonce`` *response* carries, if any, for *url*'s server.
        """
        nonce = response.header("dpop-nonce")
        if nonce is None or not 1 <= len(nonce) <= 512 or not nonce.isascii():
            return
        origin = self._origin(url)
        with self._lock:
            self._nonces[origin] = nonce
            self._nonces.move_to_end(origin)
            while len(self._nonces) > self._max:
                self._nonces.popitem(last=False)

    def __repr__(self) -> str:
        return f"DpopNonces({len(self._nonces)} servers)"
