"""
The notices the department's desks owe, driven through the real desks on
SQLite and PostgreSQL: a document request, a decision recorded with its
notes, an enquiry's answer and a request for more information each reach
the client and their representative in their own languages; and an enquiry
about an item reaches a representative whose grant covers the item's own
service (the status tracker), not the enquiries service the entry names.
"""

from __future__ import annotations

import datetime as dt

from ircc_account.builtin import enquiries, notes, status
from ircc_account.services import BilingualText
from tests.builtin.status.helpers import STAFF

from .conftest import Notified

DOING = BilingualText(
    "An officer is checking your passport and travel history this week.",
    "Un agent vérifie votre passeport et vos voyages cette semaine.",
)
MUST = BilingualText(
    "Nothing for now; we will write to you if we need a document.",
    "Rien pour l'instant; nous vous écrirons s'il nous faut un document.",
)
MORE = BilingualText(
    "Please send a letter from the hospital describing the care needed.",
    "Veuillez envoyer une lettre de l'hôpital décrivant les soins requis.",
)
REASON = BilingualText(
    "The hospital's letter shows the emergency; your file is finished today.",
    "La lettre de l'hôpital montre l'urgence; votre dossier est terminé aujourd'hui.",
)
URGENT = enquiries.EnquiryRequest(
    question="My father is in intensive care in Montréal; I must travel now.",
    category="medical_emergency",
    attested={"care"},
)


def _new(notified: Notified, before: int, email: str) -> list[str]:
    """The templates sent to *email* since the server had *before* messages."""
    return [r.template_id for r in notified.server.received[before:] if r.email_address == email]


def test_each_desk_s_notice_reaches_client_and_representative_in_their_language(
    notified: Notified,
) -> None:
    """A document request, a decision with its notes, an enquiry's answer and a request for more information each send their own template, in French to the client and in English to her representative."""
    client = notified.client("Gagnon", language="fr", given="Luc")
    rep = notified.representative(client, language="en")
    item = notified.application(client)
    notified.worker.drain()
    before = len(notified.server.received)

    required = notified.desk.request(
        STAFF,
        item,
        status.Requirement(
            title=BilingualText("Bank statements", "Relevés bancaires"),
            due=dt.date.today() + dt.timedelta(days=20),
        ),
    )
    asked = notified.filing.file(
        client, client.actor_id, item, enquiries.EnquiryRequest(question="Where is my file?")
    )
    notified.enquiry_desk.answer(
        STAFF, client.actor_id, asked.enquiry_id, doing=DOING, client_must=MUST
    )
    urgent = notified.filing.file(client, client.actor_id, item, URGENT)
    notified.enquiry_desk.request_more(STAFF, client.actor_id, urgent.enquiry_id, MORE)
    notified.notes_desk.record_decision(
        STAFF,
        item,
        notes.Outcome.REFUSED,
        [
            notes.NoteReason(
                requirement=required,
                parts=[
                    BilingualText(
                        "The statements do not show enough funds.",
                        "Les relevés ne montrent pas assez de fonds.",
                    )
                ],
            )
        ],
    )
    notified.worker.drain()

    kinds = ["document_requested", "enquiry_answered", "enquiry_more_info", "decision"]
    assert _new(notified, before, notified.email(client)) == [f"tpl-{k}-fr" for k in kinds]
    assert _new(notified, before, notified.email(rep)) == [f"tpl-{k}-en" for k in kinds]
    labels = [
        r.personalisation["label"]
        for r in notified.server.received[before:]
        if r.email_address == notified.email(client)
    ]
    # The item's title in the client's language; the decision's own item for the decision.
    assert labels == ["Visa de visiteur"] * 3 + ["Décision : Visa de visiteur"]


def test_a_grant_on_the_items_service_hears_of_its_enquiries(notified: Notified) -> None:
    """A representative whose grant covers the status tracker hears of an enquiry's answer, a request for more information and an urgent decision about a tracked application; one whose grant covers another service does not."""
    client = notified.client()
    tracker = notified.representative(
        client, language="fr", coverage="service", target=status.SERVICE_ID
    )
    elsewhere = notified.representative(client, coverage="service", target=notes.SERVICE_ID)
    item = notified.application(client)
    notified.worker.drain()
    before = len(notified.server.received)

    asked = notified.filing.file(
        client, client.actor_id, item, enquiries.EnquiryRequest(question="Where is my file?")
    )
    notified.enquiry_desk.answer(
        STAFF, client.actor_id, asked.enquiry_id, doing=DOING, client_must=MUST
    )
    more = notified.filing.file(client, client.actor_id, item, URGENT)
    notified.enquiry_desk.request_more(STAFF, client.actor_id, more.enquiry_id, MORE)
    decided = notified.filing.file(client, client.actor_id, item, URGENT)
    notified.enquiry_desk.decide(
        STAFF, client.actor_id, decided.enquiry_id, granted=True, reason=REASON
    )
    notified.worker.drain()

    kinds = ["enquiry_answered", "enquiry_more_info", "urgent_decided"]
    assert _new(notified, before, notified.email(client)) == [f"tpl-{k}-en" for k in kinds]
    assert _new(notified, before, notified.email(tracker)) == [f"tpl-{k}-fr" for k in kinds]
    assert _new(notified, before, notified.email(elsewhere)) == []
