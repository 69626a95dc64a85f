"""
Audit log: acknowledged-durable appends per second, and verification speed

Every append counted here has returned from a commit that fsynced
(SQLite ``synchronous=FULL`` in WAL mode; PostgreSQL ``synchronous_commit=on``).
The floors, measured in the same run on the same database: a bare single-row
durable INSERT + COMMIT (one flush per row) and a batched INSERT of 512 rows per
commit (one flush per batch). Writers 1/4/16 are threads submitting through
one ``GroupCommitAppender`` (the concurrent path; target >= 10k entries/s),
each with one entry in flight (``submit``: it waits for its commit before the
next), and then each with several in flight (``submit_async``, a window of
futures per writer). "append_now" is one transaction per entry. Verification reads a 200k-entry
SQLite log (target >= 300k entries/s). PostgreSQL runs through
``ircc_account.testing._postgres.PostgresServer`` and is skipped loudly when absent.
"""

from __future__ import annotations

import datetime as dt
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


def _entry(i: int) -> AuditEntry:
    return AuditEntry(
        occurred_at=dt.datetime.now(dt.UTC),
        actor_id="rep-1",
        client_id=f"c-{i % 1000}",
        capacity=Capacity.REPRESENTATIVE,
        action="item.read",
        item_id="app-1",
        decision=Decision.ALLOWED,
        reason="grant",
        grant_id="g-1",
    )


def _from_latencies(
    name: str, total: int, seconds: float, lat: list[float], note: str
) -> Measurement:
    lat.sort()
    return Measurement(
        name=name,
        ops_per_s=total / seconds,
        p50_us=statistics.median(lat) * 1e6,
        p99_us=lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e6,
        n=total,
        note=note,
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


def _floors(store: SqlStore, label: str, report: Report, n: int) -> None:
    with store.engine.begin() as c:
        c.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS bench_rows (id BIGINT PRIMARY KEY, body TEXT)"
        )
    ins = sa.text("INSERT INTO bench_rows (id, body) VALUES (:id, :body)")
    counter = iter(range(10**9))

    def one(_: int) -> None:
        with store.engine.begin() as c:
            c.execute(ins, {"id": next(counter), "body": "x" * 200})

    seconds, lat = _threads(1, n, one)
    report.add(_from_latencies(f"{label}: bare 1-row durable insert", n, seconds, lat, "floor"))
    rows = 512 * 20
    start = time.perf_counter()
    for _ in range(20):
        with store.engine.begin() as c:
            c.execute(ins, [{"id": next(counter), "body": "x" * 200} for _ in range(512)])
    seconds = time.perf_counter() - start
    per_batch_us = seconds / 20 * 1e6
    name = f"{label}: batched insert, 512 rows/commit"
    report.add(Measurement(name, rows / seconds, per_batch_us, per_batch_us, rows, "floor"))


def _appends(store: SqlStore, label: str, report: Report, per_writer: int) -> None:
    log = AuditLog(store, signer=SIGNER, checkpoint_every=50_000)
    n = max(200, per_writer // 10)
    seconds, lat = _threads(1, n, lambda i: log.append_now(_entry(i)))
    report.add(_from_latencies(f"{label}: append_now, 1 writer", n, seconds, lat, "1 txn/entry"))
    for writers in (1, 4, 16):
        with GroupCommitAppender(log) as appender:
            seconds, lat = _threads(writers, per_writer, lambda i: appender.submit(_entry(i)))
        total = writers * per_writer
        target = "target >= 10k/s" if writers > 1 else ""
        report.add(_from_latencies(f"{label}: group commit, {writers} writers x 1 in flight",
                                   total, seconds, lat, target))  # fmt: skip
    window = 8
    for writers in (4, 16):
        with GroupCommitAppender(log) as appender:
            seconds, lat = _windowed(
                writers, per_writer, window, lambda i: appender.submit_async(_entry(i))
            )
        total = writers * per_writer
        report.add(_from_latencies(
            f"{label}: group commit, {writers} writers x {window} in flight (submit_async)",
            total, seconds, lat, "target >= 10k/s"))  # fmt: skip


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


def run(report: Report) -> None:
    """Measure SQLite, then PostgreSQL if a server can be started, then verification."""
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/bench.db", keyring=Keyring.generate())
        _floors(store, "SQLite", report, 300)
        _appends(store, "SQLite", report, 2000)
        store.close()
        try:
            from ircc_account.testing._postgres import PostgresServer  # type: ignore[import-not-found]
        except ImportError:
            why = "ircc_account.testing._postgres is not available"
            print(f"bench_audit: PostgreSQL SKIPPED: {why}", file=sys.stderr)
        else:
            with PostgresServer() as server:
                store = open_store(server.url(), keyring=Keyring.generate())
                _floors(store, "PostgreSQL", report, 300)
                _appends(store, "PostgreSQL", report, 2000)
                store.close()
        _verification(report, tmp)
