"""
What a plugin can reach and what it cannot: capabilities without
back-references, the kill switch and rollout on every call, events only for
those who may hear them, a bounded close, and a quiet library.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import pathlib
import subprocess
import sys
import textwrap
import threading
import time
import types
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from ircc_account import Actor, AssuranceLevel, Capacity, FrontDoor, FrontDoorConfig, Keyring
from ircc_account._crypto import DataKey
from ircc_account.audit import AuditLog, Decision, who_touched_my_file
from ircc_account.delegation import Policy
from ircc_account.errors import NotFound, ServiceNotAllowed, ServiceUnavailable
from ircc_account.services import (
    EventAudience,
    EventKind,
    ServiceContext,
    ServiceEvent,
    ServiceRegistry,
)
from ircc_account.storage import SqlStore
from tests.door.conftest import Verifier
from tests.plugins import kitchen_sink

from .conftest import NOW
from .test_registry import FACTS, manifest, plugin, release, wait_for

__all__ = ["release"]  # the fixture, shared with the registry tests

ROOT = pathlib.Path(__file__).resolve().parents[2]

# --- capabilities --------------------------------------------------------------------------

_LEAVES = (str, bytes, int, float, bool, type(None), complex, range, dt.datetime, dt.date,
           types.CodeType)  # fmt: skip
_SKIP_NAMES = frozenset({"__globals__", "__builtins__", "__subclasses__"})
# C-level callables: only their __self__ / __objclass__ lead anywhere (and a
# fresh one is made at each lookup, so walking their own attributes never ends).
_BUILTIN = (
    types.MethodWrapperType,
    types.BuiltinMethodType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
    types.GetSetDescriptorType,
    types.MemberDescriptorType,
)


def _children(path: str, obj: object) -> list[tuple[str, object]]:
    if isinstance(obj, _BUILTIN):
        return [
            (f"{path}.{name}", getattr(obj, name))
            for name in ("__self__", "__objclass__")
            if hasattr(obj, name)
        ]
    children: list[tuple[str, object]] = []
    if isinstance(obj, dict | types.MappingProxyType):
        children += [(f"{path}[{k!r}]", v) for k, v in list(obj.items())]
        children += [(f"{path}.key", k) for k in list(obj.keys())]
    elif isinstance(obj, list | tuple | set | frozenset):
        children += [(f"{path}[]", v) for v in list(obj)]
    if isinstance(obj, weakref.ReferenceType):
        # A weak reference (a WeakMethod, a dictionary's key reference) leads
        # to its referent by calling it with no arguments.
        children.append((f"{path}()", obj()))
    if isinstance(obj, types.CellType):
        with contextlib.suppress(ValueError):
            children.append((f"{path}.cell_contents", obj.cell_contents))
    for name in set(dir(obj)) | set(getattr(type(obj), "__slots__", ())):
        if name in _SKIP_NAMES:
            continue
        try:
            value = getattr(obj, name)
        except Exception:  # noqa: S112 (a property that cannot be read is no path)
            continue
        if isinstance(value, _BUILTIN) and getattr(value, "__self__", None) is obj:
            continue  # obj's own C method: leads back to obj only
        children.append((f"{path}.{name}", value))
    return children


def _reachable(root: object, *, limit: int = 200_000) -> Iterator[tuple[str, object]]:
    """
    Every object reachable from *root* by attributes (dir(), slots and
    __dict__, closure cells, __self__, __func__, __wrapped__, defaults),
    weak references (called), container members and classes, but not
    through a module's globals (importing the module is the path left).
    """
    seen: dict[int, object] = {}  # keeps each object alive, so no id is reused
    stack: list[tuple[str, object]] = [("ctx", root)]
    while stack:
        path, obj = stack.pop()
        if id(obj) in seen or isinstance(obj, types.ModuleType):
            continue
        seen[id(obj)] = obj
        assert len(seen) < limit, "the walk did not end"
        yield path, obj
        if not isinstance(obj, _LEAVES):
            stack.extend(_children(path, obj))


@pytest.fixture
def store(store_on_both: SqlStore) -> SqlStore:
    """These tests run on SQLite and on PostgreSQL."""
    return store_on_both


@pytest.fixture
def door(database_url: str) -> Iterator[FrontDoor]:
    """A front door with the kitchen-sink service, on SQLite and on PostgreSQL."""
    config = FrontDoorConfig(
        database_url=database_url,
        keyring=Keyring.generate(),
        licence_verifier=Verifier(),
    )
    with FrontDoor.open(config, plugins={"kitchen-sink": kitchen_sink}) as front:
        yield front


def _client(door: FrontDoor, n: int = 1) -> Actor:
    from ircc_account import ContactDetails, PersonalDetails
    from ircc_account.identity import ClientAccount

    account_id = f"acct-{n}"
    with door.store.unit_of_work() as uow:
        uow.accounts.add(
            ClientAccount(
                account_id=account_id,
                personal=PersonalDetails(family_name="Tremblay", date_of_birth="1990-01-01"),
                contact=ContactDetails(email=f"marie{n}@example.ca"),
                uci=f"{30000000 + n}",
                created_at=NOW,
            )
        )
        uow.commit()
    return Actor(
        actor_id=account_id,
        capacity=Capacity.CLIENT,
        account_id=account_id,
        assurance=AssuranceLevel.MODERATE,
    )


def test_no_attribute_path_from_a_context_reaches_the_store_keyring_policy_or_audit(
    door: FrontDoor,
) -> None:
    """Walking every attribute, closure, bound method, slot and weak reference from a context finds no store, keyring, data key, policy, audit log, registry or gatekeeper table."""
    from ircc_account.services import _context

    me = _client(door)
    ctx = door.services.context("kitchen-sink", actor=me, client_id=me.actor_id)
    kitchen_sink.new_item(ctx)  # the gates have been used
    forbidden = {
        id(door.store),
        id(door.store.keyring),
        id(door.store.engine),
        id(door.policy),
        id(door.audit),
        id(door.services),
        id(door),
        id(_context._KEEPERS),
    }
    kinds = (SqlStore, Keyring, DataKey, Policy, AuditLog, ServiceRegistry, FrontDoor, sa.Engine)
    for path, obj in _reachable(ctx):
        assert id(obj) not in forbidden, path
        assert not isinstance(obj, kinds), path
    assert ctx.items.list()  # and yet the gates work


def test_a_dropped_context_leaves_nothing_behind(door: FrontDoor) -> None:
    """A context's gatekeeper lives only as long as the context: the table does not grow."""
    from ircc_account.services import _context

    me = _client(door)
    before = len(_context._KEEPERS)
    for _ in range(50):
        door.services.context("kitchen-sink", actor=me, client_id=me.actor_id).items.list()
    gc.collect()
    assert len(_context._KEEPERS) <= before


# --- the kill switch and the rollout ------------------------------------------------------


def test_a_killed_service_refuses_every_call(door: FrontDoor) -> None:
    """With the kill switch pulled, timeline, actions and perform are refused before the plugin runs, as the dashboard is."""
    me = _client(door)
    ctx = door.services.context("kitchen-sink", actor=me, client_id=me.actor_id)
    item = kitchen_sink.new_item(ctx)
    who = {"actor": me, "client_id": me.actor_id}
    door.services.set_rollout("kitchen-sink", killed=True)
    with pytest.raises(ServiceUnavailable):
        door.services.timeline("kitchen-sink", item.item_id, **who)
    with pytest.raises(ServiceUnavailable):
        door.services.actions("kitchen-sink", item.item_id, **who)
    with pytest.raises(ServiceUnavailable):
        door.services.perform("kitchen-sink", item.item_id, "withdraw", {}, **who)
    with pytest.raises(ServiceUnavailable):
        door.services.service_actions("kitchen-sink", **who)
    assert door.dashboard(me, me.actor_id, facts=FACTS).tiles == ()
    with pytest.raises(ServiceUnavailable):
        door.item(me, me.actor_id, item.item_id)
    with door.store.unit_of_work(write=False) as uow:
        assert uow.items.get(item.item_id).state is item.state  # withdraw never ran


def test_a_client_outside_the_rollout_is_refused_every_call(door: FrontDoor) -> None:
    """A client on the deny list gets no timeline, actions or perform either."""
    me = _client(door)
    item = kitchen_sink.new_item(
        door.services.context("kitchen-sink", actor=me, client_id=me.actor_id)
    )
    door.services.set_rollout("kitchen-sink", deny={me.actor_id})
    who = {"actor": me, "client_id": me.actor_id}
    for call in (
        lambda: door.services.timeline("kitchen-sink", item.item_id, **who),
        lambda: door.services.actions("kitchen-sink", item.item_id, **who),
        lambda: door.services.perform("kitchen-sink", item.item_id, "withdraw", {}, **who),
    ):
        with pytest.raises(ServiceNotAllowed):
            call()


def test_raising_the_percentage_keeps_every_client_in_and_the_other_fields(
    make_registry,
) -> None:
    """From 10 % to 20 % with set_rollout: the salt, allow and deny lists stay, and nobody in at 10 % drops out."""
    registry = make_registry({"one": plugin("one")})
    clients = [f"client-{n}" for n in range(2000)]
    registry.set_rollout("one", percentage=10, salt="spring", deny={"client-7"}, allow={"vip"})
    before = {c for c in clients if registry.rollout("one").includes("one", c)}
    rollout = registry.set_rollout("one", percentage=20)
    after = {c for c in clients if rollout.includes("one", c)}
    assert (rollout.salt, rollout.deny, rollout.allow) == ("spring", {"client-7"}, {"vip"})
    assert before <= after and len(after) > len(before)
    assert "client-7" not in after and rollout.includes("one", "vip")


def test_set_rollout_refuses_an_unknown_field(make_registry) -> None:
    """A misspelt field is a typed error, and the rollout is unchanged."""
    from ircc_account.errors import ConfigurationError

    registry = make_registry({"one": plugin("one")})
    with pytest.raises(ConfigurationError):
        registry.set_rollout("one", percent=20)
    assert registry.rollout("one").percentage == 100


# --- events ---------------------------------------------------------------------------------


def test_plugins_hear_only_their_own_service_unless_they_declare_all(make_registry) -> None:
    """Grant events and other services' events reach only a plugin whose manifest hears all; a service hears its own."""
    heard: dict[str, list[EventKind]] = {"own": [], "other": [], "notifier": []}

    def listener(sid: str, **changes: Any) -> object:
        return plugin(
            sid,
            ircc_service_manifest=lambda: manifest(sid, **changes),
            ircc_on_event=lambda event: heard[sid].append(event.kind),
        )

    registry = make_registry(
        {
            "own": listener("own"),
            "other": listener("other"),
            "notifier": listener("notifier", hears=EventAudience.ALL),
        }
    )
    # What RegistryEvents publishes for a new grant: a client and their representative.
    registry.publish(
        ServiceEvent(
            kind=EventKind.GRANT_CREATED,
            client_id="client-x",
            occurred_at=NOW,
            grant_id="grant-1",
            actor_id="rep-9",
        ),
        wait=True,
    )
    event = ServiceEvent(
        kind=EventKind.DECISION, client_id="client-x", occurred_at=NOW, service_id="own"
    )
    registry.publish(event, wait=True)
    assert wait_for(lambda: len(heard["notifier"]) == 2)
    time.sleep(0.1)
    assert heard["own"] == [EventKind.DECISION]
    assert heard["other"] == []
    assert sorted(heard["notifier"]) == sorted([EventKind.GRANT_CREATED, EventKind.DECISION])


# --- cross-client attempts --------------------------------------------------------------------


def test_a_plugins_own_not_found_is_recorded_naming_the_item(make_registry, new_client, store):
    """When a plugin answers 'not found' for another client's item on its own (no gate read), the attempt is recorded with the item tried."""

    def timeline(ctx: ServiceContext, item_id: str) -> Any:
        raise NotFound(kind="item")

    registry = make_registry({"own-check": plugin("own-check", ircc_item_timeline=timeline)})
    me = new_client()
    with pytest.raises(NotFound):
        registry.timeline("own-check", "own-check-someone-else", actor=me, client_id=me.actor_id)
    denied = [r for r in who_touched_my_file(store, me.actor_id) if r.decision is Decision.DENIED]
    assert [(r.action, r.item_id) for r in denied] == [
        ("service.timeline.read", "own-check-someone-else")
    ]


def test_a_gates_not_found_is_recorded_once(make_registry, new_client, store) -> None:
    """A refusal the gate recorded is not recorded again by the registry."""
    registry = make_registry({"kitchen-sink": kitchen_sink})
    alice, bob = new_client(), new_client()
    alices = kitchen_sink.new_item(
        registry.context("kitchen-sink", actor=alice, client_id=alice.actor_id)
    )
    with pytest.raises(NotFound):
        registry.timeline("kitchen-sink", alices.item_id, actor=bob, client_id=bob.actor_id)
    denied = [r for r in who_touched_my_file(store, bob.actor_id) if r.decision is Decision.DENIED]
    assert [(r.action, r.item_id) for r in denied] == [("service.timeline.read", alices.item_id)]


def test_a_malformed_item_id_is_the_callers_error_not_a_strike(door: FrontDoor) -> None:
    """An item id that is no identifier is refused as InvalidFormat before the plugin is asked, however often, and the service stays on for everyone."""
    from ircc_account.errors import InvalidFormat
    from ircc_account.services import BreakerState

    me = _client(door)
    item = kitchen_sink.new_item(
        door.services.context("kitchen-sink", actor=me, client_id=me.actor_id)
    )
    who = {"actor": me, "client_id": me.actor_id}
    for bad in ("a b", "", "../x", "x" * 200):
        with pytest.raises(InvalidFormat):
            door.services.timeline("kitchen-sink", bad, **who)
        with pytest.raises(InvalidFormat):
            door.services.actions("kitchen-sink", bad, **who)
        with pytest.raises(InvalidFormat):
            door.services.perform("kitchen-sink", bad, "withdraw", {}, **who)
    assert door.services.health()["kitchen-sink"] is BreakerState.CLOSED
    assert door.services.timeline("kitchen-sink", item.item_id, **who)


# --- logs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stuck_in", "hooks"),
    [
        ("ircc_is_eligible", {"ircc_is_eligible": "raise"}),
        ("ircc_client_items", {"ircc_client_items": "raise"}),
        ("ircc_service_actions", {"ircc_service_actions": "raise"}),
        ("ircc_is_eligible", {"ircc_is_eligible": "hang"}),
    ],
)
def test_a_dashboard_failure_is_logged_with_the_hook_that_failed(
    make_registry, new_client, caplog, release, stuck_in, hooks
) -> None:
    """The log line names the hook that raised or hung, never a made-up one."""

    def behave(how: str) -> Callable[..., Any]:
        def hook(ctx: Any) -> Any:
            if how == "hang":
                release.wait(10)
            raise RuntimeError("broken")

        return hook

    all_hooks: dict[str, Callable[..., Any]] = {
        "ircc_is_eligible": lambda ctx: True,
        "ircc_client_items": lambda ctx: [],
        "ircc_service_actions": lambda ctx: [],
    }
    all_hooks.update({name: behave(how) for name, how in hooks.items()})
    registry = make_registry({"flaky": plugin("flaky", **all_hooks)}, deadline=0.2)
    me = new_client()
    caplog.set_level(logging.ERROR, logger="ircc_account.services")
    registry.dashboard(actor=me, client_id=me.actor_id, facts=FACTS)
    (line,) = [r.getMessage() for r in caplog.records]
    assert f"hook={stuck_in} " in line


def test_the_library_is_quiet_when_the_application_configures_no_logging() -> None:
    """A failing plugin with no logging configured writes nothing to stderr."""
    script = textwrap.dedent(
        """
        import tempfile, types
        from ircc_account import Actor, Capacity, Keyring, SystemClock
        from ircc_account.audit import AuditLog
        from ircc_account.delegation import Policy
        from ircc_account.hookspecs import hookimpl
        from ircc_account.services import AccountFacts, ServiceManifest, ServiceRegistry
        from ircc_account.storage import open_store

        def boom(ctx):
            raise RuntimeError("boom")

        folder = tempfile.mkdtemp()
        store = open_store(f"sqlite:///{folder}/a.db", keyring=Keyring.generate())
        manifest = ServiceManifest(service_id="noisy", version="1",
            title={"en": "Noisy", "fr": "Bruyant"}, description={"en": "A.", "fr": "B."})
        plugin = types.SimpleNamespace(
            ircc_service_manifest=hookimpl(lambda: manifest), ircc_client_items=hookimpl(boom))
        registry = ServiceRegistry(store=store, policy=Policy(clock=SystemClock(), audit=AuditLog(store)))
        registry.register(plugin, name="noisy")
        registry.start()
        me = Actor(actor_id="c-1", capacity=Capacity.CLIENT, account_id="c-1", assurance=2)
        tile = registry.dashboard(actor=me, client_id="c-1", facts=AccountFacts()).tile("noisy")
        assert tile.error_code == "service.unavailable", tile
        registry.close()
        store.close()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


@contextlib.contextmanager
def _failing_portal() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server answering every GET with 503; yields its URL and the paths asked."""
    import http.server

    asked: list[str] = []

    class Unavailable(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(503)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def test_a_legacy_retry_is_quiet_when_the_application_configures_no_logging() -> None:
    """A legacy client retrying against a portal answering 503, with no logging configured, writes nothing to stderr."""
    script = textwrap.dedent(
        """
        import sys
        from ircc_account.errors import LegacyUnavailable
        from ircc_account.services import LegacyPortalClient

        client = LegacyPortalClient(sys.argv[1], service_id="old", attempts=3, wait_initial=0.01)
        try:
            client.get_json("/api/v1/files/1")
        except LegacyUnavailable:
            pass
        else:
            raise SystemExit("a 503 was not unavailable")
        client.close()
        """
    )
    with _failing_portal() as (url, asked):
        done = subprocess.run(
            [sys.executable, "-c", script, url],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert len(asked) == 3  # the first try and two retries
    assert done.stderr == ""


# --- closing ------------------------------------------------------------------------------


def test_close_abandons_a_plugin_hung_forever_and_the_process_exits() -> None:
    """A plugin that never returns neither keeps close() waiting past its bound nor the process from exiting."""
    script = textwrap.dedent(
        """
        import tempfile, threading, time, types
        from ircc_account import Actor, Capacity, Keyring, SystemClock
        from ircc_account.audit import AuditLog
        from ircc_account.delegation import Policy
        from ircc_account.hookspecs import hookimpl
        from ircc_account.services import AccountFacts, ServiceManifest, ServiceRegistry
        from ircc_account.storage import open_store

        forever = threading.Event()
        folder = tempfile.mkdtemp()
        store = open_store(f"sqlite:///{folder}/a.db", keyring=Keyring.generate())
        manifest = ServiceManifest(service_id="stuck", version="1",
            title={"en": "Stuck", "fr": "Bloqué"}, description={"en": "A.", "fr": "B."})
        plugin = types.SimpleNamespace(
            ircc_service_manifest=hookimpl(lambda: manifest),
            ircc_client_items=hookimpl(lambda ctx: forever.wait()),
            ircc_shutdown=hookimpl(lambda: forever.wait()))
        registry = ServiceRegistry(store=store, policy=Policy(clock=SystemClock(), audit=AuditLog(store)), deadline=0.3)
        registry.register(plugin, name="stuck")
        registry.start()
        me = Actor(actor_id="c-1", capacity=Capacity.CLIENT, account_id="c-1", assurance=2)
        registry.dashboard(actor=me, client_id="c-1", facts=AccountFacts())
        start = time.monotonic()
        registry.close(timeout=0.5)
        print(round(time.monotonic() - start, 2))
        store.close()
        """
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.strip()) < 0.3 + 0.5 + 0.5
    assert time.monotonic() - started < 20


def test_start_hands_each_plugin_its_settings_and_the_door_close_shuts_them_down(
    tmp_path: pathlib.Path,
) -> None:
    """Settings from FrontDoorConfig reach ircc_startup read-only; FrontDoor.close() calls ircc_shutdown."""
    seen: list[Any] = []
    stopped = threading.Event()

    def startup(settings: Any) -> None:
        seen.append(settings)
        with pytest.raises(TypeError):
            settings["base_url"] = "elsewhere"

    service = plugin("configured", ircc_startup=startup, ircc_shutdown=lambda: stopped.set())
    config = FrontDoorConfig(
        database_url=f"sqlite:///{tmp_path / 'door.db'}",
        keyring=Keyring.generate(),
        licence_verifier=Verifier(),
        plugin_settings={"configured": {"base_url": "http://portal.example"}},
    )
    door = FrontDoor.open(config, plugins={"configured": service})
    assert [dict(s) for s in seen] == [{"base_url": "http://portal.example"}]
    assert not stopped.is_set()
    door.close()
    assert stopped.is_set()


def test_settings_for_an_unknown_service_or_a_failing_startup_refuse_start(make_registry) -> None:
    """A settings key naming no registered plugin, or an ircc_startup that raises, stops start-up with a typed error."""
    from ircc_account.errors import ConfigurationError, ServiceManifestInvalid

    with pytest.raises(ConfigurationError):
        make_registry({"one": plugin("one")}, settings={"typo": {}})

    def broken(settings: Any) -> None:
        raise RuntimeError("no base_url")

    with pytest.raises(ServiceManifestInvalid, match="ircc_startup") as refused:
        make_registry({"two": plugin("two", ircc_startup=broken)})
    assert refused.value.params["cause"] == "service.unavailable"
    assert isinstance(refused.value.__cause__, ServiceUnavailable)
    assert isinstance(refused.value.__cause__.__cause__, RuntimeError)


def test_a_missing_notify_template_in_the_settings_is_named_in_both_languages(
    database_url: str,
) -> None:
    """FrontDoor.open with a Notify template missing from the host's settings refuses start-up naming the template error's code, in French with no English, chained to that error."""
    from ircc_account.builtin.notify import MemorySender, NotificationsService
    from ircc_account.errors import NotifyTemplateMissing, ServiceManifestInvalid

    config = FrontDoorConfig(
        database_url=database_url,
        keyring=Keyring.generate(),
        licence_verifier=Verifier(),
        plugin_settings={
            "notifications": {
                "sender": MemorySender(),
                "templates": {},
                "portal_url": "https://portal.example",
            }
        },
    )
    with pytest.raises(ServiceManifestInvalid) as refused:
        FrontDoor.open(config, plugins={"notifications": NotificationsService()})
    error = refused.value
    assert error.params["cause"] == "notifications.template_missing"
    assert error.message("fr") == (
        "Le module de service notifications a été refusé : "
        "notifications.template_missing (ircc_startup)."
    )
    assert "notifications.template_missing" in error.message("en")
    assert isinstance(error.__cause__, NotifyTemplateMissing)
    assert error.__cause__.params["language"] in {"en", "fr"}
