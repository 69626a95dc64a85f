"""
Structured logs that resist injection and never carry secrets (SEC-68, SEC-69).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any

__all__ = ["SECRET_KEYS", "JsonLogFormatter", "redact"]

#: Keys whose values are never logged (compared case-insensitively, ``-`` as ``_``).
SECRET_KEYS = frozenset({
    "token", "access_token", "id_token", "refresh_token", "logout_token", "code",
    "code_verifier", "nonce", "state", "session_id", "sessionid", "session",
    "password", "secret", "client_secret", "authorization", "cookie",
    "document_number", "passport_number",
})  # fmt: skip
REDACTED = "[redacted]"
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


def _is_secret(key: str) -> bool:
    k = key.lower().replace("-", "_")
    return k in SECRET_KEYS or k.endswith(("_token", "_secret", "_password"))


def redact(value: Any, _depth: int = 0) -> Any:
    """
    A copy of *value* with the values under secret keys replaced, at any depth.
    """
    if _depth > 8:
        return REDACTED
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if _is_secret(str(k)) else redact(v, _depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v, _depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


class JsonLogFormatter(logging.Formatter):
    """
    Formats each record as one line of JSON.

    Every control character (CR, LF, ESC...) and every non-ASCII character is
    escaped (``ensure_ascii``), so a value holding ``\\n{"evt":"fake"}`` or an
    ANSI escape stays inside one record. Extra fields under secret keys
    (tokens, codes, ``code_verifier``, nonce, state, session ids, passwords,
    document numbers) are replaced by ``[redacted]``.
    """

    def format(self, record: logging.LogRecord) -> str:
        """
        One JSON object, on one line.
        """
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        extra = {
            k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")
        }
        out.update(redact(extra))
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=True, separators=(",", ":"), default=str)
