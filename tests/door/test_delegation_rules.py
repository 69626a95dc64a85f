"""
The delegation review's rules seen through the front door: a grant naming
another client's item is refused and recorded; a low-assurance delegate's
grant ends after 12 months; a refusal's own reason reaches the client's
history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from ircc_account import FrontDoor
from ircc_account.audit import export_client
from ircc_account.delegation._rules import add_months
from ircc_account.errors import AuthorizationError, GrantTargetUnknown

from .conftest import Browser, add_item


def _entries(door: FrontDoor, client_id: str, action: str) -> list[dict[str, Any]]:
    return [e for e in export_client(door.store, client_id)["entries"] if e["action"] == action]


def test_a_grant_naming_another_clients_item_is_refused_and_recorded(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """Marie naming Ahmed's application in a grant is refused, written nowhere, and her history shows the refusal."""
    marie, ahmed, jean = browser("marie"), browser("ahmed"), browser("jean")
    marie_id, ahmed_id = marie.sign_up(), ahmed.sign_up()
    add_item(door, ahmed_id, "app-ahmed")
    jean.sign_up()
    rep = door.onboarding.register_representative(jean.actor(), kind="family", display_name="J")
    for target in ("app-ahmed", "app-nowhere"):
        with pytest.raises(GrantTargetUnknown) as refused:
            door.grants.give(
                marie.actor(),
                grantee_id=rep.representative_id,
                scopes=["view_status"],
                coverage="item",
                target=target,
            )
        assert refused.value.message("fr") != refused.value.message("en")
    assert door.grants.of(marie.actor(), marie_id) == []
    refusals = _entries(door, marie_id, "door.grant.create")
    assert [(e["decision"], e["reason"]) for e in refusals] == [
        ("denied", "delegation.unknown_target")
    ] * 2
    assert _entries(door, ahmed_id, "door.grant.create") == []


def test_a_low_assurance_delegates_grant_ends_after_twelve_months(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """A representative who has only signed in at low assurance gets an open-ended grant that ends a year on (SEC-55)."""
    marie, weak, jean = browser("marie"), browser("weak"), browser("jean")
    marie.sign_up()
    weak.sign_up()
    jean.sign_up()
    low = door.onboarding.register_representative(weak.actor(), kind="friend", display_name="W")
    moderate = door.onboarding.register_representative(
        jean.actor(), kind="family", display_name="J"
    )
    capped = door.grants.give(
        marie.actor(), grantee_id=low.representative_id, scopes=["view_status"], coverage="account"
    )
    assert capped.valid_until is not None
    assert capped.valid_until == add_months(capped.valid_from, 12)
    open_ended = door.grants.give(
        marie.actor(),
        grantee_id=moderate.representative_id,
        scopes=["view_status"],
        coverage="account",
    )
    assert open_ended.valid_until is None


def test_a_grant_not_yet_valid_is_the_reason_the_client_sees(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """Switching to a client under a grant that starts tomorrow is refused as not_yet_valid, and recorded with that reason and grant."""
    marie, jean = browser("marie"), browser("jean")
    marie_id = marie.sign_up()
    add_item(door, marie_id, "app-marie")
    jean.sign_up()
    rep = door.onboarding.register_representative(jean.actor(), kind="family", display_name="J")
    grant = door.grants.give(
        marie.actor(),
        grantee_id=rep.representative_id,
        scopes=["view_status"],
        coverage="account",
        valid_from=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
    )
    with pytest.raises(AuthorizationError) as refused:
        door.act_for(jean.cookie, marie_id)
    assert refused.value.params["reason"] == "not_yet_valid"
    (entry,) = _entries(door, marie_id, "acting.begin")
    assert (entry["decision"], entry["reason"], entry["grant_id"]) == (
        "denied",
        "not_yet_valid",
        grant.grant_id,
    )


def test_a_grant_for_a_registered_service_is_accepted(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """A grant covering a service the door offers is accepted; one naming an unknown service is not."""
    marie, jean = browser("marie"), browser("jean")
    marie.sign_up()
    jean.sign_up()
    rep = door.onboarding.register_representative(jean.actor(), kind="family", display_name="J")
    with pytest.raises(GrantTargetUnknown):
        door.grants.give(
            marie.actor(),
            grantee_id=rep.representative_id,
            scopes=["view_status"],
            coverage="service",
            target="passport",
        )
    door.grants.give(
        marie.actor(),
        grantee_id=rep.representative_id,
        scopes=["view_status"],
        coverage="service",
        target="status",
    )


def test_a_guardian_appoints_a_representative_for_a_dependant_through_the_door(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """The department records a guardian; the guardian grants for the minor and lists those grants; the grant ends by the 18th birthday."""
    import datetime as dt

    from ircc_account import ContactDetails, PersonalDetails
    from ircc_account.identity import ClientAccount

    from .conftest import OFFICER

    marie, jean = browser("marie"), browser("jean")
    marie_id = marie.sign_up()
    jean.sign_up()
    rep = door.onboarding.register_representative(jean.actor(), kind="family", display_name="J")
    today = dt.datetime.now(dt.UTC)
    with door.store.unit_of_work() as uow:
        uow.accounts.add(
            ClientAccount(
                account_id="acct-child",
                personal=PersonalDetails(
                    family_name="Tremblay", date_of_birth=f"{today.year - 10}-01-15"
                ),
                contact=ContactDetails(email="child@example.test"),
                created_at=today,
            )
        )
        uow.commit()
    ends = door.onboarding.record_dependant(
        OFFICER, dependant_account_id="acct-child", guardian_account_id=marie_id
    )
    grant = door.grants.give(
        marie.actor(),
        grantee_id=rep.representative_id,
        scopes=["view_status"],
        coverage="account",
        for_dependant="acct-child",
    )
    assert grant.client_account_id == "acct-child"
    assert grant.valid_until is not None and grant.valid_until <= ends
    assert [g.grant_id for g in door.grants.of(marie.actor(), "acct-child")] == [grant.grant_id]
