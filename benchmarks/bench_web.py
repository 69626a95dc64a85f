"""
Web front door: the dashboard (5 services) and an item page over HTTP, beside bare Starlette pages.

One uvicorn worker process, pinned to one core, serves the demo portal's
pages through ``ircc_account.web`` on SQLite (a signed-in client: session
lookup, the door's dashboard with five plugins, each access recorded
durably in the audit log, the CSRF token, the security headers, the
template). Beside them, in the same process and the same run, a bare
Starlette page renders the same template with the same values and no
library call (a sync endpoint, so it too crosses to a thread). A load
generator (``wrk`` from Debian, pinned to the other core; a Python one in a
separate process where wrk is missing) drives each page in turn on
loopback for a few seconds, several rounds; the medians are reported with
the ratios to the bare pages.

    python benchmarks/run.py web          # or: python benchmarks/bench_web.py
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import pathlib
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from types import SimpleNamespace
from typing import Any

import httpx
from _harness import Measurement, Report

from ircc_account import (
    AssuranceLevel,
    ContactDetails,
    FrontDoor,
    FrontDoorConfig,
    KeyEncryptionKey,
    Keyring,
    PersonalDetails,
    hookimpl,
)
from ircc_account.delegation import LicenceStatus
from ircc_account.devidp import DevClient, DevelopmentProvider, DevProviderConfig, DevUser, LocalTls
from ircc_account.identity import ClientSecret, ProviderConfig
from ircc_account.services import (
    ActionOffer,
    BilingualText,
    ItemKind,
    ItemState,
    Rollout,
    ServiceItem,
    ServiceManifest,
    TimelineEvent,
    TimelineKind,
)

HERE = pathlib.Path(__file__).resolve().parent
SERVICES = [f"svc-{n}" for n in range(5)]
SECRET = "a-benchmark-secret-of-some-length"  # noqa: S105 - the development provider's client.
ITEM = "svc-0-0"
DURATION = 6  # seconds per page per round
ROUNDS = 3
CONNECTIONS = 4


class _Licences:
    def verify(self, licence: Any) -> LicenceStatus:
        return LicenceStatus(
            valid=True, expires_on=licence.expires_on, checked_at=dt.datetime.now(dt.UTC)
        )


def _plugin(sid: str) -> SimpleNamespace:
    manifest = ServiceManifest(
        service_id=sid,
        version="1.0",
        title={"en": f"Service {sid}", "fr": f"Service {sid} (fr)"},
        description={"en": "Benchmark.", "fr": "Banc d'essai."},
        assurance=AssuranceLevel.MODERATE,
        scopes={"view_status", "act"},
        rollout=Rollout(percentage=100),
    )
    offer = ActionOffer(action="withdraw", label=BilingualText("Withdraw", "Retirer"), scope="act")
    return SimpleNamespace(
        ircc_service_manifest=hookimpl(lambda: manifest),
        ircc_client_items=hookimpl(lambda ctx: list(ctx.items.list())),
        ircc_item_timeline=hookimpl(lambda ctx, item_id: list(ctx.timeline.list(item_id))),
        ircc_item_actions=hookimpl(lambda ctx, item_id: [offer]),
    )


def _door_config(config: dict[str, Any], tls: Any) -> FrontDoorConfig:
    keyring = Keyring(
        [KeyEncryptionKey(key_id="kek-bench", secret=base64.b64decode(config["kek"]))],
        primary="kek-bench",
        index_key=base64.b64decode(config["index"]),
    )
    return FrontDoorConfig(
        database_url=config["database_url"],
        keyring=keyring,
        licence_verifier=_Licences(),
        providers=[
            ProviderConfig(
                name="dev",
                issuer=config["issuer"],
                client_id="bench",
                client_auth=ClientSecret(secret=SECRET),
                redirect_uri=f"{config['origin']}/login/callback",
                acr_map={"urn:ircc:loa:2": AssuranceLevel.MODERATE},
            )
        ],
        provider_tls=tls,
        plugin_deadline=5.0,
    )


# --- the server process -------------------------------------------------------------------


def serve(path: str) -> None:
    """
    The worker process: the demo portal's pages over the door, and the
    bare pages, on one port, pinned to one core.
    """
    import ssl

    import jinja2
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    from ircc_account.demo import add_portal_pages
    from ircc_account.web import Catalogue, PageRequest, WebApp, WebConfig

    config = json.loads(pathlib.Path(path).read_text())
    os.sched_setaffinity(0, {config["server_cpu"]})
    tls = ssl.create_default_context(cadata=config["ca_pem"])
    door = FrontDoor.open(_door_config(config, tls), plugins={s: _plugin(s) for s in SERVICES})
    web = WebApp(
        door,
        WebConfig(origin=config["origin"], csrf_key=b"k" * 32, hsts=False),
        templates=[jinja2.PackageLoader("ircc_account.demo", "templates")],
        catalogues=[Catalogue.from_package("ircc_account.demo", "demo")],
    )
    add_portal_pages(web)

    # The bare pages' values: taken once, through the door, at start-up.
    session = door.identity.get_session(config["cookie"])
    actor = door.actor(session)
    client = session.client_id
    assert client is not None
    board = door.dashboard(actor, client)
    page = door.item(actor, client, ITEM)
    request = PageRequest(
        door=door,
        method="GET",
        path="/account",
        params={},
        query={},
        form={},
        language="en",
        session=session,
        cookie=None,
        client_key="127.0.0.1",
        correlation_id="req-0",
        csrf_token="x" * 64,
        home="/account",
        return_prefixes=("/",),
    )
    common = {
        "request": request,
        "csrf_token": request.csrf_token,
        "signed_in": True,
        "acting": False,
        "home": "/account",
        "correlation_id": "req-0",
        # The real page asks the door once whether the person represents
        # anyone (a client does not); the bare page has the answer already.
        "represents": lambda: False,
    }
    levels = dict.fromkeys(SERVICES, 2)

    def bare_dashboard(_: Any) -> HTMLResponse:
        values = {
            **common,
            "current_path": "/account",
            "board": board,
            "levels": levels,
            "applications": frozenset(),  # the five services here have no forms
        }
        return HTMLResponse(web.renderer.render("en", "demo/dashboard.html", values))

    def bare_item(_: Any) -> HTMLResponse:
        values = {
            **common,
            "current_path": f"/account/items/{ITEM}",
            "page": page,
            "enquiries_on": False,  # no enquiries service among the five
        }
        return HTMLResponse(web.renderer.render("en", "demo/item.html", values))

    bare = Starlette(
        routes=[Route("/bare/dashboard", bare_dashboard), Route("/bare/item", bare_item)]
    )

    async def app(scope: Any, receive: Any, send: Any) -> None:
        target = bare if scope.get("path", "").startswith("/bare/") else web
        await target(scope, receive, send)

    uvicorn.run(app, host="127.0.0.1", port=config["port"], log_level="warning", lifespan="off")
    door.close()


# --- the parent: set-up, load, report ---------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sign_up(door: FrontDoor, tls: Any, origin: str) -> tuple[str, str]:
    """The client signs in at the development provider and opens an account (as the demo seeds)."""
    redirect = door.identity.start_login(None, "dev", client_key="bench", login_hint="marie")
    assert redirect.issued is not None
    url = redirect.url
    with httpx.Client(verify=tls.client_context) as http:
        while not url.startswith(origin):
            url = urllib.parse.urljoin(url, http.get(url).headers["location"])
    result = door.identity.complete_login(
        redirect.issued.cookie_value, urllib.parse.urlsplit(url).query, client_key="bench"
    )
    account, issued = door.identity.register_account(
        result.issued.cookie_value,
        personal=PersonalDetails(
            family_name="Tremblay", given_names="Marie", date_of_birth="1988-02-11"
        ),
        contact=ContactDetails(email="marie@example.test"),
    )
    return account.account_id, issued.cookie_value


def _items(door: FrontDoor, client: str) -> None:
    now = dt.datetime.now(dt.UTC)
    with door.store.unit_of_work() as uow:
        for sid in SERVICES:
            for n in range(2):
                item_id = f"{sid}-{n}"
                uow.items.add(
                    ServiceItem(
                        item_id=item_id,
                        account_id=client,
                        service_id=sid,
                        kind=ItemKind.APPLICATION,
                        reference=f"R{n}{sid}",
                        state=ItemState.IN_PROGRESS,
                        title=BilingualText("Work permit", "Permis de travail"),
                        created_at=now,
                        updated_at=now,
                    )
                )
                for k in range(3):
                    uow.timeline.append(
                        TimelineEvent(
                            event_id=f"ev-{item_id}-{k}",
                            item_id=item_id,
                            kind=TimelineKind.NOTE,
                            occurred_at=now,
                            summary=BilingualText("A step", "Une étape"),
                        )
                    )
        uow.commit()


_UNITS = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}


def _us(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if found is None:
        raise RuntimeError(f"wrk printed a latency this cannot read: {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def _wrk(url: str, cookie: str, cpu: int) -> tuple[float, float, float, int]:
    """Requests per second, p50 and p99 (µs), requests: one wrk run."""
    command = [
        *(["taskset", "-c", str(cpu)] if shutil.which("taskset") else []),
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{DURATION}s",
        "--latency",
        "-H",
        f"Cookie: __Host-ircc_session={cookie}",
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors for {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _us(re.search(r"50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _us(re.search(r"99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    n = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return rps, p50, p99, n


_PYLOAD = """
import sys, threading, time, httpx
url, cookie, seconds, workers = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
samples, stop = [], time.monotonic() + seconds
def run():
    with httpx.Client(headers={"Cookie": "__Host-ircc_session=" + cookie}) as c:
        while time.monotonic() < stop:
            t = time.perf_counter(); r = c.get(url); samples.append(time.perf_counter() - t)
            assert r.status_code == 200, r.status_code
threads = [threading.Thread(target=run) for _ in range(workers)]
start = time.monotonic(); [t.start() for t in threads]; [t.join() for t in threads]
s = sorted(samples); took = time.monotonic() - start
print(len(s) / took, s[len(s) // 2] * 1e6, s[int(len(s) * 0.99)] * 1e6, len(s))
"""


def _pyload(url: str, cookie: str, cpu: int) -> tuple[float, float, float, int]:
    """The same, from a Python load generator in its own process (when wrk is missing)."""
    command = [sys.executable, "-c", _PYLOAD, url, cookie, str(DURATION), str(CONNECTIONS)]
    if shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1]), float(out[2]), int(out[3])


def run(report: Report) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, load_cpu = cpus[0], cpus[-1]
    load = _wrk if shutil.which("wrk") else _pyload
    generator = "wrk" if load is _wrk else "a Python load generator"
    tls = LocalTls.generate()
    port = _free_port()
    # Redirect URIs are HTTPS (the identity refuses others); the worker
    # itself is measured over plain HTTP, as behind a TLS terminator.
    origin = f"https://127.0.0.1:{port}"
    served = f"http://127.0.0.1:{port}"
    provider = DevelopmentProvider(
        DevProviderConfig(
            development_mode=True,
            clients=(
                DevClient(
                    client_id="bench",
                    client_secret=SECRET,
                    redirect_uris=(f"{origin}/login/callback",),
                ),
            ),
            users=(DevUser("marie", "sub-marie", "marie@example.test", "Marie", "Tremblay"),),
        )
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        provider.serve(ssl_context=tls.server_context) as idp,
    ):
        config = {
            "database_url": f"sqlite:///{pathlib.Path(tmp) / 'web.db'}",
            "kek": base64.b64encode(os.urandom(32)).decode(),
            "index": base64.b64encode(os.urandom(32)).decode(),
            "issuer": idp.url,
            "ca_pem": tls.ca_pem.decode(),
            "origin": origin,
            "port": port,
            "server_cpu": server_cpu,
        }
        with FrontDoor.open(
            _door_config(config, tls.client_context), plugins={s: _plugin(s) for s in SERVICES}
        ) as door:
            client, cookie = _sign_up(door, tls, origin)
            _items(door, client)
        config["cookie"] = cookie
        path = pathlib.Path(tmp) / "server.json"
        path.write_text(json.dumps(config))
        server = subprocess.Popen([sys.executable, str(HERE / "bench_web.py"), "serve", str(path)])
        try:
            rows = _measure(report, served, cookie, load, load_cpu, generator)
        finally:
            server.terminate()
            server.wait(timeout=30)
        _attribute(report, rows, config, tls, cookie)


def _throughput(name: str, fn: Any, cpu: int, seconds: float = 4.0) -> Measurement:
    """*fn* called by CONNECTIONS threads at once on one core, as the worker serves pages."""
    import threading

    samples: list[float] = []
    stop = 0.0

    def loop() -> None:
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)

    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})  # this thread, and the threads it starts
    try:
        for _ in range(10):
            fn()
        stop = time.monotonic() + seconds
        start = time.monotonic()
        threads = [threading.Thread(target=loop) for _ in range(CONNECTIONS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - start
    finally:
        os.sched_setaffinity(0, before)
    samples.sort()
    return Measurement(
        name=name,
        ops_per_s=len(samples) / took,
        p50_us=statistics.median(samples) * 1e6,
        p99_us=samples[int(len(samples) * 0.99)] * 1e6,
        n=len(samples),
    )


def _attribute(
    report: Report,
    rows: list[tuple[Measurement, Measurement, str]],
    config: dict[str, Any],
    tls: Any,
    cookie: str,
) -> None:
    """
    The same door calls without HTTP, in this process, same run, same core
    and concurrency: how much of a page's time is the door's (reads and
    durable audit records), and how much is left for the web front door
    (session lookup, CSRF token, headers, the thread hop).
    """
    with FrontDoor.open(
        _door_config(config, tls.client_context), plugins={s: _plugin(s) for s in SERVICES}
    ) as door:
        session = door.identity.get_session(cookie)
        actor = door.actor(session)
        client = session.client_id
        assert client is not None
        calls = {
            "dashboard": lambda: door.dashboard(actor, client),
            "item": lambda: door.item(actor, client, ITEM),
        }
        cpu = config["server_cpu"]
        lookup = report.add(
            _throughput(
                "door alone: session lookup", lambda: door.identity.get_session(cookie), cpu
            )
        )
        for web_row, bare_row, key in rows:
            alone = report.add(_throughput(f"door alone: {key} (no HTTP)", calls[key], cpu))
            # One core: a request's share of it is about 1 / throughput.
            web_ms, bare_ms = 1e3 / web_row.ops_per_s, 1e3 / bare_row.ops_per_s
            door_ms, lookup_ms = 1e3 / alone.ops_per_s, 1e3 / lookup.ops_per_s
            rest = web_ms - bare_ms - door_ms - lookup_ms
            alone.note = (
                f"a page through the web front door takes {web_ms:.1f} ms of the core; "
                f"this call alone {door_ms:.1f} ms, the bare page {bare_ms:.1f} ms, the session "
                f"lookup {lookup_ms:.2f} ms: {rest:+.1f} ms left for CSRF, headers and the "
                "thread hop (noise when near zero or below)"
            )


def _measure(
    report: Report, origin: str, cookie: str, load: Any, cpu: int, generator: str
) -> list[tuple[Measurement, Measurement, str]]:
    deadline = time.monotonic() + 60
    headers = {"Cookie": f"__Host-ircc_session={cookie}"}
    while True:
        try:
            page = httpx.get(f"{origin}/account", headers=headers, timeout=10)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert page.status_code == 200, page.status_code
    assert page.text.count('class="tile ok"') == 5
    item = httpx.get(f"{origin}/account/items/{ITEM}", headers=headers, timeout=10)
    assert item.status_code == 200
    assert "A step" in item.text
    pages = [
        ("client's dashboard (5 services)", f"{origin}/account", f"{origin}/bare/dashboard"),
        ("item page", f"{origin}/account/items/{ITEM}", f"{origin}/bare/item"),
    ]
    measured = []
    for (label, ours, bare), key in zip(pages, ("dashboard", "item"), strict=True):
        with httpx.Client(headers=headers, timeout=10) as warm:
            for _ in range(30):
                for url in (ours, bare):
                    assert warm.get(url).status_code == 200
        results: dict[str, list[tuple[float, float, float, int]]] = {ours: [], bare: []}
        for _ in range(ROUNDS):
            for url in (bare, ours):
                results[url].append(load(url, cookie, cpu))
        rows = {}
        for url, name in (
            (ours, f"web: {label}"),
            (bare, f"bare Starlette: {label}, same template"),
        ):
            runs = results[url]
            rows[url] = report.add(
                Measurement(
                    name=name,
                    ops_per_s=statistics.median(r[0] for r in runs),
                    p50_us=statistics.median(r[1] for r in runs),
                    p99_us=statistics.median(r[2] for r in runs),
                    n=sum(r[3] for r in runs),
                )
            )
        mine, floor = rows[ours], rows[bare]
        mine.note = (
            f"{floor.ops_per_s / mine.ops_per_s:.1f}× fewer requests/s and "
            f"{mine.p99_us / floor.p99_us:.1f}× the p99 of the bare page; "
            f"median of {ROUNDS} × {DURATION} s, {CONNECTIONS} connections, {generator}, "
            "one uvicorn worker on one core, SQLite"
        )
        measured.append((mine, floor, key))
    return measured


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        report = Report(title=(__doc__ or "").strip().splitlines()[0])
        run(report)
        print(report.render())
