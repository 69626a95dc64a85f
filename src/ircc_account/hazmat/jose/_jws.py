"""
Strict JWS Compact Serialization (RFC 7515 §3.1, §7.1) and its verification.

Parsing refuses, in this order: non-text input, anything over the size cap,
anything but exactly three dot-separated parts (so JSON serialization and
JWE are refused, SEC-29), non-canonical base64url (SEC-30), a header that is
not a UTF-8 JSON object without duplicate members, a missing or non-string
``alg``, any ``crit`` (we understand no extension, RFC 7515 §4.1.11), a
non-string ``kid``, and an empty signature (unsigned, SEC-23).

Header parameters that carry or point to keys (``jwk``, ``jku``, ``x5c``,
``x5u``, RFC 8725 §3.10) are never read: keys come only from the caller's key
source (SEC-25). Nothing in this module does network I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from ircc_account.errors import InvalidToken

from ._algs import ALGORITHMS, DEFAULT_ALGORITHMS, check_algorithms
from ._codec import b64url_decode_checked, fail, frozen, is_compact_jws, json_object
from ._hmac import HMAC_ALGORITHMS, HmacKey
from ._jwk import MAX_KID_LENGTH, Jwk

__all__ = ["DEFAULT_MAX_TOKEN_BYTES", "KeySource", "ParsedJws", "parse_compact_jws", "verify_jws"]

DEFAULT_MAX_TOKEN_BYTES = 16 * 1024


class KeySource(Protocol):
    """
    Where verification keys come from: a :class:`KeySet` or a :class:`JwksCache`.
    """

    def select(self, kid: str | None, alg: str) -> Jwk | None:
        """
        The one key for (*kid*, *alg*), or ``None``; raise InvalidToken if ambiguous.
        """
        ...


@attrs.frozen(repr=False)
class ParsedJws:
    """
    A compact JWS split and decoded, *not* verified unless :func:`verify_jws` returned it.

    Attributes:
        header: The protected header (read-only).
        payload: The payload bytes.
        signing_input: ``ASCII(BASE64URL(header) '.' BASE64URL(payload))``.
        signature: The signature bytes.
        alg: The header's ``alg``.
        kid: The header's ``kid``, or ``None``.
    """

    header: Mapping[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes
    alg: str
    kid: str | None

    def __repr__(self) -> str:
        # Never the token, payload or signature.
        return f"ParsedJws(alg={self.alg!r}, kid={self.kid!r})"


@functools.lru_cache(maxsize=256)
def _parse_header(h64: bytes) -> tuple[Mapping[str, Any], str, str | None]:
    # A pure function of the header text, memoized: a provider sends the same
    # few headers over and over. Failures raise and are never cached, and the
    # cache is bounded, so random headers only evict.
    header = json_object(b64url_decode_checked(h64, InvalidToken, "header"), InvalidToken, "header")
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise fail(InvalidToken, "header.alg")
    if "crit" in header:
        raise fail(InvalidToken, "header.crit")
    kid = header.get("kid")
    if "kid" in header and (not isinstance(kid, str) or len(kid) > MAX_KID_LENGTH):
        raise fail(InvalidToken, "header.kid")
    return frozen(header), alg, kid


def parse_compact_jws(token: str | bytes, *, max_bytes: int = DEFAULT_MAX_TOKEN_BYTES) -> ParsedJws:
    """
    Split and strictly decode a compact JWS without verifying it.

    Args:
        token: The compact serialization.
        max_bytes: The largest token accepted (16 KiB by default).

    Raises:
        InvalidToken: Any deviation from the strict form; the message never says which.
    """
    header, payload, signing_input, signature, alg, kid = _split(token, max_bytes)
    return ParsedJws(
        header=header,
        payload=payload,
        signing_input=signing_input,
        signature=signature,
        alg=alg,
        kid=kid,
    )


def _split(
    token: str | bytes, max_bytes: int
) -> tuple[Mapping[str, Any], bytes, bytes, bytes, str, str | None]:
    # parse_compact_jws without building its value: the verification path's own.
    if isinstance(token, str):
        if len(token) > max_bytes:
            raise fail(InvalidToken, "token.size")
        try:
            raw = token.encode("ascii")
        except UnicodeEncodeError:
            raise fail(InvalidToken, "token.not_ascii") from None
    elif isinstance(token, bytes):
        if len(token) > max_bytes:
            raise fail(InvalidToken, "token.size")
        raw = token
    else:
        raise fail(InvalidToken, "token.type")
    if not is_compact_jws(raw):
        # Not three base64url parts: JSON serialization, JWE, stray characters.
        raise fail(InvalidToken, "token.form")
    h64, p64, s64 = raw.split(b".")
    header, alg, kid = _parse_header(h64)
    if not s64:
        raise fail(InvalidToken, "signature.missing")
    return (
        header,
        b64url_decode_checked(p64, InvalidToken, "payload"),
        raw[: len(h64) + len(p64) + 1],
        b64url_decode_checked(s64, InvalidToken, "signature"),
        alg,
        kid,
    )


def verify_jws(
    token: str | bytes,
    keys: KeySource,
    *,
    algorithms: frozenset[str] = DEFAULT_ALGORITHMS,
    max_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
    hmac_key: HmacKey | None = None,
) -> ParsedJws:
    """
    Parse *token* strictly and verify its signature with a key from *keys*.

    The ``alg`` must be in *algorithms* (checked before any key lookup, so a
    disallowed token never causes a key-set refetch), the key is chosen by
    :meth:`KeySet.select`, and its type must match the ``alg`` (SEC-24).

    Args:
        token: The compact JWS.
        keys: A :class:`KeySet` or :class:`JwksCache`.
        algorithms: The pinned allowlist; only asymmetric algorithms are accepted.
        max_bytes: The largest token accepted.
        hmac_key: The opt-in for HMAC: an ``HS*`` token is verified with this
            shared secret, and only if its ``alg`` is one the key allows; never
            with anything from *keys*. Without it, HMAC is refused.

    Raises:
        InvalidToken: Malformed, disallowed alg, no or ambiguous key, bad signature.
        ConfigurationError: *algorithms* names ``none``, an HMAC or an unknown algorithm.
    """
    header, payload, signing_input, signature, alg, kid = verified(
        token, keys, algorithms, max_bytes, hmac_key
    )
    return ParsedJws(
        header=header,
        payload=payload,
        signing_input=signing_input,
        signature=signature,
        alg=alg,
        kid=kid,
    )


def verified(
    token: str | bytes,
    keys: KeySource,
    algorithms: frozenset[str],
    max_bytes: int,
    hmac_key: HmacKey | None,
) -> tuple[Mapping[str, Any], bytes, bytes, bytes, str, str | None]:
    """
    :func:`verify_jws`, returning the parts as a tuple (the validators' hot path).
    """
    # With an HMAC opt-in, the asymmetric allowlist may be empty (a provider
    # that signs only with the client secret).
    allowed = (
        frozenset() if hmac_key is not None and not algorithms else check_algorithms(algorithms)
    )
    parts = _split(token, max_bytes)
    name, kid = parts[4], parts[5]
    if name in HMAC_ALGORITHMS and hmac_key is not None:
        if name not in hmac_key.algorithms:
            raise fail(InvalidToken, "alg.not_allowed")
        if not hmac_key.verify(name, parts[2], parts[3]):
            raise fail(InvalidToken, "signature")
        return parts
    if name not in allowed:
        raise fail(InvalidToken, "alg.not_allowed")
    key = keys.select(kid, name)
    if key is None:
        raise fail(InvalidToken, "key.unknown")
    if not ALGORITHMS[name].verify(key.kty, key.key, parts[3], parts[2]):
        raise fail(InvalidToken, "signature")
    return parts
