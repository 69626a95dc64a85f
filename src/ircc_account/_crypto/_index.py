"""
Keyed blind indexes: equality lookups on encrypted identifiers (SEC-76).

A UCI or an email address has little entropy, so a plain hash of it is a
dictionary lookup away from the value. The index is instead HMAC-SHA256 under
a separate index key, over ``kind || NUL || normalized value``, so the same
value indexed as two kinds gives two unrelated tags.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping

from ircc_account.errors import ConfigurationError, InvalidFormat

__all__ = ["normalize_email", "normalize_uci"]

#: The index key is a MAC key: at least 256 bits.
INDEX_KEY_MIN_BYTES = 32
_NOT_ASCII_DIGIT = re.compile(r"[^0-9]")


def _mac(key: bytes, message: bytes) -> bytes:
    """
    HMAC-SHA256 of *message* under *key*; the only MAC call of the blind index.
    """
    return hmac.digest(key, message, "sha256")


def normalize_uci(value: str) -> str:
    """
    A UCI reduced to its ASCII digits, so ``1234-5678`` and ``12345678`` index alike.
    """
    return _NOT_ASCII_DIGIT.sub("", value)


def normalize_email(value: str) -> str:
    """
    An email address stripped and case-folded, so ``Marie@Example.ca`` matches ``marie@example.ca``.
    """
    return value.strip().casefold()


#: The kinds of value that may be indexed, each with its normalizer. Refusing
#: other kinds keeps a typo from producing an index that never matches.
NORMALIZERS: Mapping[str, Callable[[str], str]] = {
    "email": normalize_email,
    "uci": normalize_uci,
}


def blind_index(index_key: bytes, kind: str, value: str) -> bytes:
    """
    The 32-byte blind index of *value* as a *kind* (``"uci"`` or ``"email"``).

    Args:
        index_key: The keyring's index key.
        kind: Which normalizer and domain to use.
        value: The identifier, in any accepted spelling.

    Raises:
        ConfigurationError: *kind* is not a known kind.
        InvalidFormat: *value* normalizes to nothing.
    """
    normalize = NORMALIZERS.get(kind)
    if normalize is None:
        raise ConfigurationError(reason="unknown blind index kind")
    normalized = normalize(value)
    if not normalized:
        raise InvalidFormat(field=kind)
    return _mac(index_key, kind.encode("ascii") + b"\x00" + normalized.encode("utf-8"))
