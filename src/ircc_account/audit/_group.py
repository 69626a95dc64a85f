"""
Group commit: many threads' entries in one transaction and one flush.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from ircc_account._model import AuditEntry
from ircc_account.audit._log import AuditLog, _Held
from ircc_account.audit._records import AppendReceipt, Pending
from ircc_account.errors import AuditAppenderClosed

__all__ = ["GroupCommitAppender"]

_log = logging.getLogger("ircc_account.audit")


class _Slot:
    """
    Where one :meth:`GroupCommitAppender.submit` waits for its receipt: a
    lock held until the writer sets the outcome (lighter than a ``Future``,
    whose condition variable costs more on the hot path).
    """

    __slots__ = ("_done", "_error", "_result")

    def __init__(self) -> None:
        self._done = threading.Lock()
        self._done.acquire()
        self._result: AppendReceipt | None = None
        self._error: BaseException | None = None

    def set_result(self, result: AppendReceipt) -> None:
        self._result = result
        self._done.release()

    def set_exception(self, error: BaseException) -> None:
        self._error = error
        self._done.release()

    def wait(self) -> AppendReceipt:
        self._done.acquire()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


_Job = tuple[Pending, "Future[AppendReceipt] | _Slot"]


class GroupCommitAppender:
    """
    A background writer that batches entries submitted by many threads into one
    transaction (one fsync) and wakes each submitter only after the commit.

    Entries are validated in the submitting thread, so bad input raises there.
    The queue is bounded: when it is full, :meth:`submit` blocks (back-pressure).
    Use it as a context manager, or call :meth:`close`, which drains the queue.

    Each writer thread keeps one pooled connection while it is busy (returned
    after ``checkpoint_interval`` idle, and at close). With several writers
    (PostgreSQL), one collects the next batch while another commits; their
    head locks are taken in partition order, so they never deadlock.

    Args:
        log: The audit log to write to.
        max_batch: The most entries per transaction.
        max_queue: The most entries waiting.
        max_linger: The longest the writer waits (seconds) to fill a batch as
            large as the previous one (right after a commit, for the
            submitters it woke); a lone writer never waits.
        writers: Writer threads (transactions in flight), PostgreSQL only:
            SQLite takes one writer at a time anyway. One by default.
    """

    def __init__(
        self,
        log: AuditLog,
        *,
        max_batch: int = 512,
        max_queue: int = 8192,
        max_linger: float = 0.002,
        writers: int | None = None,
    ) -> None:
        self.log = log
        self.max_linger = max_linger
        self.max_batch = max_batch
        self.max_queue = max_queue
        # One lock, two conditions: the writer waits for work, submitters for room.
        self._mutex = threading.Lock()
        self._work = threading.Condition(self._mutex)
        self._room = threading.Condition(self._mutex)
        self._jobs: deque[_Job] = deque()
        # The writer is woken only once this many jobs wait (or at close), so a
        # batch of n costs it one wake-up, not n.
        self._wake_at = 1
        self._closed = False
        # One writer at a time collects a batch (and is the only one waiting on _work).
        self._collect = threading.Lock()
        if writers is None or log.store.engine.dialect.name == "sqlite":
            writers = 1
        self._threads = [
            threading.Thread(target=self._run, name=f"ircc-audit-group-commit-{i}", daemon=True)
            for i in range(max(1, writers))
        ]
        for thread in self._threads:
            thread.start()

    def __enter__(self) -> GroupCommitAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit_async(
        self, entry: AuditEntry | Mapping[str, Any], *, on_behalf_of: str | None = None
    ) -> Future[AppendReceipt]:
        """
        Queue *entry*; the future resolves once it is committed and durable.

        Raises:
            ValidationError: the entry is malformed (nothing was queued).
            AuditAppenderClosed: the appender is closed.
        """
        future: Future[AppendReceipt] = Future()
        self._queue(self.log.prepare(entry, on_behalf_of=on_behalf_of), future)
        return future

    def submit_many_async(
        self, entries: Sequence[tuple[AuditEntry | Mapping[str, Any], str | None]]
    ) -> list[Future[AppendReceipt]]:
        """
        Queue several ``(entry, on_behalf_of)`` pairs at once (one page's
        accesses): they reach the writer together, so they share one flush
        unless the batch limit splits them. Each future resolves once its
        entry is committed and durable.

        Raises:
            ValidationError: an entry is malformed (nothing was queued).
            AuditAppenderClosed: the appender is closed.
        """
        prepared = [self.log.prepare(e, on_behalf_of=obo) for e, obo in entries]
        futures: list[Future[AppendReceipt]] = [Future() for _ in prepared]
        with self._mutex:
            jobs = self._jobs
            for pending, future in zip(prepared, futures, strict=True):
                while not self._closed and len(jobs) >= self.max_queue:
                    self._room.wait()
                if self._closed:
                    for left in futures:
                        if not left.done():
                            left.set_exception(AuditAppenderClosed())
                    if pending is prepared[0]:
                        raise AuditAppenderClosed()
                    return futures
                jobs.append((pending, future))
            if self._wake_at and len(jobs) >= self._wake_at:
                self._work.notify()
        return futures

    def _queue(self, pending: Pending, waiter: Future[AppendReceipt] | _Slot) -> None:
        with self._mutex:
            while not self._closed and len(self._jobs) >= self.max_queue:
                self._room.wait()
            if self._closed:
                raise AuditAppenderClosed()
            jobs = self._jobs
            jobs.append((pending, waiter))
            if len(jobs) == self._wake_at:
                self._work.notify()

    def submit(
        self, entry: AuditEntry | Mapping[str, Any], *, on_behalf_of: str | None = None
    ) -> AppendReceipt:
        """
        Append *entry* through the group commit; returns once it is durable.

        Raises:
            ValidationError, AuditClockSkew, StorageError: as :meth:`AuditLog.append_now`.
        """
        slot = _Slot()
        self._queue(self.log.prepare(entry, on_behalf_of=on_behalf_of), slot)
        return slot.wait()

    def close(self) -> None:
        """
        Stop accepting entries, write everything queued, and stop the writer.
        """
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            self._work.notify_all()
            self._room.notify_all()
        for thread in self._threads:
            thread.join()

    def _run(self) -> None:
        # One pooled connection for the writer, returned when idle and at close.
        with _Held(self.log.store.engine) as held:
            self._loop(held)

    def _next_batch(self, expected: int, held: _Held) -> list[_Job] | None:
        """
        Wait for work, lingering for up to *expected* entries; ``None`` once
        closed and drained.
        """
        interval = self.log.checkpoint_interval.total_seconds()
        jobs = self._jobs
        want = min(expected, self.max_batch)
        with self._mutex:
            lingered = False
            if not jobs and want > 1 and not self._closed:
                # Hot: the last batch's submitters, woken by its commit, are
                # coming back. Sleep until all of them are here (one wake-up,
                # from the last), at most max_linger.
                self._linger(want)
                lingered = bool(jobs)
            while not jobs:
                if self._closed:
                    return None
                self._wake_at = 1
                if not self._work.wait(timeout=interval):
                    self._wake_at = 0
                    self._mutex.release()
                    try:
                        held.close()
                        self._checkpoint_if_due()
                    finally:
                        self._mutex.acquire()
            if not lingered:
                # Linger (at most max_linger) until as many entries as last time
                # have arrived: closed-loop submitters woken by the previous
                # commit are still re-submitting, and one flush for all of them
                # is the point.
                self._linger(want)
            self._wake_at = 0
            n = min(len(jobs), self.max_batch)
            batch = [jobs.popleft() for _ in range(n)]
            self._room.notify_all()
            return batch

    def _linger(self, want: int) -> None:
        """
        With the mutex held: wait until *want* jobs are queued, at most max_linger.
        """
        jobs = self._jobs
        if len(jobs) >= want or self._closed:
            return
        deadline = time.monotonic() + self.max_linger
        self._wake_at = want
        while len(jobs) < want and not self._closed:
            left = deadline - time.monotonic()
            if left <= 0 or not self._work.wait(timeout=left):
                break

    def _loop(self, held: _Held) -> None:
        expected = 1
        while True:
            with self._collect:
                batch = self._next_batch(expected, held)
            if batch is None:
                return
            expected = self._commit(batch, held)
            self._checkpoint_if_due()

    def _commit(self, batch: list[_Job], held: _Held) -> int:
        """
        Write *batch* and wake its submitters; returns how many entries to
        expect next: those already queued, and the batch's submitters, who
        will be back (so a closed loop is never split into smaller batches
        that each pay for a commit).
        """
        try:
            results = self.log._write_batch([p for p, _ in batch], held)
        except BaseException as exc:
            for _, future in batch:
                future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return 1
        # Before any submitter is woken: those queued now waited for this commit.
        expected = len(self._jobs) + len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, AppendReceipt):
                future.set_result(result)
            else:
                future.set_exception(result)
        return expected

    def _checkpoint_if_due(self) -> None:
        if self.log.signer is not None and self.log.checkpoint_due():
            self.log.checkpoint_quietly()
