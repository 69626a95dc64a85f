"""
A page's reads share one durable flush (PageRecords): a dashboard's plugins'
records are written together, nothing is handed out before they are durable,
a refusal is durable before the plugin hears of it, and a read that comes
after the page was flushed is still recorded.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from typing import Any

import pytest

from ircc_account import Capacity
from ircc_account.audit import AuditEntry, AuditLog, Decision, GroupCommitAppender
from ircc_account.authz import Resource
from ircc_account.errors import AuditAppenderClosed, AuthorizationError
from ircc_account.services import PageRecords, TileStatus
from ircc_account.storage import SqlStore

from .test_registry import FACTS, item, plugin


class Spy:
    """A real group commit, counting how entries reach it."""

    def __init__(self, appender: GroupCommitAppender) -> None:
        self.appender = appender
        self.singles: list[AuditEntry] = []
        self.batches: list[list[AuditEntry]] = []

    def submit(self, entry: AuditEntry, *, on_behalf_of: str | None = None) -> object:
        self.singles.append(entry)
        return self.appender.submit(entry, on_behalf_of=on_behalf_of)

    def submit_many_async(
        self, entries: Sequence[tuple[AuditEntry, str | None]]
    ) -> Sequence[Future[Any]]:
        self.batches.append([e for e, _ in entries])
        return self.appender.submit_many_async(entries)


@pytest.fixture
def spy(audit: AuditLog) -> Iterator[Spy]:
    with GroupCommitAppender(audit) as appender:
        yield Spy(appender)


def _listing(sid: str) -> Any:
    return plugin(sid, ircc_client_items=lambda ctx: list(ctx.items.list()))


def _logged(store: SqlStore, client_id: str) -> list[tuple[str, str, str, str]]:
    """(actor, action, decision, reason) of each entry in the client's log, in order."""
    with store.engine.connect() as c:
        rows = c.exec_driver_sql(
            "SELECT actor_id, action, decision, reason FROM audit_entries"
            " WHERE client_id = ? ORDER BY seq",
            (client_id,),
        ).all()
        c.rollback()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _entry(client_id: str, actor_id: str, **more: Any) -> AuditEntry:
    fields: dict[str, Any] = {
        "occurred_at": dt.datetime.now(dt.UTC),
        "actor_id": actor_id,
        "capacity": Capacity.PLUGIN,
        "action": "service.item.list",
        "client_id": client_id,
        "decision": Decision.ALLOWED,
        "reason": "owner",
    }
    fields.update(more)
    return AuditEntry(**fields)


def test_a_dashboards_reads_are_written_in_one_flush_before_it_returns(
    make_registry, new_client, store, audit, spy
) -> None:
    """Five plugins list the client's items: their five records reach the group commit together, and are durable when the dashboard returns."""
    sids = [f"page-{n}" for n in range(5)]
    registry = make_registry({sid: _listing(sid) for sid in sids}, recorder=spy)
    me = new_client()
    with store.unit_of_work() as uow:
        for sid in sids:
            uow.items.add(item(me.actor_id, sid))
        uow.commit()

    board = registry.dashboard(actor=me, client_id=me.actor_id, facts=FACTS)

    assert [t.status for t in board.tiles] == [TileStatus.OK] * 5
    assert spy.singles == []
    assert len(spy.batches) == 1
    assert sorted(e.actor_id for e in spy.batches[0]) == sids
    # Durable on return: in the log, not merely queued.
    logged = _logged(store, me.actor_id)
    assert sorted(a for a, action, _, _ in logged if action == "service.item.list") == sids


def test_nothing_is_handed_out_when_the_page_cannot_be_recorded(
    make_registry, new_client, store, audit
) -> None:
    """The records cannot be written (the group commit is closed): the dashboard raises instead of returning tiles."""
    appender = GroupCommitAppender(audit)
    appender.close()
    registry = make_registry({"page-x": _listing("page-x")}, recorder=appender)
    me = new_client()
    with store.unit_of_work() as uow:
        uow.items.add(item(me.actor_id, "page-x"))
        uow.commit()
    with pytest.raises(AuditAppenderClosed):
        registry.dashboard(actor=me, client_id=me.actor_id, facts=FACTS)


def test_a_refusal_is_durable_before_the_plugin_hears_of_it(
    make_registry, new_client, store, spy
) -> None:
    """Within a page, only allowed reads wait for the flush: a refused read is in the log when the gate raises."""
    me = new_client()
    seen: list[list[str]] = []

    def items(ctx: Any) -> Any:
        try:
            ctx.items.list()
        except AuthorizationError:
            seen.append([r for _, _, d, r in _logged(store, me.actor_id) if d == "denied"])
        return []

    embargo = plugin(
        "page-embargo",
        ircc_client_items=items,
        ircc_restrict_access=lambda actor, action, resource: ["embargo"],
    )
    registry = make_registry({"page-embargo": embargo}, recorder=spy)
    registry.dashboard(actor=me, client_id=me.actor_id, facts=FACTS)
    assert seen == [["restricted:page-embargo:embargo"]]
    # Written on its own, at once, not held for the page.
    assert [e.decision for e in spy.singles] == [Decision.DENIED]
    assert all(e.decision is Decision.ALLOWED for batch in spy.batches for e in batch)


def test_a_read_after_the_flush_is_recorded_on_its_own(store, spy) -> None:
    """A record arriving once the page was flushed (an abandoned plugin thread) is written, durably, before the call returns."""
    records = PageRecords(spy)
    records(_entry("c-page-late", "svc-a"), on_behalf_of="c-page-late")
    assert _logged(store, "c-page-late") == []
    records.flush()
    assert [a for a, *_ in _logged(store, "c-page-late")] == ["svc-a"]
    records(_entry("c-page-late", "svc-b"), on_behalf_of="c-page-late")
    assert [e.actor_id for e in spy.singles] == ["svc-b"]
    assert [a for a, *_ in _logged(store, "c-page-late")] == ["svc-a", "svc-b"]
    records.flush()  # again: nothing held, nothing written twice
    assert len(_logged(store, "c-page-late")) == 2


def test_records_from_many_threads_are_all_flushed(store, spy) -> None:
    """Plugins record from their own threads: every record held is written by the one flush."""
    records = PageRecords(spy)

    def record(n: int) -> None:
        for k in range(20):
            records(
                _entry("c-page-threads", f"svc-{n}", item_id=f"i-{k}"),
                on_behalf_of="c-page-threads",
            )

    threads = [threading.Thread(target=record, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records.flush()
    assert len(spy.batches) == 1 and len(spy.batches[0]) == 160
    assert len(_logged(store, "c-page-threads")) == 160


def test_the_resource_a_page_records_is_the_stored_one(make_registry, new_client, spy) -> None:
    """A held record is the policy's own entry: the client, service and correlation id it names are the request's."""
    me = new_client()
    registry = make_registry({"page-r": _listing("page-r")}, recorder=spy)
    registry.dashboard(actor=me, client_id=me.actor_id, facts=FACTS, correlation_id="req-page-1")
    (entry,) = spy.batches[0]
    assert Resource(client_id=entry.client_id, service_id=entry.service_id) == Resource(
        client_id=me.actor_id, service_id="page-r"
    )
    assert entry.correlation_id == "req-page-1"
