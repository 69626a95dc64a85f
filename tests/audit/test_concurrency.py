"""
Concurrent writers never fork or break a chain (SEC-89), and kill -9 never loses an acknowledged entry (SEC-90).
"""

from __future__ import annotations

import json
import pathlib
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from ircc_account._crypto import Keyring
from ircc_account._storage import SqlStore, open_store
from ircc_account.audit import AuditLog, CheckpointSigner, GroupCommitAppender, verify

from .conftest import make_entry
from .writer import SIGNER

WRITER = pathlib.Path(__file__).with_name("writer.py")
THREADS, PER_THREAD = 32, 100


def _chains(store: SqlStore) -> dict[str, list[int]]:
    with store.engine.connect() as c:
        rows = c.exec_driver_sql(
            "SELECT partition, seq FROM audit_entries ORDER BY partition, seq"
        ).all()
        c.rollback()
    chains: dict[str, list[int]] = {}
    for partition, seq in rows:
        chains.setdefault(partition, []).append(seq)
    return chains


def _assert_linear(store: SqlStore, expected: int, signer: CheckpointSigner) -> None:
    chains = _chains(store)
    assert sum(len(s) for s in chains.values()) == expected
    for partition, seqs in chains.items():
        assert seqs == list(range(1, len(seqs) + 1)), partition  # no gap, no duplicate
    verify(store, public_keys=signer).raise_for_failure()


def test_sec_89_32_threads_keep_every_chain_linear(
    any_store: SqlStore, signer: CheckpointSigner
) -> None:
    """32 threads x 100 appends (half append_now, half group commit) leave linear chains that verify."""
    log = AuditLog(any_store, signer=signer, checkpoint_every=500)
    errors: list[BaseException] = []
    with GroupCommitAppender(log) as appender:

        def work(t: int) -> None:
            try:
                for i in range(PER_THREAD):
                    # Shared clients, so threads contend for the same chains.
                    e = make_entry(occurred_at=log.clock.now(), client_id=f"c-{(t + i) % 6}")
                    if t % 2 and i % 10 == 0:
                        log.append_now(e)
                    else:
                        appender.submit(e)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert errors == []
    log.checkpoint()
    _assert_linear(any_store, THREADS * PER_THREAD, signer)


def test_sec_89_caller_transactions_in_threads_keep_chains_linear(
    any_store: SqlStore, signer: CheckpointSigner
) -> None:
    """Appends in callers' own units from 8 threads to shared chains serialize without forks."""
    log = AuditLog(any_store, signer=signer)

    def work(t: int) -> None:
        for i in range(25):
            for attempt in range(10):
                try:
                    with any_store.unit_of_work() as uow:
                        log.append(
                            uow, make_entry(occurred_at=log.clock.now(), client_id=f"c-{i % 2}")
                        )
                        uow.commit()
                    break
                except Exception:
                    if attempt == 9:
                        raise

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    _assert_linear(any_store, 200, signer)


def test_sec_89_four_processes_share_one_sqlite_file(tmp_path: pathlib.Path) -> None:
    """4 processes x 200 appends on one SQLite file: every acknowledged entry present once, chains verify."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    store = open_store(url, keyring=Keyring.generate())
    procs = [subprocess.Popen([sys.executable, str(WRITER), "append", url, "200", "shared"],
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]  # fmt: skip
    acked = Counter[str]()
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        acked.update(out.split())
    assert sum(acked.values()) == 800 and max(acked.values()) == 1
    with store.engine.connect() as c:
        present = set(c.exec_driver_sql("SELECT entry_id FROM audit_entries").scalars())
    assert set(acked) == present
    _assert_linear(store, 800, SIGNER)
    store.close()


@pytest.mark.slow
def test_sec_90_kill_9_never_loses_an_acknowledged_entry_sqlite(tmp_path: pathlib.Path) -> None:
    """100 SIGKILLs of two writer processes mid-append: every acknowledged entry is present, integrity ok, chains verify."""
    db = tmp_path / "crash.db"
    url = f"sqlite:///{db}"
    out = subprocess.run([sys.executable, str(WRITER), "crash", url, "100", "20260301"],
                         capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    acked = json.loads(out.stdout.strip().splitlines()[-1])["acked"]
    assert len(acked) >= 100  # the kills landed while writers were acknowledging
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    present = {r[0] for r in raw.execute("SELECT entry_id FROM audit_entries")}
    checkpoints = raw.execute("SELECT count(*) FROM audit_checkpoints").fetchone()[0]
    raw.close()
    missing = set(acked) - present
    assert not missing, sorted(missing)[:5]
    assert checkpoints > 0
    store = open_store(url, keyring=Keyring.generate())
    try:
        _assert_linear(store, len(present), SIGNER)
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.postgres
def test_sec_90_kill_9_never_loses_an_acknowledged_entry_postgres(
    request: pytest.FixtureRequest,
) -> None:
    """The same kill -9 test against PostgreSQL: acknowledged entries survive and the chains verify."""
    from .conftest import _postgres_url

    url = _postgres_url(request)
    out = subprocess.run([sys.executable, str(WRITER), "crash", url, "100", "20260302"],
                         capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    acked = json.loads(out.stdout.strip().splitlines()[-1])["acked"]
    store = open_store(url, keyring=Keyring.generate())
    try:
        with store.engine.connect() as c:
            present = set(c.execute(sa.text("SELECT entry_id FROM audit_entries")).scalars())
        assert set(acked) <= present
        _assert_linear(store, len(present), SIGNER)
    finally:
        store.close()


@pytest.mark.postgres
def test_sec_89_several_postgresql_writers_share_the_head_cache_safely(
    postgres_url: str, signer: CheckpointSigner
) -> None:
    """Three writer threads (batches in flight at once) and append_now on four shared chains: linear, verified."""
    store = open_store(postgres_url, keyring=Keyring.generate())
    log = AuditLog(store, signer=signer, checkpoint_every=10**9)
    errors: list[BaseException] = []
    try:
        with GroupCommitAppender(log, writers=3) as appender:

            def work(t: int) -> None:
                try:
                    for i in range(50):
                        e = make_entry(occurred_at=log.clock.now(), client_id=f"c-{(t + i) % 4}")
                        if t % 3 == 0 and i % 5 == 0:
                            log.append_now(e)
                        else:
                            appender.submit(e)
                except BaseException as exc:  # pragma: no cover - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=work, args=(t,)) for t in range(12)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
        assert errors == []
        log.checkpoint()
        _assert_linear(store, 12 * 50, signer)
    finally:
        store.close()


def test_submit_many_async_queues_a_pages_entries_as_one_batch(
    any_store: SqlStore, signer: CheckpointSigner
) -> None:
    """A page's entries reach the writer together (one transaction); a malformed one queues none; a closed appender refuses."""
    from ircc_account.audit import _log
    from ircc_account.errors import AuditAppenderClosed, ValidationError

    log = AuditLog(any_store, signer=signer)
    batches: list[int] = []
    real = _log.AuditLog._write_batch

    def counting(self: AuditLog, batch: Any, held: Any) -> Any:
        batches.append(len(batch))
        return real(self, batch, held)

    appender = GroupCommitAppender(log)
    try:
        log._write_batch = counting.__get__(log)  # type: ignore[method-assign]
        entries = [
            (make_entry(occurred_at=log.clock.now(), item_id=f"i-{n}"), None) for n in range(5)
        ]
        futures = appender.submit_many_async(entries)
        receipts = [f.result(timeout=10) for f in futures]
        assert batches == [5]
        assert sorted(r.seq for r in receipts) == [1, 2, 3, 4, 5]
        bad = {"occurred_at": "yesterday", "actor_id": "x"}
        with pytest.raises(ValidationError):
            appender.submit_many_async([entries[0], (bad, None)])  # type: ignore[list-item]
    finally:
        appender.close()
    assert sum(len(s) for s in _chains(any_store).values()) == 5
    with pytest.raises(AuditAppenderClosed):
        appender.submit_many_async(entries)
    verify(any_store, public_keys=signer).raise_for_failure()
