"""
The account read path: prebuilt SQL on the DBAPI cursor, and what it must still refuse.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ircc_account._crypto import Keyring
from ircc_account._storage import open_store
from ircc_account.errors import StorageUnavailable

from .test_contract import add_account, make_account


@pytest.mark.postgres
def test_a_connection_lost_during_a_read_is_unavailable_and_not_pooled_again(
    postgres_url: str,
) -> None:
    """A read whose server connection died raises StorageUnavailable; the next unit reconnects."""
    store = open_store(postgres_url, keyring=Keyring.generate(), pool_size=1)
    killer = sa.create_engine(store.engine.url)
    try:
        add_account(store, make_account())
        with pytest.raises(StorageUnavailable), store.unit_of_work(write=False) as uow:
            pid = uow.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            with killer.connect() as c:
                # Waits (up to 5 s) until the backend is gone.
                c.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            uow.accounts.get("acc-1")
        with store.unit_of_work(write=False) as uow:
            assert uow.accounts.get("acc-1") == make_account()
    finally:
        killer.dispose()
        store.close()


def test_driver_errors_on_the_read_path_are_translated(database_url: str) -> None:
    """A failing prebuilt read raises StorageUnavailable, as a Core statement would, never a driver error."""
    store = open_store(database_url, keyring=Keyring.generate())
    try:
        add_account(store, make_account())
        with store.engine.begin() as c:
            c.exec_driver_sql("ALTER TABLE account_keys RENAME TO account_keys_gone")
        with pytest.raises(StorageUnavailable), store.unit_of_work(write=False) as uow:
            uow.accounts.get("acc-1")
        with store.unit_of_work(write=False) as uow:  # the connection is still usable
            assert uow.connection.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        store.close()
