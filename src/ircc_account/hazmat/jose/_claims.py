"""
Claim checks shared by ID tokens and logout tokens: strict types, iss, aud, time.

Types follow OIDC Core §2 and RFC 7519 §4.1 (SEC-82): times are JSON numbers
(never booleans, never strings), ``aud`` is a string or a non-empty array of
strings, ``sub`` is 1–255 printable ASCII characters.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from ircc_account.errors import ConfigurationError, InvalidToken

from ._codec import fail

__all__ = [
    "DEFAULT_LEEWAY",
    "MAX_LEEWAY",
    "Times",
    "check_aud",
    "check_config",
    "check_iss",
    "check_sub",
    "check_times",
    "check_typ",
    "from_ts",
    "opt_str",
]

# 9999-12-31T23:59:59Z: beyond this a timestamp cannot be a datetime.
_MAX_TS = 253402300799
#: The default clock-skew tolerance for iat, nbf, exp and auth_time.
DEFAULT_LEEWAY = dt.timedelta(seconds=60)
#: The largest tolerance accepted.
MAX_LEEWAY = dt.timedelta(seconds=300)
_ZERO = dt.timedelta(0)


def check_config(now: dt.datetime, leeway: dt.timedelta) -> float:
    """
    Check the caller's time settings and return *now* as a POSIX timestamp.

    The leeway is bounded (SEC-10): 0 to 300 s. The default, 60 s, covers
    the provider clocks seen in practice (30 s ahead is common), while the
    nonce, the single-use state and the short transaction keep a token bound
    to the one login it was issued for, so tolerating skew does not widen
    replay. See ``docs/identity.md`` for the reasoning.

    Raises:
        ConfigurationError: *now* is naive, or *leeway* is negative or over 300 s.
    """
    if not isinstance(now, dt.datetime) or now.tzinfo is None:
        raise ConfigurationError(reason="now must be a timezone-aware datetime")
    if not _ZERO <= leeway <= MAX_LEEWAY:
        raise ConfigurationError(reason="leeway must be between 0 and 300 seconds")
    return now.timestamp()


def from_ts(ts: float) -> dt.datetime:
    """
    A checked timestamp as an aware UTC datetime.
    """
    return dt.datetime.fromtimestamp(ts, dt.UTC)


def num(claims: Mapping[str, Any], name: str, cls: type[InvalidToken]) -> float | None:
    """
    The numeric claim *name* (a NumericDate), ``None`` if absent; booleans and strings refused.
    """
    value = claims.get(name)
    if value is None:
        if name in claims:
            raise fail(cls, f"{name}.type")
        return None
    if type(value) not in (int, float) or not 0 <= value <= _MAX_TS or not math.isfinite(value):
        raise fail(cls, f"{name}.type")
    return float(value)


def opt_str(claims: Mapping[str, Any], name: str, cls: type[InvalidToken]) -> str | None:
    """
    The string claim *name*, ``None`` if absent; any other type refused.
    """
    value = claims.get(name)
    if value is None and name not in claims:
        return None
    if not isinstance(value, str):
        raise fail(cls, f"{name}.type")
    return value


def check_iss(claims: Mapping[str, Any], issuer: str, cls: type[InvalidToken]) -> str:
    """
    The ``iss``, which must equal *issuer* exactly: no normalisation of case or slashes.
    """
    iss = opt_str(claims, "iss", cls)
    if iss is None or iss != issuer:
        raise fail(cls, "iss")
    return iss


def check_sub(claims: Mapping[str, Any], cls: type[InvalidToken], *, required: bool) -> str | None:
    """
    The ``sub``: 1–255 printable ASCII characters (OIDC Core §2), or ``None`` when optional.
    """
    sub = opt_str(claims, "sub", cls)
    if sub is None:
        if required:
            raise fail(cls, "sub.missing")
        return None
    if not 1 <= len(sub) <= 255 or not sub.isascii() or not sub.isprintable():
        raise fail(cls, "sub.format")
    return sub


def check_aud(
    claims: Mapping[str, Any],
    client_id: str,
    trusted: Iterable[str],
    cls: type[InvalidToken],
) -> tuple[str, ...]:
    """
    The audiences: they must contain *client_id*, and every other one must be in *trusted*.
    """
    aud = claims.get("aud")
    if isinstance(aud, str):
        auds: tuple[str, ...] = (aud,)
    elif isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        auds = tuple(aud)
    else:
        raise fail(cls, "aud.type")
    if client_id not in auds:
        raise fail(cls, "aud.missing_client")
    if len(auds) == 1:
        return auds
    trusted_set = frozenset(trusted)
    if any(a != client_id and a not in trusted_set for a in auds):
        raise fail(cls, "aud.untrusted")
    return auds


class Times:
    """
    The checked ``exp``, ``iat`` and ``nbf`` of a token, as timestamps.
    """

    __slots__ = ("exp", "iat", "nbf")

    def __init__(self, exp: float, iat: float, nbf: float | None) -> None:
        self.exp, self.iat, self.nbf = exp, iat, nbf


def check_times(
    claims: Mapping[str, Any],
    now: float,
    leeway: float,
    max_iat_age: float,
    cls: type[InvalidToken],
) -> Times:
    """
    ``exp`` (required, in the future), ``iat`` (required, not more than *leeway*
    ahead, not older than *max_iat_age*) and ``nbf`` (if present, reached).
    """
    exp, iat, nbf = num(claims, "exp", cls), num(claims, "iat", cls), num(claims, "nbf", cls)
    if exp is None or iat is None:
        raise fail(cls, "time.missing")
    if now - leeway >= exp:
        raise fail(cls, "exp")
    if iat > now + leeway:
        raise fail(cls, "iat.future")
    if iat < now - max_iat_age - leeway:
        raise fail(cls, "iat.too_old")
    if nbf is not None and nbf > now + leeway:
        raise fail(cls, "nbf")
    return Times(exp, iat, nbf)


def check_typ(
    header: Mapping[str, Any],
    accepted: frozenset[str],
    cls: type[InvalidToken],
    *,
    required: bool,
) -> None:
    """
    The ``typ`` header (RFC 8725 §3.11): absent only when not *required*, else one of *accepted*.

    Media types compare case-insensitively and may carry the ``application/``
    prefix (RFC 7515 §4.1.9).
    """
    # A nested JWT (cty=JWT) is never accepted: what is signed must be the claims.
    if "cty" in header:
        raise fail(cls, "cty")
    typ = header.get("typ")
    if typ is None and "typ" not in header:
        if required:
            raise fail(cls, "typ.missing")
        return
    if not isinstance(typ, str):
        raise fail(cls, "typ.type")
    typ = typ.lower()
    typ = typ.removeprefix("application/")
    if typ not in accepted:
        raise fail(cls, "typ")
