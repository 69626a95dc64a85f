"""
The door's pages for each kind of person: dashboards (including office staff
reached only through their office's grant), onboarding, grants, export.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from ircc_account import Capacity, FrontDoor
from ircc_account.audit import verify_export
from ircc_account.delegation import Licence, Organisation
from ircc_account.errors import (
    AuthorizationError,
    Conflict,
    DepartmentOnly,
    InvitationInvalid,
    LicenceInvalid,
    NotAdministrator,
    OnboardingRefused,
    UnknownValue,
)
from ircc_account.services import TileStatus

from .conftest import OFFICER, Browser, add_item


def _office(door: FrontDoor, admin: Browser, org_id: str = "org-mp") -> None:
    door.onboarding.onboard_organisation(
        OFFICER,
        Organisation(
            organisation_id=org_id,
            kind="mp_office",
            name="Office of the MP for Nepean",
            created_at=dt.datetime.now(dt.UTC),
        ),
        administrator_account_id=admin.sign_up(),
        administrator_name="Olivia Chen",
    )


def test_office_staff_see_the_dashboard_through_their_offices_grant(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """MP office staff in the granted access group get the client's dashboard; others are refused and recorded."""
    marie, olivia, sam, pat = browser("marie"), browser("olivia"), browser("sam"), browser("pat")
    marie_id = marie.sign_up()
    add_item(door, marie_id, "app-marie")
    _office(door, olivia)
    for person, group in ((sam, "east"), (pat, "west")):
        person.sign_up()
        code = door.onboarding.invite(
            olivia.actor(as_representative=True), "org-mp", access_groups=[group]
        ).code
        door.onboarding.join(person.actor(), code, display_name=person.username)
    door.grants.give(
        marie.actor(),
        grantee_id="org-mp",
        grantee_is_organisation=True,
        access_group="east",
        scopes=["view_status"],
        coverage="account",
    )
    board = door.dashboard(sam.actor(as_representative=True), marie_id)
    tile = board.tile("status")
    assert tile.status is TileStatus.OK
    assert [i.item_id for i in tile.items] == ["app-marie"]
    with pytest.raises(AuthorizationError):
        door.dashboard(pat.actor(as_representative=True), marie_id)
    own = door.dashboard(marie.actor(), marie_id)
    assert [i.item_id for i in own.tile("status").items] == ["app-marie"]
    refused = [r for r in door.history(marie.actor(), marie_id) if r.action == "door.dashboard"]
    assert len(refused) == 1 and refused[0].capacity is Capacity.REPRESENTATIVE


def test_a_representative_with_a_single_item_grant_sees_only_that_item(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """An item-level grant shows that item on the dashboard, not the client's others."""
    marie, jean = browser("marie"), browser("jean")
    marie_id = marie.sign_up()
    add_item(door, marie_id, "app-one")
    add_item(door, marie_id, "app-two")
    jean.sign_up()
    rep = door.onboarding.register_representative(jean.actor(), kind="family", display_name="J")
    door.grants.give(
        marie.actor(),
        grantee_id=rep.representative_id,
        scopes=["view_status"],
        coverage="item",
        target="app-two",
    )
    board = door.dashboard(jean.actor(as_representative=True), marie_id)
    assert [i.item_id for i in board.tile("status").items] == ["app-two"]


def test_onboarding_rules(door: FrontDoor, browser: Callable[[str], Browser]) -> None:
    """Office kinds can't self-register; paid kinds need a confirmed licence; one representative per login; invitations are single use."""
    jean, olivia, sam, pat = browser("jean"), browser("olivia"), browser("sam"), browser("pat")
    jean.sign_up()
    with pytest.raises(OnboardingRefused):
        door.onboarding.register_representative(jean.actor(), kind="mp_office", display_name="J")
    with pytest.raises(LicenceInvalid):
        door.onboarding.register_representative(
            jean.actor(),
            kind="lawyer",
            display_name="J",
            licence=Licence(body="law_society", number="L1", expires_on="2020-01-01"),
        )
    door.onboarding.register_representative(jean.actor(), kind="friend", display_name="J")
    with pytest.raises(Conflict):
        door.onboarding.register_representative(jean.actor(), kind="family", display_name="J")
    with pytest.raises(DepartmentOnly) as e:
        door.onboarding.onboard_organisation(
            jean.actor(),
            Organisation(
                organisation_id="org-x",
                kind="mp_office",
                name="X",
                created_at=dt.datetime.now(dt.UTC),
            ),
            administrator_account_id=jean.session.account_id,
            administrator_name="J",
        )
    assert e.value.message("en") == "Only the department can do this."
    _office(door, olivia)
    with pytest.raises(NotAdministrator) as e:
        door.onboarding.invite(jean.actor(as_representative=True), "org-mp")
    assert "administrator" in e.value.message("en")
    code = door.onboarding.invite(olivia.actor(as_representative=True), "org-mp").code
    sam.sign_up()
    pat.sign_up()
    door.onboarding.join(sam.actor(), code, display_name="Sam")
    with pytest.raises(InvitationInvalid) as e:
        door.onboarding.join(pat.actor(), code, display_name="Pat")
    assert e.value.message("fr") != e.value.message("en")
    principal = door.principal(sam.session)
    assert principal.is_representative
    assert principal.representative is not None
    assert principal.representative.kind.value == "mp_office"
    assert [m.organisation_id for m in principal.memberships] == ["org-mp"]
    assert door.principal(pat.session).representative is None
    with pytest.raises(AuthorizationError):
        pat.actor(as_representative=True)


def test_a_firm_admits_only_licensed_representatives(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """A law firm's administrator and members must already be licensed representatives."""
    jean, sam = browser("jean"), browser("sam")
    jean_id = jean.sign_up()
    firm = Organisation(
        organisation_id="org-firm",
        kind="law_firm",
        name="Roy & Associés",
        created_at=dt.datetime.now(dt.UTC),
    )
    with pytest.raises(LicenceInvalid):
        door.onboarding.onboard_organisation(
            OFFICER, firm, administrator_account_id=jean_id, administrator_name="Jean"
        )
    door.onboarding.register_representative(
        jean.actor(),
        kind="lawyer",
        display_name="Me Jean Roy",
        licence=Licence(body="law_society", number="L2", expires_on="2031-01-01"),
    )
    door.onboarding.onboard_organisation(
        OFFICER, firm, administrator_account_id=jean_id, administrator_name="Jean"
    )
    sam.sign_up()
    code = door.onboarding.invite(jean.actor(as_representative=True), "org-firm").code
    with pytest.raises(LicenceInvalid):
        door.onboarding.join(sam.actor(), code, display_name="Sam")


def test_history_and_export_are_the_clients_own(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """Only the client reads or exports their history; the export verifies offline."""
    marie, jean = browser("marie"), browser("jean")
    marie_id = marie.sign_up()
    jean.sign_up()
    rep = door.onboarding.register_representative(jean.actor(), kind="family", display_name="J")
    door.grants.give(
        marie.actor(), grantee_id=rep.representative_id, scopes=["view_status"], coverage="account"
    )
    with pytest.raises(AuthorizationError):
        door.history(jean.actor(as_representative=True), marie_id)
    with pytest.raises(AuthorizationError):
        door.export(jean.actor(as_representative=True), marie_id)
    export = door.export(marie.actor(), marie_id)
    assert door.audit.signer is not None
    report = verify_export(export, trusted_keys=door.audit.signer.public_keys())
    assert report.ok and report.keys_trusted
    assert report.covered_entries == report.entries
    assert [g.grantee_id for g in door.grants.of(jean.actor(as_representative=True), marie_id)] == [
        rep.representative_id
    ]


def test_a_client_reads_and_changes_their_own_language_and_grantees_have_names(
    door: FrontDoor, browser: Callable[[str], Browser]
) -> None:
    """The preference is the client's own (a change is recorded); a representative cannot change it; grants name their grantees."""
    marie, jean = browser("marie"), browser("jean")
    marie_id = marie.sign_up()
    jean.sign_up()
    assert door.preferred_language(marie.actor()) is not None
    door.set_preferred_language(marie.actor(), "fr")
    assert door.preferred_language(marie.actor()).value == "fr"  # type: ignore[union-attr]
    changes = [
        r for r in door.history(marie.actor(), marie_id) if r.action == "door.profile.change"
    ]
    assert len(changes) == 1
    rep = door.onboarding.register_representative(
        jean.actor(), kind="family", display_name="Jean R."
    )
    grant = door.grants.give(
        marie.actor(), grantee_id=rep.representative_id, scopes=["view_status"], coverage="account"
    )
    assert door.grants.names([grant]) == {rep.representative_id: "Jean R."}
    with pytest.raises(AuthorizationError):
        door.set_preferred_language(jean.actor(as_representative=True), "en")
    with pytest.raises(UnknownValue):
        door.set_preferred_language(marie.actor(), "de")


def test_an_item_page_records_its_view_and_its_services_reads_in_one_flush(
    door: FrontDoor, browser: Callable[[str], Browser], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's own record and the timeline its plugin read reach the group commit together, and are in the history when the page returns."""
    from ircc_account.audit import GroupCommitAppender

    batches: list[list[str]] = []
    real = GroupCommitAppender.submit_many_async

    def spy(self: GroupCommitAppender, entries: Any) -> Any:
        batches.append([e.action for e, _ in entries])
        return real(self, entries)

    monkeypatch.setattr(GroupCommitAppender, "submit_many_async", spy)
    marie = browser("marie")
    marie_id = marie.sign_up()
    add_item(door, marie_id, "app-page")
    page = door.item(marie.actor(), marie_id, "app-page")
    assert page.item.item_id == "app-page"
    assert batches == [["door.item.view", "service.timeline.read"]]
    with door.store.engine.connect() as c:
        query = sa.text("SELECT action FROM audit_entries WHERE client_id = :c")
        logged = {a for (a,) in c.execute(query, {"c": marie_id})}
        c.rollback()
    assert {"door.item.view", "service.timeline.read"} <= logged
