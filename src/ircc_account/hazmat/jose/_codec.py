"""
Strict decoders shared by the JOSE layer, and the one way it raises.

Everything here refuses rather than repairs: base64url must be canonical
(RFC 7515 §2 and §3.2: no padding, URL-safe alphabet only, and, per RFC 8725
§3.7, no non-zero unused bits, so that exactly one string decodes to a given
byte string), JSON must be UTF-8 with no duplicate member names, no BOM and no
``NaN``/``Infinity``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from ircc_account.errors import IdentityError

__all__ = [
    "COMPACT_JWS",
    "b64url_decode",
    "b64url_decode_checked",
    "b64url_encode",
    "fail",
    "is_compact_jws",
    "json_object",
    "reason_of",
]

_log = logging.getLogger("ircc_account.hazmat.jose")

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
# Three base64url parts, two dots: the only shape a compact JWS may have (RFC 7515 §7.1).
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
# For a final quantum of 2 (or 3) characters, the last character carries 4
# (or 2) unused bits that must be zero: its alphabet index is a multiple of 16
# (or 4). Anything else is a second spelling of the same bytes.
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
_TO_STD = bytes.maketrans(b"-_", b"+/")
_PAD = ("", "", "==", "=")
_PAD_BYTES = (b"", b"", b"==", b"=")
_ALPHABET_BYTES = _ALPHABET.encode("ascii")
# For bytes: each alphabet byte's index (other bytes never reach the table).
_INDEX_BYTES = bytes(_ALPHABET.find(chr(b)) % 64 for b in range(256))

E = TypeVar("E", bound=IdentityError)


def fail(cls: type[E], reason: str, **params: str | int) -> E:
    """
    Build (not raise) *cls* carrying a private, non-secret *reason* for debugging.

    The reason is kept in ``_reason`` (shown by neither ``str`` nor ``repr``)
    and logged at DEBUG. It is a fixed code such as ``"aud.untrusted"``, never
    token contents. The identity module raises its errors the same way, so a
    failure's log line says which check failed while its message does not.

    Args:
        cls: The error class.
        reason: The fixed code.
        params: The error's own (safe) message parameters.
    """
    exc = cls(**params)
    exc.__dict__["_reason"] = reason
    _log.debug("%s: %s", cls.code, reason)
    return exc


def reason_of(exc: BaseException) -> str:
    """
    The private reason :func:`fail` attached to *exc*, or ``"unknown"``.
    """
    reason = exc.__dict__.get("_reason", "unknown")
    return reason if isinstance(reason, str) else "unknown"


def b64url_decode(
    text: str, cls: type[IdentityError], what: str, *, alphabet_checked: bool = False
) -> bytes:
    """
    Decode canonical unpadded base64url (RFC 7515 §2; RFC 8725 §3.7: no
    padding, URL-safe alphabet only, zero unused bits), or raise *cls*.

    Args:
        text: The encoded text.
        cls: The error to raise.
        what: The field's name, for the private reason (``"header"``).
        alphabet_checked: Skip the alphabet scan. Only for text already matched
            against the base64url alphabet (a whole token against
            ``COMPACT_JWS``): other characters would then be silently skipped.

    Raises:
        cls: the text is not canonical base64url.
    """
    n = len(text)
    if n % 4 == 1 or (not alphabet_checked and _B64URL.fullmatch(text) is None):
        raise fail(cls, f"{what}.base64")
    rem = n % 4
    if rem and _INDEX[text[-1]] % (16 if rem == 2 else 4):
        raise fail(cls, f"{what}.base64_noncanonical")
    try:
        # bytes.translate is table-driven; str.translate costs far more per character.
        return binascii.a2b_base64((text + _PAD[rem]).encode("ascii").translate(_TO_STD))
    except (binascii.Error, ValueError):  # pragma: no cover - excluded by the checks above
        raise fail(cls, f"{what}.base64") from None


def is_compact_jws(raw: bytes) -> bool:
    """
    Whether ASCII *raw* is three base64url parts and two dots, and nothing else
    (the shape RFC 7515 §7.1 allows); one C-speed pass, no regex.
    """
    return raw.translate(None, _ALPHABET_BYTES) == b".."


def b64url_decode_checked(raw: bytes, cls: type[IdentityError], what: str) -> bytes:
    """
    :func:`b64url_decode` for bytes already checked against the alphabet
    (a part of a token that passed :func:`is_compact_jws`): the same
    canonical-form rules, without the conversions.

    Raises:
        cls: the text is not canonical base64url.
    """
    n = len(raw)
    rem = n % 4
    if rem == 1:
        raise fail(cls, f"{what}.base64")
    if rem and _INDEX_BYTES[raw[-1]] % (16 if rem == 2 else 4):
        raise fail(cls, f"{what}.base64_noncanonical")
    try:
        return binascii.a2b_base64(raw.translate(_TO_STD) + _PAD_BYTES[rem])
    except (binascii.Error, ValueError):  # pragma: no cover - excluded by the checks above
        raise fail(cls, f"{what}.base64") from None


def b64url_encode(data: bytes) -> str:
    """
    Encode *data* as unpadded base64url (RFC 7515 §2), the canonical form
    :func:`b64url_decode` accepts.
    """
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate member")
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError("non-finite number")


# One decoder, built once: strict=True refuses control characters in strings.
_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def json_object(data: bytes, cls: type[IdentityError], what: str) -> dict[str, Any]:
    """
    Parse *data* as a strict JSON object, or raise *cls*: UTF-8 without a byte
    order mark or lone surrogates, no duplicate member names, no ``NaN`` or
    ``Infinity`` (RFC 8259 §4, §8.1; RFC 7515 §5.2).

    Args:
        data: The document.
        cls: The error to raise.
        what: The document's name, for the private reason (``"claims"``).

    Raises:
        cls: anything else, including JSON that is not an object.
    """
    try:
        text = data.decode("utf-8")
        if text.startswith("\ufeff"):
            raise ValueError("byte order mark")
        # A token's JSON has no surrounding whitespace: raw_decode then does
        # all the work; anything else takes the full path (which allows it).
        value, end = _DECODER.raw_decode(text) if text[:1] == "{" else (None, -1)
        if end != len(text):
            value = _DECODER.decode(text)
        if "\\u" in text:
            # An escape may decode to a lone surrogate, which is not UTF-8 (RFC 8259
            # §8.1); re-encoding finds it. Most tokens have no escapes and skip this.
            json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        # UnicodeDecodeError and JSONDecodeError are ValueErrors; the latter
        # holds the whole document, so the chain is cut (``from None``).
        raise fail(cls, f"{what}.json") from None
    if not isinstance(value, dict):
        raise fail(cls, f"{what}.not_object")
    return value


def frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    """
    A read-only view of *mapping*.
    """
    return MappingProxyType(mapping if type(mapping) is dict else dict(mapping))
