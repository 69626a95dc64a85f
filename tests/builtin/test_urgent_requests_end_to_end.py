"""
Issue 16 end to end: an MP office's staff member files a request for urgent
processing for two clients, the department decides both with their reasons,
and the office, the clients and the clients' representatives are told, each
in their own language, through GC Notify (a local server speaking its API on
127.0.0.1), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterator

import pytest

from ircc_account import Actor, Capacity, FrontDoor, FrontDoorConfig, Keyring
from ircc_account.builtin import enquiries, notify, status
from ircc_account.builtin.applications import FolderDocumentStore
from ircc_account.services import BilingualText
from ircc_account.testing import LicencesInGoodStanding, People

from .notify.notify_server import API_KEY, NotifyServer

PORTAL = "https://account.example.test/"
TEMPLATES = {
    k.value: {"en": f"tpl-{k.value}-en", "fr": f"tpl-{k.value}-fr"} for k in notify.NotificationKind
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\nstartxref\n9\n%%EOF\n"
OFFICE = "office-mp-papineau"


@pytest.fixture
def server() -> Iterator[NotifyServer]:
    """A GC Notify API on 127.0.0.1."""
    s = NotifyServer().start()
    yield s
    s.stop()


def _email(door: FrontDoor, actor: Actor) -> str:
    with door.store.unit_of_work(write=False) as uow:
        return uow.accounts.get(actor.account_id or actor.actor_id).contact.email


def test_an_office_files_for_two_clients_and_everyone_hears_of_the_decisions(
    database_url: str, server: NotifyServer, tmp_path: pathlib.Path
) -> None:
    """The office files for two clients at once, the department decides both with reasons, and the clients, their consultants and the office's caseworker each get the decision in their own language, once."""
    service = notify.NotificationsService()
    config = FrontDoorConfig(
        database_url=database_url,
        keyring=Keyring.generate(),
        licence_verifier=LicencesInGoodStanding(),
        plugin_settings={
            "notifications": {
                "api_key": API_KEY,  # as the portal hands it over from its secret store
                "base_url": server.url,
                "templates": TEMPLATES,
                "portal_url": PORTAL,
            }
        },
    )
    plugins = {
        status.SERVICE_ID: status.plugin,
        enquiries.SERVICE_ID: enquiries.plugin,
        "notifications": service,
    }
    with FrontDoor.open(config, plugins=plugins) as door:
        worker = service.attach(door)
        people = People(door)
        # Marie reads French, Bob English; each has a consultant, who reads the other language.
        marie = people.client(given_names="Marie", family_name="Tremblay", language="fr")
        bob = people.client(given_names="Bob", family_name="Singh", language="en")
        jean = people.representative(for_client=marie, display_name="Jean Roy, RCIC")
        ana = people.representative(for_client=bob, display_name="Ana Silva, RCIC")
        door.set_preferred_language(people.as_client(ana.account_id or ""), "fr")
        # Both authorize their MP's office (its "east" caseworkers) to enquire.
        sam = people.office_staff(for_client=marie, organisation_id=OFFICE)
        door.grants.give(
            people.as_client(bob.actor_id),
            grantee_id=OFFICE,
            grantee_is_organisation=True,
            access_group="east",
            scopes=["view_status", "enquire"],
            coverage="account",
        )
        officer = status.Staff(
            actor=Actor(actor_id="officer-4711", capacity=Capacity.OFFICER),
            office="ndl",
            role=status.StaffRole.OFFICER,
        )
        tracker = status.StatusDesk(door)
        visa = BilingualText("Visitor visa", "Visa de visiteur")
        marie_visa = tracker.open(
            officer, marie.actor_id, program="visitor-visa", reference="V1", title=visa
        )
        bob_visa = tracker.open(
            officer, bob.actor_id, program="visitor-visa", reference="V2", title=visa
        )
        worker.drain()  # the notices of the grants given above
        before = len(server.received)

        documents = FolderDocumentStore(tmp_path / "evidence")
        filing = enquiries.Enquiries(door, documents=documents)
        desk = enquiries.EnquiryDesk(door, documents=documents)
        filed = filing.file_many(
            sam,
            [(marie.actor_id, marie_visa.item_id), (bob.actor_id, bob_visa.item_id)],
            enquiries.EnquiryRequest(
                question="Their mother is gravely ill in Lyon; the family must travel next week.",
                category="family_emergency_travel",
                attested={"family", "soon", "proof"},
                travel_date=dt.date.today() + dt.timedelta(days=7),
                evidence=[enquiries.Upload(filename="hospital-letter.pdf", data=PDF)],
            ),
        )
        assert [(f.ok, f.error) for f in filed] == [(True, None), (True, None)]
        reasons = {
            marie.actor_id: BilingualText(
                "The hospital's letter shows the emergency; your file is finished today.",
                "La lettre de l'hôpital montre l'urgence; votre dossier est terminé aujourd'hui.",
            ),
            bob.actor_id: BilingualText(
                "The travel date is more than 30 days away; ask again closer to it.",
                "La date du voyage est dans plus de 30 jours; redemandez plus près de celle-ci.",
            ),
        }
        for f in filed:
            assert f.enquiry is not None
            desk.decide(
                officer,
                f.client_id,
                f.enquiry.enquiry_id,
                granted=f.client_id == marie.actor_id,
                reason=reasons[f.client_id],
            )
        assert worker.drain() > 0

        got = sorted(
            (r.email_address, r.template_id)
            for r in server.received[before:]
            if r.template_id.startswith("tpl-urgent_decided-")
        )
        expected = sorted(
            [
                (_email(door, marie), "tpl-urgent_decided-fr"),
                (_email(door, bob), "tpl-urgent_decided-en"),
                (_email(door, jean), "tpl-urgent_decided-en"),
                (_email(door, ana), "tpl-urgent_decided-fr"),
                # The office's caseworker in the access group both clients chose, for each.
                (_email(door, sam), "tpl-urgent_decided-en"),
                (_email(door, sam), "tpl-urgent_decided-en"),
            ]
        )
        assert got == expected
        # Each decision with its reason, to the filer and the client, in the client's file.
        for client, outcome in ((marie, "granted"), (bob, "refused")):
            (seen,) = filing.for_client(sam, client.actor_id)
            assert seen.state.value == outcome
            assert seen.outcome is not None and seen.outcome.reason == reasons[client.actor_id]
            (own,) = filing.for_client(people.as_client(client.actor_id), client.actor_id)
            assert own.outcome is not None and own.outcome.reason == reasons[client.actor_id]
        # Nothing is left to send, and nothing died on the way.
        assert worker.drain() == 0
        assert service.outbox is not None and service.outbox.dead_letters() == []
