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
import unicodedata
from collections.abc import Callable, Mapping

import idna

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


#: Lower-cases the 26 ASCII capitals and nothing else.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: A domain of ASCII letters, digits, hyphens and dots: IDNA would only lower-case it.
_LDH = re.compile(r"[A-Za-z0-9.-]+", re.ASCII)


def _domain(domain: str) -> str:
    """
    The domain's ASCII form through IDNA (UTS #46 mapping, non-transitional,
    so ``ß`` stays ``ß``): ``Québec.CA`` and ``québec.ca`` give ``xn--qubec-csa.ca``.
    A domain IDNA refuses keeps its characters, with ASCII capitals lowered.
    """
    if _LDH.fullmatch(domain):
        return domain.translate(_ASCII_LOWER)
    try:
        return idna.encode(domain, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return domain.translate(_ASCII_LOWER)


def normalize_email(value: str) -> str:
    """
    An email address in the one form its blind index is computed from.

    Stripped and NFC-normalized; the domain (after the last ``@``) in its
    ASCII IDNA form, which lower-cases it; in the local part, only the ASCII
    letters ``A-Z`` are lower-cased. So ``Marie@Example.CA`` matches
    ``marie@example.ca``, but ``straße@…`` and ``STRASSE@…`` stay distinct
    (full case folding would merge them, and they are different mailboxes).
    """
    value = unicodedata.normalize("NFC", value.strip())
    local, at, domain = value.rpartition("@")
    if not at:
        return value.translate(_ASCII_LOWER)
    return f"{local.translate(_ASCII_LOWER)}@{_domain(domain)}"


def _exact(value: str) -> str:
    """Identifiers that are already canonical (a service's item reference)."""
    return value


#: The kinds of value that may be indexed, each with its normalizer. Refusing
#: other kinds keeps a typo from producing an index that never matches.
NORMALIZERS: Mapping[str, Callable[[str], str]] = {
    "email": normalize_email,
    "uci": normalize_uci,
    # "service id US reference": both plain identifiers, so the join is injective.
    "item_reference": _exact,
    # A legacy claim's attempt counter: "account:<id>" or "uci:<digits>".
    "claim": _exact,
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
