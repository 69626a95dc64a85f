"""
The registry: registration and start-up checks, the kitchen-sink plugin end
to end through the gates, isolation of failing plugins, and restriction hooks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import attrs
import pytest

from ircc_account import Actor, AssuranceLevel, Capacity, FrozenClock
from ircc_account.audit import AuditEntry, Decision, who_touched_my_file
from ircc_account.authz import Action, Resource
from ircc_account.errors import (
    AuthorizationError,
    FieldTooLong,
    InvalidFormat,
    NotFound,
    ServiceBadOutput,
    ServiceDuplicate,
    ServiceManifestInvalid,
    ServiceNotAllowed,
    ServiceTimeout,
    ServiceUnavailable,
)
from ircc_account.hookspecs import hookimpl
from ircc_account.services import (
    AccountFacts,
    ActionOffer,
    BilingualText,
    BreakerState,
    EventAudience,
    EventKind,
    ItemKind,
    ItemState,
    RegistryEvents,
    ServiceItem,
    ServiceManifest,
    ServiceRegistry,
    TileStatus,
)
from tests.plugins import kitchen_sink

from .conftest import NOW

FACTS = AccountFacts(has_uci=True, country_of_residence="CA")


def manifest(sid: str, **changes: Any) -> ServiceManifest:
    fields: dict[str, Any] = {
        "service_id": sid,
        "version": "1.0",
        "title": {"en": f"Service {sid}", "fr": f"Service {sid} (fr)"},
        "description": {"en": "A test service.", "fr": "Un service d'essai."},
        "scopes": {"view_status", "act"},
    }
    fields.update(changes)
    return ServiceManifest(**fields)


def plugin(sid: str, **hooks: Callable[..., Any]) -> SimpleNamespace:
    """A throwaway plugin object whose hooks are the given functions."""
    hooks.setdefault("ircc_service_manifest", lambda: manifest(sid))
    return SimpleNamespace(**{name: hookimpl(fn) for name, fn in hooks.items()})


def item(client_id: str, sid: str, n: int = 1) -> ServiceItem:
    return ServiceItem(
        item_id=f"{sid}-item-{n}",
        account_id=client_id,
        service_id=sid,
        kind=ItemKind.APPLICATION,
        reference=f"R-{n}",
        state=ItemState.IN_PROGRESS,
        title=BilingualText(en="Study permit", fr="Permis d'études"),
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at teardown, so abandoned 'hung' plugin threads end with the test."""
    event = threading.Event()
    yield event
    event.set()


def wait_for(predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


# --- the kitchen sink, end to end ------------------------------------------------------


def test_kitchen_sink_end_to_end(make_registry, new_client) -> None:
    """A plugin implementing every hook serves the dashboard, timeline, actions and events through the gates."""
    kitchen_sink.EVENTS.clear()
    registry = make_registry({"kitchen-sink": kitchen_sink})
    me = new_client()
    ctx = registry.context("kitchen-sink", actor=me, client_id=me.actor_id)
    created = kitchen_sink.new_item(ctx)

    tile = registry.dashboard(actor=me, client_id=me.actor_id, facts=FACTS).tile("kitchen-sink")
    assert tile.status is TileStatus.OK
    assert [i.item_id for i in tile.items] == [created.item_id]

    who = {"actor": me, "client_id": me.actor_id}
    events = registry.timeline("kitchen-sink", created.item_id, **who)
    assert [e.kind.value for e in events] == ["created"]
    offers = registry.actions("kitchen-sink", created.item_id, **who)
    assert {o.action for o in offers} == {"withdraw", "note"}

    result = registry.perform("kitchen-sink", created.item_id, "withdraw", {}, **who)
    assert result.ok and result.item is not None and result.item.state is ItemState.WITHDRAWN
    assert wait_for(lambda: len(kitchen_sink.EVENTS) == 1)
    assert kitchen_sink.EVENTS[0].kind is EventKind.STATUS_CHANGED
    assert kitchen_sink.EVENTS[0].item_id == created.item_id
    assert registry.actions("kitchen-sink", created.item_id, **who) == ()


def test_gate_access_is_audited_as_the_plugin_on_behalf_of_the_user(
    make_registry, new_client, store
) -> None:
    """A plugin's read appears in the client's access history with the plugin as actor (SEC-96)."""
    registry = make_registry({"kitchen-sink": kitchen_sink})
    me = new_client()
    registry.context("kitchen-sink", actor=me, client_id=me.actor_id).items.list()
    records = who_touched_my_file(store, me.actor_id)
    assert any(r.capacity is Capacity.PLUGIN and r.action == "service.item.list" for r in records)


def test_plugin_cannot_read_another_clients_item(make_registry, new_client, store) -> None:
    """Another client's item is 'not found' through the gate, and the attempt is audited as denied (SEC-95)."""
    registry = make_registry({"kitchen-sink": kitchen_sink})
    alice, bob = new_client(), new_client()
    alices = kitchen_sink.new_item(
        registry.context("kitchen-sink", actor=alice, client_id=alice.actor_id)
    )
    bobs_ctx = registry.context("kitchen-sink", actor=bob, client_id=bob.actor_id)
    with pytest.raises(NotFound):
        bobs_ctx.items.get(alices.item_id)
    denied = [r for r in who_touched_my_file(store, bob.actor_id) if r.decision is Decision.DENIED]
    assert denied and denied[0].action == "service.item.read"


def test_gate_denies_when_the_user_may_not(make_registry, new_client) -> None:
    """A plugin acting for a representative without a grant is denied by the policy."""
    registry = make_registry({"kitchen-sink": kitchen_sink})
    client = new_client()
    rep = Actor(actor_id="rep-1", capacity=Capacity.REPRESENTATIVE, representative_id="rep-1")
    ctx = registry.context(
        "kitchen-sink", actor=rep, client_id=client.actor_id, scopes={"view_status"}
    )
    with pytest.raises(AuthorizationError):
        ctx.items.list()


def test_context_carries_no_session_or_handles(make_registry, new_client) -> None:
    """The context holds no session reference, store, policy or audit handle in its fields (SEC-95)."""
    registry = make_registry({"kitchen-sink": kitchen_sink})
    me = new_client()
    ctx = registry.context("kitchen-sink", actor=me, client_id=me.actor_id)
    assert ctx.actor.session_ref is None
    names = {f.name for f in attrs.fields(type(ctx))}
    assert names.isdisjoint({"store", "uow", "session", "token", "policy", "audit", "keyring"})
    assert "sess-hash-secret" not in repr(ctx)


# --- registration and start-up ---------------------------------------------------------


def test_unknown_hook_fails_registration(make_registry) -> None:
    """A plugin implementing a hook that is not specified is refused, naming it (SEC-97)."""
    bad = plugin("typo", ircc_client_itemz=lambda ctx: [])
    with pytest.raises(ServiceManifestInvalid) as e:
        make_registry({"typo": bad})
    assert e.value.params == {"service_id": "typo", "reason": "unknown hook"}


def test_registration_after_start_is_refused(make_registry) -> None:
    """Plugins register at start-up only (SEC-97)."""
    registry = make_registry({})
    with pytest.raises(ServiceNotAllowed):
        registry.register(plugin("late"), name="late")


def test_duplicate_and_blocked_names_are_refused(make_registry) -> None:
    """A second plugin with a taken name, or a blocked name, is refused."""
    registry = make_registry({"one": plugin("one")}, start=False, blocked=["evil"])
    with pytest.raises(ServiceDuplicate):
        registry.register(plugin("one"), name="one")
    with pytest.raises(ServiceNotAllowed):
        registry.register(plugin("evil"), name="evil")


def test_hook_wrappers_are_refused(make_registry) -> None:
    """A wrapper could run around other plugins' calls, so it is refused (SEC-94)."""

    class Wrapper:
        @hookimpl
        def ircc_service_manifest(self) -> ServiceManifest:
            return manifest("wrap")

        @hookimpl(wrapper=True)
        def ircc_client_items(self, ctx: Any) -> Any:
            return (yield)

    with pytest.raises(ServiceManifestInvalid, match="hook wrapper"):
        make_registry({"wrap": Wrapper()})


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: manifest("mono", title={"en": "English only"}), "validation.required (title_fr)"),
        (
            lambda: manifest("mono", description={"fr": "Français seulement"}),
            "validation.required (description_en)",
        ),
        (
            lambda: manifest("mono", title={"en": "Same", "fr": "Same"}),
            "validation.format (title_fr)",
        ),
        (lambda: manifest("other-id"), "id differs from its name"),
        (lambda: {"service_id": "mono"}, "not a ServiceManifest"),
        (
            lambda: manifest("mono", scopes={"someone-else:act"}),
            "validation.unknown_value (scopes)",
        ),
    ],
)
def test_bad_manifest_is_refused_naming_the_plugin(make_registry, make, reason, caplog) -> None:
    """A manifest in one language, untranslated, with a wrong id, type or scope is refused with a typed error naming the plugin, logged with the code it is raised with."""
    caplog.set_level(logging.ERROR, logger="ircc_account.services")
    with pytest.raises(ServiceManifestInvalid) as e:
        make_registry({"mono": plugin("mono", ircc_service_manifest=make)})
    assert e.value.params == {"service_id": "mono", "reason": reason}
    assert "mono" in e.value.message("fr")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "code=service.manifest_invalid" in lines[0]


# --- isolation ------------------------------------------------------------------------


def _bad_plugins(release: threading.Event) -> dict[str, Callable[[Any], Any]]:
    def raises(ctx: Any) -> Any:
        raise RuntimeError(f"boom for {ctx.client_id}")

    return {
        "raises": raises,
        "hangs": lambda ctx: release.wait(10) and [],
        "wrong-type": lambda ctx: "not a list",
        "wrong-element": lambda ctx: [{"item_id": "x"}],
        "duplicate-ids": lambda ctx: [item(ctx.client_id, "duplicate-ids")] * 2,
        "other-client": lambda ctx: [item("client-someone-else", "other-client")],
        "oversized": lambda ctx: [item(ctx.client_id, "oversized", n) for n in range(201)],
        "generator": lambda ctx: (i for i in ()),
    }


@pytest.mark.parametrize(
    "bad",
    [
        "raises",
        "hangs",
        "wrong-type",
        "wrong-element",
        "duplicate-ids",
        "other-client",
        "oversized",
        "generator",
    ],
)
def test_a_bad_plugin_gets_an_unavailable_tile_and_others_are_intact(
    make_registry, new_client, release, caplog, bad
) -> None:
    """A plugin that raises, hangs or returns malformed data gets a bilingual 'unavailable' tile, one log line without personal data, and a degraded mark; the others are intact (SEC-93)."""
    good = plugin("good", ircc_client_items=lambda ctx: [item(ctx.client_id, "good")])
    broken = plugin(bad, ircc_client_items=_bad_plugins(release)[bad])
    registry = make_registry({"good": good, bad: broken}, deadline=0.3, failure_threshold=1)
    me = new_client()
    caplog.set_level(logging.ERROR, logger="ircc_account.services")
    start = time.perf_counter()
    page = registry.dashboard(actor=me, client_id=me.actor_id, facts=FACTS)
    elapsed = time.perf_counter() - start

    assert elapsed < 0.3 + 0.2
    assert page.tile("good").status is TileStatus.OK and len(page.tile("good").items) == 1
    tile = page.tile(bad)
    assert tile.status is TileStatus.UNAVAILABLE and tile.items == ()
    assert (
        tile.message is not None
        and "disponible" in tile.message.fr
        and "available" in tile.message.en
    )
    expected = {"hangs": "service.timeout", "raises": "service.unavailable"}.get(
        bad, "service.bad_output"
    )
    assert tile.error_code == expected
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and f"service_id={bad}" in lines[0] and expected in lines[0]
    assert me.actor_id not in lines[0] and "boom" not in lines[0]
    assert registry.health() == {"good": BreakerState.CLOSED, bad: BreakerState.OPEN}


def test_degraded_plugin_is_skipped_then_probed(make_registry, new_client, release) -> None:
    """A hung plugin is marked degraded and skipped at once; after the cool-down one probe closes the circuit again."""
    clock = FrozenClock(NOW)
    hang = threading.Event()
    hang.set()

    calls: list[str] = []

    def items(ctx: Any) -> Any:
        calls.append(ctx.client_id)
        if hang.is_set():
            release.wait(10)
        return [item(ctx.client_id, "flaky")]

    registry = make_registry(
        {"flaky": plugin("flaky", ircc_client_items=items)}, deadline=0.2, clock=clock
    )
    me = new_client()
    first = registry.dashboard(actor=me, client_id=me.actor_id, facts=FACTS).tile("flaky")
    assert first.error_code == "service.timeout"
    hang.clear()
    second = registry.dashboard(actor=me, client_id=me.actor_id, facts=FACTS).tile("flaky")
    assert second.status is TileStatus.UNAVAILABLE and len(calls) == 1
    clock.advance(31)
    third = registry.dashboard(actor=me, client_id=me.actor_id, facts=FACTS).tile("flaky")
    assert third.status is TileStatus.OK
    assert registry.health()["flaky"] is BreakerState.CLOSED


def test_single_calls_raise_typed_errors(make_registry, new_client, release) -> None:
    """Timeline, actions and perform raise the typed error naming the plugin."""
    me = new_client()
    who = {"actor": me, "client_id": me.actor_id}
    registry = make_registry(
        {
            "slow": plugin("slow", ircc_item_timeline=lambda ctx, item_id: release.wait(10)),
            "odd": plugin("odd", ircc_item_timeline=lambda ctx, item_id: [1, 2]),
        },
        deadline=0.2,
    )
    with pytest.raises(ServiceTimeout) as e:
        registry.timeline("slow", "x", **who)
    assert e.value.params == {"service_id": "slow"}
    with pytest.raises(ServiceBadOutput) as bad:
        registry.timeline("odd", "x", **who)
    assert bad.value.params["service_id"] == "odd"
    with pytest.raises(ServiceNotAllowed):
        registry.timeline("absent", "x", **who)


# --- actions, scopes, rollout, assurance ---------------------------------------------------


def _offers(ctx: Any, item_id: str) -> list[ActionOffer]:
    label = BilingualText(en="Go", fr="Allez")
    return [
        ActionOffer(action="ask", label=label, scope="view_status"),
        ActionOffer(action="act", label=label, scope="act"),
    ]


def test_offers_are_filtered_by_scope_and_only_offered_actions_run(
    make_registry, new_client
) -> None:
    """A representative sees only offers their scopes allow, and cannot perform anything else."""
    done: list[str] = []

    def perform(ctx: Any, item_id: str, action: str, payload: Any) -> Any:
        done.append(action)
        from ircc_account.services import ActionResult

        return ActionResult(ok=True, message=BilingualText(en="Ok", fr="Ok"))

    registry = make_registry(
        {"acts": plugin("acts", ircc_item_actions=_offers, ircc_perform_action=perform)}
    )
    client = new_client()
    rep = Actor(actor_id="rep-2", capacity=Capacity.REPRESENTATIVE, representative_id="rep-2")
    who = {"actor": rep, "client_id": client.actor_id, "scopes": {"view_status"}}
    assert [o.action for o in registry.actions("acts", "i-1", **who)] == ["ask"]
    with pytest.raises(ServiceNotAllowed):
        registry.perform("acts", "i-1", "act", {}, **who)
    registry.perform("acts", "i-1", "ask", {"note": "hello"}, **who)
    assert done == ["ask"]


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ("text", InvalidFormat),
        ({"k": 1}, InvalidFormat),
        ({f"k{i}": "v" for i in range(51)}, InvalidFormat),
        ({"k": "v" * 10_001}, FieldTooLong),
    ],
)
def test_bad_payloads_are_refused_before_the_plugin(
    make_registry, new_client, payload, error
) -> None:
    """Wrong types and oversized form payloads never reach the plugin."""
    registry = make_registry({"acts": plugin("acts", ircc_item_actions=_offers)})
    me = new_client()
    with pytest.raises(error):
        registry.perform("acts", "i-1", "ask", payload, actor=me, client_id=me.actor_id)


def test_rollout_kill_switch_eligibility_and_step_up(make_registry, new_client) -> None:
    """The kill switch and eligibility hide a service; a weak login gets a step-up tile."""
    registry = make_registry(
        {
            "strong": plugin(
                "strong",
                ircc_service_manifest=lambda: manifest("strong", assurance=AssuranceLevel.HIGH),
            ),
            "killable": plugin("killable"),
            "kitchen-sink": kitchen_sink,
        }
    )
    me = new_client()
    page = registry.dashboard(actor=me, client_id=me.actor_id, facts=FACTS)
    assert [t.service_id for t in page.tiles] == ["strong", "killable", "kitchen-sink"]
    assert page.tile("strong").status is TileStatus.STEP_UP
    registry.set_rollout("killable", killed=True)
    no_uci = AccountFacts(has_uci=False)
    page = registry.dashboard(actor=me, client_id=me.actor_id, facts=no_uci)
    assert [t.service_id for t in page.tiles] == ["strong"]


def test_eligibility_hook_can_hide_a_service(make_registry, new_client) -> None:
    """ircc_is_eligible returning anything but True hides the service's tile."""
    registry = make_registry(
        {
            "picky": plugin(
                "picky", ircc_is_eligible=lambda ctx: "yes", ircc_client_items=lambda ctx: []
            )
        }
    )
    me = new_client()
    assert registry.dashboard(actor=me, client_id=me.actor_id, facts=FACTS).tiles == ()


# --- restrictions and events -------------------------------------------------------------


def test_restrictions_only_restrict(make_registry, new_client, release) -> None:
    """A restriction denies; a tryfirst plugin answering 'no objection' cannot undo it; a failing one denies (SEC-94)."""
    permissive = SimpleNamespace(
        ircc_service_manifest=hookimpl(lambda: manifest("permissive")),
        ircc_restrict_access=hookimpl(tryfirst=True)(lambda actor, action, resource: []),
    )
    registry = make_registry({"kitchen-sink": kitchen_sink, "permissive": permissive})
    me = new_client()
    resource = Resource(client_id=me.actor_id)
    assert registry.restrictions(me, Action.VIEW_STATUS, resource) == ()
    kitchen_sink.EMBARGOED.add(me.actor_id)
    try:
        assert registry.restrictions(me, Action.VIEW_STATUS, resource) == ("kitchen-sink:embargo",)
        with pytest.raises(AuthorizationError):
            registry.context("kitchen-sink", actor=me, client_id=me.actor_id).items.list()
    finally:
        kitchen_sink.EMBARGOED.discard(me.actor_id)

    def explode(actor: Any, action: Any, resource: Any) -> Any:
        raise RuntimeError("broken")

    failing = make_registry(
        {
            "explodes": plugin("explodes", ircc_restrict_access=explode),
            "malformed": plugin(
                "malformed", ircc_restrict_access=lambda actor, action, resource: "no"
            ),
            "sleeps": plugin(
                "sleeps", ircc_restrict_access=lambda actor, action, resource: release.wait(10)
            ),
        },
        deadline=0.2,
    )
    assert set(failing.restrictions(me, Action.VIEW_STATUS, resource)) == {
        "explodes:failed",
        "malformed:malformed",
        "sleeps:failed",
    }


def test_grant_and_audit_events_reach_plugins(make_registry) -> None:
    """RegistryEvents turns audit alerts and grant changes into ircc_on_event calls; a raising listener harms nobody."""
    heard: list[EventKind] = []

    def explode(event: Any) -> None:
        raise RuntimeError("listener broke")

    def hears_all(sid: str) -> Callable[[], ServiceManifest]:
        return lambda: manifest(sid, hears=EventAudience.ALL)

    registry = make_registry(
        {
            "listener": plugin(
                "listener",
                ircc_service_manifest=hears_all("listener"),
                ircc_on_event=lambda event: heard.append(event.kind),
            ),
            "broken": plugin(
                "broken", ircc_service_manifest=hears_all("broken"), ircc_on_event=explode
            ),
        }
    )
    bridge = RegistryEvents(registry)
    entry = AuditEntry(
        occurred_at=NOW,
        actor_id="rep-3",
        client_id="client-x",
        capacity=Capacity.REPRESENTATIVE,
        action="authz.view_status",
        decision=Decision.ALLOWED,
        reason="grant",
    )
    bridge.representative_acted("client-x", entry)
    assert wait_for(lambda: heard == [EventKind.REPRESENTATIVE_ACTED])
    from ircc_account.services import ServiceEvent

    failed = registry.publish(
        ServiceEvent(kind=EventKind.DECISION, client_id="client-x", occurred_at=NOW), wait=True
    )
    assert failed == ["broken"]
    assert heard[-1] is EventKind.DECISION


def test_unstarted_registry_serves_nothing(make_registry, new_client) -> None:
    """Before start(), requests are refused as unavailable."""
    registry: ServiceRegistry = make_registry({"one": plugin("one")}, start=False)
    me = new_client()
    with pytest.raises(ServiceUnavailable):
        registry.context("one", actor=me, client_id=me.actor_id)
