"""
The keyring file the command line reads (``keys rotate --keyring FILE``).

One JSON object, written by the deployment from its secret store::

    {
      "format": "ircc-keyring/1",
      "primary": "kek-2026-11",
      "keks": {"kek-2026-11": "<base64url, 32 bytes>", "kek-2025-05": "<...>"},
      "index_key": "<base64url, at least 32 bytes>"
    }

Values are base64url (RFC 4648 section 5), padded or not. Unknown members are
refused, so a misspelt member cannot be silently ignored. On POSIX the file
must not be readable or writable by its group or by others. No message quotes
the file's content.
"""

from __future__ import annotations

import json
import os
import re
import stat
from typing import Any

from ircc_account import KeyEncryptionKey, Keyring
from ircc_account._cli._output import CliError, escape
from ircc_account.errors import IdentityError, InvalidToken
from ircc_account.hazmat.jose import b64url_decode

__all__ = ["KEYRING_FORMAT", "load_keyring", "parse_keyring"]

#: The ``format`` member of a keyring file.
KEYRING_FORMAT = "ircc-keyring/1"
_MEMBERS = frozenset({"format", "primary", "keks", "index_key"})
_MAX_BYTES = 1 << 20
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def load_keyring(path: str) -> Keyring:
    """
    Read the keyring file at *path*.

    Raises:
        CliError: unreadable, open to group or others, or malformed.
        ConfigurationError: the keys do not make a keyring (see :class:`Keyring`).
    """
    shown = escape(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise CliError(f"cannot open the keyring file {shown}: {escape(e.strerror)}") from None
    with os.fdopen(fd, "rb") as f:
        # Checked on the open file, so the file read is the file checked.
        mode = stat.S_IMODE(os.fstat(f.fileno()).st_mode)
        if os.name == "posix" and mode & 0o077:
            raise CliError(
                f"the keyring file {shown} is open to its group or others "
                f"(mode {mode:04o}); make it readable by its owner only (chmod 600)"
            )
        raw = f.read(_MAX_BYTES + 1)
    if len(raw) > _MAX_BYTES:
        raise CliError(f"the keyring file {shown} is too large")
    try:
        data = json.loads(raw)
    except ValueError:
        raise CliError(f"the keyring file {shown} is not JSON") from None
    return parse_keyring(data, shown)


def parse_keyring(data: Any, shown: str = "") -> Keyring:
    """
    The keyring described by *data*, a parsed keyring file (*shown* names it in messages).

    Raises:
        CliError: a member is missing, unknown or malformed.
        ConfigurationError: the keys do not make a keyring.
    """

    def bad(what: str) -> CliError:
        return CliError(f"the keyring file {shown} is malformed: {what}")

    if not isinstance(data, dict):
        raise bad("not a JSON object")
    if set(data) != _MEMBERS:
        raise bad(f"it must have exactly the members {', '.join(sorted(_MEMBERS))}")
    if data["format"] != KEYRING_FORMAT:
        raise bad(f'"format" must be "{KEYRING_FORMAT}"')
    keks = data["keks"]
    if not isinstance(keks, dict) or not keks:
        raise bad('"keks" must map key ids to keys')
    if not isinstance(data["primary"], str):
        raise bad('"primary" must be a key id')
    ring = [
        KeyEncryptionKey(key_id=str(key_id), secret=_decode(value, bad, "a KEK"))
        for key_id, value in keks.items()
    ]
    return Keyring(
        ring, primary=data["primary"], index_key=_decode(data["index_key"], bad, "the index key")
    )


def _decode(value: object, bad: Any, what: str) -> bytes:
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value):
        raise bad(f"{what} is not base64url")
    # Padding is tolerated in a file people write; the one codec is strict.
    try:
        return b64url_decode(value.rstrip("="), InvalidToken, "keyring")
    except IdentityError:
        raise bad(f"{what} is not base64url") from None
