"""
The key hierarchy: key-encryption keys (KEKs) wrap per-account data keys.

::

    Keyring ── KEK "kek-2026-11" (primary: wraps)   ── index key (blind indexes)
            └─ KEK "kek-2025-05" (unwraps only)
                 │ AES-256-GCM, bound to (account id, KEK id)
                 ▼
            WrappedDataKey (one row per account) ──unwrap──► DataKey ──► field envelopes

KEKs come from the deployment's secret store, never from the database or the
source (SEC-74). Rotation adds a KEK and makes it primary; :meth:`Keyring.rewrap`
moves each wrapped data key under it, and the data rows are never rewritten.
Deleting an account's wrapped data key erases its personal data
(crypto-shredding).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable

import attrs
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ircc_account._clock import Randomness, SystemRandomness
from ircc_account._crypto._envelope import (
    KEY_BYTES,
    DataKey,
    check_key,
    encode_parts,
    open_envelope,
    seal_envelope,
)
from ircc_account._crypto._index import INDEX_KEY_MIN_BYTES, blind_index
from ircc_account.errors import ConfigurationError, DecryptionFailed, KeyNotFound

__all__ = ["KeyEncryptionKey", "Keyring", "WrappedDataKey"]

_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _check_key_id(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    if not _is_key_id(value):
        raise ConfigurationError(reason="a key id must be 1 to 64 of A-Z a-z 0-9 . _ -")


def _check_kek_secret(_instance: object, _attribute: attrs.Attribute[bytes], value: bytes) -> None:
    check_key(value, "a key-encryption key")


def _is_key_id(value: object) -> bool:
    return isinstance(value, str) and _KEY_ID.fullmatch(value) is not None


def _safe_key_id(value: object) -> str:
    """
    *value* if it is a well-formed key id, else a placeholder safe to put in a message.
    """
    return value if isinstance(value, str) and _is_key_id(value) else "(malformed)"


@attrs.frozen(eq=False)
class KeyEncryptionKey:
    """
    One AES-256 key-encryption key, as loaded from the secret store.

    Compared by identity, so secrets are never compared; ``repr`` shows the id only.

    Attributes:
        key_id: 1 to 64 characters from ``[A-Za-z0-9._-]``; stored beside each wrapped key.
        secret: Exactly 32 bytes.
    """

    key_id: str = attrs.field(validator=_check_key_id)
    secret: bytes = attrs.field(repr=False, validator=_check_kek_secret)


@attrs.frozen
class WrappedDataKey:
    """
    An account's data key, encrypted under the KEK *kek_id*: what the database stores.

    Attributes:
        kek_id: The id of the KEK that wrapped it.
        blob: The envelope ``b"\\x01" || nonce || encrypted key || tag``; not in ``repr``.
    """

    kek_id: str
    blob: bytes = attrs.field(repr=False)


def _check_account_id(account_id: object) -> str:
    if not isinstance(account_id, str) or not account_id:
        raise ConfigurationError(reason="an account id must be a non-empty string")
    return account_id


def _wrap_aad(account_id: str, kek_id: str) -> bytes:
    return encode_parts(("data-key", account_id, kek_id))


class Keyring:
    """
    The KEKs by id and the blind-index key; wraps with the primary KEK, unwraps with any.

    A keyring is immutable: :meth:`rotated` and :meth:`without` return new ones.

    Args:
        keks: Every KEK that may still have wrapped a data key.
        primary: The id of the KEK that wraps new and re-wrapped data keys.
        index_key: The blind-index HMAC key: at least 32 bytes, distinct from every KEK.
        randomness: Source of data keys and nonces; :class:`SystemRandomness` by default.

    Raises:
        ConfigurationError: no KEKs, a duplicate id, *primary* not among them,
            or an index key that is short or equal to a KEK.
    """

    __slots__ = ("_aeads", "_index_key", "_keks", "_primary", "_randomness")

    def __init__(
        self,
        keks: Iterable[KeyEncryptionKey],
        *,
        primary: str,
        index_key: bytes,
        randomness: Randomness | None = None,
    ) -> None:
        self._keks = tuple(keks)
        ids = [k.key_id for k in self._keks]
        if not ids:
            raise ConfigurationError(reason="a keyring needs at least one key-encryption key")
        if len(set(ids)) != len(ids):
            raise ConfigurationError(reason="two key-encryption keys share an id")
        if primary not in ids:
            raise ConfigurationError(reason="the primary key id is not in the keyring")
        if not isinstance(index_key, bytes) or len(index_key) < INDEX_KEY_MIN_BYTES:
            raise ConfigurationError(
                reason=f"the blind-index key must be at least {INDEX_KEY_MIN_BYTES} bytes"
            )
        if any(hmac.compare_digest(index_key, k.secret) for k in self._keks):
            # One key, one purpose: a leaked index key must not also unwrap data keys.
            raise ConfigurationError(reason="the blind-index key must differ from every KEK")
        self._aeads = {k.key_id: AESGCM(k.secret) for k in self._keks}
        self._primary = primary
        self._index_key = index_key
        self._randomness: Randomness = randomness or SystemRandomness()

    @classmethod
    def generate(
        cls, *, key_id: str | None = None, randomness: Randomness | None = None
    ) -> Keyring:
        """
        A keyring with one fresh KEK and index key: for tests and the demo, never production.

        Args:
            key_id: The KEK's id; a random ``kek-…`` id by default.
            randomness: The source of the keys, then of data keys and nonces.
        """
        rnd = randomness or SystemRandomness()
        kek = KeyEncryptionKey(
            key_id=key_id or f"kek-{rnd.token_bytes(4).hex()}",
            secret=rnd.token_bytes(KEY_BYTES),
        )
        return cls([kek], primary=kek.key_id, index_key=rnd.token_bytes(KEY_BYTES), randomness=rnd)

    def __repr__(self) -> str:
        return f"Keyring(primary={self._primary!r}, key_ids={self.key_ids!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # Keys must not leave the process by accident (caches, queues, crash dumps).
        raise TypeError("a Keyring cannot be pickled")

    @property
    def primary_id(self) -> str:
        """
        The id of the KEK that wraps new data keys.
        """
        return self._primary

    @property
    def key_ids(self) -> tuple[str, ...]:
        """
        Every KEK id in the keyring, in the order given.
        """
        return tuple(k.key_id for k in self._keks)

    def rotated(self, new: KeyEncryptionKey) -> Keyring:
        """
        A new keyring with *new* added and made primary; existing KEKs still unwrap (SEC-74).

        Raises:
            ConfigurationError: a KEK with that id is already in the keyring.
        """
        return Keyring(
            (*self._keks, new),
            primary=new.key_id,
            index_key=self._index_key,
            randomness=self._randomness,
        )

    def without(self, key_id: str) -> Keyring:
        """
        A new keyring without the KEK *key_id*: retire it once every data key is re-wrapped.

        Raises:
            ConfigurationError: *key_id* is the primary.
            KeyNotFound: *key_id* is not in the keyring.
        """
        if key_id == self._primary:
            raise ConfigurationError(reason="the primary key-encryption key cannot be removed")
        if key_id not in self._aeads:
            raise KeyNotFound(key_id=_safe_key_id(key_id))
        return Keyring(
            (k for k in self._keks if k.key_id != key_id),
            primary=self._primary,
            index_key=self._index_key,
            randomness=self._randomness,
        )

    def new_data_key(self, account_id: str) -> tuple[DataKey, WrappedDataKey]:
        """
        A fresh 32-byte data key for *account_id*, and the same key wrapped under the primary.
        """
        secret = self._randomness.token_bytes(KEY_BYTES)
        key = DataKey(secret, randomness=self._randomness)  # Checks the length (SEC-75).
        return key, self._wrap(secret, _check_account_id(account_id))

    def unwrap(self, wrapped: WrappedDataKey, account_id: str) -> DataKey:
        """
        Decrypt *wrapped*, which must belong to *account_id*.

        Raises:
            KeyNotFound: the KEK it names is not in this keyring.
            DecryptionFailed: altered, or wrapped for another account or KEK.
        """
        return DataKey(self._unwrap(wrapped, account_id), randomness=self._randomness)

    def rewrap(self, wrapped: WrappedDataKey, account_id: str) -> WrappedDataKey:
        """
        *wrapped* moved under the primary KEK; returned unchanged if it is already there.

        Raises:
            KeyNotFound: the KEK it names is not in this keyring.
            DecryptionFailed: altered, or wrapped for another account or KEK.
        """
        if wrapped.kek_id == self._primary:
            return wrapped
        return self._wrap(self._unwrap(wrapped, account_id), account_id)

    def blind_index(self, kind: str, value: str) -> bytes:
        """
        The keyed 32-byte index of *value*, normalized for *kind* (SEC-76).

        Args:
            kind: ``"uci"`` (digits only) or ``"email"`` (NFC, the domain
                through IDNA, ASCII capitals lower-cased; ``docs/data-at-rest.md``).
            value: The identifier, in any accepted spelling.

        Raises:
            ConfigurationError: an unknown *kind*.
            InvalidFormat: *value* normalizes to nothing.
        """
        return blind_index(self._index_key, kind, value)

    def _wrap(self, secret: bytes, account_id: str) -> WrappedDataKey:
        aead = self._aeads[self._primary]
        blob = seal_envelope(aead, self._randomness, secret, _wrap_aad(account_id, self._primary))
        return WrappedDataKey(kek_id=self._primary, blob=blob)

    def _unwrap(self, wrapped: WrappedDataKey, account_id: str) -> bytes:
        kek_id = wrapped.kek_id
        aead = self._aeads.get(kek_id)
        if aead is None:
            raise KeyNotFound(key_id=_safe_key_id(kek_id))
        aad = _wrap_aad(_check_account_id(account_id), kek_id)
        secret = open_envelope(aead, wrapped.blob, aad)
        if len(secret) != KEY_BYTES:
            raise DecryptionFailed()
        return secret
