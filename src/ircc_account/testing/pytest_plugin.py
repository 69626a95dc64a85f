"""
Pytest fixtures for portal developers, service teams and security reviewers.

Registered as the ``ircc_account`` ``pytest11`` entry point, so installing
``ircc-account[testing]`` makes these fixtures available to every test
session (nothing to import):

Databases
    ``sqlite_url`` (a SQLite file in the test's ``tmp_path``),
    ``postgres_server`` (session: one :class:`~ircc_account.testing.PostgresServer`),
    ``postgres_url`` (a fresh PostgreSQL database, dropped afterwards),
    ``database_url`` (parametrized: once on SQLite, once on PostgreSQL,
    the latter marked ``postgres``).

The development provider
    ``dev_provider`` (session): a :class:`~ircc_account.testing.LocalProvider`,
    the development provider over HTTPS on 127.0.0.1 with
    :data:`~ircc_account.testing.TEST_USERS` (``log_in``, ``sign_up``).

A front door
    ``front_door``: a :class:`~ircc_account.FrontDoor` on ``front_door_url``
    (a temporary SQLite file; override the fixture to return
    ``database_url`` to run on both databases) with the plugins of
    ``front_door_plugins`` (override it: ``{"my-service": my_plugin}``),
    licences confirmed by :class:`~ircc_account.testing.LicencesInGoodStanding`.
    ``make_front_door(plugins, *, database_url=None, logins=False, **options)``
    opens more (``logins=True``: with the development provider as ``dev``;
    ``options``: any :class:`~ircc_account.FrontDoorConfig` field).
    ``service_registry``: the door's registry (``front_door.services``).

Actors
    ``people``: a :class:`~ircc_account.testing.People` on ``front_door``.
    ``client_actor``: a client on their own file (with a UCI).
    ``representative_actor``: a licensed consultant ``client_actor`` has
    authorized for ``view_status`` and ``act`` on their whole file.
    ``office_staff_actor``: staff of an MP's office whose access group
    ``client_actor`` has authorized for ``view_status`` and ``enquire``.
    All three logged in just now at ``actor_assurance`` (``MODERATE``;
    to choose, parametrize it and name it among the test's arguments:
    ``@pytest.mark.parametrize("actor_assurance", [AssuranceLevel.LOW])``).

Importing this module imports nothing beyond pytest and the standard
library (pytest loads it in every session of an environment where
``ircc-account`` is installed); each fixture imports what it needs. Without
PostgreSQL binaries the PostgreSQL tests are skipped with a loud reason,
except under ``CI``, where they fail.
"""

from __future__ import annotations

import os
import pathlib
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ircc_account.testing._postgres import PostgresServer

if TYPE_CHECKING:
    from ircc_account import Actor, AssuranceLevel, FrontDoor
    from ircc_account.services import ServiceRegistry
    from ircc_account.testing._people import People
    from ircc_account.testing._provider import LocalProvider

__all__ = [
    "actor_assurance",
    "client_actor",
    "database_url",
    "dev_provider",
    "front_door",
    "front_door_plugins",
    "front_door_url",
    "make_front_door",
    "office_staff_actor",
    "people",
    "postgres_server",
    "postgres_url",
    "representative_actor",
    "service_registry",
    "sqlite_url",
]

_FALSE = frozenset({"", "0", "false", "no", "off"})


def pytest_configure(config: pytest.Config) -> None:
    """
    Register the kit's markers, for projects that use ``--strict-markers``.

    Args:
        config: The pytest configuration.
    """
    config.addinivalue_line("markers", "postgres: needs a PostgreSQL server (started by the tests)")
    config.addinivalue_line(
        "markers",
        "sec(*ids): the security requirements (SEC-01..97) this test pins; "
        "the reviewer's run groups its summary by them",
    )


# --- databases ---------------------------------------------------------------------------------


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


# --- the development provider ------------------------------------------------------------------


@pytest.fixture(scope="session")
def dev_provider() -> Iterator[LocalProvider]:
    """
    The development provider over HTTPS on 127.0.0.1, for the whole session
    (needs the ``web`` extra, which ``testing`` brings).
    """
    from ircc_account.testing._provider import LocalProvider

    with LocalProvider.start() as provider:
        yield provider


# --- a front door ------------------------------------------------------------------------------


@pytest.fixture
def front_door_url(sqlite_url: str) -> str:
    """
    The database ``front_door`` opens: a temporary SQLite file. Override it
    to return ``database_url`` and every test using the door runs on SQLite
    and on PostgreSQL.

    Args:
        sqlite_url: The test's SQLite file.
    """
    return sqlite_url


@pytest.fixture
def front_door_plugins() -> dict[str, object]:
    """
    The service plugins ``front_door`` registers, by service id; none unless
    you override this fixture (in a test module or ``conftest.py``).
    """
    return {}


@pytest.fixture
def make_front_door(
    request: pytest.FixtureRequest, front_door_url: str
) -> Iterator[Callable[..., FrontDoor]]:
    """
    Open front doors; each is closed after the test.

    The factory takes ``plugins`` (a mapping of service id to plugin),
    ``database_url`` (``front_door_url`` by default; a second door on the same
    URL shares its data), ``logins`` (``True``: the development provider is
    configured as ``dev``, see ``dev_provider``), and any
    :class:`~ircc_account.FrontDoorConfig` field as a keyword (a
    ``keyring``, a ``clock``, ``plugin_deadline``). Without a ``keyring``,
    doors on the same URL share one made for the test.

    Args:
        request: The pytest request (to start the provider only when asked).
        front_door_url: The default database.
    """
    from ircc_account import FrontDoor, FrontDoorConfig, Keyring
    from ircc_account.testing._people import LicencesInGoodStanding

    doors: list[FrontDoor] = []
    keyrings: dict[str, Keyring] = {}

    def make(
        plugins: dict[str, object] | None = None,
        *,
        database_url: str | None = None,
        logins: bool = False,
        **options: Any,
    ) -> FrontDoor:
        url = database_url or front_door_url
        options.setdefault("keyring", keyrings.setdefault(url, Keyring.generate()))
        options.setdefault("licence_verifier", LicencesInGoodStanding())
        if logins:
            provider: LocalProvider = request.getfixturevalue("dev_provider")
            config = provider.door_config(url, **options)
        else:
            config = FrontDoorConfig(database_url=url, **options)
        door = FrontDoor.open(config, plugins=plugins)
        doors.append(door)
        return door

    yield make
    for door in reversed(doors):
        door.close()


@pytest.fixture
def front_door(
    make_front_door: Callable[..., FrontDoor], front_door_plugins: dict[str, object]
) -> FrontDoor:
    """
    A front door on a temporary database with the plugins of
    ``front_door_plugins``, closed after the test.

    Args:
        make_front_door: The factory.
        front_door_plugins: The plugins to register.
    """
    return make_front_door(front_door_plugins)


@pytest.fixture
def service_registry(front_door: FrontDoor) -> ServiceRegistry:
    """
    The service registry of ``front_door``, started, with the chosen plugins.

    Args:
        front_door: The door.
    """
    return front_door.services


# --- actors ------------------------------------------------------------------------------------


@pytest.fixture
def people(front_door: FrontDoor) -> People:
    """
    Makes clients, representatives and office staff through ``front_door``.

    Args:
        front_door: The door.
    """
    from ircc_account.testing._people import People

    return People(front_door)


@pytest.fixture
def actor_assurance() -> AssuranceLevel:
    """
    The assurance level the actor fixtures log in at: ``MODERATE``.
    Parametrize it by name to choose another.
    """
    from ircc_account import AssuranceLevel

    return AssuranceLevel.MODERATE


@pytest.fixture
def client_actor(people: People, actor_assurance: AssuranceLevel) -> Actor:
    """
    A client (with a UCI) on their own file, logged in at ``actor_assurance``.

    Args:
        people: Who makes them.
        actor_assurance: Their login's assurance level.
    """
    return people.client(assurance=actor_assurance)


@pytest.fixture
def representative_actor(
    people: People, client_actor: Actor, actor_assurance: AssuranceLevel
) -> Actor:
    """
    A licensed consultant ``client_actor`` authorized for ``view_status``
    and ``act`` on their whole file, logged in at ``actor_assurance``.

    Args:
        people: Who makes them.
        client_actor: The client who authorized them.
        actor_assurance: Their login's assurance level.
    """
    return people.representative(for_client=client_actor, assurance=actor_assurance)


@pytest.fixture
def office_staff_actor(
    people: People, client_actor: Actor, actor_assurance: AssuranceLevel
) -> Actor:
    """
    A staff member of an MP's office whose access group ``client_actor``
    authorized for ``view_status`` and ``enquire``, logged in at
    ``actor_assurance``.

    Args:
        people: Who makes them.
        client_actor: The client who authorized the office.
        actor_assurance: Their login's assurance level.
    """
    return people.office_staff(for_client=client_actor, assurance=actor_assurance)
