"""
A thread pool whose threads never keep the process alive.

:class:`concurrent.futures.ThreadPoolExecutor` joins its threads when the
interpreter exits, so one plugin call that hangs forever would keep the
portal's process from ever exiting. Here the workers are daemon threads and
:meth:`DaemonPool.shutdown` waits for running calls only up to a bound, then
abandons them for real.
"""

from __future__ import annotations

import concurrent.futures as cf
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["DaemonPool"]


class DaemonPool:
    """
    Up to *max_workers* daemon threads running submitted calls.

    Args:
        max_workers: The most threads at once (hung ones count).
        name: The threads' name prefix.
    """

    def __init__(self, max_workers: int, name: str) -> None:
        self._max = max_workers
        self._name = name
        self._queue: queue.SimpleQueue[
            tuple[cf.Future[Any], Callable[..., Any], tuple[Any, ...]] | None
        ] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> cf.Future[Any]:
        """
        Run ``fn(*args)`` on a worker; its future.

        Raises:
            RuntimeError: the pool is shut down.
        """
        future: cf.Future[Any] = cf.Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the pool is shut down")
            self._queue.put((future, fn, args))
            if self._idle == 0 and len(self._threads) < self._max:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            else:
                self._idle -= 1 if self._idle else 0
        return future

    def _work(self) -> None:
        while True:
            task = self._queue.get()
            if task is None:
                return
            future, fn, args = task
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args)
                except BaseException as e:
                    future.set_exception(e)
                else:
                    future.set_result(result)
            with self._lock:
                self._idle += 1

    def shutdown(self, timeout: float) -> int:
        """
        Cancel what has not started, let running calls finish for up to
        *timeout* seconds, then abandon them (their threads are daemons and
        end with the process).

        Returns:
            How many threads were still running calls when it gave up.
        """
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        while True:
            try:
                task = self._queue.get_nowait()
            except queue.Empty:
                break
            if task is not None:
                task[0].cancel()
        for _ in threads:
            self._queue.put(None)
        end = time.monotonic() + max(timeout, 0.0)
        for thread in threads:
            thread.join(max(end - time.monotonic(), 0.0))
        return sum(t.is_alive() for t in threads)
