"""
Filing: a client or a representative whose grant includes ``enquire`` files
an enquiry or an urgent request about an item, checked against published
criteria, with evidence; the department answers or decides with reasons,
and the filer and the client see it; every step is in the client's history.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ircc_account.builtin import status
from ircc_account.builtin.enquiries import (
    CRITERIA,
    Category,
    EnquiryKind,
    EnquiryRequest,
    EnquiryState,
    Upload,
)
from ircc_account.errors import EnquiryRefused
from ircc_account.services import BilingualText, ItemKind, ItemState, ServiceItem

from .conftest import PDF, STAFF, VISA, World, png

DOING = BilingualText(
    "An officer is checking your travel history with our partners.",
    "Un agent vérifie vos antécédents de voyage auprès de nos partenaires.",
)
MUST = BilingualText(
    "Nothing for now: we will write if we need a document.",
    "Rien pour l'instant : nous vous écrirons s'il nous faut un document.",
)
REASON = BilingualText(
    "A close family member's illness is shown by the doctor's letter.",
    "La lettre du médecin montre la maladie d'un membre proche de la famille.",
)


def test_a_client_asks_and_gets_an_answer_with_the_phase_from_the_tracker(world: World) -> None:
    """The answer carries the status tracker's current phase, what is done and what the client must do; the history reads both steps."""
    marie = world.people.client()
    item_id = world.application(marie)
    filed = world.filing.file(
        marie, marie.actor_id, item_id, EnquiryRequest(question="Where is my application?")
    )
    assert filed.kind is EnquiryKind.ENQUIRY and filed.state is EnquiryState.OPEN
    assert filed.due == world.clock.now().date() + dt.timedelta(days=30)
    answered = world.desk.answer(
        STAFF, marie.actor_id, filed.enquiry_id, doing=DOING, client_must=MUST
    )
    assert answered.state is EnquiryState.ANSWERED and answered.answer is not None
    assert answered.answer.phase.en == "Reviewing eligibility"
    (seen,) = world.filing.for_client(marie, marie.actor_id)
    assert seen.answer == answered.answer and seen.question == "Where is my application?"
    steps = [(h["action"], h["decision"], h["service_id"], h["item_id"]) for h in world.history(
        marie.actor_id) if h["action"].startswith("enquiry.")]  # fmt: skip
    assert ("enquiry.file", "allowed", "enquiries", item_id) in steps
    assert ("enquiry.answer", "allowed", "enquiries", item_id) in steps


def test_an_office_files_an_urgent_request_with_evidence_and_the_decision_says_why(
    world: World,
) -> None:
    """The office's urgent request meets the criteria it shows, its evidence is sealed and readable, and the decision's reason reaches the office and the client."""
    marie = world.people.client()
    office = world.people.office_staff(for_client=marie)
    item_id = world.application(marie)
    travel = world.clock.now().date() + dt.timedelta(days=10)
    request = EnquiryRequest(
        question="Her mother is gravely ill in Lyon; she must travel within two weeks.",
        category=Category.FAMILY_EMERGENCY_TRAVEL,
        attested={"family", "soon", "proof"},
        travel_date=travel,
        evidence=(Upload(filename="letter.pdf", data=PDF), Upload(filename="x.png", data=png())),
    )
    filed = world.filing.file(office, marie.actor_id, item_id, request)
    assert filed.kind is EnquiryKind.URGENT
    assert filed.meets == ("family", "soon", "proof")
    assert all(met for _, met in filed.assessment())
    assert filed.due == world.clock.now().date() + dt.timedelta(
        days=CRITERIA[Category.FAMILY_EMERGENCY_TRAVEL].answer_days
    )
    assert [e.content_type for e in filed.evidence] == ["application/pdf", "image/png"]
    stored = list(world.documents.rglob("f-*"))
    assert len(stored) == 2 and all(PDF not in p.read_bytes() for p in stored)
    doc = filed.evidence[0]
    assert world.desk.evidence(STAFF, marie.actor_id, filed.enquiry_id, doc.document_id)[1] == PDF
    decided = world.desk.decide(
        STAFF, marie.actor_id, filed.enquiry_id, granted=True, reason=REASON
    )
    assert decided.state is EnquiryState.GRANTED
    for who in (office, marie):
        (seen,) = world.filing.for_client(who, marie.actor_id)
        assert seen.outcome is not None and seen.outcome.reason == REASON
    decide = [h for h in world.history(marie.actor_id) if h["action"] == "enquiry.decide"]
    assert [(h["decision"], h["reason"]) for h in decide] == [("allowed", "granted")]
    urgent = [h for h in world.history(marie.actor_id) if h["action"] == "enquiry.urgent"]
    assert urgent[0]["actor_id"] == office.actor_id and urgent[0]["service_id"] == "enquiries"


def test_unmet_criteria_are_said_and_more_information_reopens_the_check(world: World) -> None:
    """A request without evidence meets only what it can; asked for more, the filer sends a document and it then meets the evidence criterion."""
    marie = world.people.client()
    item_id = world.application(marie)
    filed = world.filing.file(
        marie,
        marie.actor_id,
        item_id,
        EnquiryRequest(
            question="I need care that is only offered in Canada, within the month.",
            category="medical_emergency",
            attested={"care", "proof", "how"},
        ),
    )
    assert filed.meets == ("care", "how")
    assert {c.criterion_id: met for c, met in filed.assessment()}["proof"] is False
    what = BilingualText(
        "Send a letter from your doctor describing the care needed.",
        "Envoyez une lettre de votre médecin décrivant les soins nécessaires.",
    )
    asked = world.desk.request_more(STAFF, marie.actor_id, filed.enquiry_id, what)
    assert asked.state is EnquiryState.MORE_INFO and asked.more_info == what
    sent = world.filing.respond(
        marie, marie.actor_id, filed.enquiry_id, "Here is the letter.",
        evidence=[Upload(filename="doctor.pdf", data=PDF)],
    )  # fmt: skip
    assert sent.state is EnquiryState.OPEN and sent.meets == ("care", "proof", "how")
    assert sent.response == "Here is the letter."
    actions = [h["action"] for h in world.history(marie.actor_id)]
    assert "enquiry.more_info" in actions and "enquiry.respond" in actions


def test_a_representative_without_enquire_is_refused_and_it_is_recorded(world: World) -> None:
    """A family member with view_status only cannot enquire; the refusal is in the client's history and nothing is stored."""
    marie = world.people.client()
    item_id = world.application(marie)
    viewer = world.people.representative(kind="family", for_client=marie, scopes=["view_status"])
    with pytest.raises(EnquiryRefused):
        world.filing.file(viewer, marie.actor_id, item_id, EnquiryRequest(question="Status?"))
    assert world.records(marie.actor_id) == 0
    refused = [h for h in world.history(marie.actor_id) if h["action"] == "enquiry.file"]
    assert [(h["decision"], h["reason"]) for h in refused] == [("denied", "scope")]


def test_a_representative_sees_only_the_enquiries_they_filed(world: World) -> None:
    """The client sees every enquiry on their file; a representative sees their own, not the client's or another's."""
    marie = world.people.client()
    item_id = world.application(marie)
    office = world.people.office_staff(for_client=marie)
    family = world.people.representative(
        kind="family", for_client=marie, scopes=["view_status", "enquire"]
    )
    world.filing.file(marie, marie.actor_id, item_id, EnquiryRequest(question="Mine?"))
    world.filing.file(office, marie.actor_id, item_id, EnquiryRequest(question="Office?"))
    assert len(world.filing.for_client(marie, marie.actor_id)) == 2
    assert [e.question for e in world.filing.for_client(office, marie.actor_id)] == ["Office?"]
    assert world.filing.for_client(family, marie.actor_id) == ()


def test_only_the_filer_or_the_client_sends_more_information(world: World) -> None:
    """Another office the client authorized cannot answer the first office's request for more; the refusal is recorded, nothing changes."""
    marie = world.people.client()
    item_id = world.application(marie)
    office = world.people.office_staff(for_client=marie)
    other = world.people.office_staff(for_client=marie)
    filed = world.filing.file(office, marie.actor_id, item_id, EnquiryRequest(question="When?"))
    what = BilingualText(
        "Tell us the date of the wedding you mentioned.",
        "Indiquez-nous la date du mariage dont vous avez parlé.",
    )
    world.desk.request_more(STAFF, marie.actor_id, filed.enquiry_id, what)
    with pytest.raises(EnquiryRefused):
        world.filing.respond(other, marie.actor_id, filed.enquiry_id, "14 June")
    respond = [h for h in world.history(marie.actor_id) if h["action"] == "enquiry.respond"]
    assert [(h["decision"], h["reason"], h["actor_id"]) for h in respond] == [
        ("denied", "not_found", other.actor_id)
    ]
    (seen,) = world.filing.for_client(marie, marie.actor_id)
    assert seen.state is EnquiryState.MORE_INFO and seen.response is None
    answered = world.filing.respond(office, marie.actor_id, filed.enquiry_id, "14 June")
    assert answered.state is EnquiryState.OPEN and answered.response == "14 June"


def test_who_touched_my_file_reads_the_enquiry_steps_in_both_languages(world: World) -> None:
    """The office's urgent request and the department's decision read as sentences, in English and French."""
    from ircc_account.audit import who_touched_my_file

    marie = world.people.client()
    item_id = world.application(marie)
    office = world.people.office_staff(for_client=marie)
    filed = world.filing.file(
        office, marie.actor_id, item_id,
        EnquiryRequest(question="Urgent, please.", category="life_or_death", attested={"risk"}),
    )  # fmt: skip
    world.desk.decide(STAFF, marie.actor_id, filed.enquiry_id, granted=False, reason=REASON)
    english = " ".join(r.text for r in who_touched_my_file(world.door.store, marie.actor_id))
    french = " ".join(
        r.text for r in who_touched_my_file(world.door.store, marie.actor_id, language="fr")
    )
    assert "asked for urgent processing of" in english
    assert "decided a request for urgent processing of" in english
    assert "demandé le traitement urgent d" in french
    assert "rendu une décision sur la demande de traitement urgent d" in french


def test_an_answer_reads_the_phase_of_an_application_the_tracker_follows(world: World) -> None:
    """An enquiry about an application of another service that the tracker follows (its record kept in that service's records) is answered with the tracker's phase; the officer need not state it."""
    marie = world.people.client()
    now = world.clock.now()
    item = ServiceItem(
        item_id="trv-000000000000000000000007",
        account_id=marie.actor_id,
        service_id="trv",
        kind=ItemKind.APPLICATION,
        reference="V000000007",
        state=ItemState.SUBMITTED,
        title=VISA,
        created_at=now,
        updated_at=now,
    )
    with world.door.store.unit_of_work() as uow:
        uow.items.add(item)
        uow.commit()
    world.status_desk.follow(STAFF, item.item_id, program="visitor-visa")
    world.status_desk.change_phase(STAFF, item.item_id, status.Phase.ELIGIBILITY)
    filed = world.filing.file(
        marie, marie.actor_id, item.item_id, EnquiryRequest(question="Where is my visa?")
    )
    answered = world.desk.answer(
        STAFF, marie.actor_id, filed.enquiry_id, doing=DOING, client_must=MUST
    )
    assert answered.answer is not None
    assert answered.answer.phase.en == "Reviewing eligibility"
