"""
The demo's pages that no journey in ``test_journeys.py`` passes through,
opened in the browser so axe-core checks them too: opening an account
(with its mistakes), linking a second way to sign in, the step-up page,
the profile, the emails a person was sent, the not-found pages, and the
development provider's own pages in English.
"""

from __future__ import annotations

from collections.abc import Callable

from ircc_account.builtin import notify
from ircc_account.demo import DemoSite

from .conftest import Person


def test_a_newcomer_opens_an_account(demo: DemoSite, people: Callable[..., Person]) -> None:
    """A person the provider knows but the portal does not is asked who she is; her mistakes are shown beside their fields, in an error summary, and then her account opens in the language she chose."""
    lucie = people("lucie")
    lucie.open("/")
    lucie.click("#sign-in-as-lucie")
    assert lucie.path == "/register" and lucie.has("#register-form")
    lucie.shot("register")

    lucie.page.fill("#family_name", "")
    lucie.page.fill("#email", "not an address")
    lucie.click("#register-submit", status=400)
    assert lucie.page.title().startswith("Error")
    assert lucie.has("#error-summary") and lucie.has("#email-error")
    assert lucie.page.get_attribute("#family_name", "aria-invalid") == "true"
    lucie.shot("register-mistakes")

    lucie.page.fill("#given_names", "Lucie")
    lucie.page.fill("#family_name", "Gagnon")
    lucie.page.fill("#date_of_birth", "1990-04-27")
    lucie.page.fill("#email", "lucie@example.test")
    lucie.page.check("#preferred_language-fr")
    lucie.click("#register-submit")
    assert lucie.path == "/account" and lucie.lang == "fr"
    assert lucie.has("#dashboard-tiles")


def test_a_client_links_a_second_way_to_sign_in(
    demo: DemoSite, people: Callable[..., Person]
) -> None:
    """From her profile a signed-in client signs in at the provider as an identity the portal does not know, is asked whether to link it, and links it."""
    marie = people("marie")
    marie.sign_in("marie")
    marie.click("#nav-profile")
    assert marie.text("#client-number") == demo.seeded.accounts["marie"]
    marie.shot("profile")

    marie.click("#add-credential")
    assert marie.page.url.startswith(demo.provider_url) and marie.lang == "en"
    assert marie.heading() == "Choose a test user"
    marie.shot("provider-sign-in")
    marie.click("#user-lucie")
    assert marie.path == "/link" and marie.has("#link-form")
    marie.shot("link")
    marie.click("#link-submit")
    assert marie.path == "/account" and marie.has("#dashboard-tiles")


def test_the_step_up_and_not_found_pages(demo: DemoSite, people: Callable[..., Person]) -> None:
    """The step-up page, the sign-in page, the portal's not-found page, an unknown item, and the provider's error and signed-out pages are all accessible, in the right language and status."""
    marie = people("marie")
    marie.open("/login?next=/account/history")
    assert marie.has("#sign-in-dev")
    marie.open("/no-such-page", status=404)
    assert marie.has("#error-heading")
    marie.sign_in("marie")
    marie.open("/step-up?level=3&next=/account")
    assert marie.has("#step-up-form")
    marie.shot("step-up")
    marie.open("/account/items/no-such-item", status=404)
    assert marie.has("#error-heading") and marie.has("#error-reference")
    marie.click("#language-toggle", status=404)
    assert marie.lang == "fr" and marie.has("#error-heading")

    marie.open(demo.provider_url + "/authorize", status=400)
    assert marie.has("main")
    marie.open(demo.provider_url + "/logout")
    assert marie.has("main")


def test_a_client_reads_the_emails_she_was_sent(
    demo: DemoSite, people: Callable[..., Person]
) -> None:
    """From her profile a client opens the emails the demo kept for her: the security notices of the access she gave, in her language."""
    worker = notify.plugin.worker
    assert worker is not None
    worker.drain()  # what the seed owes, delivered now rather than at the worker's next round
    marie = people("marie")
    marie.sign_in("marie")
    marie.click("#nav-profile")
    marie.click("#messages-link")
    assert marie.path == "/account/messages" and marie.has("#messages")
    assert "Access to a file was given to Jean Roy" in marie.text("#messages")
    marie.shot("messages")
