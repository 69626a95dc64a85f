"""
A submitted visitor visa is followed by the status tracker, on SQLite and
PostgreSQL: an officer moves it through phases and asks for a document at
the tracker's desk; the client sees the phases on the status page and on
the item's own page, and answers there; a representative within their
grant sees it too; a decision note can name what was asked.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ircc_account import Actor, Capacity
from ircc_account.builtin import notes, status
from ircc_account.builtin.applications import Payment
from ircc_account.builtin.notes import Criterion, NoteReason, Outcome
from ircc_account.builtin.status import Phase, Requirement, RequirementState, Staff
from ircc_account.errors import AuthorizationError, Conflict, DepartmentOnly, NotFound
from ircc_account.services import BilingualText, ItemKind, ItemState, ServiceItem

from ..conftest import Portal
from .test_journeys import FEES, _prepare

OFFICER = Staff(actor=Actor(actor_id="officer-12", capacity=Capacity.OFFICER), office="vo-dakar")
LETTER = BilingualText("Letter of employment", "Lettre d'emploi")


def _submitted(portal: Portal, me: Actor) -> str:
    """A client's complete visitor visa, signed and submitted; its item id."""
    desk = portal.trv_desk
    draft_id = _prepare(portal, me, me.actor_id)
    desk.sign(me, me.actor_id, draft_id, digest=desk.review(me, me.actor_id, draft_id).digest)
    receipt = desk.submit(me, me.actor_id, draft_id, payment=Payment(reference="p-1", amount=FEES))
    return receipt.item_id


def test_an_officer_tracks_a_submitted_visitor_visa_and_the_client_answers(
    portal: Portal,
) -> None:
    """An officer moves a submitted visa through phases and asks for a letter; the client sees the phases and answers on the item's page; a representative with view_status sees it, a stranger is refused."""
    me = portal.client()
    item_id = _submitted(portal, me)
    desk = status.StatusDesk(portal.door)

    first = status.status_page(portal.door, me, me.actor_id, item_id)
    assert [(s.phase, s.office) for s in first.steps] == [(Phase.RECEIVED, "online")]

    portal.clock.advance(dt.timedelta(days=3))
    desk.change_phase(OFFICER, item_id, Phase.ELIGIBILITY)
    portal.clock.advance(dt.timedelta(days=2))
    desk.change_phase(OFFICER, item_id, Phase.BIOMETRICS)
    asked = desk.request(
        OFFICER,
        item_id,
        Requirement(title=LETTER, due=portal.clock.now().date() + dt.timedelta(days=30)),
    )

    page = status.status_page(portal.door, me, me.actor_id, item_id, language="fr")
    assert [s.phase for s in page.steps] == [Phase.RECEIVED, Phase.ELIGIBILITY, Phase.BIOMETRICS]
    assert page.current is not None and page.current.office == "vo-dakar"
    assert page.page.item.service_id == "trv"
    assert page.page.item.state is ItemState.ACTION_REQUIRED
    assert [(r.requirement_id, r.state) for r in page.requirements] == [
        (asked, RequirementState.REQUESTED)
    ]
    assert [a.action for a in page.page.actions] == [f"respond:{asked}"]
    # The door's own item page shows the tracker's steps in the item's timeline.
    item_page = portal.door.item(me, me.actor_id, item_id)
    summaries = [e.summary.en for e in item_page.timeline]
    assert Phase.ELIGIBILITY.doing.en in summaries and Phase.BIOMETRICS.doing.en in summaries
    assert LETTER.en in summaries

    result = portal.door.perform(
        me, me.actor_id, item_id, f"respond:{asked}", {"message": "Sent by courier"}
    )
    assert result.ok and result.item is not None
    assert result.item.state is ItemState.IN_PROGRESS
    answered = status.status_page(portal.door, me, me.actor_id, item_id)
    assert [(r.requirement_id, r.state) for r in answered.requirements] == [
        (asked, RequirementState.RECEIVED)
    ]
    assert answered.page.actions == ()

    # A representative the client authorized to see the status sees the same.
    viewer = portal.consultant(for_client=me, scopes=("view_status",))
    seen = status.status_page(portal.door, viewer, me.actor_id, item_id)
    assert seen.steps == answered.steps and seen.requirements == answered.requirements
    assert seen.page.actions == ()
    stranger = portal.consultant()
    with pytest.raises(AuthorizationError):
        status.status_page(portal.door, stranger, me.actor_id, item_id)

    # The officer reviews the answer and decides; the decision note names the letter.
    desk.review(OFFICER, item_id, asked, accepted=True)
    portal.clock.advance(dt.timedelta(days=1))
    decided = desk.change_phase(OFFICER, item_id, Phase.DECISION)
    assert decided.state is ItemState.DECISION_MADE
    note = notes.NotesDesk(portal.door).record_decision(
        OFFICER,
        item_id,
        Outcome.REFUSED,
        [
            NoteReason(requirement=asked, parts=[BilingualText("Not enough.", "Insuffisant.")]),
            NoteReason(
                criterion=Criterion.TRAVEL_HISTORY, parts=[BilingualText("None.", "Aucun.")]
            ),
        ],
    )
    assert note.reference == decided.reference


def test_the_desk_refuses_an_item_the_tracker_does_not_follow(portal: Portal) -> None:
    """Another service's item without a tracker record is "not found" at the desk and on the status page, and nothing is written."""
    me = portal.client()
    now = portal.clock.now()
    item = ServiceItem(
        item_id="trv-000000000000000000000001",
        account_id=me.actor_id,
        service_id="trv",
        kind=ItemKind.APPLICATION,
        reference="V000000001",
        state=ItemState.SUBMITTED,
        title=BilingualText("Visitor visa", "Visa de visiteur"),
        created_at=now,
        updated_at=now,
    )
    with portal.door.store.unit_of_work() as uow:
        uow.items.add(item)
        uow.commit()
    desk = status.StatusDesk(portal.door)
    with pytest.raises(NotFound):
        desk.change_phase(OFFICER, item.item_id, Phase.ELIGIBILITY)
    with pytest.raises(NotFound):
        status.status_page(portal.door, me, me.actor_id, item.item_id)
    with portal.door.store.unit_of_work(write=False) as uow:
        assert uow.items.get(item.item_id) == item
        assert [e.kind.value for e in uow.timeline.for_item(item.item_id)] == []
    assert portal.door.item(me, me.actor_id, item.item_id).actions == ()


def test_the_department_follows_an_application_submitted_before_its_record(
    portal: Portal,
) -> None:
    """StatusDesk.follow starts tracking another service's application without a tracker record (received at its creation); a second follow is a Conflict, a non-officer is refused."""
    me = portal.client()
    created = portal.clock.now()
    item = ServiceItem(
        item_id="trv-000000000000000000000002",
        account_id=me.actor_id,
        service_id="trv",
        kind=ItemKind.APPLICATION,
        reference="V000000002",
        state=ItemState.SUBMITTED,
        title=BilingualText("Visitor visa", "Visa de visiteur"),
        created_at=created,
        updated_at=created,
    )
    with portal.door.store.unit_of_work() as uow:
        uow.items.add(item)
        uow.commit()
    desk = status.StatusDesk(portal.door)
    portal.clock.advance(dt.timedelta(days=20))
    clerk = Staff(actor=me, office="vo-dakar")
    with pytest.raises(DepartmentOnly):
        desk.follow(clerk, item.item_id, program="visitor-visa")
    assert desk.follow(OFFICER, item.item_id, program="visitor-visa") == item
    with pytest.raises(Conflict):
        desk.follow(OFFICER, item.item_id, program="visitor-visa")
    desk.change_phase(OFFICER, item.item_id, Phase.ELIGIBILITY)
    page = status.status_page(portal.door, me, me.actor_id, item.item_id)
    assert [(s.phase, s.entered_at) for s in page.steps] == [
        (Phase.RECEIVED, created),
        (Phase.ELIGIBILITY, portal.clock.now()),
    ]
    assert page.page.item.state is ItemState.IN_PROGRESS
