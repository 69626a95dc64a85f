"""
A small circuit breaker: closed, open, half-open, with an injectable clock.

Closed lets calls through and counts consecutive failures; at the threshold
it opens. Open refuses calls until ``reset_after`` has passed, then lets one
probe through (half-open): a success closes it, a failure opens it again.
"""

from __future__ import annotations

import datetime as dt
import enum
import threading

from ircc_account._clock import Clock, SystemClock

__all__ = ["BreakerState", "CircuitBreaker"]


class BreakerState(enum.StrEnum):
    """
    Where a circuit breaker stands.
    """

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """
    Stops calling something that keeps failing, and probes it again later.

    Thread-safe.

    Args:
        failure_threshold: Consecutive failures that open the circuit.
        reset_after: How long it stays open before one probe is let through.
        clock: The time source (a :class:`~ircc_account.FrozenClock` in tests).
    """

    def __init__(
        self,
        *,
        failure_threshold: int = 3,
        reset_after: dt.timedelta = dt.timedelta(seconds=30),
        clock: Clock | None = None,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at: dt.datetime | None = None
        self._probing = False

    def __repr__(self) -> str:
        return f"CircuitBreaker(state={self.state.value!r}, failures={self._failures})"

    @property
    def state(self) -> BreakerState:
        """
        The current state (open turns half-open once ``reset_after`` has passed).
        """
        with self._lock:
            self._refresh()
            return self._state

    def _refresh(self) -> None:
        if (
            self._state is BreakerState.OPEN
            and self._opened_at is not None
            and self._clock.now() - self._opened_at >= self.reset_after
        ):
            self._state = BreakerState.HALF_OPEN
            self._probing = False

    def allow(self) -> bool:
        """
        Whether a call may go ahead now. In half-open, only one probe at a time.
        """
        with self._lock:
            self._refresh()
            if self._state is BreakerState.CLOSED:
                return True
            if self._state is BreakerState.HALF_OPEN and not self._probing:
                self._probing = True
                return True
            return False

    def record_success(self) -> None:
        """
        A call succeeded: close the circuit.
        """
        with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def record_failure(self) -> None:
        """
        A call failed: count it, and open at the threshold (or at once when half-open).
        """
        with self._lock:
            self._failures += 1
            if self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
                self._open()

    def trip(self) -> None:
        """
        Open the circuit now, whatever the count (a hung call, say).
        """
        with self._lock:
            self._failures = max(self._failures, self.failure_threshold)
            self._open()

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock.now()
        self._probing = False
