"""
The throw-away PostgreSQL server and its pytest fixtures.
"""

from __future__ import annotations

import os
import pathlib
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from ircc_account.testing._postgres import PostgresServer, PostgresServerError

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgres_server: PostgresServer) -> Iterator[sa.Engine]:
    """An engine on the server's default database."""
    e = sa.create_engine(postgres_server.url())
    yield e
    e.dispose()


@pytest.mark.parametrize("setting", ["fsync", "synchronous_commit", "full_page_writes"])
def test_durability_settings_are_the_real_defaults(engine: sa.Engine, setting: str) -> None:
    """The server runs with fsync, synchronous_commit and full_page_writes on, as durability tests need."""
    with engine.connect() as c:
        assert c.exec_driver_sql(f"SHOW {setting}").scalar() == "on"


def test_listens_on_loopback_only(postgres_server: PostgresServer, engine: sa.Engine) -> None:
    """The URL points at 127.0.0.1 and the server listens on that address alone."""
    assert sa.make_url(postgres_server.url()).host == "127.0.0.1"
    with engine.connect() as c:
        assert c.exec_driver_sql("SHOW listen_addresses").scalar() == "127.0.0.1"
        assert c.exec_driver_sql("SELECT inet_server_addr()::text").scalar() == "127.0.0.1/32"


def test_url_uses_psycopg_and_the_test_database(postgres_server: PostgresServer) -> None:
    """The default URL names the psycopg driver, the postgres superuser and the ircc_test database."""
    url = sa.make_url(postgres_server.url())
    assert (url.drivername, url.username, url.database) == (
        "postgresql+psycopg",
        "postgres",
        "ircc_test",
    )
    assert url.port == postgres_server.port


def test_created_databases_are_isolated(postgres_server: PostgresServer) -> None:
    """A table created in one database from create_database is invisible in another."""
    names = [f"t_{uuid.uuid4().hex}" for _ in range(2)]
    first, second = (sa.create_engine(postgres_server.create_database(n)) for n in names)
    try:
        with first.begin() as c:
            c.exec_driver_sql("CREATE TABLE marker (v int)")
            c.exec_driver_sql("INSERT INTO marker VALUES (1)")
        with second.connect() as c:
            assert c.exec_driver_sql("SELECT to_regclass('marker')").scalar() is None
        with first.connect() as c:
            assert c.exec_driver_sql("SELECT v FROM marker").scalar() == 1
    finally:
        first.dispose()
        second.dispose()
        for n in names:
            postgres_server.drop_database(n)


def test_postgres_url_is_a_fresh_database_per_test(postgres_url: str) -> None:
    """The postgres_url fixture hands out an empty database other than ircc_test."""
    assert sa.make_url(postgres_url).database != "ircc_test"
    e = sa.create_engine(postgres_url)
    try:
        with e.connect() as c:
            tables = c.exec_driver_sql(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).scalar()
        assert tables == 0
    finally:
        e.dispose()


def test_invalid_database_names_are_refused(postgres_server: PostgresServer) -> None:
    """create_database refuses names that would need quoting rather than building odd SQL."""
    with pytest.raises(PostgresServerError, match="database names"):
        postgres_server.create_database('x"; DROP DATABASE ircc_test; --')


@pytest.mark.skipif(os.geteuid() != 0, reason="the privilege drop only happens as root")
def test_postmaster_runs_unprivileged_when_we_are_root(postgres_server: PostgresServer) -> None:
    """As root, the postmaster named in postmaster.pid runs under a non-root uid."""
    pid = int((postgres_server.data_dir / "postmaster.pid").read_text().split()[0])
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
    assert uids and all(int(u) != 0 for u in uids)


def test_database_url_runs_on_both_adapters(database_url: str) -> None:
    """The database_url fixture yields a working URL for SQLite and for PostgreSQL."""
    e = sa.create_engine(database_url)
    try:
        with e.connect() as c:
            assert c.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        e.dispose()


@pytest.mark.usefixtures("postgres_server")  # skips or fails like the others without binaries
def test_stop_removes_the_cluster_and_frees_the_port() -> None:
    """A second server stopped by its context manager leaves no data directory and no listener."""
    with PostgresServer() as server:
        data = server.data_dir
        assert (data / "PG_VERSION").exists()
        url = server.url()
    assert not data.exists()
    e = sa.create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with pytest.raises(sa.exc.OperationalError), e.connect():
            pass
    finally:
        e.dispose()


@pytest.mark.usefixtures("postgres_server")
def test_start_failure_reports_the_server_log() -> None:
    """A server that cannot start raises an error holding the tail of its log."""
    server = PostgresServer(settings={"shared_buffers": "not-a-size"})
    with pytest.raises(PostgresServerError, match="shared_buffers"):
        server.start()
    with pytest.raises(PostgresServerError, match="not running"):
        server.url()
