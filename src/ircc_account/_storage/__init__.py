"""
Storage: ports, the shared schema, and the SQLite and PostgreSQL stores.
"""

from __future__ import annotations

from ircc_account._storage._engine import create_engine
from ircc_account._storage._sql import SqlUnitOfWork, translate_errors
from ircc_account._storage._store import PostgresStore, SqliteStore, SqlStore, open_store

__all__ = [
    "PostgresStore",
    "SqlStore",
    "SqlUnitOfWork",
    "SqliteStore",
    "create_engine",
    "open_store",
    "translate_errors",
]
