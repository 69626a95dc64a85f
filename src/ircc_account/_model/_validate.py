"""
Validators shared by the domain model.

Each raises a :class:`~ircc_account.errors.ValidationError` subclass naming the
field, never echoing the value (it may be personal data).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

from ircc_account.errors import (
    ControlCharacters,
    FieldTooLong,
    InvalidFormat,
    OutOfRange,
    RequiredField,
    UnknownValue,
)

E = TypeVar("E", bound=enum.Enum)

#: Longest free-text value the model accepts unless a field says otherwise.
DEFAULT_MAX_LENGTH = 200

_UCI = re.compile(r"^(?:\d{8}|\d{10}|\d{4}-\d{4}|\d{2}-\d{4}-\d{4})$", re.ASCII)
# A pragmatic address check: one @, a dot in the domain, no spaces; the
# mailbox provider is the real judge, we only refuse what cannot work.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,252}\.[^@\s.]{2,63}$", re.ASCII)
_PHONE = re.compile(r"^\+?[0-9 ()\-.]{7,25}$", re.ASCII)
_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def text(
    field: str, value: object, *, max_length: int = DEFAULT_MAX_LENGTH, multiline: bool = False
) -> str:
    """
    Validate a human-readable text value and return it NFC-normalized and stripped.

    Args:
        field: The field's name, used in the error.
        value: The candidate value.
        max_length: The longest accepted value, in characters.
        multiline: Whether line breaks and tabs are allowed.

    Raises:
        RequiredField: empty or not a string.
        FieldTooLong: longer than *max_length*.
        ControlCharacters: holds control or format characters.
    """
    if not isinstance(value, str):
        raise RequiredField(field=field)
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise RequiredField(field=field)
    if len(value) > max_length:
        raise FieldTooLong(field=field, limit=max_length)
    # isprintable() is False for every character of the categories refused
    # below (and for other separators, and tabs and line breaks): a printable
    # value needs no character-by-character look.
    if not value.isprintable():
        allowed = "\n\t" if multiline else ""
        for ch in value:
            if ch in allowed:
                continue
            if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
                raise ControlCharacters(field=field)
    return value


def optional_text(
    field: str, value: object, *, max_length: int = DEFAULT_MAX_LENGTH, multiline: bool = False
) -> str | None:
    """
    Like :func:`text`, but ``None`` (or an empty string) means absent.
    """
    if value is None or value == "":
        return None
    return text(field, value, max_length=max_length, multiline=multiline)


def identifier(field: str, value: object) -> str:
    """
    Validate an opaque identifier: 1 to 128 of ``[A-Za-z0-9._:-]``, not starting with punctuation.

    Raises:
        InvalidFormat: anything else.
    """
    if not isinstance(value, str) or not _IDENT.fullmatch(value):
        raise InvalidFormat(field=field)
    return value


def uci(value: object) -> str:
    """
    Validate a Unique Client Identifier and return its canonical digits.

    A UCI has 8 or 10 digits, written plain or grouped with hyphens
    (``1234-5678``, ``12-3456-7890``).

    Raises:
        InvalidFormat: anything else.
    """
    if not isinstance(value, str) or not _UCI.fullmatch(value.strip()):
        raise InvalidFormat(field="uci")
    return value.strip().replace("-", "")


def email(value: object) -> str:
    """
    Validate an email address; returns it stripped and NFC-normalized (case
    is kept for display; the blind index has its own normalization).

    Raises:
        InvalidFormat: not an address.
        FieldTooLong: over 254 characters.
    """
    if not isinstance(value, str):
        raise InvalidFormat(field="email")
    value = unicodedata.normalize("NFC", value.strip())
    if len(value) > 254:
        raise FieldTooLong(field="email", limit=254)
    if not _EMAIL.fullmatch(value):
        raise InvalidFormat(field="email")
    return value


def phone(value: object) -> str:
    """
    Validate a telephone number (digits, spaces and ``+()-.``, 7 to 25 characters).

    Raises:
        InvalidFormat: anything else.
    """
    if not isinstance(value, str) or not _PHONE.fullmatch(value.strip()):
        raise InvalidFormat(field="phone")
    return value.strip()


def date(field: str, value: object, *, earliest: dt.date | None = None) -> dt.date:
    """
    Accept a :class:`datetime.date` or an ISO ``YYYY-MM-DD`` string.

    Raises:
        InvalidFormat: malformed, or a datetime where a date belongs.
        OutOfRange: before *earliest*.
    """
    if isinstance(value, dt.datetime):
        raise InvalidFormat(field=field)
    if isinstance(value, str):
        if not _DATE.fullmatch(value):
            raise InvalidFormat(field=field)
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidFormat(field=field) from None
    if not isinstance(value, dt.date):
        raise InvalidFormat(field=field)
    if earliest is not None and value < earliest:
        raise OutOfRange(field=field)
    return value


def instant(field: str, value: object) -> dt.datetime:
    """
    Accept a timezone-aware datetime (or ISO string with an offset); return it in UTC.

    Raises:
        InvalidFormat: naive, malformed, or not a datetime.
    """
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise InvalidFormat(field=field) from None
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise InvalidFormat(field=field)
    return value.astimezone(dt.UTC)


def optional_instant(field: str, value: object) -> dt.datetime | None:
    """
    Like :func:`instant`, with ``None`` meaning absent.
    """
    return None if value is None else instant(field, value)


def choice(field: str, enum_type: type[E], value: object) -> E:
    """
    Convert *value* (a member or its value) to a member of *enum_type*.

    Raises:
        UnknownValue: not one of the members.
    """
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except (ValueError, TypeError):
        raise UnknownValue(field=field) from None


def converter(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
    """
    Adapt a validator to an attrs converter: ``converter(text, "family_name")``.

    The converter calls ``fn(*args, value, **kwargs)`` (a :func:`functools.partial`,
    which calls for less than a closure would).
    """
    return functools.partial(fn, *args, **kwargs)


def optional(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
    """
    Like :func:`converter`, with ``None`` passed through as absent.
    """

    def convert(value: Any) -> Any:
        return None if value is None else fn(*args, value, **kwargs)

    return convert
