"""
Bad input at the desk: a typed error with English and French messages, and
nothing half-written (no item change, no timeline event, no record, no
audit entry, no event).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest

from ircc_account.audit import who_touched_my_file
from ircc_account.builtin import status
from ircc_account.builtin.status import Phase, Requirement
from ircc_account.errors import (
    DueDateInPast,
    EventOutOfOrder,
    IrccAccountError,
    RequirementAnswered,
    UnknownPhase,
    UnknownRequirement,
)
from ircc_account.services import BilingualText

from .helpers import STAFF, World, wait_for

DOC = BilingualText("Bank statements", "Relevés bancaires")


def _snapshot(world: World, client_id: str, item_id: str) -> tuple[Any, ...]:
    """Everything a desk call could change: the item, its events, its record, the history."""
    with world.door.store.unit_of_work(write=False) as uow:
        item = uow.items.get(item_id)
        events = uow.timeline.for_item(item_id)
        record = uow.plugin_records.get(client_id, status.SERVICE_ID, f"item:{item_id}")
    history = [
        (r.action, r.decision)
        for r in who_touched_my_file(world.door.store, client_id)
        if not r.action.startswith(("service.", "door."))
    ]
    return item, tuple(events), record[1] if record else None, tuple(history)


CASES: list[tuple[str, type[IrccAccountError], Callable[[World, str, str], object]]] = [
    ("unknown phase", UnknownPhase, lambda w, i, r: w.desk.change_phase(STAFF, i, "limbo")),
    ("no phase", UnknownPhase, lambda w, i, r: w.desk.change_phase(STAFF, i, None)),
    (
        "out of order",
        EventOutOfOrder,
        lambda w, i, r: w.desk.change_phase(
            STAFF, i, Phase.BIOMETRICS, at=dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
        ),
    ),
    (
        "in the future",
        EventOutOfOrder,
        lambda w, i, r: w.desk.change_phase(
            STAFF, i, Phase.BIOMETRICS, at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        ),
    ),
    (
        "answered twice",
        RequirementAnswered,
        lambda w, i, r: w.desk.review(STAFF, i, r, accepted=True),
    ),
    ("responded twice", RequirementAnswered, lambda w, i, r: w.desk.respond(STAFF, i, r)),
    (
        "due in the past",
        DueDateInPast,
        lambda w, i, r: w.desk.request(
            STAFF, i, Requirement(title=DOC, due=dt.date.today() - dt.timedelta(days=1))
        ),
    ),
    (
        "due today",
        DueDateInPast,
        lambda w, i, r: w.desk.request(STAFF, i, Requirement(title=DOC, due=dt.date.today())),
    ),
    (
        "due before it was asked",
        DueDateInPast,
        lambda w, i, r: w.desk.request(
            STAFF,
            i,
            Requirement(title=DOC, due=dt.date.today() - dt.timedelta(days=10)),
            at=dt.datetime.now(dt.UTC) - dt.timedelta(days=10),
        ),
    ),
    ("unknown requirement", UnknownRequirement, lambda w, i, r: w.desk.respond(STAFF, i, "req-99")),
    ("unknown wait", UnknownRequirement, lambda w, i, r: w.desk.wait_over(STAFF, i, "wait-9")),
]


@pytest.mark.parametrize(("case", "error", "call"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_typed_bilingual_error_and_writes_nothing(
    world: World,
    case: str,
    error: type[IrccAccountError],
    call: Callable[[World, str, str], object],
) -> None:
    """Each kind of bad input raises its own error, in English and French, and leaves everything as it was."""
    marie = world.client()
    item_id = world.application(marie)
    requirement_id = world.desk.request(
        STAFF, item_id, Requirement(title=DOC, due=dt.date.today() + dt.timedelta(days=9))
    )
    world.desk.respond(STAFF, item_id, requirement_id)
    world.desk.review(STAFF, item_id, requirement_id, accepted=False, reason=DOC)
    wait_for(world.listener, 2)  # opened, requested
    before = _snapshot(world, marie.actor_id, item_id)
    told = len(world.listener.events)
    with pytest.raises(error) as raised:
        call(world, item_id, requirement_id)
    assert raised.value.code.startswith(("status.", "notes."))
    assert raised.value.message("en") != raised.value.message("fr")
    assert _snapshot(world, marie.actor_id, item_id) == before
    time.sleep(0.2)  # Events go out on the registry's pool after commit.
    assert len(world.listener.events) == told


def test_each_message_is_true_for_every_case_it_is_raised_for() -> None:
    """EventOutOfOrder names both a date before the latest event and one in the future; UnknownRequirement names a requirement or a wait (not a note); DueDateInPast names the day the request is made; in English and French."""
    late = EventOutOfOrder()
    assert "before" in late.message("en") and "future" in late.message("en")
    assert "précède" in late.message("fr") and "futur" in late.message("fr")
    for field in ("requirement", "wait"):
        unknown = UnknownRequirement(field=field)
        assert "wait" in unknown.message("en") and "requirement" in unknown.message("en")
        assert "attente" in unknown.message("fr") and "exigence" in unknown.message("fr")
        assert "note" not in unknown.message("en").lower()
    due = DueDateInPast(field="due")
    assert "request is made" in due.message("en") and "demande est faite" in due.message("fr")
