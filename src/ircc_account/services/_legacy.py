"""
A base for plugins that wrap an existing HTTP system (a legacy portal).

:class:`LegacyPortalClient` holds one shared :class:`httpx.Client` with
timeouts, retries transient failures (connection errors, timeouts, 5xx) a
bounded number of times with exponential backoff and jitter (stamina), and
puts a :class:`CircuitBreaker` in front so a portal that is down is not
hammered: while it is open, calls fail at once. Every failure surfaces as
:class:`~ircc_account.errors.LegacyUnavailable` naming the service.

:class:`StatusMap` maps the legacy system's status codes onto our shared
:class:`~ircc_account.services.ItemState` and timeline kinds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs
import httpx
import stamina

from ircc_account._clock import Clock
from ircc_account._model._services import BilingualText, ItemState, TimelineKind
from ircc_account.errors import LegacyUnavailable, ServiceBadOutput
from ircc_account.services._breaker import CircuitBreaker

__all__ = ["LegacyPortalClient", "LegacyStatus", "StatusMap"]


class _ServerError(Exception):
    """A 5xx answer: worth a retry."""


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
        timeout: Seconds for connecting, and for each read.
        attempts: Tries per call, the first included (bounded retries).
        wait_initial: First backoff, in seconds; it doubles, with jitter.
        wait_max: Longest backoff, in seconds.
        retry_budget: Seconds all the tries of one call may take.
        max_bytes: Largest answer accepted.
        breaker: The circuit breaker (one per portal; a default one if omitted).
        clock: For the default breaker.
        transport: An httpx transport (tests), else the default.
    """

    def __init__(
        self,
        base_url: str,
        *,
        service_id: str,
        timeout: float = 1.0,
        attempts: int = 3,
        wait_initial: float = 0.05,
        wait_max: float = 0.5,
        retry_budget: float = 3.0,
        max_bytes: int = 1_000_000,
        breaker: CircuitBreaker | None = None,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.service_id = service_id
        self.breaker = breaker or CircuitBreaker(
            failure_threshold=3, reset_after=dt.timedelta(seconds=15), clock=clock
        )
        self._attempts = attempts
        self._wait_initial = wait_initial
        self._wait_max = wait_max
        self._retry_budget = retry_budget
        self._max_bytes = max_bytes
        self._http = httpx.Client(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=timeout),
            transport=transport,
            follow_redirects=False,
            headers={"accept": "application/json"},
        )

    def __repr__(self) -> str:
        return (
            f"LegacyPortalClient({str(self._http.base_url)!r}, breaker={self.breaker.state.value})"
        )

    def close(self) -> None:
        """
        Close the shared HTTP client.
        """
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
        Send one request through the breaker and the retries; return the JSON answer.
        """
        if not self.breaker.allow():
            raise LegacyUnavailable(service_id=self.service_id)
        try:
            response = self._send(method, path, params, json, attempts or self._attempts)
            body = self._decode(response)
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
    ) -> httpx.Response:
        try:
            for attempt in stamina.retry_context(
                on=(httpx.TransportError, _ServerError),
                attempts=attempts,
                timeout=self._retry_budget,
                wait_initial=self._wait_initial,
                wait_max=self._wait_max,
                wait_jitter=self._wait_initial,
            ):
                with attempt:
                    response = self._http.request(method, path, params=params, json=json)
                    if response.status_code >= 500:
                        raise _ServerError(response.status_code)
        except (httpx.HTTPError, _ServerError) as e:
            raise LegacyUnavailable(service_id=self.service_id) from e
        return response

    def _decode(self, response: httpx.Response) -> Any:
        if response.status_code >= 400 or len(response.content) > self._max_bytes:
            raise LegacyUnavailable(service_id=self.service_id)
        if response.headers.get("content-type", "").split(";")[0] != "application/json":
            raise LegacyUnavailable(service_id=self.service_id)
        try:
            return response.json()
        except ValueError:
            raise LegacyUnavailable(service_id=self.service_id) from None
