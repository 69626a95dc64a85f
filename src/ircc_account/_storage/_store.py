"""
The SQL stores: :class:`SqliteStore` (embedded default) and :class:`PostgresStore`.

Both share one schema and one adapter (:mod:`._sql`); they differ in how the
engine is set up, how migrations are serialized, and how backups are taken.
"""

from __future__ import annotations

import pathlib
from typing import ClassVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from ircc_account._crypto import Keyring, WrappedDataKey
from ircc_account._storage import _schema as t
from ircc_account._storage._engine import create_engine, dialect_of
from ircc_account._storage._sql import SqlUnitOfWork, translate_errors
from ircc_account.errors import ConfigurationError, SchemaOutOfDate

__all__ = ["PostgresStore", "SqlStore", "SqliteStore", "open_store"]

_VERSION_TABLE = "ircc_schema_version"
# An arbitrary, fixed key for the PostgreSQL advisory lock that serializes
# concurrent migrations from several processes.
_MIGRATION_LOCK = 0x1CC_AC_0001


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "ircc_account._storage:migrations")
    return cfg


class SqlStore:
    """
    A store over a SQL database, with personal data encrypted by *keyring*.

    Use :func:`open_store` rather than this class directly.

    Args:
        engine: A SQLAlchemy engine made by the library's ``create_engine``.
        keyring: Key-encryption keys and the blind-index key.
    """

    dialect: ClassVar[str]

    def __init__(self, engine: sa.Engine, keyring: Keyring) -> None:
        self.engine = engine
        self.keyring = keyring

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.engine.url.render_as_string(hide_password=True)!r})"

    def unit_of_work(self, *, write: bool = True) -> SqlUnitOfWork:
        """
        Start a unit of work; use it as a context manager and call ``commit()``.

        Args:
            write: ``False`` for a read-only unit (SQLite then takes no write lock).
        """
        return SqlUnitOfWork(self.engine, self.keyring, write=write)

    # --- schema ------------------------------------------------------------------

    def migrate(self) -> None:
        """
        Upgrade the schema to every head (safe to call from several processes at once).
        """
        cfg = _alembic_config()
        with translate_errors("schema"), self.engine.begin() as connection:
            self._lock_for_migration(connection)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "heads")

    def _lock_for_migration(self, connection: sa.Connection) -> None:
        """
        Serialize migrations; SQLite's BEGIN IMMEDIATE already does.
        """

    def schema_is_current(self) -> bool:
        """
        Whether the database is at every migration head this library ships.
        """
        script = ScriptDirectory.from_config(_alembic_config())
        with self.engine.connect().execution_options(ircc_write=False) as connection:
            context = MigrationContext.configure(connection, opts={"version_table": _VERSION_TABLE})
            current = set(context.get_current_heads())
        return current == set(script.get_heads())

    def check_schema(self) -> None:
        """
        Raises:
            SchemaOutOfDate: the migrations have not all run.
        """
        if not self.schema_is_current():
            raise SchemaOutOfDate()

    # --- keys ------------------------------------------------------------------------

    def rewrap_data_keys(self, *, batch_size: int = 500) -> int:
        """
        Re-wrap every data key not under the keyring's primary KEK.

        Runs in small transactions, so the store stays fully usable meanwhile
        (rotation without downtime). Returns how many keys were re-wrapped;
        once it returns, the old KEKs can be dropped from the keyring.
        """
        total = 0
        c = t.account_keys.c
        while True:
            with self.unit_of_work() as uow:
                rows = uow.execute(
                    sa.select(c.account_id, c.kek_id, c.wrapped_key)
                    .where(c.kek_id != self.keyring.primary_id)
                    .limit(batch_size),
                    "account key",
                ).all()
                if not rows:
                    return total
                for row in rows:
                    fresh = self.keyring.rewrap(
                        WrappedDataKey(kek_id=row.kek_id, blob=row.wrapped_key), row.account_id
                    )
                    uow.execute(
                        t.account_keys.update()
                        .where(c.account_id == row.account_id, c.kek_id == row.kek_id)
                        .values(kek_id=fresh.kek_id, wrapped_key=fresh.blob),
                        "account key",
                    )
                uow.commit()
                total += len(rows)

    def close(self) -> None:
        """
        Close every pooled connection.
        """
        self.engine.dispose()


class SqliteStore(SqlStore):
    """
    The embedded store: one SQLite file in WAL mode with ``synchronous=FULL``.
    """

    dialect = "sqlite"

    def backup(self, target: pathlib.Path) -> None:
        """
        Write a consistent copy of the database to *target* while writers go on
        (``VACUUM INTO``; SEC-91).

        Raises:
            ConfigurationError: *target* already exists.
        """
        target = pathlib.Path(target)
        if target.exists():
            raise ConfigurationError(reason="backup target already exists")
        # VACUUM cannot run inside a transaction, so bypass SQLAlchemy's
        # autobegin and use the driver connection (in autocommit mode, see _engine).
        raw = self.engine.raw_connection()
        try:
            raw.driver_connection.execute("VACUUM INTO ?", (str(target),))  # type: ignore[union-attr]
        finally:
            raw.close()


class PostgresStore(SqlStore):
    """
    The store for scale: PostgreSQL through psycopg 3, durability settings checked at start.
    """

    dialect = "postgresql"

    def _lock_for_migration(self, connection: sa.Connection) -> None:
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})


def open_store(
    url: str | URL,
    *,
    keyring: Keyring,
    migrate: bool = True,
    pool_size: int = 10,
) -> SqlStore:
    """
    Open the store at *url*: ``sqlite:///path/to/file.db`` or
    ``postgresql+psycopg://user@host/db``.

    Args:
        url: The database URL.
        keyring: Key-encryption keys and blind-index key, from your secret store.
        migrate: Bring the schema up to date first (else check it is).
        pool_size: Connections kept open (PostgreSQL).

    Raises:
        ConfigurationError: an unsupported or in-memory database.
        UnsafeStorageSettings: the database could lose acknowledged writes.
        SchemaOutOfDate: ``migrate=False`` and the schema is behind.
    """
    url = make_url(url)
    cls: type[SqlStore] = SqliteStore if dialect_of(url) == "sqlite" else PostgresStore
    store = cls(create_engine(url, pool_size=pool_size), keyring)
    try:
        if migrate:
            store.migrate()
        else:
            store.check_schema()
    except BaseException:
        store.close()
        raise
    return store
