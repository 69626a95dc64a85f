"""
The verifier finds every kind of tampering and names the first bad position (SEC-64).
"""

from __future__ import annotations

import json
import pathlib
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ircc_account._clock import FrozenClock
from ircc_account._crypto import Keyring
from ircc_account._storage import SqliteStore, create_engine, open_store
from ircc_account.audit import CheckpointSigner, export_client, verify, verify_export
from ircc_account.audit._codec import encode, entry_hash

from .conftest import NOW, make_entry, new_log

SIGNER = CheckpointSigner.generate("verify-test")
COLUMNS = ("partition", "seq", "entry_id", "occurred_at", "actor_id", "capacity", "action",
           "client_id", "item_id", "service_id", "decision", "reason", "grant_id",
           "organisation_id", "on_behalf_of", "correlation_id", "source_ip")  # fmt: skip


@pytest.fixture(scope="module")
def template() -> Iterator[pathlib.Path]:
    """An empty, migrated SQLite file to copy for each example."""
    with tempfile.TemporaryDirectory() as d:
        path = pathlib.Path(d) / "template.db"
        open_store(f"sqlite:///{path}", keyring=Keyring.generate()).close()
        yield path


def _build(
    template: pathlib.Path, d: pathlib.Path, sizes: list[int]
) -> tuple[SqliteStore, pathlib.Path]:
    path = d / "log.db"
    shutil.copy(template, path)
    store = SqliteStore(create_engine(f"sqlite:///{path}"), Keyring.generate())
    log = new_log(store, SIGNER, FrozenClock(NOW))
    batch = [log.prepare(make_entry(client_id=f"c-{p}", item_id=f"i-{i}"))
             for p, n in enumerate(sizes) for i in range(n)]  # fmt: skip
    log.write_batch(batch)
    assert log.checkpoint() is not None
    return store, path


def _tamper(path: pathlib.Path, sql: list[tuple[str, tuple[Any, ...]]]) -> None:
    # A DB owner editing by hand: the append-only triggers go first.
    db = sqlite3.connect(path, isolation_level=None)
    for trigger in ("audit_entries_no_update", "audit_entries_no_delete"):
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("BEGIN")
    for statement, params in sql:
        db.execute(statement, params)
    db.execute("COMMIT")
    db.close()


def _row(path: pathlib.Path, partition: str, seq: int) -> dict[str, Any]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    row = dict(
        db.execute(
            "SELECT * FROM audit_entries WHERE partition=? AND seq=?", (partition, seq)
        ).fetchone()
    )
    db.close()
    return row


def _shift_up(partition: str, n: int, k: int) -> list[tuple[str, tuple[Any, ...]]]:
    return [("UPDATE audit_entries SET seq = seq + 1 WHERE partition = ? AND seq = ?", (partition, s))
            for s in range(n, k - 1, -1)]  # fmt: skip


def _mutation(kind: str, path: pathlib.Path, p: str, n: int, k: int) -> tuple[int, str]:
    """Apply one mutation to chain p (n entries) at position k; return the expected (seq, problem)."""
    where = "WHERE partition = ? AND seq = ?"
    if kind == "modify":
        _tamper(path, [(f"UPDATE audit_entries SET reason = 'tampered' {where}", (p, k))])  # noqa: S608
        return k, "hash_mismatch"
    if kind == "delete":
        _tamper(path, [(f"DELETE FROM audit_entries {where}", (p, k))])  # noqa: S608
        return k, "missing_entry" if k < n else "truncated"
    if kind == "reorder":
        k = min(k, n - 1)
        _tamper(
            path,
            [
                (f"UPDATE audit_entries SET seq = 999999 {where}", (p, k)),  # noqa: S608
                (f"UPDATE audit_entries SET seq = ? {where}", (k, p, k + 1)),  # noqa: S608
                (f"UPDATE audit_entries SET seq = ? {where}", (k + 1, p, 999999)),  # noqa: S608
            ],
        )
        return k, "broken_link"
    if kind == "insert":
        forged = {**_row(path, p, k), "entry_id": "ae-forged", "reason": "forged"}
        marks = ", ".join("?" * len(forged))
        _tamper(path, [*_shift_up(p, n, k),
                       (f"INSERT INTO audit_entries ({', '.join(forged)}) VALUES ({marks})",  # noqa: S608
                        tuple(forged.values()))])  # fmt: skip
        return k, "hash_mismatch"
    if kind == "truncate":
        _tamper(path, [("DELETE FROM audit_entries WHERE partition = ? AND seq >= ?", (p, k))])
        return k, "truncated"
    # "rewrite": a DB owner recomputes the chain from k on; only the checkpoint catches it.
    rows = [_row(path, p, s) for s in range(k, n + 1)]
    prev = rows[0]["prev_hash"]
    sql: list[tuple[str, tuple[Any, ...]]] = []
    for r in rows:
        r["reason"] = "rewritten"
        digest = entry_hash(prev, encode([r[c] for c in COLUMNS]))
        sql.append((f"UPDATE audit_entries SET reason = ?, prev_hash = ?, entry_hash = ? {where}",  # noqa: S608
                    ("rewritten", prev, digest, p, r["seq"])))  # fmt: skip
        prev = digest
    _tamper(path, sql)
    return n, "checkpoint_mismatch"


@settings(max_examples=60)
@given(
    sizes=st.lists(st.integers(2, 12), min_size=1, max_size=4),
    kind=st.sampled_from(["modify", "delete", "reorder", "insert", "truncate", "rewrite"]),
    data=st.data(),
)
def test_sec_64_any_single_mutation_is_caught_at_its_position(
    template: pathlib.Path, sizes: list[int], kind: str, data: st.DataObject
) -> None:
    """A random log plus one random edit, delete, reorder, insert, truncation or rewrite fails at that entry."""
    with tempfile.TemporaryDirectory() as d:
        store, path = _build(template, pathlib.Path(d), sizes)
        verify(store, public_keys=SIGNER).raise_for_failure()
        index = data.draw(st.integers(0, len(sizes) - 1), label="partition")
        n = sizes[index]
        k = data.draw(st.integers(1, n), label="seq")
        seq, problem = _mutation(kind, path, f"c-{index}", n, k)
        report = verify(store, public_keys=SIGNER)
        store.close()
    assert not report.ok
    first = report.first_failure
    assert first is not None
    assert (first.partition, first.seq, first.problem) == (f"c-{index}", seq, problem)


def test_sec_64_checkpoint_signature_and_heads_are_checked(
    template: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """A forged checkpoint signature, a forged head or an unknown key each fail verification."""
    store, path = _build(template, tmp_path, [3, 2])
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("DROP TRIGGER audit_checkpoints_no_update")
    db.execute("UPDATE audit_checkpoints SET signature = zeroblob(64)")
    db.close()
    first = verify(store, public_keys=SIGNER).first_failure
    assert first is not None and (first.partition, first.problem) == (
        "~checkpoints",
        "bad_signature",
    )
    other = verify(store, public_keys=CheckpointSigner.generate("verify-test")).first_failure
    assert other is not None and other.problem == "bad_signature"
    store.close()


def test_truncation_after_the_last_checkpoint_is_caught_by_the_head_table(
    template: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """Deleting entries newer than the last checkpoint is still caught while the head row is intact."""
    store, path = _build(template, tmp_path, [3])
    log = new_log(store, SIGNER, FrozenClock(NOW))
    log.append_now(make_entry(client_id="c-0"))
    _tamper(path, [("DELETE FROM audit_entries WHERE seq = 4", ())])
    first = verify(store, public_keys=SIGNER).first_failure
    assert first is not None and (first.partition, first.seq, first.problem) == (
        "c-0",
        4,
        "head_mismatch",
    )
    store.close()


@settings(max_examples=25)
@given(n=st.integers(1, 15), others=st.integers(0, 5), data=st.data())
def test_sec_64_export_round_trips_and_mutations_fail(
    template: pathlib.Path, n: int, others: int, data: st.DataObject
) -> None:
    """An export survives JSON and verifies offline; editing, dropping or reordering its entries fails."""
    with tempfile.TemporaryDirectory() as d:
        store, _ = _build(template, pathlib.Path(d), [n] + [1] * others)
        export = json.loads(
            json.dumps(export_client(store, "c-0", public_keys=SIGNER.public_keys()))
        )
        store.close()
    trusted = SIGNER.public_keys()
    report = verify_export(export, trusted_keys=trusted)
    assert report.ok and report.entries == n and report.covered_entries == n
    assert verify(export, public_keys=trusted).ok
    k = data.draw(st.integers(0, n - 1))
    kind = data.draw(st.sampled_from(["modify", "drop", "swap", "truncate", "root"]))
    entries = export["entries"]
    if kind == "modify":
        entries[k]["action"] = "item.update"
    elif kind == "drop":
        del entries[k]
    elif kind == "swap" and n > 1:
        k = min(k, n - 2)
        entries[k], entries[k + 1] = entries[k + 1], entries[k]
    elif kind in ("truncate", "swap"):
        del entries[k:]
    else:
        export["checkpoint"]["root"] = "00" * 32
    bad = verify_export(export, trusted_keys=trusted)
    assert not bad.ok
    first = bad.first_failure
    assert first is not None
    if kind != "root":
        assert (first.partition, first.seq) == ("c-0", k + 1)


def test_malformed_export_fails_and_untrusted_keys_are_flagged(
    template: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """Garbage in an export is a failed verification; keys taken from the export itself are reported as such."""
    store, _ = _build(template, tmp_path, [2])
    export = export_client(store, "c-0", public_keys=SIGNER.public_keys())
    store.close()
    assert verify_export(export).keys_trusted is False
    assert not verify_export({"format": "ircc-audit-export/1"}).ok
    assert not verify_export({**export, "entries": [{"seq": "x"}]}).ok


def test_an_export_proves_only_what_a_signed_checkpoint_covers(
    template: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """An export without a checkpoint, or with entries past it, fails as not_checkpointed, trusted keys or not."""
    from ircc_account.audit._verify import VerificationFailure

    store, _ = _build(template, tmp_path, [2])
    trusted = SIGNER.public_keys()
    try:
        export = export_client(store, "c-0", public_keys=trusted)
        assert verify_export(export, trusted_keys=trusted).ok
        bare = {**export, "checkpoint": None}
        unproven = (VerificationFailure("c-0", 1, "not_checkpointed"),)
        assert verify_export(bare, trusted_keys=trusted).failures == unproven
        assert verify_export(bare).failures == unproven
        log = new_log(store, SIGNER, FrozenClock(NOW))
        log.append_now(make_entry(client_id="c-0", item_id="i-late"))
        later = export_client(store, "c-0", public_keys=trusted)
        report = verify_export(later, trusted_keys=trusted)
        assert report.failures == (VerificationFailure("c-0", 3, "not_checkpointed"),)
        assert report.covered_entries == 2
        log.checkpoint()
        assert verify_export(export_client(store, "c-0"), trusted_keys=trusted).ok
    finally:
        store.close()


def test_parallel_verification_finds_what_one_process_finds(
    template: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large SQLite logs are checked by forked workers over partition ranges: same report, same first failure."""
    from ircc_account.audit import _verify

    calls: list[int] = []
    real = _verify._parallel

    def spy(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(_verify, "_parallel", spy)
    # Other tests' servers may still be running here, which makes the library
    # decline to fork (see the next test); their threads are idle, and what
    # is checked here is that the forked workers find what one process finds.
    monkeypatch.setattr(_verify, "_can_fork", lambda: True)
    store, path = _build(template, tmp_path, [5, 3, 7, 2, 4, 6])
    keys = SIGNER.public_keys()

    def both() -> tuple[Any, Any]:
        return (
            _verify.verify_engine(store.engine, keys, parallel_min=1),
            _verify.verify_engine(store.engine, keys, parallel_min=10**9),
        )

    parallel, serial = both()
    assert calls == [1]
    assert parallel == serial and parallel.ok and parallel.entries == 27
    _tamper(path, [("UPDATE audit_entries SET reason = 'tampered' WHERE partition = ? AND seq = ?",
                    ("c-4", 2)),
                   ("DELETE FROM audit_entries WHERE partition = ? AND seq = ?", ("c-0", 3))])  # fmt: skip
    parallel, serial = both()
    assert parallel == serial
    assert [(f.partition, f.seq, f.problem) for f in parallel.failures] == [
        ("c-0", 3, "missing_entry"),
        ("c-4", 2, "hash_mismatch"),
    ]
    store.close()


def test_verification_does_not_fork_while_another_thread_runs() -> None:
    """A forked worker would inherit any lock another thread holds: with a second thread alive, verification stays in one process."""
    import threading

    from ircc_account.audit import _verify

    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        assert _verify._can_fork() is False
    finally:
        stop.set()
        other.join()


def _forge_first_entry(store: Any, client_id: str) -> None:
    """Insert one correctly hashed first entry for a new partition, with no head row."""
    from ircc_account._storage import _schema_audit as t
    from ircc_account.audit._codec import GENESIS

    log = new_log(store, SIGNER, FrozenClock(NOW))
    pending = log.prepare(make_entry(client_id=client_id))
    values = pending.hashed_values(1)
    row = {**pending.row(), "seq": 1, "prev_hash": GENESIS,
           "entry_hash": entry_hash(GENESIS, encode(values))}  # fmt: skip
    with store.engine.begin() as c:
        c.execute(t.audit_entries.insert(), [row])


def test_a_chain_forged_for_a_new_client_fails_verification(any_store: Any) -> None:
    """A correctly hashed entry for a partition with no head row is a head_mismatch, not a pass."""
    log = new_log(any_store, SIGNER, FrozenClock(NOW))
    log.append_now(make_entry(client_id="c-real"))
    log.checkpoint()
    assert verify(any_store, public_keys=SIGNER).ok
    _forge_first_entry(any_store, "c-forged")
    report = verify(any_store, public_keys=SIGNER)
    assert [(f.partition, f.seq, f.problem) for f in report.failures] == [
        ("c-forged", 1, "head_mismatch")
    ]
    assert report.entries == 2


def test_a_forged_chain_is_found_by_parallel_verification_too(
    template: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """The forked workers check each range's head rows against its entries both ways."""
    from ircc_account.audit import _verify

    store, _ = _build(template, tmp_path, [3, 2, 4])
    _forge_first_entry(store, "c-1a")
    keys = SIGNER.public_keys()
    parallel = _verify.verify_engine(store.engine, keys, parallel_min=1)
    serial = _verify.verify_engine(store.engine, keys, parallel_min=10**9)
    store.close()
    assert parallel == serial
    assert [(f.partition, f.seq, f.problem) for f in serial.failures] == [
        ("c-1a", 1, "head_mismatch")
    ]


def test_verifying_a_live_log_raises_no_false_alarm(any_store: Any) -> None:
    """Verification while writers commit reads one snapshot: heads and entries always agree."""
    import threading

    log = new_log(any_store, SIGNER, FrozenClock(NOW))
    for p in range(4):
        log.append_now(make_entry(client_id=f"c-{p}"))
    log.checkpoint()
    stop = threading.Event()
    written = [0]

    def write(p: int) -> None:
        while not stop.is_set():
            log.append_now(make_entry(client_id=f"c-{p}"))
            written[0] += 1

    threads = [threading.Thread(target=write, args=(p,)) for p in range(4)]
    for thread in threads:
        thread.start()
    try:
        reports = []
        for _ in range(12):
            reports.append(verify(any_store, public_keys=SIGNER))
            if written[0] > 400:
                break
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert written[0] > 0
    assert [r.failures for r in reports if not r.ok] == []
    assert verify(any_store, public_keys=SIGNER).ok
