"""
The web front door's edge on every route: CSRF on every form, 405 for GET
on a form, security headers on every response, body limits, tampered and
repeated fields, no secret in any URL, and blocking calls kept off the
event loop in a bounded pool.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator

import anyio
import httpx
import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from ircc_account.identity import url_has_secrets
from ircc_account.web import Page, PageRequest

from .conftest import ORIGIN, SESSION, Browser, Site, portal, signed_in, text

PATH_VALUES = {"provider": "dev", "item_id": "app-1001"}


def _path(route: Route) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], route.path)


def _routes(site: Site, method: str) -> list[Route]:
    return [
        r
        for r in site.web.routes
        if isinstance(r, Route) and r.methods is not None and method in r.methods
    ]


@pytest.fixture
def marie(site: Site, browser: Callable[..., Browser]) -> Browser:
    """Marie, signed in, on her dashboard."""
    b = signed_in(site, browser, "marie")
    b.get("/account")
    return b


def test_every_form_refuses_get_with_405(site: Site, marie: Browser) -> None:
    """GET and HEAD on each state-changing route (those with no page of the same path) are 405 with an Allow header, and an error page (SEC-41)."""
    pages = {r.path for r in _routes(site, "GET")}
    forms = [r for r in _routes(site, "POST") if r.path not in pages]
    assert len(forms) >= 10
    for route in forms:
        for method in ("GET", "HEAD"):
            answer = marie.client.request(method, _path(route))
            assert answer.status_code == 405, route.path
            assert answer.headers["allow"] == "POST", route.path
        assert "Page not found" in text(marie.get(_path(route)))


def test_every_form_refuses_a_post_without_a_good_csrf_token(
    site: Site, marie: Browser, browser: Callable[..., Browser]
) -> None:
    """Each form without a token, with a tampered one, another session's, or from another origin is 403, and the audit log does not grow."""
    ahmed = signed_in(site, browser, "ahmed")
    ahmed.get("/account")
    other_token = ahmed.token()
    good = marie.token()
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    forms = [r for r in _routes(site, "POST") if r.name not in ("backchannel_logout", "logout")]
    before = _entries(site)
    for route in forms:
        path = _path(route)
        for token, origin in (
            ("", ORIGIN),
            (tampered, ORIGIN),
            (other_token, ORIGIN),
            (good, "https://evil.example"),
            (good, "null"),
        ):
            answer = marie.client.post(
                path,
                data={"csrf_token": token, "lang": "fr", "grant_id": "x"},
                headers={"Origin": origin},
            )
            assert answer.status_code == 403, (path, token == good, origin)
            assert "This request could not be verified" in text(answer)
        cross = marie.client.post(
            path, data={"csrf_token": good}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert cross.status_code == 403, path
    assert _entries(site) == before
    assert marie.get("/account").status_code == 200  # still signed in, nothing changed


def _entries(site: Site) -> int:
    import sqlalchemy as sa

    with site.door.store.unit_of_work(write=False) as uow:
        return int(uow.execute(sa.text("SELECT count(*) FROM audit_entries"), "test").scalar() or 0)


def _assert_headers(response: httpx.Response, path: str) -> None:
    h = response.headers
    csp = h["content-security-policy"]
    assert "frame-ancestors 'none'" in csp, path
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src" not in csp
    assert h["strict-transport-security"] == "max-age=31536000; includeSubDomains", path
    assert h["x-content-type-options"] == "nosniff", path
    assert h["referrer-policy"] == "no-referrer", path
    assert h["x-frame-options"] == "DENY", path
    if path.startswith("/static/"):
        assert h["cache-control"].startswith("public"), path
    else:
        assert h["cache-control"] == "no-store", path


def test_every_response_carries_the_security_headers(
    site: Site, marie: Browser, browser: Callable[..., Browser]
) -> None:
    """Every page, form answer, redirect, error page and static file has CSP (no inline script or style), HSTS, nosniff, no-referrer, and no-store unless static (SEC-42)."""
    anonymous = browser()
    for route in _routes(site, "GET"):
        for b in (anonymous, marie):
            answer = b.get(_path(route))
            _assert_headers(answer, route.path)
    for route in _routes(site, "POST"):
        answer = marie.client.post(
            _path(route), data={"csrf_token": marie.token()}, headers={"Origin": ORIGIN}
        )
        _assert_headers(answer, route.path)
    for path in (
        "/static/web/site.css",
        "/static/web/favicon.svg",
        "/no/such/page",
        "/static/web/nope.css",
    ):
        _assert_headers(marie.get(path), path)
    for name in ("web-static",):
        assert any(isinstance(r, Mount) and r.name == name for r in site.web.routes)


def test_pages_have_no_inline_script_or_style(site: Site, marie: Browser) -> None:
    """No page has a script element, an inline style or an event-handler attribute (the CSP would block them)."""
    for path in (
        "/",
        "/login",
        "/account",
        "/account/items/app-1001",
        "/account/representatives",
        "/account/history",
        "/account/profile",
        "/no/such/page",
    ):
        page = marie.get(path).text
        assert "<script" not in page and "<style" not in page and " style=" not in page, path
        assert not re.search(r"\son[a-z]+=", page), path


def test_an_oversized_body_is_refused_before_it_is_read(site: Site, marie: Browser) -> None:
    """A form over the body limit is a 413 page, by its Content-Length or as it streams, and changes nothing."""
    before = _entries(site)
    big = "x" * (site.web.config.max_body + 1)
    answer = marie.client.post(
        "/language",
        data={"csrf_token": marie.token(), "lang": "fr", "pad": big},
        headers={"Origin": ORIGIN},
    )
    assert answer.status_code == 413 and "too large" in text(answer)
    _assert_headers(answer, "/language")

    def chunks() -> Iterator[bytes]:
        yield b"csrf_token=" + marie.token().encode() + b"&lang=fr&pad="
        for _ in range(100):
            yield b"y" * 1024

    streamed = marie.client.post(
        "/account/representatives/revoke",
        content=chunks(),
        headers={"Origin": ORIGIN, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert streamed.status_code == 413
    upload = marie.client.post(
        "/account/representatives/give",
        files={"consent": ("imm5476.pdf", b"%PDF" + b"0" * 200_000, "application/pdf")},
        data={"csrf_token": marie.token()},
        headers={"Origin": ORIGIN},
    )
    assert upload.status_code == 413
    assert _entries(site) == before


def test_a_tampered_form_is_refused(site: Site, marie: Browser) -> None:
    """A repeated field, too many fields, a body that is not a form, or bytes that are not UTF-8: 400 or 415, nothing changed."""
    before = _entries(site)
    token = marie.token()
    headers = {"Origin": ORIGIN, "Content-Type": "application/x-www-form-urlencoded"}
    repeated = marie.client.post(
        "/language", content=f"csrf_token={token}&lang=fr&lang=en", headers=headers
    )
    assert repeated.status_code == 400
    many = "&".join(f"f{n}=1" for n in range(100))
    assert (
        marie.client.post(
            "/language", content=f"csrf_token={token}&{many}", headers=headers
        ).status_code
        == 400
    )
    assert (
        marie.client.post("/language", content=b"csrf_token=\xff\xfe", headers=headers).status_code
        == 400
    )
    as_json = marie.client.post(
        "/language", json={"csrf_token": token, "lang": "fr"}, headers={"Origin": ORIGIN}
    )
    assert as_json.status_code == 415
    assert _entries(site) == before
    assert '<html lang="en">' in marie.get("/account").text


def test_an_unknown_page_is_a_404_in_the_persons_language(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """A path that does not exist is a 404 page, in French for a French browser."""
    b = browser()
    answer = b.get("/nowhere", headers={"Accept-Language": "fr-CA"})
    assert answer.status_code == 404 and '<html lang="fr">' in answer.text
    assert "Page introuvable" in text(answer)


def test_no_url_carries_a_token_a_session_id_or_personal_data(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """Every link, form target and redirect within the site, for a client and a representative, passes the secrets check (SEC-42)."""
    for username in ("marie", "jean", "sam"):
        b = signed_in(site, browser, username)
        queue, seen = ["/", "/account"], set()
        while queue:
            path = queue.pop()
            if path in seen or not path.startswith("/") or path.startswith("/static/"):
                continue
            seen.add(path)
            page = b.get(path)
            for link in re.findall(r'(?:href|action)="([^"]+)"', page.text):
                link = link.replace("&amp;", "&")
                assert not url_has_secrets(link), link
                if link.startswith("/") and "logout" not in link:
                    queue.append(link.split("?")[0] if "step-up" not in link else link)
        for url in b.seen:
            if url.startswith("/") and not url.startswith("/login/callback"):
                assert not url_has_secrets(url), url
        assert len(seen) >= 5


def test_page_handlers_run_off_the_loop_in_a_bounded_pool(site: Site) -> None:
    """Six concurrent requests to a blocking page run in worker threads, never the event loop's, at most `threads` at a time."""
    web = portal(site.door, site.seeded, threads=2)
    lock = threading.Lock()
    running = {"now": 0, "most": 0}
    threads: set[int] = set()

    @web.page("/slow", signed_in=False)
    def slow(req: PageRequest) -> Page:
        with lock:
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
        threads.add(threading.get_ident())
        time.sleep(0.2)
        with lock:
            running["now"] -= 1
        return Page("web/signed_out.html")

    loop_thread: set[int] = set()

    async def main() -> None:
        loop_thread.add(threading.get_ident())
        transport = httpx.ASGITransport(app=web)
        async with (
            httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client,
            anyio.create_task_group() as group,
        ):
            for _ in range(6):
                group.start_soon(client.get, "/slow")

    anyio.run(main)
    assert running["most"] == 2
    assert loop_thread.isdisjoint(threads)


def test_the_back_channel_logout_ends_the_session_and_refuses_bad_requests(
    site: Site, marie: Browser
) -> None:
    """A valid logout token ends the person's session (200, no-store); a replay, an ID token, JSON, or an oversized body is refused; GET is 405 (SEC-44..48)."""
    provider = site.idp.provider
    session = provider.store.sessions_of("sub-marie")[-1]
    client = provider.config.clients[0]
    token = provider.logout_token(client, session)
    plain = marie.client
    answer = plain.post("/backchannel-logout", data={"logout_token": token})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert marie.get("/account").status_code == 401
    assert plain.post("/backchannel-logout", data={"logout_token": token}).status_code == 400
    assert plain.post("/backchannel-logout", json={"logout_token": token}).status_code == 400
    assert plain.post("/backchannel-logout", data={"logout_token": "e30.e30."}).status_code == 400
    big = plain.post(
        "/backchannel-logout", data={"logout_token": "x" * (site.web.config.max_body + 1)}
    )
    assert big.status_code == 413
    assert plain.get("/backchannel-logout").status_code == 405


def test_a_session_cookie_is_host_only_secure_and_httponly(
    site: Site, browser: Callable[..., Browser]
) -> None:
    """Every cookie the portal sets is __Host-, Secure, HttpOnly, Path=/, SameSite=Lax, without Domain (SEC-35)."""
    b = browser()
    b.get("/")
    answer = b.login("marie")
    cookies = answer.headers.get_list("set-cookie")
    assert any(c.startswith(f"{SESSION}=") for c in cookies)
    for cookie in cookies:
        parts = [p.strip() for p in cookie.split(";")]
        assert parts[0].startswith("__Host-")
        assert {"Path=/", "Secure", "HttpOnly", "SameSite=Lax"} <= set(parts)
        assert not any(p.lower().startswith("domain") for p in parts)


def test_a_refusal_for_a_weak_sign_in_offers_the_stronger_one(site: Site) -> None:
    """A page the policy refused only for assurance answers with the step-up form at the level needed (401); any other refusal stays a 403 page with no such form."""
    from ircc_account import AssuranceLevel
    from ircc_account.authz import AuthorizationDecision

    web = portal(site.door, site.seeded)
    weak = AuthorizationDecision(
        allowed=False, reason="assurance", required_assurance=AssuranceLevel.HIGH
    )
    plain = AuthorizationDecision(allowed=False, reason="no_grant")

    @web.page("/weak", signed_in=False)
    def refused_weak(req: PageRequest) -> Page:
        raise weak.refusal()

    @web.page("/plain", signed_in=False)
    def refused_plain(req: PageRequest) -> Page:
        raise plain.refusal()

    with TestClient(web, base_url=ORIGIN, follow_redirects=False) as client:
        answer = client.get("/weak")
        assert answer.status_code == 401 and 'id="step-up-form"' in answer.text
        assert 'name="level" value="3"' in answer.text
        assert 'name="next" value="/weak"' in answer.text
        assert "stronger sign-in" in answer.text
        other = client.get("/plain")
        assert other.status_code == 403 and 'id="step-up-form"' not in other.text
