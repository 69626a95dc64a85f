"""
A withheld passage of a decision note never appears anywhere: not on the
page, in the export, the logs (at DEBUG), the audit entries, the events or
the database.
"""

from __future__ import annotations

import json
import logging
import pathlib

import pytest
import sqlalchemy as sa

from ircc_account.builtin import notes
from ircc_account.builtin.notes import Criterion, Exemption, NoteReason, Outcome, Withheld
from ircc_account.services import BilingualText

from ..status.helpers import STAFF, World, wait_for

SECRET = "Informant Zebulon Quixote reported the applicant"


def test_a_withheld_passage_appears_nowhere(
    world: World, caplog: pytest.LogCaptureFixture, database_url: str
) -> None:
    """The marker and legal basis show where the passage was; its text is on no page, export, log line, audit entry, event or row."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="ircc_account")
    # Every statement and its parameters, as a debugging operator would see them.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    marie = world.client()
    item_id = world.application(marie)
    withheld = Withheld(basis=Exemption.THIRD_PARTY, text=SECRET)
    assert SECRET not in repr(withheld)
    decision = world.notes_desk.record_decision(
        STAFF,
        item_id,
        Outcome.REFUSED,
        [
            NoteReason(
                criterion=Criterion.TIES_TO_COUNTRY,
                parts=[
                    BilingualText("You have few ties at home.", "Vous avez peu d'attaches."),
                    withheld,
                ],
            )
        ],
    )
    wait_for(world.listener, 3)
    page = notes.notes_page(world.door, marie, marie.actor_id, decision.item_id)
    (reason,) = page.reasons
    marker = reason.parts[1]
    assert isinstance(marker, notes.WithheldMarker) and marker.basis is Exemption.THIRD_PARTY
    assert "Withheld" in marker.label.en and "retenu" in marker.label.fr
    item_page = world.door.item(marie, marie.actor_id, decision.item_id)
    export = world.door.export(marie, marie.actor_id)
    with world.door.store.engine.connect() as c:
        audit_rows = [tuple(r) for r in c.execute(sa.text("SELECT * FROM audit_entries"))]
    places = {
        "page": repr(page) + repr(item_page),
        "export": json.dumps(export, default=str),
        "logs": caplog.text + "".join(repr(r.__dict__) for r in caplog.records),
        "audit": repr(audit_rows),
        "events": repr(world.listener.events),
    }
    assert any("plugin_records" in r.getMessage() for r in caplog.records)  # DEBUG saw the writes.
    for place, text in places.items():
        for fragment in (SECRET, "Zebulon", "Quixote"):
            assert fragment not in text, place
    if database_url.startswith("sqlite"):
        raw = pathlib.Path(database_url.removeprefix("sqlite:///")).read_bytes()
        raw += pathlib.Path(database_url.removeprefix("sqlite:///") + "-wal").read_bytes()
        assert b"Zebulon" not in raw
    with world.door.store.unit_of_work(write=False) as uow:
        stored = uow.plugin_records.get(
            marie.actor_id, notes.SERVICE_ID, f"item:{decision.item_id}"
        )
    assert stored is not None and b"Zebulon" not in stored[1]
    assert b"privacy_act_26" in stored[1]
