"""
The demo portal in a real browser: headless Chromium from Debian's
``chromium`` package, driven by Playwright's Python API.

One browser serves the whole test session. Each test starts its own demo
(the portal and the development provider, over HTTPS on loopback, with
their own throw-away certificate authority) and opens one browser context
per person, so tests share no state and run in any order. Every page a
person opens goes through axe-core (WCAG 2.1 A and AA, and axe's best
practices) and must have no violation. Screenshots of the main pages, and
the list of every page checked, go to ``build/browser/``.

Chromium is looked for at ``IRCC_CHROMIUM`` or ``/usr/bin/chromium``.
Without it, or without Playwright, these tests are skipped with a loud
reason, except under ``CI``, where they fail: CI must run them.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import socket
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ircc_account.demo import DemoConfig, DemoSite, start_demo

#: Where Debian's ``chromium`` package puts the browser.
DEFAULT_CHROMIUM = "/usr/bin/chromium"
#: As root Chromium needs ``--no-sandbox``; the rest keep a closed network
#: quiet (no background connections to update, sync or QUIC endpoints).
#: Playwright gives every launch a fresh temporary ``--user-data-dir`` of
#: its own (it refuses one in ``args``), removed when the browser closes.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: The axe-core rules run on every page: WCAG 2.0 and 2.1, levels A and AA,
#: and axe's best practices (landmarks, one main, heading order, ...).
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")
SESSION_COOKIE = "__Host-ircc_session"

_FALSE = frozenset({"", "0", "false", "no", "off"})


def in_ci() -> bool:
    """Whether ``CI`` is set to something true."""
    return os.environ.get("CI", "").strip().lower() not in _FALSE


def chromium_path() -> str:
    """The Chromium executable these tests drive."""
    return os.environ.get("IRCC_CHROMIUM") or DEFAULT_CHROMIUM


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or ``None`` when they can."""
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright and axe-playwright-python are not installed (the test extra)"
    path = chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return f"no Chromium at {path} (bash .ci/install-chromium.sh installs it)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here ``browser`` (``-m "not browser"`` leaves them out)."""
    here = pathlib.Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture(scope="session")
def artefacts(pytestconfig: pytest.Config) -> Iterator[pathlib.Path]:
    """``build/browser/`` under the checkout: screenshots, and the pages axe checked."""
    folder = pytestconfig.rootpath / "build" / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    audited: list[str] = []
    pytestconfig.stash[_AUDITED] = audited
    yield folder
    if audited:
        (folder / "axe-pages.txt").write_text("\n".join(audited) + "\n", encoding="utf-8")


_AUDITED = pytest.StashKey[list[str]]()


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """
    One headless Chromium for all the browser tests (Debian's package,
    through Playwright), or a loud skip (a failure under ``CI``) without it.

    Package-scoped, not session-scoped: Playwright's synchronous API keeps
    an asyncio loop running in the main thread while it is open, and the
    tests after these (``tests/web``) run loops of their own there.
    """
    reason = missing_browser()
    if reason is not None:
        if in_ci():
            pytest.fail(f"{reason}; CI must run the browser tests")
        pytest.skip(f"{reason}: the browser and accessibility tests did not run")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def demo() -> Iterator[DemoSite]:
    """The demo, started for this test: its provider and portal over HTTPS on loopback."""
    site = start_demo(DemoConfig(port=_free_port()))
    server = site.serve()
    try:
        yield site
    finally:
        # The door's and the demo's HTTP clients keep idle keep-alive
        # connections to the provider (sign-in) and to the portal (the
        # provider's back-channel logout), and a server stopping waits for
        # them, ten seconds each: DemoSite.close stops the provider first,
        # so close the clients before either server (again is harmless).
        site.door.close()
        site._http.close()
        site.provider.close()
        server.stop()
        site.close()


class Person:
    """
    One person's browser window on the demo: a context of its own (cookies,
    language), a page, and every page it opens checked by axe-core.

    Attributes:
        name: Who this is, for screenshots and messages.
        page: The Playwright page.
        status: The HTTP status of the last page opened.
    """

    def __init__(
        self,
        name: str,
        site: DemoSite,
        context: Any,
        artefacts: pathlib.Path,
        audited: list[str],
    ) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.name = name
        self.site = site
        self.context = context
        self.page = context.new_page()
        self.status = 0
        self.audit_pages = True
        self._artefacts = artefacts
        self._audited = audited
        self._axe = Axe()
        self.console_errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"script: {error}"))

    def _console(self, message: Any) -> None:
        # A refusal page answers 403 or 401, which Chromium logs as a failed
        # load; what matters is a page breaking its own policy.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.console_errors.append(message.text)

    def __repr__(self) -> str:
        return f"Person({self.name!r})"

    # Navigation -----------------------------------------------------------

    def url(self, path: str) -> str:
        """The portal's address for *path*."""
        return self.site.url + path

    def open(self, path_or_url: str, *, status: int = 200) -> Any:
        """Open a page of the portal (a path) or the provider (a URL); check it."""
        url = path_or_url if "://" in path_or_url else self.url(path_or_url)
        response = self.page.goto(url)
        return self._arrived(response, status)

    def click(self, selector: str, *, status: int = 200) -> Any:
        """Click something that opens a page (a link or a form's button); check it."""
        with self.page.expect_navigation() as navigation:
            self.page.click(selector)
        return self._arrived(navigation.value, status)

    def press(self, key: str, *, status: int = 200) -> Any:
        """Press *key* where the focus is, which opens a page; check it."""
        with self.page.expect_navigation() as navigation:
            self.page.keyboard.press(key)
        return self._arrived(navigation.value, status)

    def _arrived(self, response: Any, status: int) -> Any:
        assert response is not None, f"{self.name}: no page at {self.page.url}"
        self.status = response.status
        assert self.status == status, (
            f"{self.name} got {self.status} at {self.page.url}, not {status}: "
            f"{self.heading()!r} {self.text('#error-message') if self.has('#error-message') else ''}"
        )
        if self.audit_pages:
            self.audit()
        return response

    def sign_in(self, username: str) -> None:
        """Sign in as one of the demo's people from the home page (``login_hint``)."""
        self.open("/")
        self.click(f"#sign-in-as-{username}")
        assert self.path == "/account", self.path

    def sign_out(self) -> None:
        """Sign out through the header's button (and the provider's logout)."""
        self.click("#sign-out")
        assert self.path == "/signed-out", self.path

    # Reading --------------------------------------------------------------

    @property
    def path(self) -> str:
        """The path (and query) of the page shown, on the portal."""
        parts = urllib.parse.urlsplit(self.page.url)
        assert _origin(self.page.url) == self.site.url, self.page.url
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def lang(self) -> str:
        """The page's ``lang``."""
        return str(self.page.evaluate("document.documentElement.lang"))

    def heading(self) -> str:
        """The page's ``h1``."""
        first = self.page.locator("h1").first
        return first.inner_text().strip() if first.count() else ""

    def has(self, selector: str) -> bool:
        """Whether the page shows *selector*."""
        return self.page.locator(selector).count() > 0

    def text(self, selector: str) -> str:
        """The visible text of *selector*, whitespace collapsed."""
        return " ".join(self.page.locator(selector).first.inner_text().split())

    def cookie(self, name: str = SESSION_COOKIE) -> str | None:
        """A cookie's value in this browser."""
        for c in self.context.cookies(self.site.url):
            if c["name"] == name:
                return str(c["value"])
        return None

    # Checks and artefacts -------------------------------------------------

    def audit(self) -> None:
        """Run axe-core on the page shown: no violation of WCAG 2.1 A/AA or best practice."""
        results = self._axe.run(
            self.page,
            options={
                "runOnly": {"type": "tag", "values": list(AXE_TAGS)},
                "resultTypes": ["violations"],
            },
        )
        where = urllib.parse.urlsplit(self.page.url)
        if not self._audited:
            engine = results.response.get("testEngine", {})
            self._audited.append(
                f"# axe-core {engine.get('version', '?')}, rules tagged {', '.join(AXE_TAGS)}"
            )
        self._audited.append(
            f"{self.status} {self.lang} {where.netloc}{where.path} "
            f"{self.page.title()!r} violations={results.violations_count}"
        )
        assert results.violations_count == 0, (
            f"axe-core on {self.page.url} ({self.lang}, {self.name}):\n{results.generate_report()}"
        )

    def shot(self, name: str) -> pathlib.Path:
        """A full-page screenshot, kept as a test artefact."""
        path = self._artefacts / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def people(
    chromium: Any, demo: DemoSite, artefacts: pathlib.Path, pytestconfig: pytest.Config
) -> Iterator[Callable[..., Person]]:
    """
    Open a browser window as someone: ``people("marie")``. Each window is a
    context of its own, confined to the demo's two origins.

    The demo makes a new certificate authority every time it starts, and
    Chromium takes ``--ignore-certificate-errors-spki-list`` only at launch,
    so with one browser per session and one demo per test the exception is
    made per context (``ignore_https_errors``), and each context is held to
    the portal's and the provider's origins: a request anywhere else is
    aborted, and any that was even attempted fails the test. Everywhere
    else the browser still checks certificates (``test_setup.py``).
    """
    opened: list[tuple[Person, list[str]]] = []
    allowed = {demo.url, _origin(demo.provider_url)}
    audited = pytestconfig.stash[_AUDITED]

    def open_person(name: str, *, locale: str = "en-CA") -> Person:
        context = chromium.new_context(
            ignore_https_errors=True,
            locale=locale,
            viewport={"width": 1024, "height": 768},
        )
        elsewhere: list[str] = []

        def guard(route: Any) -> None:
            if _origin(route.request.url) in allowed:
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort("blockedbyclient")

        def watch(request: Any) -> None:
            # Redirects are not routed: see them here.
            if _origin(request.url) not in allowed and request.url not in elsewhere:
                elsewhere.append(request.url)

        context.route("**/*", guard)
        context.on("request", watch)
        person = Person(name, demo, context, artefacts, audited)
        opened.append((person, elsewhere))
        return person

    yield open_person
    problems = []
    for person, elsewhere in opened:
        with contextlib.suppress(Exception):
            person.context.close()
        if elsewhere:
            problems.append(f"{person.name} reached beyond the demo: {elsewhere}")
        if person.console_errors:
            problems.append(f"{person.name}'s pages reported: {person.console_errors}")
    assert not problems, "\n".join(problems)
