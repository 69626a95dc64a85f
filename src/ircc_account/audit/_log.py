"""
The audit log: appends in the caller's transaction, own-transaction appends,
partition heads, and signed checkpoints.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

import attrs
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from ircc_account._clock import Clock, Randomness, SystemClock, SystemRandomness
from ircc_account._model import AuditEntry, Capacity, Decision
from ircc_account._storage import _schema_audit as t
from ircc_account._storage import translate_errors
from ircc_account._storage.ports import SqlStorage, SqlUnit
from ircc_account.audit._codec import (
    CHECKPOINT_FORMAT,
    ENTRY_FORMAT,
    FIELDS,
    GENESIS,
    checkpoint_message,
    encode,
    entry_hash,
    head_leaf,
    merkle_root,
)
from ircc_account.audit._records import AppendReceipt, EntryIds, Pending, prepare, to_micros
from ircc_account.audit._signer import CheckpointSigner
from ircc_account.errors import AuditClockSkew, Conflict, StorageUnavailable

__all__ = ["AuditAlerts", "AuditLog", "AuditObserver", "Checkpoint"]

_log = logging.getLogger("ircc_account.audit")
T = TypeVar("T")
# An arbitrary, fixed key for the advisory lock that serializes checkpoints.
_CHECKPOINT_LOCK = 0x1CC_AD_0003


@runtime_checkable
class AuditAlerts(Protocol):
    """
    Told after commit when a representative acted on a client's file.
    """

    def representative_acted(self, client_id: str, entry: AuditEntry) -> None:
        """
        A representative's access to *client_id*'s file was committed.

        Args:
            client_id: The client whose file it was.
            entry: The entry as written (identifiers only).
        """
        ...


@runtime_checkable
class AuditObserver(Protocol):
    """
    Called inside the unit of work, before it commits, for each allowed
    entry appended in it: whatever the observer writes in *uow* (an outbox
    row, SEC-85) commits with the change and its entry, or not at all.
    """

    def __call__(self, uow: SqlUnit, entry: AuditEntry, receipt: AppendReceipt) -> None:
        """
        *entry* (an allowed decision) was just written in *uow*.

        Args:
            uow: The caller's unit of work, still open.
            entry: The entry as written (identifiers only).
            receipt: Where it was written: its ``entry_id``, partition and sequence number.

        Raises:
            Exception: anything; the unit is then rolled back (fail closed).
        """
        ...


@attrs.frozen(kw_only=True)
class Checkpoint:
    """
    A signed statement of every partition's head at one moment.

    Attributes:
        checkpoint_no: Its number, from 1.
        created_at: When it was made (microseconds since the epoch, UTC).
        partitions: How many partitions (Merkle leaves) it covers.
        entries: How many entries, over all partitions.
        root: The Merkle tree hash over the sorted heads.
        key_id: The Ed25519 key that signed it.
        signature: The signature over :func:`~._codec.checkpoint_message`.
    """

    checkpoint_no: int
    created_at: int
    partitions: int
    entries: int
    root: bytes = attrs.field(repr=lambda b: b.hex())
    key_id: str
    signature: bytes = attrs.field(repr=False)


_HEAD_CACHE_SIZE = 100_000
#: The raw INSERT's column order: the hashed fields, then the rest.
_ENTRY_COLUMNS = (*FIELDS, "format", "prev_hash", "entry_hash")
_INSERT_ENTRY = t.audit_entries.insert()
_UPDATE_HEAD = (
    t.audit_heads.update()
    .where(t.audit_heads.c.partition == sa.bindparam("b_partition"))
    .values(seq=sa.bindparam("b_seq"), head_hash=sa.bindparam("b_hash"),
            head_time=sa.bindparam("b_time"))
)  # fmt: skip
_PG_ARRAY_TYPES = {"seq": "bigint", "occurred_at": "bigint", "format": "smallint",
                   "prev_hash": "bytea", "entry_hash": "bytea"}  # fmt: skip


class _StaleHeads(Exception):
    """
    A cached head no longer matches its row: run the batch again from the table.
    """


class _Sql:
    """
    The own-transaction write path's statements, prebuilt for one dialect.

    Every statement is built from constants (table and column names, the
    DBAPI placeholder), never from input. On PostgreSQL a batch is one call
    of ``ircc_audit_append`` (migration ``0011a_audit_append``) with one
    array per column, so its text is fixed (prepared once by the server)
    whatever the batch size, in a transaction of its own: one network round
    trip per batch.
    """

    def __init__(self, *, mark: str, postgres: bool, begin: str) -> None:
        m = mark
        #: SQLite takes the write lock up front (SEC-87); psycopg begins implicitly.
        self.begin = begin
        self.mark = m
        self.postgres = postgres
        self.insert_head = (
            'INSERT INTO audit_heads ("partition", seq, head_hash, head_time) '  # noqa: S608
            f'VALUES ({m}, 0, {m}, 0) ON CONFLICT ("partition") DO NOTHING'
        )
        self.select_heads = (
            'SELECT "partition", seq, head_hash, head_time FROM audit_heads '
            'WHERE "partition" IN ({marks}) ORDER BY "partition"'
        )
        cols = ", ".join(f'"{c}"' for c in _ENTRY_COLUMNS)
        marks = ", ".join([m] * len(_ENTRY_COLUMNS))
        self.insert_entry = f"INSERT INTO audit_entries ({cols}) VALUES ({marks})"  # noqa: S608
        self.update_head = (
            f"UPDATE audit_heads SET seq = {m}, head_hash = {m}, head_time = {m} "  # noqa: S608
            f'WHERE "partition" = {m} AND seq = {m} AND head_hash = {m}'
        )
        # (partition, old seq, old hash, new seq, new hash, new time) of each moved head.
        head_types = ("text", "bigint", "bytea", "bigint", "bytea", "bigint")
        heads = ", ".join(f"{m}::{kind}[]" for kind in head_types)
        types = ", ".join(f"{m}::{_PG_ARRAY_TYPES.get(c, 'text')}[]" for c in _ENTRY_COLUMNS)
        self.append_call = f"SELECT ircc_audit_append({heads}, {types})"

    @staticmethod
    def of(dialect: str) -> _Sql:
        return _SQLITE if dialect == "sqlite" else _POSTGRES

    def read_heads(self, cursor: Any, partitions: Sequence[str]) -> dict[str, list[Any]]:
        marks = ", ".join([self.mark] * len(partitions))
        cursor.execute(self.select_heads.format(marks=marks), list(partitions))
        return {r[0]: [r[1], bytes(r[2]), r[3]] for r in cursor.fetchall()}

    def update_heads(self, cursor: Any, updates: Sequence[tuple[Any, ...]]) -> int:
        """
        SQLite: move each head where it still holds (old seq, old hash); returns how many moved.
        """
        cursor.executemany(self.update_head, updates)
        return int(cursor.rowcount)

    def insert_entries(self, cursor: Any, rows: Sequence[tuple[Any, ...]]) -> None:
        """
        SQLite: one prepared INSERT, run for every row in C.
        """
        cursor.executemany(self.insert_entry, rows)

    def append(self, cursor: Any, heads: Sequence[tuple[Any, ...]], rows: Sequence[Any]) -> None:
        """
        PostgreSQL: one ``ircc_audit_append`` call, its own transaction (the
        held connection is in autocommit mode): one round trip, durable when
        it returns. *heads* are (partition, old seq, old hash, new seq, new
        hash, new time); a head that moved meanwhile aborts it (``IA001``).
        """
        columns = [list(c) for c in zip(*heads, strict=True)]
        columns += [list(c) for c in zip(*rows, strict=True)]
        try:
            cursor.execute(self.append_call, columns)
        except Exception as e:
            if getattr(e, "sqlstate", None) == _HEADS_MOVED:
                raise _StaleHeads() from None
            raise


#: The SQLSTATE ``ircc_audit_append`` raises when a head moved under the batch.
_HEADS_MOVED = "IA001"
# SQLite: BEGIN IMMEDIATE already serializes writers, and executemany reuses one
# prepared statement in C. PostgreSQL: one server-side call per batch.
_SQLITE = _Sql(mark="?", postgres=False, begin="BEGIN IMMEDIATE")
_POSTGRES = _Sql(mark="%s", postgres=True, begin="")


def retrying(fn: Callable[[], T], *, attempts: int = 8) -> T:
    """
    Run a whole transaction *fn*, again after a serialization failure, a
    deadlock or a busy database, with jittered exponential backoff (SEC-89).
    """
    for attempt in range(attempts):
        try:
            return fn()
        except (Conflict, StorageUnavailable):
            if attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0.5, 1.5) * 0.002 * (2**attempt))  # noqa: S311 - jitter, not security
    raise AssertionError("unreachable")  # pragma: no cover


class AuditLog:
    """
    The tamper-evident, append-only log of every access to a client's file.

    Args:
        store: The store the log lives in.
        signer: Signs checkpoints; without one, no checkpoints are made.
        clock: For checkpoint times and the skew check.
        randomness: For entry ids.
        alerts: Told, after commit, when a representative acts.
        observers: Called in the unit, before commit, for each allowed entry
            appended in a unit (see :meth:`watch`).
        checkpoint_every: Make a checkpoint after this many entries (per process).
        checkpoint_interval: ... or once this long has passed since the last one,
            at the next append.
        max_clock_skew: How far an entry may be dated before its partition's
            head (concurrent writers stamp times before they queue for the
            chain) or after the clock's now. Beyond it, :class:`AuditClockSkew`.
    """

    def __init__(
        self,
        store: SqlStorage,
        *,
        signer: CheckpointSigner | None = None,
        clock: Clock | None = None,
        randomness: Randomness | None = None,
        alerts: AuditAlerts | None = None,
        observers: Sequence[AuditObserver] = (),
        checkpoint_every: int = 10_000,
        checkpoint_interval: dt.timedelta = dt.timedelta(seconds=60),
        max_clock_skew: dt.timedelta = dt.timedelta(seconds=5),
    ) -> None:
        self.store = store
        self.signer = signer
        self.clock = clock or SystemClock()
        self.randomness = randomness or SystemRandomness()
        self._entry_ids = EntryIds(self.randomness)
        self.alerts = alerts
        self._observers: tuple[AuditObserver, ...] = tuple(observers)
        self.checkpoint_every = checkpoint_every
        self.checkpoint_interval = checkpoint_interval
        self._skew_us = int(max_clock_skew / dt.timedelta(microseconds=1))
        self._counter_lock = threading.Lock()
        self._checkpoint_lock = threading.Lock()
        self._since_checkpoint = 0
        self._last_checkpoint = time.monotonic()
        # Heads this log committed last: (seq, hash, time) by partition (see write_batch).
        self._heads: dict[str, tuple[int, bytes, int]] = {}
        self._heads_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AuditLog({self.store!r}, signer={self.signer!r})"

    def watch(self, observer: AuditObserver) -> None:
        """
        Call *observer* for every allowed entry appended in a unit of work
        from now on (:meth:`append` without *keep*), inside that unit and
        before it commits, so what it writes commits with the change or not
        at all (SEC-85). Refusals, kept entries written again after a
        rollback, and own-transaction appends (:meth:`append_now`, reads)
        are not observed. An observer that raises rolls the unit back.

        Wire observers when the door is composed, before any request.
        """
        self._observers = (*self._observers, observer)

    def announce(self, uow: SqlUnit, entry: AuditEntry, *, reference: str) -> None:
        """
        Tell the in-unit observers (:meth:`watch`) of a change that has no
        entry of its own in the log, in *uow*, before it commits: a grant's
        first use, marked in the unit of the access that used it (that
        access has its entry). The receipt the observers get carries
        *reference* as its ``entry_id`` (unique for the change: it keys the
        outbox row) and no position in the log. An observer that raises
        rolls the unit back.

        Args:
            uow: The caller's unit of work, still open.
            entry: What happened, as an allowed entry (not written).
            reference: A unique, stable reference for the change.
        """
        if not self._observers:
            return
        receipt = AppendReceipt(
            entry_id=reference, partition=entry.client_id or "", seq=0, entry_hash=b""
        )
        try:
            for observer in self._observers:
                observer(uow, entry, receipt)
        except BaseException:
            uow.rollback()
            raise

    # --- appending --------------------------------------------------------------

    def prepare(
        self, entry: AuditEntry | Mapping[str, Any], *, on_behalf_of: str | None = None
    ) -> Pending:
        """
        Validate *entry* (see :meth:`append`) without writing it.
        """
        return prepare(entry, on_behalf_of=on_behalf_of, entry_ids=self._entry_ids)

    def append(
        self,
        uow: SqlUnit,
        entry: AuditEntry | Mapping[str, Any],
        *,
        on_behalf_of: str | None = None,
        keep: bool = False,
    ) -> AppendReceipt:
        """
        Append *entry* in the caller's unit of work, so it commits or rolls back
        with the change it records (SEC-70, SEC-85).

        Fails closed: if the entry is refused or its insert fails, the whole
        unit is rolled back before the error propagates, so the audited change
        can never commit without its entry.

        With *keep* (refusals: nothing changed, but the attempt must be
        recorded, SEC-67), the entry outlives the unit: if the unit rolls back
        instead of committing (the caller raises, as ``with uow:`` does on a
        refusal), the entry is written again in a transaction of its own once
        the unit's transaction is over. Either way it is recorded exactly once.

        Args:
            uow: The caller's writing unit of work.
            entry: The entry, or a mapping of its fields.
            on_behalf_of: For a plugin, the actor it acts for.
            keep: Record the entry even if the unit rolls back.

        Raises:
            ValidationError: a missing field, an oversized or free-text reason.
            AuditClockSkew: the entry is dated before its partition's head, or in the future.
            Conflict: a concurrent writer won (PostgreSQL deadlock); retry the unit.
            StorageUnavailable: the database failed.
        """
        try:
            pending = self.prepare(entry, on_behalf_of=on_behalf_of)
            (result,) = self._write(uow, [pending])
            if isinstance(result, AuditClockSkew):
                raise result
            if self._observers and not keep and pending.entry.decision is Decision.ALLOWED:
                for observer in self._observers:
                    observer(uow, pending.entry, result)
        except BaseException:
            uow.rollback()
            raise
        self._after_write(uow.on_commit, [(pending, result)])
        if keep:
            uow.on_rollback(lambda: self._keep(pending))
        return result

    def _keep(self, pending: Pending) -> None:
        """
        Write a kept entry whose unit rolled back, in a transaction of its own.
        """
        entry = pending.entry
        (result,) = self.write_batch([self.prepare(entry, on_behalf_of=pending.on_behalf_of)])
        if isinstance(result, AuditClockSkew):
            # The caller's request outlasted the skew window while others
            # wrote to the partition: record the refusal at the time it is kept.
            late = attrs.evolve(entry, occurred_at=self.clock.now())
            (result,) = self.write_batch([self.prepare(late, on_behalf_of=pending.on_behalf_of)])
        if isinstance(result, BaseException):
            raise result

    def append_now(
        self, entry: AuditEntry | Mapping[str, Any], *, on_behalf_of: str | None = None
    ) -> AppendReceipt:
        """
        Append *entry* in a transaction of its own; returns once it is durable.

        Retries on serialization failures and a busy database (bounded).
        """
        pending = self.prepare(entry, on_behalf_of=on_behalf_of)
        (result,) = self.write_batch([pending])
        if isinstance(result, BaseException):
            raise result
        return result

    def write_batch(self, batch: Sequence[Pending]) -> list[AppendReceipt | AuditClockSkew]:
        """
        Write validated entries in one transaction (one flush); durable on return.

        Entries refused for their time come back as :class:`AuditClockSkew`
        in their slot; the others are written.
        """
        with _Held(self.store.engine) as held:
            return self._write_batch(batch, held)

    def _write_batch(
        self, batch: Sequence[Pending], held: _Held
    ) -> list[AppendReceipt | AuditClockSkew]:
        """
        :meth:`write_batch` on *held*'s connection, retried (SEC-89).

        The heads this log committed last are cached: a head row is updated
        only where it still holds the cached (seq, hash) (on PostgreSQL, by
        ``ircc_audit_append``), so a head moved by anyone else is caught in
        the same transaction, which is then rolled back and run again from
        the head rows.
        """

        def once() -> list[AppendReceipt | AuditClockSkew]:
            try:
                return self._write_own(batch, held, use_cache=True)
            except _StaleHeads:
                pass
            try:
                return self._write_own(batch, held, use_cache=False)
            except _StaleHeads:
                # A partition created by another writer since it was read: again.
                raise Conflict(kind="audit head") from None

        return retrying(once)

    def _write_own(
        self, batch: Sequence[Pending], held: _Held, *, use_cache: bool
    ) -> list[AppendReceipt | AuditClockSkew]:
        callbacks: list[Callable[[], None]] = []
        try:
            dbapi = held.connection()
            sql = held.sql
            with held.translating("audit entry"):
                cursor = dbapi.cursor()
                try:
                    if sql.begin:
                        cursor.execute(sql.begin)
                    results, heads, rows = self._write_fast(cursor, sql, batch, use_cache=use_cache)
                    written = [
                        (p, r)
                        for p, r in zip(batch, results, strict=True)
                        if isinstance(r, AppendReceipt)
                    ]
                    self._after_write(callbacks.append, written)
                    if sql.postgres:
                        if rows:
                            moved = [(k, *old, *heads[k]) for k, old in sorted(rows[1].items())]
                            sql.append(cursor, moved, rows[0])
                    else:
                        dbapi.commit()
                finally:
                    cursor.close()
        except BaseException:
            self._forget(batch)
            held.rollback()
            raise
        self._remember(heads)
        for callback in callbacks:
            callback()
        return results

    # --- the head cache -------------------------------------------------------------

    def _cached(self, partitions: Sequence[str]) -> tuple[dict[str, list[Any]], list[str]]:
        heads: dict[str, list[Any]] = {}
        missing: list[str] = []
        with self._heads_lock:
            cache = self._heads
            for partition in partitions:
                head = cache.get(partition)
                if head is None:
                    missing.append(partition)
                else:
                    heads[partition] = list(head)
        return heads, missing

    def _remember(self, heads: Mapping[str, list[Any]]) -> None:
        # Only after commit, and only forward: a late writer never moves a head back.
        with self._heads_lock:
            cache = self._heads
            for partition, (seq, digest, when) in heads.items():
                old = cache.pop(partition, None)
                cache[partition] = (seq, digest, when) if old is None or old[0] < seq else old
            while len(cache) > _HEAD_CACHE_SIZE:
                del cache[next(iter(cache))]

    def _forget(self, batch: Sequence[Pending]) -> None:
        with self._heads_lock:
            for p in batch:
                self._heads.pop(p.partition, None)

    # --- writing ----------------------------------------------------------------------

    def _place(
        self, batch: Sequence[Pending], heads: dict[str, list[Any]]
    ) -> tuple[list[AppendReceipt | AuditClockSkew], list[tuple[Any, ...]], dict[str, Any]]:
        """
        Give each entry its seq and hash after *heads* (advanced in place).

        Returns the results, the rows (columns :data:`_ENTRY_COLUMNS`) and,
        for each partition that moved, its head before the batch.
        """
        now_us = to_micros(self.clock.now())
        skew = self._skew_us
        results: list[AppendReceipt | AuditClockSkew] = []
        rows: list[tuple[Any, ...]] = []
        before: dict[str, Any] = {}
        for p in batch:
            head = heads[p.partition]
            seq, prev, when = head
            if p.occurred_us < when - skew or p.occurred_us > now_us + skew:
                results.append(AuditClockSkew())
                continue
            if p.partition not in before:
                before[p.partition] = (seq, prev)
            seq += 1
            values = p.hashed_values(seq)
            h = entry_hash(prev, encode(values))
            rows.append((*values, ENTRY_FORMAT, prev, h))
            head[0], head[1], head[2] = seq, h, max(when, p.occurred_us)
            results.append(
                AppendReceipt(entry_id=p.entry_id, partition=p.partition, seq=seq, entry_hash=h)
            )
        return results, rows, before

    def _write(
        self, uow: SqlUnit, batch: Sequence[Pending]
    ) -> list[AppendReceipt | AuditClockSkew]:
        # The caller's unit: through SQLAlchemy, heads read (and locked) from the table.
        conn = uow.connection
        heads = self._lock_heads(conn, sorted({p.partition for p in batch}))
        results, rows, before = self._place(batch, heads)
        if rows:
            written = [
                p for p, r in zip(batch, results, strict=True) if isinstance(r, AppendReceipt)
            ]
            with translate_errors("audit entry"):
                conn.execute(
                    _INSERT_ENTRY,
                    [
                        {**p.row(), "seq": r[1], "prev_hash": r[-2], "entry_hash": r[-1]}
                        for p, r in zip(written, rows, strict=True)
                    ],
                )
                conn.execute(
                    _UPDATE_HEAD,
                    [{"b_partition": k, "b_seq": heads[k][0], "b_hash": heads[k][1],
                      "b_time": heads[k][2]} for k in sorted(before)],
                )  # fmt: skip
        return results

    def _write_fast(
        self, cursor: Any, sql: _Sql, batch: Sequence[Pending], *, use_cache: bool
    ) -> tuple[
        list[AppendReceipt | AuditClockSkew],
        dict[str, list[Any]],
        tuple[list[tuple[Any, ...]], dict[str, Any]] | None,
    ]:
        """
        The own-transaction write on a DBAPI cursor, with prebuilt SQL.

        The heads come from the cache of heads this log committed; the
        uncached ones are read (with *use_cache* false, all of them, locked
        on PostgreSQL). SQLite: one conditional UPDATE per moved head and one
        INSERT for all entries, here. PostgreSQL: nothing but that read is
        sent here; the caller makes the ``ircc_audit_append`` call. Returns the
        results, the moved heads, and (PostgreSQL) the rows and the heads
        before the batch.
        """
        partitions = sorted({p.partition for p in batch})
        if use_cache:
            heads, missing = self._cached(partitions)
        else:
            heads, missing = {}, partitions
        if sql.postgres:
            if missing:
                # Read without a lock (autocommit): the call checks and locks them.
                heads.update(sql.read_heads(cursor, missing))
                for p in missing:
                    # No row yet: a new partition (the call creates its head).
                    heads.setdefault(p, [0, GENESIS, 0])
            results, rows, before = self._place(batch, heads)
            return results, {k: heads[k] for k in before}, (rows, before) if rows else None
        if missing:
            heads.update(sql.read_heads(cursor, missing))
            absent = [p for p in missing if p not in heads]
            if absent:
                cursor.executemany(sql.insert_head, [(p, GENESIS) for p in absent])
                heads.update(sql.read_heads(cursor, absent))
        results, rows, before = self._place(batch, heads)
        if rows:
            updates = [
                (heads[k][0], heads[k][1], heads[k][2], k, seq, prev)
                for k, (seq, prev) in sorted(before.items())
            ]
            if sql.update_heads(cursor, updates) != len(updates):
                # A head moved since it was cached (another process, a caller's
                # unit): nothing of this batch may commit.
                raise _StaleHeads() if use_cache else Conflict(kind="audit head")
            sql.insert_entries(cursor, rows)
        return results, {k: heads[k] for k in before}, None

    def _lock_heads(self, conn: sa.Connection, partitions: list[str]) -> dict[str, list[Any]]:
        """
        Lock the partitions' head rows, in sorted order, creating missing ones.

        SQLite: the unit's BEGIN IMMEDIATE already serializes writers.
        PostgreSQL: ``SELECT ... FOR UPDATE`` on each head row (SEC-89); the
        unique (partition, seq) key is the backstop.
        """
        c = t.audit_heads.c
        query = (
            sa.select(c.partition, c.seq, c.head_hash, c.head_time)
            .where(c.partition.in_(partitions))
            .order_by(c.partition)
            .with_for_update()
        )
        with translate_errors("audit head"):
            heads = {r.partition: [r.seq, r.head_hash, r.head_time] for r in conn.execute(query)}
            missing = [p for p in partitions if p not in heads]
            if missing:
                insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
                conn.execute(
                    insert(t.audit_heads).on_conflict_do_nothing(index_elements=["partition"]),
                    [
                        {"partition": p, "seq": 0, "head_hash": GENESIS, "head_time": 0}
                        for p in missing
                    ],
                )
                for r in conn.execute(query.where(c.partition.in_(missing))):
                    heads[r.partition] = [r.seq, r.head_hash, r.head_time]
        return heads

    def _after_write(
        self,
        on_commit: Callable[[Callable[[], None]], None],
        written: Sequence[tuple[Pending, AppendReceipt]],
    ) -> None:
        alerts = self.alerts
        if alerts is not None:
            for pending, _ in written:
                e = pending.entry
                if e.capacity is Capacity.REPRESENTATIVE and e.client_id is not None:
                    on_commit(_alert(alerts, e.client_id, e))
        with self._counter_lock:
            self._since_checkpoint += len(written)
        if self.signer is not None and self.checkpoint_due():
            on_commit(self.checkpoint_quietly)

    # --- checkpoints --------------------------------------------------------------

    def checkpoint_due(self) -> bool:
        """
        Whether enough entries or time have passed since this process's last checkpoint.
        """
        with self._counter_lock:
            if self._since_checkpoint == 0:
                return False
            return self._since_checkpoint >= self.checkpoint_every or (
                time.monotonic() - self._last_checkpoint >= self.checkpoint_interval.total_seconds()
            )

    def checkpoint_quietly(self) -> None:
        """
        Make a checkpoint unless another thread is making one; log, never raise.

        Used after commit, where an error must not reach the appender.
        """
        if not self._checkpoint_lock.acquire(blocking=False):
            return
        try:
            self._checkpoint_locked()
        except Exception:
            _log.exception("audit checkpoint failed; will retry at the next append")
        finally:
            self._checkpoint_lock.release()

    def checkpoint(self) -> Checkpoint | None:
        """
        Sign a checkpoint over every partition's head now.

        Returns ``None`` when nothing was appended since the last checkpoint.
        Export the result to a separate system (see ``docs/audit.md``).

        Raises:
            ConfigurationError: no signer.
        """
        with self._checkpoint_lock:
            return self._checkpoint_locked()

    def _checkpoint_locked(self) -> Checkpoint | None:
        signer = self.signer
        if signer is None:
            from ircc_account.errors import ConfigurationError

            raise ConfigurationError(reason="the audit log has no checkpoint signer")
        with self._counter_lock:
            taken = self._since_checkpoint
        result = retrying(lambda: self._checkpoint_once(signer))
        with self._counter_lock:
            self._since_checkpoint = max(0, self._since_checkpoint - taken)
            self._last_checkpoint = time.monotonic()
        return result

    def _checkpoint_once(self, signer: CheckpointSigner) -> Checkpoint | None:
        h, done, cp = t.audit_heads.c, t.audit_checkpointed.c, t.audit_checkpoints.c
        with self.store.unit_of_work() as uow, translate_errors("audit checkpoint"):
            conn = uow.connection
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHECKPOINT_LOCK})
            heads = sorted(
                (tuple(r) for r in conn.execute(
                    sa.select(h.partition, h.seq, h.head_hash).where(h.seq > 0))),
                key=lambda r: r[0],
            )  # fmt: skip
            covered = {
                r.partition: r.seq for r in conn.execute(sa.select(done.partition, done.seq))
            }
            delta = [r for r in heads if covered.get(r[0]) != r[1]]
            if not delta:
                return None
            last = conn.execute(sa.select(sa.func.max(cp.checkpoint_no))).scalar()
            number = (last or 0) + 1
            checkpoint = self._sign(signer, number, heads)
            conn.execute(
                t.audit_checkpoints.insert().values(
                    format=CHECKPOINT_FORMAT, **attrs.asdict(checkpoint)
                )
            )
            conn.execute(
                t.audit_checkpoint_heads.insert(),
                [{"checkpoint_no": number, "partition": p, "seq": s, "head_hash": hh}
                 for p, s, hh in delta],
            )  # fmt: skip
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            stmt = insert(t.audit_checkpointed)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["partition"],
                    set_={"seq": stmt.excluded.seq, "head_hash": stmt.excluded.head_hash},
                ),
                [{"partition": p, "seq": s, "head_hash": hh} for p, s, hh in delta],
            )
            uow.commit()
        return checkpoint

    def _sign(
        self, signer: CheckpointSigner, number: int, heads: Sequence[tuple[Any, ...]]
    ) -> Checkpoint:
        root = merkle_root([head_leaf(p, s, hh) for p, s, hh in heads])
        created = to_micros(self.clock.now())
        entries = sum(s for _, s, _ in heads)
        message = checkpoint_message(
            checkpoint_no=number, created_at=created, partitions=len(heads),
            entries=entries, root=root, key_id=signer.current_key_id,
        )  # fmt: skip
        key_id, signature = signer.sign(message)
        return Checkpoint(
            checkpoint_no=number, created_at=created, partitions=len(heads),
            entries=entries, root=root, key_id=key_id, signature=signature,
        )  # fmt: skip


class _Held:
    """
    One pooled DBAPI connection for own-transaction writes, checked out lazily
    and kept until :meth:`close` (the group appender keeps it between batches).

    The pool's connect hook configured it (SQLite: WAL, ``synchronous=FULL``,
    busy timeout, no implicit transactions; PostgreSQL:
    ``synchronous_commit=on``), so a commit here is as durable as a unit of
    work's. On PostgreSQL it is in autocommit mode while held: a batch is one
    statement (``ircc_audit_append``), its own transaction, committed before
    the server answers, so one round trip; it is put back as it was before it
    returns to the pool.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.sql = _Sql.of(engine.dialect.name)
        self._dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._raw: Any = None

    def __enter__(self) -> _Held:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connection(self) -> Any:
        if self._raw is None:
            try:
                raw: Any = self.engine.raw_connection()
            except sa_exc.DBAPIError as e:
                raise StorageUnavailable() from e
            if self.sql.postgres:
                try:
                    raw.driver_connection.autocommit = True
                except Exception:
                    raw.invalidate()
                    raise StorageUnavailable() from None
            self._raw = raw
        return self._raw.driver_connection

    @contextlib.contextmanager
    def translating(self, kind: str) -> Iterator[None]:
        """
        Map driver errors as a unit of work would (:func:`translate_errors`).
        """
        with translate_errors(kind):
            try:
                yield
            except self._dbapi_error as e:
                raise sa_exc.DBAPIError.instance(None, None, e, self._dbapi_error) from e

    def rollback(self) -> None:
        """
        Roll back after a failure; a connection that cannot is discarded.
        """
        raw, self._raw = self._raw, None
        if raw is None:
            return
        try:
            raw.driver_connection.rollback()
        except Exception:
            raw.invalidate()
            return
        self._raw = raw

    def close(self) -> None:
        raw, self._raw = self._raw, None
        if raw is None:
            return
        if self.sql.postgres:
            try:
                raw.driver_connection.autocommit = False
            except Exception:
                # Not idle (a broken connection): never hand it to another user.
                raw.invalidate()
        raw.close()


def _alert(alerts: AuditAlerts, client_id: str, entry: AuditEntry) -> Callable[[], None]:
    def call() -> None:
        try:
            alerts.representative_acted(client_id, entry)
        except Exception:
            # The entry is committed; a failed notification must not undo or hide it.
            _log.exception("audit alert hook failed")

    return call
