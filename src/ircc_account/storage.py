"""
Storage: the ports (Protocols) every store implements, and the SQL stores.

``open_store("sqlite:///account.db", keyring=...)`` opens the embedded store;
``postgresql+psycopg://...`` the one for scale. Both share one schema and keep
personal data encrypted per account (see ``docs/storage.md`` and
``docs/data-at-rest.md``). Most portals never touch a store directly: the
front door opens and uses it.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public
from ircc_account._storage import PostgresStore, SqliteStore, SqlStore, open_store
from ircc_account._storage._engine import create_engine, dialect_of
from ircc_account._storage._store import MigrationProgress, schema_is_current, upgrade_schema
from ircc_account._storage.ports import (
    AccountRepository,
    CredentialRepository,
    ItemRepository,
    LegacyFileRepository,
    SignIn,
    SqlStorage,
    SqlUnit,
    Store,
    TimelineRepository,
    UnitOfWork,
)

__all__ = [
    "AccountRepository",
    "CredentialRepository",
    "ItemRepository",
    "LegacyFileRepository",
    "MigrationProgress",
    "PostgresStore",
    "SignIn",
    "SqlStorage",
    "SqlStore",
    "SqlUnit",
    "SqliteStore",
    "Store",
    "TimelineRepository",
    "UnitOfWork",
    "create_engine",
    "dialect_of",
    "open_store",
    "schema_is_current",
    "upgrade_schema",
]

present_as_public(globals(), __name__)
