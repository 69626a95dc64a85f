"""
Fixtures for the delegation tests: a store on both databases, a frozen clock,
recording sinks, and a seeded cast of clients and representatives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from deleg_support import NOW, SERVICES, RecordingEvents, RecordingSink, StubVerifier, seed

from ircc_account._clock import FrozenClock
from ircc_account._crypto import Keyring
from ircc_account._model import AssuranceLevel
from ircc_account._storage import SqlStore, open_store
from ircc_account.delegation import Delegation, Policy

# The database_url fixture (SQLite and PostgreSQL) comes from ircc_account.testing.


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
    return Delegation(clock=clock, licence_verifier=verifier, events=events, services=SERVICES)


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
