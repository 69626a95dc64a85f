"""
The status tracker end to end: officers record, clients and representatives
see and answer, every access is recorded, every change is an event.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ircc_account.audit import Decision, who_touched_my_file
from ircc_account.builtin import status
from ircc_account.builtin.status import Party, Phase, Requirement, RequirementState
from ircc_account.errors import AuthorizationError, DepartmentOnly
from ircc_account.services import BilingualText, EventKind, ItemState

from .helpers import STAFF, World, wait_for

POLICE = Requirement(
    title=BilingualText("Police certificate", "Certificat de police"),
    details=(
        BilingualText(
            "From each country you lived in for 6 months or more since age 18",
            "De chaque pays où vous avez vécu 6 mois ou plus depuis l'âge de 18 ans",
        ),
        BilingualText(
            "Translated into English or French by a certified translator",
            "Traduit en anglais ou en français par un traducteur agréé",
        ),
    ),
    due=dt.date.today() + dt.timedelta(days=30),
)


def _history(world: World, client_id: str) -> list[tuple[str, str, str]]:
    """The client's history as (action, decision, capacity)."""
    return [
        (r.action, r.decision.value, r.capacity.value)
        for r in who_touched_my_file(world.door.store, client_id)
    ]


def test_a_client_follows_an_application_and_answers_what_is_asked(world: World) -> None:
    """Phases with what is done now, requirements apart from third-party waits, documents, staff, comments; the client answers through the service."""
    marie = world.client()
    item_id = world.application(marie)
    world.desk.change_phase(STAFF, item_id, Phase.ELIGIBILITY)
    requirement_id = world.desk.request(STAFF, item_id, POLICE)
    wait_id = world.desk.wait_on(
        STAFF, item_id, Party.PANEL_PHYSICIAN,
        BilingualText("Your medical exam results", "Les résultats de votre examen médical"),
    )  # fmt: skip
    world.desk.document_received(
        STAFF, item_id, BilingualText("Passport copy", "Copie du passeport")
    )
    world.desk.release_comment(
        STAFF, item_id, BilingualText("Your file is complete.", "Votre dossier est complet.")
    )
    page = status.status_page(world.door, marie, marie.actor_id, item_id, language="fr")
    assert [s.phase for s in page.steps] == [Phase.RECEIVED, Phase.ELIGIBILITY]
    assert page.current is not None and page.current.doing == Phase.ELIGIBILITY.doing
    assert page.page.item.state is ItemState.ACTION_REQUIRED
    (req,) = page.requirements
    assert (req.requirement_id, req.state, len(req.details)) == (
        requirement_id,
        RequirementState.REQUESTED,
        2,
    )
    assert [(w.wait_id, w.party) for w in page.waits] == [(wait_id, Party.PANEL_PHYSICIAN)]
    assert page.documents[0].name.fr == "Copie du passeport"
    assert {(t.office, t.role) for t in page.touches} == {("ndl", status.StaffRole.OFFICER)}
    assert page.comments[0].text.en == "Your file is complete."
    assert [a.action for a in page.page.actions] == [f"respond:{requirement_id}"]

    result = world.door.perform(
        marie, marie.actor_id, item_id, f"respond:{requirement_id}", {"message": "Sent by mail"}
    )
    assert result.ok and result.item is not None
    assert result.item.state is ItemState.IN_PROGRESS
    page = status.status_page(world.door, marie, marie.actor_id, item_id)
    assert page.requirements[0].state is RequirementState.RECEIVED
    assert page.page.actions == ()
    world.desk.review(STAFF, item_id, requirement_id, accepted=True)
    world.desk.wait_over(STAFF, item_id, wait_id)
    page = status.status_page(world.door, marie, marie.actor_id, item_id)
    assert page.requirements[0].state is RequirementState.ACCEPTED
    assert page.waits[0].done_at is not None

    history = _history(world, marie.actor_id)
    assert ("status.request", "allowed", "officer") in history
    assert ("service.record.read", "allowed", "plugin") in history
    assert ("door.item.view", "allowed", "client") in history


def test_a_phase_change_and_a_new_requirement_are_events(world: World) -> None:
    """Opening, each phase change, a requirement and a comment raise events after commit, with no personal data."""
    marie = world.client()
    item_id = world.application(marie)
    world.desk.change_phase(STAFF, item_id, Phase.BIOMETRICS)
    world.desk.request(STAFF, item_id, POLICE)
    world.desk.change_phase(STAFF, item_id, Phase.DECISION)
    wait_for(world.listener, 4)
    events = world.listener.of(status.SERVICE_ID)
    assert [e.kind for e in events] == [
        EventKind.STATUS_CHANGED,
        EventKind.STATUS_CHANGED,
        EventKind.DOCUMENT_REQUESTED,
        EventKind.DECISION,
    ]
    assert {e.item_id for e in events} == {item_id}
    assert all("Tremblay" not in (e.summary.en if e.summary else "") for e in events)


def test_representatives_see_and_answer_within_their_grant(world: World) -> None:
    """A representative with view_status sees the page but no answer; with act, answers; without a grant, is refused and recorded."""
    marie = world.client()
    item_id = world.application(marie)
    requirement_id = world.desk.request(STAFF, item_id, POLICE)
    viewer = world.representative(marie, ["view_status"])
    page = status.status_page(world.door, viewer, marie.actor_id, item_id)
    assert page.requirements[0].requirement_id == requirement_id
    assert page.page.actions == ()
    with pytest.raises(AuthorizationError):
        world.door.perform(viewer, marie.actor_id, item_id, f"respond:{requirement_id}")

    helper = world.representative(marie, ["view_status", "act"])
    result = world.door.perform(helper, marie.actor_id, item_id, f"respond:{requirement_id}")
    assert result.ok

    stranger = world.representative(world.client(), [])
    with pytest.raises(AuthorizationError):
        status.status_page(world.door, stranger, marie.actor_id, item_id)
    refused = [
        r
        for r in who_touched_my_file(world.door.store, marie.actor_id)
        if r.capacity.value == "representative" and r.decision is Decision.DENIED
    ]
    assert refused and refused[0].action == "door.item.view"


def test_only_officers_record_and_a_refusal_is_in_the_clients_history(world: World) -> None:
    """A client at the desk is refused with DepartmentOnly, nothing changes, and the attempt is recorded."""
    marie = world.client()
    item_id = world.application(marie)
    impostor = status.Staff(actor=marie, office="ndl")
    with pytest.raises(DepartmentOnly):
        world.desk.change_phase(impostor, item_id, Phase.DECISION)
    page = status.status_page(world.door, marie, marie.actor_id, item_id)
    assert [s.phase for s in page.steps] == [Phase.RECEIVED]
    assert ("status.phase", "denied", "client") in _history(world, marie.actor_id)
