"""
A provider's key set, cached with a bounded lifetime and a budget of refetches.

OIDC Core §10.1.1 lets a provider rotate keys at any time, so an unknown
``kid`` may mean "new key", and the next login after a rotation must find it,
however soon after our last fetch the rotation came. But a ``kid`` is
attacker-controlled, so each unknown one must not cost a request to the
provider (the authlib gap, SEC-26, SEC-83). So only the fetches an attacker
can cause are budgeted: refetches for an unknown ``kid``, and retries after a
failed fetch, at most *refetch_budget* per *refetch_window* (2 a minute by
default). The first fetch and the scheduled refresh once a set is older than
*max_age* are not: they happen at most once per lifetime anyway.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import threading
from collections.abc import Callable

from ircc_account._clock import Clock, SystemClock
from ircc_account.errors import ConfigurationError, IdentityError, ProviderUnavailable

from ._codec import fail
from ._jwk import Jwk, KeySet

__all__ = ["JwksCache"]

_log = logging.getLogger("ircc_account.hazmat.jose")


class JwksCache:
    """
    Holds one provider's :class:`KeySet`; thread-safe.

    The set is fetched on first use and again once it is older than
    *max_age* (if that refresh fails, the old set stays in use). When a
    token names a key the set does not hold, the cache refetches at once,
    within its budget: at most *refetch_budget* such fetches (and retries
    after a failure) per *refetch_window*. Past the budget, the token simply
    fails as an unknown key.

    Args:
        fetch: Returns the JWKS document bytes from the configured ``jwks_uri``
            (the identity module passes its one shared HTTP client here). It
            should raise :class:`~ircc_account.errors.ProviderUnavailable` on
            failure; any other exception is turned into one.
        clock: The time source.
        max_age: The longest a fetched set is used before a scheduled refresh.
        refetch_budget: The most budgeted fetches per window (default 2).
        refetch_window: The window the budget applies to (default 60 s).
        provider: A label for errors and logs.
        max_bytes: The largest JWKS document accepted.
        max_keys: The most keys accepted.

    Raises:
        ConfigurationError: A non-positive duration or budget.

    .. versionchanged:: 0.2
        *refetch_budget* and *refetch_window* replace ``min_refetch_interval``,
        and the first fetch no longer starts a cooldown.
    """

    def __init__(
        self,
        fetch: Callable[[], bytes],
        *,
        clock: Clock | None = None,
        max_age: dt.timedelta = dt.timedelta(hours=1),
        refetch_budget: int = 2,
        refetch_window: dt.timedelta = dt.timedelta(seconds=60),
        provider: str = "OpenID provider",
        max_bytes: int = 64 * 1024,
        max_keys: int = 100,
    ) -> None:
        if max_age <= dt.timedelta(0) or refetch_window <= dt.timedelta(0):
            raise ConfigurationError(reason="JWKS cache durations must be positive")
        if not isinstance(refetch_budget, int) or refetch_budget < 1:
            raise ConfigurationError(reason="the JWKS refetch budget must be at least 1")
        self._fetch_document = fetch
        self._clock = clock or SystemClock()
        self._max_age = max_age
        self._budget = refetch_budget
        self._window = refetch_window
        self._provider = provider
        self._max_bytes = max_bytes
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._fetched_at: dt.datetime | None = None
        self._failed = False
        self._spent: collections.deque[dt.datetime] = collections.deque()
        self.fetch_count = 0

    def _fresh(self, now: dt.datetime) -> KeySet | None:
        keys, at = self._keys, self._fetched_at
        if keys is not None and at is not None and dt.timedelta(0) <= now - at < self._max_age:
            return keys
        return None

    def _spend(self, now: dt.datetime) -> bool:
        # Called with the lock held. A sliding window; times from before a
        # clock step backwards are dropped too, so a stepped clock never
        # leaves the budget spent for longer than one window.
        spent = self._spent
        while spent and not dt.timedelta(0) <= now - spent[0] < self._window:
            spent.popleft()
        if len(spent) >= self._budget:
            return False
        spent.append(now)
        return True

    def _fetch(self, now: dt.datetime) -> KeySet:
        # Called with the lock held: one fetch at a time, others wait for its result.
        self.fetch_count += 1
        try:
            document = self._fetch_document()
            keys = KeySet.from_jwks(
                document,
                provider=self._provider,
                max_bytes=self._max_bytes,
                max_keys=self._max_keys,
            )
        except IdentityError:
            self._failed = True
            raise
        except Exception:
            self._failed = True
            # The exception text can hold the URL or server data: its type only.
            _log.debug("JWKS fetch from %s failed", self._provider)
            raise fail(ProviderUnavailable, "jwks.fetch", provider=self._provider) from None
        self._keys, self._fetched_at, self._failed = keys, now, False
        return keys

    def key_set(self) -> KeySet:
        """
        The current set, fetched if absent or older than *max_age*.

        Raises:
            ProviderUnavailable: There is no set, and the fetch failed (or a
                retry is past the budget).
            ProviderMetadataInvalid: The document was malformed or held no usable key.
        """
        now = self._clock.now()
        keys = self._fresh(now)
        if keys is not None:
            return keys
        with self._lock:
            keys = self._fresh(now)
            if keys is not None:
                return keys
            stale = self._keys
            # The first fetch, and the scheduled refresh of a set that was
            # fetched fine, are free; a retry after a failure is budgeted.
            if self._failed and not self._spend(now):
                if stale is not None:
                    return stale
                raise fail(ProviderUnavailable, "jwks.retry_budget", provider=self._provider)
            try:
                return self._fetch(now)
            except IdentityError:
                if stale is None:
                    raise
                _log.debug("JWKS refresh from %s failed; keeping the old set", self._provider)
                return stale

    def select(self, kid: str | None, alg: str) -> Jwk | None:
        """
        The key for (*kid*, *alg*), refetching within the budget if it is unknown.

        Raises:
            InvalidToken: Several keys match (ambiguous).
            ProviderUnavailable: No set could be fetched at all.
        """
        keys = self.key_set()
        key = keys.select(kid, alg)
        if key is not None:
            return key
        with self._lock:
            if self._keys is not keys:
                # Another thread refreshed meanwhile: use its set, no new fetch.
                return self._keys.select(kid, alg) if self._keys is not None else None
            if not self._spend(self._clock.now()):
                return None
            try:
                fresh = self._fetch(self._clock.now())
            except IdentityError:
                # Keep the old set; the token fails as an unknown key.
                _log.debug("JWKS refetch from %s failed; keeping the old set", self._provider)
                return None
        return fresh.select(kid, alg)

    def __repr__(self) -> str:
        return f"JwksCache(provider={self._provider!r}, fetches={self.fetch_count})"
