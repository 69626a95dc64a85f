"""
One page's read records, written together: :class:`PageRecords`.

A page that reads through several gates (a dashboard's five plugins, an
item's timeline and actions) records every read (SEC-66), and hands nothing
out before those records are durable. Recording each read on its own costs
one wait per read, and the reads of concurrent plugins reach the group
commit at staggered times, so a page paid for several flushes. Instead the
page holds its reads' records, submits them together when its plugins have
answered, and waits for that one flush before it returns anything.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any, Protocol

from ircc_account._model import AuditEntry, Decision

__all__ = ["BatchRecorder", "PageRecords"]


class BatchRecorder(Protocol):
    """
    What writes a page's records: ``GroupCommitAppender`` fits.
    """

    def submit(self, entry: AuditEntry, *, on_behalf_of: str | None = None) -> object:
        """Record one entry durably; return once it is."""

    def submit_many_async(
        self, entries: Sequence[tuple[AuditEntry, str | None]]
    ) -> Sequence[Future[Any]]:
        """Queue several entries at once; each future resolves once its entry is durable."""


class PageRecords:
    """
    Holds one page's read records until :meth:`flush`, which writes them in
    one go and returns once all are durable (or raises the first failure:
    the page then hands nothing out).

    It is the ``recorder`` a gate passes to ``Authorizer.authorize``. Only
    allowed accesses are held: a refusal is written at once, durably, before
    the gate raises. A record that arrives after the flush (a plugin thread
    abandoned at its deadline, still reading) is written on its own, durably,
    before its gate returns: nothing read goes unrecorded.
    """

    __slots__ = ("_held", "_lock", "_open", "_recorder")

    def __init__(self, recorder: BatchRecorder) -> None:
        self._recorder = recorder
        self._lock = threading.Lock()
        self._held: list[tuple[AuditEntry, str | None]] = []
        self._open = True

    def __repr__(self) -> str:
        return f"PageRecords(held={len(self._held)}, open={self._open})"

    def __call__(self, entry: AuditEntry, *, on_behalf_of: str | None = None) -> None:
        if entry.decision is Decision.ALLOWED:
            with self._lock:
                if self._open:
                    self._held.append((entry, on_behalf_of))
                    return
        # A refusal (or anything but an allowed read) is durable before the
        # caller hears of it: kept even if the page then fails (SEC-67).
        self._recorder.submit(entry, on_behalf_of=on_behalf_of)

    def flush(self) -> None:
        """
        Write the records held, and return once every one is durable; later
        records are written one by one. Safe to call again.

        Raises:
            AuditError, StorageError: a record could not be written (after
                waiting for all of them).
        """
        with self._lock:
            held, self._held = self._held, []
            self._open = False
        if not held:
            return
        futures = self._recorder.submit_many_async(held)
        error: BaseException | None = None
        for future in futures:
            failed = future.exception()
            if failed is not None and error is None:
                error = failed
        if error is not None:
            raise error
