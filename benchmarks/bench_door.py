"""
Front door: a client's dashboard (5 services) and a representative's item page, beside raw reads.

Through the door, on SQLite and PostgreSQL: the client's own dashboard, where
five plugins each list the client's items through their gates, and a
representative's item page (the item, the policy's decision under an
account-wide grant, the service's timeline and offered actions). Each is
measured beside two floors taken in the same run with the plain driver on
the same database:

* the **reads**: the same rows, read with the simplest indexed SELECTs (the
  issue's floor);
* the **reads and their records**: those reads plus, for every access the
  page makes, one durable audit-sized row (SEC-66 records every access, and
  the page hands nothing out before its records are durable), as one INSERT
  per access and **one COMMIT for the page**: what the page does, since its
  reads' records share one flush (``PageRecords``);
* the same with one COMMIT per access, which is what the page did before.

Target: 2x the reads or less. The durable floors show what the records alone
cost on this disk: a page that must not hand out data before its access is
on record cannot go below one flush.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import sys
import tempfile
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from _harness import Measurement, Report, measure

from ircc_account import Actor, AssuranceLevel, Capacity, FrontDoor, FrontDoorConfig, Keyring
from ircc_account.delegation import LicenceStatus, Representative
from ircc_account.hookspecs import hookimpl
from ircc_account.identity import ClientAccount
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
from ircc_account.testing._postgres import PostgresServer

NOW = dt.datetime.now(dt.UTC)
CLIENT = "acct-client"
SERVICES = [f"svc-{n}" for n in range(5)]


class _Verifier:
    def verify(self, licence: Any) -> LicenceStatus:
        return LicenceStatus(valid=True, expires_on=licence.expires_on, checked_at=NOW)


def _plugin(sid: str) -> SimpleNamespace:
    manifest = ServiceManifest(
        service_id=sid,
        version="1.0",
        title={"en": sid, "fr": f"{sid} (fr)"},
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


def _seed(door: FrontDoor) -> Actor:
    from ircc_account import ContactDetails, PersonalDetails

    with door.store.unit_of_work() as uow:
        for account_id in (CLIENT, "acct-rep"):
            uow.accounts.add(
                ClientAccount(
                    account_id=account_id,
                    personal=PersonalDetails(family_name="Nguyen", date_of_birth="1985-07-14"),
                    contact=ContactDetails(email=f"{account_id}@example.ca"),
                    created_at=NOW,
                )
            )
        for sid in SERVICES:
            for n in range(2):
                item_id = f"{sid}-{n}"
                uow.items.add(
                    ServiceItem(
                        item_id=item_id,
                        account_id=CLIENT,
                        service_id=sid,
                        kind=ItemKind.APPLICATION,
                        reference=f"R{n}{sid}",
                        state=ItemState.IN_PROGRESS,
                        title=BilingualText("Work permit", "Permis de travail"),
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
                for k in range(3):
                    uow.timeline.append(
                        TimelineEvent(
                            event_id=f"ev-{item_id}-{k}",
                            item_id=item_id,
                            kind=TimelineKind.NOTE,
                            occurred_at=NOW,
                            summary=BilingualText("A step", "Une étape"),
                        )
                    )
        door.delegation.register_representative(
            uow,
            Representative(
                representative_id="rep-1",
                kind="family",
                display_name="Sister",
                account_id="acct-rep",
                created_at=NOW,
            ),
        )
        uow.commit()
    client = Actor(
        actor_id=CLIENT,
        capacity=Capacity.CLIENT,
        account_id=CLIENT,
        assurance=AssuranceLevel.MODERATE,
        auth_time=dt.datetime.now(dt.UTC),
    )
    door.grants.give(client, grantee_id="rep-1", scopes=["view_status"], coverage="account")
    return client


def _floor(
    url: str, reads: Sequence[tuple[str, dict[str, Any]]], records: int
) -> tuple[Callable[[], None], Callable[[], None], Callable[[], None], Callable[[], None]]:
    """
    The plain driver on the same database: the page's reads; the reads plus
    *records* durable audit-sized rows in one commit; and with one commit each.
    """
    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    cur = raw.cursor()
    mark = "?" if url.startswith("sqlite") else "%s"
    cur.execute("CREATE TABLE IF NOT EXISTS bench_records (id VARCHAR(64) PRIMARY KEY, body TEXT)")
    raw.commit()
    if url.startswith("sqlite"):
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
    counter = iter(range(10**9))
    prefix = f"r{records}-{len(reads)}-"
    statements = [(sql.replace("?", mark), tuple(params.values())) for sql, params in reads]

    def read() -> None:
        for sql, params in statements:
            cur.execute(sql, params)
            cur.fetchall()
        raw.rollback()

    def insert() -> None:
        cur.execute(
            f"INSERT INTO bench_records VALUES ({mark}, {mark})",  # noqa: S608
            (f"{prefix}{next(counter)}", "x" * 400),
        )

    def read_and_flush() -> None:
        read()
        for _ in range(records):
            insert()
        raw.commit()

    def read_and_record() -> None:
        read()
        for _ in range(records):
            insert()
            raw.commit()

    def close() -> None:
        cur.close()
        raw.close()
        engine.dispose()

    return read, read_and_flush, read_and_record, close


def _ratio(m: Measurement, floor: Measurement) -> float:
    return m.p50_us / floor.p50_us


def _bench(report: Report, label: str, url: str, n: int) -> None:
    config = FrontDoorConfig(
        database_url=url,
        keyring=Keyring.generate(),
        licence_verifier=_Verifier(),
        plugin_deadline=5.0,
    )
    with FrontDoor.open(config, plugins={sid: _plugin(sid) for sid in SERVICES}) as door:
        client = _seed(door)
        rep = Actor(
            actor_id="rep-1",
            capacity=Capacity.REPRESENTATIVE,
            account_id="acct-rep",
            representative_id="rep-1",
            assurance=AssuranceLevel.MODERATE,
        )
        board = door.dashboard(client, CLIENT)
        assert sum(len(t.items) for t in board.tiles) == 10
        page = door.item(rep, CLIENT, "svc-0-0")
        assert len(page.timeline) == 3
        dash = report.add(
            measure(
                f"{label}: client's dashboard, 5 services",
                lambda: door.dashboard(client, CLIENT),
                n=n,
                warmup=20,
            )
        )
        item = report.add(
            measure(
                f"{label}: representative's item page",
                lambda: door.item(rep, CLIENT, "svc-0-0"),
                n=n,
                warmup=20,
            )
        )
    dash_reads = [
        (
            "SELECT * FROM items WHERE account_id = ? AND service_id = ? ORDER BY created_at DESC",
            {"a": CLIENT, "s": sid},
        )
        for sid in SERVICES
    ]
    item_reads = [
        ("SELECT * FROM items WHERE item_id = ?", {"i": "svc-0-0"}),
        (
            "SELECT * FROM consent_grants WHERE client_account_id = ? AND grantee_id = ?",
            {"c": CLIENT, "g": "rep-1"},
        ),
        ("SELECT * FROM items WHERE item_id = ?", {"i": "svc-0-0"}),
        (
            "SELECT * FROM timeline_events WHERE item_id = ? ORDER BY occurred_at",
            {"i": "svc-0-0"},
        ),
    ]
    for m, reads, records in ((dash, dash_reads, 5), (item, item_reads, 2)):
        read, read_and_flush, read_and_record, close = _floor(url, reads, records)
        floor = report.add(
            measure(f"{label}: floor, the same {len(reads)} reads raw", read, n=n * 2, warmup=20)
        )
        flushed = report.add(
            measure(
                f"{label}: floor, the reads and {records} records raw, one commit",
                read_and_flush,
                n=n,
                warmup=10,
            )
        )
        durable = report.add(
            measure(
                f"{label}: floor, the reads and {records} records raw, a commit each",
                read_and_record,
                n=n,
                warmup=10,
            )
        )
        close()
        m.note = (
            f"{_ratio(m, floor):.1f}× the raw reads (target 2×); "
            f"{_ratio(m, flushed):.2f}× the reads with their {records} records in one commit; "
            f"{_ratio(m, durable):.2f}× with a commit each"
        )


def run(report: Report) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _bench(report, "SQLite", f"sqlite:///{pathlib.Path(tmp) / 'door.db'}", n=200)
    if PostgresServer.find_binaries() is None:
        print("PostgreSQL benchmark SKIPPED: no PostgreSQL binaries found", file=sys.stderr)
        return
    with PostgresServer() as server:
        _bench(report, "PostgreSQL", server.url(), n=200)
