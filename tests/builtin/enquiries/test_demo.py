"""
Enquiries in the demo portal, on SQLite and PostgreSQL: the seed puts the
MP office's enquiry about Marie's tracked visa in the office's list; its
east riding staff member sees it (the west one does not), and Marie asks
for urgent processing from the visa's page, the published criteria shown,
the result saying which she meets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ircc_account.builtin import enquiries, notes, status
from tests.web.conftest import (
    Browser,
    Idp,
    Site,
    browser,  # noqa: F401 (a fixture)
    idp,  # noqa: F401 (a fixture)
    seeded_site,
    signed_in,
    text,
)


@pytest.fixture
def site(database_url: str, idp: Idp) -> Iterator[Site]:  # noqa: F811 (idp is a fixture)
    """The demo portal over a seeded database, with the status tracker and enquiries."""
    plugins = {
        status.SERVICE_ID: status.plugin,
        notes.SERVICE_ID: notes.plugin,
        enquiries.SERVICE_ID: enquiries.plugin,
    }
    with seeded_site(database_url, idp, plugins=plugins) as made:
        yield made


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


def _an_item_of(site: Site, username: str) -> str:
    with site.door.store.unit_of_work(write=False) as uow:
        return uow.items.for_account(site.seeded.accounts[username])[0].item_id


def test_the_office_files_one_request_about_several_clients_applications(
    site: Site,
    browser: Callable[..., Browser],  # noqa: F811 (a fixture)
) -> None:
    """Sam's one urgent request names Marie's visa and an application of Ahmed's (who never authorized the east group): Marie's is filed, Ahmed's refused on its own line; a malformed list is a 400 with the error summary."""
    marie, ahmed = site.seeded.accounts["marie"], site.seeded.accounts["ahmed"]
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
        {**request, "targets": f"{marie}, {_visa(site)}\n{ahmed}, {_an_item_of(site, 'ahmed')}\n"},
    )
    assert filed.status_code == 200, filed.text
    rows = text(filed)
    assert rows.count("Filed: the department answers by") == 1
    assert rows.count("Refused: you may not ask about this application.") == 1
    office = text(sam.get("/account/enquiries"))
    assert "A family emergency" in office or "family emergency" in office.lower()
    pat = signed_in(site, browser, "pat")
    assert 'id="several-form"' in pat.get("/account/enquiries").text
    marie_browser = signed_in(site, browser, "marie")
    assert 'id="several-form"' not in marie_browser.get("/account/enquiries").text
