"""
Notifications in the demo portal, on SQLite and PostgreSQL: the MP office's
caseworker requests urgent processing for a client from the visa's page,
the department decides it with its reason, and the client and the
caseworker each read the email they were sent, in the language chosen for
them; nobody reads another person's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ircc_account import Actor, Capacity
from ircc_account.builtin import enquiries, notes, notify, status
from ircc_account.demo._notices import notification_settings
from ircc_account.services import BilingualText
from tests.web.conftest import (
    ORIGIN,
    Browser,
    Idp,
    Site,
    browser,  # noqa: F401 (a fixture)
    idp,  # noqa: F401 (a fixture)
    seeded_site,
    signed_in,
    text,
)

OFFICER = status.Staff(
    actor=Actor(actor_id="officer-4711", capacity=Capacity.OFFICER),
    office="ndl",
    role=status.StaffRole.OFFICER,
)


@pytest.fixture
def site(database_url: str, idp: Idp) -> Iterator[tuple[Site, notify.DeliveryWorker]]:  # noqa: F811
    """The seeded demo portal with the tracker, notes, enquiries and notifications to memory."""
    sender = notify.MemorySender()
    service = notify.NotificationsService()
    plugins = {
        status.SERVICE_ID: status.plugin,
        notes.SERVICE_ID: notes.plugin,
        enquiries.SERVICE_ID: enquiries.plugin,
        notify.SERVICE_ID: service,
    }
    settings = {"notifications": notification_settings(ORIGIN, sender)}
    with seeded_site(
        database_url, idp, plugins=plugins, messages=sender, plugin_settings=settings
    ) as made:
        yield made, service.attach(made.door)


def _visa(site: Site) -> str:
    with site.door.store.unit_of_work(write=False) as uow:
        found = uow.items.for_account(site.seeded.accounts["marie"], service_id=status.SERVICE_ID)
    return next(i.item_id for i in found if i.reference == "V300765432")


def test_the_client_and_the_office_read_the_decision_they_were_emailed(
    site: tuple[Site, notify.DeliveryWorker],
    browser: Callable[..., Browser],  # noqa: F811 (a fixture)
) -> None:
    """Sam files for Marie, the department decides with its reason, and Marie (in French) and Sam each find the email on their messages page; Pat finds none about it."""
    demo, worker = site
    visa = _visa(demo)
    marie_id = demo.seeded.accounts["marie"]
    marie = signed_in(demo, browser, "marie")
    # Marie reads French: her emails are written from the French templates.
    marie.get("/account")
    assert marie.post("/language", {"lang": "fr", "next": "/account"}).status_code == 303
    sam = signed_in(demo, browser, "sam")
    sam.get("/account/clients")
    assert sam.post("/account/clients/act", {"client_id": marie_id}).status_code == 303
    assert sam.get(f"/account/items/{visa}/enquire").status_code == 200
    filed = sam.post(
        f"/account/items/{visa}/enquire",
        {
            "question": "Ms. Tremblay's father is in intensive care in Lyon; she must travel now.",
            "category": "medical_emergency",
            "criterion_medical_emergency_care": "yes",
        },
    )
    assert filed.status_code == 200, filed.text
    sam.post("/account/clients/stop")
    (urgent,) = [e for e in enquiries.EnquiryDesk(demo.door).open_enquiries(OFFICER) if e.category]
    enquiries.EnquiryDesk(demo.door).decide(
        OFFICER,
        marie_id,
        urgent.enquiry_id,
        granted=False,
        reason=BilingualText(
            "A doctor's letter is needed to process it urgently.",
            "Une lettre du médecin est nécessaire pour la traiter en urgence.",
        ),
    )
    assert worker.drain() > 0

    page = marie.get("/account/messages")
    assert page.status_code == 200, page.text
    words = text(page)
    assert "Une demande urgente au sujet de" in words and "a été tranchée" in words
    assert "en français" in words
    sams = text(sam.get("/account/messages"))
    assert "An urgent request about" in sams and "was decided" in sams
    pat = text(signed_in(demo, browser, "pat").get("/account/messages"))
    assert "An urgent request about" not in pat
