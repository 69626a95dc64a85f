"""
Group commit: many threads' entries in one transaction and one flush.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from ircc_account._model import AuditEntry
from ircc_account.audit._log import AuditLog
from ircc_account.audit._records import AppendReceipt, Pending
from ircc_account.errors import AuditAppenderClosed

__all__ = ["GroupCommitAppender"]

_log = logging.getLogger("ircc_account.audit")
_Job = tuple[Pending, "Future[AppendReceipt]"]


class GroupCommitAppender:
    """
    A background writer that batches entries submitted by many threads into one
    transaction (one fsync) and wakes each submitter only after the commit.

    Entries are validated in the submitting thread, so bad input raises there.
    The queue is bounded: when it is full, :meth:`submit` blocks (back-pressure).
    Use it as a context manager, or call :meth:`close`, which drains the queue.

    Args:
        log: The audit log to write to.
        max_batch: The most entries per transaction.
        max_queue: The most entries waiting.
        max_linger: The longest the writer waits (seconds) to fill a batch as
            large as the previous one; a lone writer never waits.
    """

    def __init__(
        self,
        log: AuditLog,
        *,
        max_batch: int = 512,
        max_queue: int = 8192,
        max_linger: float = 0.002,
    ) -> None:
        self.log = log
        self.max_linger = max_linger
        self.max_batch = max_batch
        self._queue: queue.Queue[_Job | None] = queue.Queue(max_queue)
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(
            target=self._run, name="ircc-audit-group-commit", daemon=True
        )
        self._thread.start()

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
        pending = self.log.prepare(entry, on_behalf_of=on_behalf_of)
        future: Future[AppendReceipt] = Future()
        with self._lock:
            if self._closed:
                raise AuditAppenderClosed()
            self._queue.put((pending, future))
        return future

    def submit(
        self, entry: AuditEntry | Mapping[str, Any], *, on_behalf_of: str | None = None
    ) -> AppendReceipt:
        """
        Append *entry* through the group commit; returns once it is durable.

        Raises:
            ValidationError, AuditClockSkew, StorageError: as :meth:`AuditLog.append_now`.
        """
        return self.submit_async(entry, on_behalf_of=on_behalf_of).result()

    def close(self) -> None:
        """
        Stop accepting entries, write everything queued, and stop the writer.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        interval = self.log.checkpoint_interval.total_seconds()
        stop = False
        last_size = 1
        while not stop:
            try:
                first = self._queue.get(timeout=interval)
            except queue.Empty:
                self._checkpoint_if_due()
                continue
            if first is None:
                break
            batch = [first]
            # Linger (at most max_linger) until as many entries as last time
            # have arrived: closed-loop submitters woken by the previous commit
            # are still re-submitting, and one flush for all of them is the point.
            deadline = time.monotonic() + self.max_linger
            while len(batch) < self.max_batch:
                try:
                    if len(batch) < last_size:
                        job = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                    else:
                        job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                batch.append(job)
            self._commit(batch)
            last_size = len(batch)
            self._checkpoint_if_due()

    def _commit(self, batch: list[_Job]) -> None:
        try:
            results = self.log.write_batch([p for p, _ in batch])
        except BaseException as exc:
            for _, future in batch:
                future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, AppendReceipt):
                future.set_result(result)
            else:
                future.set_exception(result)

    def _checkpoint_if_due(self) -> None:
        if self.log.signer is not None and self.log.checkpoint_due():
            self.log.checkpoint_quietly()
