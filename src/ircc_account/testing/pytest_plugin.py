"""
Pytest fixtures for databases: SQLite files and a real PostgreSQL server.

Registered as the ``ircc_account`` ``pytest11`` entry point, so installing the
package makes these fixtures available to every test session:

* ``postgres_server`` (session): one :class:`~ircc_account.testing._postgres.PostgresServer`.
* ``postgres_url``: a fresh PostgreSQL database per test, dropped afterwards.
* ``sqlite_url``: a SQLite file in the test's ``tmp_path``.
* ``database_url``: parametrized over SQLite and PostgreSQL (the latter marked
  ``postgres``), for contract tests that must hold on both.

Importing this module starts nothing; the server starts when a test first asks
for it. Without PostgreSQL binaries the PostgreSQL tests are skipped with a
loud reason, except under ``CI``, where they fail.
"""

from __future__ import annotations

import os
import pathlib
import uuid
from collections.abc import Iterator

import pytest

from ircc_account.testing._postgres import PostgresServer

__all__ = ["database_url", "postgres_server", "postgres_url", "sqlite_url"]

_FALSE = frozenset({"", "0", "false", "no", "off"})


def pytest_configure(config: pytest.Config) -> None:
    """
    Register the ``postgres`` marker, for projects that use ``--strict-markers``.

    Args:
        config: The pytest configuration.
    """
    config.addinivalue_line("markers", "postgres: needs a PostgreSQL server (started by the tests)")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """
    One throw-away PostgreSQL server on 127.0.0.1 for the whole session.

    Raises:
        pytest.fail.Exception: The binaries are missing and ``CI`` is set.
        pytest.skip.Exception: The binaries are missing outside CI.
    """
    if PostgresServer.find_binaries() is None:
        if os.environ.get("CI", "").strip().lower() not in _FALSE:
            pytest.fail("PostgreSQL binaries not found; CI must run the PostgreSQL tests")
        pytest.skip("PostgreSQL binaries not found: install postgresql to run these tests")
    with PostgresServer() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """
    The SQLAlchemy URL of a fresh, empty PostgreSQL database, dropped after the test.

    Args:
        postgres_server: The session's server.
    """
    name = f"t_{uuid.uuid4().hex}"
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)


@pytest.fixture
def sqlite_url(tmp_path: pathlib.Path) -> str:
    """
    The SQLAlchemy URL of a SQLite file in the test's temporary directory.

    Args:
        tmp_path: The test's temporary directory.
    """
    return f"sqlite:///{tmp_path / 'ircc.sqlite'}"


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest) -> str:
    """
    A fresh database URL, once on SQLite and once on PostgreSQL.

    The PostgreSQL server is only started when a ``postgres`` case runs, so
    ``-m "not postgres"`` needs no server.

    Args:
        request: The pytest request; its ``param`` picks the database.
    """
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return str(request.getfixturevalue("sqlite_url"))
