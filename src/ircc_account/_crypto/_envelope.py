"""
The field envelope: AES-256-GCM under a per-account data key.

Every encrypted field is stored as one versioned byte string::

    b"\\x01" || nonce (12 bytes) || ciphertext || tag (16 bytes)

and is bound, through the AEAD's associated data, to the row and column it
lives in (:class:`FieldContext`), so a ciphertext copied elsewhere does not
decrypt (SEC-73). :func:`_seal` and :func:`_open` are the only places that call
the AEAD; the Wycheproof tests drive them directly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import attrs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ircc_account._clock import Randomness
from ircc_account.errors import ConfigurationError, DecryptionFailed

__all__ = ["DataKey", "FieldContext"]

#: The first byte of every envelope and of every associated-data encoding.
FORMAT_VERSION = b"\x01"
#: AES-256: SEC-75 asks for at least 128-bit security; we take 256.
KEY_BYTES = 32
#: A 96-bit nonce, fresh for every encryption (SEC-72; NIST SP 800-38D §8.2.2).
NONCE_BYTES = 12
TAG_BYTES = 16
_HEADER_BYTES = len(FORMAT_VERSION) + NONCE_BYTES


def _seal(aead: AESGCM, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """
    Encrypt with AES-GCM; returns ciphertext followed by the 16-byte tag.
    """
    return aead.encrypt(nonce, plaintext, aad)


def _open(aead: AESGCM, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    """
    Decrypt and verify an AES-GCM ciphertext-and-tag.

    Raises:
        DecryptionFailed: the tag did not verify. Which part was wrong is not said.
    """
    try:
        return aead.decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise DecryptionFailed() from None


def check_key(secret: object, what: str) -> bytes:
    """
    Return *secret* if it is exactly 32 bytes (SEC-75).

    Args:
        secret: The candidate key.
        what: A safe name for the key, used in the error ("a data key").

    Raises:
        ConfigurationError: not ``bytes`` of length 32. The key is never shown.
    """
    if not isinstance(secret, bytes) or len(secret) != KEY_BYTES:
        raise ConfigurationError(reason=f"{what} must be exactly {KEY_BYTES} bytes")
    return secret


def fresh_nonce(randomness: Randomness) -> bytes:
    """
    Draw a 96-bit nonce from *randomness* (SEC-72).

    Raises:
        ConfigurationError: the source returned something other than 12 bytes.
    """
    nonce = randomness.token_bytes(NONCE_BYTES)
    if not isinstance(nonce, bytes) or len(nonce) != NONCE_BYTES:
        raise ConfigurationError(reason="the randomness source returned a wrong-sized nonce")
    return nonce


def encode_parts(parts: Iterable[str]) -> bytes:
    """
    The format version, then each part as a 4-byte big-endian length and its UTF-8 bytes.

    Length prefixes make the encoding injective: no two different tuples give
    the same bytes, whatever characters the parts hold (RFC 5116 §3).
    """
    return FORMAT_VERSION + b"".join(map(_encode_part, parts))


def _encode_part(part: str) -> bytes:
    raw = part.encode("utf-8")
    return len(raw).to_bytes(4, "big") + raw


@functools.lru_cache(maxsize=256)
def _field_prefix(table: str, column: str) -> bytes:
    # Tables and columns are names from the code, so this stays small.
    return encode_parts(("field", table, column))


def field_associated_data(table: str, column: str, record_id: str, account_id: str) -> bytes:
    """
    ``encode_parts(("field", table, column, record_id, account_id))``: a field's
    associated data (see :class:`FieldContext`), with its constant head cached.

    Raises:
        ConfigurationError: a part is not a non-empty string.
    """
    if not (
        isinstance(table, str)
        and table
        and isinstance(column, str)
        and column
        and isinstance(record_id, str)
        and record_id
        and isinstance(account_id, str)
        and account_id
    ):
        # The same checks and messages as FieldContext's.
        FieldContext(table=table, column=column, record_id=record_id, account_id=account_id)
    return _field_prefix(table, column) + _encode_part(record_id) + _encode_part(account_id)


def seal_envelope(aead: AESGCM, randomness: Randomness, plaintext: bytes, aad: bytes) -> bytes:
    """
    Encrypt *plaintext* into a versioned envelope with a fresh nonce.
    """
    nonce = fresh_nonce(randomness)
    return FORMAT_VERSION + nonce + _seal(aead, nonce, plaintext, aad)


def open_envelope(aead: AESGCM, blob: bytes, aad: bytes) -> bytes:
    """
    Check the envelope's version and length, then decrypt it.

    Raises:
        DecryptionFailed: any failure, without saying which.
    """
    if (
        not isinstance(blob, bytes)
        or len(blob) < _HEADER_BYTES + TAG_BYTES
        or blob[:1] != FORMAT_VERSION
    ):
        raise DecryptionFailed()
    return _open(aead, blob[1:_HEADER_BYTES], blob[_HEADER_BYTES:], aad)


def _non_empty_str(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(
            reason=f"the field context's {attribute.name} must be a non-empty string"
        )


@attrs.frozen
class FieldContext:
    """
    Where an encrypted value lives; bound to its ciphertext as associated data (SEC-73).

    Attributes:
        table: The table name, such as ``accounts``.
        column: The column name, such as ``personal_ct``.
        record_id: The row's primary key.
        account_id: The account whose data key encrypts the value.
    """

    table: str = attrs.field(validator=_non_empty_str)
    column: str = attrs.field(validator=_non_empty_str)
    record_id: str = attrs.field(validator=_non_empty_str)
    account_id: str = attrs.field(validator=_non_empty_str)

    def associated_data(self) -> bytes:
        """
        The injective encoding of this context, with the format version and a ``field`` label.
        """
        return field_associated_data(self.table, self.column, self.record_id, self.account_id)


class DataKey:
    """
    A per-account AES-256-GCM key, unwrapped; encrypts that account's personal fields.

    Get one from :meth:`Keyring.new_data_key` or :meth:`Keyring.unwrap`. It is
    compared by identity and its ``repr`` never shows the key.

    Args:
        secret: Exactly 32 bytes from a CSPRNG.
        randomness: The source of nonces.

    Raises:
        ConfigurationError: *secret* is not 32 bytes.
    """

    __slots__ = ("_aead", "_randomness")

    def __init__(self, secret: bytes, *, randomness: Randomness) -> None:
        self._aead = AESGCM(check_key(secret, "a data key"))
        self._randomness = randomness

    def __repr__(self) -> str:
        return "DataKey(<secret>)"

    def __reduce__(self) -> tuple[object, ...]:
        # A data key must not leave the process by accident (pickled into a
        # cache, a task queue or a crash report).
        raise TypeError("a DataKey cannot be pickled")

    def encrypt(self, plaintext: bytes, context: FieldContext) -> bytes:
        """
        Encrypt *plaintext* for *context* with a fresh nonce.

        Args:
            plaintext: The field's serialized value.
            context: Where the ciphertext will be stored.
        """
        return seal_envelope(self._aead, self._randomness, plaintext, context.associated_data())

    def decrypt(self, blob: bytes, context: FieldContext) -> bytes:
        """
        Decrypt an envelope that was encrypted for *context*.

        Args:
            blob: The stored envelope.
            context: Where it was read from.

        Raises:
            DecryptionFailed: altered, truncated, of another format, under
                another key, or moved from another context. The message does
                not say which.
        """
        return open_envelope(self._aead, blob, context.associated_data())

    def encrypt_field(
        self, plaintext: bytes, table: str, column: str, record_id: str, account_id: str
    ) -> bytes:
        """
        :meth:`encrypt` for ``FieldContext(table, column, record_id, account_id)``,
        without building the context (the same associated data, computed for less).

        Raises:
            ConfigurationError: a part is not a non-empty string.
        """
        aad = field_associated_data(table, column, record_id, account_id)
        return seal_envelope(self._aead, self._randomness, plaintext, aad)

    def decrypt_field(
        self, blob: bytes, table: str, column: str, record_id: str, account_id: str
    ) -> bytes:
        """
        :meth:`decrypt` for ``FieldContext(table, column, record_id, account_id)``,
        without building the context (the same associated data, computed for less).

        Raises:
            ConfigurationError: a part is not a non-empty string.
            DecryptionFailed: as for :meth:`decrypt`.
        """
        aad = field_associated_data(table, column, record_id, account_id)
        return open_envelope(self._aead, blob, aad)

    def field_opener(
        self, table: str, column: str, account_id: str
    ) -> Callable[[bytes, str], bytes]:
        """
        :meth:`decrypt_field` for many records of one account's column:
        returns ``open(blob, record_id)``, which decrypts exactly as
        ``decrypt_field(blob, table, column, record_id, account_id)`` does,
        with the associated data's constant parts encoded once. Keep it no
        longer than the key itself (a unit of work).

        Raises:
            ConfigurationError: a part is not a non-empty string (here for
                *table*, *column* and *account_id*; when called, for *record_id*).
        """
        # The same checks and messages as field_associated_data's, once.
        field_associated_data(table, column, "record", account_id)
        aead, head, tail = self._aead, _field_prefix(table, column), _encode_part(account_id)

        def open_field(blob: bytes, record_id: str) -> bytes:
            if not (isinstance(record_id, str) and record_id):
                FieldContext(table=table, column=column, record_id=record_id, account_id=account_id)
            raw = record_id.encode("utf-8")
            aad = head + len(raw).to_bytes(4, "big") + raw + tail
            # open_envelope's checks, inline.
            if (
                not isinstance(blob, bytes)
                or len(blob) < _HEADER_BYTES + TAG_BYTES
                or blob[:1] != FORMAT_VERSION
            ):
                raise DecryptionFailed()
            return _open(aead, blob[1:_HEADER_BYTES], blob[_HEADER_BYTES:], aad)

        return open_field

    def encrypt_text(self, text: str, context: FieldContext) -> bytes:
        """
        Encrypt *text* as UTF-8 for *context*.
        """
        return self.encrypt(text.encode("utf-8"), context)

    def decrypt_text(self, blob: bytes, context: FieldContext) -> str:
        """
        Decrypt an envelope made by :meth:`encrypt_text`.

        Raises:
            DecryptionFailed: as for :meth:`decrypt`, or the plaintext is not UTF-8.
        """
        try:
            return self.decrypt(blob, context).decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptionFailed() from None
