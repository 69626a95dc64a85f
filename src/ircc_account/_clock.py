"""
Injectable time and randomness.

Everything in ``ircc_account`` that reads the time or draws random bytes takes
a :class:`Clock` and a :class:`Randomness`, so tests and hypothesis can drive
expiry, rotation and replay windows, and nothing reads global state.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FrozenClock", "Randomness", "SystemClock", "SystemRandomness"]


@runtime_checkable
class Clock(Protocol):
    """
    A source of the current time.
    """

    def now(self) -> dt.datetime:
        """
        The current time: timezone-aware, in UTC.
        """
        ...


class SystemClock:
    """
    The real wall clock, in UTC.
    """

    def now(self) -> dt.datetime:
        """
        The current UTC time.
        """
        return dt.datetime.now(dt.UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FrozenClock:
    """
    A clock that moves only when told to; thread-safe.

    Args:
        start: The initial time. Must be timezone-aware.
    """

    def __init__(self, start: dt.datetime | None = None) -> None:
        start = start or dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._now = start.astimezone(dt.UTC)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        """
        The current frozen time.
        """
        with self._lock:
            return self._now

    def advance(self, delta: dt.timedelta | float) -> dt.datetime:
        """
        Move the clock by *delta* (a timedelta, or seconds); may be negative.
        """
        if not isinstance(delta, dt.timedelta):
            delta = dt.timedelta(seconds=delta)
        with self._lock:
            self._now += delta
            return self._now

    def set(self, when: dt.datetime) -> None:
        """
        Jump to *when* (timezone-aware).
        """
        if when.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        with self._lock:
            self._now = when.astimezone(dt.UTC)

    def __repr__(self) -> str:
        return f"FrozenClock({self.now().isoformat()})"


@runtime_checkable
class Randomness(Protocol):
    """
    A source of cryptographically secure random bytes.
    """

    def token_bytes(self, n: int) -> bytes:
        """
        Return *n* random bytes from a CSPRNG.
        """
        ...


class SystemRandomness:
    """
    The operating system's CSPRNG, through :mod:`secrets`.
    """

    def token_bytes(self, n: int) -> bytes:
        """
        Return *n* bytes from :func:`secrets.token_bytes`.
        """
        return secrets.token_bytes(n)

    def __repr__(self) -> str:
        return "SystemRandomness()"
