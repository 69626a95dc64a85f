"""
Representatives, organisations and consent grants: the rules of the delegation service.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from deleg_support import NOW, client_actor, make_account, rep_actor

from ircc_account._model import (
    Action,
    Capacity,
    GrantStatus,
    Membership,
    Organisation,
    Representative,
    Resource,
)
from ircc_account._model._authz import Actor
from ircc_account._model._delegation import Licence
from ircc_account._storage import SqlStore
from ircc_account.delegation import Delegation, Policy, WrittenConsent
from ircc_account.errors import (
    ConsentStale,
    DelegationError,
    GrantNotChangeable,
    LicenceInvalid,
    NotAdministrator,
    NotPrincipal,
    OrganisationCycle,
    OutOfRange,
    PaidRepresentativeExists,
    RequestLapsed,
    ScopeNotAllowed,
    SelfGrant,
    StepUpRequired,
    UnknownValue,
)

TRV = Resource(client_id="client-1", service_id="trv", item_id="app-1")


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


def allowed(store: SqlStore, policy: Policy, actor: Actor, action: Any, resource: Resource) -> bool:
    with store.unit_of_work() as uow:
        d = policy.authorize(actor, action, resource, uow=uow)
        uow.commit()
    return d.allowed


def test_grant_gives_the_scoped_access_and_nothing_more(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """An account grant for view_status allows viewing status and nothing else."""
    grant(seeded, delegation, grantee_id="rep-family")
    assert allowed(seeded, policy, rep_actor("rep-family"), Action.VIEW_STATUS, TRV)
    assert not allowed(seeded, policy, rep_actor("rep-family"), Action.SUBMIT_DOCUMENTS, TRV)
    other = Resource(client_id="client-2", service_id="trv", item_id="app-9")
    assert not allowed(seeded, policy, rep_actor("rep-family"), Action.VIEW_STATUS, other)


def test_sec_53_pending_request_gives_no_access(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """A representative's request gives no access until the client accepts it."""
    with seeded.unit_of_work() as uow:
        g = delegation.request(
            uow,
            rep_actor("rep-family"),
            client_id="client-1",
            scopes=["view_status"],
            coverage="account",
        )
        uow.commit()
    assert g.status is GrantStatus.PENDING
    assert not allowed(seeded, policy, rep_actor("rep-family"), Action.VIEW_STATUS, TRV)
    with seeded.unit_of_work() as uow:
        accepted = delegation.accept(uow, client_actor(), g.grant_id)
        uow.commit()
    assert accepted.status is GrantStatus.ACTIVE
    assert allowed(seeded, policy, rep_actor("rep-family"), Action.VIEW_STATUS, TRV)


def test_sec_53_acceptance_from_delegate_session_refused(
    seeded: SqlStore, delegation: Delegation
) -> None:
    """The representative's own session cannot accept their request."""
    with seeded.unit_of_work() as uow:
        g = delegation.request(
            uow,
            rep_actor("rep-family"),
            client_id="client-1",
            scopes=["view_status"],
            coverage="account",
        )
        uow.commit()
    for actor in (rep_actor("rep-family"), client_actor("client-2")):
        with seeded.unit_of_work() as uow, pytest.raises(NotPrincipal):
            delegation.accept(uow, actor, g.grant_id)


def test_sec_53_acceptance_after_seven_days_refused(
    seeded: SqlStore, delegation: Delegation, clock: Any
) -> None:
    """A request accepted after seven days has lapsed and is refused."""
    with seeded.unit_of_work() as uow:
        g = delegation.request(
            uow,
            rep_actor("rep-family"),
            client_id="client-1",
            scopes=["view_status"],
            coverage="account",
        )
        uow.commit()
    clock.advance(dt.timedelta(days=7))
    with seeded.unit_of_work() as uow:
        with pytest.raises(RequestLapsed):
            delegation.accept(uow, client_actor(at=clock.now()), g.grant_id)
        assert delegation.grants(uow, client_actor(at=clock.now()))[0].status is GrantStatus.LAPSED


def test_sec_54_unverified_paid_representative_refused(
    seeded: SqlStore, delegation: Delegation
) -> None:
    """A paid representative whose licence the body does not confirm cannot be registered."""
    with seeded.unit_of_work() as uow:
        uow.accounts.add(make_account("acct-rep-x"))
        with pytest.raises(LicenceInvalid):
            delegation.register_representative(
                uow,
                Representative(
                    representative_id="rep-x",
                    kind="consultant",
                    display_name="X",
                    account_id="acct-rep-x",
                    created_at=NOW,
                    licence=Licence(body="cicc", number="R999999", expires_on="2027-01-01"),
                ),
            )


def test_sec_54_second_paid_representative_refused(
    seeded: SqlStore, delegation: Delegation
) -> None:
    """A second paid representative on the same application is refused, and the first kept."""
    first = grant(
        seeded,
        delegation,
        grantee_id="rep-consultant",
        scopes=["act"],
        coverage="item",
        target="app-1",
    )
    with pytest.raises(PaidRepresentativeExists):
        grant(seeded, delegation, grantee_id="rep-lawyer", scopes=["act"], coverage="account")
    assert count_grants(seeded) == 1
    with seeded.unit_of_work() as uow:
        delegation.revoke(uow, client_actor(), first.grant_id)
        uow.commit()
    grant(seeded, delegation, grantee_id="rep-lawyer", scopes=["act"], coverage="account")


def test_sec_54_expired_licence_cannot_act(
    seeded: SqlStore, delegation: Delegation, policy: Policy, clock: Any
) -> None:
    """Once a paid representative's licence expires, their grant no longer works."""
    grant(seeded, delegation, grantee_id="rep-consultant", scopes=["act"], coverage="account")
    assert allowed(seeded, policy, rep_actor("rep-consultant"), Action.ACT, TRV)
    clock.set(dt.datetime(2027, 1, 1, 0, 0, tzinfo=dt.UTC))
    with seeded.unit_of_work() as uow:
        d = policy.authorize(rep_actor("rep-consultant"), Action.ACT, TRV, uow=uow)
    assert (d.allowed, d.reason) == (False, "licence")


def test_sec_54_licence_withdrawn_by_body_denies_next_request(
    seeded: SqlStore, delegation: Delegation, policy: Policy, verifier: Any
) -> None:
    """A licence the body withdraws stops the representative on the next request."""
    grant(seeded, delegation, grantee_id="rep-consultant", scopes=["act"], coverage="account")
    assert allowed(seeded, policy, rep_actor("rep-consultant"), Action.ACT, TRV)
    verifier.answers["R500001"] = (False, dt.date(2026, 12, 31))
    with seeded.unit_of_work() as uow:
        delegation.refresh_licence(uow, "rep-consultant")
        uow.commit()
    assert not allowed(seeded, policy, rep_actor("rep-consultant"), Action.ACT, TRV)


def test_sec_52_mp_office_status_enquiries_only(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """An MP office can be given status and enquiry access only, and reads nothing else."""
    with pytest.raises(ScopeNotAllowed):
        grant(
            seeded, delegation, grantee_id="rep-mp", scopes=["view_status", "view_decision_notes"]
        )
    grant(seeded, delegation, grantee_id="rep-mp", scopes=["view_status", "enquire"])
    mp = rep_actor("rep-mp")
    assert allowed(seeded, policy, mp, Action.VIEW_STATUS, TRV)
    assert allowed(seeded, policy, mp, Action.ENQUIRE, TRV)
    for action in (
        Action.VIEW_DECISION_NOTES,
        Action.SUBMIT_DOCUMENTS,
        Action.ACT,
        Action.VIEW_PROFILE,
    ):
        assert not allowed(seeded, policy, mp, action, TRV)


def test_sec_52_view_only_delegate_cannot_submit(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """A view-only delegate who tries to submit is denied for scope."""
    grant(
        seeded, delegation, grantee_id="rep-family", scopes=["view_status", "view_decision_notes"]
    )
    with seeded.unit_of_work() as uow:
        d = policy.authorize(rep_actor("rep-family"), Action.SUBMIT_DOCUMENTS, TRV, uow=uow)
    assert (d.allowed, d.reason) == (False, "scope")


@pytest.mark.parametrize("scopes", [["act"], ["submit_documents"], ["view_status", "act"]])
def test_designated_individual_acting_grant_refused(
    seeded: SqlStore, delegation: Delegation, scopes: list[str]
) -> None:
    """A grant that lets a designated individual act or submit is refused, and nothing written."""
    with pytest.raises(ScopeNotAllowed):
        grant(seeded, delegation, grantee_id="rep-designated", scopes=scopes)
    assert count_grants(seeded) == 0


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"scopes": ["view_everything"]}, UnknownValue),
        ({"scopes": ["view_status", "not a scope"]}, UnknownValue),
        ({"valid_from": NOW, "valid_until": NOW - dt.timedelta(seconds=1)}, OutOfRange),
        ({"grantee_id": "client-1"}, SelfGrant),
        ({"coverage": "item"}, Exception),
    ],
)
def test_bad_grants_are_typed_errors_and_write_nothing(
    seeded: SqlStore, delegation: Delegation, changes: dict[str, Any], error: type[Exception]
) -> None:
    """Scopes outside the vocabulary, reversed windows, self-grants and missing targets are refused."""
    kw: dict[str, Any] = {"grantee_id": "rep-family", **changes}
    with pytest.raises(error):
        grant(seeded, delegation, **kw)
    assert count_grants(seeded) == 0


def test_self_grant_through_own_representative_refused(
    seeded: SqlStore, delegation: Delegation
) -> None:
    """A client cannot grant to a representative profile that is their own login."""
    me = client_actor("acct-rep-family")
    with pytest.raises(SelfGrant):
        grant(seeded, delegation, grantee_id="rep-family", actor=me)
    assert count_grants(seeded) == 0


@pytest.mark.parametrize(("age", "ok"), [(90, True), (91, False), (-1, False)])
def test_sec_55_written_consent_date_window(
    seeded: SqlStore, delegation: Delegation, age: int, ok: bool
) -> None:
    """A written consent dated more than 90 days back, or in the future, is refused."""
    form = WrittenConsent(form=b"%PDF imm5476", signed_on=NOW.date() - dt.timedelta(days=age))
    if ok:
        g = grant(seeded, delegation, grantee_id="rep-family", written_consent=form)
        assert g.evidence is not None and g.evidence.signed_on == form.signed_on
    else:
        with pytest.raises(ConsentStale):
            grant(seeded, delegation, grantee_id="rep-family", written_consent=form)
        assert count_grants(seeded) == 0


def test_sec_55_end_date_honoured_to_the_second(
    seeded: SqlStore, delegation: Delegation, policy: Policy, clock: Any
) -> None:
    """A grant works one second before its end and is denied at the end."""
    grant(seeded, delegation, grantee_id="rep-family", valid_until=NOW + dt.timedelta(hours=1))
    clock.set(NOW + dt.timedelta(hours=1) - dt.timedelta(seconds=1))
    assert allowed(seeded, policy, rep_actor("rep-family"), Action.VIEW_STATUS, TRV)
    clock.set(NOW + dt.timedelta(hours=1))
    assert not allowed(seeded, policy, rep_actor("rep-family"), Action.VIEW_STATUS, TRV)


def test_sec_57_delegate_cannot_create_change_or_revoke_grants(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """A delegate calling the grant APIs is refused, and their access is unchanged."""
    g = grant(seeded, delegation, grantee_id="rep-family")
    rep = rep_actor("rep-family", auth_time=NOW)
    with seeded.unit_of_work() as uow:
        with pytest.raises(NotPrincipal):
            delegation.grant(uow, rep, grantee_id="rep-staff", scopes=["act"], coverage="account")
        with pytest.raises(NotPrincipal):
            delegation.change(uow, rep, g.grant_id, scopes=["act"], valid_until=None)
        with pytest.raises(NotPrincipal):
            delegation.revoke(uow, rep, g.grant_id)
        with pytest.raises(NotPrincipal):
            delegation.grants(uow, rep)
    assert not allowed(seeded, policy, rep_actor("rep-family"), Action.ACT, TRV)
    with seeded.unit_of_work() as uow:
        assert policy.authorize(rep, Action.MANAGE_GRANTS, TRV, uow=uow).allowed is False


def test_sec_40_stale_login_cannot_grant(seeded: SqlStore, delegation: Delegation) -> None:
    """Granting with a login older than fifteen minutes asks for step-up and writes nothing."""
    with pytest.raises(StepUpRequired):
        grant(seeded, delegation, grantee_id="rep-family", actor=client_actor(fresh=False))
    assert count_grants(seeded) == 0


def test_change_makes_a_new_signed_version(
    seeded: SqlStore, delegation: Delegation, policy: Policy
) -> None:
    """Changing a grant bumps its version, keeps the old one, and re-signs the consent."""
    g = grant(seeded, delegation, grantee_id="rep-family")
    with seeded.unit_of_work() as uow:
        new = delegation.change(uow, client_actor(), g.grant_id, scopes=["view_status", "enquire"])
        delegation.verify_consent(uow, new)
        with pytest.raises(DelegationError):
            delegation.verify_consent(uow, attrs.evolve(new, scopes=frozenset({"act"})))
        uow.commit()
    assert new.version == 2
    with seeded.unit_of_work(write=False) as uow:
        old = uow.execute(sa.text("SELECT version, scopes FROM consent_grant_versions"), "x").all()
    assert [tuple(r) for r in old] == [(1, "view_status")]
    assert allowed(seeded, policy, rep_actor("rep-family"), Action.ENQUIRE, TRV)


def test_sec_56_client_sees_and_revokes_every_grant(
    seeded: SqlStore, delegation: Delegation
) -> None:
    """The client lists all their grants and can revoke each; other clients' grants never show."""
    a = grant(seeded, delegation, grantee_id="rep-family")
    b = grant(seeded, delegation, grantee_id="rep-mp")
    grant(seeded, delegation, grantee_id="rep-family", actor=client_actor("client-2"))
    with seeded.unit_of_work() as uow:
        listed = delegation.grants(uow, client_actor())
        assert {g.grant_id for g in listed} == {a.grant_id, b.grant_id}
        for g in listed:
            delegation.revoke(uow, client_actor(fresh=False), g.grant_id)
        with pytest.raises(GrantNotChangeable):
            delegation.revoke(uow, client_actor(), a.grant_id)
        uow.commit()
    with seeded.unit_of_work() as uow:
        assert {g.status for g in delegation.grants(uow, client_actor())} == {GrantStatus.REVOKED}


def test_client_is_told_of_every_grant_event(
    seeded: SqlStore, delegation: Delegation, policy: Policy, events: Any
) -> None:
    """Created, changed, first used (once) and revoked events reach the client, after commit."""
    g = grant(seeded, delegation, grantee_id="rep-family")
    with seeded.unit_of_work() as uow:
        delegation.change(uow, client_actor(), g.grant_id, scopes=["view_status", "enquire"])
        assert [e[0] for e in events.seen] == ["created"]
        uow.commit()
    for _ in range(2):
        assert allowed(seeded, policy, rep_actor("rep-family"), Action.VIEW_STATUS, TRV)
    with seeded.unit_of_work() as uow:
        delegation.revoke(uow, client_actor(), g.grant_id)
        uow.commit()
    assert [e[0] for e in events.seen] == ["created", "changed", "first_used", "revoked"]
    assert {e[1] for e in events.seen} == {"client-1"}


def test_organisation_cycles_refused(seeded: SqlStore, delegation: Delegation) -> None:
    """An organisation cannot be moved under itself or under its own branch."""
    with seeded.unit_of_work() as uow:
        delegation.add_organisation(
            uow, Organisation(organisation_id="firm", kind="law_firm", name="F", created_at=NOW)
        )
        delegation.add_organisation(
            uow,
            Organisation(
                organisation_id="branch",
                kind="law_firm",
                name="B",
                parent_id="firm",
                created_at=NOW,
            ),
        )
        delegation.add_organisation(
            uow,
            Organisation(
                organisation_id="desk",
                kind="law_firm",
                name="D",
                parent_id="branch",
                created_at=NOW,
            ),
        )
        with pytest.raises(OrganisationCycle):
            delegation.move_organisation(uow, "firm", "desk")
        with pytest.raises(OrganisationCycle):
            delegation.move_organisation(uow, "firm", "firm")
        delegation.move_organisation(uow, "desk", "firm")
        uow.commit()


def test_only_an_administrator_manages_members(seeded: SqlStore, delegation: Delegation) -> None:
    """Staff cannot add members; an administrator of the office can."""
    system = Actor(actor_id="onboarding", capacity=Capacity.SYSTEM)
    with seeded.unit_of_work() as uow:
        delegation.add_organisation(
            uow,
            Organisation(organisation_id="mp-office", kind="mp_office", name="MP", created_at=NOW),
        )
        delegation.add_member(
            uow,
            system,
            Membership(
                organisation_id="mp-office",
                representative_id="rep-mp",
                role="administrator",
                started_at=NOW,
            ),
        )
        delegation.add_member(
            uow,
            system,
            Membership(
                organisation_id="mp-office",
                representative_id="rep-staff",
                role="staff",
                access_groups=["east"],
                started_at=NOW,
            ),
        )
        with pytest.raises(NotAdministrator):
            delegation.add_member(
                uow,
                rep_actor("rep-staff"),
                Membership(
                    organisation_id="mp-office",
                    representative_id="rep-family",
                    role="administrator",
                    started_at=NOW,
                ),
            )
        delegation.add_member(
            uow,
            rep_actor("rep-mp"),
            Membership(
                organisation_id="mp-office",
                representative_id="rep-family",
                role="staff",
                started_at=NOW,
            ),
        )
        uow.commit()
