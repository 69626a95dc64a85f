"""
``ircc-account demo``: the command starts the development provider and the
portal over HTTPS on loopback, prints the address and the logins, serves a
whole journey, and stops cleanly on Ctrl-C and SIGTERM; a named folder is
kept and reopened. And one event loop serving both the portal and the
provider never deadlocks, back-channel logout included.
"""

from __future__ import annotations

import html
import os
import pathlib
import re
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from ircc_account import FrontDoor
from ircc_account.cli import main
from ircc_account.demo import DemoConfig, start_demo
from ircc_account.demo._seed import dev_users
from ircc_account.devidp import DevClient, DevelopmentProvider, DevProviderConfig, LocalTls

from .conftest import SESSION, demo_plugins, portal, provider_door_config

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Demo:
    """``ircc-account demo`` running as a real process."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ircc_account.cli", "demo", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )
        self.lines: list[str] = []
        assert self.process.stdout is not None
        deadline = time.monotonic() + 90
        while not self.lines or self.lines[-1] != "Press Ctrl-C to stop.":
            line = self.process.stdout.readline()
            assert line or self.process.poll() is None, self.process.stderr.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the demo did not start"
            self.lines.append(line.rstrip("\n"))
        self.url = re.search(r"at (https://\S+)/$", self.lines[0]).group(1)  # type: ignore[union-attr]
        self.folder = pathlib.Path(self.lines[-2].removeprefix("Data: "))

    def client(self) -> httpx.Client:
        return httpx.Client(verify=ssl.create_default_context(cafile=str(self.folder / "ca.pem")))

    def stop(self, sig: int) -> tuple[int, str]:
        self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, out + err


def test_the_demo_starts_prints_its_address_and_logins_and_stops_on_ctrl_c() -> None:
    """The command prints the HTTPS address on 127.0.0.1 and every demo login, serves the home page, and on SIGINT stops with status 0 and removes its temporary folder."""
    port = _free_port()
    demo = Demo("--port", str(port))
    try:
        assert demo.url == f"https://127.0.0.1:{port}"
        printed = "\n".join(demo.lines)
        for username in ("marie", "ahmed", "lucie", "jean", "olivia", "sam", "pat"):
            assert re.search(rf"^  {username} ", printed, re.M), username
        assert "representative number rep-" in printed and "client number acct-" in printed
        with demo.client() as http:
            home = http.get(demo.url + "/")
            assert home.status_code == 200 and 'id="sign-in-as-marie"' in home.text
        assert demo.folder.exists()
    finally:
        status, rest = demo.stop(signal.SIGINT)
    assert status == 0 and "Stopped." in rest
    assert "Traceback" not in rest
    assert not demo.folder.exists()


def test_a_named_folder_is_kept_and_reopened_and_sigterm_stops_cleanly(
    tmp_path: pathlib.Path,
) -> None:
    """With --data the folder keeps the database and keys: a second run reopens it without seeding again; SIGTERM stops with status 0."""
    data = tmp_path / "demo-data"
    first = Demo("--data", str(data), "--port", str(_free_port()))
    numbers = [line for line in first.lines if "client number" in line]
    status, rest = first.stop(signal.SIGTERM)
    assert status == 0 and "Stopped." in rest
    assert (data / "account.db").exists() and oct((data / "keyring.json").stat().st_mode)[
        -3:
    ] == "600"
    second = Demo("--data", str(data), "--port", str(_free_port()))
    try:
        assert [line for line in second.lines if "client number" in line] == numbers
        with second.client() as http:
            assert http.get(second.url + "/").status_code == 200
    finally:
        status, _ = second.stop(signal.SIGTERM)
    assert status == 0 and data.exists()


def test_the_demo_command_line() -> None:
    """`ircc-account demo --help` documents the options; a bad port is a usage error; a wildcard host is refused in one line."""
    assert main(["demo", "--help"]) == 0
    assert main(["demo", "--port", "zero"]) == 2
    refused = subprocess.run(
        [sys.executable, "-m", "ircc_account.cli", "demo", "--host", "0.0.0.0"],  # noqa: S104
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        check=False,
    )
    assert refused.returncode == 2
    assert refused.stderr.startswith("ircc-account demo: ") and "Traceback" not in refused.stderr


@pytest.fixture
def demo_site() -> Iterator[tuple[object, object]]:
    """The demo, started in this process and serving over HTTPS."""
    site = start_demo(DemoConfig(port=_free_port()))
    server = site.serve()
    try:
        yield site, server
    finally:
        server.stop()
        site.close()


def _pick(http: httpx.Client, url: str, username: str) -> str:
    """At the provider's page, pick *username*; returns where the provider sends the browser."""
    page = http.get(url)
    fields = {
        k: html.unescape(v)
        for k, v in re.findall(r"<input type='hidden' name='([^']+)' value='([^']*)'>", page.text)
    }
    fields["username"] = username
    answer = http.post(urllib.parse.urljoin(url, "authorize"), data=fields)
    return urllib.parse.urljoin(url, answer.headers["location"])


def test_a_whole_journey_over_https_with_logout_through_the_provider(demo_site) -> None:  # type: ignore[no-untyped-def]
    """A browser with a real cookie jar signs in at the provider's page, reads the dashboard, and logs out through the provider, whose back-channel call reaches the portal while the browser waits."""
    site, _ = demo_site
    with httpx.Client(verify=site.tls.client_context, timeout=20.0) as http:
        home = http.get(site.url + "/")
        token = _TOKEN.search(home.text).group(1)  # type: ignore[union-attr]
        start = http.post(
            site.url + "/login/dev", data={"csrf_token": token}, headers={"Origin": site.url}
        )
        back = _pick(http, start.headers["location"], "marie")
        assert back.startswith(site.url + "/login/callback?")
        signed = http.get(back, follow_redirects=True)
        assert signed.status_code == 200 and 'id="tile-demo-status"' in signed.text
        assert http.cookies.get(SESSION)
        token = _TOKEN.search(signed.text).group(1)  # type: ignore[union-attr]
        out = http.post(
            site.url + "/logout",
            data={"csrf_token": token},
            headers={"Origin": site.url},
            follow_redirects=True,
        )
        assert out.status_code == 200 and str(out.url) == site.url + "/signed-out"
        assert http.get(site.url + "/account").status_code in (303, 401)
    # Ending Marie's provider sessions tells the portal (back-channel), live.
    deliveries = site.provider.logout_user("sub-marie")
    assert all(d.status_code == 200 for d in deliveries)


def test_one_event_loop_serving_portal_and_provider_never_deadlocks(tmp_path: pathlib.Path) -> None:
    """With the portal and the provider on one uvicorn loop, a login (PAR, token, keys) and a logout with its back-channel call complete: no blocking call runs on the loop."""
    tls = LocalTls.generate()
    portal_sock, idp_sock = socket.socket(), socket.socket()
    for s in (portal_sock, idp_sock):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
    portal_url = f"https://127.0.0.1:{portal_sock.getsockname()[1]}"
    idp_url = f"https://127.0.0.1:{idp_sock.getsockname()[1]}"
    secret = secrets.token_urlsafe(32)
    back_channel = httpx.Client(verify=tls.client_context, timeout=10.0)
    provider = DevelopmentProvider(
        DevProviderConfig(
            issuer=idp_url,
            development_mode=True,
            clients=(
                DevClient(
                    client_id="portal",
                    client_secret=secret,
                    redirect_uris=(f"{portal_url}/login/callback",),
                    post_logout_redirect_uris=(f"{portal_url}/logout/return",),
                    backchannel_logout_uri=f"{portal_url}/backchannel-logout",
                ),
            ),
            users=dev_users(),
        ),
        http_client=back_channel,
    )
    door = FrontDoor.open(
        provider_door_config(
            f"sqlite:///{tmp_path / 'one-loop.db'}",
            idp_url,
            tls.client_context,
            secret=secret,
            origin=portal_url,
        ),
        plugins=demo_plugins(),
    )
    web = portal(door, None, threads=2, origin=portal_url)

    async def both(scope, receive, send):  # type: ignore[no-untyped-def]
        app = provider.app if scope.get("server", ("", 0))[1] == idp_sock.getsockname()[1] else web
        await app(scope, receive, send)

    server = uvicorn.Server(
        uvicorn.Config(
            both,
            log_level="warning",
            lifespan="off",
            ssl_context_factory=lambda *_: tls.server_context,
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [portal_sock, idp_sock]}, daemon=True
    )
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        with httpx.Client(verify=tls.client_context, timeout=15.0) as http:
            home = http.get(portal_url + "/")
            token = _TOKEN.search(home.text).group(1)  # type: ignore[union-attr]
            start = http.post(
                portal_url + "/login/dev",
                data={"csrf_token": token, "login_hint": "lucie"},
                headers={"Origin": portal_url},
            )
            assert start.status_code == 303
            landed = http.get(start.headers["location"], follow_redirects=True)
            assert str(landed.url) == portal_url + "/register"
            token = _TOKEN.search(landed.text).group(1)  # type: ignore[union-attr]
            registered = http.post(
                portal_url + "/register",
                data={
                    "csrf_token": token,
                    "given_names": "Lucie",
                    "family_name": "Gagnon",
                    "date_of_birth": "1994-05-06",
                    "email": "lucie@example.test",
                    "preferred_language": "en",
                },
                headers={"Origin": portal_url},
            )
            assert registered.status_code == 303
            # A second login gives the session provider tokens and a provider session.
            page = http.get(portal_url + "/account/profile")
            token = _TOKEN.search(page.text).group(1)  # type: ignore[union-attr]
            http.post(
                portal_url + "/logout",
                data={"csrf_token": token},
                headers={"Origin": portal_url},
                follow_redirects=True,
            )
            home = http.get(portal_url + "/")
            token = _TOKEN.search(home.text).group(1)  # type: ignore[union-attr]
            again = http.post(
                portal_url + "/login/dev",
                data={"csrf_token": token, "login_hint": "lucie"},
                headers={"Origin": portal_url},
            )
            dashboard = http.get(again.headers["location"], follow_redirects=True)
            assert str(dashboard.url) == portal_url + "/account"
            token = _TOKEN.search(dashboard.text).group(1)  # type: ignore[union-attr]
            # The provider's logout POSTs to our back channel on this same loop.
            out = http.post(
                portal_url + "/logout",
                data={"csrf_token": token},
                headers={"Origin": portal_url},
                follow_redirects=True,
            )
            assert str(out.url) == portal_url + "/signed-out"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        door.close()
        provider.close()
        back_channel.close()
