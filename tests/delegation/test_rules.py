"""
The rules a grant's terms must meet: one paid representative per
application over time (SEC-54), targets that exist and are the client's,
the 12-month cap for low-assurance delegates (SEC-55), and a guardian's
appointments for a dependant ending at 18 (SEC-54).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from deleg_support import NOW, client_actor, link_credential, make_account, rep_actor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ircc_account._model import (
    Action,
    AssuranceLevel,
    Capacity,
    GrantStatus,
    Membership,
    Organisation,
    Representative,
    Resource,
)
from ircc_account._model._authz import Actor
from ircc_account._storage import SqlStore
from ircc_account.delegation import Delegation, Policy
from ircc_account.delegation._rules import add_months, adult_at
from ircc_account.errors import (
    DelegationError,
    DepartmentOnly,
    DependantOfAge,
    GrantTargetUnknown,
    GrantTooLong,
    NotPrincipal,
    PaidRepresentativeExists,
)

TRV = Resource(client_id="client-1", service_id="trv", item_id="app-1")
DAY = dt.timedelta(days=1)
OFFICER = Actor(actor_id="officer-1", capacity=Capacity.OFFICER)


def grant(store: SqlStore, delegation: Delegation, **kw: Any) -> Any:
    actor = kw.pop("actor", None) or client_actor(at=delegation._clock.now())
    kw.setdefault("scopes", ["view_status"])
    kw.setdefault("coverage", "account")
    with store.unit_of_work() as uow:
        g = delegation.grant(uow, actor, **kw)
        uow.commit()
    return g


def count_grants(store: SqlStore) -> int:
    with store.unit_of_work(write=False) as uow:
        return int(uow.execute(sa.text("SELECT count(*) FROM consent_grants"), "x").scalar_one())


def decide(store: SqlStore, policy: Policy, actor: Actor, action: Any = Action.ACT) -> Any:
    with store.unit_of_work() as uow:
        d = policy.authorize(actor, action, TRV, uow=uow)
        uow.commit()
    return d


# --- one paid representative per application (SEC-54) --------------------------------------


def test_sec_54_a_paid_grant_from_tomorrow_blocks_another_from_today(
    seeded: SqlStore, delegation: Delegation
) -> None:
    """Consultant from tomorrow, then lawyer from today on the same application: refused, nothing written."""
    grant(
        seeded,
        delegation,
        grantee_id="rep-consultant",
        scopes=["act"],
        coverage="item",
        target="app-1",
        valid_from=NOW + DAY,
    )
    with pytest.raises(PaidRepresentativeExists):
        grant(
            seeded,
            delegation,
            grantee_id="rep-lawyer",
            scopes=["act"],
            coverage="item",
            target="app-1",
        )
    assert count_grants(seeded) == 1


def test_sec_54_accepting_a_request_checks_the_windows_too(
    seeded: SqlStore, delegation: Delegation
) -> None:
    """A lawyer's request accepted while a consultant holds a grant starting tomorrow is refused."""
    with seeded.unit_of_work() as uow:
        pending = delegation.request(
            uow,
            rep_actor("rep-lawyer"),
            client_id="client-1",
            scopes=["act"],
            coverage="service",
            target="trv",
        )
        uow.commit()
    grant(
        seeded,
        delegation,
        grantee_id="rep-consultant",
        scopes=["act"],
        coverage="item",
        target="app-1",
        valid_from=NOW + DAY,
    )
    with seeded.unit_of_work() as uow, pytest.raises(PaidRepresentativeExists):
        delegation.accept(uow, client_actor(), pending.grant_id)
    with seeded.unit_of_work() as uow:
        assert {g.status for g in delegation.grants(uow, client_actor())} == {
            GrantStatus.PENDING,
            GrantStatus.ACTIVE,
        }


def test_sec_54_back_to_back_paid_grants_are_allowed(
    seeded: SqlStore, delegation: Delegation, policy: Policy, clock: Any
) -> None:
    """A consultant until tomorrow and a lawyer from tomorrow: both accepted, one at a time in force."""
    grant(
        seeded,
        delegation,
        grantee_id="rep-consultant",
        scopes=["act"],
        valid_until=NOW + DAY,
    )
    grant(seeded, delegation, grantee_id="rep-lawyer", scopes=["act"], valid_from=NOW + DAY)
    assert decide(seeded, policy, rep_actor("rep-consultant")).allowed
    assert not decide(seeded, policy, rep_actor("rep-lawyer")).allowed
    clock.advance(DAY)
    assert not decide(seeded, policy, rep_actor("rep-consultant")).allowed
    assert decide(seeded, policy, rep_actor("rep-lawyer")).allowed


def test_sec_54_extending_a_paid_grant_into_another_is_refused(
    seeded: SqlStore, delegation: Delegation
) -> None:
    """Changing a consultant's end to overlap a lawyer's later grant is refused; the grant is unchanged."""
    first = grant(
        seeded, delegation, grantee_id="rep-consultant", scopes=["act"], valid_until=NOW + DAY
    )
    grant(seeded, delegation, grantee_id="rep-lawyer", scopes=["act"], valid_from=NOW + 2 * DAY)
    with seeded.unit_of_work() as uow, pytest.raises(PaidRepresentativeExists):
        delegation.change(uow, client_actor(), first.grant_id, valid_until=NOW + 3 * DAY)
    with seeded.unit_of_work() as uow:
        mine = [g for g in delegation.grants(uow, client_actor()) if g.grant_id == first.grant_id]
    assert mine[0].valid_until == NOW + DAY and mine[0].version == 1


def test_sec_54_two_paid_grants_made_at_once_cannot_both_land(
    seeded: SqlStore, delegation: Delegation
) -> None:
    """A consultant and a lawyer granted at the same moment, in two transactions: exactly one is refused."""
    # The client's consent key exists already, so only the paid rule can refuse.
    grant(seeded, delegation, grantee_id="rep-family")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def appoint(rep: str) -> None:
        barrier.wait()
        try:
            grant(seeded, delegation, grantee_id=rep, scopes=["act"])
            outcomes.append("granted")
        except PaidRepresentativeExists:
            outcomes.append("refused")

    threads = [
        threading.Thread(target=appoint, args=(r,)) for r in ("rep-consultant", "rep-lawyer")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["granted", "refused"]


_WINDOW = st.tuples(st.integers(min_value=-3, max_value=6), st.one_of(st.none(), st.integers(1, 5)))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    windows=st.lists(
        st.tuples(st.sampled_from(["rep-consultant", "rep-lawyer"]), _WINDOW, st.booleans()),
        min_size=2,
        max_size=4,
    )
)
def test_sec_54_no_two_paid_representatives_are_ever_in_force_together(
    seeded: SqlStore,
    delegation: Delegation,
    clock: Any,
    windows: list[tuple[str, tuple[int, int | None], bool]],
) -> None:
    """Over random windows, granted or requested then accepted, a paid grant is refused exactly when its window meets another paid grantee's, and no instant has two in force."""
    clock.set(NOW)
    with seeded.unit_of_work() as uow:
        for g in delegation.grants(uow, client_actor()):
            if g.status is GrantStatus.ACTIVE:
                delegation.revoke(uow, client_actor(), g.grant_id)
        uow.commit()
    held: list[tuple[str, dt.datetime, dt.datetime | None]] = []
    for rep, (start, days), by_request in windows:
        begin = NOW + start * DAY if not by_request else NOW
        until = None if days is None else begin + days * DAY
        meets = any(
            other != rep
            and (o_until is None or begin < o_until)
            and (until is None or o_begin < until)
            for other, o_begin, o_until in held
        )
        try:
            with seeded.unit_of_work() as uow:
                if by_request:
                    pending = delegation.request(
                        uow,
                        rep_actor(rep),
                        client_id="client-1",
                        scopes=["act"],
                        coverage="item",
                        target="app-1",
                        valid_until=until,
                    )
                    delegation.accept(uow, client_actor(), pending.grant_id)
                else:
                    delegation.grant(
                        uow,
                        client_actor(),
                        grantee_id=rep,
                        scopes=["act"],
                        coverage="account",
                        valid_from=begin,
                        valid_until=until,
                    )
                uow.commit()
        except PaidRepresentativeExists:
            assert meets
            continue
        assert not meets
        held.append((rep, begin, until))
    instants = {b for _, b, _ in held} | {u for _, _, u in held if u is not None}
    for t in instants:
        in_force = {r for r, b, u in held if b <= t and (u is None or t < u)}
        assert len(in_force) <= 1


# --- grant targets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coverage", "target"),
    [("item", "app-9"), ("item", "app-404"), ("service", "passport")],
    ids=["another-clients-item", "unknown-item", "unknown-service"],
)
def test_a_grant_naming_what_is_not_the_clients_is_refused(
    seeded: SqlStore, delegation: Delegation, coverage: str, target: str
) -> None:
    """Another client's item, an unknown item and an unknown service are refused alike; nothing written."""
    with pytest.raises(GrantTargetUnknown) as refused:
        grant(seeded, delegation, grantee_id="rep-family", coverage=coverage, target=target)
    assert refused.value.message("en") == GrantTargetUnknown().message("en")
    assert count_grants(seeded) == 0


def test_requests_and_changes_check_targets_too(seeded: SqlStore, delegation: Delegation) -> None:
    """A representative's request, and a change, naming another client's item are refused."""
    with seeded.unit_of_work() as uow, pytest.raises(GrantTargetUnknown):
        delegation.request(
            uow,
            rep_actor("rep-family"),
            client_id="client-1",
            scopes=["view_status"],
            coverage="item",
            target="app-9",
        )
    g = grant(seeded, delegation, grantee_id="rep-family", coverage="item", target="app-1")
    with seeded.unit_of_work() as uow, pytest.raises(GrantTargetUnknown):
        delegation.change(uow, client_actor(), g.grant_id, target="app-9")
    with seeded.unit_of_work() as uow:
        assert [x.target for x in delegation.grants(uow, client_actor())] == ["app-1"]


def test_a_known_service_and_the_clients_own_item_are_accepted(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """A declared service and one of the client's items are fine targets."""
    grant(seeded, delegation, grantee_id="rep-family", coverage="service", target="trv")
    grant(seeded, delegation, grantee_id="rep-staff", coverage="item", target="cit-1")
    assert count_grants(seeded) == 2


def test_no_service_grant_until_services_are_declared(
    seeded: SqlStore, clock: Any, verifier: Any
) -> None:
    """A delegation told of no services refuses service-wide grants (fail closed), then accepts declared ones."""
    bare = Delegation(clock=clock, licence_verifier=verifier)
    with pytest.raises(GrantTargetUnknown):
        grant(seeded, bare, grantee_id="rep-family", coverage="service", target="trv")
    bare.declare_services(["trv"])
    grant(seeded, bare, grantee_id="rep-family", coverage="service", target="trv")


# --- SEC-55: low-assurance delegates ------------------------------------------------------


def _low_rep(store: SqlStore, delegation: Delegation, *, credential: bool = True) -> str:
    with store.unit_of_work() as uow:
        uow.accounts.add(make_account("acct-rep-low"))
        if credential:
            link_credential(uow, "acct-rep-low", AssuranceLevel.LOW)
        delegation.register_representative(
            uow,
            Representative(
                representative_id="rep-low",
                kind="friend",
                display_name="Basic",
                account_id="acct-rep-low",
                created_at=NOW,
            ),
        )
        uow.commit()
    return "rep-low"


@pytest.mark.parametrize("credential", [True, False], ids=["low-credential", "no-credential"])
def test_sec_55_low_assurance_delegate_capped_at_twelve_months(
    seeded: SqlStore, delegation: Delegation, policy: Policy, clock: Any, credential: bool
) -> None:
    """An open-ended grant to a delegate who has only shown low assurance ends 12 months on, and is then refused as expired."""
    rep = _low_rep(seeded, delegation, credential=credential)
    g = grant(seeded, delegation, grantee_id=rep)
    assert g.valid_until == dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
    with seeded.unit_of_work() as uow:
        delegation.verify_consent(uow, g)
    low = rep_actor(rep)
    clock.set(g.valid_until - dt.timedelta(seconds=1))
    assert decide(seeded, policy, low, Action.VIEW_STATUS).allowed
    clock.set(g.valid_until)
    assert decide(seeded, policy, low, Action.VIEW_STATUS).reason == "expired"


def test_sec_55_a_longer_end_is_refused_and_twelve_months_accepted(
    seeded: SqlStore, delegation: Delegation
) -> None:
    """Thirteen months for a low-assurance delegate is refused (nothing written), on grant and on change; twelve is fine, and an open end becomes twelve."""
    rep = _low_rep(seeded, delegation)
    with pytest.raises(GrantTooLong) as refused:
        grant(seeded, delegation, grantee_id=rep, valid_until=add_months(NOW, 13))
    assert refused.value.params == {"months": 12}
    assert count_grants(seeded) == 0
    g = grant(seeded, delegation, grantee_id=rep, valid_until=add_months(NOW, 12))
    with seeded.unit_of_work() as uow, pytest.raises(GrantTooLong):
        delegation.change(uow, client_actor(), g.grant_id, valid_until=add_months(NOW, 13))
    with seeded.unit_of_work() as uow:
        opened = delegation.change(uow, client_actor(), g.grant_id, valid_until=None)
        uow.commit()
    assert opened.valid_until == add_months(NOW, 12)


def test_sec_55_a_low_assurance_representatives_request_is_capped(
    seeded: SqlStore, delegation: Delegation
) -> None:
    """A request from a low-assurance representative carries the 12-month end into its acceptance."""
    rep = _low_rep(seeded, delegation)
    with seeded.unit_of_work() as uow:
        pending = delegation.request(
            uow,
            rep_actor(rep),
            client_id="client-1",
            scopes=["view_status"],
            coverage="account",
        )
        accepted = delegation.accept(uow, client_actor(), pending.grant_id)
        uow.commit()
    assert pending.valid_until == accepted.valid_until == add_months(NOW, 12)


def test_sec_55_moderate_assurance_and_offices_are_not_capped(
    seeded: SqlStore, delegation: Delegation
) -> None:
    """A delegate with a moderate credential, and an organisation's grant, may stay open-ended."""
    assert grant(seeded, delegation, grantee_id="rep-family").valid_until is None
    with seeded.unit_of_work() as uow:
        delegation.add_organisation(
            uow, Organisation(organisation_id="mp", kind="mp_office", name="MP", created_at=NOW)
        )
        uow.commit()
    office = grant(seeded, delegation, grantee_id="mp", grantee_is_organisation=True)
    assert office.valid_until is None


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (dt.datetime(2026, 1, 31, 9, tzinfo=dt.UTC), 1, dt.datetime(2026, 2, 28, 9, tzinfo=dt.UTC)),
        (dt.datetime(2024, 2, 29, tzinfo=dt.UTC), 12, dt.datetime(2025, 2, 28, tzinfo=dt.UTC)),
        (
            dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC),
            12,
            dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC),
        ),
        (dt.datetime(2026, 11, 30, tzinfo=dt.UTC), 3, dt.datetime(2027, 2, 28, tzinfo=dt.UTC)),
    ],
)
def test_months_are_calendar_months(start: dt.datetime, months: int, end: dt.datetime) -> None:
    """Twelve months from a day is that day next year; a missing day becomes the month's last."""
    assert add_months(start, months) == end


# --- SEC-54: dependants -----------------------------------------------------------------------


def _family(store: SqlStore, *, born: str) -> None:
    with store.unit_of_work() as uow:
        uow.accounts.add(make_account("parent"))
        uow.accounts.add(make_account("child", born=born))
        uow.commit()


def _record(store: SqlStore, delegation: Delegation, officer: Actor = OFFICER) -> dt.datetime:
    with store.unit_of_work() as uow:
        adult = delegation.record_dependant(
            uow, officer, dependant_account_id="child", guardian_account_id="parent"
        )
        uow.commit()
    return adult


CHILD_TRV = Resource(client_id="child", service_id="trv")


def test_sec_54_a_guardians_appointment_ends_at_eighteen(
    seeded: SqlStore, delegation: Delegation, policy: Policy, clock: Any
) -> None:
    """A guardian appoints for a 17-year-old; the appointment ends on their 18th birthday, refused as expired after."""
    _family(seeded, born="2008-09-15")
    assert _record(seeded, delegation) == dt.datetime(2026, 9, 15, tzinfo=dt.UTC)
    g = grant(
        seeded,
        delegation,
        actor=client_actor("parent"),
        for_dependant="child",
        grantee_id="rep-family",
    )
    assert (g.client_account_id, g.valid_until) == (
        "child",
        dt.datetime(2026, 9, 15, tzinfo=dt.UTC),
    )
    with seeded.unit_of_work() as uow:
        delegation.verify_consent(uow, g)
        d = policy.authorize(rep_actor("rep-family"), Action.VIEW_STATUS, CHILD_TRV, uow=uow)
        uow.commit()
    assert d.allowed
    clock.set(dt.datetime(2026, 9, 15, tzinfo=dt.UTC))
    with seeded.unit_of_work() as uow:
        d = policy.authorize(rep_actor("rep-family"), Action.VIEW_STATUS, CHILD_TRV, uow=uow)
    assert (d.allowed, d.reason) == (False, "expired")


def test_sec_54_a_dependant_of_eighteen_needs_their_own_appointment(
    seeded: SqlStore, delegation: Delegation, policy: Policy, clock: Any
) -> None:
    """Past 18 the guardian can appoint no one for the dependant; the dependant appoints themself."""
    _family(seeded, born="2008-09-15")
    _record(seeded, delegation)
    with pytest.raises(DependantOfAge):
        grant(
            seeded,
            delegation,
            actor=client_actor("parent"),
            for_dependant="child",
            grantee_id="rep-family",
            valid_until=dt.datetime(2026, 9, 16, tzinfo=dt.UTC),
        )
    clock.set(dt.datetime(2026, 9, 15, tzinfo=dt.UTC))
    with pytest.raises(DependantOfAge):
        grant(
            seeded,
            delegation,
            actor=client_actor("parent", at=clock.now()),
            for_dependant="child",
            grantee_id="rep-family",
        )
    assert count_grants(seeded) == 0
    own = grant(
        seeded, delegation, actor=client_actor("child", at=clock.now()), grantee_id="rep-family"
    )
    assert own.valid_until is None
    with seeded.unit_of_work() as uow:
        d = policy.authorize(rep_actor("rep-family"), Action.VIEW_STATUS, CHILD_TRV, uow=uow)
    assert d.allowed


def test_sec_54_only_a_recorded_guardian_appoints_and_only_the_department_records(
    seeded: SqlStore, delegation: Delegation
) -> None:
    """A stranger cannot appoint for a dependant; only an officer records a guardian; an adult is not recorded."""
    _family(seeded, born="2008-09-15")
    with pytest.raises(DepartmentOnly):
        _record(seeded, delegation, officer=client_actor("parent"))
    with pytest.raises(NotPrincipal):
        grant(
            seeded,
            delegation,
            actor=client_actor("parent"),
            for_dependant="child",
            grantee_id="rep-family",
        )
    _record(seeded, delegation)
    for target in (None, "app-404"):
        # Someone else is refused before anything about the dependant's file is looked at.
        with pytest.raises(NotPrincipal):
            grant(
                seeded,
                delegation,
                actor=client_actor("client-2"),
                for_dependant="child",
                grantee_id="rep-family",
                coverage="account" if target is None else "item",
                target=target,
            )
    with seeded.unit_of_work() as uow:
        uow.accounts.add(make_account("grown", born="2000-01-01"))
        with pytest.raises(DependantOfAge):
            delegation.record_dependant(
                uow, OFFICER, dependant_account_id="grown", guardian_account_id="parent"
            )
    assert count_grants(seeded) == 0


def test_sec_54_the_guardian_lists_and_revokes_what_they_appointed(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """The guardian sees and revokes their appointment for the dependant; nobody else's list shows it."""
    _family(seeded, born="2010-01-01")
    _record(seeded, delegation)
    g = grant(
        seeded,
        delegation,
        actor=client_actor("parent"),
        for_dependant="child",
        grantee_id="rep-family",
    )
    with seeded.unit_of_work() as uow:
        assert [
            x.grant_id for x in delegation.grants(uow, client_actor("parent"), client_id="child")
        ] == [g.grant_id]
        assert delegation.grants(uow, client_actor("parent")) == []
        with pytest.raises(NotPrincipal):
            delegation.grants(uow, client_actor("client-2"), client_id="child")
        with pytest.raises(NotPrincipal):
            delegation.revoke(uow, client_actor("client-2"), g.grant_id)
        delegation.revoke(uow, client_actor("parent"), g.grant_id)
        uow.commit()
    with seeded.unit_of_work() as uow:
        d = policy.authorize(rep_actor("rep-family"), Action.VIEW_STATUS, CHILD_TRV, uow=uow)
    assert d.reason == "revoked"


def test_sec_54_a_guardians_consent_is_signed_by_the_guardian(
    seeded: SqlStore, delegation: Delegation
) -> None:
    """The appointment's evidence verifies under the guardian's key, and not once its terms change."""
    import attrs

    _family(seeded, born="2010-01-01")
    _record(seeded, delegation)
    g = grant(
        seeded,
        delegation,
        actor=client_actor("parent"),
        for_dependant="child",
        grantee_id="rep-family",
    )
    with seeded.unit_of_work() as uow:
        delegation.verify_consent(uow, g)
        with pytest.raises(DelegationError):
            delegation.verify_consent(uow, attrs.evolve(g, scopes=frozenset({"act"})))
        key_owner = uow.execute(
            sa.text("SELECT account_id FROM account_signing_keys WHERE key_id = :k"),
            "x",
            k=g.evidence.key_id,
        ).scalar_one()
    assert key_owner == "parent"


@pytest.mark.parametrize(
    ("born", "adult"),
    [
        (dt.date(2008, 9, 15), dt.datetime(2026, 9, 15, tzinfo=dt.UTC)),
        (dt.date(2008, 2, 29), dt.datetime(2026, 2, 28, tzinfo=dt.UTC)),
        (dt.date(2012, 2, 29), dt.datetime(2030, 2, 28, tzinfo=dt.UTC)),
    ],
)
def test_eighteen_is_the_start_of_the_birthday(born: dt.date, adult: dt.datetime) -> None:
    """Someone turns 18 at 00:00 UTC on their birthday; born on 29 February, on 28 February."""
    assert adult_at(born) == adult


# --- a firm's members --------------------------------------------------------------------------


def test_a_firm_takes_licensed_members_only(seeded: SqlStore, delegation: Delegation) -> None:
    """Adding someone who is not a licensed representative to a law firm is refused, nothing written."""
    from ircc_account.errors import LicenceInvalid

    with seeded.unit_of_work() as uow:
        delegation.add_organisation(
            uow, Organisation(organisation_id="firm", kind="law_firm", name="F", created_at=NOW)
        )
        for rep in ("rep-designated", "rep-family", "rep-mp"):
            with pytest.raises(LicenceInvalid):
                delegation.add_member(
                    uow,
                    Actor(actor_id="onboarding", capacity=Capacity.SYSTEM),
                    Membership(
                        organisation_id="firm",
                        representative_id=rep,
                        role="staff",
                        access_groups=["team"],
                        started_at=NOW,
                    ),
                )
        delegation.add_member(
            uow,
            Actor(actor_id="onboarding", capacity=Capacity.SYSTEM),
            Membership(
                organisation_id="firm",
                representative_id="rep-lawyer",
                role="staff",
                access_groups=["team"],
                started_at=NOW,
            ),
        )
        uow.commit()
    with seeded.unit_of_work(write=False) as uow:
        members = uow.execute(sa.text("SELECT representative_id FROM memberships"), "x").all()
    assert [m[0] for m in members] == ["rep-lawyer"]
