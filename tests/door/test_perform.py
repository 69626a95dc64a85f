"""
Acting on an item through the door: the policy is asked about the offer's
scope on that very item, the decision is recorded once (allowed or refused),
and a grant for one item gives nothing on another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from ircc_account import FrontDoor
from ircc_account._storage._schema_audit import audit_entries as t
from ircc_account.errors import AuthorizationError

from .conftest import Browser, add_item


def _by_correlation(door: FrontDoor, correlation_id: str) -> list[Any]:
    with door.store.engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(t.c.action, t.c.decision, t.c.reason, t.c.grant_id, t.c.item_id)
                .where(t.c.correlation_id == correlation_id)
                .order_by(t.c.seq)
            ).all()
        )


def _family(door: FrontDoor, marie: Browser, jean: Browser) -> str:
    jean.sign_up()
    rep = door.onboarding.register_representative(
        jean.actor(), kind="family", display_name="Jean (brother)"
    )
    return rep.representative_id


def test_an_item_grant_offers_nothing_on_another_item_and_acting_there_is_refused_once(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """A grant to act on app-1 offers no action on app-2, and performing there is refused and recorded once."""
    marie, jean = browser("marie"), browser("jean")
    marie_id = marie.sign_up()
    add_item(door, marie_id, "app-1")
    add_item(door, marie_id, "app-2")
    rep_id = _family(door, marie, jean)
    door.grants.give(
        marie.actor(),
        grantee_id=rep_id,
        scopes=["view_status", "act"],
        coverage="item",
        target="app-1",
    )
    door.grants.give(marie.actor(), grantee_id=rep_id, scopes=["view_status"], coverage="account")
    jean.cookie = door.act_for(jean.cookie, marie_id).cookie_value
    acting = jean.actor()
    assert {a.action for a in door.item(acting, marie_id, "app-1").actions} == {"withdraw"}
    assert door.item(acting, marie_id, "app-2").actions == ()
    with pytest.raises(AuthorizationError) as refused:
        door.perform(acting, marie_id, "app-2", "withdraw", correlation_id="req-forged")
    assert refused.value.params["reason"] == "not_offered"
    rows = _by_correlation(door, "req-forged")
    assert [(r.action, r.decision) for r in rows] == [("door.item.perform", "denied")]
    page = door.item(marie.actor(), marie_id, "app-2")
    assert page.item.state.value == "in_progress"


def test_an_allowed_perform_is_one_entry_with_its_grant_and_correlation(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """An allowed action leaves exactly one door.item.perform entry, naming the grant and the request."""
    marie, jean = browser("marie"), browser("jean")
    marie_id = marie.sign_up()
    add_item(door, marie_id, "app-1")
    rep_id = _family(door, marie, jean)
    grant = door.grants.give(
        marie.actor(), grantee_id=rep_id, scopes=["view_status", "act"], coverage="account"
    )
    jean.cookie = door.act_for(jean.cookie, marie_id).cookie_value
    result = door.perform(jean.actor(), marie_id, "app-1", "withdraw", correlation_id="req-act")
    assert result.ok
    rows = _by_correlation(door, "req-act")
    door_rows = [r for r in rows if r.action.startswith("door.")]
    assert [(r.action, r.decision, r.reason) for r in door_rows] == [
        ("door.item.perform", "allowed", "grant")
    ]
    assert door_rows[0].grant_id == grant.grant_id and door_rows[0].item_id == "app-1"
    # The rest is the service's own write through its gate.
    assert [r.action for r in rows if not r.action.startswith("door.")] == ["service.item.update"]


def test_a_client_acting_on_their_own_item_is_recorded_once(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """The client's own action on their item is one allowed door.item.perform entry."""
    marie = browser("marie")
    marie_id = marie.sign_up()
    add_item(door, marie_id, "app-1")
    door.perform(marie.actor(), marie_id, "app-1", "ask", correlation_id="req-own")
    rows = _by_correlation(door, "req-own")
    assert [(r.action, r.decision) for r in rows] == [("door.item.perform", "allowed")]


def test_a_refused_scope_on_an_offered_action_is_recorded_once_and_the_plugin_not_called(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """A client signed in too weakly to act is refused ('assurance'), recorded once, and the service is not called."""
    weak = browser("weak")
    weak_id = weak.sign_up()
    add_item(door, weak_id, "app-1")
    page = door.item(weak.actor(), weak_id, "app-1")
    assert "withdraw" in {a.action for a in page.actions}
    with pytest.raises(AuthorizationError) as refused:
        door.perform(weak.actor(), weak_id, "app-1", "withdraw", correlation_id="req-weak")
    assert refused.value.params["reason"] == "assurance"
    rows = _by_correlation(door, "req-weak")
    assert [(r.action, r.decision) for r in rows] == [("door.item.perform", "denied")]
    assert door.item(weak.actor(), weak_id, "app-1").item.state.value == "in_progress"
    history = door.history(weak.actor(), weak_id)
    assert not any(r.action == "service.item.update" for r in history)
