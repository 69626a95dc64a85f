"""
Both built-in services in the demo portal, on SQLite and PostgreSQL: the
demo's seeding puts a tracked application and a refused one with decision
notes in Marie's file through the services' desks, and Marie and her
consultant (within his grant) see them on the dashboard and their pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ircc_account.builtin import notes, status
from ircc_account.services import ItemState
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
    """The demo portal over a seeded database, the built-in services beside the demo's own."""
    plugins = {status.SERVICE_ID: status.plugin, notes.SERVICE_ID: notes.plugin}
    with seeded_site(database_url, idp, plugins=plugins) as made:
        yield made


def _items(site: Site, service_id: str) -> list[str]:
    """Marie's items in *service_id*, by reference (the visa's before the study permit's)."""
    with site.door.store.unit_of_work(write=False) as uow:
        found = uow.items.for_account(site.seeded.accounts["marie"], service_id=service_id)
    return [i.item_id for i in sorted(found, key=lambda i: i.reference or "", reverse=True)]


def test_the_demo_seeds_both_services_and_marie_sees_them(
    site: Site,
    browser: Callable[..., Browser],  # noqa: F811 (a fixture)
) -> None:
    """Marie's dashboard has a tile for each built-in service with its items; the tracked visa's page shows its timeline and the request to answer, and answering it works; the decision's page offers a review."""
    visa, study = _items(site, status.SERVICE_ID)
    (decision,) = _items(site, notes.SERVICE_ID)
    b = signed_in(site, browser, "marie")
    dashboard = b.get("/account")
    assert dashboard.status_code == 200
    for service_id in (status.SERVICE_ID, notes.SERVICE_ID, "demo-status"):
        assert f'id="tile-{service_id}"' in dashboard.text
    for item_id in (visa, study, decision):
        assert f'id="item-link-{item_id}"' in dashboard.text
    page = b.get(f"/account/items/{visa}")
    words = text(page)
    assert page.status_code == 200 and "V300765432" in words
    assert "Send: Police certificate" in words
    # The generic item page shows the timeline: the phases, the request, the wait.
    assert words.index("your fingerprints and photo") < words.index(
        "An officer is reviewing whether you meet the requirements"
    )
    assert "Police certificate – Action required" in words
    assert "Your medical exam results" in words
    answered = b.post(f"/account/items/{visa}/actions", {"action": "respond:req-1"})
    assert answered.status_code in (200, 303), answered.text
    with site.door.store.unit_of_work(write=False) as uow:
        assert uow.items.get(visa).state is ItemState.IN_PROGRESS
    page = b.get(f"/account/items/{decision}")
    assert page.status_code == 200 and "Request a review" in text(page)
    assert "Decision: Refused" in text(page)


def test_the_consultant_sees_the_tracked_application_within_his_grant(
    site: Site,
    browser: Callable[..., Browser],  # noqa: F811 (a fixture)
) -> None:
    """Jean, whose grant has view_status and act, sees Marie's tracked visa and may answer its request; his access is in Marie's history."""
    visa, _ = _items(site, status.SERVICE_ID)
    b = signed_in(site, browser, "jean")
    b.get("/account/clients")
    switched = b.post("/account/clients/act", {"client_id": site.seeded.accounts["marie"]})
    dashboard = b.follow(switched)
    assert f'id="item-link-{visa}"' in dashboard.text
    page = b.get(f"/account/items/{visa}")
    assert page.status_code == 200 and "Send: Police certificate" in text(page)
    assert any(
        r.item_id == visa and r.capacity.value == "representative" for r in site.history("marie")
    )
