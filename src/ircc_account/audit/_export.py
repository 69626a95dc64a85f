"""
Export one client's entries with the proof to verify them offline, and verify such exports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ircc_account._storage import _schema_audit as t
from ircc_account._storage.ports import SqlStorage
from ircc_account.audit._codec import FIELDS, encode, head_leaf, inclusion_path, root_from_path
from ircc_account.audit._verify import (
    CHECKPOINTS,
    ChainChecker,
    VerificationFailure,
    VerificationReport,
    _checkpoint_problem,
)

__all__ = ["EXPORT_FORMAT", "export_client", "verify_export"]

EXPORT_FORMAT = "ircc-audit-export/1"


def export_client(
    store: SqlStorage, client_id: str, *, public_keys: Mapping[str, bytes] | None = None
) -> dict[str, Any]:
    """
    A JSON-able export of *client_id*'s chain and the proof it is in the log.

    Holds every entry (identifiers only) with its chain hashes, the latest
    checkpoint covering the client with its signature, the Merkle audit path
    from the client's checkpointed head to the signed root, and *public_keys*
    (hex) so the export can be checked offline with :func:`verify_export`.
    """
    e = t.audit_entries.c
    columns = [getattr(e, name) for name in FIELDS]
    with store.engine.connect().execution_options(ircc_write=False) as conn:
        rows = conn.execute(
            sa.select(*columns, e.prev_hash, e.entry_hash)
            .where(e.partition == client_id)
            .order_by(e.seq)
        ).all()
        entries = []
        for r in rows:
            item = dict(zip(FIELDS, r[:-2], strict=True))
            item["occurred_at"] = item["occurred_at"].isoformat()
            item["prev_hash"], item["entry_hash"] = bytes(r[-2]).hex(), bytes(r[-1]).hex()
            entries.append(item)
        checkpoint = _checkpoint_for(conn, client_id)
        conn.rollback()
    return {
        "format": EXPORT_FORMAT,
        "client_id": client_id,
        "entries": entries,
        "checkpoint": checkpoint,
        "public_keys": {k: bytes(v).hex() for k, v in sorted((public_keys or {}).items())},
    }


def _checkpoint_for(conn: sa.Connection, partition: str) -> dict[str, Any] | None:
    cp, h = t.audit_checkpoints.c, t.audit_checkpoint_heads.c
    latest = conn.execute(
        sa.select(t.audit_checkpoints).order_by(cp.checkpoint_no.desc()).limit(1)
    ).first()
    if latest is None:
        return None
    newest = (
        sa.select(h.partition, sa.func.max(h.checkpoint_no).label("no"))
        .where(h.checkpoint_no <= latest.checkpoint_no)
        .group_by(h.partition)
        .subquery()
    )
    heads = list(
        conn.execute(
            sa.select(h.partition, h.seq, h.head_hash).join(
                newest, sa.and_(h.partition == newest.c.partition, h.checkpoint_no == newest.c.no)
            )
        ).all()
    )
    heads.sort(key=lambda r: r.partition)
    index = next((i for i, r in enumerate(heads) if r.partition == partition), None)
    if index is None:
        return None
    leaves = [head_leaf(r.partition, r.seq, bytes(r.head_hash)) for r in heads]
    return {
        "checkpoint_no": latest.checkpoint_no,
        "created_at": latest.created_at,
        "partitions": latest.partitions,
        "entries": latest.entries,
        "root": bytes(latest.root).hex(),
        "key_id": latest.key_id,
        "signature": bytes(latest.signature).hex(),
        "head": {"seq": heads[index].seq, "head_hash": bytes(heads[index].head_hash).hex()},
        "leaf_index": index,
        "audit_path": [p.hex() for p in inclusion_path(leaves, index)],
    }


def verify_export(
    export: Mapping[str, Any], *, trusted_keys: Mapping[str, bytes] | None = None
) -> VerificationReport:
    """
    Verify an export offline: the chain, the checkpoint signature, the Merkle
    path to the signed root, and that the chain reaches the checkpointed head
    and goes no further: an export without a checkpoint, or with entries the
    checkpoint does not cover, fails with ``not_checkpointed``.

    Args:
        export: What :func:`export_client` returned (after a JSON round trip, too).
        trusted_keys: The published checkpoint keys. Without them, the keys in
            the export are used and the report says ``keys_trusted=False``.
    """
    try:
        return _verify_export(export, trusted_keys)
    except (KeyError, TypeError, ValueError, AttributeError):
        # A malformed export is a failed verification, never a crash or a pass.
        return VerificationReport(
            entries=0, partitions=0, checkpoints=0, covered_entries=0,
            failures=(VerificationFailure(CHECKPOINTS, 0, "malformed_export"),),
            keys_trusted=trusted_keys is not None,
        )  # fmt: skip


def _verify_export(
    export: Mapping[str, Any], trusted_keys: Mapping[str, bytes] | None
) -> VerificationReport:
    import datetime as dt

    from ircc_account.audit._records import to_micros

    if export["format"] != EXPORT_FORMAT:
        raise ValueError("unknown export format")
    partition = str(export["client_id"])
    rows = []
    for item in export["entries"]:
        values = [item[name] for name in FIELDS]
        values[FIELDS.index("occurred_at")] = to_micros(
            dt.datetime.fromisoformat(item["occurred_at"])
        )
        if values[0] != partition:
            raise ValueError("entry from another partition")
        rows.append((partition, int(item["seq"]), bytes.fromhex(item["prev_hash"]),
                     bytes.fromhex(item["entry_hash"]), encode(values)))  # fmt: skip
    keys = (
        trusted_keys
        if trusted_keys is not None
        else {k: bytes.fromhex(v) for k, v in export["public_keys"].items()}
    )
    failures: list[VerificationFailure] = []
    pinned: dict[str, dict[int, bytes]] = {}
    state: dict[str, tuple[int, bytes]] = {}
    cp = export.get("checkpoint")
    if cp is not None:
        head_seq, head_hash = int(cp["head"]["seq"]), bytes.fromhex(cp["head"]["head_hash"])
        raw = {**cp, "root": bytes.fromhex(cp["root"]), "signature": bytes.fromhex(cp["signature"])}
        # The signature and root are checked over a one-leaf state first, then
        # the root is recomputed from the audit path below.
        problem = _checkpoint_problem(raw, {}, keys)
        if problem in ("unknown_key", "bad_signature"):
            failures.append(VerificationFailure(CHECKPOINTS, int(cp["checkpoint_no"]), problem))
        root = root_from_path(
            head_leaf(partition, head_seq, head_hash), int(cp["leaf_index"]), int(cp["partitions"]),
            [bytes.fromhex(p) for p in cp["audit_path"]],
        )  # fmt: skip
        if root != raw["root"]:
            failures.append(VerificationFailure(CHECKPOINTS, int(cp["checkpoint_no"]), "bad_root"))
        pinned[partition] = {head_seq: head_hash}
        state[partition] = (head_seq, head_hash)
    checker = ChainChecker(pinned)
    checker.run(rows)
    checker.check_covered(state)
    # An export proves only what a signed checkpoint covers: without one, or
    # with entries past its head, anyone could have written them.
    covered = state.get(partition, (0, b""))[0]
    if partition not in checker.bad and (
        cp is None or checker.heads.get(partition, (0, b""))[0] > covered
    ):
        checker.failures.append(VerificationFailure(partition, covered + 1, "not_checkpointed"))
    return VerificationReport(
        entries=checker.count,
        partitions=1 if rows else 0,
        checkpoints=0 if cp is None else 1,
        covered_entries=covered,
        failures=tuple(failures) + tuple(checker.failures),
        keys_trusted=trusted_keys is not None,
    )
