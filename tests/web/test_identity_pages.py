"""
The identity pages of the web front door, through the ASGI app, on SQLite
and PostgreSQL, with real logins at the development provider: sign-in and
the callback, registration, linking, step-up, logout and its return, and
the language toggle.
"""

from __future__ import annotations

import datetime as dt
import time
import urllib.parse
from collections.abc import Callable

import pytest

from .conftest import ORIGIN, SESSION, Browser, Site, signed_in, text


def test_a_new_person_signs_in_at_the_provider_page_and_opens_an_account(
    site: Site, browser: Callable[[], Browser]
) -> None:
    """A first sign-in (picked on the provider's own page) leads to registration; a valid form opens the account and signs in under a new id."""
    b = browser()
    answer = b.login("lucie", picker=True)
    assert answer.status_code == 303 and answer.headers["location"] == "/register"
    pending = b.cookie
    page = b.get("/register")
    assert page.status_code == 200 and 'id="register-form"' in page.text
    done = b.post(
        "/register",
        {
            "given_names": "Lucie",
            "family_name": "Gagnon",
            "date_of_birth": "1994-05-06",
            "email": "lucie@example.test",
            "preferred_language": "fr",
        },
    )
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert b.cookie not in (None, pending)
    assert "__Host-ircc_lang=fr" in ";".join(done.headers.get_list("set-cookie"))
    home = b.follow(done)
    assert home.status_code == 200 and '<html lang="fr">' in home.text


def test_a_registration_form_with_mistakes_shows_each_one_tied_to_its_field(
    site: Site, browser: Callable[[], Browser]
) -> None:
    """Every invalid field is reported at once (400), each message tied to its input, and no account is opened."""
    b = browser()
    b.login("lucie")
    b.get("/register")
    page = b.post(
        "/register",
        {
            "given_names": "",
            "family_name": "",
            "date_of_birth": "31/02/1990",
            "email": "not-an-email",
            "preferred_language": "de",
        },
    )
    assert page.status_code == 400
    for field in ("family_name", "date_of_birth", "email", "preferred_language"):
        assert f'id="{field}-error"' in page.text
        assert f'href="#{field}"' in page.text
    assert 'aria-describedby="date_of_birth-hint date_of_birth-error"' in page.text
    assert 'aria-invalid="true"' in page.text
    assert "given_names-error" not in page.text
    assert b.get("/register").status_code == 200  # still a new credential: nothing was opened


def test_a_returning_client_signs_in_and_lands_where_they_asked(
    site: Site, browser: Callable[[], Browser]
) -> None:
    """A known credential signs in under a new session id and returns to the page asked for before sign-in."""
    b = browser()
    first = b.get("/account/history")
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=%2Faccount%2Fhistory"
    b.get(first.headers["location"])
    start = b.post("/login/dev", {"next": "/account/history", "login_hint": "marie"})
    anonymous = b.cookie
    back = b.to_provider_and_back(start.headers["location"])
    assert back.status_code == 303 and back.headers["location"] == "/account/history"
    assert b.cookie != anonymous
    assert b.follow(back).status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "%2F%2Fevil.example",
        "/%2F/evil",
    ],
)
def test_return_paths_never_leave_the_site(
    site: Site, browser: Callable[[], Browser], target: str
) -> None:
    """next= to another site (absolute, protocol-relative, backslash, encoded) falls back to home, at sign-in, at the callback and at the language toggle (SEC-19)."""
    b = browser()
    page = b.get("/login", params={"next": target})
    assert 'name="next" value="/account"' in page.text
    start = b.post("/login/dev", {"next": target, "login_hint": "marie"})
    back = b.to_provider_and_back(start.headers["location"])
    assert back.headers["location"] == "/account"
    b.follow(back)
    toggled = b.post("/language", {"lang": "fr", "next": target})
    assert toggled.status_code == 303 and toggled.headers["location"] == "/account"


def test_a_replayed_callback_is_refused_and_signs_nobody_in(
    site: Site, browser: Callable[[], Browser]
) -> None:
    """The same authorization response twice: the second is a 400 page and the browser is not signed in by it (SEC-03)."""
    b = browser()
    b.get("/login")
    start = b.post("/login/dev", {"login_hint": "marie"})
    url = start.headers["location"]
    while not url.startswith(ORIGIN):
        url = urllib.parse.urljoin(url, b.idp.get(url).headers["location"])
    callback = url[len(ORIGIN) :]
    assert b.get(callback).status_code == 303
    b.client.cookies.clear()
    again = b.get(callback)
    assert again.status_code == 400
    assert again.headers["referrer-policy"] == "no-referrer"
    assert "Sign-in could not be completed" in text(again)
    assert SESSION not in again.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    "query",
    ["", "?code=x&state=y", "?code=a&code=b&state=s", "?error=access_denied&state=nope"],
)
def test_a_forged_or_malformed_callback_is_a_clear_400(
    site: Site, browser: Callable[[], Browser], query: str
) -> None:
    """A callback with no, unknown, duplicated or error parameters is a 400 page with no-referrer (no page-level relaxation, no form) and no-store, and no session."""
    b = browser()
    answer = b.get(f"/login/callback{query}")
    assert answer.status_code == 400
    assert answer.headers["referrer-policy"] == "no-referrer"
    # Its address may carry the code and state: the page keeps no-referrer.
    assert '<meta name="referrer"' not in answer.text and "<form" not in answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert SESSION not in answer.headers.get("set-cookie", "")
    assert 'src="http' not in answer.text and 'href="http' not in answer.text


def test_a_signed_in_client_links_a_second_credential(
    site: Site, browser: Callable[[], Browser]
) -> None:
    """Signing in with another credential from a signed-in session offers linking; once linked, that credential opens the same account."""
    b = signed_in(site, browser, "marie")
    b.get("/account/profile")
    start = b.post("/login/dev", {"next": "/account/profile", "login_hint": "lucie"})
    back = b.to_provider_and_back(start.headers["location"])
    assert back.headers["location"] == "/link"
    assert b.follow(back).status_code == 200
    linked = b.post("/link")
    assert linked.status_code == 303
    other = browser()
    assert other.login("lucie").headers["location"] == "/account"
    profile = other.get("/account/profile")
    assert site.seeded.accounts["marie"] in profile.text


def test_a_change_that_needs_a_fresh_login_asks_for_one_and_changes_nothing(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """Giving a grant with a stale login shows the step-up page (401) and writes no grant; signing in again returns to the page (SEC-40)."""
    quick = site.reopened(fresh_auth=dt.timedelta(seconds=1))
    try:
        b = signed_in(quick, browser, "marie")
        before = b.get("/account/representatives").text.count('id="revoke-')
        time.sleep(1.2)  # the login is now older than the fresh-login window
        answer = b.post(
            "/account/representatives/give",
            {
                "grantee_kind": "representative",
                "grantee_id": quick.seeded.representatives["jean"],
                "scope_view_status": "yes",
                "coverage": "account",
                "next": "/account/representatives",
            },
        )
        assert answer.status_code == 401 and 'id="step-up-form"' in answer.text
        assert 'name="next" value="/account/representatives"' in answer.text
        step = b.post(
            "/step-up", {"level": "2", "max_age": "60", "next": "/account/representatives"}
        )
        assert step.status_code == 303
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(step.headers["location"]).query)
        assert set(query) == {"client_id", "request_uri"}  # PAR: nothing else on the front channel
        back = b.to_provider_and_back(step.headers["location"], username="marie")
        assert back.headers["location"] == "/account/representatives"
        assert b.follow(back).text.count('id="revoke-') == before
    finally:
        quick.door.close()


def test_the_step_up_page_offers_to_sign_in_again(
    site: Site, browser: Callable[[], Browser]
) -> None:
    """GET /step-up shows the form; a level outside 1-4 is a 400 page."""
    b = signed_in(site, browser, "marie")
    assert 'id="step-up-submit"' in b.get("/step-up?level=3&next=/account").text
    assert b.get("/step-up?level=9").status_code == 400


def test_logout_ends_the_session_on_the_server_and_returns_with_its_state(
    site: Site, browser: Callable[[], Browser]
) -> None:
    """Logout deletes the session first, goes to the provider with id_token_hint and state, and the return checks the state once (SEC-37, SEC-43)."""
    b = signed_in(site, browser, "marie")
    b.get("/account")
    old = b.cookie
    out = b.post("/logout")
    assert out.status_code == 303
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(out.headers["location"]).query)
    assert {"id_token_hint", "state", "post_logout_redirect_uri"} <= set(query)
    back = b.to_provider_and_back(out.headers["location"])
    assert back.status_code == 303 and back.headers["location"] == "/signed-out"
    assert b.follow(back).status_code == 200
    # The old cookie is dead on the server, not just dropped by the browser.
    replay = browser()
    replay.client.cookies.set(SESSION, old, domain="portal.test")
    assert replay.get("/account").status_code == 401
    # The logout return is single use.
    state = query["state"][0]
    assert b.get(f"/logout/return?state={state}").status_code == 400


@pytest.mark.parametrize("query", ["", "?state=forged", "?state=a&state=b"])
def test_a_logout_return_with_a_bad_state_is_refused(
    site: Site, browser: Callable[[], Browser], query: str
) -> None:
    """A logout return with a missing, unknown or duplicated state is a 400 page (SEC-43)."""
    assert browser().get(f"/logout/return{query}").status_code == 400


def test_logging_out_an_ended_session_just_says_signed_out(
    site: Site, browser: Callable[[], Browser]
) -> None:
    """Logout from a page whose session already ended clears the cookie and shows the signed-out page."""
    b = signed_in(site, browser, "marie")
    b.get("/account")
    site.door.identity.end_all_sessions(site.seeded.accounts["marie"])
    out = b.post("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/signed-out"
    assert f"{SESSION}=;" in ";".join(out.headers.get_list("set-cookie"))


def test_the_language_toggle_sets_a_cookie_and_the_signed_in_preference(
    site: Site, browser: Callable[[], Browser]
) -> None:
    """Before sign-in the toggle sets a cookie; signed in, it also saves the account's preference, which the next sign-in restores."""
    b = browser()
    b.get("/")
    toggled = b.post("/language", {"lang": "fr", "next": "/"})
    assert toggled.status_code == 303 and toggled.headers["location"] == "/"
    page = b.follow(toggled)
    assert '<html lang="fr">' in page.text and "Se connecter" in page.text
    b.client.cookies.clear()
    b.login("ahmed")
    b.get("/account")
    b.post("/language", {"lang": "fr", "next": "/account"})
    b.post("/logout")
    fresh = browser()
    answer = fresh.login("ahmed")
    assert "__Host-ircc_lang=fr" in ";".join(answer.headers.get_list("set-cookie"))
    assert '<html lang="fr">' in fresh.follow(answer).text


@pytest.mark.parametrize("language", ["de", "", "EN", "fr-CA"])
def test_an_unknown_language_is_refused_and_nothing_is_set(
    site: Site, browser: Callable[[], Browser], language: str
) -> None:
    """The toggle takes only en or fr: anything else is a 400 page and no cookie."""
    b = browser()
    b.get("/")
    answer = b.post("/language", {"lang": language, "next": "/"})
    assert answer.status_code == 400
    assert "__Host-ircc_lang" not in answer.headers.get("set-cookie", "")


def test_an_unknown_language_cookie_or_header_falls_back(
    site: Site, browser: Callable[[], Browser]
) -> None:
    """A language cookie other than en or fr is ignored; Accept-Language picks French; the default is English."""
    b = browser()
    b.client.cookies.set("__Host-ircc_lang", "de", domain="portal.test")
    assert '<html lang="en">' in b.get("/").text
    assert '<html lang="fr">' in b.get("/", headers={"Accept-Language": "de, fr;q=0.8"}).text
    assert '<html lang="en">' in b.get("/", headers={"Accept-Language": "de;q=1, *"}).text


def test_a_session_ending_mid_journey_gives_a_clear_page_and_changes_nothing(
    site: Site, browser: Callable[[], Browser]
) -> None:
    """A form sent after the session ended: a 401 page in the person's language, the cookie cleared, the grant untouched, no refusal recorded."""
    b = signed_in(site, browser, "marie")
    b.get("/account")
    assert (
        b.post("/language", {"lang": "fr", "next": "/account/representatives"}).status_code == 303
    )
    page = b.get("/account/representatives")
    grant = page.text.split('id="revoke-', 1)[1].split('"', 1)[0]
    refusals = len(site.refusals("marie"))
    site.door.identity.end_all_sessions(site.seeded.accounts["marie"])
    answer = b.post(
        "/account/representatives/revoke", {"grant_id": grant, "next": "/account/representatives"}
    )
    assert answer.status_code == 401
    assert '<html lang="fr">' in answer.text and "Votre session a pris fin" in text(answer)
    assert f"{SESSION}=;" in ";".join(answer.headers.get_list("set-cookie"))
    assert 'href="/login?next=/account/representatives"' in answer.text.replace("%2F", "/")
    again = browser()
    again.login("marie")
    assert f'id="revoke-{grant}"' in again.get("/account/representatives").text
    assert len(site.refusals("marie")) == refusals
