"""
Several worker processes, no sticky sessions: two uvicorn processes serve
the demo portal over one PostgreSQL database, and one browser's requests
alternate between them. Sessions, CSRF state and decisions live in the
database (or derive from the shared configuration), so either worker
serves any request, and a revocation through one refuses the next request
through the other.
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest

from ircc_account import FrontDoor, KeyEncryptionKey, Keyring
from ircc_account.demo._seed import seed

from .conftest import CALLBACK, ORIGIN, SESSION, Idp, Site, demo_plugins, door_config

REPO = pathlib.Path(__file__).resolve().parents[2]
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Workers:
    """Two portal worker processes on one configuration."""

    def __init__(self, config: pathlib.Path) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO), *[p for p in sys.path if p]]),
        }
        self.ports = [_free_port(), _free_port()]
        self.processes = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.web.worker_app", str(config), str(port)],
                cwd=REPO,
                env=env,
            )
            for port in self.ports
        ]
        deadline = time.monotonic() + 60
        for port, process in zip(self.ports, self.processes, strict=True):
            while True:
                assert process.poll() is None, "a worker exited at start-up"
                try:
                    httpx.get(f"http://127.0.0.1:{port}/signed-out", timeout=1.0)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "a worker did not start"
                    time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:  # pragma: no cover - a hung worker
                process.kill()
                process.wait()


class Tab:
    """
    One browser whose requests go to whichever worker the test names: the
    cookies are the browser's, kept here, never a worker's.
    """

    def __init__(self, workers: Workers, idp: Idp) -> None:
        self.workers = workers
        self.cookies: dict[str, str] = {}
        self.idp = httpx.Client(verify=idp.tls.client_context)
        self.page = ""

    def close(self) -> None:
        self.idp.close()

    def _send(self, worker: int, method: str, path: str, **options: object) -> httpx.Response:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if method == "POST":
            headers["Origin"] = ORIGIN
        response = httpx.request(
            method,
            f"http://127.0.0.1:{self.workers.ports[worker]}{path}",
            headers=headers,
            timeout=30.0,
            **options,  # type: ignore[arg-type]
        )
        for cookie in response.headers.get_list("set-cookie"):
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in cookie:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        if not response.is_redirect:
            self.page = response.text
        return response

    def get(self, worker: int, path: str) -> httpx.Response:
        return self._send(worker, "GET", path)

    def post(self, worker: int, path: str, data: dict[str, str]) -> httpx.Response:
        token = _TOKEN.search(self.page)
        assert token is not None, "no form on the last page"
        return self._send(worker, "POST", path, data={"csrf_token": token.group(1), **data})

    def login(self, username: str, start: int, back: int) -> None:
        """Start the login at one worker, come back from the provider to the other."""
        self.get(start, "/login")
        answer = self.post(start, "/login/dev", {"login_hint": username})
        url = answer.headers["location"]
        while not url.startswith(ORIGIN):
            url = urllib.parse.urljoin(url, self.idp.get(url).headers["location"])
        done = self.get(back, url[len(ORIGIN) :])
        assert done.status_code == 303 and done.headers["location"] == "/account", done.text


@pytest.fixture
def workers(postgres_url: str, idp: Idp, tmp_path: pathlib.Path) -> Iterator[tuple[Workers, Site]]:
    """A seeded PostgreSQL database and two worker processes serving it."""
    kek, index, csrf = os.urandom(32), os.urandom(32), os.urandom(32)
    keyring = Keyring(
        [KeyEncryptionKey(key_id="kek-test", secret=kek)], primary="kek-test", index_key=index
    )
    door = FrontDoor.open(door_config(postgres_url, idp, keyring=keyring), plugins=demo_plugins())
    with httpx.Client(verify=idp.tls.client_context) as http:
        seeded = seed(door, http, CALLBACK)
    config = tmp_path / "worker.json"
    config.write_text(
        json.dumps(
            {
                "database_url": postgres_url,
                "kek": base64.b64encode(kek).decode(),
                "index_key": base64.b64encode(index).decode(),
                "csrf_key": base64.b64encode(csrf).decode(),
                "issuer": idp.url,
                "ca_pem": idp.tls.ca_pem.decode(),
            }
        )
    )
    running = Workers(config)
    try:
        yield (
            running,
            Site(
                door=door,
                web=None,
                seeded=seeded,
                idp=idp,
                database_url=postgres_url,
                keyring=keyring,  # type: ignore[arg-type]
            ),
        )
    finally:
        running.stop()
        door.close()


def test_two_workers_serve_one_session_and_a_revocation_through_one_holds_in_the_other(
    workers: tuple[Workers, Site], idp: Idp
) -> None:
    """Requests alternate between two uvicorn processes on PostgreSQL with no sticky sessions; Marie's revocation through one refuses Jean's next request through the other, recorded once."""
    running, site = workers
    marie, jean = Tab(running, idp), Tab(running, idp)
    try:
        # A login started at one worker completes at the other.
        marie.login("marie", start=0, back=1)
        for worker in (0, 1, 0, 1):
            assert marie.get(worker, "/account").status_code == 200
        assert 'id="tile-demo-status"' in marie.page
        # A form rendered by one worker is accepted by the other (the CSRF
        # token is a MAC over the session, with the shared key).
        marie.get(0, "/account/representatives")
        assert marie.post(1, "/language", {"lang": "fr", "next": "/account"}).status_code == 303
        assert '<html lang="fr">' in marie.get(0, "/account").text

        jean.login("jean", start=1, back=0)
        jean.get(0, "/account/clients")
        switched = jean.post(
            1, "/account/clients/act", {"client_id": site.seeded.accounts["marie"]}
        )
        assert switched.status_code == 303
        assert jean.get(0, "/account/items/app-1001").status_code == 200
        assert jean.get(1, "/account/items/app-1002").status_code == 200

        page = marie.get(1, "/account/representatives").text
        after = page.split("Jean Roy, RCIC", 1)[1]
        grant = re.search(r'id="revoke-([^"]+)"', after).group(1)  # type: ignore[union-attr]
        before = len(site.refusals("marie"))
        assert (
            marie.post(0, "/account/representatives/revoke", {"grant_id": grant}).status_code == 303
        )
        refused = jean.get(1, "/account/items/app-1001")
        assert refused.status_code == 403
        assert len(site.refusals("marie")) == before + 1
        assert jean.get(0, "/account/items/app-1001").status_code == 403

        # Logout through one worker ends the session for both.
        marie.get(1, "/account")
        old = marie.cookies[SESSION]
        assert marie.post(0, "/logout", {}).status_code == 303
        marie.cookies[SESSION] = old
        assert marie.get(1, "/account").status_code == 401
    finally:
        marie.close()
        jean.close()
