"""
An office files for several clients at once (per-item results), lists its
open enquiries and their answers across its clients, never sees a client
outside its grants or access group, and late enquiries are flagged to it
and to the department.
"""

from __future__ import annotations

import datetime as dt

from ircc_account.builtin.enquiries import Category, EnquiryRequest, EnquiryState
from ircc_account.services import BilingualText

from .conftest import PDF, STAFF, World

URGENT = EnquiryRequest(
    question="A departmental error: the visa was issued with the wrong name on it.",
    category=Category.DEPARTMENTAL_ERROR,
    attested={"error", "what"},
)
REASON = BilingualText("The error is confirmed.", "L'erreur est confirmée.")


def test_an_office_files_for_several_clients_with_per_item_results(world: World) -> None:
    """Items under the office's grants are filed; another client's item, an unknown one and one outside its grants are refused alike and recorded, and nothing is stored for them."""
    marie, bob, carl = (world.people.client() for _ in range(3))
    office = world.people.office_staff(for_client=marie, organisation_id="office-a")
    world.door.grants.give(
        world.people._fresh(bob),
        grantee_id="office-a",
        grantee_is_organisation=True,
        access_group="east",
        scopes=["view_status", "enquire"],
        coverage="account",
    )
    m, b, c = (world.application(p) for p in (marie, bob, carl))
    results = world.filing.file_many(
        office,
        [
            (marie.actor_id, m),
            (bob.actor_id, b),
            (carl.actor_id, c),  # not one of the office's clients
            (marie.actor_id, c),  # carl's item, named as marie's
            (marie.actor_id, "status-tracker-000000000000000000000000"),  # no such item
        ],
        URGENT,
    )
    assert [r.ok for r in results] == [True, True, False, False, False]
    assert {r.error for r in results if not r.ok} == {"enquiries.refused"}
    assert world.records(carl.actor_id) == 0
    carl_saw = [h for h in world.history(carl.actor_id) if h["action"] == "enquiry.urgent"]
    assert [(h["decision"], h["reason"]) for h in carl_saw] == [("denied", "no_grant")]
    marie_saw = [h for h in world.history(marie.actor_id) if h["action"] == "enquiry.urgent"]
    assert sorted((h["decision"], h["reason"]) for h in marie_saw) == [
        ("allowed", "grant"), ("denied", "not_found"), ("denied", "not_found"),
    ]  # fmt: skip
    listed = world.filing.office_list(office)
    assert {(e.client_id, e.item_id) for e in listed} == {(marie.actor_id, m), (bob.actor_id, b)}
    for filed in results[:2]:
        assert filed.enquiry is not None
        world.desk.decide(STAFF, filed.client_id, filed.enquiry.enquiry_id, granted=True,
                          reason=REASON)  # fmt: skip
    assert world.filing.office_list(office) == ()
    answered = world.filing.office_list(office, open_only=False)
    assert {e.state for e in answered} == {EnquiryState.GRANTED}
    assert all(e.outcome is not None and e.outcome.reason == REASON for e in answered)


def test_an_office_never_sees_a_client_outside_its_grants_or_access_group(world: World) -> None:
    """A client who authorized the office's other access group, and an office the client never authorized, see nothing of each other's enquiries."""
    marie, bob = world.people.client(), world.people.client()
    office = world.people.office_staff(
        for_client=marie, access_group="east", organisation_id="office-a"
    )
    m = world.application(marie)
    b = world.application(bob)
    world.filing.file(office, marie.actor_id, m, EnquiryRequest(question="Status please?"))
    world.filing.file(bob, bob.actor_id, b, EnquiryRequest(question="Mine?"))
    world.door.grants.give(
        world.people._fresh(bob),
        grantee_id="office-a",
        grantee_is_organisation=True,
        access_group="west",
        scopes=["view_status", "enquire"],
        coverage="account",
    )
    assert [e.client_id for e in world.filing.office_list(office)] == [marie.actor_id]
    other = world.people.office_staff()
    assert world.filing.office_list(other) == ()
    listed = [h for h in world.history(marie.actor_id) if h["action"] == "enquiry.list"]
    assert [h["actor_id"] for h in listed] == [office.actor_id]
    assert not [h for h in world.history(bob.actor_id) if h["action"] == "enquiry.list"]


def test_late_enquiries_are_flagged_to_the_office_and_the_department(world: World) -> None:
    """Past its due date an open enquiry is late in the office's list and the department's; one waiting on the filer is not."""
    marie = world.people.client()
    office = world.people.office_staff(for_client=marie)
    m1, m2 = world.application(marie), world.application(marie)
    late = world.filing.file(office, marie.actor_id, m1, EnquiryRequest(question="Where is it?"))
    waiting = world.filing.file(office, marie.actor_id, m2, URGENT)
    world.desk.request_more(
        STAFF, marie.actor_id, waiting.enquiry_id,
        BilingualText("Send the visa page showing the name.",
                      "Envoyez la page du visa où figure le nom."),
    )  # fmt: skip
    assert not any(e.late for e in world.filing.office_list(office))
    world.clock.advance(dt.timedelta(days=31))
    listed = {e.enquiry_id: e.late for e in world.filing.office_list(office)}
    assert listed == {late.enquiry_id: True, waiting.enquiry_id: False}
    department = world.desk.open_enquiries(STAFF, late_only=True)
    assert [e.enquiry_id for e in department] == [late.enquiry_id]
    assert department[0].due == late.due < world.clock.now().date()
    reads = [h for h in world.history(marie.actor_id) if h["action"] == "enquiry.staff_read"]
    assert reads and reads[-1]["actor_id"] == STAFF.actor.actor_id


def test_an_office_list_of_evidence_is_opened_only_for_the_filer(world: World) -> None:
    """The filing office opens its own evidence; another office of the client's gets "not found"."""
    from ircc_account.builtin.enquiries import Upload
    from ircc_account.errors import NotFound

    marie = world.people.client()
    office = world.people.office_staff(for_client=marie)
    other = world.people.office_staff(for_client=marie)
    m = world.application(marie)
    request = EnquiryRequest(
        question="The wrong name was printed.",
        category=Category.DEPARTMENTAL_ERROR,
        attested={"proof"},
        evidence=(Upload(filename="visa.pdf", data=PDF),),
    )
    filed = world.filing.file(office, marie.actor_id, m, request)
    doc = filed.evidence[0].document_id
    assert world.filing.evidence(office, marie.actor_id, filed.enquiry_id, doc)[1] == PDF
    assert world.filing.evidence(marie, marie.actor_id, filed.enquiry_id, doc)[1] == PDF
    try:
        world.filing.evidence(other, marie.actor_id, filed.enquiry_id, doc)
    except NotFound:
        pass
    else:  # pragma: no cover
        raise AssertionError("another office opened the evidence")


def test_an_erased_clients_enquiries_leave_every_list(world: World) -> None:
    """After a client's personal data is erased, their enquiries are gone from the office's and the department's lists; the others stay."""
    marie, bob = world.people.client(), world.people.client()
    office = world.people.office_staff(for_client=marie, organisation_id="office-a")
    world.door.grants.give(
        world.people._fresh(bob), grantee_id="office-a", grantee_is_organisation=True,
        access_group="east", scopes=["view_status", "enquire"], coverage="account",
    )  # fmt: skip
    for client in (marie, bob):
        world.filing.file(
            office, client.actor_id, world.application(client), EnquiryRequest(question="News?")
        )
    with world.door.store.unit_of_work() as uow:
        uow.accounts.erase_personal_data(marie.actor_id)
        uow.commit()
    assert [e.client_id for e in world.filing.office_list(office)] == [bob.actor_id]
    assert [e.client_id for e in world.desk.open_enquiries(STAFF)] == [bob.actor_id]


def test_malformed_ids_in_a_list_are_refused_per_item(world: World) -> None:
    """A malformed client number or item id is refused like any other item; the rest is filed."""
    marie = world.people.client()
    office = world.people.office_staff(for_client=marie)
    m = world.application(marie)
    results = world.filing.file_many(
        office,
        [("not a client!", m), (marie.actor_id, "../etc/passwd"), (marie.actor_id, m)],
        EnquiryRequest(question="News?"),
    )
    assert [(r.ok, r.error) for r in results] == [
        (False, "enquiries.refused"), (False, "enquiries.refused"), (True, None),
    ]  # fmt: skip
    refused = [h for h in world.history(marie.actor_id) if h["decision"] == "denied"]
    assert [(h["action"], h["reason"], h["item_id"]) for h in refused] == [
        ("enquiry.file", "not_found", None)
    ]
