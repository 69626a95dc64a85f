"""
Personal data encrypted at rest: envelope encryption and blind indexes.

Each account has its own AES-256-GCM data key, wrapped by a key-encryption key
from a :class:`Keyring`. See ``docs/data-at-rest.md`` for the format, the
rotation procedure and the limits.
"""

from __future__ import annotations

from ircc_account._crypto._envelope import DataKey, FieldContext
from ircc_account._crypto._index import normalize_email, normalize_uci
from ircc_account._crypto._keyring import KeyEncryptionKey, Keyring, WrappedDataKey

__all__ = [
    "DataKey",
    "FieldContext",
    "KeyEncryptionKey",
    "Keyring",
    "WrappedDataKey",
    "normalize_email",
    "normalize_uci",
]
