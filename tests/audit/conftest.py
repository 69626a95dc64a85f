"""
Fixtures for the audit tests: a store on each database, a signer, a log, entry factories.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ircc_account._clock import FrozenClock
from ircc_account._crypto import Keyring
from ircc_account._model import AuditEntry, Capacity, Decision
from ircc_account._storage import SqlStore, open_store
from ircc_account.audit import AuditLog, CheckpointSigner

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _postgres_url(request: pytest.FixtureRequest) -> str:
    try:
        return str(request.getfixturevalue("postgres_url"))
    except pytest.FixtureLookupError:
        pytest.skip("PostgreSQL fixture (ircc_account.testing.pytest_plugin) is not available")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def audit_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> str:
    """A fresh database URL: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return _postgres_url(request)


@pytest.fixture
def sqlite_store(tmp_path: pathlib.Path) -> Iterator[SqlStore]:
    """A migrated SQLite store."""
    store = open_store(f"sqlite:///{tmp_path / 'audit.db'}", keyring=Keyring.generate())
    yield store
    store.close()


@pytest.fixture
def any_store(audit_url: str) -> Iterator[SqlStore]:
    """A migrated store on each database."""
    store = open_store(audit_url, keyring=Keyring.generate())
    yield store
    store.close()


@pytest.fixture
def signer() -> CheckpointSigner:
    """A checkpoint signer with one fresh key."""
    return CheckpointSigner.generate("audit-test-1")


@pytest.fixture
def clock() -> FrozenClock:
    """A frozen clock at NOW."""
    return FrozenClock(NOW)


def make_entry(**overrides: Any) -> AuditEntry:
    """A valid entry: a representative reading an item of client c-1."""
    fields: dict[str, Any] = {
        "occurred_at": NOW,
        "actor_id": "rep-7",
        "client_id": "c-1",
        "capacity": Capacity.REPRESENTATIVE,
        "action": "item.read",
        "item_id": "app-1",
        "decision": Decision.ALLOWED,
        "reason": "grant",
        "grant_id": "g-1",
        "organisation_id": "org-ottawa",
    }
    fields.update(overrides)
    return AuditEntry(**fields)


@pytest.fixture
def entry() -> Callable[..., AuditEntry]:
    """The entry factory."""
    return make_entry


def new_log(store: SqlStore, signer: CheckpointSigner, clock: FrozenClock, **kw: Any) -> AuditLog:
    """A log with the frozen clock and no automatic checkpoints unless asked."""
    kw.setdefault("checkpoint_every", 10**9)
    kw.setdefault("checkpoint_interval", dt.timedelta(days=365))
    return AuditLog(store, signer=signer, clock=clock, **kw)
