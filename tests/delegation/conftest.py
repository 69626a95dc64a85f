"""
Fixtures for the delegation tests: a store on both databases, a frozen clock,
recording sinks, and a seeded cast of clients and representatives.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator

import pytest
from deleg_support import NOW, RecordingEvents, RecordingSink, StubVerifier, seed

from ircc_account._clock import FrozenClock
from ircc_account._crypto import Keyring
from ircc_account._model import AssuranceLevel
from ircc_account._storage import SqlStore, open_store
from ircc_account.delegation import Delegation, Policy

# --- databases ------------------------------------------------------------------------

_HAVE_PLUGIN = importlib.util.find_spec("ircc_account.testing.pytest_plugin") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def _own_postgres() -> Iterator[str]:
    """A throw-away PostgreSQL server (only while the shared plugin is absent)."""
    initdb = shutil.which("initdb") or "/usr/local/bin/initdb"
    if not os.path.exists(initdb):
        pytest.skip("PostgreSQL is not installed")
    base = pathlib.Path(tempfile.mkdtemp(prefix="deleg-pg-"))
    data, port = base / "data", _free_port()
    # PostgreSQL refuses to run as root: drop to the postgres user if we are root.
    sudo = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if sudo:
        shutil.chown(base, "postgres")
    subprocess.run(
        [*sudo, initdb, "-D", str(data), "-U", "postgres", "-A", "trust"],
        check=True,
        capture_output=True,
    )
    pg_ctl = str(pathlib.Path(initdb).with_name("pg_ctl"))
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=on"
    subprocess.run(
        [*sudo, pg_ctl, "-D", str(data), "-o", opts, "-w", "-l", str(base / "log"), "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*sudo, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


if not _HAVE_PLUGIN:

    @pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
    def database_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[str]:
        """A fresh database on SQLite and on PostgreSQL."""
        if request.param == "sqlite":
            yield f"sqlite:///{tmp_path / 'db.sqlite'}"
            return
        import sqlalchemy as sa

        server = request.getfixturevalue("_own_postgres")
        name = f"t_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**9}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.exec_driver_sql(f"CREATE DATABASE {name}")
        yield server.rsplit("/", 1)[0] + "/" + name
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


# --- fixtures ---------------------------------------------------------------------


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.generate()


@pytest.fixture
def store(database_url: str, keyring: Keyring) -> Iterator[SqlStore]:
    s = open_store(database_url, keyring=keyring)
    yield s
    s.close()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def events() -> RecordingEvents:
    return RecordingEvents()


@pytest.fixture
def verifier(clock: FrozenClock) -> StubVerifier:
    v = StubVerifier(clock)
    v.answers["R500001"] = (True, dt.date(2026, 12, 31))
    v.answers["R500002"] = (True, dt.date(2026, 12, 31))
    return v


@pytest.fixture
def delegation(clock: FrozenClock, verifier: StubVerifier, events: RecordingEvents) -> Delegation:
    return Delegation(clock=clock, licence_verifier=verifier, events=events)


@pytest.fixture
def policy(clock: FrozenClock, sink: RecordingSink, events: RecordingEvents) -> Policy:
    return Policy(
        clock=clock,
        audit=sink,
        events=events,
        service_levels={"trv": AssuranceLevel.MODERATE, "citizenship": AssuranceLevel.HIGH},
        default_level=AssuranceLevel.MODERATE,
    )


@pytest.fixture
def seeded(store: SqlStore, delegation: Delegation) -> SqlStore:
    seed(store, delegation)
    return store
