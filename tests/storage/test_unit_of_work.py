"""
Units of work: opening one when the database cannot begin.
"""

from __future__ import annotations

import sqlite3

import pytest

from ircc_account._crypto import Keyring
from ircc_account._storage import open_store
from ircc_account.errors import StorageUnavailable

from .test_contract import make_account


def test_a_unit_that_cannot_begin_is_unavailable_and_returns_its_connection(
    sqlite_url: str,
) -> None:
    """A writer's BEGIN IMMEDIATE that times out raises StorageUnavailable and frees its connection."""
    store = open_store(sqlite_url, keyring=Keyring.generate())
    try:
        with store.engine.connect() as c:  # the pooled connection the unit will reuse
            c.exec_driver_sql("PRAGMA busy_timeout=50")
        other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StorageUnavailable), store.unit_of_work():
                pass
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        with store.unit_of_work() as uow:  # and the store works again
            uow.accounts.add(make_account())
            uow.commit()
    finally:
        store.close()
