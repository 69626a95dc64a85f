"""
The authorization policy: default deny, caching that revocation defeats at
once (in every process), field limits, acting identity, plugins, assurance,
organisations, and acting on behalf.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from deleg_support import NOW, RecordingSink, client_actor, rep_actor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ircc_account._crypto import Keyring
from ircc_account._model import (
    Action,
    AssuranceLevel,
    Capacity,
    Decision,
    Membership,
    Organisation,
    Resource,
)
from ircc_account._model._authz import Actor
from ircc_account._storage import SqlStore, open_store
from ircc_account.delegation import ActingContext, Delegation, Policy, begin_acting_for, stop_acting
from ircc_account.errors import AuthorizationError

TRV = Resource(client_id="client-1", service_id="trv", item_id="app-1")
SYSTEM = Actor(actor_id="onboarding", capacity=Capacity.SYSTEM)


def give(store: SqlStore, delegation: Delegation, **kw: Any) -> Any:
    kw.setdefault("scopes", ["view_status"])
    kw.setdefault("coverage", "account")
    with store.unit_of_work() as uow:
        g = delegation.grant(uow, client_actor(at=delegation._clock.now()), **kw)
        uow.commit()
    return g


def decide(
    store: SqlStore, policy: Policy, actor: Actor, action: Any, resource: Resource = TRV
) -> Any:
    with store.unit_of_work() as uow:
        d = policy.authorize(actor, action, resource, uow=uow)
        uow.commit()
    return d


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rep=st.sampled_from(["rep-family", "rep-consultant", "rep-mp", "rep-designated", "nobody"]),
    action=st.sampled_from(list(Action)),
    client=st.sampled_from(["client-1", "client-2"]),
    service=st.sampled_from([None, "trv", "citizenship"]),
    item=st.sampled_from([None, "app-1", "app-2"]),
    field=st.sampled_from([None, "contact", "status"]),
)
def test_sec_49_no_grant_always_denied(
    seeded: SqlStore,
    policy: Policy,
    rep: str,
    action: Action,
    client: str,
    service: str | None,
    item: str | None,
    field: str | None,
) -> None:
    """With no grants at all, any representative, action and resource is denied."""
    resource = Resource(client_id=client, service_id=service, item_id=item, field=field)
    assert not decide(seeded, policy, rep_actor(rep), action, resource).allowed


def test_owner_reaches_own_data_only(seeded: SqlStore, policy: Policy) -> None:
    """A client is allowed their own data and denied another client's."""
    assert decide(seeded, policy, client_actor(), Action.VIEW_PROFILE, TRV).reason == "owner"
    other = Resource(client_id="client-2", service_id="trv")
    assert not decide(seeded, policy, client_actor(), Action.VIEW_STATUS, other).allowed


def test_sec_56_revocation_denies_next_request(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """After a revoke, the delegate's very next request is denied, though the pair was cached."""
    g = give(seeded, delegation, grantee_id="rep-family")
    for _ in range(3):
        assert decide(seeded, policy, rep_actor("rep-family"), Action.VIEW_STATUS).allowed
    with seeded.unit_of_work() as uow:
        delegation.revoke(uow, client_actor(), g.grant_id)
        uow.commit()
    assert not decide(seeded, policy, rep_actor("rep-family"), Action.VIEW_STATUS).allowed


def test_sec_38_revocation_honoured_across_processes(
    seeded: SqlStore, database_url: str, keyring: Keyring, delegation: Delegation, clock: Any
) -> None:
    """Two stores (two processes) on one database: a revoke in one is denied next request in the other."""
    other_store = open_store(database_url, keyring=keyring)
    other = Policy(clock=clock, audit=RecordingSink())
    try:
        g = give(seeded, delegation, grantee_id="rep-family")
        assert decide(other_store, other, rep_actor("rep-family"), Action.VIEW_STATUS).allowed
        with seeded.unit_of_work() as uow:
            delegation.revoke(uow, client_actor(), g.grant_id)
            uow.commit()
        assert not decide(other_store, other, rep_actor("rep-family"), Action.VIEW_STATUS).allowed
    finally:
        other_store.close()


def test_sec_56_rolled_back_change_never_reaches_the_cache(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """A grant decided on inside a unit that rolls back leaves no trace in the cache."""
    with seeded.unit_of_work() as uow:
        delegation.grant(
            uow, client_actor(), grantee_id="rep-family", scopes=["act"], coverage="account"
        )
        assert policy.authorize(rep_actor("rep-family"), Action.ACT, TRV, uow=uow).allowed
        uow.rollback()
    give(seeded, delegation, grantee_id="rep-family", scopes=["view_status"])
    assert not decide(seeded, policy, rep_actor("rep-family"), Action.ACT).allowed


def test_sec_51_delegates_never_reach_restricted_fields(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """Even with act on the whole account, contact, banking and representatives are out of reach."""
    give(seeded, delegation, grantee_id="rep-family", scopes=["act", "view_status"])
    for field in ("contact", "banking", "representatives"):
        resource = Resource(client_id="client-1", service_id="trv", field=field)
        for action in (Action.VIEW_PROFILE, Action.ACT, Action.CHANGE_PROFILE):
            d = decide(seeded, policy, rep_actor("rep-family"), action, resource)
            assert (d.allowed, d.reason) == (False, "field")
    assert decide(seeded, policy, rep_actor("rep-family"), Action.VIEW_PROFILE).allowed


def test_sec_58_nested_actor_chain_adds_no_rights(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """A representative whose on_behalf_of names the client gains nothing from it."""
    chain = rep_actor("rep-family", on_behalf_of=client_actor())
    assert not decide(seeded, policy, chain, Action.VIEW_STATUS).allowed
    chain2 = rep_actor("rep-family", on_behalf_of=rep_actor("rep-consultant"))
    give(seeded, delegation, grantee_id="rep-consultant", scopes=["act"])
    assert not decide(seeded, policy, chain2, Action.ACT).allowed


def test_sec_94_plugin_gets_at_most_its_principals_rights(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """A plugin acts with the rights of the actor it serves, never more, and never alone."""
    give(seeded, delegation, grantee_id="rep-family", scopes=["view_status"])

    def plugin(behalf: Actor | None) -> Actor:
        return Actor(
            actor_id="plugin-trv",
            capacity=Capacity.PLUGIN,
            on_behalf_of=behalf,
            assurance=AssuranceLevel.VERY_HIGH,
        )

    assert decide(seeded, policy, plugin(rep_actor("rep-family")), Action.VIEW_STATUS).allowed
    assert not decide(seeded, policy, plugin(rep_actor("rep-family")), Action.ACT).allowed
    assert not decide(seeded, policy, plugin(None), Action.VIEW_STATUS).allowed
    assert not decide(seeded, policy, plugin(client_actor()), Action.MANAGE_GRANTS).allowed
    low = rep_actor("rep-family", assurance=AssuranceLevel.LOW)
    assert decide(seeded, policy, plugin(low), Action.VIEW_STATUS).reason == "assurance"


def test_sec_59_lower_assurance_denied_with_step_up(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """A delegate below the service's level is denied with the level to step up to."""
    give(seeded, delegation, grantee_id="rep-family", scopes=["view_status"])
    citizenship = Resource(client_id="client-1", service_id="citizenship", item_id="cit-1")
    d = decide(seeded, policy, rep_actor("rep-family"), Action.VIEW_STATUS, citizenship)
    assert (d.allowed, d.reason, d.required_assurance) == (False, "assurance", AssuranceLevel.HIGH)
    strong = rep_actor("rep-family", assurance=AssuranceLevel.HIGH)
    assert decide(seeded, policy, strong, Action.VIEW_STATUS, citizenship).allowed


def test_sec_60_helper_without_grant_denied(seeded: SqlStore, policy: Policy) -> None:
    """Someone helping the client, with no grant, gets no delegate rights."""
    helper = rep_actor("rep-staff")
    for action in (Action.VIEW_STATUS, Action.ACT, Action.SUBMIT_DOCUMENTS):
        assert decide(seeded, policy, helper, action).reason == "no_grant"


def test_item_and_service_coverage(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """An item grant reaches only that item; a service grant only that service."""
    give(seeded, delegation, grantee_id="rep-family", coverage="item", target="app-1")
    give(seeded, delegation, grantee_id="rep-staff", coverage="service", target="trv")
    fam, friend = rep_actor("rep-family"), rep_actor("rep-staff")
    assert decide(seeded, policy, fam, Action.VIEW_STATUS).allowed
    assert not decide(
        seeded,
        policy,
        fam,
        Action.VIEW_STATUS,
        Resource(client_id="client-1", service_id="trv", item_id="app-2"),
    ).allowed
    assert decide(
        seeded,
        policy,
        friend,
        Action.VIEW_STATUS,
        Resource(client_id="client-1", service_id="trv", item_id="app-2"),
    ).allowed
    assert not decide(
        seeded,
        policy,
        friend,
        Action.VIEW_STATUS,
        Resource(client_id="client-1", service_id="passport"),
    ).allowed


def test_an_impostor_with_a_representative_id_is_denied(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """An actor naming a representative id that is not their own login is denied."""
    give(seeded, delegation, grantee_id="rep-family")
    impostor = Actor(
        actor_id="x",
        capacity=Capacity.REPRESENTATIVE,
        account_id="acct-rep-staff",
        representative_id="rep-family",
        assurance=AssuranceLevel.HIGH,
    )
    assert not decide(seeded, policy, impostor, Action.VIEW_STATUS).allowed


def test_every_decision_is_audited_with_actor_and_client(
    seeded: SqlStore, delegation: Delegation, policy: Policy, sink: RecordingSink
) -> None:
    """Allowed and denied decisions both land in the audit sink, naming actor, client and grant."""
    g = give(seeded, delegation, grantee_id="rep-family")
    decide(seeded, policy, rep_actor("rep-family"), Action.VIEW_STATUS)
    decide(seeded, policy, rep_actor("rep-family"), Action.ACT)
    allowed, denied = sink.entries[-2:]
    assert (allowed.actor_id, allowed.client_id, allowed.decision, allowed.grant_id) == (
        "rep-family",
        "client-1",
        Decision.ALLOWED,
        g.grant_id,
    )
    assert (denied.decision, denied.reason, denied.action) == (
        Decision.DENIED,
        "scope",
        "authz.act",
    )


def _office(store: SqlStore, delegation: Delegation) -> None:
    with store.unit_of_work() as uow:
        delegation.add_organisation(
            uow,
            Organisation(organisation_id="mp-office", kind="mp_office", name="MP", created_at=NOW),
        )
        delegation.add_organisation(
            uow,
            Organisation(
                organisation_id="riding",
                kind="mp_office",
                name="Riding office",
                parent_id="mp-office",
                created_at=NOW,
            ),
        )
        for rep, groups, org in (
            ("rep-staff", ["east"], "riding"),
            ("rep-family", ["west"], "mp-office"),
        ):
            delegation.add_member(
                uow,
                SYSTEM,
                Membership(
                    organisation_id=org,
                    representative_id=rep,
                    role="staff",
                    access_groups=groups,
                    started_at=NOW,
                ),
            )
        uow.commit()


def test_office_grant_reaches_current_members_of_the_group_only(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """A grant to an office's east group reaches its east staff (in branches too), not west staff."""
    _office(seeded, delegation)
    give(
        seeded,
        delegation,
        grantee_id="mp-office",
        grantee_is_organisation=True,
        access_group="east",
        scopes=["view_status", "enquire"],
    )
    d = decide(seeded, policy, rep_actor("rep-staff"), Action.ENQUIRE)
    assert (d.allowed, d.organisation_id) == (True, "mp-office")
    assert not decide(seeded, policy, rep_actor("rep-family"), Action.ENQUIRE).allowed
    assert not decide(seeded, policy, rep_actor("rep-staff"), Action.VIEW_DECISION_NOTES).allowed


def test_member_who_leaves_loses_access_at_once(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """Ending a staff member's membership denies their next request under the office's grant."""
    _office(seeded, delegation)
    give(
        seeded,
        delegation,
        grantee_id="mp-office",
        grantee_is_organisation=True,
        access_group="east",
    )
    assert decide(seeded, policy, rep_actor("rep-staff"), Action.VIEW_STATUS).allowed
    with seeded.unit_of_work() as uow:
        delegation.end_membership(uow, rep_actor("rep-staff"), "riding", "rep-staff")
        uow.commit()
    assert not decide(seeded, policy, rep_actor("rep-staff"), Action.VIEW_STATUS).allowed


def test_begin_acting_for_rotates_through_the_hook(
    seeded: SqlStore, delegation: Delegation, policy: Policy, sink: RecordingSink
) -> None:
    """Switching to a client calls the hook with the old and new contexts; without a grant it is refused."""
    give(seeded, delegation, grantee_id="rep-family", coverage="item", target="app-1")
    calls: list[tuple[ActingContext | None, ActingContext | None]] = []

    def hook(previous: ActingContext | None, current: ActingContext | None) -> None:
        calls.append((previous, current))

    with seeded.unit_of_work() as uow:
        ctx = begin_acting_for(
            policy, rep_actor("rep-family"), "client-1", uow=uow, on_acting_changed=hook
        )
        with pytest.raises(AuthorizationError):
            begin_acting_for(
                policy,
                rep_actor("rep-family"),
                "client-2",
                uow=uow,
                previous=ctx,
                on_acting_changed=hook,
            )
        stop_acting(ctx, on_acting_changed=hook)
        uow.commit()
    assert calls == [(None, ctx), (ctx, None)]
    assert (ctx.client_id, ctx.actor.representative_id) == ("client-1", "rep-family")
    assert [e.action for e in sink.entries[-2:]] == ["acting.begin", "acting.begin"]


def test_window_start_in_the_future_not_yet_active(
    seeded: SqlStore, delegation: Delegation, policy: Policy, clock: Any
) -> None:
    """A grant whose window starts tomorrow gives no access today."""
    give(seeded, delegation, grantee_id="rep-family", valid_from=NOW + dt.timedelta(days=1))
    assert not decide(seeded, policy, rep_actor("rep-family"), Action.VIEW_STATUS).allowed
    clock.advance(dt.timedelta(days=1))
    assert decide(seeded, policy, rep_actor("rep-family"), Action.VIEW_STATUS).allowed


def _audit_rows(store: SqlStore) -> int:
    import sqlalchemy as sa

    with store.unit_of_work(write=False) as uow:
        tables = [t for t in sa.inspect(uow.connection).get_table_names() if "audit" in t]
        return sum(
            int(uow.execute(sa.text(f"SELECT count(*) FROM {t}"), "x").scalar_one())  # noqa: S608
            for t in tables
        )


def test_decisions_land_in_the_real_audit_log(
    seeded: SqlStore, delegation: Delegation, clock: Any
) -> None:
    """With the tamper-evident AuditLog as sink, a decision commits an entry in the caller's unit."""
    audit = pytest.importorskip("ircc_account.audit")
    real = Policy(clock=clock, audit=audit.AuditLog(seeded, clock=clock))
    give(seeded, delegation, grantee_id="rep-family")
    before = _audit_rows(seeded)
    with seeded.unit_of_work() as uow:
        assert real.authorize(rep_actor("rep-family"), Action.VIEW_STATUS, TRV, uow=uow).allowed
        uow.rollback()
    assert _audit_rows(seeded) == before
    with seeded.unit_of_work() as uow:
        assert real.authorize(rep_actor("rep-family"), Action.VIEW_STATUS, TRV, uow=uow).allowed
        uow.commit()
    assert _audit_rows(seeded) > before


def test_audit_entries_equal_those_the_constructor_builds(
    seeded: SqlStore, delegation: Delegation, policy: Policy, sink: RecordingSink
) -> None:
    """The policy's audit entries are exactly what AuditEntry(...) makes of the same values."""
    from ircc_account._model._audit import AuditEntry

    give(seeded, delegation, grantee_id="rep-family")
    with seeded.unit_of_work() as uow:
        policy.authorize(rep_actor("rep-family"), Action.VIEW_STATUS, TRV, uow=uow)
        policy.authorize(rep_actor("rep-family"), "trv:renew", TRV, uow=uow, correlation_id="req-1")
        policy.authorize(client_actor(), Action.ACT, TRV, uow=uow)
        uow.commit()
    for entry in sink.entries:
        rebuilt = AuditEntry(**{f: getattr(entry, f) for f in attrs.fields_dict(AuditEntry)})
        assert entry == rebuilt
        assert hash(entry) == hash(rebuilt)
        assert repr(entry) == repr(rebuilt)


def test_caller_supplied_audit_values_are_still_validated(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """A bad correlation id or service action is refused as AuditEntry would refuse it."""
    from ircc_account.errors import InvalidFormat

    give(seeded, delegation, grantee_id="rep-family")
    with seeded.unit_of_work() as uow:
        with pytest.raises(InvalidFormat):
            policy.authorize(
                rep_actor("rep-family"), Action.VIEW_STATUS, TRV, uow=uow, correlation_id="a b"
            )
        with pytest.raises(InvalidFormat):
            policy.authorize(rep_actor("rep-family"), "trv:re new", TRV, uow=uow)


# --- a firm's grants reach its licensed members only -------------------------------------


def _firm_with_unlicensed_members(store: SqlStore, delegation: Delegation) -> None:
    """
    A law firm whose "team" group holds a lawyer and, written directly (as a
    membership from before the firm took licensed members only, or from any
    other writer would be), a designated individual, an MP office person and
    a friend.
    """
    from ircc_account.delegation import _repo

    with store.unit_of_work() as uow:
        delegation.add_organisation(
            uow, Organisation(organisation_id="firm", kind="law_firm", name="Firm", created_at=NOW)
        )
        for rep in ("rep-lawyer", "rep-designated", "rep-mp", "rep-staff"):
            _repo.add_membership(
                uow,
                Membership(
                    organisation_id="firm",
                    representative_id=rep,
                    role="staff",
                    access_groups=["team"],
                    started_at=NOW,
                ),
            )
            _repo.bump(uow, _repo.rep_key(rep))
        uow.commit()
    give(
        store,
        delegation,
        grantee_id="firm",
        grantee_is_organisation=True,
        access_group="team",
        scopes=["view_status", "view_decision_notes", "enquire", "act"],
    )


UNLICENSED = ("rep-designated", "rep-mp", "rep-staff")


@pytest.mark.parametrize("rep", UNLICENSED)
def test_a_firms_grant_never_reaches_an_unlicensed_member(
    seeded: SqlStore, delegation: Delegation, policy: Policy, rep: str
) -> None:
    """A designated individual, an office-kind person or a friend in the firm's group is refused as not_licensed, for every action."""
    _firm_with_unlicensed_members(seeded, delegation)
    for action in (Action.VIEW_STATUS, Action.VIEW_DECISION_NOTES, Action.ENQUIRE, Action.ACT):
        d = decide(seeded, policy, rep_actor(rep), action)
        assert (d.allowed, d.reason) == (False, "not_licensed"), action
    assert decide(seeded, policy, rep_actor("rep-lawyer"), Action.ACT).allowed


@pytest.mark.parametrize("rep", UNLICENSED)
def test_an_unlicensed_firm_member_cannot_start_acting_or_see_clients(
    seeded: SqlStore, delegation: Delegation, policy: Policy, rep: str
) -> None:
    """begin_acting_for, scopes_held, clients_reached and grants_reaching all leave the unlicensed member out."""
    _firm_with_unlicensed_members(seeded, delegation)
    with seeded.unit_of_work() as uow:
        with pytest.raises(AuthorizationError) as refused:
            begin_acting_for(policy, rep_actor(rep), "client-1", uow=uow)
        assert refused.value.params["reason"] == "not_licensed"
        assert policy.scopes_held(rep_actor(rep), "client-1", uow=uow, service_ids=["trv"]) == {}
        assert policy.clients_reached(rep_actor(rep), uow=uow) == []
        assert delegation.grants_reaching(uow, rep_actor(rep), "client-1") == []
        lawyer = rep_actor("rep-lawyer")
        assert begin_acting_for(policy, lawyer, "client-1", uow=uow).organisation_id == "firm"
        assert policy.scopes_held(lawyer, "client-1", uow=uow, service_ids=["trv"]) == {
            "trv": frozenset({"view_status", "view_decision_notes", "enquire", "act"})
        }
        assert policy.clients_reached(lawyer, uow=uow) == ["client-1"]
        assert len(delegation.grants_reaching(uow, lawyer, "client-1")) == 1
        uow.commit()


def test_a_list_across_clients_checks_its_cached_decisions_in_one_statement(
    store: SqlStore, delegation: Delegation, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once cached, a representative's clients are checked with one versions statement, not one each; a client who revoked in another process since is found stale, read again and refused."""
    from deleg_support import seed

    from ircc_account.delegation import _repo

    seed(store, delegation, clients=4)
    # Another process's policy: it hears of the revocation only through the
    # version counters in the database.
    other = Policy(clock=clock, audit=RecordingSink())
    grants = {}
    for n in range(1, 5):
        with store.unit_of_work() as uow:
            grants[n] = delegation.grant(
                uow,
                client_actor(f"client-{n}", at=delegation._clock.now()),
                grantee_id="rep-family",
                scopes=["view_status"],
                coverage="account",
            )
            uow.commit()
    rep = rep_actor("rep-family")
    everyone = [f"client-{n}" for n in range(1, 5)]
    with store.unit_of_work(write=False) as uow:
        assert other.clients_reached(rep, uow=uow) == everyone
    reads: list[str] = []
    real = _repo.decision_rows

    def counting(uow: Any, client_id: str, *args: Any) -> Any:
        reads.append(client_id)
        return real(uow, client_id, *args)

    monkeypatch.setattr(_repo, "decision_rows", counting)
    with store.unit_of_work(write=False) as uow:
        assert other.clients_reached(rep, uow=uow) == everyone
        assert other.decide(rep, Action.VIEW_STATUS, Resource(client_id="client-2"), uow=uow)
    assert reads == []
    with store.unit_of_work() as uow:
        now = delegation._clock.now()
        delegation.revoke(uow, client_actor("client-3", at=now), grants[3].grant_id)
        uow.commit()
    with store.unit_of_work(write=False) as uow:
        other._prime(uow, everyone, "rep-family")
        assert not other.decide(rep, Action.VIEW_STATUS, Resource(client_id="client-3"), uow=uow)
        assert other.decide(rep, Action.VIEW_STATUS, Resource(client_id="client-4"), uow=uow)
    assert reads == ["client-3"]


def test_a_firms_grants_no_longer_reach_a_lawyer_whose_licence_lapsed(
    seeded: SqlStore, delegation: Delegation, policy: Policy, clock: Any, verifier: Any
) -> None:
    """A lawyer past their licence's last day, or struck off, is shown none of the firm's grants, as the policy refuses them ('licence')."""
    _firm_with_unlicensed_members(seeded, delegation)
    lawyer = rep_actor("rep-lawyer")
    with seeded.unit_of_work() as uow:
        assert len(delegation.grants_reaching(uow, lawyer, "client-1")) == 1
    # Past the licence's last day (2026-12-31); the firm's grant is still in force.
    clock.set(dt.datetime(2027, 1, 1, 0, 0, 1, tzinfo=dt.UTC))
    with seeded.unit_of_work() as uow:
        assert [g.grantee_id for g in delegation.grants(uow, client_actor(at=clock.now()))] == [
            "firm"
        ]
        assert delegation.grants_reaching(uow, lawyer, "client-1") == []
        assert policy.reach(lawyer, "client-1", uow=uow).reason == "licence"
    # Back within the licence's dates, but struck off by the licensing body.
    clock.set(NOW)
    verifier.answers["R500002"] = (False, dt.date(2026, 12, 31))
    with seeded.unit_of_work() as uow:
        delegation.refresh_licence(uow, "rep-lawyer")
        uow.commit()
    with seeded.unit_of_work() as uow:
        assert delegation.grants_reaching(uow, lawyer, "client-1") == []
        assert policy.reach(lawyer, "client-1", uow=uow).reason == "licence"
