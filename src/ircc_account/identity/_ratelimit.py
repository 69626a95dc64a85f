"""
A token-bucket rate limiter keyed per client, and the limits of each identity endpoint (SEC-83).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import attrs

from ircc_account._clock import Clock, SystemClock
from ircc_account.errors import ConfigurationError, RateLimited

__all__ = ["RateLimiter", "RateLimits"]


class RateLimiter:
    """
    Allows bursts of *capacity* per key, refilled at *per_second*; thread-safe.

    The table of keys is bounded: the least recently used key is forgotten
    first, which only ever makes that key's bucket full again.

    Args:
        capacity: The burst size (tokens in a full bucket).
        per_second: The refill rate.
        clock: The time source (a frozen clock in tests).
        max_keys: The most keys tracked at once.

    Raises:
        ConfigurationError: a non-positive setting.
    """

    def __init__(
        self,
        capacity: int,
        per_second: float,
        *,
        clock: Clock | None = None,
        max_keys: int = 100_000,
    ) -> None:
        if capacity < 1 or per_second <= 0 or max_keys < 1:
            raise ConfigurationError(reason="rate limits must be positive")
        self.capacity = capacity
        self.per_second = per_second
        self._clock = clock or SystemClock()
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __repr__(self) -> str:
        return f"RateLimiter(capacity={self.capacity}, per_second={self.per_second})"

    def try_acquire(self, key: str) -> bool:
        """
        Take one token from *key*'s bucket; False if it is empty.
        """
        now = self._clock.now().timestamp()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.capacity), now))
            elapsed = max(0.0, now - last)
            tokens = min(float(self.capacity), tokens + elapsed * self.per_second)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
            return allowed

    def check(self, key: str) -> None:
        """
        Take one token from *key*'s bucket.

        Raises:
            RateLimited: the bucket is empty.
        """
        if not self.try_acquire(key):
            raise RateLimited()


@attrs.frozen(kw_only=True)
class RateLimits:
    """
    Per-client-key limits on the identity endpoints (SEC-83).

    Attributes:
        login_start: Starting a login.
        callback: Completing one.
        backchannel_logout: Back-channel logout requests (keyed by source).
        legacy_claim: Legacy file claims (besides the stored per-account limits).
    """

    login_start: RateLimiter
    callback: RateLimiter
    backchannel_logout: RateLimiter
    legacy_claim: RateLimiter

    @classmethod
    def default(cls, clock: Clock) -> RateLimits:
        """
        Limits for one portal process: generous for people, tight for scripts.
        """
        return cls(
            login_start=RateLimiter(20, 0.5, clock=clock),
            callback=RateLimiter(20, 0.5, clock=clock),
            backchannel_logout=RateLimiter(100, 10.0, clock=clock),
            legacy_claim=RateLimiter(5, 1 / 60, clock=clock),
        )
