"""
Fixtures for the enquiries service: a front door with the status tracker
and enquiries on SQLite and PostgreSQL, a frozen clock, the filers' API and
the department's desks, evidence documents sealed in a folder, and the
client's history read straight from the audit log.
"""

from __future__ import annotations

import datetime as dt
import io
import pathlib
from collections.abc import Callable
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from PIL import Image

from ircc_account import Actor, FrontDoor, FrozenClock
from ircc_account._storage._schema_audit import audit_entries
from ircc_account.builtin import enquiries, status
from ircc_account.builtin.applications import FolderDocumentStore
from ircc_account.services import BilingualText
from ircc_account.testing import People

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
OFFICER = Actor(actor_id="officer-4711", capacity="officer")
STAFF = status.Staff(actor=OFFICER, office="ndl", role=status.StaffRole.OFFICER)
VISA = BilingualText("Visitor visa", "Visa de visiteur")
#: The smallest PDF the inspection accepts (header, trailer).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\nstartxref\n9\n%%EOF\n"


def png() -> bytes:
    """A real 8 x 8 PNG."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@attrs.frozen
class World:
    """The door, the clock, the filers' API, the desks and people."""

    door: FrontDoor
    clock: FrozenClock
    filing: enquiries.Enquiries
    desk: enquiries.EnquiryDesk
    status_desk: status.StatusDesk
    people: People
    documents: pathlib.Path

    def application(self, client: Actor) -> str:
        """A visitor visa application the status tracker follows, in eligibility review."""
        item = self.status_desk.open(
            STAFF, client.actor_id, program="visitor-visa", reference=_ref(), title=VISA
        )
        self.status_desk.change_phase(STAFF, item.item_id, status.Phase.ELIGIBILITY)
        return item.item_id

    def history(self, client_id: str) -> list[dict[str, Any]]:
        """The client's audit entries (action, decision, reason, item, service, actor), oldest first."""
        c = audit_entries.c
        with self.door.store.unit_of_work(write=False) as uow:
            rows = uow.connection.execute(
                sa.select(c.action, c.decision, c.reason, c.item_id, c.service_id, c.actor_id)
                .where(c.client_id == client_id)
                .order_by(c.seq)
            ).all()
        return [r._asdict() for r in rows]

    def records(self, client_id: str) -> int:
        """How many records the enquiries service keeps for the client."""
        with self.door.store.unit_of_work(write=False) as uow:
            return uow.plugin_records.count(client_id, enquiries.SERVICE_ID)


_refs = iter(range(100_000_000, 999_999_999))


def _ref() -> str:
    return f"V{next(_refs)}"


@pytest.fixture
def front_door_url(database_url: str) -> str:
    """Every test here runs on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
def world(make_front_door: Callable[..., FrontDoor], tmp_path: pathlib.Path) -> World:
    """A door with the status tracker and enquiries, a frozen clock, and a folder for evidence."""
    clock = FrozenClock(START)
    door = make_front_door(
        {status.SERVICE_ID: status.plugin, enquiries.SERVICE_ID: enquiries.plugin}, clock=clock
    )
    store = FolderDocumentStore(tmp_path / "docs")
    return World(
        door=door,
        clock=clock,
        filing=enquiries.Enquiries(door, documents=store),
        desk=enquiries.EnquiryDesk(door, documents=store),
        status_desk=status.StatusDesk(door),
        people=People(door, clock=clock),
        documents=tmp_path / "docs",
    )
