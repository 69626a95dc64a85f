"""
Fixtures for the service tests: a real store (SQLite, or both databases
where a module overrides ``store`` with ``store_on_both``) and audit log, the
real policy, client accounts, and a registry factory.
"""

from __future__ import annotations

import datetime as dt
import itertools
import pathlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ircc_account import (
    Actor,
    AssuranceLevel,
    Capacity,
    ContactDetails,
    Keyring,
    PersonalDetails,
    SystemClock,
)
from ircc_account.audit import AuditLog
from ircc_account.delegation import Policy
from ircc_account.identity import ClientAccount
from ircc_account.services import ServiceRegistry
from ircc_account.storage import SqlStore, open_store

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
for _src in (EXAMPLES / "legacy_plugin" / "src", EXAMPLES / "minimal_plugin" / "src", EXAMPLES):
    if str(_src) not in sys.path:
        sys.path.insert(0, str(_src))

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlStore]:
    """A migrated SQLite store, shared by a module's tests (each uses its own clients)."""
    path = tmp_path_factory.mktemp("services") / "account.db"
    s = open_store(f"sqlite:///{path}", keyring=Keyring.generate())
    yield s
    s.close()


@pytest.fixture
def store_on_both(database_url: str) -> Iterator[SqlStore]:
    """
    A migrated store per test, once on SQLite and once on PostgreSQL: a
    module whose storage-dependent tests must hold on both overrides
    ``store`` with it.
    """
    s = open_store(database_url, keyring=Keyring.generate())
    yield s
    s.close()


@pytest.fixture
def audit(store: SqlStore) -> AuditLog:
    """The real audit log, in the same store (per test, so a module may override ``store``)."""
    return AuditLog(store)


@pytest.fixture
def policy(audit: AuditLog) -> Policy:
    """The real authorization policy, recording in the real audit log."""
    return Policy(clock=SystemClock(), audit=audit)


@pytest.fixture
def new_client(store: SqlStore) -> Callable[..., Actor]:
    """Create a client account; return the client's own actor."""

    def make(*, uci: bool = True, assurance: AssuranceLevel = AssuranceLevel.MODERATE) -> Actor:
        n = next(_ids)
        account_id = f"client-{n}"
        with store.unit_of_work() as uow:
            uow.accounts.add(
                ClientAccount(
                    account_id=account_id,
                    personal=PersonalDetails(
                        family_name="Tremblay", given_names="Marie", date_of_birth="1990-04-02"
                    ),
                    contact=ContactDetails(email=f"marie{n}@example.ca"),
                    preferred_language="fr",
                    uci=f"{20_000_000 + n}" if uci else None,
                    created_at=NOW,
                )
            )
            uow.commit()
        return Actor(
            actor_id=account_id,
            capacity=Capacity.CLIENT,
            account_id=account_id,
            assurance=assurance,
            session_ref="sess-hash-secret",
        )

    return make


@pytest.fixture
def make_registry(store: SqlStore, policy: Policy) -> Iterator[Callable[..., ServiceRegistry]]:
    """Build a registry over the store, register *plugins* by name and start it."""
    made: list[ServiceRegistry] = []

    def make(
        plugins: dict[str, object] | None = None, *, start: bool = True, **options: Any
    ) -> ServiceRegistry:
        options.setdefault("deadline", 0.5)
        registry = ServiceRegistry(store=store, policy=policy, **options)
        made.append(registry)
        for name, plugin in (plugins or {}).items():
            registry.register(plugin, name=name)
        if start:
            registry.start()
        return registry

    yield make
    for registry in made:
        registry.close()
