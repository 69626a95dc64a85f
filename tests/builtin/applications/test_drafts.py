"""
Drafts in the plugin's encrypted records: saved and resumed by the client or
a representative, every save recorded, bad input refused with every problem
named in both languages and the draft unchanged, optimistic versions, and
expiry after the retention period (erased on the next read, or by the
department's sweep for a client who never comes back).
"""

from __future__ import annotations

import datetime as dt

import pytest

from ircc_account.audit import who_touched_my_file
from ircc_account.builtin.applications import RETENTION_ACTOR, sweep_expired_drafts
from ircc_account.errors import (
    AnswersInvalid,
    Conflict,
    DraftExpired,
    InvalidFormat,
    NotFound,
    UnknownQuestion,
)

from ..conftest import Portal, pdf


def test_a_draft_saved_by_a_representative_resumes_for_the_client(portal: Portal) -> None:
    """Answers saved by the consultant read back, typed, for the client."""
    client = portal.client()
    consultant = portal.consultant(for_client=client)
    desk = portal.trv_desk
    view = desk.start(consultant, client.actor_id)
    desk.save(
        consultant,
        client.actor_id,
        view.draft.draft_id,
        {"family_name": "Tremblay", "date_of_birth": "1985-07-14", "funds": "12,500"},
        version=view.draft.version,
    )
    resumed = desk.open(client, client.actor_id, view.draft.draft_id)
    assert resumed.draft.answers == {
        "family_name": "Tremblay",
        "date_of_birth": dt.date(1985, 7, 14),
        "funds": 12500,
    }
    assert resumed.raw("funds", portal.trv) == "12500"
    assert [d.draft.draft_id for d in desk.drafts(client, client.actor_id)] == [view.draft.draft_id]


def test_every_save_is_recorded_in_the_clients_history(portal: Portal) -> None:
    """Each save is one recorded write by the service on behalf of whoever saved."""
    client = portal.client()
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    before = [
        r
        for r in who_touched_my_file(portal.door.store, client.actor_id)
        if r.action == "service.record.write"
    ]
    for n in range(3):
        view = desk.save(
            client,
            client.actor_id,
            view.draft.draft_id,
            {"funds": str(n)},
            version=view.draft.version,
        )
    after = [
        r
        for r in who_touched_my_file(portal.door.store, client.actor_id)
        if r.action == "service.record.write"
    ]
    assert len(after) == len(before) + 3


def test_bad_answers_name_every_problem_and_change_nothing(portal: Portal) -> None:
    """Malformed answers and broken rules are all listed, bilingual, and nothing is saved."""
    client = portal.client()
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    view = desk.save(
        client, client.actor_id, view.draft.draft_id, {"funds": "10"}, version=view.draft.version
    )
    bad = {
        "funds": "lots",
        "date_of_birth": "2999-01-01",
        "arrival_date": "2026-02-30",
        "email": "not an email",
        "sex": "robot",
        "family_name": "Bad\x00name",
        "given_names": "x" * 101,
    }
    with pytest.raises(AnswersInvalid) as caught:
        desk.save(client, client.actor_id, view.draft.draft_id, bad, version=view.draft.version)
    problems = {p.question: p.code for p in caught.value.problems}
    assert problems == {
        "funds": "format",
        "date_of_birth": "not_in_future",
        "arrival_date": "format",
        "email": "format",
        "sex": "format",
        "family_name": "control",
        "given_names": "too_long",
    }
    for problem in caught.value.problems:
        assert (
            problem.message.en and problem.message.fr and problem.message.en != problem.message.fr
        )
        assert "robot" not in problem.message.en and "lots" not in problem.message.fr
    assert caught.value.params["count"] == 7
    assert caught.value.message("fr").startswith("7 réponse(s)")
    assert desk.open(client, client.actor_id, view.draft.draft_id).draft == view.draft


def test_a_rule_across_two_answers_refuses_the_save(portal: Portal) -> None:
    """Leaving before arriving is refused, whichever of the two dates is sent."""
    client = portal.client()
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    view = desk.save(
        client, client.actor_id, view.draft.draft_id, {"departure_date": "2026-06-10"}, version=1
    )
    with pytest.raises(AnswersInvalid) as caught:
        desk.save(
            client,
            client.actor_id,
            view.draft.draft_id,
            {"arrival_date": "2026-06-20"},
            version=view.draft.version,
        )
    assert [(p.question, p.code) for p in caught.value.problems] == [
        ("departure_date", "before_other")
    ]


def test_unknown_questions_and_wrong_types_are_refused(portal: Portal) -> None:
    """An unknown question id, a non-string answer or a malformed group is a typed error."""
    client = portal.client()
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    draft_id = view.draft.draft_id
    with pytest.raises(UnknownQuestion) as caught:
        desk.save(client, client.actor_id, draft_id, {"<script>": "x"}, version=1)
    assert caught.value.params["field"] == "?"
    with pytest.raises(AnswersInvalid):
        desk.save(client, client.actor_id, draft_id, {"funds": 12}, version=1)
    with pytest.raises(AnswersInvalid):
        desk.save(
            client, client.actor_id, draft_id, {"family_applying": [{"nope": "x"}]}, version=1
        )
    with pytest.raises(AnswersInvalid) as too_many:
        desk.save(
            client, client.actor_id, draft_id,
            {"family_applying": [{"family_name": "A"}] * 9}, version=1,
        )  # fmt: skip
    assert too_many.value.problems[0].code == "too_many"
    assert desk.open(client, client.actor_id, draft_id).draft.answers == {}


def test_a_stale_version_is_a_conflict(portal: Portal) -> None:
    """Two people saving from the same version: the second is told, and loses nothing silently."""
    client = portal.client()
    consultant = portal.consultant(for_client=client)
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    desk.save(consultant, client.actor_id, view.draft.draft_id, {"funds": "100"}, version=1)
    with pytest.raises(Conflict):
        desk.save(client, client.actor_id, view.draft.draft_id, {"funds": "200"}, version=1)
    with pytest.raises(InvalidFormat):
        desk.save(client, client.actor_id, view.draft.draft_id, {"funds": "200"}, version=True)  # type: ignore[arg-type]
    assert desk.open(client, client.actor_id, view.draft.draft_id).draft.answers["funds"] == 100


def test_an_empty_answer_removes_it(portal: Portal) -> None:
    """Sending an empty answer clears a question."""
    client = portal.client()
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    view = desk.save(client, client.actor_id, view.draft.draft_id, {"funds": "100"}, version=1)
    view = desk.save(
        client, client.actor_id, view.draft.draft_id, {"funds": "  "}, version=view.draft.version
    )
    assert "funds" not in view.draft.answers


def test_unknown_and_malformed_draft_ids_are_not_found(portal: Portal) -> None:
    """A query for another client's, an unknown or a malformed draft id is not found."""
    client, other = portal.client(), portal.client()
    theirs = portal.trv_desk.start(other, other.actor_id).draft.draft_id
    for draft_id in (theirs, "d-" + "0" * 24, "../../etc", ""):
        with pytest.raises(NotFound):
            portal.trv_desk.open(client, client.actor_id, draft_id)


def test_a_draft_expires_after_the_retention_period_and_is_erased(portal: Portal) -> None:
    """Sixty days after the last save a draft is gone, with its documents, on the next read."""
    client = portal.client()
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    view = desk.upload(
        client, client.actor_id, view.draft.draft_id, "passport", pdf(), filename="p.pdf", version=1
    )
    portal.clock.advance(dt.timedelta(days=59))
    view = desk.save(
        client, client.actor_id, view.draft.draft_id, {"funds": "1"}, version=view.draft.version
    )
    portal.clock.advance(dt.timedelta(days=59))
    assert desk.open(client, client.actor_id, view.draft.draft_id).draft.answers == {"funds": 1}
    portal.clock.advance(dt.timedelta(days=1, seconds=1))
    with pytest.raises(DraftExpired) as caught:
        desk.open(client, client.actor_id, view.draft.draft_id)
    assert "60" in caught.value.message("fr")
    assert desk.drafts(client, client.actor_id) == []
    assert [p for p in portal.documents.rglob("*") if p.is_file()] == []


def test_the_sweep_erases_drafts_of_clients_who_never_come_back(portal: Portal) -> None:
    """The department's sweep erases expired drafts (record, documents, marker), records it, and keeps the rest."""
    gone, kept = portal.client(), portal.client()
    desk = portal.trv_desk
    old = desk.start(gone, gone.actor_id)
    desk.upload(
        gone, gone.actor_id, old.draft.draft_id, "passport", pdf(), filename="p.pdf", version=1
    )
    portal.clock.advance(dt.timedelta(days=30))
    recent = desk.start(kept, kept.actor_id)
    portal.clock.advance(dt.timedelta(days=31))

    assert sweep_expired_drafts(portal.door, portal.trv, now=portal.clock.now()) == 1
    with portal.door.store.unit_of_work(write=False) as uow:
        assert uow.plugin_records.get(gone.actor_id, "trv", f"app.{old.draft.draft_id}") is None
    assert [p.name for p in portal.documents.rglob("*") if p.is_file()] == [
        (recent.expires_at.date()).isoformat()  # type: ignore[union-attr]
    ]
    history = who_touched_my_file(portal.door.store, gone.actor_id)
    assert any(r.action == "applications.draft.expire" for r in history)
    assert (
        desk.open(kept, kept.actor_id, recent.draft.draft_id).draft.draft_id
        == recent.draft.draft_id
    )
    # Nothing more is due; a second sweep erases nothing.
    assert sweep_expired_drafts(portal.door, portal.trv, now=portal.clock.now()) == 0
    assert RETENTION_ACTOR == "applications-retention"


def test_the_sweep_moves_a_marker_when_the_draft_was_saved_since(portal: Portal) -> None:
    """A draft saved after it started is not erased by its first marker; the marker moves."""
    client = portal.client()
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    portal.clock.advance(dt.timedelta(days=50))
    desk.save(client, client.actor_id, view.draft.draft_id, {"funds": "3"}, version=1)
    portal.clock.advance(dt.timedelta(days=15))
    assert sweep_expired_drafts(portal.door, portal.trv, now=portal.clock.now()) == 0
    assert desk.open(client, client.actor_id, view.draft.draft_id).draft.answers == {"funds": 3}
    (marker,) = [p.name for p in portal.documents.rglob("*") if p.is_file()]
    assert marker == (portal.clock.now().date() + dt.timedelta(days=45)).isoformat()


def test_a_discarded_draft_is_gone_with_its_documents(portal: Portal) -> None:
    """Discarding deletes the draft, its files and its marker."""
    client = portal.client()
    desk = portal.trv_desk
    view = desk.start(client, client.actor_id)
    desk.upload(
        client, client.actor_id, view.draft.draft_id, "passport", pdf(), filename="p.pdf", version=1
    )
    desk.discard(client, client.actor_id, view.draft.draft_id)
    with pytest.raises(NotFound):
        desk.open(client, client.actor_id, view.draft.draft_id)
    assert [p for p in portal.documents.rglob("*") if p.is_file()] == []
