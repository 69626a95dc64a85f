"""
Engines, migrations and backups: the durability settings and schema checks.
"""

from __future__ import annotations

import pathlib
import sqlite3
import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ircc_account._crypto import Keyring
from ircc_account._storage import SqliteStore, create_engine, open_store
from ircc_account._storage._schema import metadata
from ircc_account.errors import ConfigurationError, SchemaOutOfDate, UnsafeStorageSettings

from .test_contract import add_account, make_account


def test_sec_86_sqlite_pragmas_on_every_connection(sqlite_url: str) -> None:
    """Every pooled SQLite connection runs WAL, synchronous=FULL, foreign keys and a busy timeout."""
    engine = create_engine(sqlite_url)
    try:
        for _ in range(3):
            with engine.connect() as c:
                assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2
                assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    finally:
        engine.dispose()


def test_sec_87_writes_take_the_lock_up_front(sqlite_url: str) -> None:
    """A writing unit starts with BEGIN IMMEDIATE: a second writer waits instead of failing mid-way."""
    engine = create_engine(sqlite_url)
    try:
        with engine.connect() as c:
            c.begin()
            # Under BEGIN IMMEDIATE the reserved lock is already held, so another
            # connection cannot start writing even before we wrote anything.
            other = sqlite3.connect(
                sqlite_url.removeprefix("sqlite:///"), timeout=0.05, isolation_level=None
            )
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_refused() -> None:
    """An in-memory database is not durable and is refused."""
    with pytest.raises(ConfigurationError):
        create_engine("sqlite://")
    with pytest.raises(ConfigurationError):
        create_engine("mysql://localhost/x")


def test_migrations_build_exactly_the_declared_schema(database_url: str) -> None:
    """After migrating, the database matches the SQLAlchemy metadata: no table, column or index differs."""
    store = open_store(database_url, keyring=Keyring.generate())
    try:
        with store.engine.connect() as c:
            context = MigrationContext.configure(c, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(context, metadata) if not _is_version_table(d)]
        assert diffs == []
        store.migrate()  # idempotent
        assert store.schema_is_current()
    finally:
        store.close()


def _is_version_table(diff: object) -> bool:
    return "ircc_schema_version" in repr(diff)


def test_a_store_refuses_an_unmigrated_database(database_url: str) -> None:
    """Opening without migrating on an empty database raises SchemaOutOfDate."""
    with pytest.raises(SchemaOutOfDate):
        open_store(database_url, keyring=Keyring.generate(), migrate=False)


def test_concurrent_migrations_are_serialized(database_url: str) -> None:
    """Several processes' worth of stores migrating at once leave one consistent schema."""
    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            open_store(database_url, keyring=Keyring.generate()).close()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=migrate) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert [(e, e.__cause__) for e in errors] == []


@pytest.mark.postgres
def test_sec_88_unsafe_postgres_settings_are_refused(postgres_url: str) -> None:
    """A database whose sessions run with synchronous_commit=off is refused at start (SEC-88)."""
    engine = sa.create_engine(postgres_url)
    name = sa.engine.make_url(postgres_url).database
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    engine.dispose()
    with pytest.raises(UnsafeStorageSettings) as info:
        open_store(postgres_url, keyring=Keyring.generate())
    assert info.value.params["setting"] == "synchronous_commit"


def test_sec_91_backup_during_writes_is_consistent(sqlite_url: str, tmp_path: pathlib.Path) -> None:
    """A backup taken while another thread writes restores with integrity_check ok and readable data."""
    keyring = Keyring.generate()
    store = open_store(sqlite_url, keyring=keyring)
    assert isinstance(store, SqliteStore)
    stop = threading.Event()

    def writer() -> None:
        n = 100
        while not stop.is_set():
            n += 1
            add_account(store, make_account(n))

    add_account(store, make_account(1))
    th = threading.Thread(target=writer)
    th.start()
    try:
        target = tmp_path / "backup.db"
        store.backup(target)
    finally:
        stop.set()
        th.join()
        store.close()
    with pytest.raises(ConfigurationError):
        store.backup(target)
    raw = sqlite3.connect(target)
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    raw.close()
    restored = open_store(f"sqlite:///{target}", keyring=keyring, migrate=False)
    try:
        with restored.unit_of_work(write=False) as uow:
            assert uow.accounts.get("acc-1").personal.family_name == "Tremblay1"
    finally:
        restored.close()
