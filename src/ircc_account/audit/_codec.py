"""
The canonical, versioned encoding of audit entries, the hash chain and the Merkle tree.

Format 1 of an entry's bytes is ``"a1"`` followed by each field, in the fixed
order of :data:`FIELDS`, as ``<byte length in decimal>:<UTF-8 bytes>``, or
``~`` for an absent value. The length prefix makes the encoding injective: no
two different entries encode alike, whatever their text holds.

``entry_hash = SHA-256("ircc-audit-entry/1" || 0x00 || prev_hash || encoding)``,
and the first entry of a partition has a ``prev_hash`` of 32 zero bytes.

Checkpoints sign a Merkle tree hash (RFC 9162 §2.1.1, as in RFC 6962:
leaf = H(0x00 || d), node = H(0x01 || left || right)) over the partition heads
sorted by partition id, each leaf ``d`` being the encoding of
(partition, seq, head_hash).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

__all__ = [
    "ENTRY_FORMAT",
    "FIELDS",
    "GENESIS",
    "SYSTEM_PARTITION",
    "checkpoint_message",
    "encode",
    "entry_hash",
    "head_leaf",
    "inclusion_path",
    "merkle_root",
    "root_from_path",
]

ENTRY_FORMAT = 1
CHECKPOINT_FORMAT = 1
#: The partition of entries about no client. ``~`` cannot start an identifier.
SYSTEM_PARTITION = "~system"
GENESIS = bytes(32)
_ENTRY_TAG = b"ircc-audit-entry/1\x00"
_CHECKPOINT_TAG = b"ircc-audit-checkpoint/1\x00"

#: The hashed fields, in encoding order (the database column names).
FIELDS: tuple[str, ...] = (
    "partition",
    "seq",
    "entry_id",
    "occurred_at",
    "actor_id",
    "capacity",
    "action",
    "client_id",
    "item_id",
    "service_id",
    "decision",
    "reason",
    "grant_id",
    "organisation_id",
    "on_behalf_of",
    "correlation_id",
    "source_ip",
)
_INTEGER_FIELDS = frozenset({"seq", "occurred_at"})


def encode(values: Sequence[str | int | None]) -> bytes:
    """
    The format-1 encoding of an entry's field values, in :data:`FIELDS` order.
    """
    parts = ["a1"]
    append = parts.append
    for value in values:
        if value is None:
            append("~")
        else:
            text = str(value)
            # The length is in UTF-8 bytes; for ASCII text that is its length.
            append(f"{len(text) if text.isascii() else len(text.encode())}:{text}")
    return "".join(parts).encode()


def sql_encoding_expression() -> str:
    """
    A SQLite expression that computes :func:`encode` over an ``audit_entries`` row.

    The fast verifier lets SQLite build the bytes, so Python only hashes them.
    """
    parts = ["'a1'"]
    for name in FIELDS:
        col = f'"{name}"'
        if name in _INTEGER_FIELDS:
            parts.append(f"length(CAST({col} AS TEXT)) || ':' || CAST({col} AS TEXT)")
        else:
            parts.append(
                f"(CASE WHEN {col} IS NULL THEN '~' "
                f"ELSE length(CAST({col} AS BLOB)) || ':' || {col} END)"
            )
    return "CAST(" + " || ".join(parts) + " AS BLOB)"


def entry_hash(prev_hash: bytes, encoding: bytes) -> bytes:
    """
    The chain hash of an entry given its predecessor's hash.
    """
    return hashlib.sha256(_ENTRY_TAG + prev_hash + encoding).digest()


def head_leaf(partition: str, seq: int, head_hash: bytes) -> bytes:
    """
    The Merkle leaf data for one partition head.
    """
    return encode([partition, seq, head_hash.hex()])


def _leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    # The largest power of two smaller than n (RFC 9162 §2.1.1).
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """
    The Merkle tree hash of *leaves* (RFC 9162 §2.1.1); SHA-256 of nothing when empty.
    """
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = [_leaf_hash(d) for d in leaves]
    return _root_of_hashes(level)


def _root_of_hashes(hashes: Sequence[bytes]) -> bytes:
    n = len(hashes)
    if n == 1:
        return hashes[0]
    k = _split(n)
    return _node_hash(_root_of_hashes(hashes[:k]), _root_of_hashes(hashes[k:]))


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """
    The audit path of leaf *index* in the tree over *leaves* (RFC 9162 §2.1.3.1).
    """
    hashes = [_leaf_hash(d) for d in leaves]
    return _path(index, hashes)


def _path(m: int, hashes: Sequence[bytes]) -> list[bytes]:
    n = len(hashes)
    if n <= 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(m, hashes[:k]), _root_of_hashes(hashes[k:])]
    return [*_path(m - k, hashes[k:]), _root_of_hashes(hashes[:k])]


def root_from_path(leaf: bytes, index: int, size: int, path: Iterable[bytes]) -> bytes | None:
    """
    Recompute the root from a leaf and its audit path (RFC 9162 §2.1.3.2).

    Returns ``None`` when the path does not fit the index and size.
    """
    if not 0 <= index < size:
        return None
    fn, sn = index, size - 1
    r = _leaf_hash(leaf)
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = _node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def checkpoint_message(
    *, checkpoint_no: int, created_at: int, partitions: int, entries: int, root: bytes, key_id: str
) -> bytes:
    """
    The bytes a checkpoint's Ed25519 signature covers (format 1).
    """
    return _CHECKPOINT_TAG + encode(
        [CHECKPOINT_FORMAT, checkpoint_no, created_at, partitions, entries, root.hex(), key_id]
    )
