"""
Strict parsing of what arrives from the browser and the provider's back channel.

The callback query and the back-channel logout form are parsed by hand-checked
rules: bounded size, bounded number of fields, valid percent-encoding and
UTF-8, and each parameter exactly once (RFC 6749 §3.1: "Request and response
parameters MUST NOT be included more than once"; SEC-78). Every failure is the
one typed error of the endpoint, never another exception.
"""

from __future__ import annotations

import urllib.parse

import attrs

from ircc_account.errors import IdentityError, InvalidCallback
from ircc_account.hazmat.jose import fail

__all__ = ["CallbackParams", "parse_callback", "parse_form"]

MAX_QUERY_BYTES = 8 * 1024
MAX_FIELDS = 16
_LIMITS = {
    "code": 2048,
    "state": 128,
    "iss": 255,
    "error": 64,
    "error_description": 1024,
    "error_uri": 2048,
    "session_state": 512,
}
# RFC 6749 §4.1.2.1 and OIDC Core §3.1.2.6 error codes; any other value is
# reported as "unknown" so no attacker text reaches an error's parameters.
KNOWN_ERRORS = frozenset(
    {
        "invalid_request",
        "unauthorized_client",
        "access_denied",
        "unsupported_response_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
        "interaction_required",
        "login_required",
        "account_selection_required",
        "consent_required",
        "invalid_request_uri",
        "invalid_request_object",
        "request_not_supported",
        "request_uri_not_supported",
        "registration_not_supported",
    }
)


def parse_form(
    data: str | bytes,
    cls: type[IdentityError],
    *,
    max_bytes: int,
    max_fields: int = MAX_FIELDS,
    only: frozenset[str] | None = None,
) -> dict[str, str]:
    """
    Parse ``application/x-www-form-urlencoded`` *data*, each name exactly once.

    Args:
        data: The query string or body.
        cls: The error to raise.
        max_bytes: The largest input accepted.
        max_fields: The most fields accepted.
        only: Read just these names and ignore every other field, however it
            is written (BCL §2.5: "Values that are not understood by the
            implementation MUST be ignored"). The names read must still be
            well-formed and appear once. ``None`` reads every field strictly.

    Raises:
        cls: oversized, malformed encoding, invalid UTF-8, empty names, or a repeated name.
    """
    try:
        raw = data if isinstance(data, bytes) else data.encode("utf-8")
    except UnicodeEncodeError:
        raise fail(cls, "form.encoding") from None
    if len(raw) > max_bytes:
        raise fail(cls, "form.size")
    if not raw:
        return {}
    if raw.count(b"&") + 1 > max_fields:
        raise fail(cls, "form.fields")
    out: dict[str, str] = {}
    try:
        for part in raw.split(b"&"):
            name_raw, sep, value_raw = part.partition(b"=")
            if only is not None:
                # Compare the name leniently; only a field we read is checked.
                name = urllib.parse.unquote_plus(name_raw.decode("ascii", "replace"))
                if name not in only:
                    continue
            text_name, text_value = name_raw.decode("ascii"), value_raw.decode("ascii")
            if not sep or not text_name or ("%" in text_name and not _valid_pct(text_name)):
                raise ValueError("field")
            if not _valid_pct(text_value):
                raise ValueError("percent")
            name = urllib.parse.unquote_plus(text_name, errors="strict")
            value = urllib.parse.unquote_plus(text_value, errors="strict")
            if name in out:
                raise KeyError(name)
            out[name] = value
    except KeyError:
        raise fail(cls, "form.duplicate") from None
    except ValueError:
        raise fail(cls, "form.syntax") from None
    return out


def _valid_pct(value: str) -> bool:
    i = value.find("%")
    while i != -1:
        pair = value[i + 1 : i + 3]
        if len(pair) != 2 or any(c not in "0123456789abcdefABCDEF" for c in pair):
            return False
        i = value.find("%", i + 3)
    return True


@attrs.frozen(kw_only=True)
class CallbackParams:
    """
    An authorization response, parsed (RFC 6749 §4.1.2, RFC 9207).

    Attributes:
        state: The ``state`` (hidden from ``repr``).
        code: The authorization code (hidden), or ``None`` for an error response.
        iss: The ``iss`` parameter, or ``None``.
        error: A known error code, ``"unknown"`` for any other, or ``None``.
    """

    state: str = attrs.field(repr=False)
    code: str | None = attrs.field(repr=False)
    iss: str | None
    error: str | None


def parse_callback(query: str | bytes) -> CallbackParams:
    """
    Parse the query of a redirect to our callback.

    Tokens delivered in the query (``access_token``, ``id_token``) are never
    read: the code flow is the only flow (SEC-01).

    Raises:
        InvalidCallback: malformed, oversized, a repeated parameter, no ``state``,
            neither or both of ``code`` and ``error``.
    """
    if isinstance(query, str) and query.startswith("?"):
        query = query[1:]
    fields = parse_form(query, InvalidCallback, max_bytes=MAX_QUERY_BYTES)
    for name, limit in _LIMITS.items():
        value = fields.get(name)
        if value is not None and (not value or len(value) > limit):
            raise fail(InvalidCallback, f"callback.{name}")
    state, code, error = fields.get("state"), fields.get("code"), fields.get("error")
    if state is None:
        raise fail(InvalidCallback, "callback.state_missing")
    if (code is None) == (error is None):
        raise fail(InvalidCallback, "callback.code_or_error")
    if error is not None and error not in KNOWN_ERRORS:
        error = "unknown"
    return CallbackParams(state=state, code=code, iss=fields.get("iss"), error=error)
