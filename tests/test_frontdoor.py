"""
The front door wires the real store, audit log, policy, delegation and registry:
plugins reach client data only through gates that authorize and audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from types import SimpleNamespace

import pytest

from ircc_account import (
    Actor,
    AssuranceLevel,
    Capacity,
    ContactDetails,
    FrontDoor,
    FrontDoorConfig,
    FrozenClock,
    Keyring,
    PersonalDetails,
    hookimpl,
)
from ircc_account.audit import verify, who_touched_my_file
from ircc_account.delegation import Licence, LicenceStatus, Representative, RepresentativeKind
from ircc_account.errors import AuthorizationError, NotFound
from ircc_account.identity import ClientAccount
from ircc_account.services import (
    BilingualText,
    ItemKind,
    ItemState,
    Rollout,
    ServiceContext,
    ServiceItem,
    ServiceManifest,
    TileStatus,
)

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


class _Verifier:
    """Every licence is valid until its stated expiry."""

    def verify(self, licence: Licence) -> LicenceStatus:
        return LicenceStatus(valid=True, expires_on=licence.expires_on, checked_at=NOW)


def _status_plugin() -> object:
    """A service plugin that lists the client's items through its context."""

    @hookimpl
    def ircc_service_manifest() -> ServiceManifest:
        return ServiceManifest(
            service_id="status",
            version="1.0.0",
            title=BilingualText(en="Application status", fr="État de la demande"),
            description=BilingualText(en="Where things stand.", fr="Où en est votre dossier."),
            assurance=AssuranceLevel.LOW,
            rollout=Rollout(percentage=100),
        )

    @hookimpl
    def ircc_client_items(ctx: ServiceContext) -> Sequence[ServiceItem]:
        return list(ctx.items.list())

    return SimpleNamespace(
        ircc_service_manifest=ircc_service_manifest, ircc_client_items=ircc_client_items
    )


def _account(account_id: str) -> ClientAccount:
    return ClientAccount(
        account_id=account_id,
        personal=PersonalDetails(family_name="Nguyen", date_of_birth="1985-07-14"),
        contact=ContactDetails(email=f"{account_id}@example.ca"),
        created_at=NOW,
    )


@pytest.fixture
def door(database_url: str) -> Iterator[FrontDoor]:
    clock = FrozenClock(NOW)
    config = FrontDoorConfig(
        database_url=database_url,
        keyring=Keyring.generate(),
        licence_verifier=_Verifier(),
        clock=clock,
        plugin_deadline=2.0,
    )
    front = FrontDoor.open(config, plugins={"status": _status_plugin()})
    with front.store.unit_of_work() as uow:
        for account_id in ("client-1", "client-2", "acct-sister"):
            uow.accounts.add(_account(account_id))
        uow.items.add(
            ServiceItem(
                item_id="app-1",
                account_id="client-1",
                service_id="status",
                kind=ItemKind.APPLICATION,
                reference="V100000001",
                state=ItemState.IN_PROGRESS,
                title=BilingualText("Visitor visa", "Visa de visiteur"),
                document_number="AB123456",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        front.delegation.register_representative(
            uow,
            Representative(
                representative_id="rep-sister",
                kind=RepresentativeKind.FAMILY,
                display_name="Sister",
                account_id="acct-sister",
                created_at=NOW,
            ),
        )
        uow.commit()
    yield front
    front.close()


def _client(client_id: str = "client-1") -> Actor:
    return Actor(
        actor_id=client_id,
        capacity=Capacity.CLIENT,
        account_id=client_id,
        assurance=AssuranceLevel.MODERATE,
        auth_time=NOW,
    )


SISTER = Actor(
    actor_id="rep-sister",
    capacity=Capacity.REPRESENTATIVE,
    account_id="acct-sister",
    representative_id="rep-sister",
    assurance=AssuranceLevel.MODERATE,
    auth_time=NOW,
)


def _grant_view_status(door: FrontDoor) -> str:
    with door.store.unit_of_work() as uow:
        grant = door.delegation.grant(
            uow, _client(), grantee_id="rep-sister", scopes=["view_status"], coverage="account"
        )
        uow.commit()
    return grant.grant_id


def test_client_sees_their_items_through_the_plugin(door: FrontDoor) -> None:
    """The client's dashboard tile lists their own item, read by the plugin through its gates."""
    board = door.dashboard(_client(), "client-1")
    (tile,) = board.tiles
    assert tile.status is TileStatus.OK
    assert [i.item_id for i in tile.items] == ["app-1"]


def test_sec_96_plugin_reads_under_a_grant_show_in_who_touched_my_file(door: FrontDoor) -> None:
    """A representative's view, read by a plugin, appears in the client's history naming both (by name, from the store)."""
    _grant_view_status(door)
    board = door.dashboard(SISTER, "client-1")
    assert [i.item_id for t in board.tiles for i in t.items] == ["app-1"]
    records = who_touched_my_file(door.store, "client-1")
    plugin_reads = [r for r in records if r.capacity is Capacity.PLUGIN]
    assert plugin_reads
    assert all(
        r.who == "The service status, on behalf of your representative Sister" for r in plugin_reads
    )
    french = who_touched_my_file(door.store, "client-1", language="fr")
    assert any("pour le compte de votre représentant Sister" in r.who for r in french)
    assert verify(door.store, public_keys={}).ok


def test_sec_56_revocation_denies_the_next_request(door: FrontDoor) -> None:
    """After the client revokes, the representative's next dashboard request is refused."""
    grant_id = _grant_view_status(door)
    assert door.dashboard(SISTER, "client-1").tiles
    with door.store.unit_of_work() as uow:
        door.delegation.revoke(uow, _client(), grant_id)
        uow.commit()
    with pytest.raises(AuthorizationError):
        door.dashboard(SISTER, "client-1")


def test_sec_60_no_grant_no_dashboard(door: FrontDoor) -> None:
    """A representative without a grant, or another client, is refused."""
    with pytest.raises(AuthorizationError):
        door.dashboard(SISTER, "client-1")
    with pytest.raises(AuthorizationError):
        door.dashboard(_client("client-2"), "client-1")


def test_sec_95_plugin_cannot_reach_another_clients_item(door: FrontDoor) -> None:
    """Through its context, a plugin acting for client-2 cannot read client-1's item."""
    ctx = door.services.context("status", actor=_client("client-2"), client_id="client-2")
    assert ctx.items.list() == []
    with pytest.raises(LookupError):
        ctx.items.get("app-1")


def test_grant_changes_are_in_the_clients_history(door: FrontDoor) -> None:
    """Creating and revoking a grant leaves entries naming the client and the grant."""
    grant_id = _grant_view_status(door)
    with door.store.unit_of_work() as uow:
        door.delegation.revoke(uow, _client(), grant_id)
        uow.commit()
    actions = [r.action for r in who_touched_my_file(door.store, "client-1")]
    assert actions[:2] == ["grant.revoked", "grant.created"]


def test_sec_50_an_erased_clients_item_looks_missing_to_others(door: FrontDoor) -> None:
    """After client-1's data is erased, another client's plugin gets 'not found', nothing more."""
    with door.store.unit_of_work() as uow:
        uow.accounts.erase_personal_data("client-1")
        uow.commit()
    ctx = door.services.context("status", actor=_client("client-2"), client_id="client-2")
    with pytest.raises(NotFound):
        ctx.items.get("app-1")
    with pytest.raises(NotFound):
        ctx.items.get("app-404")
