"""
The deployment's store, read only: the audit log verifies and cannot be
changed, durability settings hold, a backup restores whole, personal data
is sealed and indexed with a key, every data key opens with the keyring.
"""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
import sqlalchemy as sa

from ircc_account._storage import SqlStore
from ircc_account.audit import verify
from ircc_account.errors import IrccAccountError
from ircc_account.testing.review import ReviewConfig

_MAX_ACCOUNTS = 200


@pytest.mark.sec("SEC-64", "SEC-85", "SEC-90")
def test_the_audit_log_verifies(deployment_store: SqlStore) -> None:
    """Every chain of the deployment's audit log links up and every checkpoint holds."""
    report = verify(deployment_store.engine, public_keys={})
    assert report.ok, f"the audit log does not verify: {report.first_failure}"


#: The SQLSTATE PostgreSQL gives for the append-only trigger and for a revoked privilege.
_INSUFFICIENT_PRIVILEGE = "42501"


@pytest.mark.sec("SEC-63")
def test_audit_rows_cannot_be_changed_through_the_apps_connection(
    review_config: ReviewConfig, deployment_store: SqlStore
) -> None:
    """
    An UPDATE or DELETE of the audit entries through the store's own connection is refused
    (SQLite: on the copy, row by row; PostgreSQL: statements that match no row, rolled back).
    """
    if review_config.is_sqlite:
        _refused_on_the_sqlite_copy(deployment_store.engine)
    else:
        _refused_on_postgresql(deployment_store.engine)


def _refused_on_the_sqlite_copy(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        if conn.execute(sa.text("SELECT count(*) FROM audit_entries")).scalar_one() == 0:
            pytest.skip("the audit log is empty")
    for statement in (
        "UPDATE audit_entries SET action = action",
        "DELETE FROM audit_entries",
    ):
        with engine.connect() as conn:
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                conn.execute(sa.text(statement))
            conn.rollback()


def _refused_on_postgresql(engine: sa.Engine) -> None:
    # The store is the live deployment's: each statement matches no row (the
    # append-only trigger is per statement, so it still fires), waits for no
    # lock, and its transaction is always rolled back. Without the trigger
    # the statements would change nothing and this check fails.
    for statement in (
        "UPDATE audit_entries SET action = action WHERE false",
        "DELETE FROM audit_entries WHERE false",
    ):
        with engine.connect() as conn:
            try:
                conn.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
                conn.execute(sa.text("SET LOCAL statement_timeout = '5s'"))
                try:
                    conn.execute(sa.text(statement))
                except sa.exc.DatabaseError as e:
                    sqlstate = getattr(e.orig, "sqlstate", None)
                    assert sqlstate == _INSUFFICIENT_PRIVILEGE, f"{statement}: {sqlstate}"
                else:
                    pytest.fail(f"the application's connection may run {statement.split()[0]}")
            finally:
                conn.rollback()


@pytest.mark.sec("SEC-86", "SEC-88")
def test_durability_settings_hold_on_a_fresh_connection(deployment_store: SqlStore) -> None:
    """
    SQLite: WAL, synchronous FULL, foreign keys on; PostgreSQL: fsync, synchronous_commit,
    full_page_writes on.
    """
    with deployment_store.engine.connect() as conn:
        if deployment_store.engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() > 0
        else:
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                assert conn.exec_driver_sql(f"SHOW {setting}").scalar_one() == "on", setting


@pytest.mark.sec("SEC-91")
def test_a_backup_restores_whole(review_config: ReviewConfig, deployment_copy_url: str) -> None:
    """The copy taken with the backup API passes integrity_check and its audit chains verify."""
    if not review_config.is_sqlite:
        pytest.skip("PostgreSQL: check a pg_basebackup restore with ircc-account audit verify")
    path = deployment_copy_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    engine = sa.create_engine(deployment_copy_url)
    try:
        assert verify(engine, public_keys={}).ok
    finally:
        engine.dispose()


def _people_data(store: SqlStore) -> list[str]:
    """Names, emails and UCIs of up to 200 accounts, read through the keyring."""
    values: list[str] = []
    with store.engine.connect() as conn:
        ids = list(
            conn.execute(
                sa.text("SELECT account_id FROM accounts ORDER BY account_id LIMIT :n"),
                {"n": _MAX_ACCOUNTS},
            ).scalars()
        )
    with store.unit_of_work(write=False) as uow:
        for account_id in ids:
            try:
                account = uow.accounts.get(account_id)
            except IrccAccountError:
                continue  # erased: nothing left to find
            values.append(account.contact.email)
            if len(account.personal.family_name) >= 4:
                values.append(account.personal.family_name)
            if account.uci:
                values.append(account.uci.replace("-", ""))
    return values


@pytest.mark.sec("SEC-71", "SEC-76")
def test_personal_data_is_sealed_and_indexed_with_a_key(deployment_store: SqlStore) -> None:
    """
    No column of any table holds a person's email, name or UCI in clear, or their unkeyed
    SHA-256.
    """
    secrets = _people_data(deployment_store)
    if not secrets:
        pytest.skip("the store holds no accounts")
    needles: set[bytes] = set()
    for value in secrets:
        raw = value.encode()
        needles.update(
            {raw, hashlib.sha256(raw).digest(), hashlib.sha256(raw).hexdigest().encode()}
        )
    # Read the schema first: each connection of the store's engine takes the
    # write lock when it begins, so the two cannot overlap.
    inspector = sa.inspect(deployment_store.engine)
    tables = {t: [c["name"] for c in inspector.get_columns(t)] for t in inspector.get_table_names()}
    found: list[str] = []
    with deployment_store.engine.connect() as conn:
        for table, columns in tables.items():
            quoted = ", ".join(f'"{c}"' for c in columns)
            for row in conn.exec_driver_sql(f'SELECT {quoted} FROM "{table}"'):  # noqa: S608
                for column, cell in zip(columns, row, strict=True):
                    data = cell.encode() if isinstance(cell, str) else cell
                    if isinstance(data, (bytes, memoryview)):
                        data = bytes(data)
                        if any(n in data for n in needles):
                            found.append(f"{table}.{column}")
    assert not found, f"personal data in clear or hashed without a key in {sorted(set(found))}"


@pytest.mark.sec("SEC-74")
def test_every_data_key_opens_with_the_keyring(
    review_config: ReviewConfig, deployment_store: SqlStore
) -> None:
    """Each account's data key is wrapped under a KEK the keyring holds (nothing is unreadable)."""
    by_kek = deployment_store.data_keys_by_kek()
    missing = {k: n for k, n in by_kek.items() if k not in review_config.keyring.key_ids}
    assert not missing, f"data keys under KEKs the keyring lacks: {sorted(missing)}"
