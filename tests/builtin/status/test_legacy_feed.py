"""
The example legacy feed: a legacy system's statuses (served over HTTP on
loopback) mapped to phases and requirements through the adapter base;
an unknown status shows as "in progress" and keeps its raw label for staff.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from ircc_account.builtin import status
from ircc_account.builtin.status import LegacyRequirement, LegacyStatusFeed, Phase
from ircc_account.services import BilingualText, LegacyPortalClient

from .helpers import STAFF, World

NOW = dt.datetime.now(dt.UTC)
STATUSES: dict[str, Any] = {}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        number = self.path.split("/")[2]
        body = json.dumps({"statuses": STATUSES.get(number, [])}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def legacy() -> Iterator[str]:
    """A legacy case-management system on loopback."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _at(days_ago: int) -> str:
    return (NOW - dt.timedelta(days=days_ago)).isoformat()


def test_a_legacy_feed_maps_statuses_and_keeps_unknown_ones(world: World, legacy: str) -> None:
    """Known codes become phases and requirements; an unknown one is "in progress" for the client, its raw label kept for staff; a second sync adds nothing."""
    marie = world.client()
    item_id = world.application(marie, received_at=NOW - dt.timedelta(days=40))
    STATUSES["F-1"] = [
        {"code": "ELIG", "at": _at(30), "label": "Eligibility review"},
        {"code": "ZZ-HOLD", "at": _at(20), "label": "Pending supervisor QA"},
        {"code": "PCC-REQ", "at": _at(10), "label": "PCC requested"},
        {"code": "SEC", "at": _at(5), "label": "Security screening"},
    ]
    client = LegacyPortalClient(legacy, service_id=status.SERVICE_ID)
    feed = LegacyStatusFeed(
        world.desk,
        client,
        {
            "ELIG": Phase.ELIGIBILITY,
            "SEC": Phase.BACKGROUND_CHECKS,
            "PCC-REQ": LegacyRequirement(
                title=BilingualText("Police certificate", "Certificat de police")
            ),
        },
        staff=status.Staff(actor=STAFF.actor, office="gcms", role=status.StaffRole.SYSTEM),
    )
    try:
        assert feed.sync(item_id, "F-1") == 4
        assert feed.sync(item_id, "F-1") == 0
    finally:
        client.close()
    page = status.status_page(world.door, marie, marie.actor_id, item_id)
    assert [s.phase for s in page.steps] == [
        Phase.RECEIVED, Phase.ELIGIBILITY, None, Phase.BACKGROUND_CHECKS,
    ]  # fmt: skip
    unknown = page.steps[2]
    assert unknown.label.en == "In progress" and "QA" not in repr(page)
    assert page.requirements[0].title.en == "Police certificate"
    assert world.desk.staff_labels(STAFF, item_id)[2] == "ZZ-HOLD: Pending supervisor QA"


def test_a_request_already_past_due_is_recorded_overdue_and_later_statuses_follow(
    world: World, legacy: str
) -> None:
    """A legacy request from 80 days ago (due 30 days later) is recorded with its dates and shown overdue; the statuses after it (60 and 5 days ago, the decision) are recorded too, and the client may still answer it."""
    marie = world.client()
    item_id = world.application(marie, received_at=NOW - dt.timedelta(days=90))
    STATUSES["F-2"] = [
        {"code": "PCC-REQ", "at": _at(80), "label": "PCC requested"},
        {"code": "ELIG", "at": _at(60), "label": "Eligibility review"},
        {"code": "DEC", "at": _at(5), "label": "Decision made"},
    ]
    client = LegacyPortalClient(legacy, service_id=status.SERVICE_ID)
    pcc = LegacyRequirement(title=BilingualText("Police certificate", "Certificat de police"))
    feed = LegacyStatusFeed(
        world.desk,
        client,
        {"ELIG": Phase.ELIGIBILITY, "DEC": Phase.DECISION, "PCC-REQ": pcc},
        staff=status.Staff(actor=STAFF.actor, office="gcms", role=status.StaffRole.SYSTEM),
    )
    try:
        assert feed.sync(item_id, "F-2") == 3
        assert feed.sync(item_id, "F-2") == 0
    finally:
        client.close()
    page = status.status_page(world.door, marie, marie.actor_id, item_id)
    assert [s.phase for s in page.steps] == [Phase.RECEIVED, Phase.ELIGIBILITY, Phase.DECISION]
    (asked,) = page.requirements
    asked_on = NOW - dt.timedelta(days=80)
    assert asked.requested_at == dt.datetime.fromisoformat(_at(80))
    assert asked.due == (asked_on + dt.timedelta(days=30)).date()
    assert asked.overdue and asked.state is status.RequirementState.REQUESTED
    assert [a.action for a in page.page.actions] == [f"respond:{asked.requirement_id}"]
    world.door.perform(marie, marie.actor_id, item_id, f"respond:{asked.requirement_id}", {})
    (answered,) = status.status_page(world.door, marie, marie.actor_id, item_id).requirements
    assert answered.state is status.RequirementState.RECEIVED and not answered.overdue


def test_a_legacy_request_needs_a_day_or_more_to_answer() -> None:
    """A legacy requirement due less than a day after its status is refused when the feed is configured (OutOfRange), not on every sync."""
    from ircc_account.errors import OutOfRange

    with pytest.raises(OutOfRange):
        LegacyRequirement(title=BilingualText("X", "X"), due_in=dt.timedelta(hours=2))
