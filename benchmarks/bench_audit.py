"""
Audit log: acknowledged-durable appends per second against the plain driver, and verification speed

Every append counted here has returned from a commit that fsynced (SQLite
``synchronous=FULL`` in WAL mode; PostgreSQL ``synchronous_commit=on``).

The floor is the plain driver doing INSERT and COMMIT in a loop on the same
file system (SQLite: the stdlib ``sqlite3`` module, WAL, ``synchronous=FULL``,
a file beside the log's; PostgreSQL: psycopg on the same server, with
``synchronous_commit=on``), one 300-byte row per commit. It is measured in
every round, interleaved with the group commit, so each figure has its own
floor from the same minutes; each line reports the median over the rounds and
its ratio to the median floor (the per-round ratios in the note). "N waiting
writers" are N threads submitting through one ``GroupCommitAppender``, each
waiting for its acknowledgement before its next entry (``submit``): the
targets are at least 1.0x the floor at 4 and 1.5x at 16. "N x 8 in flight"
keeps a window of futures per writer (``submit_async``). "append_now" is one
transaction per entry. Verification reads a 200k-entry SQLite log (target >=
300k entries/s). PostgreSQL runs through
``ircc_account.testing._postgres.PostgresServer`` and is skipped loudly when
absent. The machine's load average is printed before and after.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import sqlalchemy as sa
from _harness import Measurement, Report

from ircc_account._crypto import Keyring
from ircc_account._model import AuditEntry, Capacity, Decision
from ircc_account._storage import SqlStore, open_store
from ircc_account.audit import AuditLog, CheckpointSigner, GroupCommitAppender
from ircc_account.audit._verify import verify_engine

SIGNER = CheckpointSigner.generate("bench")
ROUNDS = 3
FLOOR_ROWS = 1000
ENTRIES_PER_RUN = 4000
BODY = "x" * 300


def _entry(i: int) -> AuditEntry:
    return AuditEntry(
        occurred_at=dt.datetime.now(dt.UTC),
        actor_id="rep-1",
        client_id=f"c-{i % 1000}",
        capacity=Capacity.REPRESENTATIVE,
        action="door.item.view",
        item_id="app-1",
        decision=Decision.ALLOWED,
        reason="grant",
        grant_id="g-1",
        correlation_id=f"req-{i}",
    )


def _threads(writers: int, per: int, fn: Callable[[int], None]) -> tuple[float, list[float]]:
    lat: list[float] = []
    lock = threading.Lock()

    def work(w: int) -> None:
        mine = []
        for i in range(per):
            t0 = time.perf_counter()
            fn(w * per + i)
            mine.append(time.perf_counter() - t0)
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, lat


def _windowed(
    writers: int, per: int, window: int, submit: Callable[[int], Future[Any]]
) -> tuple[float, list[float]]:
    """Each writer keeps up to *window* entries in flight; latency is submit to ack."""
    lat: list[float] = []
    lock = threading.Lock()

    def work(w: int) -> None:
        mine: list[float] = []
        pending: deque[tuple[float, Future[Any]]] = deque()
        for i in range(per):
            if len(pending) >= window:
                t0, f = pending.popleft()
                f.result()
                mine.append(time.perf_counter() - t0)
            pending.append((time.perf_counter(), submit(w * per + i)))
        while pending:
            t0, f = pending.popleft()
            f.result()
            mine.append(time.perf_counter() - t0)
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, lat


class _Series:
    """One operation measured in every round: throughput and latencies per round."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rates: list[float] = []
        self.lat: list[float] = []
        self.n = 0

    def add(self, count: int, seconds: float, lat: list[float]) -> None:
        self.rates.append(count / seconds)
        self.lat.extend(lat)
        self.n += count

    def measurement(self, floor: _Series | None, target: float | None = None) -> Measurement:
        lat = sorted(self.lat)
        rate = statistics.median(self.rates)
        note = ""
        if floor is not None:
            ratios = ", ".join(f"{a / b:.2f}" for a, b in zip(self.rates, floor.rates, strict=True))
            note = f"{rate / statistics.median(floor.rates):.2f}x floor (rounds: {ratios})"
            if target is not None:
                note += f"; target >= {target:.1f}x"
        else:
            note = "floor, rounds: " + ", ".join(f"{r:,.0f}" for r in self.rates)
        return Measurement(
            name=self.name,
            ops_per_s=rate,
            p50_us=statistics.median(lat) * 1e6 if lat else 0.0,
            p99_us=lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e6 if lat else 0.0,
            n=self.n,
            note=note,
        )


def _sqlite_floor(path: str, rows: int) -> tuple[float, list[float]]:
    """The plain driver: stdlib sqlite3, WAL, synchronous=FULL, INSERT + COMMIT per row."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE IF NOT EXISTS floor (id INTEGER PRIMARY KEY, body TEXT)")
        first = db.execute("SELECT coalesce(max(id), 0) + 1 FROM floor").fetchone()[0]
        lat = []
        start = time.perf_counter()
        for i in range(first, first + rows):
            t0 = time.perf_counter()
            db.execute("BEGIN")
            db.execute("INSERT INTO floor (id, body) VALUES (?, ?)", (i, BODY))
            db.execute("COMMIT")
            lat.append(time.perf_counter() - t0)
        return time.perf_counter() - start, lat
    finally:
        db.close()


def _postgres_floor(conninfo: str, rows: int) -> tuple[float, list[float]]:
    """The plain driver: psycopg, synchronous_commit=on, INSERT + COMMIT per row."""
    import psycopg

    with psycopg.connect(conninfo) as db:
        db.execute("SET synchronous_commit = on")
        db.execute("CREATE TABLE IF NOT EXISTS floor (id bigint PRIMARY KEY, body text)")
        db.commit()
        row = db.execute("SELECT coalesce(max(id), 0) + 1 FROM floor").fetchone()
        first = int(row[0]) if row else 1
        db.commit()
        lat = []
        start = time.perf_counter()
        for i in range(first, first + rows):
            t0 = time.perf_counter()
            db.execute("INSERT INTO floor (id, body) VALUES (%s, %s)", (i, BODY))
            db.commit()
            lat.append(time.perf_counter() - t0)
        return time.perf_counter() - start, lat


def _appends(
    store: SqlStore, label: str, report: Report, floor_run: Callable[[], tuple[float, list[float]]]
) -> None:
    log = AuditLog(store, signer=SIGNER, checkpoint_every=50_000)
    with GroupCommitAppender(log) as appender:  # warm: every partition's head cached
        for i in range(1000):
            appender.submit_async(_entry(i))
    floor = _Series(f"{label}: plain driver, INSERT + COMMIT per row")
    waiting = {w: _Series(f"{label}: group commit, {w} waiting writers") for w in (1, 4, 16)}
    window = 8
    flying = {
        w: _Series(f"{label}: group commit, {w} writers x {window} in flight (submit_async)")
        for w in (4, 16)
    }
    one = _Series(f"{label}: append_now, 1 writer (1 txn/entry)")
    for _ in range(ROUNDS):
        seconds, lat = floor_run()
        floor.add(FLOOR_ROWS, seconds, lat)
        for writers, series in waiting.items():
            per = ENTRIES_PER_RUN // writers if writers > 1 else ENTRIES_PER_RUN // 4
            with GroupCommitAppender(log) as appender:
                seconds, lat = _threads(writers, per, lambda i: appender.submit(_entry(i)))
            series.add(writers * per, seconds, lat)
        for writers, series in flying.items():
            per = ENTRIES_PER_RUN // writers
            with GroupCommitAppender(log) as appender:
                seconds, lat = _windowed(
                    writers, per, window, lambda i: appender.submit_async(_entry(i))
                )
            series.add(writers * per, seconds, lat)
        n = FLOOR_ROWS // 2
        seconds, lat = _threads(1, n, lambda i: log.append_now(_entry(i)))
        one.add(n, seconds, lat)
    report.add(floor.measurement(None))
    report.add(one.measurement(floor))
    targets = {4: 1.0, 16: 1.5}
    for writers, series in waiting.items():
        report.add(series.measurement(floor, targets.get(writers)))
    for series in flying.values():
        report.add(series.measurement(floor))


def _verification(report: Report, tmp: str) -> None:
    store = open_store(f"sqlite:///{tmp}/verify.db", keyring=Keyring.generate())
    log = AuditLog(store, signer=SIGNER)
    n = 200_000
    for start in range(0, n, 10_000):
        log.write_batch([log.prepare(_entry(i)) for i in range(start, start + 10_000)])
    log.checkpoint()
    t0 = time.perf_counter()
    result = verify_engine(store.engine, SIGNER.public_keys())
    seconds = time.perf_counter() - t0
    assert result.ok
    assert result.entries == n
    report.add(Measurement("SQLite: verify 200k entries", n / seconds, seconds * 1e6,
                           seconds * 1e6, n, "target >= 300k entries/s"))  # fmt: skip
    store.close()


def _load(when: str) -> None:
    one, five, _ = os.getloadavg()
    print(f"bench_audit: load average {when}: {one:.2f} (1 min), {five:.2f} (5 min), "
          f"{os.cpu_count()} CPUs", file=sys.stderr)  # fmt: skip


def run(report: Report) -> None:
    """Measure SQLite, then PostgreSQL if a server can be started, then verification."""
    _load("before")
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/bench.db", keyring=Keyring.generate())
        _appends(store, "SQLite", report, lambda: _sqlite_floor(f"{tmp}/floor.db", FLOOR_ROWS))
        store.close()
        try:
            from ircc_account.testing._postgres import PostgresServer  # type: ignore[import-not-found]
        except ImportError:
            why = "ircc_account.testing._postgres is not available"
            print(f"bench_audit: PostgreSQL SKIPPED: {why}", file=sys.stderr)
        else:
            if PostgresServer.find_binaries() is None:
                print("bench_audit: PostgreSQL SKIPPED: no binaries", file=sys.stderr)
            else:
                with PostgresServer() as server:
                    url = server.url()
                    store = open_store(url, keyring=Keyring.generate())
                    conninfo = (
                        sa.make_url(url)
                        .set(drivername="postgresql")
                        .render_as_string(hide_password=False)
                    )
                    _appends(store, "PostgreSQL", report,
                             lambda: _postgres_floor(conninfo, FLOOR_ROWS))  # fmt: skip
                    store.close()
        _verification(report, tmp)
    _load("after")
