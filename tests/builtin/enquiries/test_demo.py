"""
Enquiries in the demo portal, on SQLite and PostgreSQL, seeded as the demo
seeds it (the notifications outbox attached first, emails kept in memory):
the MP office's open enquiry about Marie's tracked visa is in the office's
list; its east riding staff member sees it (the west one does not); Marie
asks for urgent processing from the visa's page, the published criteria
shown, the result saying which she meets; the office files one request for
Marie and Élodie (both authorized its east group; Ahmed did not); and the
seeded urgent request for both sisters, decided with reasons, and Élodie's
answered question are on their pages and in everyone's emails, each in
their own language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from ircc_account import FrontDoor
from ircc_account.builtin import enquiries, notes, notify, status
from ircc_account.demo._notices import notification_settings
from ircc_account.demo._seed import seed
from tests.web.conftest import (
    CALLBACK,
    ORIGIN,
    Browser,
    Idp,
    Site,
    browser,  # noqa: F401 (a fixture)
    demo_plugins,
    door_config,
    idp,  # noqa: F401 (a fixture)
    portal,
    signed_in,
    text,
)


@pytest.fixture
def sender() -> notify.MemorySender:
    """Where the demo's emails go."""
    return notify.MemorySender()


@pytest.fixture
def site(
    database_url: str,
    idp: Idp,  # noqa: F811 (a fixture)
    sender: notify.MemorySender,
) -> Iterator[Site]:
    """The demo portal over a database seeded as the demo does: the tracker, notes, enquiries and notifications, the outbox watching before the seed."""
    from ircc_account import Keyring

    service = notify.NotificationsService()
    plugins = {
        **demo_plugins(),
        status.SERVICE_ID: status.plugin,
        notes.SERVICE_ID: notes.plugin,
        enquiries.SERVICE_ID: enquiries.plugin,
        notify.SERVICE_ID: service,
    }
    keyring = Keyring.generate()
    config = door_config(
        database_url,
        idp,
        keyring=keyring,
        plugin_settings={notify.SERVICE_ID: notification_settings(ORIGIN, sender)},
    )
    with FrontDoor.open(config, plugins=plugins) as door:
        worker = service.attach(door)
        with httpx.Client(verify=idp.tls.client_context) as http:
            seeded = seed(door, http, CALLBACK)
        worker.drain()
        yield Site(
            door=door,
            web=portal(door, seeded, messages=sender),
            seeded=seeded,
            idp=idp,
            database_url=database_url,
            keyring=keyring,
        )


def _visa(site: Site) -> str:
    with site.door.store.unit_of_work(write=False) as uow:
        found = uow.items.for_account(site.seeded.accounts["marie"], service_id=status.SERVICE_ID)
    return next(i.item_id for i in found if i.reference == "V300765432")


def test_the_office_sees_its_seeded_enquiry_and_only_within_its_access_group(
    site: Site,
    browser: Callable[..., Browser],  # noqa: F811 (a fixture)
) -> None:
    """Sam (east riding group, which Marie authorized) lists the open enquiry; Pat (west) lists none."""
    sam = signed_in(site, browser, "sam")
    assert 'id="office-enquiries-link"' in sam.get("/account/clients").text
    page = sam.get("/account/enquiries")
    assert page.status_code == 200, page.text
    assert 'id="office-enquiries"' in page.text and "Waiting for the department" in text(page)
    pat = signed_in(site, browser, "pat")
    assert 'id="office-enquiries"' not in pat.get("/account/enquiries").text


def test_marie_requests_urgent_processing_from_the_visa_page(
    site: Site,
    browser: Callable[..., Browser],  # noqa: F811 (a fixture)
) -> None:
    """The form shows each category's published criteria; filed, the page says which she meets; her list shows it beside the office's."""
    visa = _visa(site)
    b = signed_in(site, browser, "marie")
    assert 'id="enquire-link"' in b.get(f"/account/items/{visa}").text
    form = b.get(f"/account/items/{visa}/enquire")
    assert form.status_code == 200
    assert "Someone's life or safety is at risk now." in text(form)
    filed = b.post(
        f"/account/items/{visa}/enquire",
        {
            "question": "My father is in intensive care in Montréal; I must go now.",
            "category": "medical_emergency",
            "criterion_medical_emergency_care": "yes",
            "criterion_medical_emergency_how": "yes",
        },
    )
    assert filed.status_code == 200, filed.text
    words = text(filed)
    assert "Meets: The client or a close family member needs urgent medical care." in words
    assert "Does not meet: A doctor's letter describes the need and its urgency." in words
    listed = text(b.get("/account/enquiries"))
    assert "A medical emergency – Waiting for the department" in listed
    assert "Question – Waiting for the department" in listed  # the office's, seeded
    refused = b.post(
        f"/account/items/{visa}/enquire", {"question": "Help", "category": "alien_invasion"}
    )
    assert refused.status_code == 400 and 'id="error-summary"' in refused.text


def _permit(site: Site) -> str:
    with site.door.store.unit_of_work(write=False) as uow:
        found = uow.items.for_account(site.seeded.accounts["elodie"], service_id=status.SERVICE_ID)
    return next(i.item_id for i in found if i.reference == "W100765432")


def _an_item_of(site: Site, username: str) -> str:
    with site.door.store.unit_of_work(write=False) as uow:
        return uow.items.for_account(site.seeded.accounts[username])[0].item_id


def test_the_office_files_one_request_about_several_clients_applications(
    site: Site,
    browser: Callable[..., Browser],  # noqa: F811 (a fixture)
) -> None:
    """Sam's one urgent request names Marie's visa, Élodie's work permit (both sisters authorized the east group) and an application of Ahmed's (who never did): the sisters' are filed, Ahmed's refused on its own line; a malformed list is a 400 with the error summary."""
    marie, ahmed = site.seeded.accounts["marie"], site.seeded.accounts["ahmed"]
    elodie = site.seeded.accounts["elodie"]
    sam = signed_in(site, browser, "sam")
    page = sam.get("/account/enquiries")
    assert 'id="several-form"' in page.text
    request = {
        "question": "Both families must travel to a funeral abroad next week.",
        "category": "family_emergency_travel",
        "criterion_family_emergency_travel_family": "yes",
    }
    bad = sam.post("/account/enquiries/several", {**request, "targets": "just one column"})
    assert bad.status_code == 400 and 'id="error-summary"' in bad.text
    filed = sam.post(
        "/account/enquiries/several",
        {
            **request,
            "targets": f"{marie}, {_visa(site)}\n{elodie}, {_permit(site)}\n"
            f"{ahmed}, {_an_item_of(site, 'ahmed')}\n",
        },
    )
    assert filed.status_code == 200, filed.text
    rows = text(filed)
    assert rows.count("Filed: the department answers by") == 2
    assert rows.count("Refused: you may not ask about this application.") == 1
    office = text(sam.get("/account/enquiries"))
    assert "A family emergency" in office or "family emergency" in office.lower()
    pat = signed_in(site, browser, "pat")
    assert 'id="several-form"' in pat.get("/account/enquiries").text
    marie_browser = signed_in(site, browser, "marie")
    assert 'id="several-form"' not in marie_browser.get("/account/enquiries").text


def test_the_seeded_decisions_and_answer_are_shown_and_emailed_in_each_language(
    site: Site,
    sender: notify.MemorySender,
    browser: Callable[..., Browser],  # noqa: F811 (a fixture)
) -> None:
    """The seed's urgent request for both sisters is decided with reasons each sister reads in her language, Élodie's question is answered, and the sisters, Marie's consultant and the office's caseworker were each emailed in their own language."""
    marie = text(signed_in(site, browser, "marie").get("/account/enquiries"))
    assert "Travel soon for a family emergency – Urgent processing granted" in marie
    assert "The family emergency and the travel date are shown" in marie
    elodie = signed_in(site, browser, "elodie")
    # She reads French: her pages come in French once she is signed in.
    assert '<html lang="fr"' in elodie.get("/account/enquiries").text
    hers = text(elodie.get("/account/enquiries"))
    assert "Un voyage imminent pour une urgence familiale – Traitement urgent refusé" in hers
    assert "Un permis de travail n'est pas nécessaire pour voyager à l'étranger" in hers
    assert "Un agent vérifie votre offre d'emploi auprès de l'employeur ce mois-ci." in hers
    emails = sorted(
        (m.email_address.split("@")[0], m.template_id)
        for m in sender.sent
        if m.template_id.startswith(("demo-urgent_decided-", "demo-enquiry_answered-"))
    )
    assert emails == sorted(
        [
            ("marie", "demo-urgent_decided-en"),
            ("jean", "demo-urgent_decided-en"),  # Marie's consultant
            ("elodie", "demo-urgent_decided-fr"),
            ("sam", "demo-urgent_decided-en"),  # the east group's caseworker, for each sister
            ("sam", "demo-urgent_decided-en"),
            ("elodie", "demo-enquiry_answered-fr"),
            ("sam", "demo-enquiry_answered-en"),
        ]
    )
    inbox = text(elodie.get("/account/messages"))
    assert "Une demande urgente au sujet de Permis de travail (suivi) a été tranchée" in inbox
