"""
``ircc-account demo``: the whole front door on one machine.

A folder (named, or temporary) holds the embedded SQLite database, the
demo's key-encryption key and the throw-away certificate authority. The
development provider and the portal both serve HTTPS on loopback with one
certificate from that authority: ``__Host-`` and ``Secure`` cookies then
work in every browser exactly as in production (no reliance on browsers
treating ``http://localhost`` as secure), the redirect URIs are HTTPS as
the identity layer requires of every provider, and one click through the
certificate warning (or trusting ``ca.pem``) covers both servers. Addresses
use the IP ``127.0.0.1``, for which browsers ignore HSTS, so the demo never
pins HTTPS on a developer's other ``localhost`` sites.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import errno
import importlib.metadata
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any, TextIO

import attrs
import httpx
import jinja2
import uvicorn

from ircc_account import AssuranceLevel, FrontDoor, FrontDoorConfig, KeyEncryptionKey, Keyring
from ircc_account.builtin import notify
from ircc_account.builtin.notify import MemorySender
from ircc_account.delegation import Licence, LicenceStatus
from ircc_account.devidp import (
    DevClient,
    DevelopmentProvider,
    DevProviderConfig,
    LocalTls,
    RunningServer,
)
from ircc_account.errors import ConfigurationError
from ircc_account.hazmat.jose import b64url_encode
from ircc_account.identity import ClientSecret, ProviderConfig
from ircc_account.services import ENTRY_POINT_GROUP, AllowedPlugin
from ircc_account.web import N_, Catalogue, WebApp, WebConfig

from ._counts import add_department_counts
from ._notices import notification_settings
from ._pages import DemoPerson, add_portal_pages
from ._plugins import DemoMessages, DemoStatus
from ._seed import PEOPLE, Seeded, dev_users, seed

__all__ = ["DemoConfig", "DemoSite", "builtin_services", "run_demo", "start_demo"]

_STATE = "demo.json"
_KEYRING = "keyring.json"
_DATABASE = "account.db"
_CA = "ca.pem"
_CLIENT_ID = "demo-portal"
_ACR_MAP = {
    "urn:ircc:loa:1": AssuranceLevel.LOW,
    "urn:ircc:loa:2": AssuranceLevel.MODERATE,
    "urn:ircc:loa:3": AssuranceLevel.HIGH,
}


@attrs.frozen(kw_only=True)
class DemoConfig:
    """
    How to run the demo.

    Attributes:
        data: The folder for the database and keys; kept between runs. A
            temporary folder, removed at the end, when ``None``.
        host: The address both servers bind and the browser uses.
        port: The portal's port (another is chosen if the default is taken).
        allowed_plugins: Service plugins (entry points) to allow besides
            the built-in ones.
        builtin_services: Allow the services this distribution publishes
            under the ``ircc_account.services`` entry points, at its own version.
        demo_services: Register the demo's own status and messages services.
    """

    data: pathlib.Path | None = None
    host: str = "127.0.0.1"
    port: int = 8443
    allowed_plugins: tuple[AllowedPlugin, ...] = ()
    builtin_services: bool = True
    demo_services: bool = True


class _Licences:
    """Every licence is in good standing until it expires (a demo licensing body)."""

    def verify(self, licence: Licence) -> LicenceStatus:
        return LicenceStatus(
            valid=True, expires_on=licence.expires_on, checked_at=dt.datetime.now(dt.UTC)
        )


def builtin_services() -> list[AllowedPlugin]:
    """
    The allowlist entries for the services this distribution publishes
    itself (the status tracker, decision notes, applications, enquiries as
    they land), pinned to its own name and version.
    """
    try:
        dist = importlib.metadata.distribution("ircc-account")
    except importlib.metadata.PackageNotFoundError:
        return []
    name = dist.metadata["Name"] or "ircc-account"
    return [
        AllowedPlugin(ep.name, name, dist.version)
        for ep in dist.entry_points
        if ep.group == ENTRY_POINT_GROUP
    ]


class DemoSite:
    """
    The demo, started: the development provider serving, the door open,
    the portal's ASGI application built (not yet serving: :func:`run_demo`
    serves it, or a test with :meth:`serve`).

    Attributes:
        url: The portal's address.
        folder: The data folder.
        door: The front door.
        web: The portal's ASGI application.
        provider: The development provider (to end its sessions, which
            tells the portal through back-channel logout).
        provider_url: The development provider's address.
        tls: The certificate authority and the servers' certificate.
        seeded: The demo people's client and representative numbers.
    """

    def __init__(
        self,
        *,
        url: str,
        folder: pathlib.Path,
        temporary: bool,
        door: FrontDoor,
        web: WebApp,
        provider: DevelopmentProvider,
        provider_server: RunningServer,
        tls: LocalTls,
        sock: socket.socket,
        seeded: Seeded,
        http: httpx.Client,
    ) -> None:
        self.url = url
        self.folder = folder
        self.door = door
        self.web = web
        self.provider_url = provider_server.url
        self.tls = tls
        self.seeded = seeded
        self.socket = sock
        self.provider = provider
        self._http = http
        self._temporary = temporary
        self._provider_server = provider_server
        self._served: list[RunningServer] = []

    def __repr__(self) -> str:
        return f"DemoSite(url={self.url!r})"

    def serve(self) -> RunningServer:
        """
        Serve the portal in a background thread (tests; :func:`run_demo`
        serves in the foreground).
        """
        server = RunningServer.start(self.web, self.socket, self.url, self.tls.server_context)
        self._served.append(server)
        return server

    def close(self) -> None:
        """
        Close the door, stop the portal (if :meth:`serve` started it) and
        the provider, and remove a temporary folder.

        The HTTP clients go first: their idle keep-alive connections (the
        door's to the provider, the provider's back-channel client's to the
        portal) would otherwise hold each server's shutdown for seconds.
        """
        try:
            self.door.close()
            self._http.close()
            self.provider.close()
            for server in self._served:
                server.stop()
            self._provider_server.stop()
        finally:
            with contextlib.suppress(OSError):
                self.socket.close()
            if self._temporary:
                shutil.rmtree(self.folder, ignore_errors=True)

    def logins(self) -> list[tuple[DemoPerson, str | None, str | None]]:
        """
        Each demo person with their client number and representative number.
        """
        return [
            (p, self.seeded.accounts.get(p.username), self.seeded.representatives.get(p.username))
            for p in PEOPLE
        ]


def _read_state(folder: pathlib.Path) -> dict[str, Any]:
    path = folder / _STATE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ConfigurationError(reason=f"{path} is not a demo state file")
    return data


def _write_private(path: pathlib.Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _keyring(folder: pathlib.Path) -> Keyring:
    """
    The demo's keyring, kept in the folder so a named folder opens again.
    A real deployment loads its keys from a secret store.
    """
    path = folder / _KEYRING
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        kek = KeyEncryptionKey(
            key_id=data["primary"], secret=_decode(data["keks"][data["primary"]])
        )
        index = _decode(data["index_key"])
        return Keyring([kek], primary=kek.key_id, index_key=index)
    secret, index = secrets.token_bytes(32), secrets.token_bytes(32)
    key_id = "kek-demo-" + secrets.token_hex(4)
    document = {
        "format": "ircc-keyring/1",
        "primary": key_id,
        "keks": {key_id: b64url_encode(secret)},
        "index_key": b64url_encode(index),
    }
    _write_private(path, json.dumps(document, indent=2))
    return Keyring(
        [KeyEncryptionKey(key_id=key_id, secret=secret)], primary=key_id, index_key=index
    )


def _decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _bind(host: str, port: int, *, fallback: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        if not fallback or e.errno != errno.EADDRINUSE:
            sock.close()
            raise ConfigurationError(reason=f"cannot listen on {host} port {port}") from None
        sock.bind((host, 0))
    return sock


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"https://{shown}:{port}"


@contextlib.contextmanager
def _folder(config: DemoConfig) -> Iterator[tuple[pathlib.Path, bool]]:
    if config.data is None:
        folder = pathlib.Path(tempfile.mkdtemp(prefix="ircc-account-demo-"))
        try:
            yield folder, True
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return
    config.data.mkdir(parents=True, exist_ok=True)
    yield config.data, False


def start_demo(config: DemoConfig) -> DemoSite:
    """
    Start the development provider, open the door on the folder's database
    (seeding it the first time), and build the portal.

    Raises:
        ConfigurationError: a port cannot be bound, or a bad data folder.
    """
    if config.host in ("0.0.0.0", "::", ""):  # noqa: S104 - refused here, not bound.
        raise ConfigurationError(
            reason="give the address browsers will use (the certificates are made for it)"
        )
    with _folder(config) as (folder, temporary):
        state = _read_state(folder)
        keyring = _keyring(folder)
        hosts = tuple(dict.fromkeys((config.host, "127.0.0.1", "localhost")))
        tls = LocalTls.generate(hosts)
        (folder / _CA).write_bytes(tls.ca_pem)
        sock = _bind(config.host, config.port, fallback=config.port == DemoConfig.port)
        url = _url(config.host, sock.getsockname()[1])
        secret = secrets.token_urlsafe(32)
        http = httpx.Client(verify=tls.client_context, timeout=5.0)
        provider = DevelopmentProvider(
            DevProviderConfig(
                development_mode=True,
                clients=(
                    DevClient(
                        client_id=_CLIENT_ID,
                        client_secret=secret,
                        redirect_uris=(f"{url}/login/callback",),
                        post_logout_redirect_uris=(f"{url}/logout/return",),
                        backchannel_logout_uri=f"{url}/backchannel-logout",
                    ),
                ),
                users=dev_users(),
            ),
            http_client=http,
        )
        try:
            # The issuer (its port) must stay the same for a named folder:
            # accounts are keyed by issuer and subject.
            provider_server = provider.serve(
                config.host, int(state.get("provider_port", 0)), ssl_context=tls.server_context
            )
        except OSError:
            sock.close()
            http.close()
            raise ConfigurationError(
                reason="the development provider's port is taken; free it or use another folder"
            ) from None
        sender = MemorySender()
        door = _open_door(config, folder, keyring, provider_server.url, url, secret, tls, sender)
        try:
            seeded = _seeded(state, door, http, url, folder, provider_server.url)
            web = _portal(door, url, seeded, sender)
        except BaseException:
            door.close()
            provider_server.stop()
            http.close()
            sock.close()
            raise
    return DemoSite(
        url=url,
        folder=folder,
        temporary=temporary,
        door=door,
        web=web,
        provider=provider,
        provider_server=provider_server,
        tls=tls,
        sock=sock,
        seeded=seeded,
        http=http,
    )


#: The built-in application services, which keep uploaded documents in a folder.
_APPLICATION_SERVICES = ("trv", "passport-renewal")


def _builtin_settings(
    allowed: list[AllowedPlugin], folder: pathlib.Path, url: str, sender: MemorySender
) -> dict[str, dict[str, Any]]:
    """
    Settings for the built-in services that will load (installed and
    allowlisted) and need some: the application services' sealed documents
    in the data folder; the notifications service's templates and its
    in-memory sender. Only those: settings for a service that is not
    registered are refused.
    """
    wanted: dict[str, dict[str, Any]] = {
        name: {"documents_folder": str(folder / "documents")} for name in _APPLICATION_SERVICES
    }
    wanted[notify.SERVICE_ID] = notification_settings(url, sender)
    pins = {a.name: a for a in allowed if a.name in wanted}
    settings: dict[str, dict[str, Any]] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        pin, dist = pins.get(ep.name), ep.dist
        if pin is None or dist is None or ep.name in settings:
            continue
        if pin.admits(dist.name, dist.version):
            settings[ep.name] = wanted[ep.name]
    return settings


def _open_door(
    config: DemoConfig,
    folder: pathlib.Path,
    keyring: Keyring,
    issuer: str,
    url: str,
    secret: str,
    tls: LocalTls,
    sender: MemorySender,
) -> FrontDoor:
    allowed = [*(builtin_services() if config.builtin_services else []), *config.allowed_plugins]
    plugins: dict[str, object] = {}
    if config.demo_services:
        plugins = {DemoStatus.SERVICE_ID: DemoStatus(), DemoMessages.SERVICE_ID: DemoMessages()}
    door = FrontDoor.open(
        FrontDoorConfig(
            database_url=f"sqlite:///{folder / _DATABASE}",
            keyring=keyring,
            licence_verifier=_Licences(),
            providers=[
                ProviderConfig(
                    name="dev",
                    issuer=issuer,
                    client_id=_CLIENT_ID,
                    client_auth=ClientSecret(secret=secret),
                    redirect_uri=f"{url}/login/callback",
                    post_logout_redirect_uri=f"{url}/logout/return",
                    acr_map=_ACR_MAP,
                    # Sender-constrained tokens (RFC 9449), as FAPI 2.0 asks.
                    dpop=True,
                )
            ],
            provider_tls=tls.client_context,
            allowed_plugins=allowed,
            plugin_settings=_builtin_settings(allowed, folder, url, sender),
        ),
        plugins=plugins,
    )
    if notify.SERVICE_ID in door.services.service_ids:
        # The outbox watches the audit log from now on (the seed's changes
        # included); the worker delivers to the in-memory sender.
        notify.plugin.attach(door).start(interval=1.0)
    return door


def _seeded(
    state: dict[str, Any],
    door: FrontDoor,
    http: httpx.Client,
    url: str,
    folder: pathlib.Path,
    provider_url: str,
) -> Seeded:
    if "seeded" in state:
        found = state["seeded"]
        return Seeded(
            accounts=found["accounts"],
            representatives=found["representatives"],
            names=found["names"],
        )
    seeded = seed(door, http, f"{url}/login/callback")
    # The department's counts the tracked visa's estimate reads (no client data).
    add_department_counts(door)
    state = {
        "format": "ircc-account-demo/1",
        "provider_port": int(provider_url.rsplit(":", 1)[1]),
        "seeded": attrs.asdict(seeded),
    }
    _write_private(folder / _STATE, json.dumps(state, indent=2))
    return seeded


def _portal(door: FrontDoor, url: str, seeded: Seeded, sender: MemorySender) -> WebApp:
    web = WebApp(
        door,
        WebConfig(
            origin=url,
            csrf_key=secrets.token_bytes(32),
            provider_labels={"dev": N_("the development sign-in service")},
            timezone="America/Toronto" if _has_zone("America/Toronto") else "UTC",
        ),
        templates=[jinja2.PackageLoader("ircc_account.demo", "templates")],
        catalogues=[Catalogue.from_package("ircc_account.demo", "demo")],
    )
    add_portal_pages(web, people=PEOPLE, names=seeded.names, messages=sender)
    return web


def _has_zone(name: str) -> bool:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def describe(site: DemoSite, out: TextIO) -> None:
    """
    Print the address and the demo logins.
    """
    print(f"The demo portal is at {site.url}/", file=out)
    print(f"  (the development sign-in service is at {site.provider_url})", file=out)
    print(
        f"  Both use a certificate made for this run: accept the browser's warning once, "
        f"or trust {site.folder / _CA}.",
        file=out,
    )
    print("", file=out)
    print("Sign in as (pick the person at the sign-in service, or on the home page):", file=out)
    for person, client, rep in site.logins():
        numbers = []
        if client:
            numbers.append(f"client number {client}")
        if rep:
            numbers.append(f"representative number {rep}")
        extra = f" [{'; '.join(numbers)}]" if numbers else ""
        print(
            f"  {person.username:<7} {person.given_name} {person.family_name}: "
            f"{person.role}{extra}",
            file=out,
        )
    print("", file=out)
    print(f"Data: {site.folder}", file=out)
    print("Press Ctrl-C to stop.", file=out, flush=True)


def run_demo(config: DemoConfig, out: TextIO | None = None) -> int:
    """
    Start the demo, print its address and logins, and serve until Ctrl-C
    or SIGTERM; then stop everything cleanly. Returns the exit status.

    A signal never interrupts the start-up half-way (a named folder is
    seeded whole or not at all): it is noted, and the demo stops as soon
    as it is up.
    """
    out = out or sys.stdout
    stopping = threading.Event()
    servers: list[uvicorn.Server] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        for server in servers:
            server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    site: DemoSite | None = None
    try:
        site = start_demo(config)
        tls = site.tls
        # Listen before saying where: a browser that connects at once waits
        # in the backlog until uvicorn accepts, instead of being refused.
        site.socket.listen(128)
        describe(site, out)
        server = uvicorn.Server(
            uvicorn.Config(
                site.web,
                log_level="warning",
                lifespan="off",
                ssl_context_factory=lambda _config, _default: tls.server_context,
            )
        )
        servers.append(server)
        if not stopping.is_set():
            # uvicorn handles SIGINT and SIGTERM itself while it serves (a
            # graceful shutdown), then raises them again for our handler.
            server.run(sockets=[site.socket])
    finally:
        if site is not None:
            site.close()
            print("Stopped.", file=out, flush=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
