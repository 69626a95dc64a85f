"""
The demo portal's journeys through the ASGI app, on SQLite and PostgreSQL:
a client's dashboard, items and representatives; a licensed consultant and
MP office staff acting within their grants and refused outside them; every
access and refusal in the client's history.
"""

from __future__ import annotations

import pathlib
import re
import sys
import textwrap
from collections.abc import Callable, Iterator

import attrs
import pytest

from ircc_account import FrontDoor
from ircc_account.services import ENTRY_POINT_GROUP, AllowedPlugin

from .conftest import Browser, Site, demo_plugins, door_config, portal, signed_in, text


def _grant_ids(page: str, action: str) -> list[str]:
    return re.findall(rf'id="{action}-([^"]+)"', page)


def test_a_client_sees_tiles_items_and_a_failing_service_as_unavailable(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """The dashboard shows each service as a tile: the status tile lists the client's applications, the failing one says unavailable; the page is 200."""
    b = signed_in(site, browser, "marie")
    page = b.get("/account")
    assert page.status_code == 200
    assert 'id="tile-demo-status"' in page.text and 'class="tile ok"' in page.text
    assert 'class="tile unavailable" id="tile-demo-messages"' in page.text
    for item in ("app-1001", "app-1002", "app-1003"):
        assert f'id="item-link-{item}"' in page.text
    assert "app-1004" not in page.text  # Ahmed's
    assert "Action required" in text(page)


def test_a_client_opens_an_item_reads_its_timeline_and_withdraws_it(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """The item page shows the summary, the timeline newest first and the offered actions; withdrawing changes its state and is in the history."""
    b = signed_in(site, browser, "marie")
    page = b.get("/account/items/app-1001")
    assert page.status_code == 200
    words = text(page)
    assert "V300123456" in words and "We are reviewing your eligibility." in words
    assert words.index("Your biometrics were received.") < words.index(
        "We received your application."
    )
    assert 'id="action-withdraw"' in page.text and 'id="action-ask"' in page.text
    done = b.post("/account/items/app-1001/actions", {"action": "withdraw"})
    assert done.status_code == 200 and "The application is withdrawn." in text(done)
    assert "Withdrawn" in text(b.get("/account/items/app-1001"))
    again = b.post("/account/items/app-1001/actions", {"action": "withdraw"})
    assert "can no longer be withdrawn" in text(again)
    assert any(r.action.endswith("perform") or "update" in r.action for r in site.history("marie"))


def test_another_clients_item_is_not_found_and_the_attempt_is_recorded(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """Marie asking for Ahmed's item, or an id that does not exist, gets the same 404 page; the attempt is recorded once in her history (SEC-50)."""
    b = signed_in(site, browser, "marie")
    before = len(site.refusals("marie"))
    theirs = b.get("/account/items/app-1004")
    nowhere = b.get("/account/items/app-9999")
    assert theirs.status_code == nowhere.status_code == 404
    assert text(theirs).split("Status 404")[0] == text(nowhere).split("Status 404")[0]
    assert len(site.refusals("marie")) == before + 2
    assert not site.refusals("ahmed")


def test_a_client_accepts_one_request_refuses_another_and_revokes(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """Ahmed accepts the consultant's request and refuses the office's; then revokes the consultant; each change shows a notice and moves the grant."""
    b = signed_in(site, browser, "ahmed")
    page = b.get("/account/representatives")
    assert "Jean Roy, RCIC" in text(
        page
    ) and "Office of the MP for Ottawa Centre (access group riding-west)" in text(page)
    jean_request, office_request = _grant_ids(page.text, "accept")
    accepted = b.post("/account/representatives/accept", {"grant_id": jean_request})
    assert accepted.headers["location"] == "/account/representatives?done=accepted"
    page = b.follow(accepted)
    assert 'id="notice"' in page.text and f'id="revoke-{jean_request}"' in page.text
    refused = b.post("/account/representatives/decline", {"grant_id": office_request})
    page = b.follow(refused)
    assert "You refused the request." in text(page) and not _grant_ids(page.text, "accept")
    revoked = b.post("/account/representatives/revoke", {"grant_id": jean_request})
    page = b.follow(revoked)
    assert not _grant_ids(page.text, "revoke") and 'id="grants-past"' in page.text
    # A grant that cannot change any more: 409, nothing changes.
    assert b.post("/account/representatives/revoke", {"grant_id": jean_request}).status_code == 409


def test_a_client_authorizes_a_representative_and_mistakes_are_tied_to_fields(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """The authorization form reports missing fields, an unknown number and a scope an office may not hold (400); a good one gives the grant."""
    b = signed_in(site, browser, "ahmed")
    b.get("/account/representatives")
    empty = b.post(
        "/account/representatives/give", {"grantee_kind": "office", "coverage": "account"}
    )
    assert empty.status_code == 400
    for field in ("grantee_id", "scopes", "access_group"):
        assert f'href="#{field}"' in empty.text and f'id="{field}-error"' in empty.text
    unknown = b.post(
        "/account/representatives/give",
        {
            "grantee_kind": "representative",
            "grantee_id": "rep-nobody",
            "scope_view_status": "yes",
            "coverage": "account",
        },
    )
    assert unknown.status_code == 400 and 'id="grantee_id-error"' in unknown.text
    too_much = b.post(
        "/account/representatives/give",
        {
            "grantee_kind": "office",
            "grantee_id": "org-mp-ottawa-centre",
            "access_group": "riding-west",
            "scope_act": "yes",
            "coverage": "account",
        },
    )
    assert too_much.status_code == 400 and 'id="rule"' in too_much.text
    good = b.post(
        "/account/representatives/give",
        {
            "grantee_kind": "office",
            "grantee_id": "org-mp-ottawa-centre",
            "access_group": "riding-west",
            "scope_view_status": "yes",
            "scope_enquire": "yes",
            "coverage": "service:demo-status",
            "valid_until": "2099-12-31",
        },
    )
    assert good.headers["location"] == "/account/representatives?done=given"
    assert "One service (demo-status)" in text(b.follow(good))


def test_who_touched_my_file_lists_accesses_and_refusals(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """The client's history page lists who did what, including a representative's access, newest first."""
    jean = signed_in(site, browser, "jean")
    jean.get("/account/clients")
    jean.post("/account/clients/act", {"client_id": site.seeded.accounts["marie"]})
    jean.get("/account/items/app-1002")
    marie = signed_in(site, browser, "marie")
    page = marie.get("/account/history")
    assert page.status_code == 200 and 'id="history-table"' in page.text
    assert "Your representative Jean Roy, RCIC" in text(page)


def test_the_history_page_filters_refusals_and_pages_older_lines(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """ "Only refused" shows Jean's refused attempt with its reason in words; a long history pages through "Older" with no line twice; a forged page token is a 400 page."""
    jean = signed_in(site, browser, "jean")
    jean.get("/account/clients")
    jean.post("/account/clients/act", {"client_id": site.seeded.accounts["marie"]})
    assert jean.get("/account/items/app-9999").status_code == 404
    marie = signed_in(site, browser, "marie")
    for _ in range(55):
        marie.get("/account")
    refused = marie.get("/account/history?refusals=1")
    assert refused.status_code == 200
    lines = re.findall(r'<tr class="decision-(\w+)">', refused.text)
    assert lines and set(lines) == {"denied"}
    assert "Jean Roy, RCIC" in text(refused) and 'class="reason"' in refused.text

    seen: list[str] = []
    page = marie.get("/account/history")
    pages = 1
    while True:
        assert page.status_code == 200
        seen += re.findall(r'<time datetime="([^"]+)">', page.text)
        older = re.search(r'id="history-older" href="([^"]+)"', page.text)
        if older is None:
            break
        page = marie.get(older.group(1).replace("&amp;", "&"))
        pages += 1
        assert 'id="history-newest"' in page.text
    assert pages >= 2 and len(seen) > 55
    assert seen == sorted(seen, reverse=True)
    assert marie.get("/account/history?page=not-a-token").status_code == 400


def test_a_consultant_acts_for_a_client_within_the_grant_and_is_refused_outside_it(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """Jean lists Marie, switches to her (new session id), sees and withdraws her application; a client he has no grant for is refused and recorded once in that client's file."""
    b = signed_in(site, browser, "jean")
    clients = b.get("/account/clients")
    assert clients.status_code == 200 and "Test" not in text(clients)
    assert "Marie Tremblay" in text(clients) and "Ahmed" not in text(clients)
    before = b.cookie
    switched = b.post("/account/clients/act", {"client_id": site.seeded.accounts["marie"]})
    assert switched.status_code == 303 and b.cookie != before
    dashboard = b.follow(switched)
    assert 'id="acting-banner"' in dashboard.text and 'id="item-link-app-1001"' in dashboard.text
    assert 'id="nav-history"' not in dashboard.text
    item = b.get("/account/items/app-1001")
    assert 'id="action-withdraw"' in item.text and 'id="action-ask"' not in item.text
    assert "withdrawn" in text(b.post("/account/items/app-1001/actions", {"action": "withdraw"}))
    # Marie's history is hers only, even for her representative.
    assert b.get("/account/history").status_code == 403
    # Outside the grant: a client who has not authorized him.
    refusals = len(site.refusals("ahmed"))
    b.get("/account/clients")
    refused = b.post("/account/clients/act", {"client_id": site.seeded.accounts["ahmed"]})
    assert refused.status_code == 403
    assert "You do not have the client's authorization" in text(refused)
    assert len(site.refusals("ahmed")) == refusals + 1
    stopped = b.post("/account/clients/stop")
    assert stopped.headers["location"] == "/account/clients"


def test_mp_office_staff_act_only_through_their_access_group(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """Sam (east riding) sees Marie and may only ask questions; Pat (west riding) sees nobody and is refused Marie's file, recorded once."""
    sam = signed_in(site, browser, "sam")
    clients = sam.get("/account/clients")
    assert "Marie Tremblay" in text(clients) and "Office of the MP for Ottawa Centre" in text(
        clients
    )
    sam.post("/account/clients/act", {"client_id": site.seeded.accounts["marie"]})
    item = sam.get("/account/items/app-1002")
    assert 'id="action-ask"' in item.text and 'id="action-withdraw"' not in item.text
    asked = sam.post("/account/items/app-1002/actions", {"action": "ask"})
    assert "Your question was sent." in text(asked)
    forced = sam.post("/account/items/app-1002/actions", {"action": "withdraw"})
    assert forced.status_code == 403
    pat = signed_in(site, browser, "pat")
    assert 'id="no-clients"' in pat.get("/account/clients").text
    before = len(site.refusals("marie"))
    refused = pat.post("/account/clients/act", {"client_id": site.seeded.accounts["marie"]})
    assert refused.status_code == 403
    assert len(site.refusals("marie")) == before + 1


def test_a_revocation_refuses_the_representatives_next_click(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """Marie revokes Jean while he is acting for her: his very next request is a 403 page, recorded once (SEC-56)."""
    jean = signed_in(site, browser, "jean")
    jean.get("/account/clients")
    jean.post("/account/clients/act", {"client_id": site.seeded.accounts["marie"]})
    assert jean.get("/account/items/app-1001").status_code == 200
    marie = signed_in(site, browser, "marie")
    page = marie.get("/account/representatives")
    jeans = page.text.split("Jean Roy, RCIC", 1)[1]
    grant = re.search(r'id="revoke-([^"]+)"', jeans).group(1)
    marie.post("/account/representatives/revoke", {"grant_id": grant})
    before = len(site.refusals("marie"))
    refused = jean.get("/account/items/app-1001")
    assert refused.status_code == 403
    assert len(site.refusals("marie")) == before + 1


def test_someone_who_is_no_representative_has_no_clients(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """A client opening the clients page gets a 403 page that says they are not registered as a representative."""
    b = signed_in(site, browser, "ahmed")
    answer = b.get("/account/clients")
    assert answer.status_code == 403 and "not registered as a representative" in text(answer)


def test_my_clients_is_in_the_menu_of_representatives_only(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """A plain client's menu has no "My clients" link; a consultant's and an MP office staff member's have it."""
    assert 'id="nav-clients"' not in signed_in(site, browser, "ahmed").get("/account").text
    for person in ("jean", "sam"):
        home = signed_in(site, browser, person).get("/account")
        assert home.status_code == 200 and 'id="nav-clients"' in home.text, person


def test_the_profile_shows_the_numbers_people_exchange(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """The profile shows the client number, and for staff their representative number and office groups."""
    b = signed_in(site, browser, "sam")
    page = b.get("/account/profile")
    assert site.seeded.accounts["sam"] in page.text
    assert site.seeded.representatives["sam"] in page.text
    assert "riding-east" in text(page)


@pytest.fixture
def installed(tmp_path: pathlib.Path) -> Iterator[Callable[[str, str], AllowedPlugin]]:
    """Install a service plugin as a distribution with an entry point (a .dist-info on sys.path)."""
    sys.path.insert(0, str(tmp_path))

    def make(name: str, title: str) -> AllowedPlugin:
        module = f"web_plugin_{name.replace('-', '_')}"
        (tmp_path / f"{module}.py").write_text(
            textwrap.dedent(
                f"""
                from ircc_account import hookimpl
                from ircc_account.services import BilingualText, Rollout, ServiceManifest

                @hookimpl
                def ircc_service_manifest():
                    return ServiceManifest(
                        service_id={name!r},
                        version="2.0.0",
                        title=BilingualText({title!r}, {title!r} + " (fr)"),
                        description=BilingualText("Installed.", "Installé."),
                        rollout=Rollout(percentage=100),
                    )

                @hookimpl
                def ircc_client_items(ctx):
                    return list(ctx.items.list())
                """
            )
        )
        info = tmp_path / f"web_plugin_{name}-2.0.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: web-plugin-{name}\nVersion: 2.0.0\n"
        )
        (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{name} = {module}\n")
        return AllowedPlugin(name, f"web-plugin-{name}", "2.0.0")

    yield make
    sys.path.remove(str(tmp_path))


def test_an_installed_allowlisted_service_appears_without_portal_changes(
    site: Site, browser: Callable[..., Browser], installed: Callable[[str, str], AllowedPlugin]
) -> None:
    """A plugin published under the entry points and on the allowlist shows as a tile; one not on the allowlist does not."""
    allowed = installed("travel-history", "Travel history")
    installed("not-allowed", "Never shown")
    door = FrontDoor.open(
        door_config(site.database_url, site.idp, keyring=site.keyring, allowed_plugins=[allowed]),
        plugins=demo_plugins(),
    )
    try:
        other = attrs.evolve(site, door=door, web=portal(door, site.seeded))
        b = signed_in(other, browser, "marie")
        page = b.get("/account")
        assert 'id="tile-travel-history"' in page.text and "Travel history" in text(page)
        assert "Never shown" not in text(page)
    finally:
        door.close()
