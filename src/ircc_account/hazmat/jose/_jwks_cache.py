"""
A provider's key set, cached with a bounded lifetime and rate-limited refetches.

OIDC Core §10.1.1 lets a provider rotate keys at any time, so an unknown
``kid`` may mean "new key". But a ``kid`` is attacker-controlled, so each
unknown one must not cost a request to the provider (the authlib gap, SEC-26,
SEC-83): this cache refetches at most once per ``min_refetch_interval``,
however many tokens with unknown kids arrive.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from ircc_account._clock import Clock, SystemClock
from ircc_account.errors import ConfigurationError, IdentityError, ProviderUnavailable

from ._jwk import Jwk, KeySet

__all__ = ["JwksCache"]

_log = logging.getLogger("ircc_account.hazmat.jose")


class JwksCache:
    """
    Holds one provider's :class:`KeySet`; thread-safe.

    The set is fetched on first use and again once it is older than
    *max_age*. When a token names a key the set does not hold, the cache
    refetches, but at most once per *min_refetch_interval* (successful or
    not); otherwise the token simply fails.

    Args:
        fetch: Returns the JWKS document bytes from the configured ``jwks_uri``
            (the identity module passes its one shared HTTP client here). It
            should raise :class:`~ircc_account.errors.ProviderUnavailable` on
            failure; any other exception is turned into one.
        clock: The time source.
        max_age: The longest a fetched set is used.
        min_refetch_interval: The least time between two fetches triggered by unknown kids.
        provider: A label for errors and logs.
        max_bytes: The largest JWKS document accepted.
        max_keys: The most keys accepted.

    Raises:
        ConfigurationError: A non-positive duration.
    """

    def __init__(
        self,
        fetch: Callable[[], bytes],
        *,
        clock: Clock | None = None,
        max_age: dt.timedelta = dt.timedelta(hours=1),
        min_refetch_interval: dt.timedelta = dt.timedelta(seconds=60),
        provider: str = "OpenID provider",
        max_bytes: int = 64 * 1024,
        max_keys: int = 100,
    ) -> None:
        if max_age <= dt.timedelta(0) or min_refetch_interval <= dt.timedelta(0):
            raise ConfigurationError(reason="JWKS cache durations must be positive")
        self._fetch_document = fetch
        self._clock = clock or SystemClock()
        self._max_age = max_age
        self._interval = min_refetch_interval
        self._provider = provider
        self._max_bytes = max_bytes
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._fetched_at: dt.datetime | None = None
        self._last_attempt: dt.datetime | None = None
        self.fetch_count = 0

    def _due(self, now: dt.datetime) -> bool:
        last = self._last_attempt
        return last is None or now - last >= self._interval or now < last

    def _fetch(self, now: dt.datetime) -> KeySet:
        # Called with the lock held: one fetch at a time, others wait for its result.
        self._last_attempt = now
        self.fetch_count += 1
        try:
            document = self._fetch_document()
        except IdentityError:
            raise
        except Exception:
            _log.warning("JWKS fetch from %s failed", self._provider, exc_info=True)
            raise ProviderUnavailable(provider=self._provider) from None
        keys = KeySet.from_jwks(
            document, provider=self._provider, max_bytes=self._max_bytes, max_keys=self._max_keys
        )
        self._keys, self._fetched_at = keys, now
        return keys

    def key_set(self) -> KeySet:
        """
        The current set, fetched if absent or older than *max_age*.

        Raises:
            ProviderUnavailable: The fetch failed (or a failed fetch is too recent to retry).
            ProviderMetadataInvalid: The document was malformed or held no usable key.
        """
        now = self._clock.now()
        keys, fetched_at = self._keys, self._fetched_at
        if keys is not None and fetched_at is not None and now - fetched_at < self._max_age:
            return keys
        with self._lock:
            keys, fetched_at = self._keys, self._fetched_at
            if keys is not None and fetched_at is not None and now - fetched_at < self._max_age:
                return keys
            if not self._due(now):
                raise ProviderUnavailable(provider=self._provider)
            return self._fetch(now)

    def select(self, kid: str | None, alg: str) -> Jwk | None:
        """
        The key for (*kid*, *alg*), refetching at most once per interval if it is unknown.

        Raises:
            InvalidToken: Several keys match (ambiguous).
        """
        keys = self.key_set()
        key = keys.select(kid, alg)
        if key is not None:
            return key
        with self._lock:
            if self._keys is not keys:
                # Another thread refreshed meanwhile: use its set, no new fetch.
                return self._keys.select(kid, alg) if self._keys is not None else None
            now = self._clock.now()
            if not self._due(now):
                return None
            try:
                fresh = self._fetch(now)
            except IdentityError:
                # Keep the old set; the token fails as an unknown key.
                _log.warning("JWKS refetch from %s failed; keeping the old set", self._provider)
                return None
        return fresh.select(kid, alg)

    def __repr__(self) -> str:
        return f"JwksCache(provider={self._provider!r}, fetches={self.fetch_count})"
