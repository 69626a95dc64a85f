"""
HMAC-signed ID tokens, only where a provider is explicitly trusted with them.

OIDC Core §10.1: "Symmetric signatures MUST NOT be used by public (non-
confidential) Clients because of their inability to keep secrets", and for
confidential ones the key is "the octets of the UTF-8 representation of the
client_secret". So the key is never from a key set and never a public key
(the confusion SEC-24 forbids): it is the client secret, given explicitly,
and only HS256/384/512 exist. RFC 7518 §3.2: "A key of the same size as the
hash output [...] or larger MUST be used"; we also ask for an estimated
entropy of 128 bits, since a long but guessable secret would let anyone who
guesses it mint ID tokens.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import math
from collections.abc import Callable, Iterable
from typing import Any

from ircc_account.errors import ConfigurationError

__all__ = ["HMAC_ALGORITHMS", "MIN_SECRET_ENTROPY_BITS", "HmacKey", "estimated_entropy_bits"]

_HASHES: dict[str, Callable[..., Any]] = {
    "HS256": hashlib.sha256,
    "HS384": hashlib.sha384,
    "HS512": hashlib.sha512,
}
#: The HMAC algorithms (HS256, HS384, HS512), accepted only where the caller
#: holds the shared secret and asks for them by name.
HMAC_ALGORITHMS: frozenset[str] = frozenset(_HASHES)
#: The least estimated entropy of a secret used as an HMAC key.
MIN_SECRET_ENTROPY_BITS = 128


def estimated_entropy_bits(secret: str) -> float:
    """
    A conservative estimate of *secret*'s entropy: its length times the
    Shannon entropy of its own character distribution.

    A random base64url secret of 43 characters scores about 215 bits;
    ``"aaaa…"`` scores 0 whatever its length.
    """
    if not secret:
        return 0.0
    counts = collections.Counter(secret)
    n = len(secret)
    per_char = -sum(c / n * math.log2(c / n) for c in counts.values())
    return per_char * n


class HmacKey:
    """
    A client secret used to verify HMAC-signed ID tokens (opt-in, OIDC Core §10.1).

    Args:
        secret: The client secret (its UTF-8 octets are the key).
        algorithms: The HMAC algorithms to accept: a non-empty subset of
            ``HS256``, ``HS384``, ``HS512``.

    Raises:
        ConfigurationError: an unknown algorithm, a secret shorter than the
            longest hash output allowed, or an estimated entropy below 128 bits.
    """

    __slots__ = ("_key", "algorithms")

    def __init__(self, secret: str, algorithms: Iterable[str]) -> None:
        algs = frozenset(algorithms) if not isinstance(algorithms, str) else frozenset()
        if not algs or not algs <= HMAC_ALGORITHMS:
            raise ConfigurationError(reason="HMAC algorithms must be HS256, HS384 or HS512")
        if not isinstance(secret, str):
            raise ConfigurationError(reason="the HMAC secret must be text (the client secret)")
        key = secret.encode("utf-8")
        need = max(_HASHES[a]().digest_size for a in algs)
        if len(key) < need:
            raise ConfigurationError(
                reason=f"the client secret must be at least {need} bytes for HMAC ID tokens"
            )
        if estimated_entropy_bits(secret) < MIN_SECRET_ENTROPY_BITS:
            raise ConfigurationError(
                reason="the client secret is too predictable to key HMAC ID tokens"
            )
        self._key = key
        self.algorithms = algs

    def __repr__(self) -> str:
        return f"HmacKey(algorithms={sorted(self.algorithms)!r})"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("an HmacKey cannot be pickled")

    def verify(self, alg: str, signing_input: bytes, signature: bytes) -> bool:
        """
        Whether *signature* is the *alg* MAC of *signing_input*; constant-time (SEC-31).
        """
        if alg not in self.algorithms:
            return False
        expected = hmac.new(self._key, signing_input, _HASHES[alg]).digest()
        return hmac.compare_digest(expected, signature)


def at_hash_function(alg: str) -> Callable[..., Any]:
    """
    The hash of an HMAC algorithm, for ``at_hash`` (OIDC Core §3.1.3.6).
    """
    return _HASHES[alg]
