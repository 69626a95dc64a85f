"""
Who touched my file: a page of a client's history against reading its rows

A client with 10,000 entries (5,000 page views by a representative, each the
page's entry and its service's read, one correlation id per view, so 5,000
lines). "A page of 50 lines" is ``who_touched_my_file(limit=50)`` in
English, with a fresh ``StoreDirectory`` per page as the front door makes one
(its names are looked up once per page); its peer is the plain driver
reading the same 100 newest rows of the partition by its primary key (one
SELECT, no grouping, no words); "the 100th page" is the same page read
with the token of the 100th (50 lines from the oldest). "Refusals only, none
in the file" reads the whole partition to find none; its peer is the plain
driver's SELECT of the partition's refused rows.
SQLite, then PostgreSQL (``ircc_account.testing._postgres.PostgresServer``,
skipped loudly when absent). The load average is printed before and after.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from collections.abc import Callable

import sqlalchemy as sa
from _harness import Report, measure

from ircc_account._crypto import Keyring
from ircc_account._model import AuditEntry, Capacity, Decision
from ircc_account._storage import SqlStore, open_store
from ircc_account._storage import _schema_audit as ta
from ircc_account.audit import AuditLog, StoreDirectory, who_touched_my_file

CLIENT = "acct-marie"
VIEWS = 5_000
START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _fill(store: SqlStore) -> None:
    log = AuditLog(store)
    batch = []
    for i in range(VIEWS):
        at = START + dt.timedelta(seconds=i)
        common = {"client_id": CLIENT, "item_id": "app-1", "decision": Decision.ALLOWED,
                  "reason": "grant", "grant_id": "g-1", "correlation_id": f"req-{i}",
                  "service_id": "status", "occurred_at": at}  # fmt: skip
        batch.append(log.prepare(AuditEntry(actor_id="rep-1", capacity=Capacity.REPRESENTATIVE,
                                            action="door.item.view", **common)))  # fmt: skip
        batch.append(log.prepare(AuditEntry(actor_id="status", capacity=Capacity.PLUGIN,
                                            action="service.item.read", **common),
                                 on_behalf_of="rep-1"))  # fmt: skip
        if len(batch) >= 2_000:
            log.write_batch(batch)
            batch = []
    if batch:
        log.write_batch(batch)


def _rows(store: SqlStore, limit: int, *, refused: bool = False) -> Callable[[], object]:
    e = ta.audit_entries
    conds = [e.c.partition == sa.bindparam("p")]
    if refused:
        conds.append(e.c.decision != Decision.ALLOWED.value)
    statement = sa.select(e).where(*conds).order_by(e.c.seq.desc()).limit(limit)

    def read() -> object:
        with store.engine.connect() as c:
            rows = c.execute(statement, {"p": CLIENT}).all()
            c.rollback()
        return rows

    return read


def _measure(store: SqlStore, label: str, report: Report) -> None:
    _fill(store)
    directory = StoreDirectory(store)
    page = who_touched_my_file(store, CLIENT, limit=50, directory=directory.fresh())
    assert len(page) == 50
    assert page.next_page is not None
    assert len(who_touched_my_file(store, CLIENT, refusals_only=True)) == 0
    peer = report.add(measure(f"{label}: plain driver, 100 newest rows", _rows(store, 100),
                              n=300, warmup=20, note="peer"))  # fmt: skip
    ours = measure(
        f"{label}: a page of 50 lines",
        lambda: who_touched_my_file(store, CLIENT, limit=50, directory=directory.fresh()),
        n=300,
        warmup=20,
    )
    ours.note = f"{ours.p50_us / peer.p50_us:.1f}x the peer's p50 latency"
    report.add(ours)
    deep = measure(
        f"{label}: a page of 50 lines, the 100th page",
        lambda: who_touched_my_file(store, CLIENT, limit=50, page="201"),
        n=100,
        warmup=5,
    )
    deep.note = f"{deep.p50_us / peer.p50_us:.1f}x the peer's p50 latency"
    report.add(deep)
    peer_none = report.add(measure(f"{label}: plain driver, the refused rows (none)",
                                   _rows(store, 100, refused=True), n=50, warmup=5,
                                   note="peer"))  # fmt: skip
    scan = measure(
        f"{label}: refusals only, none in the file",
        lambda: who_touched_my_file(store, CLIENT, refusals_only=True),
        n=50,
        warmup=5,
    )
    scan.note = f"{scan.p50_us / peer_none.p50_us:.1f}x the peer's p50 latency"
    report.add(scan)


def _load(when: str) -> None:
    one, five, _ = os.getloadavg()
    print(f"bench_audit_history: load average {when}: {one:.2f} (1 min), {five:.2f} (5 min), "
          f"{os.cpu_count()} CPUs", file=sys.stderr)  # fmt: skip


def run(report: Report) -> None:
    """Measure on SQLite, then on PostgreSQL if a server can be started."""
    _load("before")
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/history.db", keyring=Keyring.generate())
        _measure(store, "SQLite", report)
        store.close()
    from ircc_account.testing._postgres import PostgresServer

    if PostgresServer.find_binaries() is None:
        print("bench_audit_history: PostgreSQL SKIPPED: no binaries", file=sys.stderr)
    else:
        with PostgresServer() as server:
            store = open_store(server.url(), keyring=Keyring.generate())
            _measure(store, "PostgreSQL", report)
            store.close()
    _load("after")
