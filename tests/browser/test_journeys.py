"""
The demo's journeys in a real browser, as people click through them: the
client's, the representative's (with a refusal outside the grant), a
revocation that takes effect on the representative's very next click, an
MP office staff member in the wrong access group, the language toggle,
logout ending the session on the server, and an MP office's urgent request
decided by the department and read, with its email, by the client.

The journeys find things by the pages' stable ids, never by position, so
the built-in services that land in the demo add tiles without breaking
them. Every page opened is checked by axe-core (``conftest.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ircc_account.audit import Decision, who_touched_my_file
from ircc_account.demo import DemoSite
from ircc_account.demo._seed import OFFICE_ID

from .conftest import SESSION_COOKIE, Person


def _refusals(demo: DemoSite, username: str) -> int:
    """How many refused accesses *username*'s file records."""
    account = demo.seeded.accounts[username]
    return sum(
        1 for r in who_touched_my_file(demo.door.store, account) if r.decision is Decision.DENIED
    )


def _grant_row(person: Person, table: str, who: str) -> str:
    """The grant id of the row in *table* whose "who" names *who*."""
    row = person.page.locator(f"#{table} tbody tr").filter(has_text=who)
    assert row.count() == 1, f"{who!r} in #{table}: {row.count()} rows"
    return str(row.get_attribute("id")).removeprefix("grant-")


def test_the_clients_journey(demo: DemoSite, people: Callable[..., Person]) -> None:
    """A client signs in, reads the dashboard and an application's timeline, accepts one request, refuses another, authorizes an office, revokes it, and reads all of it in "who touched my file"."""
    ahmed = people("ahmed")
    ahmed.sign_in("ahmed")
    assert ahmed.has("#dashboard-tiles") and ahmed.has("#tile-demo-status")
    assert ahmed.has("#item-link-app-1004") and ahmed.has("#item-link-app-1005")
    assert ahmed.page.get_attribute("#nav-dashboard", "aria-current") == "page"
    ahmed.shot("client-dashboard")

    ahmed.click("#item-link-app-1005")
    assert ahmed.heading() == "Citizenship"
    assert ahmed.text("#item-state") == "In progress"
    assert ahmed.page.locator("#timeline li").count() == 2
    assert "Background checks are under way." in ahmed.text("#timeline")
    ahmed.shot("client-item")

    ahmed.click("#nav-representatives")
    assert ahmed.page.locator("#grants-pending tbody tr").count() == 2
    consultant = _grant_row(ahmed, "grants-pending", "Jean Roy")
    office = _grant_row(ahmed, "grants-pending", "riding-west")
    ahmed.shot("client-requests")

    ahmed.click(f"#accept-{consultant}")
    assert "You accepted the request" in ahmed.text("#notice")
    assert ahmed.has(f"#grants-active #grant-{consultant}")

    ahmed.click(f"#decline-{office}")
    assert "You refused the request" in ahmed.text("#notice")
    assert "Refused" in ahmed.text(f"#grants-past #grant-{office}")
    assert not ahmed.has("#grants-pending")

    # The grant form: a mistake is shown beside its field, then it goes through.
    ahmed.click("#give-submit", status=400)
    assert ahmed.has("#error-summary") and ahmed.has("#grantee_id-error")
    assert ahmed.page.get_attribute("#grantee_id", "aria-invalid") == "true"
    ahmed.page.check("#grantee_kind-office")
    ahmed.page.fill("#grantee_id", OFFICE_ID)
    ahmed.page.fill("#access_group", "riding-east")
    ahmed.page.check("#scope_view_status")
    ahmed.click("#give-submit")
    assert "can now act for you" in ahmed.text("#notice")
    given = _grant_row(ahmed, "grants-active", "riding-east")
    ahmed.shot("client-representatives")

    ahmed.click(f"#revoke-{given}")
    assert "It ended at once" in ahmed.text("#notice")
    assert "Revoked" in ahmed.text(f"#grants-past #grant-{given}")
    assert ahmed.has(f"#grants-active #grant-{consultant}")

    ahmed.click("#nav-history")
    rows = ahmed.page.locator("#history-table tbody tr")
    # Two requests made at seeding, then accepted, refused, given and revoked
    # here: plain sentences ("asked for access to your file", "withdrew the
    # access given to ...").
    grant_lines = re.compile(r"access to your file|access given to|request for access")
    assert rows.filter(has_text=grant_lines).count() >= 6
    ahmed.shot("client-history")


def _act_for(person: Person, name: str) -> None:
    """From the clients page, act for the client called *name*."""
    person.click("#nav-clients")
    row = person.page.locator("#clients-table tbody tr").filter(has_text=name)
    assert row.count() == 1, person.text("main")
    person.click(f"#{row.locator('button').get_attribute('id')}")
    assert person.path == "/account" and person.has("#acting-banner")


def test_the_representatives_journey(demo: DemoSite, people: Callable[..., Person]) -> None:
    """A licensed consultant lists his clients, acts for one within her grant (withdraws an application), is refused what the grant does not cover and a client who never authorized him, each refusal recorded in that client's file, and stops acting."""
    marie = demo.seeded.accounts["marie"]
    jean = people("jean")
    jean.sign_in("jean")
    jean.click("#nav-clients")
    clients = jean.text("#clients-table")
    assert "Marie Tremblay" in clients and "Ahmed" not in clients
    jean.shot("representative-clients")

    _act_for(jean, "Marie Tremblay")
    assert marie in jean.text("#acting-banner")
    assert jean.has("#item-link-app-1002")
    assert not jean.has("#nav-representatives") and not jean.has("#nav-history")
    jean.shot("representative-acting")

    jean.click("#item-link-app-1002")
    assert jean.has("#action-withdraw")
    jean.click("#action-withdraw")
    assert jean.text("#action-heading") == "Done"
    assert jean.text("#action-message") == "The application is withdrawn."
    jean.click("#back-to-item")
    assert jean.text("#item-state") == "Withdrawn"

    # Outside the grant: Marie's own history is hers to read, not his.
    before = _refusals(demo, "marie")
    jean.open("/account/history", status=403)
    assert jean.has("#error-heading") and not jean.has("#history-table")
    jean.shot("representative-refused")
    assert _refusals(demo, "marie") == before + 1

    # A client who never authorized him (Ahmed's request is still waiting).
    before = _refusals(demo, "ahmed")
    jean.click("#return-home")
    assert jean.has("#acting-banner")
    jean.click("#stop-acting")
    assert jean.path == "/account/clients" and not jean.has("#acting-banner")
    jean.page.fill("#client_id", demo.seeded.accounts["ahmed"])
    jean.click("#act-by-number-submit", status=403)
    assert jean.has("#error-heading")
    assert _refusals(demo, "ahmed") == before + 1
    jean.open("/account")
    assert not jean.has("#acting-banner")


def test_a_revocation_takes_effect_on_the_representatives_very_next_click(
    demo: DemoSite, people: Callable[..., Person]
) -> None:
    """While a consultant is on his client's dashboard, she revokes his authorization in her own browser; his very next click is refused, and the refusal is in her file."""
    jean = people("jean")
    jean.sign_in("jean")
    _act_for(jean, "Marie Tremblay")
    assert jean.has("#item-link-app-1001")

    marie = people("marie")
    marie.sign_in("marie")
    marie.click("#nav-representatives")
    grant = _grant_row(marie, "grants-active", "Jean Roy")
    marie.click(f"#revoke-{grant}")
    assert "Revoked" in marie.text(f"#grants-past #grant-{grant}")

    before = _refusals(demo, "marie")
    jean.click("#item-link-app-1001", status=403)
    assert jean.has("#error-heading") and not jean.has("#timeline")
    jean.shot("representative-after-revocation")
    assert _refusals(demo, "marie") == before + 1

    marie.click("#nav-history")
    refused = marie.page.locator("#history-table tbody tr").filter(has_text="Refused")
    assert refused.filter(has_text="Jean Roy").count() >= 1


def test_mp_office_staff_in_the_wrong_access_group_are_refused(
    demo: DemoSite, people: Callable[..., Person]
) -> None:
    """Marie authorized her MP's office for its east riding group: Sam (east) sees her and asks about her file; Pat (west) does not see her, is refused by her number, and the refusal is in her file."""
    sam = people("sam")
    sam.sign_in("sam")
    _act_for(sam, "Marie Tremblay")
    sam.click("#item-link-app-1001")
    assert sam.has("#action-ask") and not sam.has("#action-withdraw")
    sam.click("#action-ask")
    assert sam.text("#action-heading") == "Done"

    pat = people("pat")
    pat.sign_in("pat")
    pat.click("#nav-clients")
    assert pat.has("#no-clients") and not pat.has("#clients-table")
    before = _refusals(demo, "marie")
    pat.page.fill("#client_id", demo.seeded.accounts["marie"])
    pat.click("#act-by-number-submit", status=403)
    assert pat.has("#error-heading") and not pat.has("#acting-banner")
    pat.shot("mp-staff-refused")
    assert _refusals(demo, "marie") == before + 1
    pat.open("/account")
    assert not pat.has("#acting-banner") and not pat.has("#item-link-app-1001")


def test_the_language_toggle_and_the_remembered_preference(
    demo: DemoSite, people: Callable[..., Person]
) -> None:
    """The toggle switches every page (and the provider's) between English and French; a client's choice is kept in her account, so after signing out she signs in again, in a fresh browser, in French."""
    marie = people("marie")
    marie.open("/")
    assert marie.lang == "en" and marie.heading() == "Your immigration account, in one place"
    marie.click("#language-toggle")
    assert marie.path == "/" and marie.lang == "fr"
    assert marie.heading() == "Votre compte d'immigration, en un seul endroit"
    assert marie.page.get_attribute("#language-toggle", "lang") == "en"
    marie.shot("home-fr")

    # The provider's own page speaks the portal's language (ui_locales), and
    # has a toggle of its own.
    marie.click("#sign-in")
    assert marie.has("#devidp-form") and marie.page.url.startswith(demo.provider_url)
    assert marie.lang == "fr" and marie.heading() == "Choisissez un utilisateur de test"
    marie.shot("provider-sign-in-fr")
    marie.click("#devidp-language")
    assert marie.lang == "en" and marie.heading() == "Choose a test user"
    marie.click("#devidp-language")
    assert marie.lang == "fr"
    marie.click("#user-marie")
    # At sign-in the account's own preference (English) wins.
    assert marie.path == "/account" and marie.lang == "en"
    marie.click("#language-toggle")
    assert marie.path == "/account" and marie.lang == "fr"
    assert marie.text("#nav-representatives") == "Mes représentants"
    marie.shot("dashboard-fr")
    # Every page of hers in French passes the same checks.
    for link in (
        "#nav-representatives",
        "#nav-history",
        "#nav-profile",
        "#nav-dashboard",
        "#item-link-app-1001",
    ):
        marie.click(link)
        assert marie.lang == "fr", link
    marie.sign_out()
    assert marie.lang == "fr"

    again = people("marie, another browser", locale="en-CA")
    again.open("/")
    assert again.lang == "en"
    again.click("#sign-in-as-marie")
    assert again.path == "/account" and again.lang == "fr"


def test_logout_ends_the_session_on_the_server(
    demo: DemoSite, people: Callable[..., Person]
) -> None:
    """Signing out ends the session in the database, not just in the browser: the old session cookie, replayed from another browser, is refused."""
    marie = people("marie")
    marie.sign_in("marie")
    old = marie.cookie()
    assert old
    marie.sign_out()
    assert marie.heading() == "You are signed out" and not marie.has("#sign-out")
    # The browser now holds a fresh anonymous session (for the language
    # and the sign-in form), not the old one.
    assert marie.cookie() != old
    marie.shot("signed-out")
    marie.open("/account")
    assert marie.path.startswith("/login?next=")

    thief = people("someone replaying the old cookie")
    thief.context.add_cookies(
        [
            {
                "name": SESSION_COOKIE,
                "value": old,
                "url": demo.url,
                "secure": True,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
    thief.open("/account", status=401)
    assert thief.has("#sign-in-again") and not thief.has("#dashboard-tiles")
    thief.shot("old-cookie-refused")


def test_an_mp_office_requests_urgent_processing_and_everyone_reads_the_decision(
    demo: DemoSite, people: Callable[..., Person]
) -> None:
    """Sam files one urgent request naming Marie's tracked visa from his office's enquiries page; the department decides it with its reason; Marie reads the decision and the email she was sent, and Sam the one he was sent."""
    from ircc_account import Actor, Capacity
    from ircc_account.builtin import enquiries, notify, status
    from ircc_account.services import BilingualText

    marie_id = demo.seeded.accounts["marie"]
    with demo.door.store.unit_of_work(write=False) as uow:
        found = uow.items.for_account(marie_id, service_id=status.SERVICE_ID)
    visa = next(i.item_id for i in found if i.reference == "V300765432")

    sam = people("sam")
    sam.sign_in("sam")
    sam.open("/account/enquiries")
    sam.page.fill("#targets", f"{marie_id}, {visa}")
    sam.page.fill("#question", "Ms. Tremblay's mother died in Lyon; the funeral is next week.")
    sam.page.check("#category-family_emergency_travel")
    sam.page.check("#criterion_family_emergency_travel_family")
    sam.click("#several-submit")
    assert "Filed: the department answers by" in sam.text("#several-results")
    sam.shot("several-filed")

    officer = status.Staff(
        actor=Actor(actor_id="officer-4711", capacity=Capacity.OFFICER),
        office="ndl",
        role=status.StaffRole.OFFICER,
    )
    desk = enquiries.EnquiryDesk(demo.door)
    (urgent,) = [e for e in desk.open_enquiries(officer) if e.category]
    reason = BilingualText(
        "Your file is being finished today so you can travel.",
        "Votre dossier est terminé aujourd'hui pour que vous puissiez voyager.",
    )
    desk.decide(officer, marie_id, urgent.enquiry_id, granted=True, reason=reason)
    worker = notify.plugin.worker
    assert worker is not None
    worker.drain()

    marie = people("marie")
    marie.sign_in("marie")
    marie.open("/account/enquiries")
    assert reason.en in marie.text("#file-enquiries")
    marie.click("#nav-profile")
    marie.click("#messages-link")
    assert "An urgent request about" in marie.text("#messages")
    marie.shot("urgent-decided-email")
    sam.click("#nav-profile")
    sam.click("#messages-link")
    assert "An urgent request about" in sam.text("#messages")
