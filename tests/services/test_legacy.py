"""
The legacy adapter against the real example portal on 127.0.0.1: mapping,
and the portal going slow, answering garbage, failing and going down.
"""

from __future__ import annotations

import datetime as dt
import logging
import pathlib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from ircc_account import FrozenClock, Keyring
from ircc_account.audit import AuditLog, Decision, who_touched_my_file
from ircc_account.errors import LegacyUnavailable, NotFound
from ircc_account.identity import LinkedLegacyFile
from ircc_account.services import AccountFacts, BreakerState, CircuitBreaker, ItemState, TileStatus
from ircc_account.storage import SqlStore, open_store

from .conftest import EXAMPLES, NOW

FACTS = AccountFacts(has_uci=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "legacy_portal", "--port", str(port)],
        cwd=EXAMPLES,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5)
            return process
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the legacy portal did not start")


@pytest.fixture(scope="module")
def portal() -> Iterator[str]:
    """The example legacy portal, run with python -m in a subprocess."""
    port = _free_port()
    process = _start(port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(5)


@pytest.fixture
def mode(portal: str) -> Iterator[Callable[..., None]]:
    """Switch the portal's failure mode; back to normal afterwards."""

    def set_mode(name: str, delay: float = 1.0) -> None:
        httpx.post(f"{portal}/_control", json={"mode": name, "delay": delay}).raise_for_status()

    yield set_mode
    set_mode("normal")


@pytest.fixture
def store(tmp_path: pathlib.Path) -> Iterator[SqlStore]:
    """A store per test: a legacy file can be claimed by one account only."""
    s = open_store(f"sqlite:///{tmp_path / 'account.db'}", keyring=Keyring.generate())
    yield s
    s.close()


@pytest.fixture
def audit(store: SqlStore) -> AuditLog:
    """The audit log in this test's store."""
    return AuditLog(store)


@pytest.fixture
def legacy(make_registry, new_client, store) -> Iterator[Callable[..., tuple]]:
    """A registry with the example legacy plugin, and a client who claimed *files*."""
    from ircc_example_legacy import LegacyPortalService

    services: list[LegacyPortalService] = []

    def make(base_url: str, files: tuple[str, ...], **options: object) -> tuple:
        clock = FrozenClock(NOW)
        service = LegacyPortalService(
            base_url,
            timeout=0.3,
            attempts=2,
            wait_initial=0.01,
            breaker=CircuitBreaker(
                failure_threshold=2, reset_after=dt.timedelta(seconds=15), clock=clock
            ),
        )
        services.append(service)
        registry = make_registry(
            {"legacy-portal": service}, deadline=options.pop("deadline", 2.0), clock=clock
        )
        me = new_client()
        with store.unit_of_work() as uow:
            for file_no in files:
                uow.legacy_files.link(
                    LinkedLegacyFile(
                        account_id=me.actor_id,
                        system="legacy-portal",
                        file_number=file_no,
                        linked_at=NOW,
                    )
                )
            uow.commit()
        return registry, me, service, clock

    yield make
    for service in services:
        service.portal.close()


def _tile(registry, me):
    return registry.dashboard(actor=me, client_id=me.actor_id, facts=FACTS).tile("legacy-portal")


def test_items_timeline_and_withdraw_map_onto_ours(portal, legacy) -> None:
    """Legacy statuses map onto item states and timeline kinds; a withdraw goes through to the portal."""
    registry, me, _, _ = legacy(portal, ("W123456789", "S987654321"))
    tile = _tile(registry, me)
    assert tile.status is TileStatus.OK
    states = {i.reference: i.state for i in tile.items}
    assert states == {
        "W123456789": ItemState.ACTION_REQUIRED,
        "S987654321": ItemState.DECISION_MADE,
    }
    who = {"actor": me, "client_id": me.actor_id}
    events = registry.timeline("legacy-portal", "legacy-portal-W123456789", **who)
    assert [e.kind.value for e in events] == ["submitted", "status_changed", "document_requested"]
    assert events[-1].summary.fr == "Nous avons besoin d'autres documents."
    assert registry.actions("legacy-portal", "legacy-portal-S987654321", **who) == ()
    result = registry.perform("legacy-portal", "legacy-portal-W123456789", "withdraw", {}, **who)
    assert result.ok and result.item is not None and result.item.state is ItemState.WITHDRAWN


def test_unmapped_status_is_refused(portal, legacy) -> None:
    """An unknown legacy status code is refused as bad output, not guessed."""
    registry, me, _, _ = legacy(portal, ("V555000111",))
    assert _tile(registry, me).error_code == "service.bad_output"


@pytest.mark.parametrize(
    ("name", "code"),
    [("garbage", "service.legacy_unavailable"), ("down", "service.legacy_unavailable")],
)
def test_garbage_and_failures_make_the_tile_unavailable(portal, legacy, mode, name, code) -> None:
    """HTML instead of JSON, or 503s (retried, bounded), give an unavailable tile, then the breaker opens."""
    registry, me, service, _ = legacy(portal, ("S987654321",))
    mode(name)
    assert _tile(registry, me).error_code == code
    assert _tile(registry, me).error_code == code
    assert service.portal.breaker.state is BreakerState.OPEN
    mode("normal")
    # The portal is healthy again, so only the open breaker can refuse this.
    with pytest.raises(LegacyUnavailable):
        service.portal.get_json("/api/v1/files/S987654321")


def test_slow_portal_times_out_within_bounds(portal, legacy, mode) -> None:
    """A slow portal hits the client timeout (bounded retries) before the registry's deadline."""
    registry, me, _, _ = legacy(portal, ("S987654321",))
    mode("slow", delay=1.0)
    start = time.perf_counter()
    tile = _tile(registry, me)
    elapsed = time.perf_counter() - start
    assert tile.error_code == "service.legacy_unavailable"
    assert elapsed < 1.2


def test_slow_portal_past_the_registry_deadline(portal, legacy, mode) -> None:
    """With a registry deadline shorter than the client's timeouts, the tile times out on time."""
    registry, me, _, _ = legacy(portal, ("S987654321",), deadline=0.2)
    mode("slow", delay=1.0)
    start = time.perf_counter()
    assert _tile(registry, me).error_code == "service.timeout"
    assert time.perf_counter() - start < 0.4


def test_portal_going_down_and_coming_back(legacy) -> None:
    """A killed portal opens the breaker; once it is back and the cool-down passed, a probe closes it."""
    port = _free_port()
    process = _start(port)
    base = f"http://127.0.0.1:{port}"
    registry, me, service, clock = legacy(base, ("S987654321",))
    assert _tile(registry, me).status is TileStatus.OK
    process.kill()
    process.wait(5)
    assert _tile(registry, me).error_code == "service.legacy_unavailable"
    assert _tile(registry, me).error_code == "service.legacy_unavailable"
    assert service.portal.breaker.state is BreakerState.OPEN
    process = _start(port)
    try:
        assert _tile(registry, me).status is TileStatus.UNAVAILABLE
        clock.advance(31)
        assert _tile(registry, me).status is TileStatus.OK
        assert service.portal.breaker.state is BreakerState.CLOSED
    finally:
        process.terminate()
        process.wait(5)


def test_no_file_number_is_logged_at_any_level(portal, legacy, mode, caplog) -> None:
    """Reading, retrying and failing log nothing that holds a file number, DEBUG included (httpx's request line is never emitted)."""
    caplog.set_level(logging.DEBUG)
    registry, me, _, _ = legacy(portal, ("W123456789", "S987654321"))
    who = {"actor": me, "client_id": me.actor_id}
    _tile(registry, me)
    registry.timeline("legacy-portal", "legacy-portal-W123456789", **who)
    registry.actions("legacy-portal", "legacy-portal-W123456789", **who)
    mode("down")
    _tile(registry, me)
    assert caplog.records  # something was logged, at some level
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + repr(vars(record))
        for file_number in ("W123456789", "S987654321"):
            assert file_number not in text, record.name


def test_a_slow_portal_is_unavailable_within_the_default_deadline(
    portal, make_registry, new_client, store, mode
) -> None:
    """With the adapter's and the registry's defaults, a portal that never answers in time gives 'unavailable' before the 2 s deadline, not a timeout."""
    from ircc_example_legacy import LegacyPortalService

    service = LegacyPortalService(portal)
    registry = make_registry({"legacy-portal": service}, deadline=2.0)
    me = new_client()
    with store.unit_of_work() as uow:
        uow.legacy_files.link(
            LinkedLegacyFile(
                account_id=me.actor_id,
                system="legacy-portal",
                file_number="S987654321",
                linked_at=NOW,
            )
        )
        uow.commit()
    mode("slow", delay=5.0)
    try:
        start = time.perf_counter()
        tile = _tile(registry, me)
        elapsed = time.perf_counter() - start
    finally:
        service.portal.close()
    assert tile.error_code == "service.legacy_unavailable"
    assert elapsed < 1.9


def test_another_clients_file_is_refused_and_recorded_naming_the_item(
    portal, legacy, store
) -> None:
    """Asking the legacy service for a file the client never claimed answers 'not found', recorded with the item tried."""
    registry, me, _, _ = legacy(portal, ("S987654321",))
    with pytest.raises(NotFound):
        registry.timeline(
            "legacy-portal", "legacy-portal-W123456789", actor=me, client_id=me.actor_id
        )
    denied = [r for r in who_touched_my_file(store, me.actor_id) if r.decision is Decision.DENIED]
    assert [(r.action, r.item_id) for r in denied] == [
        ("service.timeline.read", "legacy-portal-W123456789")
    ]
