"""
Bad input: an item outside the filer's grant, a category that does not
exist, evidence too large or of the wrong type, a decision without a
reason, an answer that says only "in process", someone other than an
officer at the desk: a typed error in both languages, nothing written, and
the refusal in the client's history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ircc_account import Actor, AssuranceLevel
from ircc_account.builtin.applications import FolderDocumentStore, UploadLimits
from ircc_account.builtin.enquiries import Enquiries, EnquiryRequest, EnquiryState, Upload
from ircc_account.builtin.status import Staff, StaffRole
from ircc_account.errors import (
    AnswerTooVague,
    DepartmentOnly,
    DocumentTooLarge,
    DocumentTypeRefused,
    EnquiryClosed,
    EnquiryRefused,
    IrccAccountError,
    ReasonRequired,
    UnknownCategory,
    UnknownValue,
)
from ircc_account.services import BilingualText

from .conftest import PDF, STAFF, World

GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x00;"


def _denied(world: World, client_id: str, action: str) -> list[str]:
    return [
        h["reason"]
        for h in world.history(client_id)
        if h["action"] == action and h["decision"] == "denied"
    ]


def _both_languages(error: IrccAccountError) -> None:
    assert error.message("en") and error.message("fr")
    assert error.message("en") != error.message("fr")


@pytest.mark.parametrize(
    ("request_", "error", "reason"),
    [
        (EnquiryRequest(question="Help", category="alien_invasion"), UnknownCategory,
         "enquiries.unknown_category"),
        (EnquiryRequest(question="Help", category="life_or_death", attested={"nope"}),
         UnknownValue, "enquiries.invalid"),
        (EnquiryRequest(question="Help", category="life_or_death", attested={"proof"},
                        evidence=(Upload(filename="a.pdf", data=GIF),)),
         DocumentTypeRefused, "enquiries.evidence_refused"),
        (EnquiryRequest(question="Help", category="life_or_death",
                        evidence=(Upload(filename="a.pdf", data=PDF * 100),)),
         DocumentTooLarge, "enquiries.evidence_refused"),
        (EnquiryRequest(question="   "), IrccAccountError, "enquiries.invalid"),
    ],
    ids=["category", "criterion", "type", "size", "empty"],
)  # fmt: skip
def test_a_bad_request_stores_nothing_and_is_recorded(
    world: World, request_: EnquiryRequest, error: type[IrccAccountError], reason: str
) -> None:
    """The typed error speaks both languages; no record, no document; the refusal is in the client's history."""
    filing = Enquiries(
        world.door,
        documents=FolderDocumentStore(world.documents),
        limits=UploadLimits(max_bytes=1000),
    )
    marie = world.people.client()
    item_id = world.application(marie)
    with pytest.raises(error) as raised:
        filing.file(marie, marie.actor_id, item_id, request_)
    _both_languages(raised.value)
    assert world.records(marie.actor_id) == 0
    assert not list(world.documents.rglob("f-*"))
    action = "enquiry.file" if request_.category is None else "enquiry.urgent"
    assert _denied(world, marie.actor_id, action) == [reason]
    assert not [h for h in world.history(marie.actor_id) if h["decision"] == "allowed"
                and h["action"].startswith("enquiry.")]  # fmt: skip


def test_an_item_outside_the_grant_is_refused_without_saying_whether_it_exists(
    world: World,
) -> None:
    """A consultant covering one item asks about another, and about an unknown id: the same error, both recorded."""
    marie = world.people.client()
    covered, other = world.application(marie), world.application(marie)
    rep = world.people.representative(
        kind="family", for_client=marie, scopes=["view_status", "enquire"],
        coverage="item", target=covered,
    )  # fmt: skip
    world.filing.file(rep, marie.actor_id, covered, EnquiryRequest(question="Is it moving?"))
    errors = []
    for item_id in (other, "status-tracker-ffffffffffffffffffffffff"):
        with pytest.raises(EnquiryRefused) as raised:
            world.filing.file(rep, marie.actor_id, item_id, EnquiryRequest(question="And this?"))
        errors.append((raised.value.code, raised.value.message("en"), raised.value.params))
    assert errors[0] == errors[1]
    _both_languages(EnquiryRefused())
    assert _denied(world, marie.actor_id, "enquiry.file") == ["no_grant", "not_found"]
    assert world.records(marie.actor_id) == 1


def _urgent(world: World) -> tuple[Actor, Any]:
    marie = world.people.client()
    item_id = world.application(marie)
    filed = world.filing.file(
        marie, marie.actor_id, item_id,
        EnquiryRequest(question="My father is dying.", category="life_or_death",
                       attested={"risk"}),
    )  # fmt: skip
    return marie, filed


@pytest.mark.parametrize(
    "reason",
    [None, "Because the letter shows it."],
    ids=["none", "english-only"],
)
def test_a_decision_without_a_reason_is_refused_and_recorded(world: World, reason: Any) -> None:
    """ReasonRequired; the request stays open; the refusal is in the client's history."""
    marie, filed = _urgent(world)
    with pytest.raises(ReasonRequired) as raised:
        world.desk.decide(STAFF, marie.actor_id, filed.enquiry_id, granted=False, reason=reason)
    _both_languages(raised.value)
    (seen,) = world.filing.for_client(marie, marie.actor_id)
    assert seen.state is EnquiryState.OPEN and seen.outcome is None
    assert _denied(world, marie.actor_id, "enquiry.decide") == ["enquiries.reason_required"]


@pytest.mark.parametrize(
    "doing",
    [
        BilingualText("In process.", "En traitement."),
        BilingualText("Your application is in progress", "Votre demande est en cours"),
        BilingualText("Being processed", "Un agent vérifie vos antécédents de voyage."),
        BilingualText("An officer is checking your travel history.", "En cours de traitement"),
    ],
    ids=["in-process", "in-progress", "english-vague", "french-vague"],
)
def test_an_answer_that_says_only_in_process_is_refused(world: World, doing: BilingualText) -> None:
    """AnswerTooVague, in either language; nothing is answered and the refusal is recorded."""
    marie = world.people.client()
    item_id = world.application(marie)
    filed = world.filing.file(marie, marie.actor_id, item_id, EnquiryRequest(question="News?"))
    must = BilingualText(
        "Nothing is needed from you now.", "Rien n'est requis de vous pour l'instant."
    )
    with pytest.raises(AnswerTooVague):
        world.desk.answer(STAFF, marie.actor_id, filed.enquiry_id, doing=doing, client_must=must)
    (seen,) = world.filing.for_client(marie, marie.actor_id)
    assert seen.state is EnquiryState.OPEN and seen.answer is None
    assert _denied(world, marie.actor_id, "enquiry.answer") == ["enquiries.answer_too_vague"]


def test_an_answer_to_an_urgent_request_or_twice_is_refused(world: World) -> None:
    """An urgent request is decided, not answered; a decided one cannot be decided again."""
    marie, filed = _urgent(world)
    doing = BilingualText("We are checking your file today.", "Nous vérifions votre dossier.")
    with pytest.raises(EnquiryClosed):
        world.desk.answer(STAFF, marie.actor_id, filed.enquiry_id, doing=doing, client_must=doing)
    reason = BilingualText("Shown by the letter.", "Démontré par la lettre.")
    world.desk.decide(STAFF, marie.actor_id, filed.enquiry_id, granted=False, reason=reason)
    with pytest.raises(EnquiryClosed):
        world.desk.decide(STAFF, marie.actor_id, filed.enquiry_id, granted=True, reason=reason)
    (seen,) = world.filing.for_client(marie, marie.actor_id)
    assert seen.state is EnquiryState.REFUSED


@pytest.mark.parametrize(
    "call",
    [
        lambda w, s, c, e: w.desk.decide(s, c, e, granted=True, reason=BilingualText("a", "b")),
        lambda w, s, c, e: w.desk.request_more(s, c, e, BilingualText("a" * 20, "b" * 20)),
        lambda w, s, c, e: w.desk.answer(s, c, e, doing=BilingualText("a" * 20, "b" * 20),
                                         client_must=BilingualText("a" * 20, "b" * 20)),
    ],
    ids=["decide", "more", "answer"],
)  # fmt: skip
def test_only_officers_use_the_desk_and_a_refusal_is_recorded(
    world: World, call: Callable[..., Any]
) -> None:
    """A client at the department's desk gets DepartmentOnly; the attempt is in their history; nothing changes."""
    marie, filed = _urgent(world)
    intruder = Staff(actor=marie, office="ndl", role=StaffRole.OFFICER)
    with pytest.raises(DepartmentOnly):
        call(world, intruder, marie.actor_id, filed.enquiry_id)
    with pytest.raises(DepartmentOnly):
        world.desk.open_enquiries(intruder)
    (seen,) = world.filing.for_client(marie, marie.actor_id)
    assert seen.state is EnquiryState.OPEN
    denied = [h for h in world.history(marie.actor_id)
              if h["decision"] == "denied" and h["action"].startswith("enquiry.")]  # fmt: skip
    assert [(h["reason"], h["actor_id"]) for h in denied] == [("capacity", marie.actor_id)]


def test_a_request_for_several_clients_that_is_bad_files_nothing(world: World) -> None:
    """A bad request for several clients is refused for all; each reachable client's history records it."""
    marie, bob = world.people.client(), world.people.client()
    office = world.people.office_staff(for_client=marie)
    m, b = world.application(marie), world.application(bob)
    with pytest.raises(UnknownCategory):
        world.filing.file_many(
            office, [(marie.actor_id, m), (bob.actor_id, b)],
            EnquiryRequest(question="x", category="nope"),
        )  # fmt: skip
    assert world.records(marie.actor_id) == world.records(bob.actor_id) == 0
    assert _denied(world, marie.actor_id, "enquiry.urgent") == ["enquiries.unknown_category"]
    assert _denied(world, bob.actor_id, "enquiry.urgent") == ["no_grant"]


def test_an_answer_about_an_untracked_item_needs_its_phase(world: World) -> None:
    """Where the status tracker does not follow the item, the officer states the phase; without it, RequiredField and nothing is answered."""
    from ircc_account.errors import RequiredField

    marie = world.people.client()
    item = world.people.item(marie, service_id="legacy-visas")
    filed = world.filing.file(marie, marie.actor_id, item.item_id, EnquiryRequest(question="?!"))
    doing = BilingualText(
        "Your paper file is being scanned at the Sydney office.",
        "Votre dossier papier est numérisé au bureau de Sydney.",
    )
    must = BilingualText(
        "Nothing is needed from you now.", "Rien n'est requis de vous pour l'instant."
    )
    with pytest.raises(RequiredField):
        world.desk.answer(STAFF, marie.actor_id, filed.enquiry_id, doing=doing, client_must=must)
    phase = BilingualText("Received, on paper", "Reçue, sur papier")
    answered = world.desk.answer(
        STAFF, marie.actor_id, filed.enquiry_id, doing=doing, client_must=must, phase=phase
    )
    assert answered.answer is not None and answered.answer.phase == phase


class _FailingStore(FolderDocumentStore):
    """A document store whose second write fails (an object store going down mid-request)."""

    def __init__(self, root: object) -> None:
        super().__init__(root)  # type: ignore[arg-type]
        self.writes = 0

    def put(self, name: str, data: bytes) -> None:
        self.writes += 1
        if self.writes == 2:
            raise OSError("the store went away")
        super().put(name, data)


def test_a_store_failing_midway_leaves_no_document_and_no_record(world: World) -> None:
    """The first evidence document, already stored, is deleted again; no enquiry is kept."""
    store = _FailingStore(world.documents)
    filing = Enquiries(world.door, documents=store)
    marie = world.people.client()
    item_id = world.application(marie)
    request = EnquiryRequest(
        question="Two letters attached.",
        category="medical_emergency",
        attested={"proof"},
        evidence=(Upload(filename="a.pdf", data=PDF), Upload(filename="b.pdf", data=PDF)),
    )
    with pytest.raises(OSError, match="went away"):
        filing.file(marie, marie.actor_id, item_id, request)
    assert store.writes == 2 and not list(world.documents.rglob("f-*"))
    assert world.records(marie.actor_id) == 0


def test_a_representative_signed_in_too_weakly_is_asked_to_step_up(world: World) -> None:
    """A delegate whose grant covers the item but who signed in below the service's level gets the level to step up to; one outside the grant gets the plain refusal, which names none."""
    marie = world.people.client()
    item = world.application(marie)
    weak = world.people.representative(
        kind="family",
        for_client=marie,
        scopes=["view_status", "enquire"],
        assurance=AssuranceLevel.LOW,
    )
    with pytest.raises(EnquiryRefused) as raised:
        world.filing.file(weak, marie.actor_id, item, EnquiryRequest(question="Is it moving?"))
    assert raised.value.params == {"reason": "assurance", "level": 2}
    assert _denied(world, marie.actor_id, "enquiry.file") == ["assurance"]
    stranger = world.people.client()
    with pytest.raises(EnquiryRefused) as outside:
        world.filing.file(weak, stranger.actor_id, world.application(stranger),
                          EnquiryRequest(question="And this?"))  # fmt: skip
    assert outside.value.params == {}
    assert world.records(marie.actor_id) == 0
