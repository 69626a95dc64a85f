"""
Storage: accounts, items, timelines and representatives read and written, beside floors.

The round trip is one unit of work that adds an account (data key generated and
wrapped, personal data sealed, blind indexes computed, durable commit) and one
that reads it back by id (key unwrapped, fields decrypted, values built).

Each read is compared with a floor that does the same database work with no
code of ours between the caller and the driver, measured in the same run:

- **read account by id** is a whole read unit: pool checkout, ``BEGIN``, the
  account-with-wrapped-key SELECT, unwrap, decrypt, build, ``ROLLBACK``,
  checkin. Its floor, **floor unit**, takes a connection from the same engine
  (same pool, same connect settings, the same ``BEGIN``), runs the same SELECT
  (same row, same columns) on the DBAPI cursor, fetches the row and rolls back.
- **read account in an open unit** is ``uow.accounts.get`` alone, inside a unit
  that is already open, reading a different account each call (so every call
  unwraps its data key, as a unit's first read of an account does). Its floor,
  **floor SELECT**, runs the same SELECT for the same rows on the DBAPI cursor
  inside an open transaction.
- **items of a service** and **an item's timeline** are whole read units as
  a service gate runs them (``uow.items.for_account(client, service_id=...)``,
  two items; ``uow.timeline.for_item``, three events): the rows, the
  account's wrapped key, unwrap, decrypt, build. Their floor units run
  ``SELECT *`` of the same rows (items with the key row) on the DBAPI cursor
  in a unit from the same engine.
- **a representative** is a whole read unit of one representative's record
  (``get_representative``): the row, the representative's own account's
  wrapped key, unwrap, decrypt the sealed display name (``0019_rep_names``),
  build. Its floor unit runs ``SELECT *`` of the row with the key row.
- **bare SELECT** is the floor this benchmark used to report: ``SELECT *`` from
  ``accounts`` alone on a connection with no unit around it (no checkout, no
  ``BEGIN``/``ROLLBACK`` per call, no key row). It is not comparable with a
  read unit and is kept only so figures can be compared across versions.
"""

from __future__ import annotations

import datetime as dt
import itertools
import pathlib
import sys
import tempfile
from typing import Any

import sqlalchemy as sa
from _harness import Report, measure, measure_interleaved, ratio

from ircc_account import ContactDetails, Keyring, PersonalDetails
from ircc_account.identity import ClientAccount
from ircc_account.services import (
    BilingualText,
    ItemKind,
    ItemState,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)
from ircc_account.storage import open_store
from ircc_account.testing._postgres import PostgresServer

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
CREATE_WARMUP = 20

# What a read needs: the account row and its wrapped data key, in one query.
_FLOOR_SQL = (
    "SELECT accounts.account_id, accounts.preferred_language, accounts.status, "
    "accounts.created_at, accounts.personal_ct, accounts.contact_ct, accounts.uci_ct, "
    "account_keys.kek_id, account_keys.wrapped_key "
    "FROM accounts LEFT OUTER JOIN account_keys "
    "ON accounts.account_id = account_keys.account_id "
    "WHERE accounts.account_id = {mark}"
)


def _account(n: int) -> ClientAccount:
    return ClientAccount(
        account_id=f"acc-{n}",
        personal=PersonalDetails(
            family_name="Tremblay", given_names="Marie", date_of_birth="1990-04-02"
        ),
        contact=ContactDetails(email=f"marie{n}@example.ca", phone="+1 613 555 0100"),
        preferred_language="fr",
        uci=f"{10_000_000 + n}",
        created_at=NOW,
    )


def _select(driver_connection: Any, sql: str, account_id: str) -> Any:
    cursor = driver_connection.cursor()
    try:
        cursor.execute(sql, (account_id,))
        return cursor.fetchone()
    finally:
        cursor.close()


def _bench(report: Report, label: str, url: str, n: int) -> None:
    store = open_store(url, keyring=Keyring.generate())
    engine = store.engine
    sql = _FLOOR_SQL.format(mark="?" if engine.dialect.name == "sqlite" else "%s")
    counter = itertools.count(1)

    def create() -> None:
        k = next(counter)
        with store.unit_of_work() as uow:
            uow.accounts.add(_account(k))
            uow.commit()

    def read() -> None:
        with store.unit_of_work(write=False) as uow:
            uow.accounts.get("acc-1")

    def floor_unit() -> None:
        # Ends as a read unit does: ROLLBACK, then the connection back to the pool.
        with engine.connect().execution_options(ircc_write=False) as conn:
            conn.begin()
            row = _select(conn.connection.driver_connection, sql, "acc-1")
            assert row is not None
            conn.rollback()

    create_m = report.add(
        measure(f"{label}: create account (durable commit)", create, n=n, warmup=CREATE_WARMUP)
    )
    created = n + CREATE_WARMUP

    # The floor reported before: SELECT * of one account on a connection with no unit.
    raw = sa.create_engine(url)
    bare_conn = raw.connect()
    bare_stmt = sa.text("SELECT * FROM accounts WHERE account_id = :id")

    def bare_select() -> None:
        bare_conn.execute(bare_stmt, {"id": "acc-1"}).first()

    # Interleaved, so that load from elsewhere on the machine weighs on each alike.
    read_m, floor_m, bare = (
        report.add(m)
        for m in measure_interleaved(
            [
                (f"{label}: read account by id", read),
                (f"{label}: floor unit (same engine, same SELECT)", floor_unit),
                (f"{label}: bare SELECT (no unit, no key; not comparable)", bare_select),
            ],
            n=n * 5,
            warmup=50,
        )
    )
    bare_conn.close()
    raw.dispose()

    # One read per account inside one open unit (so each call unwraps a key),
    # beside the same SELECTs inside one open transaction.
    with (
        store.unit_of_work(write=False) as uow,
        engine.connect().execution_options(ircc_write=False) as conn,
        conn.begin(),
    ):
        driver = conn.connection.driver_connection
        read_ids = (f"acc-{k}" for k in range(1, created + 1))
        select_ids = (f"acc-{k}" for k in range(1, created + 1))
        in_unit, floor_select = (
            report.add(m)
            for m in measure_interleaved(
                [
                    (
                        f"{label}: read account in an open unit",
                        lambda: uow.accounts.get(next(read_ids)),
                    ),
                    (
                        f"{label}: floor SELECT (same SELECT, open transaction)",
                        lambda: _select(driver, sql, next(select_ids)),
                    ),
                ],
                n=n,
                warmup=CREATE_WARMUP,
            )
        )
    read_m.note = (
        f"{ratio(read_m, floor_m):.2f}× floor unit (p50); {ratio(read_m, bare):.1f}× bare SELECT"
    )
    in_unit.note = f"{ratio(in_unit, floor_select):.2f}× floor SELECT (p50)"
    create_m.note = "one fsync per commit"
    _bench_items(report, label, store, n)
    _bench_representative(report, label, store, n)
    store.close()


_ITEMS_FLOOR = (
    "SELECT * FROM items LEFT OUTER JOIN account_keys "
    "ON items.account_id = account_keys.account_id "
    "WHERE items.account_id = {mark} AND items.service_id = {mark} "
    "ORDER BY items.created_at DESC, items.item_id"
)
_EVENTS_FLOOR = (
    "SELECT * FROM timeline_events JOIN items ON items.item_id = timeline_events.item_id "
    "LEFT OUTER JOIN account_keys ON items.account_id = account_keys.account_id "
    "WHERE timeline_events.item_id = {mark} "
    "ORDER BY timeline_events.occurred_at, timeline_events.event_id"
)


def _bench_items(report: Report, label: str, store: Any, n: int) -> None:
    """A service gate's reads: one client's items of a service, one item's timeline."""
    with store.unit_of_work() as uow:
        for sid in ("svc-0", "svc-1"):
            for k in range(2):
                item_id = f"{sid}-{k}"
                uow.items.add(
                    ServiceItem(
                        item_id=item_id,
                        account_id="acc-1",
                        service_id=sid,
                        kind=ItemKind.APPLICATION,
                        reference=f"R{k}{sid}",
                        state=ItemState.IN_PROGRESS,
                        title=BilingualText("Work permit", "Permis de travail"),
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
                for e in range(3):
                    uow.timeline.append(
                        TimelineEvent(
                            event_id=f"ev-{item_id}-{e}",
                            item_id=item_id,
                            kind=TimelineKind.NOTE,
                            occurred_at=NOW,
                            summary=BilingualText("A step", "Une étape"),
                        )
                    )
        uow.commit()
    engine = store.engine
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    items_sql = _ITEMS_FLOOR.format(mark=mark)
    events_sql = _EVENTS_FLOOR.format(mark=mark)

    def items() -> None:
        with store.unit_of_work(write=False) as uow:
            assert len(uow.items.for_account("acc-1", service_id="svc-0")) == 2

    def timeline() -> None:
        with store.unit_of_work(write=False) as uow:
            assert len(uow.timeline.for_item("svc-0-0")) == 3

    def floor(sql: str, *params: str) -> Any:
        def run() -> None:
            with engine.connect().execution_options(ircc_write=False) as conn:
                conn.begin()
                cursor = conn.connection.driver_connection.cursor()
                cursor.execute(sql, params)
                cursor.fetchall()
                cursor.close()
                conn.rollback()

        return run

    items_m, items_floor, events_m, events_floor = (
        report.add(m)
        for m in measure_interleaved(
            [
                (f"{label}: items of a service (2), a read unit", items),
                (
                    f"{label}: floor unit (SELECT * of those items)",
                    floor(items_sql, "acc-1", "svc-0"),
                ),
                (f"{label}: an item's timeline (3 events), a read unit", timeline),
                (f"{label}: floor unit (SELECT * of those events)", floor(events_sql, "svc-0-0")),
            ],
            n=n * 3,
            warmup=50,
        )
    )
    items_m.note = f"{ratio(items_m, items_floor):.2f}× floor unit (p50)"
    events_m.note = f"{ratio(events_m, events_floor):.2f}× floor unit (p50)"


_REP_FLOOR = (
    "SELECT * FROM representatives LEFT OUTER JOIN account_keys "
    "ON representatives.account_id = account_keys.account_id "
    "WHERE representatives.representative_id = {mark}"
)


def _bench_representative(report: Report, label: str, store: Any, n: int) -> None:
    """
    A representative's record, as the directory and the notices read it: its
    display name is sealed under the representative's own account's key
    (``0019_rep_names``), so a read unwraps that key and decrypts the name.
    """
    from ircc_account.delegation import Representative, _repo

    with store.unit_of_work() as uow:
        _repo.add_representative(
            uow,
            Representative(
                representative_id="rep-bench",
                kind="family",
                display_name="Jean Roy",
                account_id="acc-1",
                created_at=NOW,
            ),
            True,
        )
        uow.commit()
    engine = store.engine
    sql = _REP_FLOOR.format(mark="?" if engine.dialect.name == "sqlite" else "%s")

    def read() -> None:
        with store.unit_of_work(write=False) as uow:
            rep, _ = _repo.get_representative(uow, "rep-bench")
            assert rep.display_name == "Jean Roy"

    def floor() -> None:
        with engine.connect().execution_options(ircc_write=False) as conn:
            conn.begin()
            cursor = conn.connection.driver_connection.cursor()
            cursor.execute(sql, ("rep-bench",))
            cursor.fetchall()
            cursor.close()
            conn.rollback()

    ours, base = (
        report.add(m)
        for m in measure_interleaved(
            [
                (f"{label}: a representative (name sealed), a read unit", read),
                (f"{label}: floor unit (SELECT * of the representative and key)", floor),
            ],
            n=n * 3,
            warmup=50,
        )
    )
    ours.note = f"{ratio(ours, base):.2f}× floor unit (p50)"


def run(report: Report) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _bench(report, "SQLite", f"sqlite:///{pathlib.Path(tmp) / 'bench.db'}", n=300)
    if PostgresServer.find_binaries() is None:
        print("PostgreSQL benchmark SKIPPED: no PostgreSQL binaries found", file=sys.stderr)
        return
    with PostgresServer() as server:
        _bench(report, "PostgreSQL", server.url(), n=300)
