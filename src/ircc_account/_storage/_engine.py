"""
Database engines with the durability settings the requirements demand.

SQLite (SEC-86, SEC-87): every connection runs ``journal_mode=WAL``,
``synchronous=FULL``, ``foreign_keys=ON`` and a busy timeout; transactions are
explicit (the driver's implicit BEGIN is switched off) and writers take the
lock up front with ``BEGIN IMMEDIATE``, so a unit of work never fails half way
on a lock upgrade. The settings are read back and a connection that did not
take them is refused.

PostgreSQL (SEC-88): ``fsync``, ``synchronous_commit`` and ``full_page_writes``
must be on and ``data_sync_retry`` off; otherwise the store refuses to start.
"""

from __future__ import annotations

import os
import weakref
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine, make_url

from ircc_account.errors import ConfigurationError, UnsafeStorageSettings

__all__ = ["WRITE_OPTION", "create_engine", "dialect_of"]

#: Execution option on a connection: ``True`` for a writing unit of work.
WRITE_OPTION = "ircc_write"

SQLITE_BUSY_TIMEOUT_MS = 10_000

_SQLITE_EXPECTED = {
    "journal_mode": "wal",
    "synchronous": "2",  # FULL
    "foreign_keys": "1",
}

_POSTGRES_EXPECTED = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "data_sync_retry": "off",
}


def dialect_of(url: str | URL) -> str:
    """
    ``"sqlite"`` or ``"postgresql"`` for a database URL.

    Raises:
        ConfigurationError: any other database.
    """
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise ConfigurationError(reason="only SQLite and PostgreSQL are supported")
    return name


def create_engine(url: str | URL, *, pool_size: int = 10) -> Engine:
    """
    Create an engine for *url* with the safety settings applied and checked.

    Raises:
        ConfigurationError: an unsupported database or an in-memory SQLite.
    """
    url = make_url(url)
    if dialect_of(url) == "sqlite":
        engine = _sqlite_engine(url)
    else:
        engine = _postgres_engine(url, pool_size=pool_size)
    _dispose_in_forked_children(engine)
    return engine


def _sqlite_engine(url: URL) -> Engine:
    if url.database in (None, "", ":memory:") or url.query.get("mode") == "memory":
        raise ConfigurationError(reason="SQLite needs a file; in-memory databases are not durable")
    engine = sa.create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (SEC-87): we
        # emit BEGIN ourselves in the "begin" hook below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            for pragma, expected in _SQLITE_EXPECTED.items():
                cursor.execute(f"PRAGMA {pragma}")
                value = str(cursor.fetchone()[0]).lower()
                if value != expected:
                    raise UnsafeStorageSettings(setting=pragma)
        finally:
            cursor.close()

    dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error

    @event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, True)
        statement = "BEGIN IMMEDIATE" if write else "BEGIN"
        # On the DBAPI cursor: through exec_driver_sql, SQLAlchemy's statement
        # machinery cost ten times the BEGIN itself (a fifth of a read unit).
        # Errors are wrapped as exec_driver_sql would (a busy database is an
        # OperationalError, which units of work report as StorageUnavailable).
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(statement)
        except dbapi_error as e:
            raise sa_exc.DBAPIError.instance(statement, None, e, dbapi_error) from e
        finally:
            cursor.close()

    return engine


def _postgres_engine(url: URL, *, pool_size: int) -> Engine:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    # No pre-ping: it costs a round trip per unit of work; a dropped connection
    # surfaces as StorageUnavailable and SQLAlchemy invalidates the pool.
    engine = sa.create_engine(url, pool_size=pool_size, max_overflow=pool_size)

    @event.listens_for(engine, "first_connect")
    def _check(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for setting, expected in _POSTGRES_EXPECTED.items():
                cursor.execute(f"SHOW {setting}")
                if str(cursor.fetchone()[0]).lower() != expected:
                    raise UnsafeStorageSettings(setting=setting)
        finally:
            cursor.close()
            dbapi_connection.rollback()

    return engine


def _dispose_in_forked_children(engine: Engine) -> None:
    # A pooled connection must never be used on both sides of a fork (SEC-86):
    # the child forgets the parent's pool without closing its sockets.
    ref = weakref.ref(engine)

    def _after_fork() -> None:
        e = ref()
        if e is not None:
            e.dispose(close=False)

    os.register_at_fork(after_in_child=_after_fork)
