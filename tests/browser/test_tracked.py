"""
The built-in services' item pages in the browser, so axe-core checks them
too: a tracked application (its requests, waits, estimate and chart), a
decision with its reasons and withheld marker, and the per-item enquiry
form with its mistakes and its result, in English and French.
"""

from __future__ import annotations

from collections.abc import Callable

from ircc_account.builtin import notes, status
from ircc_account.demo import DemoSite

from .conftest import Person


def _marie_items(demo: DemoSite, service_id: str) -> dict[str, str]:
    """Marie's items in *service_id*, by reference."""
    with demo.door.store.unit_of_work(write=False) as uow:
        found = uow.items.for_account(demo.seeded.accounts["marie"], service_id=service_id)
    return {i.reference or "": i.item_id for i in found}


def test_marie_reads_her_tracked_visa_and_her_decision_then_asks_about_the_visa(
    demo: DemoSite, people: Callable[..., Person]
) -> None:
    """Marie opens her tracked visa (requests, waits, estimate and its chart) and her decision (reasons, a withheld marker) from her dashboard, in English and French, then files an enquiry from the visa's page, a mistake first; axe-core checks every page."""
    visa = _marie_items(demo, status.SERVICE_ID)["V300765432"]
    (decision,) = _marie_items(demo, notes.SERVICE_ID).values()

    marie = people("marie")
    marie.sign_in("marie")
    marie.click(f"#item-link-{visa}")
    assert marie.path == f"/account/items/{visa}"
    assert "Police certificate" in marie.text("#requirements")
    assert "A panel physician" in marie.text("#waits")
    # The demo's own counts of similar decided visas give it an estimate.
    assert "Days left for half of similar applications" in marie.text("#estimate-text")
    chart = marie.page.locator("#estimate-chart svg[role='img']")
    assert chart.count() == 1 and chart.locator("title").count() == 1
    marie.shot("tracked-visa")
    marie.click("#language-toggle")
    assert marie.lang == "fr" and "Certificat de police" in marie.text("#requirements")
    marie.shot("tracked-visa-fr")

    marie.click("#back-to-dashboard")
    marie.click(f"#item-link-{decision}")
    assert "But de la visite" in marie.text("#reasons")
    assert "[Passage retenu : Loi sur la protection" in marie.text("#reasons")
    marie.shot("decision-notes-fr")
    marie.click("#language-toggle")
    assert marie.lang == "en" and "[Withheld: Privacy Act, section 26" in marie.text("#reasons")
    marie.shot("decision-notes")

    marie.click("#application-link")
    assert marie.has("#requirements")
    marie.click("#back-to-dashboard")
    marie.click(f"#item-link-{visa}")
    marie.click("#enquire-link")
    assert marie.path == f"/account/items/{visa}/enquire" and marie.has("#enquiry-form")
    marie.shot("enquire")
    marie.page.fill("#question", "   ")
    marie.click("#enquiry-submit", status=400)
    assert marie.has("#error-summary")
    marie.shot("enquire-mistake")
    marie.page.fill("#question", "Has the panel physician sent my medical exam results?")
    marie.click("#enquiry-submit")
    assert marie.has("#enquiry-filed")
    marie.shot("enquiry-filed")
    marie.click("#to-enquiries")
    # The office's seeded question and its urgent request for both sisters, and hers.
    assert marie.page.locator("li.enquiry").count() == 3
