"""
Each refusal says why, with its own stable reason: a grant not yet valid,
expired, revoked, a request that lapsed or was declined, a firm member who is
not licensed; the reason names the grant that came closest, is recorded, and
comes from the one decision statement with no extra round trip.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from deleg_support import NOW, RecordingSink, client_actor, rep_actor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ircc_account._model import Action, AssuranceLevel, Capacity, Resource
from ircc_account._model._authz import Actor
from ircc_account._storage import SqlStore
from ircc_account.delegation import DENIAL_REASONS, Delegation, Policy, begin_acting_for
from ircc_account.errors import AuthorizationError

TRV = Resource(client_id="client-1", service_id="trv", item_id="app-1")
FAMILY = rep_actor("rep-family")


def give(store: SqlStore, delegation: Delegation, **kw: Any) -> Any:
    kw.setdefault("scopes", ["view_status"])
    kw.setdefault("coverage", "account")
    kw.setdefault("grantee_id", "rep-family")
    with store.unit_of_work() as uow:
        g = delegation.grant(uow, client_actor(at=delegation._clock.now()), **kw)
        uow.commit()
    return g


def ask(store: SqlStore, delegation: Delegation) -> Any:
    with store.unit_of_work() as uow:
        g = delegation.request(
            uow, FAMILY, client_id="client-1", scopes=["view_status"], coverage="account"
        )
        uow.commit()
    return g


def decide(
    store: SqlStore, policy: Policy, action: Any = Action.VIEW_STATUS, actor: Actor = FAMILY
) -> Any:
    with store.unit_of_work() as uow:
        d = policy.authorize(actor, action, TRV, uow=uow)
        uow.commit()
    return d


def test_a_grant_not_yet_valid_says_so(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """A grant that starts tomorrow refuses today with not_yet_valid, naming the grant."""
    g = give(seeded, delegation, valid_from=NOW + dt.timedelta(days=1))
    d = decide(seeded, policy)
    assert (d.allowed, d.reason, d.grant_id) == (False, "not_yet_valid", g.grant_id)


def test_an_expired_grant_says_so(
    seeded: SqlStore, delegation: Delegation, policy: Policy, clock: Any
) -> None:
    """At its end a grant refuses with expired."""
    g = give(seeded, delegation, valid_until=NOW + dt.timedelta(hours=1))
    clock.advance(dt.timedelta(hours=1))
    d = decide(seeded, policy)
    assert (d.allowed, d.reason, d.grant_id) == (False, "expired", g.grant_id)


def test_a_revoked_grant_says_so(
    seeded: SqlStore, delegation: Delegation, policy: Policy, sink: RecordingSink
) -> None:
    """After a revoke the next request is refused with revoked, and that is what is recorded."""
    g = give(seeded, delegation)
    assert decide(seeded, policy).allowed
    with seeded.unit_of_work() as uow:
        delegation.revoke(uow, client_actor(), g.grant_id)
        uow.commit()
    d = decide(seeded, policy)
    assert (d.allowed, d.reason, d.grant_id) == (False, "revoked", g.grant_id)
    assert (sink.entries[-1].reason, sink.entries[-1].grant_id) == ("revoked", g.grant_id)


def test_a_request_never_accepted_has_lapsed(
    seeded: SqlStore, delegation: Delegation, policy: Policy, clock: Any
) -> None:
    """A pending request gives no_grant for its seven days, then lapsed."""
    g = ask(seeded, delegation)
    assert decide(seeded, policy).reason == "no_grant"
    clock.advance(dt.timedelta(days=7))
    d = decide(seeded, policy)
    assert (d.allowed, d.reason, d.grant_id) == (False, "lapsed", g.grant_id)


def test_a_declined_request_says_so(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """A request the client declined refuses with declined."""
    g = ask(seeded, delegation)
    with seeded.unit_of_work() as uow:
        delegation.decline(uow, client_actor(), g.grant_id)
        uow.commit()
    assert decide(seeded, policy).reason == "declined"


def test_the_grant_that_came_closest_gives_the_reason(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """With a revoked grant for act and an active one without it, acting is refused as revoked."""
    acting = give(seeded, delegation, scopes=["act"])
    give(seeded, delegation, scopes=["view_status"])
    with seeded.unit_of_work() as uow:
        delegation.revoke(uow, client_actor(), acting.grant_id)
        uow.commit()
    d = decide(seeded, policy, Action.ACT)
    assert (d.reason, d.grant_id) == ("revoked", acting.grant_id)
    assert decide(seeded, policy, Action.ENQUIRE).reason == "scope"
    assert decide(seeded, policy, Action.VIEW_STATUS).allowed


def test_switching_to_a_client_says_why_not(
    seeded: SqlStore, delegation: Delegation, policy: Policy, clock: Any
) -> None:
    """Acting for a client whose grant expired is refused with expired, and recorded so."""
    give(seeded, delegation, valid_until=NOW + dt.timedelta(hours=1))
    clock.advance(dt.timedelta(hours=2))
    with seeded.unit_of_work() as uow, pytest.raises(AuthorizationError) as refused:
        begin_acting_for(policy, FAMILY, "client-1", uow=uow)
    assert refused.value.params["reason"] == "expired"


@contextmanager
def statements(store: SqlStore, uow: Any) -> Iterator[list[str]]:
    """The SQL statements SQLite runs on *uow*'s connection meanwhile."""
    seen: list[str] = []
    raw = uow.connection.connection.driver_connection
    raw.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        raw.set_trace_callback(None)


def test_reasons_cost_no_extra_round_trip(
    sqlite_store: SqlStore, delegation: Delegation, policy: Policy, clock: Any
) -> None:
    """A refusal's reason comes from the one decision statement; a cached pair's costs none."""
    from deleg_support import seed

    seed(sqlite_store, delegation)
    g = give(sqlite_store, delegation, valid_until=NOW + dt.timedelta(hours=1))
    with sqlite_store.unit_of_work() as uow:
        delegation.revoke(uow, client_actor(), g.grant_id)
        uow.commit()
    give(sqlite_store, delegation, scopes=["enquire"], valid_from=NOW + dt.timedelta(days=1))
    with sqlite_store.unit_of_work(write=False) as uow:
        with statements(sqlite_store, uow) as seen:
            assert policy.authorize(FAMILY, Action.VIEW_STATUS, TRV, uow=uow).reason == "revoked"
        assert len([s for s in seen if s.lstrip().upper().startswith(("WITH", "SELECT"))]) == 1
        with statements(sqlite_store, uow) as seen:
            assert policy.authorize(FAMILY, Action.ENQUIRE, TRV, uow=uow).reason == (
                "not_yet_valid"
            )
            assert policy.authorize(FAMILY, Action.ACT, TRV, uow=uow).reason == "scope"
            clock.advance(dt.timedelta(hours=2))
            assert policy.authorize(FAMILY, Action.VIEW_STATUS, TRV, uow=uow).reason == "revoked"
        assert seen == []


@pytest.fixture
def sqlite_store(tmp_path: Any, keyring: Any) -> Iterator[SqlStore]:
    from ircc_account._storage import open_store

    s = open_store(f"sqlite:///{tmp_path}/reasons.db", keyring=keyring)
    yield s
    s.close()


_GRANT_TERMS = st.fixed_dictionaries(
    {
        "scopes": st.sets(st.sampled_from(["view_status", "enquire", "act"]), min_size=1),
        "start": st.sampled_from([-48, 0, 24]),
        "hours": st.sampled_from([None, 1, 72]),
        "item": st.sampled_from([None, "app-1", "app-2"]),
        "then": st.sampled_from(["keep", "revoke", "ask", "ask_decline"]),
    }
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    grants=st.lists(_GRANT_TERMS, max_size=3),
    action=st.sampled_from(list(Action)),
    days=st.sampled_from([0, 2, 8]),
    actor=st.sampled_from(["rep-family", "rep-consultant", "client-2", "plugin", "officer"]),
    field=st.sampled_from([None, "contact"]),
)
def test_every_refusal_reason_is_a_documented_one(
    seeded: SqlStore,
    delegation: Delegation,
    policy: Policy,
    clock: Any,
    grants: list[dict[str, Any]],
    action: Action,
    days: int,
    actor: str,
    field: str | None,
) -> None:
    """Whatever the grants, the clock and the asker, a refusal's reason is in DENIAL_REASONS."""
    clock.set(NOW)
    made = []
    with seeded.unit_of_work() as uow:
        for terms in grants:
            start = NOW + dt.timedelta(hours=terms["start"])
            until = None if terms["hours"] is None else start + dt.timedelta(hours=terms["hours"])
            kw = {"coverage": "account" if terms["item"] is None else "item"}
            if terms["then"].startswith("ask"):
                g = delegation.request(
                    uow,
                    FAMILY,
                    client_id="client-1",
                    scopes=terms["scopes"],
                    target=terms["item"],
                    valid_until=None if until is None or until <= NOW else until,
                    **kw,
                )
            else:
                g = delegation.grant(
                    uow,
                    client_actor(),
                    grantee_id="rep-family",
                    scopes=terms["scopes"],
                    target=terms["item"],
                    valid_from=start,
                    valid_until=until,
                    **kw,
                )
            made.append((g, terms["then"]))
        for g, then in made:
            if then == "revoke":
                delegation.revoke(uow, client_actor(), g.grant_id)
            elif then == "ask_decline":
                delegation.decline(uow, client_actor(), g.grant_id)
        uow.commit()
    clock.advance(dt.timedelta(days=days))
    who = {
        "rep-family": FAMILY,
        "rep-consultant": rep_actor("rep-consultant", assurance=AssuranceLevel.LOW),
        "client-2": client_actor("client-2"),
        "plugin": Actor(actor_id="plugin-trv", capacity=Capacity.PLUGIN),
        "officer": Actor(actor_id="officer-1", capacity=Capacity.OFFICER),
    }[actor]
    resource = Resource(client_id="client-1", service_id="trv", item_id="app-1", field=field)
    with seeded.unit_of_work() as uow:
        d = policy.authorize(who, action, resource, uow=uow)
        reached = policy.reach(who, "client-1", uow=uow)
        uow.rollback()
    for decision in (d, reached):
        if not decision.allowed:
            assert decision.reason.partition(":")[0] in DENIAL_REASONS, decision.reason
    # Clean up for the next example: revoke what is left.
    with seeded.unit_of_work() as uow:
        for g in delegation.grants(uow, client_actor(at=clock.now())):
            if g.status.value in ("active", "pending"):
                delegation.revoke(uow, client_actor(at=clock.now()), g.grant_id)
        uow.commit()


def test_the_documented_reasons_are_exactly_these() -> None:
    """DENIAL_REASONS is the agreed list, so every one can be given words in the history."""
    assert {
        "no_grant",
        "scope",
        "assurance",
        "field",
        "capacity",
        "plugin",
        "licence",
        "membership",
        "not_found",
        "not_offered",
        "restricted",
        "not_yet_valid",
        "expired",
        "revoked",
        "lapsed",
        "not_licensed",
        "declined",
    } == DENIAL_REASONS
