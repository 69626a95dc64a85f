"""
A plugin's own records (``ctx.records``): put, get, list, delete by key,
optimistic concurrency, limits with typed errors, sealed and erased with the
client's data key, through the policy with one recorded access per call; on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from ircc_account import Actor, Capacity, ContactDetails, Keyring, PersonalDetails, SystemClock
from ircc_account.audit import AuditLog, Decision, who_touched_my_file
from ircc_account.delegation import Policy
from ircc_account.errors import (
    AuthorizationError,
    Conflict,
    FieldTooLong,
    InvalidFormat,
    NotFound,
    OutOfRange,
    PersonalDataErased,
)
from ircc_account.identity import ClientAccount
from ircc_account.services import RecordLimits, ServiceContext, ServiceRegistry
from ircc_account.storage import SqlStore, open_store

from .conftest import NOW
from .test_registry import plugin

DRAFT = {"given_names": "Marie", "family_name": "Tremblay", "trips": [{"to": "FR", "days": 12}]}


@pytest.fixture
def db(database_url: str) -> Iterator[SqlStore]:
    """A store on SQLite or the real PostgreSQL server."""
    s = open_store(database_url, keyring=Keyring.generate())
    yield s
    s.close()


@pytest.fixture
def contexts(db: SqlStore) -> Iterator[Callable[..., ServiceContext]]:
    """Contexts of the 'trv' (or another) service for new clients, over a started registry."""
    registry = ServiceRegistry(
        store=db,
        policy=Policy(clock=SystemClock(), audit=AuditLog(db)),
        record_limits=RecordLimits(max_bytes=1024, max_records=3),
    )
    registry.register(plugin("trv"), name="trv")
    registry.register(plugin("other"), name="other")
    registry.start()
    made = iter(range(1, 10_000))

    def make(
        service_id: str = "trv", *, client: str | None = None, actor: Actor | None = None
    ) -> ServiceContext:
        if client is None:
            client = f"client-{next(made)}"
            with db.unit_of_work() as uow:
                uow.accounts.add(
                    ClientAccount(
                        account_id=client,
                        personal=PersonalDetails(
                            family_name="Tremblay", date_of_birth="1990-01-01"
                        ),
                        contact=ContactDetails(email=f"{client}@example.ca"),
                        created_at=NOW,
                    )
                )
                uow.commit()
        me = actor or Actor(
            actor_id=client, capacity=Capacity.CLIENT, account_id=client, assurance=2
        )
        scopes = None if actor is None else {"view_status", "act"}
        return registry.context(service_id, actor=me, client_id=client, scopes=scopes)

    yield make
    registry.close()


def test_put_get_list_delete_round_trip(contexts) -> None:
    """A record is created at version 1, read back equal, listed by key, replaced at its version, and deleted."""
    ctx = contexts()
    first = ctx.records.put("draft", DRAFT)
    assert (first.key, first.value, first.version) == ("draft", DRAFT, 1)
    assert first.created_at == first.updated_at and first.created_at.tzinfo is dt.UTC
    ctx.records.put("answers", [1, "two", None, True, 2.5])
    got = ctx.records.get("draft")
    assert got == first
    assert [r.key for r in ctx.records.list()] == ["answers", "draft"]
    second = ctx.records.put("draft", {**DRAFT, "trips": []}, version=1)
    assert second.version == 2 and second.created_at == first.created_at
    assert ctx.records.get("draft").value["trips"] == []  # type: ignore[union-attr]
    assert ctx.records.get("missing") is None
    assert ctx.records.delete("draft", version=2) is True
    assert ctx.records.delete("draft") is False
    assert ctx.records.get("draft") is None


def test_values_read_are_fresh_copies(contexts) -> None:
    """Changing a value read back changes nothing stored."""
    ctx = contexts()
    ctx.records.put("draft", DRAFT)
    got = ctx.records.get("draft")
    assert got is not None
    got.value["given_names"] = "Someone else"
    assert ctx.records.get("draft").value == DRAFT  # type: ignore[union-attr]


def test_optimistic_concurrency(contexts) -> None:
    """Creating an existing key, or replacing or deleting a version no longer current, is a Conflict; replacing nothing is NotFound."""
    ctx = contexts()
    ctx.records.put("draft", DRAFT)
    with pytest.raises(Conflict):
        ctx.records.put("draft", DRAFT)
    ctx.records.put("draft", DRAFT, version=1)
    with pytest.raises(Conflict):
        ctx.records.put("draft", {"late": True}, version=1)
    with pytest.raises(Conflict):
        ctx.records.delete("draft", version=1)
    with pytest.raises(NotFound):
        ctx.records.put("absent", DRAFT, version=1)
    assert ctx.records.get("draft").version == 2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("key", "value", "version", "error"),
    [
        ("draft", "x" * 1025, None, FieldTooLong),
        ("draft", {"é": "é" * 510}, None, FieldTooLong),
        ("draft", {1, 2}, None, InvalidFormat),
        ("draft", float("nan"), None, InvalidFormat),
        ("draft", object(), None, InvalidFormat),
        ("has space", {}, None, InvalidFormat),
        ("x" * 129, {}, None, InvalidFormat),
        ("draft", {}, "1", InvalidFormat),
    ],
)
def test_bad_records_are_refused_with_typed_errors_and_nothing_written(
    contexts, key: str, value: Any, version: Any, error: type[Exception]
) -> None:
    """Oversized values, values that are not JSON data, bad keys or versions raise a typed error and store nothing."""
    ctx = contexts()
    with pytest.raises(error):
        ctx.records.put(key, value, version=version)
    assert ctx.records.list() == []


def test_the_record_count_is_limited_per_client_and_plugin(contexts) -> None:
    """Creating past the limit is OutOfRange; replacing still works, and another client has their own allowance."""
    ctx = contexts()
    for n in range(3):
        ctx.records.put(f"r{n}", n)
    with pytest.raises(OutOfRange):
        ctx.records.put("r3", 3)
    assert ctx.records.put("r0", "changed", version=1).version == 2
    contexts().records.put("r3", 3)


def test_records_are_per_client_and_per_plugin(contexts) -> None:
    """Another client, or another plugin for the same client, sees none of the records."""
    mine = contexts()
    mine.records.put("draft", DRAFT)
    assert contexts().records.get("draft") is None
    other_plugin = contexts("other", client=mine.client_id)
    assert other_plugin.records.get("draft") is None
    assert other_plugin.records.list() == []


def test_values_are_sealed_and_bound_to_plugin_client_and_key(contexts, db) -> None:
    """The stored value is no clear text, and a sealed value moved to another key does not decrypt."""
    from ircc_account._storage import _schema as t
    from ircc_account.errors import DecryptionFailed

    ctx = contexts()
    ctx.records.put("draft", DRAFT)
    ctx.records.put("copy", {})
    c = t.plugin_records.c
    with db.engine.begin() as conn:
        sealed = conn.execute(sa.select(c.value_ct).where(c.record_key == "draft")).scalar_one()
        assert b"Tremblay" not in sealed and b"Marie" not in sealed
        conn.execute(
            t.plugin_records.update().where(c.record_key == "copy").values(value_ct=sealed)
        )
    with pytest.raises(DecryptionFailed):
        ctx.records.get("copy")


def test_each_call_is_one_recorded_access_and_a_representative_needs_a_grant(contexts, db) -> None:
    """Reads record view_status, writes act, as the plugin on behalf of the user; a representative without a grant is refused and recorded."""
    ctx = contexts()
    ctx.records.put("draft", DRAFT)
    ctx.records.get("draft")
    ctx.records.list()
    ctx.records.delete("draft")
    actions = [r.action for r in reversed(who_touched_my_file(db, ctx.client_id))]
    assert actions == [
        "service.record.write",
        "service.record.read",
        "service.record.list",
        "service.record.delete",
    ]
    rep = Actor(actor_id="rep-1", capacity=Capacity.REPRESENTATIVE, representative_id="rep-1")
    rep_ctx = contexts(client=ctx.client_id, actor=rep)
    with pytest.raises(AuthorizationError):
        rep_ctx.records.get("draft")
    denied = [r for r in who_touched_my_file(db, ctx.client_id) if r.decision is Decision.DENIED]
    assert [r.action for r in denied] == ["service.record.read"]


def test_erasure_destroys_the_records(contexts, db) -> None:
    """After erasure the records are gone, and a plugin's read answers PersonalDataErased or nothing, never data."""
    ctx = contexts()
    ctx.records.put("draft", DRAFT)
    with db.unit_of_work() as uow:
        uow.accounts.erase_personal_data(ctx.client_id)
        uow.commit()
    assert ctx.records.get("draft") is None
    with pytest.raises(PersonalDataErased):
        ctx.records.put("draft", DRAFT)
