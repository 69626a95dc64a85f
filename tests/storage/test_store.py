"""
The store's operator-facing operations: migrations with progress, the schema
version check, and resumable re-wrapping of data keys, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from ircc_account._crypto import KeyEncryptionKey, Keyring
from ircc_account._model import ClientAccount, ContactDetails, PersonalDetails
from ircc_account._storage import _schema as t
from ircc_account._storage import create_engine, open_store
from ircc_account._storage._store import SqlStore, _script, schema_is_current, upgrade_schema
from ircc_account.errors import (
    ConfigurationError,
    KeyNotFound,
    SchemaOutOfDate,
    SchemaTooNew,
)

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
# Every revision this library ships (a new migration must not break these tests).
REVISIONS = {s.revision for s in _script().walk_revisions()}
FOUNDATION = "0001_foundation"
NEW_KEK = KeyEncryptionKey(key_id="kek-new", secret=b"\x42" * 32)


def add_accounts(store: SqlStore, count: int, start: int = 1) -> None:
    """Add *count* accounts acc-00001... in one unit."""
    with store.unit_of_work() as uow:
        for n in range(start, start + count):
            uow.accounts.add(
                ClientAccount(
                    account_id=f"acc-{n:05d}",
                    personal=PersonalDetails(
                        family_name=f"Tremblay{n}", given_names="Marie", date_of_birth="1990-04-02"
                    ),
                    contact=ContactDetails(email=f"marie{n}@example.ca"),
                    preferred_language="fr",
                    created_at=NOW,
                )
            )
        uow.commit()


def family_names(store: SqlStore) -> list[str]:
    """Every account's decrypted family name, in account order."""
    with store.unit_of_work(write=False) as uow:
        ids = uow.connection.execute(
            sa.select(t.accounts.c.account_id).order_by(t.accounts.c.account_id)
        ).scalars()
        return [uow.accounts.get(i).personal.family_name for i in ids]


@pytest.fixture
def old_keyring() -> Keyring:
    """The keyring the accounts are first written with."""
    return Keyring.generate(key_id="kek-old")


@pytest.fixture
def rotated(database_url: str, old_keyring: Keyring) -> Iterator[SqlStore]:
    """A store of 7 accounts under kek-old, opened with kek-new as primary."""
    store = open_store(database_url, keyring=old_keyring)
    add_accounts(store, 7)
    store.close()
    store = open_store(database_url, keyring=old_keyring.rotated(NEW_KEK))
    yield store
    store.close()


def test_migrate_reports_each_revision_once_then_nothing(database_url: str) -> None:
    """The progress callback sees every revision with its ordinal and the total; a second run sees none."""
    engine = create_engine(database_url, pool_size=1)
    try:
        calls: list[tuple[str, int, int]] = []
        total = len(REVISIONS)
        assert upgrade_schema(engine, progress=lambda *a: calls.append(a)) == total
        assert {c[0] for c in calls} == REVISIONS
        assert [(c[1], c[2]) for c in calls] == [(k, total) for k in range(1, total + 1)]
        assert schema_is_current(engine)
        again: list[tuple[str, int, int]] = []
        assert upgrade_schema(engine, progress=lambda *a: again.append(a)) == 0
        assert again == []
    finally:
        engine.dispose()


def test_a_partly_migrated_schema_counts_only_what_is_left(database_url: str) -> None:
    """From the foundation revision alone, the total is the revisions left."""
    from alembic import command

    from ircc_account._storage._store import _alembic_config

    engine = create_engine(database_url, pool_size=1)
    try:
        with engine.begin() as connection:
            cfg = _alembic_config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, FOUNDATION)
        assert not schema_is_current(engine)
        calls: list[tuple[str, int, int]] = []
        upgrade_schema(engine, progress=lambda *a: calls.append(a))
        assert {c[0] for c in calls} == REVISIONS - {FOUNDATION}
        assert {c[2] for c in calls} == {len(REVISIONS) - 1}
    finally:
        engine.dispose()


def test_a_schema_from_a_newer_release_is_named_as_such(database_url: str) -> None:
    """A revision this library does not ship makes the check and the migration raise SchemaTooNew."""
    store = open_store(database_url, keyring=Keyring.generate())
    with store.engine.begin() as c:
        c.execute(
            sa.text(
                "UPDATE ircc_schema_version SET version_num = '0099_future' WHERE version_num = :v"
            ),
            {"v": sorted(REVISIONS)[-1]},  # the newest revision is a head
        )
    try:
        with pytest.raises(SchemaTooNew):
            store.schema_is_current()
        with pytest.raises(SchemaTooNew):
            store.migrate()
        with pytest.raises(SchemaOutOfDate):  # SchemaTooNew is a SchemaOutOfDate.
            open_store(database_url, keyring=Keyring.generate(), migrate=False)
    finally:
        store.close()


def test_rewrap_reports_progress_and_counts_what_is_left(rotated: SqlStore) -> None:
    """Each committed batch is reported as (done, total); the counts by KEK follow the re-wrap."""
    assert rotated.data_keys_by_kek() == {"kek-old": 7}
    assert rotated.data_keys_to_rewrap() == 7
    calls: list[tuple[int, int]] = []
    assert rotated.rewrap_data_keys(batch_size=3, progress=lambda *a: calls.append(a)) == 7
    assert calls == [(3, 7), (6, 7), (7, 7)]
    assert rotated.data_keys_by_kek() == {"kek-new": 7}
    assert rotated.data_keys_to_rewrap() == 0
    assert rotated.rewrap_data_keys() == 0


def test_rewrap_interrupted_between_batches_resumes_with_what_is_left(
    rotated: SqlStore, database_url: str, old_keyring: Keyring
) -> None:
    """An interrupt after a batch keeps that batch; the next run re-wraps only the rest, and the old KEK can go."""

    def stop(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotated.rewrap_data_keys(batch_size=3, progress=stop)
    assert rotated.data_keys_by_kek() == {"kek-new": 3, "kek-old": 4}
    assert rotated.rewrap_data_keys(batch_size=3) == 4
    retired = open_store(database_url, keyring=old_keyring.rotated(NEW_KEK).without("kek-old"))
    try:
        assert family_names(retired) == [f"Tremblay{n}" for n in range(1, 8)]
    finally:
        retired.close()


def test_two_rewraps_at_once_wrap_each_key_once(rotated: SqlStore) -> None:
    """Two concurrent runs share the work: their counts add up to the keys, and every key reads."""
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(rotated.rewrap_data_keys(batch_size=1))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == 7
    assert rotated.data_keys_by_kek() == {"kek-new": 7}
    assert family_names(rotated) == [f"Tremblay{n}" for n in range(1, 8)]


def test_rewrap_stops_at_a_key_whose_kek_is_missing(
    database_url: str, old_keyring: Keyring
) -> None:
    """A key under a KEK the keyring lacks raises KeyNotFound; the batches before it stay done."""
    store = open_store(database_url, keyring=old_keyring)
    add_accounts(store, 4)
    store.close()
    other = Keyring.generate(key_id="kek-other")
    store = open_store(database_url, keyring=other)
    add_accounts(store, 1, start=5)  # acc-00005, under kek-other
    store.close()
    store = open_store(database_url, keyring=old_keyring.rotated(NEW_KEK))
    try:
        with pytest.raises(KeyNotFound):
            store.rewrap_data_keys(batch_size=2)
        assert store.data_keys_by_kek() == {"kek-new": 4, "kek-other": 1}
        with pytest.raises(ConfigurationError):
            store.rewrap_data_keys(batch_size=0)
    finally:
        store.close()


def test_a_sqlite_migration_waits_out_another_writer_past_the_busy_timeout(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration finding the file locked for longer than the busy timeout waits and then applies everything."""
    import sqlite3
    import threading

    from ircc_account._storage import _engine
    from ircc_account.storage import create_engine, schema_is_current, upgrade_schema

    path = sa.engine.make_url(sqlite_url).database
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")
    released = threading.Timer(1.0, lambda: holder.execute("ROLLBACK"))
    released.start()
    # A short busy timeout, so the lock outlasts it several times over.
    monkeypatch.setattr(_engine, "SQLITE_BUSY_TIMEOUT_MS", 100)
    engine = create_engine(sqlite_url, pool_size=1)
    try:
        assert upgrade_schema(engine) > 0
        assert schema_is_current(engine)
    finally:
        released.join()
        holder.close()
        engine.dispose()
