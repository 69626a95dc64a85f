"""
The verifier: recompute every chain, check every checkpoint, report the first bad position.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import multiprocessing
import os
import sqlite3
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature

from ircc_account._storage import _schema_audit as t
from ircc_account.audit._codec import (
    _ENTRY_TAG,
    FIELDS,
    GENESIS,
    checkpoint_message,
    encode,
    head_leaf,
    merkle_root,
    sql_encoding_expression,
)
from ircc_account.audit._signer import verify_signature
from ircc_account.errors import AuditVerificationFailed, KeyNotFound

__all__ = ["CHECKPOINTS", "Progress", "VerificationFailure", "VerificationReport", "verify_engine"]

#: The pseudo-partition under which checkpoint failures are reported (seq = checkpoint number).
CHECKPOINTS = "~checkpoints"
Progress = Callable[[int, int], None]
Row = tuple[str, int, bytes, bytes, bytes]
_SQL_ENCODING = sql_encoding_expression()


@attrs.frozen
class VerificationFailure:
    """
    One place where the log is not what was written.

    Attributes:
        partition: The chain (client id, ``~system``), or ``~checkpoints``.
        seq: The first bad position in that chain (or the checkpoint number).
        problem: ``hash_mismatch`` (an entry was edited), ``broken_link`` (an
            entry was inserted, reordered or replaced), ``missing_entry`` (a
            gap: deleted), ``out_of_order``, ``truncated`` (entries a
            checkpoint covers are gone), ``checkpoint_mismatch`` (the chain was
            rewritten under a checkpoint), ``head_mismatch`` (the head table
            disagrees with the entries: a head row without its entries, or
            entries without their head row), ``bad_signature``, ``unknown_key``, ``bad_root``,
            ``not_checkpointed`` (an export's entries past any signed checkpoint).
    """

    partition: str
    seq: int
    problem: str


@attrs.frozen(kw_only=True)
class VerificationReport:
    """
    The outcome of a verification. Falsy unless everything checked out.

    Attributes:
        entries: Entries read.
        partitions: Chains read.
        checkpoints: Checkpoints checked.
        covered_entries: Entries under the latest checkpoint (truncation of
            these is detectable; of later ones, not).
        failures: Every failure, checkpoint failures first, then by partition.
        keys_trusted: Whether signatures were checked against keys the caller
            supplied (``False``: against keys the export carried itself).
    """

    entries: int
    partitions: int
    checkpoints: int
    covered_entries: int
    failures: tuple[VerificationFailure, ...]
    keys_trusted: bool = True

    @property
    def ok(self) -> bool:
        """
        Whether no failure was found.
        """
        return not self.failures

    def __bool__(self) -> bool:
        return self.ok

    @property
    def first_failure(self) -> VerificationFailure | None:
        """
        The first failure, or ``None``.
        """
        return self.failures[0] if self.failures else None

    def raise_for_failure(self) -> VerificationReport:
        """
        Return the report if it passed.

        Raises:
            AuditVerificationFailed: anything failed.
        """
        first = self.first_failure
        if first is not None:
            raise AuditVerificationFailed(partition=first.partition, seq=first.seq)
        return self


class ChainChecker:
    """
    Checks rows (partition, seq, prev_hash, entry_hash, encoding) in
    (partition, seq) order, recording the first failure of each partition.
    """

    def __init__(self, expected: Mapping[str, Mapping[int, bytes]]) -> None:
        self.expected = expected
        self.failures: list[VerificationFailure] = []
        self.heads: dict[str, tuple[int, bytes]] = {}
        self.bad: set[str] = set()
        self.count = 0

    def run(self, rows: Iterable[Row]) -> None:
        # The hot loop: locals only, one hash per row (the 300k rows/s target).
        sha = hashlib.sha256
        tag = _ENTRY_TAG
        failures, heads, bad, expected = self.failures, self.heads, self.bad, self.expected
        part: str | None = None
        want, last = 1, GENESIS
        pinned: Mapping[int, bytes] | None = None
        skip = False
        n = 0
        for partition, seq, prev, digest, enc in rows:
            n += 1
            if partition != part:
                if part is not None and not skip:
                    heads[part] = (want - 1, last)
                part, want, last, skip = partition, 1, GENESIS, partition in bad
                pinned = expected.get(partition)
            if skip:
                continue
            problem = None
            if seq != want:
                problem = "missing_entry" if seq > want else "out_of_order"
            elif prev != last:
                problem = "broken_link"
            elif sha(tag + prev + enc).digest() != digest:
                problem = "hash_mismatch"
            elif pinned is not None and seq in pinned and pinned[seq] != digest:
                problem = "checkpoint_mismatch"
            if problem is not None:
                failures.append(VerificationFailure(partition, want, problem))
                bad.add(partition)
                skip = True
                continue
            last = digest
            want += 1
        if part is not None and not skip:
            heads[part] = (want - 1, last)
        self.count += n

    def check_covered(self, state: Mapping[str, tuple[int, bytes]]) -> None:
        """
        Every partition the latest checkpoint covers must reach its checkpointed head.
        """
        for partition, (seq, _) in state.items():
            if partition in self.bad:
                continue
            have = self.heads.get(partition, (0, GENESIS))[0]
            if have < seq:
                self.failures.append(VerificationFailure(partition, have + 1, "truncated"))
                self.bad.add(partition)


def check_checkpoints(
    checkpoints: Sequence[Mapping[str, Any]],
    deltas: Mapping[int, Sequence[tuple[str, int, bytes]]],
    public_keys: Mapping[str, bytes],
) -> tuple[list[VerificationFailure], dict[str, tuple[int, bytes]], dict[str, dict[int, bytes]]]:
    """
    Check each checkpoint's signature and root, folding the head deltas.

    Returns (failures, the latest state, every checkpointed (seq -> hash) per partition).
    """
    failures: list[VerificationFailure] = []
    state: dict[str, tuple[int, bytes]] = {}
    pinned: dict[str, dict[int, bytes]] = {}
    want = 1
    for cp in checkpoints:
        no = int(cp["checkpoint_no"])
        if no != want:
            failures.append(VerificationFailure(CHECKPOINTS, want, "missing_entry"))
        want = no + 1
        for partition, seq, digest in deltas.get(no, ()):
            state[partition] = (seq, digest)
            pinned.setdefault(partition, {})[seq] = digest
        problem = _checkpoint_problem(cp, state, public_keys)
        if problem is not None:
            failures.append(VerificationFailure(CHECKPOINTS, no, problem))
    return failures, state, pinned


def _checkpoint_problem(
    cp: Mapping[str, Any], state: Mapping[str, tuple[int, bytes]], public_keys: Mapping[str, bytes]
) -> str | None:
    message = checkpoint_message(
        checkpoint_no=int(cp["checkpoint_no"]), created_at=int(cp["created_at"]),
        partitions=int(cp["partitions"]), entries=int(cp["entries"]),
        root=bytes(cp["root"]), key_id=str(cp["key_id"]),
    )  # fmt: skip
    try:
        verify_signature(public_keys, str(cp["key_id"]), bytes(cp["signature"]), message)
    except KeyNotFound:
        return "unknown_key"
    except InvalidSignature:
        return "bad_signature"
    leaves = [head_leaf(p, s, h) for p, (s, h) in sorted(state.items())]
    entries = sum(s for s, _ in state.values())
    if (merkle_root(leaves) != bytes(cp["root"]) or len(leaves) != int(cp["partitions"])
            or entries != int(cp["entries"])):  # fmt: skip
        return "bad_root"
    return None


#: Logs at least this large are verified in parallel processes (SQLite, when forking is safe).
PARALLEL_MIN_ENTRIES = 100_000
_ENTRIES_SQL = (
    "SELECT partition, seq, prev_hash, entry_hash, {expr} FROM audit_entries{where} "
    "ORDER BY partition, seq"
)
_HEADS_SQL = "SELECT partition, seq, head_hash FROM audit_heads WHERE seq > 0{where}"


@attrs.frozen
class _RangeResult:
    """
    What one process found in its partition range (one read snapshot).
    """

    count: int
    failures: list[VerificationFailure]
    heads: dict[str, tuple[int, bytes]]
    bad: set[str]
    table_heads: dict[str, tuple[int, bytes]]


def _range_clause(lo: str | None, hi: str | None, *, first: bool) -> tuple[str, list[str]]:
    conds, params = [], []
    if lo is not None:
        conds.append("partition >= ?")
        params.append(lo)
    if hi is not None:
        conds.append("partition < ?")
        params.append(hi)
    if not conds:
        return "", []
    return (" WHERE " if first else " AND ") + " AND ".join(conds), params


def _check_range(
    cursor: Any,
    lo: str | None,
    hi: str | None,
    pinned: Mapping[str, Mapping[int, bytes]],
    chunk: int,
    progress: Callable[[int], None] | None,
) -> _RangeResult:
    """
    Check the chains of partitions in [lo, hi) on a SQLite DBAPI cursor, and
    read the head table for the same range in the same snapshot.
    """
    where, params = _range_clause(lo, hi, first=False)
    cursor.execute(_HEADS_SQL.format(where=where), params)
    table_heads = {p: (s, bytes(h)) for p, s, h in cursor.fetchall()}
    where, params = _range_clause(lo, hi, first=True)
    cursor.arraysize = chunk
    cursor.execute(_ENTRIES_SQL.format(expr=_SQL_ENCODING, where=where), params)
    checker = ChainChecker(pinned)

    def rows() -> Iterator[Row]:
        done = 0
        while batch := cursor.fetchmany():
            yield from batch
            done += len(batch)
            if progress is not None:
                progress(done)

    checker.run(rows())
    return _RangeResult(
        count=checker.count,
        failures=checker.failures,
        heads=checker.heads,
        bad=checker.bad,
        table_heads=table_heads,
    )


def _check_range_in_process(
    path: str, lo: str | None, hi: str | None, pinned: Mapping[str, Mapping[int, bytes]], chunk: int
) -> _RangeResult:
    # Runs in a worker process: its own read-only transaction on the file.
    uri = f"file:{urllib.parse.quote(path)}?mode=ro"
    db = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        cursor = db.cursor()
        cursor.execute("BEGIN")
        result = _check_range(cursor, lo, hi, pinned, chunk, None)
        cursor.execute("ROLLBACK")
        return result
    finally:
        db.close()


def _can_fork() -> bool:
    # Forking is safe only while no other thread can hold a lock (SQLite's,
    # the allocator's, logging's) that the child would inherit held.
    return (
        threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
        and (os.cpu_count() or 1) > 1
    )


def _split(conn: sa.Connection, parts: int) -> list[str]:
    """
    Partition ids that cut the log into *parts* ranges of about equal entries.

    Uses the head table only to balance the work: a wrong head table makes
    the split uneven, never the verification wrong (the ranges cover every id).
    """
    h = t.audit_heads.c
    heads = conn.execute(sa.select(h.partition, h.seq).order_by(h.partition)).all()
    total = sum(max(0, s) for _, s in heads)
    cuts: list[str] = []
    running = 0
    for partition, seq in heads:
        if running >= total * (len(cuts) + 1) / parts and running > 0:
            cuts.append(partition)
            if len(cuts) == parts - 1:
                break
        running += max(0, seq)
    return cuts


def _parallel(
    engine: sa.Engine,
    conn: sa.Connection,
    pinned: Mapping[str, Mapping[int, bytes]],
    chunk: int,
    workers: int,
    progress: Progress | None,
    total: int,
) -> list[_RangeResult]:
    cuts = _split(conn, workers)
    bounds = list(zip([None, *cuts], [*cuts, None], strict=True))
    path = str(engine.url.database)
    done = 0
    results: list[_RangeResult] = []
    ctx = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(len(bounds), mp_context=ctx) as pool:
        futures = [
            pool.submit(_check_range_in_process, path, lo, hi,
                        {p: s for p, s in pinned.items()
                         if (lo is None or p >= lo) and (hi is None or p < hi)}, chunk)
            for lo, hi in bounds
        ]  # fmt: skip
        for future in futures:
            result = future.result()
            results.append(result)
            done += result.count
            if progress is not None:
                progress(done, total)
    return results


def verify_engine(
    engine: sa.Engine,
    public_keys: Mapping[str, bytes],
    *,
    progress: Progress | None = None,
    chunk: int = 10_000,
    parallel_min: int = PARALLEL_MIN_ENTRIES,
    workers: int = 2,
) -> VerificationReport:
    """
    Verify the whole log in the database behind *engine*.

    A SQLite log of at least *parallel_min* entries is checked by *workers*
    processes, each over a range of partitions in its own read snapshot
    (entries are append-only, so a later snapshot holds everything the
    checkpoints, read first, cover). Only when this process runs no other
    thread, since the workers are forked; otherwise in this process.
    """
    with engine.connect().execution_options(ircc_write=False) as conn:
        if conn.dialect.name == "postgresql":
            # One snapshot for everything below (heads, checkpoints, entries):
            # under READ COMMITTED each statement sees a later state, so a
            # live log's heads would disagree with its entries (a false alarm).
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cps = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(t.audit_checkpoints).order_by(t.audit_checkpoints.c.checkpoint_no)
            )
        ]
        deltas: dict[int, list[tuple[str, int, bytes]]] = {}
        h = t.audit_checkpoint_heads.c
        for r in conn.execute(sa.select(h.checkpoint_no, h.partition, h.seq, h.head_hash)):
            deltas.setdefault(r.checkpoint_no, []).append((r.partition, r.seq, bytes(r.head_hash)))
        total = int(
            conn.execute(sa.select(sa.func.count()).select_from(t.audit_entries)).scalar_one()
        )
        cp_failures, state, pinned = check_checkpoints(cps, deltas, public_keys)
        checker = ChainChecker(pinned)
        heads: dict[str, tuple[int, bytes]] = {}
        if conn.dialect.name == "sqlite":
            if workers > 1 and total >= parallel_min and _can_fork():
                parts = _parallel(engine, conn, pinned, chunk, workers, progress, total)
            else:
                cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                report = None if progress is None else (lambda done: progress(done, total))
                parts = [_check_range(cursor, None, None, pinned, chunk, report)]
                cursor.close()
            for part in parts:
                checker.count += part.count
                checker.failures.extend(part.failures)
                checker.heads.update(part.heads)
                checker.bad |= part.bad
                heads.update(part.table_heads)
        else:
            heads = {r.partition: (r.seq, bytes(r.head_hash)) for r in conn.execute(
                sa.select(t.audit_heads.c.partition, t.audit_heads.c.seq,
                          t.audit_heads.c.head_hash).where(t.audit_heads.c.seq > 0))}  # fmt: skip
            checker.run(_stream(conn, chunk, total, progress))
        conn.rollback()
    checker.check_covered(state)
    _check_heads(checker, heads)
    return VerificationReport(
        entries=checker.count,
        partitions=len(checker.heads) + len(checker.bad - checker.heads.keys()),
        checkpoints=len(cps),
        covered_entries=sum(s for s, _ in state.values()),
        failures=tuple(cp_failures)
        + tuple(sorted(checker.failures, key=lambda f: (f.partition, f.seq))),
    )


def _check_heads(checker: ChainChecker, heads: Mapping[str, tuple[int, bytes]]) -> None:
    """
    The head table against the entries, both ways: every head row must match
    its partition's last entry, and every partition with entries must have a
    head row. (A chain forged for a new partition, hashed correctly but with
    no head, would otherwise verify, and block that client's next append.)
    """
    for partition in sorted(heads.keys() | checker.heads.keys()):
        if partition in checker.bad:
            continue
        head, have = heads.get(partition, (0, GENESIS)), checker.heads.get(partition, (0, GENESIS))
        if head != have:
            checker.failures.append(
                VerificationFailure(partition, min(have[0], head[0]) + 1, "head_mismatch")
            )


def _stream(
    conn: sa.Connection, chunk: int, total: int, progress: Progress | None
) -> Iterator[Row]:
    columns = ", ".join(f'"{name}"' for name in FIELDS)
    result = conn.execution_options(stream_results=True, yield_per=chunk).exec_driver_sql(
        f"SELECT {columns}, prev_hash, entry_hash FROM audit_entries ORDER BY partition, seq"  # noqa: S608 - constants only
    )
    done = 0
    for part in result.partitions():
        for r in part:
            yield (r[0], r[1], bytes(r[-2]), bytes(r[-1]), encode(r[:-2]))
        done += len(part)
        if progress is not None:
            progress(done, total)
