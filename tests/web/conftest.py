"""
The demo portal (the web front door and the demo's pages) on a real
database (SQLite and PostgreSQL), with logins at the real development
provider over TLS, and a browser that walks through it with Starlette's
TestClient.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import secrets
import ssl
import urllib.parse
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import httpx
import jinja2
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from ircc_account import AssuranceLevel, FrontDoor, FrontDoorConfig, Keyring
from ircc_account.audit import Decision
from ircc_account.delegation import Licence, LicenceStatus
from ircc_account.demo import DemoMessages, DemoStatus, add_portal_pages
from ircc_account.demo._seed import PEOPLE, Seeded, dev_users, seed
from ircc_account.devidp import DevClient, DevelopmentProvider, DevProviderConfig, LocalTls
from ircc_account.identity import ClientSecret, ProviderConfig
from ircc_account.web import N_, Catalogue, WebApp, WebConfig

with warnings.catch_warnings():
    # Starlette 1.x asks for its httpx2 fork; plain httpx drives these tests the same way.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

ORIGIN = "https://portal.test"
CALLBACK = f"{ORIGIN}/login/callback"
LOGOUT_RETURN = f"{ORIGIN}/logout/return"
SECRET = "a-development-secret-of-some-length"
ACR_MAP = {
    "urn:ircc:loa:1": AssuranceLevel.LOW,
    "urn:ircc:loa:2": AssuranceLevel.MODERATE,
    "urn:ircc:loa:3": AssuranceLevel.HIGH,
}
SESSION = "__Host-ircc_session"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Licences:
    """A licensing body: every licence is good until it expires."""

    def verify(self, licence: Licence) -> LicenceStatus:
        return LicenceStatus(
            valid=True, expires_on=licence.expires_on, checked_at=dt.datetime.now(dt.UTC)
        )


@attrs.define
class Idp:
    """The running development provider and the CA that signed its certificate."""

    provider: DevelopmentProvider
    url: str
    tls: LocalTls


@pytest.fixture(scope="session")
def idp() -> Iterator[Idp]:
    """The development provider over HTTPS, with the portal registered and the demo's people."""
    tls = LocalTls.generate()
    provider = DevelopmentProvider(
        DevProviderConfig(
            development_mode=True,
            clients=(
                DevClient(
                    client_id="portal",
                    client_secret=SECRET,
                    redirect_uris=(CALLBACK,),
                    post_logout_redirect_uris=(LOGOUT_RETURN,),
                ),
            ),
            users=dev_users(),
        )
    )
    with provider.serve(ssl_context=tls.server_context) as server:
        yield Idp(provider=provider, url=server.url, tls=tls)
    provider.close()


def door_config(database_url: str, idp: Idp, **options: Any) -> FrontDoorConfig:
    """A front door configuration with logins at the development provider."""
    return provider_door_config(database_url, idp.url, idp.tls.client_context, **options)


def provider_door_config(
    database_url: str,
    issuer: str,
    client_context: ssl.SSLContext,
    *,
    secret: str = SECRET,
    origin: str = ORIGIN,
    **options: Any,
) -> FrontDoorConfig:
    """A front door configuration with logins at the provider *issuer*, trusted through *client_context*."""
    return FrontDoorConfig(
        database_url=database_url,
        keyring=options.pop("keyring", None) or Keyring.generate(),
        licence_verifier=Licences(),
        providers=[
            ProviderConfig(
                name="dev",
                issuer=issuer,
                client_id="portal",
                client_auth=ClientSecret(secret=secret),
                redirect_uri=f"{origin}/login/callback",
                post_logout_redirect_uri=f"{origin}/logout/return",
                acr_map=ACR_MAP,
            )
        ],
        provider_tls=client_context,
        **options,
    )


def portal(
    door: FrontDoor, seeded: Seeded | None, *, messages: Any = None, **options: Any
) -> WebApp:
    """The demo portal's pages on the web front door, over *door*."""
    web = WebApp(
        door,
        WebConfig(
            origin=options.pop("origin", ORIGIN),
            csrf_key=options.pop("csrf_key", None) or secrets.token_bytes(32),
            provider_labels={"dev": N_("the development sign-in service")},
            **options,
        ),
        templates=[jinja2.PackageLoader("ircc_account.demo", "templates")],
        catalogues=[Catalogue.from_package("ircc_account.demo", "demo")],
    )
    add_portal_pages(
        web,
        people=PEOPLE,
        names={} if seeded is None else seeded.names,
        messages=messages,
    )
    return web


@attrs.define
class Site:
    """The portal under test: its door, its ASGI app, and what the seeding made."""

    door: FrontDoor
    web: WebApp
    seeded: Seeded
    idp: Idp
    database_url: str
    keyring: Keyring

    def reopened(self, **options: Any) -> Site:
        """The same database through a second door (and portal) with other *options*."""
        door = FrontDoor.open(
            door_config(self.database_url, self.idp, keyring=self.keyring, **options),
            plugins=demo_plugins(),
        )
        return attrs.evolve(self, door=door, web=portal(door, self.seeded))

    def history(self, username: str) -> list[Any]:
        """The audit entries about *username*'s file, newest first."""
        from ircc_account.audit import who_touched_my_file

        return who_touched_my_file(self.door.store, self.seeded.accounts[username])

    def refusals(self, username: str) -> list[Any]:
        """The refusals recorded in *username*'s file."""
        return [r for r in self.history(username) if r.decision is Decision.DENIED]


def demo_plugins() -> dict[str, object]:
    """The demo's status service and its always-failing messages service."""
    return {DemoStatus.SERVICE_ID: DemoStatus(), DemoMessages.SERVICE_ID: DemoMessages()}


@contextlib.contextmanager
def seeded_site(
    database_url: str,
    idp: Idp,
    *,
    plugins: dict[str, object] | None = None,
    messages: Any = None,
    **config: Any,
) -> Iterator[Site]:
    """
    The demo portal over a freshly seeded database: the demo's own services
    and *plugins*; *config* goes to the door's configuration, *messages* to
    the portal's pages.
    """
    keyring = Keyring.generate()
    door = FrontDoor.open(
        door_config(database_url, idp, keyring=keyring, **config),
        plugins={**demo_plugins(), **(plugins or {})},
    )
    try:
        with httpx.Client(verify=idp.tls.client_context) as http:
            seeded = seed(door, http, CALLBACK)
        yield Site(
            door=door,
            web=portal(door, seeded, messages=messages),
            seeded=seeded,
            idp=idp,
            database_url=database_url,
            keyring=keyring,
        )
    finally:
        door.close()


@pytest.fixture
def site(database_url: str, idp: Idp) -> Iterator[Site]:
    """The demo portal over a seeded database: clients, a consultant, an MP office."""
    with seeded_site(database_url, idp) as made:
        yield made


class Browser:
    """
    One person's browser on the portal: keeps its cookies, reads the CSRF
    token from the last page, and walks to the provider and back.
    """

    def __init__(self, site: Site) -> None:
        self.site = site
        self.client = TestClient(site.web, base_url=ORIGIN, follow_redirects=False)
        self.idp = httpx.Client(verify=site.idp.tls.client_context)
        self.last: httpx.Response | None = None
        self.seen: list[str] = []

    def close(self) -> None:
        self.client.close()
        self.idp.close()

    def get(self, path: str, **options: Any) -> httpx.Response:
        """GET a page of the portal."""
        response = self.client.get(path, **options)
        self._saw(path, response)
        if not response.is_redirect and "text/html" in response.headers.get("content-type", ""):
            self.last = response
        return response

    def token(self) -> str:
        """The CSRF token on the last page."""
        assert self.last is not None
        found = _TOKEN.search(self.last.text)
        assert found is not None, "no form on the last page"
        return found.group(1)

    def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        *,
        token: str | None = None,
        origin: str | None = ORIGIN,
        **options: Any,
    ) -> httpx.Response:
        """POST a form as the page would (its CSRF token, this origin)."""
        fields = {"csrf_token": self.token() if token is None else token, **(data or {})}
        headers = {"Origin": origin} if origin else {}
        headers.update(options.pop("headers", {}))
        response = self.client.post(path, data=fields, headers=headers, **options)
        self._saw(path, response)
        if not response.is_redirect and "text/html" in response.headers.get("content-type", ""):
            self.last = response
        return response

    def follow(self, response: httpx.Response) -> httpx.Response:
        """Follow a redirect within the portal."""
        location = response.headers["location"]
        assert location.startswith("/"), location
        return self.get(location)

    def to_provider_and_back(self, url: str, *, username: str | None = None) -> httpx.Response:
        """
        Walk from the provider's URL back to the portal (picking *username*
        on the provider's page if it shows one); returns the portal's answer.
        """
        for _ in range(8):
            if url.startswith(ORIGIN):
                return self.get(url[len(ORIGIN) :])
            response = self.idp.get(url) if username is None else self._pick(url, username)
            username = None if response.is_redirect else username
            url = urllib.parse.urljoin(url, response.headers["location"])
        raise AssertionError("the provider did not send the browser back")

    def _pick(self, url: str, username: str) -> httpx.Response:
        page = self.idp.get(url)
        if page.is_redirect:
            return page
        fields = dict(
            re.findall(r"<input type='hidden' name='([^']+)' value='([^']*)'>", page.text)
        )
        fields = {k: _unescape(v) for k, v in fields.items()}
        fields["username"] = username
        return self.idp.post(urllib.parse.urljoin(url, "authorize"), data=fields)

    def login(
        self, username: str, *, picker: bool = False, next_path: str = "/account"
    ) -> httpx.Response:
        """Sign in as *username*; returns the callback's answer."""
        self.get("/login")
        data = {"next": next_path}
        if not picker:
            data["login_hint"] = username
        start = self.post("/login/dev", data)
        assert start.status_code == 303, start.text
        return self.to_provider_and_back(
            start.headers["location"], username=username if picker else None
        )

    @property
    def cookie(self) -> str | None:
        """The session cookie's value."""
        return self.client.cookies.get(SESSION)

    def _saw(self, path: str, response: httpx.Response) -> None:
        self.seen.append(path)
        if response.headers.get("location"):
            self.seen.append(response.headers["location"])


def _unescape(value: str) -> str:
    import html

    return html.unescape(value)


@pytest.fixture
def browser(site: Site) -> Iterator[Callable[..., Browser]]:
    """Open browsers on the portal (or on another *site*)."""
    opened: list[Browser] = []

    def open_browser(on: Site | None = None) -> Browser:
        b = Browser(on or site)
        opened.append(b)
        return b

    yield open_browser
    for b in opened:
        b.close()


def signed_in(site: Site, make: Callable[..., Browser], username: str) -> Browser:
    """A browser on *site* signed in as one of the seeded people."""
    b = make(site)
    answer = b.login(username)
    assert answer.status_code == 303 and answer.headers["location"] == "/account", answer.text
    return b


def text(response: httpx.Response) -> str:
    """The page's visible text, whitespace collapsed."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.text, flags=re.S)
    return re.sub(r"\s+", " ", _unescape(re.sub(r"<[^>]+>", " ", body))).strip()
