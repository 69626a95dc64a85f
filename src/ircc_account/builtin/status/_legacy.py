"""
An example legacy feed: a legacy case-management system's status history,
read through the adapter base (:class:`~ircc_account.services.LegacyPortalClient`:
timeouts, bounded retries, a breaker, no URL in logs), mapped onto the
tracker's phases and requirements and recorded through the desk. A status
nobody mapped is recorded as "in progress" with its raw label kept for
staff: never dropped, never guessed. A request already past due when it is
recorded keeps the legacy system's dates and shows overdue; it never holds
back the statuses after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from ircc_account.errors import OutOfRange, ServiceBadOutput
from ircc_account.services import BilingualText, LegacyPortalClient

from ._desk import StatusDesk
from ._values import Phase, Requirement, Staff

__all__ = ["LegacyRequirement", "LegacyStatusFeed"]


@attrs.frozen(kw_only=True)
class LegacyRequirement:
    """
    A legacy status that means "we asked the client for something".

    Attributes:
        title: What is missing.
        details: Its sub-requirements.
        due_in: How long the client has from the status's date: a day or more.
            A request the feed records after that (an old status, a first
            sync) keeps its due date, and the page shows it overdue.
    """

    title: BilingualText
    details: tuple[BilingualText, ...] = ()
    due_in: dt.timedelta = attrs.field(default=dt.timedelta(days=30))

    @due_in.validator
    def _a_day_or_more(self, _: object, value: dt.timedelta) -> None:
        if not isinstance(value, dt.timedelta) or value < dt.timedelta(days=1):
            raise OutOfRange(field="due_in")


class LegacyStatusFeed:
    """
    Brings one legacy system's statuses into the tracker.

    The legacy system answers ``GET /files/<file number>/statuses`` with
    ``{"statuses": [{"code": "ELIG", "at": "2026-01-05T10:00:00+00:00",
    "label": "Eligibility review"}, ...]}``, oldest first.

    Args:
        desk: The tracker's desk, which records each status.
        client: The legacy system's HTTP client.
        codes: Each legacy code's meaning: a phase, or a requirement.
        staff: Who the feed records as (an officer actor for the feed's
            job, its office, usually ``StaffRole.SYSTEM``).
    """

    def __init__(
        self,
        desk: StatusDesk,
        client: LegacyPortalClient,
        codes: Mapping[str, Phase | LegacyRequirement],
        *,
        staff: Staff,
    ) -> None:
        self._desk = desk
        self._client = client
        self._codes = dict(codes)
        self._staff = staff

    def sync(self, item_id: str, file_number: str) -> int:
        """
        Record the statuses of *file_number* newer than the item's latest
        event, oldest first, each with its own date. A request status is
        recorded as asked on its date, due ``due_in`` later, even when that
        due date has passed (then it shows overdue until answered).

        Returns:
            How many statuses were recorded.

        Raises:
            LegacyUnavailable: the legacy system is down or answered badly.
            ServiceBadOutput: an entry without a code or a date.
        """
        answer = self._client.get_json(f"/files/{file_number}/statuses")
        entries = [
            _entry(e, self._client.service_id) for e in _list(answer, self._client.service_id)
        ]
        last = self._desk.last_event(self._staff, item_id)
        done = 0
        for code, at, label in sorted(entries, key=lambda e: e[1]):
            if last is not None and at <= last:
                continue
            meaning = self._codes.get(code)
            if isinstance(meaning, LegacyRequirement):
                self._desk.request(
                    self._staff,
                    item_id,
                    Requirement(title=meaning.title, details=meaning.details,
                                due=(at + meaning.due_in).date()),
                    at=at,
                )  # fmt: skip
            elif isinstance(meaning, Phase):
                self._desk.change_phase(self._staff, item_id, meaning, at=at)
            else:
                raw = f"{code}: {label}" if label else code
                self._desk.change_phase(self._staff, item_id, None, at=at, legacy_label=raw[:200])
            done += 1
        return done


def _list(answer: Any, service_id: str) -> list[Any]:
    statuses = answer.get("statuses") if isinstance(answer, dict) else None
    if not isinstance(statuses, list):
        raise ServiceBadOutput(service_id=service_id, reason="no status list")
    return statuses


def _entry(entry: Any, service_id: str) -> tuple[str, dt.datetime, str]:
    try:
        code = entry["code"]
        at = dt.datetime.fromisoformat(entry["at"])
        label = entry.get("label") or ""
    except (KeyError, TypeError, ValueError):
        raise ServiceBadOutput(service_id=service_id, reason="malformed status") from None
    if not isinstance(code, str) or not isinstance(label, str) or at.tzinfo is None:
        raise ServiceBadOutput(service_id=service_id, reason="malformed status")
    return code, at.astimezone(dt.UTC), label
