"""
Decision notes end to end: an officer's reasons, tied to criteria and
requirements, released to the client and to representatives whose grant
includes view_decision_notes; what the client can do next.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ircc_account.audit import Decision, who_touched_my_file
from ircc_account.builtin import notes, status
from ircc_account.builtin.notes import Criterion, Exemption, NoteReason, Outcome, Withheld
from ircc_account.errors import AuthorizationError, RequiredField, UnknownRequirement
from ircc_account.services import BilingualText, EventKind, ItemState

from ..status.helpers import STAFF, World, wait_for

FUNDS = BilingualText("Bank statements", "Relevés bancaires")


def _refused(world: World, client_id: str) -> tuple[str, str, str]:
    """A tracked application with one requirement, refused with two reasons."""
    item_id = world.desk.open(
        STAFF, client_id, program="visitor-visa", reference="V123456789",
        title=status.Phase.RECEIVED.label,
    ).item_id  # fmt: skip
    requirement_id = world.desk.request(
        STAFF,
        item_id,
        status.Requirement(title=FUNDS, due=dt.date.today() + dt.timedelta(days=20)),
    )
    decision = world.notes_desk.record_decision(
        STAFF,
        item_id,
        Outcome.REFUSED,
        [
            NoteReason(
                criterion=Criterion.PURPOSE_OF_VISIT,
                parts=[
                    BilingualText(
                        "The purpose of your visit is not consistent with a temporary stay.",
                        "Le but de votre visite ne correspond pas à un séjour temporaire.",
                    )
                ],
            ),
            NoteReason(
                requirement=requirement_id,
                parts=[
                    BilingualText(
                        "The statements do not show enough funds.",
                        "Les relevés ne montrent pas assez de fonds.",
                    )
                ],
            ),
        ],
    )
    return item_id, requirement_id, decision.item_id


def test_a_client_reads_the_reasons_in_their_language_and_can_ask_for_a_review(
    world: World,
) -> None:
    """The reasons name their criterion or requirement in both languages; reapply and review are offered; a review request is an event and is not offered again."""
    marie = world.client()
    _, requirement_id, notes_id = _refused(world, marie.actor_id)
    page = notes.notes_page(world.door, marie, marie.actor_id, notes_id, language="fr")
    assert page.outcome is Outcome.REFUSED and page.office == "ndl"
    assert [r.concerns.fr for r in page.reasons] == ["But de la visite", "Relevés bancaires"]
    assert page.reasons[1].requirement == requirement_id
    assert page.reasons[0].parts[0].fr.startswith("Le but")  # type: ignore[union-attr]
    assert [a.action for a in page.page.actions] == ["request_review", "reapply"]

    told = len(world.listener.events)
    result = world.door.perform(marie, marie.actor_id, notes_id, "request_review")
    assert result.ok and result.item is not None and result.item.state is ItemState.IN_PROGRESS
    wait_for(world.listener, told + 1)
    assert world.listener.events[-1].kind is EventKind.STATUS_CHANGED
    page = notes.notes_page(world.door, marie, marie.actor_id, notes_id)
    assert page.review_requested_at is not None
    assert [a.action for a in page.page.actions] == ["reapply"]
    assert world.door.perform(marie, marie.actor_id, notes_id, "reapply").ok
    decisions = [e for e in world.listener.of(notes.SERVICE_ID) if e.kind is EventKind.DECISION]
    assert len(decisions) == 1


def test_representatives_read_the_notes_only_with_view_decision_notes(world: World) -> None:
    """A grant with view_decision_notes reads the reasons; one with view_status only sees the decision and is refused the reasons, on record."""
    marie = world.client()
    _, _, notes_id = _refused(world, marie.actor_id)
    reader = world.representative(marie, ["view_status", "view_decision_notes"])
    assert len(notes.notes_page(world.door, reader, marie.actor_id, notes_id).reasons) == 2
    viewer = world.representative(marie, ["view_status"])
    assert world.door.item(viewer, marie.actor_id, notes_id).item.state is ItemState.DECISION_MADE
    with pytest.raises(AuthorizationError) as refused:
        notes.notes_page(world.door, viewer, marie.actor_id, notes_id)
    assert refused.value.params["reason"] == "scope"
    history = who_touched_my_file(world.door.store, marie.actor_id)
    assert any(r.decision is Decision.DENIED and "view_decision_notes" in r.action for r in history)


def test_a_note_on_an_unknown_requirement_writes_nothing(world: World) -> None:
    """A reason naming a requirement the application lacks is UnknownRequirement, in both languages, and no decision is recorded."""
    marie = world.client()
    item_id, _, _ = _refused(world, marie.actor_id)
    with world.door.store.unit_of_work(write=False) as uow:
        before = len(uow.items.for_account(marie.actor_id, service_id=notes.SERVICE_ID))
    history = len(who_touched_my_file(world.door.store, marie.actor_id))
    with pytest.raises(UnknownRequirement) as raised:
        world.notes_desk.record_decision(
            STAFF, item_id, Outcome.REFUSED,
            [NoteReason(requirement="req-42", parts=[FUNDS])],
        )  # fmt: skip
    assert raised.value.message("fr") != raised.value.message("en")
    with world.door.store.unit_of_work(write=False) as uow:
        after = len(uow.items.for_account(marie.actor_id, service_id=notes.SERVICE_ID))
    assert after == before
    assert len(who_touched_my_file(world.door.store, marie.actor_id)) == history
    with pytest.raises(RequiredField):
        world.notes_desk.record_decision(
            STAFF, item_id, Outcome.APPROVED_WITH_CONDITIONS,
            [NoteReason(criterion=Criterion.TRAVEL_HISTORY, parts=[FUNDS])],
        )  # fmt: skip
    with pytest.raises(RequiredField):
        NoteReason(parts=[FUNDS])


def test_approval_with_conditions_lists_them(world: World) -> None:
    """An approval with conditions releases its conditions and offers a review but not reapplying."""
    marie = world.client()
    item_id = world.application(marie)
    decision = world.notes_desk.record_decision(
        STAFF, item_id, Outcome.APPROVED_WITH_CONDITIONS,
        [NoteReason(criterion=Criterion.ADMISSIBILITY, parts=[
            FUNDS, Withheld(basis=Exemption.LAW_ENFORCEMENT)])],
        conditions=[BilingualText("Report to an officer on arrival.",
                                  "Présentez-vous à un agent à l'arrivée.")],
    )  # fmt: skip
    page = notes.notes_page(world.door, marie, marie.actor_id, decision.item_id)
    assert page.conditions[0].en.startswith("Report")
    assert [a.action for a in page.page.actions] == ["request_review"]
    marker = page.reasons[0].parts[1]
    assert isinstance(marker, notes.WithheldMarker)
    assert "section 22" in marker.label.en and "article 22" in marker.label.fr
