"""
The audit log: appends in the caller's transaction, own-transaction appends,
partition heads, and signed checkpoints.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ircc_account._clock import Clock, Randomness, SystemClock, SystemRandomness
from ircc_account._model import AuditEntry, Capacity
from ircc_account._storage import _schema_audit as t
from ircc_account._storage._sql import SqlUnitOfWork, translate_errors
from ircc_account._storage._store import SqlStore
from ircc_account.audit._codec import (
    CHECKPOINT_FORMAT,
    GENESIS,
    checkpoint_message,
    encode,
    entry_hash,
    head_leaf,
    merkle_root,
)
from ircc_account.audit._records import AppendReceipt, Pending, prepare, to_micros
from ircc_account.audit._signer import CheckpointSigner
from ircc_account.errors import AuditClockSkew, Conflict, StorageUnavailable

__all__ = ["AuditAlerts", "AuditLog", "Checkpoint"]

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
        checkpoint_every: Make a checkpoint after this many entries (per process).
        checkpoint_interval: ... or once this long has passed since the last one,
            at the next append.
        max_clock_skew: How far an entry may be dated before its partition's
            head (concurrent writers stamp times before they queue for the
            chain) or after the clock's now. Beyond it, :class:`AuditClockSkew`.
    """

    def __init__(
        self,
        store: SqlStore,
        *,
        signer: CheckpointSigner | None = None,
        clock: Clock | None = None,
        randomness: Randomness | None = None,
        alerts: AuditAlerts | None = None,
        checkpoint_every: int = 10_000,
        checkpoint_interval: dt.timedelta = dt.timedelta(seconds=60),
        max_clock_skew: dt.timedelta = dt.timedelta(seconds=5),
    ) -> None:
        self.store = store
        self.signer = signer
        self.clock = clock or SystemClock()
        self.randomness = randomness or SystemRandomness()
        self.alerts = alerts
        self.checkpoint_every = checkpoint_every
        self.checkpoint_interval = checkpoint_interval
        self._skew_us = int(max_clock_skew / dt.timedelta(microseconds=1))
        self._counter_lock = threading.Lock()
        self._checkpoint_lock = threading.Lock()
        self._since_checkpoint = 0
        self._last_checkpoint = time.monotonic()

    def __repr__(self) -> str:
        return f"AuditLog({self.store!r}, signer={self.signer!r})"

    # --- appending --------------------------------------------------------------

    def prepare(
        self, entry: AuditEntry | Mapping[str, Any], *, on_behalf_of: str | None = None
    ) -> Pending:
        """
        Validate *entry* (see :meth:`append`) without writing it.
        """
        return prepare(entry, on_behalf_of=on_behalf_of, randomness=self.randomness)

    def append(
        self,
        uow: SqlUnitOfWork,
        entry: AuditEntry | Mapping[str, Any],
        *,
        on_behalf_of: str | None = None,
    ) -> AppendReceipt:
        """
        Append *entry* in the caller's unit of work, so it commits or rolls back
        with the change it records (SEC-70, SEC-85).

        Fails closed: if the entry is refused or its insert fails, the whole
        unit is rolled back before the error propagates, so the audited change
        can never commit without its entry.

        Args:
            uow: The caller's writing unit of work.
            entry: The entry, or a mapping of its fields.
            on_behalf_of: For a plugin, the actor it acts for.

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
        except BaseException:
            uow.rollback()
            raise
        self._after_write(uow, [(pending, result)])
        return result

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

        def once() -> tuple[SqlUnitOfWork, list[AppendReceipt | AuditClockSkew]]:
            with self.store.unit_of_work() as uow:
                results = self._write(uow, batch)
                written = [
                    (p, r)
                    for p, r in zip(batch, results, strict=True)
                    if isinstance(r, AppendReceipt)
                ]
                self._after_write(uow, written)
                uow.commit()
                return uow, results

        return retrying(once)[1]

    def _write(
        self, uow: SqlUnitOfWork, batch: Sequence[Pending]
    ) -> list[AppendReceipt | AuditClockSkew]:
        conn = uow.connection
        heads = self._lock_heads(conn, sorted({p.partition for p in batch}))
        now_us = to_micros(self.clock.now())
        results: list[AppendReceipt | AuditClockSkew] = []
        rows: list[dict[str, Any]] = []
        changed: dict[str, list[Any]] = {}
        for p in batch:
            head = heads[p.partition]
            if p.occurred_us < head[2] - self._skew_us or p.occurred_us > now_us + self._skew_us:
                results.append(AuditClockSkew())
                continue
            seq = head[0] + 1
            h = entry_hash(head[1], encode(p.hashed_values(seq)))
            rows.append({**p.row(), "seq": seq, "prev_hash": head[1], "entry_hash": h})
            head[0], head[1], head[2] = seq, h, max(head[2], p.occurred_us)
            changed[p.partition] = head
            results.append(
                AppendReceipt(entry_id=p.entry_id, partition=p.partition, seq=seq, entry_hash=h)
            )
        if rows:
            with translate_errors("audit entry"):
                conn.execute(t.audit_entries.insert(), rows)
                conn.execute(
                    t.audit_heads.update()
                    .where(t.audit_heads.c.partition == sa.bindparam("b_partition"))
                    .values(seq=sa.bindparam("b_seq"), head_hash=sa.bindparam("b_hash"),
                            head_time=sa.bindparam("b_time")),
                    [{"b_partition": k, "b_seq": v[0], "b_hash": v[1], "b_time": v[2]}
                     for k, v in sorted(changed.items())],
                )  # fmt: skip
        return results

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
        self, uow: SqlUnitOfWork, written: Sequence[tuple[Pending, AppendReceipt]]
    ) -> None:
        alerts = self.alerts
        if alerts is not None:
            for pending, _ in written:
                e = pending.entry
                if e.capacity is Capacity.REPRESENTATIVE and e.client_id is not None:
                    uow.on_commit(_alert(alerts, e.client_id, e))
        with self._counter_lock:
            self._since_checkpoint += len(written)
        if self.signer is not None and self.checkpoint_due():
            uow.on_commit(self.checkpoint_quietly)

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


def _alert(alerts: AuditAlerts, client_id: str, entry: AuditEntry) -> Callable[[], None]:
    def call() -> None:
        try:
            alerts.representative_acted(client_id, entry)
        except Exception:
            # The entry is committed; a failed notification must not undo or hide it.
            _log.exception("audit alert hook failed")

    return call
