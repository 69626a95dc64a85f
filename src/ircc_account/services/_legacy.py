"""
A base for plugins that wrap an existing HTTP system (a legacy portal).

:class:`LegacyPortalClient` holds one shared httpx transport with
timeouts, retries transient failures (connection errors, timeouts, 5xx) a
bounded number of times with exponential backoff and jitter, all within
one time budget per call that fits inside the registry's deadline,
and puts a :class:`CircuitBreaker` in front so a portal that is down is not
hammered: while it is open, calls fail at once. Every failure surfaces as
:class:`~ircc_account.errors.LegacyUnavailable` naming the service.

Legacy URLs carry file numbers, which are personal data, so nothing here logs
a URL at any level: requests go straight to the transport, past
:class:`httpx.Client`'s own ``HTTP Request: GET <url>`` line (and the client
reads no proxy settings from the environment). The retries are a plain
loop that logs nothing either: a retry library's own "retry scheduled"
warning would reach stderr in an application that configured no logging.

:class:`StatusMap` maps the legacy system's status codes onto our shared
:class:`~ircc_account.services.ItemState` and timeline kinds.
"""

from __future__ import annotations

import datetime as dt
import json as json_module
import random
import time
from collections.abc import Mapping
from typing import Any

import attrs
import httpx

from ircc_account._clock import Clock
from ircc_account._model._services import BilingualText, ItemState, TimelineKind
from ircc_account.errors import ConfigurationError, LegacyUnavailable, ServiceBadOutput
from ircc_account.services._breaker import CircuitBreaker

__all__ = ["LegacyPortalClient", "LegacyStatus", "StatusMap"]


class _ServerError(Exception):
    """A 5xx answer: worth a retry."""


class _OutOfTime(Exception):
    """The call's time budget is spent, or the client closed: no further attempt."""


@attrs.frozen
class _Answer:
    status: int
    content_type: str
    body: bytes


@attrs.frozen(kw_only=True)
class LegacyStatus:
    """
    What one legacy status code means in our vocabulary.

    Attributes:
        state: The shared item state.
        kind: The timeline event kind of reaching this status.
        summary: What it means, in English and French.
    """

    state: ItemState
    kind: TimelineKind
    summary: BilingualText


class StatusMap:
    """
    The legacy system's status codes, mapped to ours.

    Args:
        service_id: The service, named in errors.
        codes: Each legacy code and its meaning.
    """

    def __init__(self, service_id: str, codes: Mapping[str, LegacyStatus]) -> None:
        self.service_id = service_id
        self._codes = dict(codes)

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def __getitem__(self, code: str) -> LegacyStatus:
        """
        The meaning of *code*.

        Raises:
            ServiceBadOutput: an unmapped code (map it rather than guess).
        """
        try:
            return self._codes[code]
        except (KeyError, TypeError):
            raise ServiceBadOutput(
                service_id=self.service_id, reason="unknown status code"
            ) from None


class LegacyPortalClient:
    """
    One shared HTTP client for a legacy portal: timeouts, bounded retries, breaker.

    Args:
        base_url: The portal's base URL.
        service_id: The service wrapping it, named in errors and logs.
        timeout: Seconds for connecting, and for each read, per attempt.
        attempts: Tries per call, the first included (bounded retries).
        wait_initial: First backoff, in seconds; it doubles, with jitter.
        wait_max: Longest backoff, in seconds.
        budget: Seconds one call may take in all, its attempts and backoffs
            included: each attempt's timeouts are cut to what is left, and no
            attempt starts once it is spent. The default (1.2 s, plus at most
            one backoff) ends well inside the registry's 2 s deadline; keep
            ``budget + wait_max`` below the deadline you configure, so a slow
            portal answers "unavailable" rather than a timeout, and no
            abandoned thread goes on retrying.
        max_bytes: Largest answer accepted.
        breaker: The circuit breaker (one per portal; a default one if omitted).
        clock: For the default breaker.
        transport: An httpx transport (tests), else the default.

    Raises:
        ConfigurationError: a budget or timeout that is not positive.
    """

    def __init__(
        self,
        base_url: str,
        *,
        service_id: str,
        timeout: float = 1.0,
        attempts: int = 3,
        wait_initial: float = 0.05,
        wait_max: float = 0.3,
        budget: float = 1.2,
        max_bytes: int = 1_000_000,
        breaker: CircuitBreaker | None = None,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not (budget > 0 and timeout > 0):
            raise ConfigurationError(reason="a legacy client's budget and timeout must be positive")
        self.service_id = service_id
        self.breaker = breaker or CircuitBreaker(
            failure_threshold=3, reset_after=dt.timedelta(seconds=15), clock=clock
        )
        self._attempts = attempts
        self._timeout = timeout
        self._wait_initial = wait_initial
        self._wait_max = wait_max
        self._budget = budget
        self._max_bytes = max_bytes
        self._transport = transport or httpx.HTTPTransport()
        self._closed = False
        # Jitter only: not a secret, so not the system's random source.
        self._jitter = random.Random()  # noqa: S311
        # Builds requests only (base URL, headers); they are sent on the transport.
        self._http = httpx.Client(
            base_url=base_url,
            transport=self._transport,
            trust_env=False,
            follow_redirects=False,
            headers={"accept": "application/json"},
        )

    def __repr__(self) -> str:
        return (
            f"LegacyPortalClient({str(self._http.base_url)!r}, breaker={self.breaker.state.value})"
        )

    def close(self) -> None:
        """
        Close the shared HTTP transport; later calls (an abandoned thread's
        retries included) fail as unavailable without opening a connection.
        """
        self._closed = True
        self._http.close()

    def get_json(self, path: str, *, params: Mapping[str, str] | None = None) -> Any:
        """
        GET *path* and return its JSON body.

        Raises:
            LegacyUnavailable: the portal is down, slow, failing, answered with
                something other than JSON, or the breaker is open.
        """
        return self.request_json("GET", path, params=params)

    def post_json(self, path: str, body: Mapping[str, Any]) -> Any:
        """
        POST *body* as JSON to *path* and return the JSON answer (not retried:
        a POST may not be safe to repeat).

        Raises:
            LegacyUnavailable: as for :meth:`get_json`.
        """
        return self.request_json("POST", path, json=body, attempts=1)

    def request_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        attempts: int | None = None,
    ) -> Any:
        """
        Send one request through the breaker and the retries, within the
        budget; return the JSON answer.
        """
        if not self.breaker.allow():
            raise LegacyUnavailable(service_id=self.service_id)
        try:
            answer = self._send(method, path, params, json, attempts or self._attempts)
            body = self._decode(answer)
        except LegacyUnavailable:
            self.breaker.record_failure()
            raise
        self.breaker.record_success()
        return body

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: Mapping[str, Any] | None,
        attempts: int,
    ) -> _Answer:
        end = time.monotonic() + self._budget
        try:
            for attempt in range(1, max(attempts, 1) + 1):
                left = end - time.monotonic()
                if left <= 0 or self._closed:
                    raise _OutOfTime()
                try:
                    answer = self._once(method, path, params, json, min(self._timeout, left))
                    if answer.status < 500:
                        return answer
                    failure: Exception = _ServerError(answer.status)
                except httpx.TransportError as e:
                    failure = e
                if attempt >= attempts:
                    raise failure
                backoff = min(
                    self._wait_max,
                    self._wait_initial * 2 ** (attempt - 1)
                    + self._jitter.uniform(0, self._wait_initial),
                )
                if time.monotonic() + backoff >= end:
                    # No attempt could start after this wait: give up now.
                    raise failure
                time.sleep(backoff)
            raise _OutOfTime()  # pragma: no cover (the loop returns or raises)
        except (httpx.HTTPError, _ServerError, _OutOfTime) as e:
            raise LegacyUnavailable(service_id=self.service_id) from e

    def _once(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: Mapping[str, Any] | None,
        timeout: float,
    ) -> _Answer:
        """
        One attempt on the transport; the body read up to ``max_bytes``.
        """
        request = self._http.build_request(
            method, path, params=params, json=json, timeout=httpx.Timeout(timeout)
        )
        response = self._transport.handle_request(request)
        try:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self._max_bytes:
                    break
        finally:
            response.close()
        content_type = response.headers.get("content-type", "").split(";")[0]
        return _Answer(response.status_code, content_type, bytes(body))

    def _decode(self, answer: _Answer) -> Any:
        if answer.status >= 400 or len(answer.body) > self._max_bytes:
            raise LegacyUnavailable(service_id=self.service_id)
        if answer.content_type != "application/json":
            raise LegacyUnavailable(service_id=self.service_id)
        try:
            return json_module.loads(answer.body.decode("utf-8"))
        except ValueError:
            raise LegacyUnavailable(service_id=self.service_id) from None
