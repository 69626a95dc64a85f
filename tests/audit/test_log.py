"""
Appending: in the caller's transaction, fail-closed, append-only, validated, checkpointed.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from ircc_account._clock import FrozenClock
from ircc_account._model import AuditEntry, Capacity, ClientAccount, ContactDetails, PersonalDetails
from ircc_account._storage import SqlStore
from ircc_account.audit import AuditLog, CheckpointSigner, verify
from ircc_account.errors import (
    AuditClockSkew,
    FieldTooLong,
    InvalidFormat,
    RequiredField,
    StorageError,
    UnknownValue,
)

from .conftest import NOW, make_entry, new_log


def _account(n: int) -> ClientAccount:
    return ClientAccount(
        account_id=f"acc-{n}",
        personal=PersonalDetails(family_name="Tremblay", date_of_birth="1990-01-01"),
        contact=ContactDetails(email=f"c{n}@example.ca"),
        created_at=NOW,
    )


def _count(store: SqlStore, table: str) -> int:
    with store.engine.connect() as c:
        n = int(c.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())  # noqa: S608
        c.rollback()
        return n


def test_sec_85_entry_commits_with_the_business_change(
    any_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock
) -> None:
    """An entry appended in the caller's unit commits together with the change it records."""
    log = new_log(any_store, signer, clock)
    with any_store.unit_of_work() as uow:
        uow.accounts.add(_account(1))
        receipt = log.append(uow, make_entry(client_id="acc-1"))
        uow.commit()
    assert (receipt.partition, receipt.seq) == ("acc-1", 1)
    assert _count(any_store, "accounts") == 1 and _count(any_store, "audit_entries") == 1
    verify(any_store, public_keys=signer).raise_for_failure()


def test_sec_85_rollback_discards_the_entry(
    any_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock
) -> None:
    """If the caller's unit rolls back, its entry is gone with it and the chain stays whole."""
    log = new_log(any_store, signer, clock)
    with any_store.unit_of_work() as uow:
        log.append(uow, make_entry())
    assert log.append_now(make_entry()).seq == 1
    verify(any_store, public_keys=signer).raise_for_failure()


def test_sec_70_failed_audit_insert_rolls_back_the_change(
    any_store: SqlStore,
    signer: CheckpointSigner,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An audit insert that fails takes the business row down with it, and the unit cannot commit."""
    log = new_log(any_store, signer, clock)
    with any_store.unit_of_work() as uow:
        uow.accounts.add(_account(2))
        real = uow.connection.execute

        def failing(statement: Any, *args: Any, **kw: Any) -> Any:
            if isinstance(statement, sa.Insert) and statement.table.name == "audit_entries":
                raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))
            return real(statement, *args, **kw)

        monkeypatch.setattr(uow.connection, "execute", failing)
        with pytest.raises(StorageError):
            log.append(uow, make_entry(client_id="acc-2"))
        monkeypatch.undo()
        with pytest.raises(Exception):  # noqa: B017, PT011 - any error: the unit is finished
            uow.commit()
    assert _count(any_store, "accounts") == 0
    assert _count(any_store, "audit_entries") == 0


def test_sec_70_refused_entry_rolls_back_the_change(
    any_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock
) -> None:
    """An entry refused for bad input also rolls back the change it was to record."""
    log = new_log(any_store, signer, clock)
    with any_store.unit_of_work() as uow:
        uow.accounts.add(_account(3))
        with pytest.raises(FieldTooLong):
            log.append(uow, {**_fields(), "reason": "x" * 201})
    assert _count(any_store, "accounts") == 0


@pytest.mark.parametrize("verb", ["UPDATE audit_entries SET reason = 'edited'", "DELETE FROM audit_entries",
                                  "UPDATE audit_checkpoints SET key_id = 'x'",
                                  "DELETE FROM audit_checkpoint_heads"])  # fmt: skip
def test_sec_63_update_and_delete_fail_through_the_apps_own_connection(
    any_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock, verb: str
) -> None:
    """The database itself refuses UPDATE and DELETE on the append-only audit tables."""
    log = new_log(any_store, signer, clock)
    log.append_now(make_entry())
    log.checkpoint()
    with any_store.unit_of_work() as uow, pytest.raises(sa.exc.DBAPIError):
        uow.connection.exec_driver_sql(verb)
    assert _count(any_store, "audit_entries") == 1


def test_sec_63_the_api_has_no_update_or_delete_path() -> None:
    """AuditLog offers appends and checkpoints only."""
    public = {name for name in dir(AuditLog) if not name.startswith("_")}
    assert not {
        n for n in public if any(w in n for w in ("update", "delete", "remove", "edit", "truncate"))
    }


def _fields(**kw: Any) -> dict[str, Any]:
    base = {"occurred_at": NOW, "actor_id": "rep-7", "client_id": "c-1", "capacity": "representative",
            "action": "item.read", "decision": "allowed", "reason": "grant"}  # fmt: skip
    base.update(kw)
    return base


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({k: v for k, v in _fields().items() if k != "actor_id"}, RequiredField),
        ({k: v for k, v in _fields().items() if k != "reason"}, RequiredField),
        (_fields(reason="r" * 201), FieldTooLong),
        (_fields(reason="Marie Tremblay born 1990"), InvalidFormat),
        (_fields(reason="token " + "a" * 60), InvalidFormat),
        (_fields(reason="marie@example.ca"), InvalidFormat),
        (_fields(source_ip="not an address"), InvalidFormat),
        (_fields(actor_id="bad id\n"), InvalidFormat),
        (_fields(document_number="P123"), UnknownValue),
        (_fields(capacity="plugin"), RequiredField),
    ],
    ids=[
        "no-actor",
        "no-reason",
        "long-reason",
        "free-text-reason",
        "token-reason",
        "email-reason",
        "bad-ip",
        "bad-id",
        "unknown-field",
        "plugin-without-principal",
    ],
)
def test_bad_input_is_refused_with_a_typed_error(
    sqlite_store: SqlStore,
    signer: CheckpointSigner,
    clock: FrozenClock,
    fields: dict[str, Any],
    error: type[Exception],
) -> None:
    """Missing fields, oversized or free-text reasons and malformed values raise typed errors, writing nothing."""
    log = new_log(sqlite_store, signer, clock)
    with pytest.raises(error):
        log.append_now(fields)
    assert _count(sqlite_store, "audit_entries") == 0


def test_clock_going_backwards_is_refused(
    sqlite_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock
) -> None:
    """An entry dated before its partition's head (beyond the skew allowance) is refused, not clamped."""
    log = new_log(sqlite_store, signer, clock)
    log.append_now(make_entry())
    log.append_now(
        make_entry(occurred_at=NOW - dt.timedelta(seconds=2))
    )  # within the skew allowance
    with pytest.raises(AuditClockSkew):
        log.append_now(make_entry(occurred_at=NOW - dt.timedelta(minutes=5)))
    with pytest.raises(AuditClockSkew):
        log.append_now(make_entry(occurred_at=NOW + dt.timedelta(minutes=5)))
    log.append_now(
        make_entry(client_id="c-2", occurred_at=NOW - dt.timedelta(minutes=5))
    )  # other chain
    assert _count(sqlite_store, "audit_entries") == 3


def test_sec_65_each_capacity_records_every_required_field(
    sqlite_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock
) -> None:
    """For every capacity, the row holds time, event, subject, actor, object, outcome, source and correlation."""
    log = new_log(sqlite_store, signer, clock)
    for capacity in Capacity:
        log.append_now(
            make_entry(capacity=capacity, correlation_id="req-1", source_ip="203.0.113.9"),
            on_behalf_of="c-1" if capacity is Capacity.PLUGIN else None,
        )
    with sqlite_store.engine.connect() as c:
        rows = c.exec_driver_sql("SELECT * FROM audit_entries ORDER BY seq").mappings().all()
    assert [r["capacity"] for r in rows] == [c.value for c in Capacity]
    for r in rows:
        for column in ("occurred_at", "action", "client_id", "actor_id", "item_id", "decision",
                       "source_ip", "correlation_id", "entry_hash", "prev_hash"):  # fmt: skip
            assert r[column] is not None, column
    assert rows[[c.value for c in Capacity].index("plugin")]["on_behalf_of"] == "c-1"


def test_system_entries_go_to_the_system_partition(
    sqlite_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock
) -> None:
    """An entry about no client joins the ~system chain."""
    log = new_log(sqlite_store, signer, clock)
    assert log.append_now(make_entry(client_id=None, capacity="system")).partition == "~system"


def test_representative_acts_alert_after_commit_only(
    sqlite_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock
) -> None:
    """The alert hook hears of a representative's access after commit, never for a rollback or a client."""
    heard: list[tuple[str, AuditEntry]] = []

    class Alerts:
        def representative_acted(self, client_id: str, entry: AuditEntry) -> None:
            heard.append((client_id, entry))

    log = new_log(sqlite_store, signer, clock, alerts=Alerts())
    with sqlite_store.unit_of_work() as uow:
        log.append(uow, make_entry())
        assert heard == []
    with sqlite_store.unit_of_work() as uow:
        log.append(uow, make_entry())
        log.append(uow, make_entry(capacity="client", actor_id="c-1"))
        uow.commit()
    assert [c for c, _ in heard] == ["c-1"]


def test_checkpoints_are_automatic_and_cover_every_partition(
    sqlite_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock
) -> None:
    """A checkpoint is signed every N entries, and verification counts every entry under it."""
    log = new_log(sqlite_store, signer, clock, checkpoint_every=10)
    for i in range(35):
        log.append_now(make_entry(client_id=f"c-{i % 4}"))
    assert _count(sqlite_store, "audit_checkpoints") == 3
    final = log.checkpoint()
    assert final is not None and final.entries == 35 and final.partitions == 4
    assert log.checkpoint() is None
    report = verify(sqlite_store, public_keys=signer).raise_for_failure()
    assert (report.entries, report.covered_entries, report.checkpoints) == (35, 35, 4)


def test_key_rotation_old_checkpoints_still_verify(
    sqlite_store: SqlStore, clock: FrozenClock, entry: Callable[..., AuditEntry]
) -> None:
    """After rotating the signing key, checkpoints by the retired key verify with its published half."""
    old = CheckpointSigner.generate("k1")
    log = new_log(sqlite_store, old, clock)
    log.append_now(entry())
    log.checkpoint()
    new = CheckpointSigner.generate("k2")
    rotated = CheckpointSigner(
        {"k2": new._keys["k2"]}, current="k2", retired={"k1": old.public_keys()["k1"]}
    )
    log.signer = rotated
    log.append_now(entry())
    assert log.checkpoint() is not None
    verify(sqlite_store, public_keys=rotated).raise_for_failure()
    report = verify(sqlite_store, public_keys=new.public_keys())
    assert report.first_failure is not None and report.first_failure.problem == "unknown_key"


def test_heads_moved_behind_the_logs_back_are_caught_and_rewritten(
    any_store: SqlStore, signer: CheckpointSigner, clock: FrozenClock
) -> None:
    """A head moved by a caller's unit or another log (the cached head is stale) never forks the chain."""
    log = new_log(any_store, signer, clock)
    other = new_log(any_store, signer, clock)
    assert log.append_now(make_entry()).seq == 1
    with any_store.unit_of_work() as uow:
        assert log.append(uow, make_entry()).seq == 2
        uow.commit()
    assert other.append_now(make_entry()).seq == 3
    assert log.write_batch([log.prepare(make_entry()), log.prepare(make_entry())])[1].seq == 5  # type: ignore[union-attr]
    assert other.append_now(make_entry()).seq == 6
    assert log.append_now(make_entry()).seq == 7
    verify(any_store, public_keys=signer).raise_for_failure()


def _round_trips(trace: str) -> int:
    """Turns of a libpq protocol trace: each burst of client messages answered by the server."""
    directions = [line.split("\t", 1)[0] for line in trace.splitlines() if line]
    return sum(1 for a, b in itertools.pairwise(directions) if (a, b) == ("F", "B"))


@pytest.mark.postgres
def test_a_postgresql_batch_is_one_round_trip(
    postgres_url: str, signer: CheckpointSigner, clock: FrozenClock, tmp_path: Any
) -> None:
    """On PostgreSQL, each durable batch is one call and one network round trip (its own transaction)."""
    from psycopg import pq

    from ircc_account._crypto import Keyring
    from ircc_account._storage import open_store
    from ircc_account.audit._log import _Held

    store = open_store(postgres_url, keyring=Keyring.generate())
    log = new_log(store, signer, clock)
    try:
        with _Held(store.engine) as held:
            for _ in range(8):  # the partitions' heads cached, the call prepared by the server
                log._write_batch([log.prepare(make_entry(client_id=f"c-{p}")) for p in range(5)],
                                 held)  # fmt: skip
            connection = held.connection()
            path = tmp_path / "trace"
            with path.open("w") as out:
                connection.pgconn.trace(out.fileno())
                connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
                for _ in range(10):
                    batch = [log.prepare(make_entry(client_id=f"c-{p}")) for p in range(5)]
                    assert all(r.seq > 0 for r in log._write_batch(batch, held))  # type: ignore[union-attr]
                connection.pgconn.untrace()
        assert _round_trips(path.read_text()) == 10
        # Back in the pool, the connection is transactional again: a rolled-back unit leaves nothing.
        assert connection.autocommit is False
        with store.unit_of_work() as uow:
            uow.connection.execute(sa.text("CREATE TABLE scratch (x int)"))
            uow.rollback()
        with store.engine.connect() as c:
            assert c.execute(sa.text("SELECT to_regclass('scratch')")).scalar() is None
        verify(store, public_keys=signer).raise_for_failure()
    finally:
        store.close()
