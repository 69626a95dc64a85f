"""
Checkpoint signing keys: Ed25519, with key ids and rotation.
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ircc_account._model import _validate as v
from ircc_account.errors import ConfigurationError, KeyNotFound

__all__ = ["CheckpointSigner", "public_key_bytes"]


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    """
    The 32 raw bytes of an Ed25519 public key.
    """
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


class CheckpointSigner:
    """
    Signs checkpoints with the current key; verifies with any published one.

    Rotation: add the new private key, make it ``current``, and keep the old
    key's *public* half in ``retired`` so older checkpoints still verify.
    Publish :meth:`public_keys` to the system that keeps exported checkpoints.

    Args:
        keys: Private keys by key id (the current one must be among them).
        current: The id of the key that signs new checkpoints.
        retired: Public keys (32 raw bytes) of retired keys, by key id.

    Raises:
        ConfigurationError: *current* is not in *keys*, or a key id is reused.
    """

    def __init__(
        self,
        keys: Mapping[str, Ed25519PrivateKey],
        *,
        current: str,
        retired: Mapping[str, bytes] | None = None,
    ) -> None:
        if current not in keys:
            raise ConfigurationError(reason="the current checkpoint key is not among the keys")
        retired = dict(retired or {})
        if set(retired) & set(keys):
            raise ConfigurationError(reason="a checkpoint key id is both current and retired")
        for key_id in [*keys, *retired]:
            v.identifier("key_id", key_id)
        self._keys = dict(keys)
        self._current = current
        self._public: dict[str, bytes] = {
            k: public_key_bytes(p.public_key()) for k, p in keys.items()
        }
        self._public.update(retired)

    @classmethod
    def generate(cls, key_id: str = "audit-1") -> CheckpointSigner:
        """
        A signer with one fresh key (tests, demos; production loads its keys).
        """
        return cls({key_id: Ed25519PrivateKey.generate()}, current=key_id)

    @property
    def current_key_id(self) -> str:
        """
        The id of the signing key.
        """
        return self._current

    def sign(self, message: bytes) -> tuple[str, bytes]:
        """
        Sign *message* with the current key; returns (key id, 64-byte signature).
        """
        return self._current, self._keys[self._current].sign(message)

    def public_keys(self) -> dict[str, bytes]:
        """
        Every public key this signer knows, by key id (raw 32 bytes).
        """
        return dict(self._public)

    def __repr__(self) -> str:
        return f"CheckpointSigner(current={self._current!r}, keys={sorted(self._public)!r})"


def verify_signature(
    public_keys: Mapping[str, bytes], key_id: str, signature: bytes, message: bytes
) -> None:
    """
    Check an Ed25519 *signature* by *key_id*.

    Raises:
        KeyNotFound: *key_id* is not among *public_keys*.
        InvalidSignature: the signature does not verify.
    """
    raw = public_keys.get(key_id)
    if raw is None:
        raise KeyNotFound(key_id=key_id)
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, message)
    except ValueError:
        raise InvalidSignature() from None
