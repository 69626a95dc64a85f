"""
The kit's strategies for credentials, representatives, organisations,
memberships and consent grants, used against a real front door's store,
delegation and policy, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ircc_account import Actor, AssuranceLevel, FrontDoor, FrozenClock
from ircc_account._model import Action, Capacity, ContactDetails, Resource
from ircc_account.delegation import (
    ConsentGrant,
    GrantStatus,
    MembershipRole,
    OrganisationKind,
    RepresentativeKind,
)
from ircc_account.delegation import _repo as grants_repo
from ircc_account.errors import Conflict, LicenceInvalid, PaidRepresentativeExists
from ircc_account.testing import LicencesInGoodStanding
from ircc_account.testing.strategies import (
    GRANT_WINDOWS,
    accounts,
    consent_grants,
    credentials,
    memberships,
    organisations,
    overlapping_grants,
    representatives,
)

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    # Shrinking against a database is slow; the failing example is printed as found.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PAID = [k for k in RepresentativeKind if k.is_paid]
UNPAID = [k for k in RepresentativeKind if not k.is_paid]
SYSTEM = Actor(actor_id="system-test", capacity=Capacity.SYSTEM)
_numbers = itertools.count(1)


@pytest.fixture
def front_door_url(database_url: str) -> str:
    """Every door of this module opens on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
def verifier() -> LicencesInGoodStanding:
    return LicencesInGoodStanding(clock=FrozenClock(NOW))


@pytest.fixture
def door(make_front_door: Any, verifier: LicencesInGoodStanding) -> FrontDoor:
    door: FrontDoor = make_front_door(clock=FrozenClock(NOW), licence_verifier=verifier)
    door.delegation.declare_services(["trv"])
    return door


def fresh(prefix: str) -> str:
    """An id no other example of the session used (the database outlives examples)."""
    return f"{prefix}-{next(_numbers)}"


def add_account(door: FrontDoor, data: st.DataObject, *, credential: bool = True) -> str:
    """A client account, with a moderate-assurance credential linked."""
    account_id = fresh("acc")
    with door.store.unit_of_work() as uow:
        account = data.draw(accounts(account_id=st.just(account_id)))
        # Emails and UCIs are unique in the store, which outlives the examples.
        contact = ContactDetails(email=f"{account_id}@example.ca")
        uow.accounts.add(attrs.evolve(account, contact=contact, uci=None))
        if credential:
            uow.credentials.link(
                data.draw(
                    credentials(
                        account_id=account_id,
                        issuer=f"https://idp-{account_id}.example",
                        assurance=AssuranceLevel.MODERATE,
                    )
                )
            )
        uow.commit()
    return account_id


def add_representative(door: FrontDoor, data: st.DataObject, kinds: list[Any]) -> Any:
    account_id = add_account(door, data)
    rep = data.draw(
        representatives(
            account_id=account_id,
            representative_id=fresh("rep"),
            kind=st.sampled_from(kinds),
            licensed_on=NOW.date(),
        )
    )
    with door.store.unit_of_work() as uow:
        door.delegation.register_representative(uow, rep)
        uow.commit()
    return rep


def rep_actor(rep: Any) -> Actor:
    return Actor(
        actor_id=rep.representative_id,
        capacity=Capacity.REPRESENTATIVE,
        account_id=rep.account_id,
        representative_id=rep.representative_id,
        assurance=AssuranceLevel.MODERATE,
        auth_time=NOW,
    )


def same_terms(a: ConsentGrant, b: ConsentGrant) -> bool:
    keep = ("grantee_id", "scopes", "coverage", "target", "valid_from", "valid_until", "status")
    return all(getattr(a, k) == getattr(b, k) for k in keep)


@SETTINGS
@given(data=st.data())
def test_linked_credentials_read_back_and_stay_unique(door: FrontDoor, data: st.DataObject) -> None:
    """Every credential of credentials() links, reads back equal by (issuer, subject) and by account, and a second link of the same login is a Conflict."""
    account_id = add_account(door, data, credential=False)
    issuer = f"https://idp-{fresh('iss')}.example"
    linked = data.draw(
        st.lists(
            credentials(account_id=account_id, issuer=issuer),
            min_size=1,
            max_size=3,
            unique_by=lambda c: c.subject,
        )
    )
    with door.store.unit_of_work() as uow:
        for credential in linked:
            uow.credentials.link(credential)
        uow.commit()
    other = add_account(door, data, credential=False)
    with door.store.unit_of_work() as uow:
        for credential in linked:
            assert uow.credentials.find(credential.issuer, credential.subject) == credential
        assert set(uow.credentials.for_account(account_id)) == set(linked)
        again = attrs.evolve(linked[0], account_id=other)
        with pytest.raises(Conflict):
            uow.credentials.link(again)


@SETTINGS
@given(data=st.data())
def test_representatives_of_every_kind_register_and_read_back(
    door: FrontDoor, data: st.DataObject
) -> None:
    """Each representative of representatives() registers with its licence confirmed and reads back with the same kind, name and licence."""
    rep = add_representative(door, data, list(RepresentativeKind))
    assert (rep.licence is not None) == rep.kind.is_paid
    with door.store.unit_of_work() as uow:
        back = door.delegation.representative_for_account(uow, rep.account_id)
    assert back is not None
    assert (back.representative_id, back.kind, back.display_name) == (
        rep.representative_id,
        rep.kind,
        rep.display_name,
    )
    if rep.licence is not None:
        assert back.licence is not None
        assert (back.licence.body, back.licence.number, back.licence.expires_on) == (
            rep.licence.body,
            rep.licence.number,
            rep.licence.expires_on,
        )


@SETTINGS
@given(data=st.data())
def test_a_paid_representative_whose_licence_is_struck_off_is_refused(
    door: FrontDoor, verifier: LicencesInGoodStanding, data: st.DataObject
) -> None:
    """A paid representative of representatives() whose body no longer confirms the licence is refused, and nothing is written."""
    account_id = add_account(door, data)
    rep = data.draw(
        representatives(account_id=account_id, kind=st.sampled_from(PAID), licensed_on=NOW.date())
    )
    rep = attrs.evolve(rep, representative_id=fresh("rep"))
    verifier.struck_off.add(rep.licence.number)
    with door.store.unit_of_work() as uow, pytest.raises(LicenceInvalid):
        door.delegation.register_representative(uow, rep)
    with door.store.unit_of_work() as uow:
        assert door.delegation.representative_for_account(uow, account_id) is None


@SETTINGS
@given(data=st.data())
def test_memberships_reach_an_organisations_grants_until_they_end(
    door: FrontDoor, data: st.DataObject
) -> None:
    """An organisation's grant reaches a member of memberships() exactly while the membership is current and its role or access group matches."""
    org = data.draw(organisations(organisation_id=fresh("org")))
    paid_org = org.kind in (OrganisationKind.LAW_FIRM, OrganisationKind.CONSULTANCY)
    rep = add_representative(door, data, PAID if paid_org else UNPAID)
    groups = ["grp-a", "grp-b"]
    member = data.draw(
        memberships(
            organisation_id=org.organisation_id,
            representative_id=rep.representative_id,
            now=NOW,
            access_groups=groups,
        )
    )
    client = add_account(door, data)
    group = data.draw(st.sampled_from([None, *groups]))
    grant = data.draw(
        consent_grants(
            client_account_id=client,
            grantee_id=org.organisation_id,
            grantee_is_organisation=True,
            access_group=group,
            grant_id=fresh("grt"),
            now=NOW,
            scopes=["view_status"],
        )
    )
    with door.store.unit_of_work() as uow:
        door.delegation.add_organisation(uow, org)
        door.delegation.add_member(uow, SYSTEM, member)
        grants_repo.add_grant(uow, grant, paid=paid_org)
        uow.commit()
    with door.store.unit_of_work() as uow:
        current = door.delegation.memberships(uow, rep, NOW)
        reaching = door.delegation.grants_reaching(uow, rep_actor(rep), client)
    assert (member in current) == (member.ended_at is None)
    matches = (group is None and member.role is MembershipRole.ADMINISTRATOR) or (
        group in member.access_groups
    )
    assert [g.grant_id for g in reaching] == (
        [grant.grant_id] if member.ended_at is None and matches else []
    )


@SETTINGS
@given(data=st.data())
def test_the_policy_allows_a_grant_exactly_inside_its_window_and_while_active(
    door: FrontDoor, data: st.DataObject
) -> None:
    """For grants of consent_grants() of every window and status, the policy lets the grantee view the client's status exactly when the grant is active at now and holds that scope."""
    rep = add_representative(door, data, [RepresentativeKind.FAMILY, RepresentativeKind.FRIEND])
    client = add_account(door, data)
    grant = data.draw(
        consent_grants(
            client_account_id=client,
            grantee_id=rep.representative_id,
            grant_id=fresh("grt"),
            now=NOW,
            window=None,
            status=None,
            scopes=["view_status", "enquire"],
            services=["trv"],
        )
    )
    in_force = grant.is_active_at(NOW) and "view_status" in grant.scopes
    assert grant.is_active_at(NOW) == (
        grant.status is GrantStatus.ACTIVE
        and grant.valid_from <= NOW
        and (grant.valid_until is None or grant.valid_until > NOW)
    )
    with door.store.unit_of_work() as uow:
        grants_repo.add_grant(uow, grant, paid=False)
        uow.commit()
    with door.store.unit_of_work() as uow:
        decision = door.policy.authorize(
            rep_actor(rep),
            Action.VIEW_STATUS,
            Resource(client_id=client, service_id="trv"),
            uow=uow,
        )
        uow.commit()
    assert decision.allowed == in_force
    if in_force:
        assert decision.grant_id == grant.grant_id


@pytest.mark.parametrize("window", GRANT_WINDOWS)
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_each_window_is_what_it_says(window: str, data: st.DataObject) -> None:
    """consent_grants(window=...) draws grants in force at now, ended by now, or starting after now, as asked."""
    grant = data.draw(
        consent_grants(client_account_id="c1", grantee_id="r1", now=NOW, window=window)
    )
    assert grant.status is GrantStatus.ACTIVE
    if window == "current":
        assert grant.is_active_at(NOW)
    elif window == "expired":
        assert grant.valid_until is not None and grant.valid_until <= NOW
    else:
        assert grant.valid_from > NOW


@SETTINGS
@given(data=st.data())
def test_a_second_paid_grant_that_overlaps_is_refused(door: FrontDoor, data: st.DataObject) -> None:
    """A grant of overlapping_grants() to a second paid representative is refused (one paid representative per application, SEC-54), and nothing is written."""
    first_rep = add_representative(door, data, PAID)
    second_rep = add_representative(door, data, PAID)
    client = add_account(door, data)
    first = data.draw(
        consent_grants(
            client_account_id=client,
            grantee_id=first_rep.representative_id,
            grant_id=fresh("grt"),
            now=NOW,
            services=["trv"],
        )
    )
    second = data.draw(overlapping_grants(grant=first, grantee_id=second_rep.representative_id))
    with door.store.unit_of_work() as uow:
        grants_repo.add_grant(uow, first, paid=True)
        uow.commit()
    the_client = Actor(
        actor_id=client,
        capacity=Capacity.CLIENT,
        account_id=client,
        assurance=AssuranceLevel.MODERATE,
        auth_time=NOW,
    )
    with door.store.unit_of_work() as uow, pytest.raises(PaidRepresentativeExists):
        door.delegation.grant(
            uow,
            the_client,
            grantee_id=second.grantee_id,
            scopes=second.scopes,
            coverage=second.coverage,
            target=second.target,
            valid_from=second.valid_from,
            valid_until=second.valid_until,
        )
    with door.store.unit_of_work() as uow:
        held = door.delegation.grants_reaching(uow, rep_actor(second_rep), client)
    assert held == []
