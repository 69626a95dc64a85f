"""
The SQL stores: :class:`SqliteStore` (embedded default) and :class:`PostgresStore`.

Both share one schema and one adapter (:mod:`._sql`); they differ in how the
engine is set up, how migrations are serialized, and how backups are taken.
"""

from __future__ import annotations

import pathlib
import sqlite3
import time
from collections.abc import Callable
from typing import Any, ClassVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from ircc_account._crypto import DataKey, Keyring, WrappedDataKey
from ircc_account._storage import _schema as t
from ircc_account._storage import _schema_delegation as td
from ircc_account._storage._engine import create_engine, dialect_of
from ircc_account._storage._sealing import seal, seal_representative_name
from ircc_account._storage._sql import SqlUnitOfWork, translate_errors
from ircc_account._storage._sql_items import reference_index
from ircc_account.errors import (
    ConfigurationError,
    PersonalDataErased,
    SchemaOutOfDate,
    SchemaTooNew,
    StorageUnavailable,
)

__all__ = [
    "MigrationProgress",
    "PostgresStore",
    "RewrapProgress",
    "SqlStore",
    "SqliteStore",
    "open_store",
    "schema_is_current",
    "upgrade_schema",
]

#: Called after each schema revision is applied, with (revision id, how many
#: this call has applied so far, how many it applies in all).
MigrationProgress = Callable[[str, int, int], None]
#: Called after each committed batch of re-wrapped data keys, with (re-wrapped
#: so far, how many were to re-wrap when the call began).
RewrapProgress = Callable[[int, int], None]

_VERSION_TABLE = "ircc_schema_version"
# An arbitrary, fixed key for the PostgreSQL advisory lock that serializes
# concurrent migrations from several processes.
_MIGRATION_LOCK = 0x1CC_AC_0001


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "ircc_account._storage:migrations")
    return cfg


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_alembic_config())


def _current_heads(connection: sa.Connection) -> tuple[str, ...]:
    context = MigrationContext.configure(connection, opts={"version_table": _VERSION_TABLE})
    return tuple(context.get_current_heads())


def _pending(script: ScriptDirectory, current: tuple[str, ...]) -> int:
    """
    How many revisions upgrading from *current* to every head applies.

    Raises:
        SchemaTooNew: *current* names a revision this library does not ship.
    """
    known = {s.revision for s in script.walk_revisions()}
    if not set(current) <= known:
        raise SchemaTooNew()
    applied = {s.revision for s in script.iterate_revisions(current, "base")} if current else set()
    return len(known - applied)


#: How long a migration waits, in all, for another process's migration on SQLite.
_MIGRATION_WAIT_S = 300.0


def _lock_for_migration(connection: sa.Connection) -> None:
    """
    Serialize migrations from several processes: SQLite's ``BEGIN IMMEDIATE``
    already does; PostgreSQL takes a transaction-scoped advisory lock.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})


def upgrade_schema(engine: sa.Engine, *, progress: MigrationProgress | None = None) -> int:
    """
    Upgrade the schema behind *engine* to every head; what :meth:`SqlStore.migrate` does.

    Needs no keyring. Safe to run from several processes at once: each waits
    for the migration lock, then finds out what is left to do, so the second
    one applies nothing.

    Args:
        engine: An engine made by the library's ``create_engine``.
        progress: Called after each revision is applied (:data:`MigrationProgress`).

    Returns:
        How many revisions were applied (``0``: the schema was up to date).

    Raises:
        SchemaTooNew: the database has revisions this library does not ship.
        StorageUnavailable: the database failed.
    """
    cfg = _alembic_config()
    applied: list[str] = []

    def on_version_apply(*, step: Any, **_: Any) -> None:
        if step.is_upgrade and not step.is_stamp:
            applied.append(step.up_revision_id)
            if progress is not None:
                progress(step.up_revision_id, len(applied), total)

    # Another process migrating holds SQLite's write lock for as long as it
    # takes; past the busy timeout, wait for it again rather than fail (a slow
    # machine, a large upgrade). PostgreSQL's advisory lock waits by itself.
    deadline = time.monotonic() + _MIGRATION_WAIT_S
    while True:
        try:
            with translate_errors("schema"), engine.begin() as connection:
                _lock_for_migration(connection)
                total = _pending(_script(), _current_heads(connection))
                if total:
                    cfg.attributes["connection"] = connection
                    cfg.attributes["on_version_apply"] = (on_version_apply,)
                    command.upgrade(cfg, "heads")
            return len(applied)
        except StorageUnavailable as e:
            if not (_locked(e) and not applied and time.monotonic() < deadline):
                raise


def _locked(error: StorageUnavailable) -> bool:
    """Whether *error* is SQLite's "database is locked" (another writer held on)."""
    cause = error.__cause__
    orig = getattr(cause, "orig", None)
    return isinstance(orig, sqlite3.OperationalError) and "locked" in str(orig)


def schema_is_current(engine: sa.Engine) -> bool:
    """
    Whether the database behind *engine* is at every migration head this library ships.

    Raises:
        SchemaTooNew: the database has revisions this library does not ship.
    """
    with engine.connect().execution_options(ircc_write=False) as connection:
        current = _current_heads(connection)
    script = _script()
    _pending(script, current)
    return set(current) == set(script.get_heads())


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

    def migrate(self, *, progress: MigrationProgress | None = None) -> None:
        """
        Upgrade the schema to every head (safe to call from several processes at once).

        Args:
            progress: Called after each revision is applied, with (revision id,
                how many applied so far, how many to apply); not called at all
                when the schema is already up to date.

        Raises:
            SchemaTooNew: the database has revisions this library does not ship.
        """
        upgrade_schema(self.engine, progress=progress)
        # What the migrations could not do without the keyring (0012_privacy).
        self.seal_plaintext_rows()

    def schema_is_current(self) -> bool:
        """
        Whether the database is at every migration head this library ships.

        Raises:
            SchemaTooNew: the database has revisions this library does not ship.
        """
        return schema_is_current(self.engine)

    def check_schema(self) -> None:
        """
        Raises:
            SchemaOutOfDate: the migrations have not all run.
            SchemaTooNew: the database has revisions this library does not ship
                (a subclass of :class:`SchemaOutOfDate`).
        """
        if not self.schema_is_current():
            raise SchemaOutOfDate()

    # --- rows from before 0012_privacy -------------------------------------------------

    def seal_plaintext_rows(self, *, batch_size: int = 200) -> int:
        """
        Seal what rows written before ``0012_privacy`` (and, for
        representatives' names, ``0019_rep_names``) keep in clear, and
        re-index their emails; :meth:`migrate` runs it.

        Items' references and titles move into ``details_ct`` (with the
        reference's blind index), timeline summaries into ``summary_ct``, and
        accounts get their blind indexes recomputed with the current email
        normalization (an erased account's are cleared); representatives'
        names move into ``display_name_ct``, sealed with the data key of their
        own login account. Each row is changed only if it still needs it, in
        transactions of *batch_size* rows, so an interrupted run loses nothing
        and the next goes on with what is left.

        Returns:
            How many rows this call sealed or re-indexed.

        Raises:
            ConfigurationError: *batch_size* is below 1.
        """
        if batch_size < 1:
            raise ConfigurationError(reason="the batch size must be at least 1")
        done = 0
        for step in (_seal_items, _seal_events, _reindex_accounts, _seal_representative_names):
            while True:
                with self.unit_of_work() as uow:
                    changed = step(uow, batch_size)
                    uow.commit()
                done += changed
                if changed < batch_size:
                    break
        return done

    def plaintext_rows_left(self) -> int:
        """
        How many rows :meth:`seal_plaintext_rows` has left to seal or re-index.
        """
        with self.unit_of_work(write=False) as uow:
            return sum(
                int(uow.execute(sa.select(sa.func.count()).where(w), "schema").scalar_one())
                for w in _UNSEALED
            )

    # --- keys ------------------------------------------------------------------------

    def rewrap_data_keys(
        self, *, batch_size: int = 500, progress: RewrapProgress | None = None
    ) -> int:
        """
        Re-wrap every data key not under the keyring's primary KEK.

        Walks the keys in account id order, in transactions of *batch_size*
        keys, so the store stays fully usable meanwhile (rotation without
        downtime). Each key is updated only if it is still wrapped as it was
        read, so an interrupted run loses nothing and a run beside another
        wraps no key twice: run it again and it goes on with what is left.

        Once it returns, every key that was not under the primary when it
        started has been re-wrapped; keys wrapped meanwhile by a process still
        using an older primary have not (:meth:`data_keys_to_rewrap` counts
        them). When that count is 0, the old KEKs can be dropped from the keyring.

        Args:
            batch_size: Keys per transaction.
            progress: Called after each committed batch (:data:`RewrapProgress`).

        Returns:
            How many keys this call re-wrapped.

        Raises:
            ConfigurationError: *batch_size* is below 1.
            KeyNotFound: a key is wrapped under a KEK the keyring lacks (the
                batch in progress is rolled back; earlier ones stay done).
            DecryptionFailed: a wrapped key is damaged (likewise).
        """
        if batch_size < 1:
            raise ConfigurationError(reason="the batch size must be at least 1")
        c = t.account_keys.c
        primary = self.keyring.primary_id
        total = self.data_keys_to_rewrap() if progress is not None else 0
        done = 0
        after: str | None = None
        while True:
            query = (
                sa.select(c.account_id, c.kek_id, c.wrapped_key)
                .where(c.kek_id != primary)
                .order_by(c.account_id)
                .limit(batch_size)
            )
            if after is not None:
                # Keyset pagination: each batch reads only its own rows.
                query = query.where(c.account_id > after)
            with self.unit_of_work() as uow:
                rows = uow.execute(query, "account key").all()
                if not rows:
                    return done
                moved = 0
                for row in rows:
                    fresh = self.keyring.rewrap(
                        WrappedDataKey(kek_id=row.kek_id, blob=row.wrapped_key), row.account_id
                    )
                    moved += uow.execute(
                        t.account_keys.update()
                        .where(c.account_id == row.account_id, c.kek_id == row.kek_id,
                               c.wrapped_key == row.wrapped_key)
                        .values(kek_id=fresh.kek_id, wrapped_key=fresh.blob),
                        "account key",
                    ).rowcount  # fmt: skip
                uow.commit()
            done += moved
            after = rows[-1].account_id
            if progress is not None:
                progress(done, total)

    def data_keys_by_kek(self) -> dict[str, int]:
        """
        How many data keys each KEK id wraps, as stored (ids the keyring lacks included).
        """
        c = t.account_keys.c
        with self.unit_of_work(write=False) as uow:
            rows = uow.execute(
                sa.select(c.kek_id, sa.func.count().label("n")).group_by(c.kek_id), "account key"
            ).all()
        return {str(row.kek_id): int(row.n) for row in rows}

    def data_keys_to_rewrap(self) -> int:
        """
        How many data keys are not under the keyring's primary KEK: what
        :meth:`rewrap_data_keys` has left to do.
        """
        c = t.account_keys.c
        with self.unit_of_work(write=False) as uow:
            query = sa.select(sa.func.count()).where(c.kek_id != self.keyring.primary_id)
            return int(uow.execute(query, "account key").scalar_one())

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
        SchemaTooNew: the database has revisions this library does not ship.
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


# --- sealing rows from before 0012_privacy ------------------------------------------

_UNSEALED = (
    t.items.c.details_ct.is_(None),
    t.timeline_events.c.summary_ct.is_(None),
    t.accounts.c.index_version.is_(None),
    td.representatives.c.display_name_ct.is_(None),
)


def _key_or_none(uow: SqlUnitOfWork, account_id: str) -> DataKey | None:
    try:
        return uow.data_key(account_id)
    except PersonalDataErased:
        return None


def _seal_items(uow: SqlUnitOfWork, limit: int) -> int:
    c = t.items.c
    rows = uow.execute(
        sa.select(c.item_id, c.account_id, c.service_id, c.reference, c.title_en, c.title_fr)
        .where(c.details_ct.is_(None))
        .order_by(c.item_id)
        .limit(limit),
        "item",
    ).all()
    for row in rows:
        key = _key_or_none(uow, row.account_id)
        values: dict[str, object] = {"reference": None, "title_en": None, "title_fr": None}
        if key is None or row.reference is None:
            # Erased: nothing to seal, and nothing may stay in clear.
            values.update(details_ct=b"", reference_index=None)
        else:
            details = {"reference": row.reference, "title_en": row.title_en,
                       "title_fr": row.title_fr}  # fmt: skip
            values.update(
                details_ct=seal(key, "items", "details", row.item_id, row.account_id, details),
                reference_index=reference_index(uow, row.service_id, row.reference),
            )
        uow.execute(
            t.items.update()
            .where(c.item_id == row.item_id, c.details_ct.is_(None))
            .values(**values),
            "item",
        )
    return len(rows)


def _seal_events(uow: SqlUnitOfWork, limit: int) -> int:
    e, i = t.timeline_events.c, t.items.c
    rows = uow.execute(
        sa.select(e.event_id, i.account_id, e.summary_en, e.summary_fr, e.actor_label)
        .select_from(t.timeline_events.join(t.items, i.item_id == e.item_id))
        .where(e.summary_ct.is_(None))
        .order_by(e.event_id)
        .limit(limit),
        "timeline event",
    ).all()
    for row in rows:
        key = _key_or_none(uow, row.account_id)
        sealed = b""
        if key is not None and row.summary_en is not None:
            summary = {
                "en": row.summary_en,
                "fr": row.summary_fr,
                "actor": row.actor_label or "IRCC",
            }
            sealed = seal(key, "timeline_events", "summary", row.event_id, row.account_id, summary)
        uow.execute(
            t.timeline_events.update()
            .where(e.event_id == row.event_id, e.summary_ct.is_(None))
            .values(summary_ct=sealed, summary_en=None, summary_fr=None, actor_label=None),
            "timeline event",
        )
    return len(rows)


def _seal_representative_names(uow: SqlUnitOfWork, limit: int) -> int:
    r = td.representatives.c
    rows = uow.execute(
        sa.select(r.representative_id, r.account_id, r.display_name)
        .where(r.display_name_ct.is_(None))
        .order_by(r.representative_id)
        .limit(limit),
        "representative",
    ).all()
    for row in rows:
        sealed = b""
        if row.display_name is not None and _key_or_none(uow, row.account_id) is not None:
            sealed = seal_representative_name(
                uow, row.representative_id, row.account_id, row.display_name
            )
        uow.execute(
            td.representatives.update()
            .where(r.representative_id == row.representative_id, r.display_name_ct.is_(None))
            .values(display_name_ct=sealed, display_name=None),
            "representative",
        )
    return len(rows)


def _reindex_accounts(uow: SqlUnitOfWork, limit: int) -> int:
    c = t.accounts.c
    ids = (
        uow.execute(
            sa.select(c.account_id)
            .where(c.index_version.is_(None))
            .order_by(c.account_id)
            .limit(limit),
            "account",
        )
        .scalars()
        .all()
    )
    for account_id in ids:
        values: dict[str, object] = {"index_version": t.INDEX_VERSION}
        try:
            account = uow.accounts.get(account_id)
        except PersonalDataErased:
            values.update(uci_index=None, email_index=None)
        else:
            ring = uow.keyring
            values.update(
                uci_index=None if account.uci is None else ring.blind_index("uci", account.uci),
                email_index=ring.blind_index("email", account.contact.email),
            )
        uow.execute(
            t.accounts.update()
            .where(c.account_id == account_id, c.index_version.is_(None))
            .values(**values),
            "account",
        )
    return len(ids)
