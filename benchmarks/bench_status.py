"""
Status tracker: one item's timeline and estimate in a large store, beside raw indexed queries.

The stores: 200k items and 2M events (SQLite, PostgreSQL), and 1M items and
10M events (PostgreSQL).

Each store is filled with tracked items of the status tracker and ten
timeline events each, spread over 1,000 accounts. A hundred items (and their
events) are written through the store, sealed as the desk writes them; the
rest are bulk copies of those rows under new ids (their ciphertext, bound to
another id, is never read: it fills the tables and their indexes as real rows
would). ``status_time_bins`` holds the counts every item's decision would
have added, over two years, four programs, ten offices and five phases,
computed with the estimator's own ``period_of`` and ``bin_of``.

What is measured, interleaved with its floor so a change of load on the
machine weighs on both alike, reading the hundred real items in turn:

- **timeline, in an open unit**: ``uow.timeline.for_item`` (ten events: the
  rows with the account's wrapped key in one query, unwrap, decrypt, build)
  inside a read unit already open, as a page's unit runs it after its first
  read; **raw indexed query**: the same rows (``SELECT *`` of the events
  joined to their item and key, by ``item_id``, in time order) on the DBAPI
  cursor in an open transaction.
- **estimate, in an open unit**: ``EstimateBook.estimate`` for the item's
  (program, phase, office) and time in phase; **raw indexed query**: its
  ``SELECT bin, SUM(count) ... GROUP BY bin`` on the DBAPI cursor.
- **timeline and estimate, a read unit**: both in a unit of their own
  (checkout, ``BEGIN``, both reads, ``ROLLBACK``); **raw unit**: both raw
  queries in a transaction from the same engine.

The issue's bounds: SQLite p99 at most 100 µs for the timeline; PostgreSQL
p99 at most 1.5× the raw query's. Each note also gives both p90s.
``BENCH_STATUS_LARGEST=0`` leaves out the 1M/10M store (its build alone
takes about eight minutes); ``BENCH_STATUS_SCALE=100`` builds a hundredth.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import pathlib
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from _harness import Measurement, Report, measure_interleaved

from ircc_account import ContactDetails, Keyring, PersonalDetails
from ircc_account.builtin.status import SERVICE_ID, EstimateBook, Party, Phase, StaffRole
from ircc_account.builtin.status._estimates import bin_of, period_of
from ircc_account.builtin.status._record import TrackerRecord, key_of
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

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
ACCOUNTS = 1_000
REAL = 100
EVENTS = 10
PROGRAMS = ("visitor-visa", "study-permit", "work-permit", "citizenship")
OFFICES = tuple(f"office-{k}" for k in range(10))
PHASES = (Phase.RECEIVED, Phase.ELIGIBILITY, Phase.BIOMETRICS, Phase.BACKGROUND_CHECKS)
_DAY_US = 86_400_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_EVENTS_RAW = (
    "SELECT * FROM timeline_events JOIN items ON items.item_id = timeline_events.item_id "
    "LEFT OUTER JOIN account_keys ON items.account_id = account_keys.account_id "
    "WHERE timeline_events.item_id = {m} "
    "ORDER BY timeline_events.occurred_at, timeline_events.event_id"
)
_RECORD_RAW = (
    "SELECT * FROM plugin_records LEFT OUTER JOIN account_keys "
    "ON plugin_records.account_id = account_keys.account_id "
    "WHERE plugin_records.account_id = {m} AND plugin_records.service_id = {m} "
    "AND plugin_records.record_key = {m}"
)
_BINS_RAW = (
    "SELECT bin, SUM(count) FROM status_time_bins WHERE program = {m} AND phase = {m} "
    "AND office = {m} AND period >= {m} GROUP BY bin"
)


def _us(at: dt.datetime) -> int:
    return (at - _EPOCH) // dt.timedelta(microseconds=1)


def _item_id(n: int) -> str:
    # Scattered over the key space, as random ids are.
    return f"{SERVICE_ID}-{(n * 2_654_435_761) % 2**32:08x}{n:07d}"


def _record(start: dt.datetime) -> bytes:
    """A tracker record as the desk leaves it after ten events."""
    us = _us(start)
    record = TrackerRecord.new("visitor-visa")
    for day, phase in enumerate(PHASES):
        record.enter(phase, "office-3", us + day * 2 * _DAY_US)
    for n, title in enumerate(("Police certificate", "Bank statements")):
        record.add_requirement(
            f"req-{n + 1}",
            BilingualText(title, title),
            (BilingualText("Translated by a certified translator", "Traduit"),),
            (NOW + dt.timedelta(days=30)).date(),
            us + 8 * _DAY_US,
        )
    record.add_wait("wait-1", Party.PANEL_PHYSICIAN, Phase.BIOMETRICS.label, us)
    record.add_document(BilingualText("Passport copy", "Copie du passeport"), us)
    record.add_comment(Phase.ELIGIBILITY.doing, "office-3", StaffRole.OFFICER, us)
    for day in range(EVENTS):
        record.touched("office-3", StaffRole.OFFICER, "phase", us + day * _DAY_US)
    return record.encode()


def _seed_real(store: Any) -> list[str]:
    """Accounts, and the items and events the benchmark reads, through the store."""
    with store.unit_of_work() as uow:
        for a in range(ACCOUNTS):
            uow.accounts.add(
                ClientAccount(
                    account_id=f"acc-{a}",
                    personal=PersonalDetails(
                        family_name="Tremblay", given_names="Marie", date_of_birth="1990-04-02"
                    ),
                    contact=ContactDetails(email=f"marie{a}@example.ca"),
                    created_at=NOW,
                )
            )
        uow.commit()
    ids = []
    with store.unit_of_work() as uow:
        for k in range(REAL):
            item_id = _item_id(k)
            ids.append(item_id)
            start = NOW - dt.timedelta(days=90)
            uow.items.add(
                ServiceItem(
                    item_id=item_id,
                    account_id=f"acc-{k * 7 % ACCOUNTS}",
                    service_id=SERVICE_ID,
                    kind=ItemKind.APPLICATION,
                    reference=f"V3{k:08d}",
                    state=ItemState.IN_PROGRESS,
                    title=BilingualText("Visitor visa", "Visa de visiteur"),
                    created_at=start,
                    updated_at=start + dt.timedelta(days=EVENTS - 1),
                )
            )
            uow.plugin_records.put(
                f"acc-{k * 7 % ACCOUNTS}", SERVICE_ID, key_of(item_id), _record(start),
                version=None, now=start,
            )  # fmt: skip
            for e in range(EVENTS):
                uow.timeline.append(
                    TimelineEvent(
                        event_id=f"ev-{k:07d}-{e}",
                        item_id=item_id,
                        kind=TimelineKind.STATUS_CHANGED,
                        occurred_at=start + dt.timedelta(days=e),
                        state=ItemState.IN_PROGRESS,
                        summary=Phase.ELIGIBILITY.doing,
                    )
                )
        uow.commit()
    return ids


def _rows(driver: Any, sql: str, *params: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = driver.cursor()
    try:
        cursor.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return names, [tuple(r) for r in cursor.fetchall()]
    finally:
        cursor.close()


Rows = list[tuple[str, list[str], Iterator[tuple[Any, ...]]]]


def _fillers(driver: Any, mark: str, items: int) -> Rows:
    """
    Rows for items REAL..items-1, their events and tracker records, copied
    from the first real item's (table, columns, rows), parents first.
    """
    real = _item_id(0)
    # Table and column names are the schema's own; the values are placeholders.
    item_cols, (item,) = _rows(driver, f"SELECT * FROM items WHERE item_id = {mark}", real)  # noqa: S608
    event_cols, events = _rows(
        driver,
        f"SELECT * FROM timeline_events WHERE item_id = {mark} ORDER BY occurred_at",  # noqa: S608
        real,
    )
    record_cols, (record,) = _rows(
        driver,
        f"SELECT * FROM plugin_records WHERE record_key = {mark}",  # noqa: S608
        key_of(real),
    )
    i_id, i_acc = item_cols.index("item_id"), item_cols.index("account_id")
    i_ref = [item_cols.index(c) for c in ("reference", "reference_index") if c in item_cols]
    e_id, e_item = event_cols.index("event_id"), event_cols.index("item_id")
    r_key, r_acc = record_cols.index("record_key"), record_cols.index("account_id")

    def item_rows() -> Iterator[tuple[Any, ...]]:
        for n in range(REAL, items):
            row = list(item)
            row[i_id], row[i_acc] = _item_id(n), f"acc-{n % ACCOUNTS}"
            for i in i_ref:
                row[i] = None
            yield tuple(row)

    def event_rows() -> Iterator[tuple[Any, ...]]:
        for n in range(REAL, items):
            item_id = _item_id(n)
            for e, template in enumerate(events):
                row = list(template)
                row[e_id], row[e_item] = f"ev-{n:07d}-{e}", item_id
                yield tuple(row)

    def record_rows() -> Iterator[tuple[Any, ...]]:
        for n in range(REAL, items):
            row = list(record)
            row[r_key], row[r_acc] = key_of(_item_id(n)), f"acc-{n % ACCOUNTS}"
            yield tuple(row)

    return [
        ("items", item_cols, item_rows()),
        ("timeline_events", event_cols, event_rows()),
        ("plugin_records", record_cols, record_rows()),
    ]


def _bins(items: int) -> list[tuple[str, str, str, int, int, int]]:
    """The counts *items* decisions over two years would have added."""
    rng = random.Random(14)
    counts: collections.Counter[tuple[str, str, str, int, int]] = collections.Counter()
    now_us = _us(NOW)
    for _ in range(items):
        program, office = rng.choice(PROGRAMS), rng.choice(OFFICES)
        decided = now_us - int(rng.random() * 730 * _DAY_US)
        left = 0.0
        for phase in reversed(PHASES):
            left += rng.expovariate(1 / 20)
            counts[(program, phase.value, office, period_of(decided), bin_of(left))] += 1
    return [(*k, v) for k, v in counts.items()]


def _fill_sqlite(store: Any, items: int) -> None:
    with store.engine.connect() as conn:
        driver = conn.connection.driver_connection
        tables = _fillers(driver, "?", items)
        driver.execute("BEGIN")
        for table, cols, rows in tables:
            driver.executemany(
                f"INSERT INTO {table} ({', '.join(cols)}) "  # noqa: S608
                f"VALUES ({', '.join('?' * len(cols))})",
                rows,
            )
        driver.executemany(
            "INSERT INTO status_time_bins (program, phase, office, period, bin, count) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            _bins(items),
        )
        driver.execute("COMMIT")
        driver.execute("ANALYZE")


def _fill_postgres(store: Any, items: int) -> None:
    with store.engine.connect() as conn:
        driver = conn.connection.driver_connection
        tables = _fillers(driver, "%s", items)
        with driver.cursor() as cur:
            # A bulk load: the foreign keys hold by construction.
            cur.execute("SET LOCAL session_replication_role = replica")
            for table, cols, rows in tables:
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            with cur.copy(
                "COPY status_time_bins (program, phase, office, period, bin, count) FROM STDIN"
            ) as copy:
                for bin_row in _bins(items):
                    copy.write_row(bin_row)
        driver.commit()
        driver.autocommit = True
        driver.execute("VACUUM ANALYZE items")
        driver.execute("VACUUM ANALYZE timeline_events")
        driver.execute("VACUUM ANALYZE plugin_records")
        driver.execute("VACUUM ANALYZE status_time_bins")
        driver.autocommit = False


def _bench(report: Report, label: str, url: str, items: int, n: int) -> list[Measurement]:
    store = open_store(url, keyring=Keyring.generate())
    started = time.monotonic()
    ids = _seed_real(store)
    if store.engine.dialect.name == "sqlite":
        _fill_sqlite(store, items)
    else:
        _fill_postgres(store, items)
    built = time.monotonic() - started
    with store.unit_of_work(write=False) as uow:
        count = uow.connection.exec_driver_sql("SELECT COUNT(*) FROM timeline_events").scalar()
    print(f"{label}: {items:,} items, {count:,} events built in {built:.0f} s", file=sys.stderr)

    engine = store.engine
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    events_sql, bins_sql = _EVENTS_RAW.format(m=mark), _BINS_RAW.format(m=mark)
    record_sql = _RECORD_RAW.format(m=mark)
    owner = {item_id: f"acc-{k * 7 % ACCOUNTS}" for k, item_id in enumerate(ids)}
    book = EstimateBook(min_sample=20 if items >= 100_000 else 1)
    entered = NOW - dt.timedelta(days=12)
    since = period_of(_us(NOW)) - book.window

    def cycle() -> Iterator[str]:
        while True:
            yield from ids

    def raw(driver: Any, sql: str, *params: Any) -> list[Any]:
        cursor = driver.cursor()
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def estimate(uow: Any) -> Any:
        return book.estimate(uow, "visitor-visa", Phase.ELIGIBILITY, "office-3", entered, NOW)

    def steps(uow: Any, item_id: str) -> Any:
        # What the status page reads for its phases: the item's tracker record.
        found = uow.plugin_records.get(owner[item_id], SERVICE_ID, key_of(item_id))
        return TrackerRecord.decode(found[1]).steps()

    out: list[Measurement] = []
    with (
        store.unit_of_work(write=False) as uow,
        engine.connect().execution_options(ircc_write=False) as conn,
        conn.begin(),
    ):
        driver = conn.connection.driver_connection
        ours, theirs = cycle(), cycle()
        assert len(uow.timeline.for_item(ids[0])) == EVENTS
        assert len(raw(driver, events_sql, ids[0])) == EVENTS
        assert estimate(uow) is not None
        assert len(steps(uow, ids[0])) == len(PHASES)
        mine, raws = cycle(), cycle()
        measured = measure_interleaved(
            [
                (f"{label}: timeline (10 events), in an open unit",
                 lambda: uow.timeline.for_item(next(ours))),
                (f"{label}: raw indexed query (the same events)",
                 lambda: raw(driver, events_sql, next(theirs))),
                (f"{label}: the tracker's phases (its record), in an open unit",
                 lambda: steps(uow, next(mine))),
                (f"{label}: raw primary-key query (the same record)",
                 lambda: raw(driver, record_sql, owner[i := next(raws)], SERVICE_ID, key_of(i))),
                (f"{label}: estimate, in an open unit", lambda: estimate(uow)),
                (f"{label}: raw indexed query (the same bins)",
                 lambda: raw(driver, bins_sql, "visitor-visa", "eligibility", "office-3", since)),
            ],
            n=n,
            warmup=200,
        )  # fmt: skip
        timeline_m, timeline_raw, steps_m, steps_raw, estimate_m, estimate_raw = measured

    ours, theirs = cycle(), cycle()

    def unit() -> None:
        with store.unit_of_work(write=False) as uow:
            uow.timeline.for_item(next(ours))
            estimate(uow)

    def raw_unit() -> None:
        with engine.connect().execution_options(ircc_write=False) as conn:
            conn.begin()
            driver = conn.connection.driver_connection
            raw(driver, events_sql, next(theirs))
            raw(driver, bins_sql, "visitor-visa", "eligibility", "office-3", since)
            conn.rollback()

    unit_m, unit_raw = measure_interleaved(
        [
            (f"{label}: timeline and estimate, a read unit", unit),
            (f"{label}: raw unit (both raw queries, same engine)", raw_unit),
        ],
        n=n,
        warmup=100,
    )
    for ours_m, raw_m in (
        (timeline_m, timeline_raw),
        (steps_m, steps_raw),
        (estimate_m, estimate_raw),
        (unit_m, unit_raw),
    ):
        ours_m.note = (
            f"p99 {ours_m.p99_us / raw_m.p99_us:.2f}× raw; "
            f"p50 {ours_m.p50_us / raw_m.p50_us:.2f}×; "
            f"p90 {ours_m.p90_us:,.1f} µs (raw {raw_m.p90_us:,.1f})"
        )
        out += [report.add(ours_m), report.add(raw_m)]
    store.close()
    return out


def _scale() -> int:
    # A quick check of the benchmark itself: ``BENCH_STATUS_SCALE=100`` builds a hundredth.
    return max(1, int(os.environ.get("BENCH_STATUS_SCALE", "1")))


def run(report: Report) -> None:
    scale = _scale()
    with tempfile.TemporaryDirectory() as tmp:
        _bench(
            report, "SQLite 200k/2M", f"sqlite:///{pathlib.Path(tmp) / 'bench.db'}",
            items=200_000 // scale, n=5_000,
        )  # fmt: skip
    if PostgresServer.find_binaries() is None:
        print("PostgreSQL benchmark SKIPPED: no PostgreSQL binaries found", file=sys.stderr)
        return
    with PostgresServer() as server:
        _bench(report, "PostgreSQL 200k/2M", server.url(), items=200_000 // scale, n=3_000)
    if os.environ.get("BENCH_STATUS_LARGEST", "1") == "0":
        print("PostgreSQL 1M/10M skipped: BENCH_STATUS_LARGEST=0", file=sys.stderr)
        return
    with PostgresServer() as server:
        _bench(report, "PostgreSQL 1M/10M", server.url(), items=1_000_000 // scale, n=3_000)
