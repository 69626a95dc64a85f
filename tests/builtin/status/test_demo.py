"""
Both built-in services in the demo portal, on SQLite and PostgreSQL: the
demo's seeding puts a tracked application and a refused one with decision
notes in Marie's file through the services' desks, and Marie and her
consultant (within his grant) see them on the dashboard and their pages.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from ircc_account import Actor, Capacity
from ircc_account.builtin import notes, status
from ircc_account.services import BilingualText, ItemState
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


def _section(html: str, heading_id: str) -> str:
    """The page's visible text from the heading *heading_id* to the next h2."""
    start = html.index(f'id="{heading_id}"')
    end = html.find("<h2", start)
    part = html[start : end if end != -1 else len(html)]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part)).replace("&#39;", "'").strip()


def _similar_decisions(site: Site, count: int) -> None:
    """*count* visitor visas decided yesterday at ndl after 60 to 100 days in biometrics (department-wide counts only)."""
    day = 86_400_000_000
    decided = int(dt.datetime.now(dt.UTC).timestamp() * 1_000_000) - day
    book = status.EstimateBook()
    with site.door.store.unit_of_work() as uow:
        for i in range(count):
            entered = decided - (60 + (i * 40) // count) * day
            book.add_decision(uow, "visitor-visa", [("biometrics", "ndl", entered)], decided)
        uow.commit()


def test_the_tracked_visa_shows_the_trackers_own_page(
    site: Site,
    browser: Callable[..., Browser],  # noqa: F811 (a fixture)
) -> None:
    """Marie's tracked visa shows its stage, the request with its details, due date and state, the wait on the panel physician apart, the document, staff by office and role, the released comment, and the estimate in text and as an inline SVG chart; in French too."""
    visa, _ = _items(site, status.SERVICE_ID)
    _similar_decisions(site, 25)
    b = signed_in(site, browser, "marie")
    page = b.get(f"/account/items/{visa}")
    assert page.status_code == 200
    html = page.text
    summary = _section(html, "item-summary")
    assert "Biometrics" in summary and "ndl" in summary
    needed = _section(html, "requirements-heading")
    assert "Police certificate" in needed and "Requested" in needed
    assert "From each country you lived in for 6 months or more since age 18" in needed
    assert "Translated into English or French by a certified translator" in needed
    due = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).date().isoformat()
    assert f'<time datetime="{due}">' in html
    assert "panel physician" not in needed and "medical exam" not in needed
    waits = _section(html, "waits-heading")
    assert "A panel physician: Your medical exam results" in waits
    assert "Police certificate" not in waits
    assert "Passport copy, received on" in _section(html, "documents-heading")
    touches = _section(html, "touches-heading")
    assert "ndl" in touches and "Immigration officer" in touches
    assert "Your biometrics were received; thank you." in _section(html, "comments-heading")
    estimate = _section(html, "estimate-heading")
    found = re.search(
        r"Days left for half of similar applications: (\d+) at most\. "
        r"For four in five: (\d+) at most\.",
        estimate,
    )
    assert found is not None, estimate
    median, p80 = found.groups()
    assert "From 25 similar applications decided recently" in estimate
    chart = re.search(r'<figure id="estimate-chart">\s*(<svg .*?</svg>)', html, re.S)
    assert chart is not None
    svg = chart.group(1)
    assert 'role="img"' in svg and "<rect " in svg and "<script" not in html
    title = re.search(r"<title>(.*?)</title>", svg)
    assert title is not None
    assert f"half within {median} days, four in five within {p80} days" in title.group(1)
    assert "25 similar applications" in title.group(1)
    # The answer is still offered beside the request.
    assert 'id="action-respond:req-1"' in html
    assert b.post("/language", {"lang": "fr", "next": f"/account/items/{visa}"}).is_redirect
    french = b.get(f"/account/items/{visa}").text
    assert "Certificat de police" in _section(french, "requirements-heading")
    assert "Un médecin désigné" in _section(french, "waits-heading")
    assert "Jours restants pour la moitié des demandes semblables" in french
    # Two page views, each one recorded access to the item (door.item), not two.
    assert _item_views(site, visa) == 2


def _item_views(site: Site, item_id: str) -> int:
    """How many times the audit log recorded the door's item page for *item_id*."""
    from ircc_account._storage._schema_audit import audit_entries as t

    with site.door.store.engine.connect() as conn:
        query = sa.select(sa.func.count()).where(
            t.c.action == "door.item.view", t.c.item_id == item_id
        )
        return int(conn.execute(query).scalar_one())


def test_without_enough_similar_decisions_the_page_says_there_is_no_estimate(
    site: Site,
    browser: Callable[..., Browser],  # noqa: F811 (a fixture)
) -> None:
    """With fewer similar decided applications than the estimate needs, the page says so and draws no chart."""
    visa, _ = _items(site, status.SERVICE_ID)
    _similar_decisions(site, 5)
    page = signed_in(site, browser, "marie").get(f"/account/items/{visa}")
    assert 'id="no-estimate"' in page.text and "<svg" not in page.text


def test_the_decision_shows_its_reasons_and_withheld_markers_never_the_passage(
    site: Site,
    browser: Callable[..., Browser],  # noqa: F811 (a fixture)
) -> None:
    """The decision's page shows each reason with its criterion or requirement and a marker with the legal basis where a passage was withheld; the withheld text is on neither language's page."""
    (decision,) = _items(site, notes.SERVICE_ID)
    b = signed_in(site, browser, "marie")
    page = b.get(f"/account/items/{decision}")
    assert page.status_code == 200
    reasons = _section(page.text, "reasons-heading")
    assert "Criterion: Purpose of visit" in reasons
    assert "The study plan does not explain why this program suits your goals." in reasons
    assert "Requirement of your application: Proof of funds" in reasons
    assert "The proof of funds does not cover the first year's tuition." in reasons
    assert "[Withheld: Privacy Act, section 26: information about another person]" in reasons
    assert "Request a review" in text(page) and "Refused" in _section(page.text, "item-summary")
    assert _item_views(site, decision) == 1
    # A decision whose officer drafted the withheld passage: it never reaches the page.
    secret = "Informant Zebulon Quaxley reported the sponsor"
    officer = status.Staff(
        actor=Actor(actor_id="officer-9", capacity=Capacity.OFFICER), office="ndl"
    )
    application = status.StatusDesk(site.door).open(
        officer,
        site.seeded.accounts["marie"],
        program="visitor-visa",
        reference="V300999999",
        title=BilingualText("Visitor visa (second)", "Visa de visiteur (deuxième)"),
    )
    second = notes.NotesDesk(site.door).record_decision(
        officer,
        application.item_id,
        notes.Outcome.REFUSED,
        [
            notes.NoteReason(
                criterion=notes.Criterion.TIES_TO_COUNTRY,
                parts=[
                    BilingualText("Your ties are not shown.", "Vos liens ne sont pas démontrés."),
                    notes.Withheld(basis=notes.Exemption.LAW_ENFORCEMENT, text=secret),
                ],
            )
        ],
    )
    shown = b.get(f"/account/items/{second.item_id}")
    assert shown.status_code == 200
    assert "[Withheld: Privacy Act, section 22: law enforcement and investigations]" in text(shown)
    assert "Zebulon" not in shown.text
    b.post("/language", {"lang": "fr", "next": "/account"})
    french = b.get(f"/account/items/{second.item_id}")
    assert "[Passage retenu : Loi sur la protection des renseignements personnels" in text(french)
    assert "Critère : Liens avec votre pays de résidence" in text(french)
    assert "Zebulon" not in french.text


def test_a_representative_without_the_notes_scope_sees_the_decision_without_its_reasons(
    site: Site,
    browser: Callable[..., Browser],  # noqa: F811 (a fixture)
) -> None:
    """Jean (view_status and act, not view_decision_notes) opens the decision: the generic page says his authorization leaves the reasons out, shows none, and no refusal is recorded."""
    (decision,) = _items(site, notes.SERVICE_ID)
    b = signed_in(site, browser, "jean")
    b.get("/account/clients")
    b.follow(b.post("/account/clients/act", {"client_id": site.seeded.accounts["marie"]}))
    before = len(site.refusals("marie"))
    page = b.get(f"/account/items/{decision}")
    assert page.status_code == 200 and 'id="notes-not-granted"' in page.text
    assert "Purpose of visit" not in page.text and 'id="reasons"' not in page.text
    assert len(site.refusals("marie")) == before


def test_the_demos_department_counts_give_the_tracked_visa_an_estimate(
    site: Site,
    browser: Callable[..., Browser],  # noqa: F811 (a fixture)
) -> None:
    """The counts the demo adds when it first starts (60 similar visas decided, no client data) are enough for the seeded visa's page to show an estimate and its chart."""
    from ircc_account.demo._counts import add_department_counts

    visa, _ = _items(site, status.SERVICE_ID)
    assert add_department_counts(site.door) == 60
    page = signed_in(site, browser, "marie").get(f"/account/items/{visa}")
    assert 'id="estimate-text"' in page.text and '<figure id="estimate-chart">' in page.text
    found = re.search(r"From (\d+) similar applications decided recently", text(page))
    assert found is not None and 20 <= int(found.group(1)) <= 60
