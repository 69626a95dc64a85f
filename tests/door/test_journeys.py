"""
The journeys the front door exists for, through the door alone, on SQLite and
PostgreSQL, with real logins at the development provider: a licensed
consultant and an MP office's staff log in, list their clients, open a
client's item and act within their grant; the client sees each access and
each refusal in their history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from ircc_account import Capacity, FrontDoor
from ircc_account.audit import Decision
from ircc_account.delegation import Licence, Organisation
from ircc_account.errors import AuthorizationError, NotFound

from .conftest import OFFICER, Browser, add_item


def _onboard_office(door: FrontDoor, admin: Browser, *staff: tuple[Browser, str]) -> None:
    """The department registers an MP's office; its administrator invites the staff."""
    admin_id = admin.sign_up()
    door.onboarding.onboard_organisation(
        OFFICER,
        Organisation(
            organisation_id="org-mp-ottawa-centre",
            kind="mp_office",
            name="Office of the MP for Ottawa Centre",
            created_at=dt.datetime.now(dt.UTC),
        ),
        administrator_account_id=admin_id,
        administrator_name="Olivia Chen",
    )
    for person, group in staff:
        person.sign_up()
        invitation = door.onboarding.invite(
            admin.actor(as_representative=True),
            "org-mp-ottawa-centre",
            role="staff",
            access_groups=[group],
        )
        door.onboarding.join(person.actor(), invitation.code, display_name=person.username.title())


def test_a_consultant_and_mp_staff_act_within_their_grants_and_the_client_sees_it_all(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """Representatives and office staff act through the door alone; every access and refusal reaches the client's history."""
    marie, jean = browser("marie"), browser("jean")
    sam, pat, olivia = browser("sam"), browser("pat"), browser("olivia")
    marie_id = marie.sign_up()
    add_item(door, marie_id, "app-marie")

    # A licensed consultant registers themself, and Marie appoints him.
    jean.sign_up()
    consultant = door.onboarding.register_representative(
        jean.actor(),
        kind="consultant",
        display_name="Jean Roy, RCIC",
        licence=Licence(body="cicc", number="R512345", expires_on="2030-12-31"),
    )
    door.grants.give(
        marie.actor(),
        grantee_id=consultant.representative_id,
        scopes=["view_status", "act"],
        coverage="account",
    )
    # The MP's office: Sam works the east riding, Pat the west; Marie's
    # consent reaches the east group only, for status enquiries.
    _onboard_office(door, olivia, (sam, "riding-east"), (pat, "riding-west"))
    door.grants.give(
        marie.actor(),
        grantee_id="org-mp-ottawa-centre",
        grantee_is_organisation=True,
        access_group="riding-east",
        scopes=["view_status", "enquire"],
        coverage="account",
    )

    # The consultant: his clients, switch, the item, an action.
    jean_rep = jean.actor(as_representative=True)
    assert [c.client_id for c in door.clients(jean_rep)] == [marie_id]
    assert door.clients(jean_rep)[0].name == "Test Marie"
    jean.cookie = door.act_for(jean.cookie, marie_id).cookie_value
    assert jean.session.acting_for == marie_id
    acting = jean.actor()
    assert acting.capacity is Capacity.REPRESENTATIVE
    page = door.item(acting, marie_id, "app-marie")
    assert [e.kind.value for e in page.timeline] == ["submitted"]
    assert {a.action for a in page.actions} == {"withdraw"}
    result = door.perform(acting, marie_id, "app-marie", "withdraw")
    assert result.ok and result.item is not None and result.item.state.value == "withdrawn"

    # Sam, in the right access group: sees Marie, may look, may not withdraw.
    sam_rep = sam.actor(as_representative=True)
    assert [c.client_id for c in door.clients(sam_rep)] == [marie_id]
    assert door.clients(sam_rep)[0].organisation_id == "org-mp-ottawa-centre"
    sam.cookie = door.act_for(sam.cookie, marie_id).cookie_value
    page = door.item(sam.actor(), marie_id, "app-marie")
    assert {a.action for a in page.actions} == {"ask"}
    with pytest.raises(AuthorizationError) as refused:
        door.perform(sam.actor(), marie_id, "app-marie", "withdraw")
    assert refused.value.params["reason"] == "not_offered"
    asked = door.perform(sam.actor(), marie_id, "app-marie", "ask", correlation_id="req-sam-ask")
    assert asked.ok

    # Pat, in the other group: no clients, and switching to Marie is refused.
    pat_rep = pat.actor(as_representative=True)
    assert door.clients(pat_rep) == []
    with pytest.raises(AuthorizationError):
        door.act_for(pat.cookie, marie_id)
    with pytest.raises(NotFound):
        door.item(pat_rep, marie_id, "app-unknown")

    # Marie reads it all in her history, in both languages.
    history = door.history(marie.actor(), marie_id)
    lines = [(r.action, r.decision, r.capacity) for r in history]
    assert ("door.item.view", Decision.ALLOWED, Capacity.REPRESENTATIVE) in lines
    # Each allowed action is one line, named after the person's own access
    # (the service's write for them is part of it).
    performed = [r for r in history if r.action == "door.item.perform"]
    allowed = [r for r in performed if r.decision is Decision.ALLOWED]
    assert len(allowed) == 2
    assert {r.who for r in allowed} == {
        "Your representative Jean Roy, RCIC",
        "Your representative Sam (Office of the MP for Ottawa Centre)",
    }
    assert all(r.basis and r.item_id == "app-marie" for r in allowed)
    sams = next(r for r in allowed if "Sam" in r.who)
    assert "Office of the MP for Ottawa Centre" in sams.basis
    assert ("door.item.perform", Decision.DENIED, Capacity.REPRESENTATIVE) in lines
    assert ("acting.begin", Decision.DENIED, Capacity.REPRESENTATIVE) in lines
    assert ("door.item.view", Decision.DENIED, Capacity.REPRESENTATIVE) in lines
    who = {r.who for r in history if r.capacity is Capacity.REPRESENTATIVE}
    assert "Your representative Jean Roy, RCIC" in who
    assert "Your representative Sam (Office of the MP for Ottawa Centre)" in who
    french = door.history(marie.actor(), marie_id, language="fr")
    assert any(r.who.startswith("Votre représentant Jean Roy") for r in french)

    # The refusals name their reason; allowed accesses name the grant they used.
    views = [r for r in history if r.action == "door.item.view" and r.decision is Decision.ALLOWED]
    assert len(views) == 2


def test_a_revoked_grant_refuses_the_representatives_next_request(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """Revoking through the door refuses the consultant's very next page, and both show in the history."""
    marie, jean = browser("marie"), browser("jean")
    marie_id = marie.sign_up()
    add_item(door, marie_id, "app-marie")
    jean.sign_up()
    rep = door.onboarding.register_representative(
        jean.actor(), kind="family", display_name="Jean (brother)"
    )
    grant = door.grants.give(
        marie.actor(), grantee_id=rep.representative_id, scopes=["view_status"], coverage="account"
    )
    jean.cookie = door.act_for(jean.cookie, marie_id).cookie_value
    door.item(jean.actor(), marie_id, "app-marie")
    door.grants.revoke(marie.actor(), grant.grant_id)
    with pytest.raises(AuthorizationError) as refused:
        door.item(jean.actor(), marie_id, "app-marie")
    assert refused.value.params["reason"] == "revoked"
    assert door.clients(jean.actor(as_representative=True)) == []
    history = door.history(marie.actor(), marie_id)
    assert [r.decision for r in history if r.action == "door.item.view"] == [
        Decision.DENIED,
        Decision.ALLOWED,
    ]
    assert any(r.action == "grant.revoked" for r in history)
