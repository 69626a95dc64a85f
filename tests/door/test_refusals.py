"""
Refusals at the door: a typed error in the user's language, exactly one
audit entry that outlives the caller's rollback, and nothing else changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from ircc_account import Actor, Capacity, FrontDoor
from ircc_account.audit import Decision, who_touched_my_file
from ircc_account.authz import Action, Resource
from ircc_account.delegation import Licence, Organisation
from ircc_account.errors import AuthorizationError, IrccAccountError, NotFound

from .conftest import OFFICER, Browser, Verifier, add_item


def _entries(door: FrontDoor, client_id: str) -> list[tuple[str, Decision, str]]:
    return [(r.action, r.decision, r.what) for r in who_touched_my_file(door.store, client_id)]


def _bilingual(error: IrccAccountError) -> None:
    assert error.message("en") and error.message("fr")
    assert error.message("en") != error.message("fr")


def test_a_refusal_inside_with_uow_leaves_exactly_one_entry(door: FrontDoor) -> None:
    """policy.require raising inside ``with uow:`` rolls the unit back but keeps its one record."""
    stranger = Actor(
        actor_id="rep-x", capacity=Capacity.REPRESENTATIVE, account_id="acct-x",
        representative_id="rep-x",
    )  # fmt: skip
    marie = "acct-marie"
    from ircc_account import ContactDetails, PersonalDetails
    from ircc_account.identity import ClientAccount

    with door.store.unit_of_work() as uow:
        uow.accounts.add(
            ClientAccount(
                account_id=marie,
                personal=PersonalDetails(family_name="Tremblay", date_of_birth="1990-04-02"),
                contact=ContactDetails(email="m@example.ca"),
                created_at=dt.datetime.now(dt.UTC),
            )
        )
        uow.commit()
    before = len(_entries(door, marie))
    with pytest.raises(AuthorizationError), door.store.unit_of_work() as uow:
        door.policy.require(stranger, Action.VIEW_STATUS, Resource(client_id=marie), uow=uow)
        uow.commit()  # never reached
    entries = _entries(door, marie)
    assert len(entries) == before + 1
    assert entries[0][:2] == ("authz.view_status", Decision.DENIED)


def test_a_forged_item_id_is_not_found_recorded_once(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """Another client's item or an unknown id: 'not found' alike, one entry in the asker's view of the file."""
    marie, ahmed = browser("marie"), browser("ahmed")
    marie_id, ahmed_id = marie.sign_up(), ahmed.sign_up()
    add_item(door, ahmed_id, "app-ahmed")
    before = len(_entries(door, marie_id))
    for forged in ("app-ahmed", "app-nothing"):
        with pytest.raises(NotFound) as e:
            door.item(marie.actor(), marie_id, forged)
        _bilingual(e.value)
    entries = _entries(door, marie_id)
    assert len(entries) == before + 2
    assert {(a, d) for a, d, _ in entries[:2]} == {("door.item.view", Decision.DENIED)}
    # Ahmed's file shows nothing of it, and his item is unchanged.
    assert all(d is Decision.ALLOWED for _, d, _ in _entries(door, ahmed_id))


def test_switching_to_a_client_outside_every_grant_changes_nothing(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """A refused act_for raises in both languages, records one entry, and leaves the session as it was."""
    marie, jean = browser("marie"), browser("jean")
    marie_id = marie.sign_up()
    jean.sign_up()
    door.onboarding.register_representative(jean.actor(), kind="friend", display_name="Jean")
    cookie = jean.cookie
    before = len(_entries(door, marie_id))
    with pytest.raises(AuthorizationError) as e:
        door.act_for(cookie, marie_id)
    _bilingual(e.value)
    assert e.value.params["reason"] == "no_grant"
    assert len(_entries(door, marie_id)) == before + 1
    assert door.identity.get_session(cookie).acting_for is None


def test_a_licence_that_lapses_mid_session_refuses_the_next_request(
    door: FrontDoor, browser: Callable[[str], Browser], verifier: Verifier
) -> None:
    """The body strikes the consultant off: his next page is refused ('licence'), recorded once."""
    marie, jean = browser("marie"), browser("jean")
    marie_id = marie.sign_up()
    add_item(door, marie_id, "app-marie")
    jean.sign_up()
    rep = door.onboarding.register_representative(
        jean.actor(),
        kind="consultant",
        display_name="Jean Roy, RCIC",
        licence=Licence(body="cicc", number="R700001", expires_on="2030-12-31"),
    )
    door.grants.give(
        marie.actor(), grantee_id=rep.representative_id, scopes=["view_status"], coverage="account"
    )
    jean.cookie = door.act_for(jean.cookie, marie_id).cookie_value
    door.item(jean.actor(), marie_id, "app-marie")
    verifier.struck_off.add("R700001")
    with door.store.unit_of_work() as uow:
        door.delegation.refresh_licence(uow, rep.representative_id)
        uow.commit()
    before = len(_entries(door, marie_id))
    with pytest.raises(AuthorizationError) as e:
        door.item(jean.actor(), marie_id, "app-marie")
    assert e.value.params["reason"] == "licence"
    _bilingual(e.value)
    entries = _entries(door, marie_id)
    assert len(entries) == before + 1
    assert entries[0][:2] == ("door.item.view", Decision.DENIED)


def test_staff_removed_from_the_office_mid_session_are_refused(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """The administrator removes Sam: his next page for the office's client is refused, recorded once."""
    marie, olivia, sam = browser("marie"), browser("olivia"), browser("sam")
    marie_id = marie.sign_up()
    add_item(door, marie_id, "app-marie")
    admin_id = olivia.sign_up()
    door.onboarding.onboard_organisation(
        OFFICER,
        Organisation(
            organisation_id="org-mp",
            kind="mp_office",
            name="Office of the MP for Nepean",
            created_at=dt.datetime.now(dt.UTC),
        ),
        administrator_account_id=admin_id,
        administrator_name="Olivia Chen",
    )
    sam.sign_up()
    code = door.onboarding.invite(
        olivia.actor(as_representative=True), "org-mp", access_groups=["casework"]
    ).code
    membership = door.onboarding.join(sam.actor(), code, display_name="Sam Martin")
    door.grants.give(
        marie.actor(),
        grantee_id="org-mp",
        grantee_is_organisation=True,
        access_group="casework",
        scopes=["view_status"],
        coverage="account",
    )
    sam.cookie = door.act_for(sam.cookie, marie_id).cookie_value
    door.item(sam.actor(), marie_id, "app-marie")
    door.onboarding.end_membership(
        olivia.actor(as_representative=True), "org-mp", membership.representative_id
    )
    before = len(_entries(door, marie_id))
    with pytest.raises(AuthorizationError) as e:
        door.item(sam.actor(), marie_id, "app-marie")
    # Nothing reaches him any more: no grant of his own, no current membership.
    assert e.value.params["reason"] == "no_grant"
    assert len(_entries(door, marie_id)) == before + 1
    assert door.clients(sam.actor(as_representative=True)) == []


def test_a_plugin_read_is_one_entry_with_reason_grant_and_correlation(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """Each gated read is recorded once, carrying the policy's reason, the grant used and the request's correlation id."""
    marie, jean = browser("marie"), browser("jean")
    marie_id = marie.sign_up()
    add_item(door, marie_id, "app-marie")
    jean.sign_up()
    rep = door.onboarding.register_representative(jean.actor(), kind="family", display_name="J")
    grant = door.grants.give(
        marie.actor(), grantee_id=rep.representative_id, scopes=["view_status"], coverage="account"
    )
    jean.cookie = door.act_for(jean.cookie, marie_id).cookie_value
    door.item(jean.actor(), marie_id, "app-marie", correlation_id="req-page-1")
    import sqlalchemy as sa

    from ircc_account._storage._schema_audit import audit_entries as t

    with door.store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.action, t.c.reason, t.c.grant_id, t.c.capacity, t.c.on_behalf_of)
            .where(t.c.correlation_id == "req-page-1")
            .order_by(t.c.seq)
        ).all()
    assert [r.action for r in rows] == ["door.item.view", "service.timeline.read"]
    assert all(r.reason == "grant" and r.grant_id == grant.grant_id for r in rows)
    assert rows[1].capacity == "plugin" and rows[1].on_behalf_of == rep.representative_id


def test_grant_changes_by_anyone_but_the_client_are_refused_and_recorded(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """A representative revoking or accepting the client's grant is refused, recorded in the client's history."""
    marie, jean = browser("marie"), browser("jean")
    marie_id = marie.sign_up()
    jean.sign_up()
    rep = door.onboarding.register_representative(jean.actor(), kind="family", display_name="J")
    grant = door.grants.give(
        marie.actor(), grantee_id=rep.representative_id, scopes=["view_status"], coverage="account"
    )
    before = len(_entries(door, marie_id))
    with pytest.raises(IrccAccountError) as e:
        door.grants.revoke(jean.actor(as_representative=True), grant.grant_id)
    _bilingual(e.value)
    entries = _entries(door, marie_id)
    assert len(entries) == before + 1
    assert entries[0][:2] == ("door.grant.revoke", Decision.DENIED)
    assert [g.status.value for g in door.grants.of(marie.actor(), marie_id)] == ["active"]


def test_a_session_for_an_erased_account_is_refused_once(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """Erasing an account ends its live session: the next request is a typed refusal, recorded once, and nothing else changes."""
    marie = browser("marie")
    marie_id = marie.sign_up()
    assert marie.session.client_id == marie_id
    with door.store.unit_of_work() as uow:
        uow.accounts.erase_personal_data(marie_id)
        uow.commit()
    before = len(_entries(door, marie_id))
    from ircc_account.errors import SessionExpired

    with pytest.raises(SessionExpired) as e:
        door.identity.get_session(marie.cookie)
    _bilingual(e.value)
    entries = _entries(door, marie_id)
    assert len(entries) == before + 1
    assert entries[0][:2] == ("session.refused", Decision.DENIED)
    with pytest.raises(SessionExpired):
        door.identity.get_session(marie.cookie)
    assert len(_entries(door, marie_id)) == before + 1


def test_switching_by_someone_who_is_no_representative_is_recorded_once(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """A plain client's act_for is refused (not_representative), kept once in the target client's history, and the session is unchanged."""
    marie, ahmed = browser("marie"), browser("ahmed")
    marie_id = marie.sign_up()
    ahmed.sign_up()
    cookie = ahmed.cookie
    before = len(_entries(door, marie_id))
    with pytest.raises(AuthorizationError) as e:
        door.act_for(cookie, marie_id)
    _bilingual(e.value)
    assert e.value.params["reason"] == "not_representative"
    entries = _entries(door, marie_id)
    assert len(entries) == before + 1
    assert entries[0][:2] == ("acting.begin", Decision.DENIED)
    line = door.history(marie.actor(), marie_id, refusals_only=True).records[0]
    assert line.reason == "they are not registered as a representative"
    assert door.identity.get_session(cookie).acting_for is None


@pytest.mark.parametrize("forged", ["' OR 1=1 --", "a" * 300, "app-\x00-1", ""])
def test_a_malformed_item_id_is_not_found_recorded_once_without_the_id(
    door: FrontDoor, browser: Callable[[str], Browser], forged: str
) -> None:
    """A malformed item id (injection, 300 characters, a NUL byte) is 'not found' on both databases, recorded once, without the id."""
    import sqlalchemy as sa

    from ircc_account._storage._schema_audit import audit_entries as t

    marie = browser("marie")
    marie_id = marie.sign_up()
    add_item(door, marie_id, "app-1")
    for attempt, call in enumerate(
        (
            lambda: door.item(marie.actor(), marie_id, forged, correlation_id="req-bad-0"),
            lambda: door.perform(
                marie.actor(), marie_id, forged, "ask", correlation_id="req-bad-1"
            ),
        )
    ):
        with pytest.raises(NotFound) as e:
            call()
        _bilingual(e.value)
        with door.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.c.action, t.c.decision, t.c.reason, t.c.item_id, t.c.client_id).where(
                    t.c.correlation_id == f"req-bad-{attempt}"
                )
            ).all()
        action = ("door.item.view", "door.item.perform")[attempt]
        assert [tuple(r) for r in rows] == [(action, "denied", "not_found", None, marie_id)]
