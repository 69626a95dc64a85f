"""
Service-level actions ("start an application"): offered on the dashboard
tile, done through ``FrontDoor.perform_service``, authorized and recorded
once; refused and recorded when not on offer.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from ircc_account import (
    Actor,
    AssuranceLevel,
    Capacity,
    ContactDetails,
    FrontDoor,
    FrontDoorConfig,
    Keyring,
    PersonalDetails,
)
from ircc_account.audit import Decision, who_touched_my_file
from ircc_account.errors import AuthorizationError, InvalidFormat
from ircc_account.identity import ClientAccount
from ircc_account.services import AccountFacts, TileStatus
from tests.door.conftest import Verifier
from tests.plugins import kitchen_sink

from .conftest import NOW

FACTS = AccountFacts(has_uci=True)


@pytest.fixture
def door(database_url: str) -> Iterator[FrontDoor]:
    """A front door with the kitchen-sink service, configured by settings, on SQLite and on PostgreSQL."""
    config = FrontDoorConfig(
        database_url=database_url,
        keyring=Keyring.generate(),
        licence_verifier=Verifier(),
        plugin_settings={"kitchen-sink": {"colour": "blue"}},
    )
    with FrontDoor.open(config, plugins={"kitchen-sink": kitchen_sink}) as front:
        yield front


@pytest.fixture
def me(door: FrontDoor) -> Actor:
    """A client with a UCI, signed in at moderate assurance."""
    with door.store.unit_of_work() as uow:
        uow.accounts.add(
            ClientAccount(
                account_id="acct-1",
                personal=PersonalDetails(family_name="Tremblay", date_of_birth="1990-01-01"),
                contact=ContactDetails(email="marie@example.ca"),
                uci="31000001",
                created_at=NOW,
            )
        )
        uow.commit()
    return Actor(
        actor_id="acct-1",
        capacity=Capacity.CLIENT,
        account_id="acct-1",
        assurance=AssuranceLevel.MODERATE,
    )


def _entries(door: FrontDoor, action: str) -> list[Decision]:
    return [r.decision for r in who_touched_my_file(door.store, "acct-1") if r.action == action]


def test_the_tile_offers_the_service_actions(door: FrontDoor, me: Actor) -> None:
    """The dashboard tile carries the service's own offers, beside its items."""
    tile = door.dashboard(me, me.actor_id, facts=FACTS).tile("kitchen-sink")
    assert tile.status is TileStatus.OK
    assert [o.action for o in tile.actions] == ["start"]
    assert tile.actions[0].label.fr == "Commencer une demande"


def test_perform_service_runs_the_offered_action_recorded_once(door: FrontDoor, me: Actor) -> None:
    """An offered service action runs after one recorded, allowed decision; the plugin's gate accesses are recorded as its own."""
    result = door.perform_service(
        me, me.actor_id, "kitchen-sink", "start", {"reference": "TRV-1", "purpose": "tourism"}
    )
    assert result.ok and result.item is not None and result.item.reference == "TRV-1"
    assert _entries(door, "door.service.perform") == [Decision.ALLOWED]
    ctx = door.services.context("kitchen-sink", actor=me, client_id=me.actor_id)
    draft = ctx.records.get("draft")
    assert draft is not None and draft.value == {"reference": "TRV-1", "purpose": "tourism"}
    assert door.dashboard(me, me.actor_id, facts=FACTS).tile("kitchen-sink").items


def test_an_action_not_on_offer_is_refused_and_recorded(door: FrontDoor, me: Actor) -> None:
    """An action the service does not offer is refused as not_offered, recorded once, and never reaches the plugin."""
    with pytest.raises(AuthorizationError) as refused:
        door.perform_service(me, me.actor_id, "kitchen-sink", "delete-everything")
    assert refused.value.params["reason"] == "not_offered"
    assert _entries(door, "door.service.perform") == [Decision.DENIED]
    ctx = door.services.context("kitchen-sink", actor=me, client_id=me.actor_id)
    assert ctx.records.get("draft") is None


def test_a_stranger_is_refused_by_the_policy_and_recorded(door: FrontDoor, me: Actor) -> None:
    """A representative without a grant sees no offer and gets a recorded refusal."""
    stranger = Actor(
        actor_id="rep-x",
        capacity=Capacity.REPRESENTATIVE,
        representative_id="rep-x",
        assurance=AssuranceLevel.MODERATE,
    )
    with pytest.raises(AuthorizationError):
        door.perform_service(stranger, me.actor_id, "kitchen-sink", "start")
    assert _entries(door, "door.service.perform") == [Decision.DENIED]


def test_a_malformed_payload_is_refused_before_the_plugin(door: FrontDoor, me: Actor) -> None:
    """Form fields are checked before the service is asked anything."""
    with pytest.raises(InvalidFormat):
        door.perform_service(me, me.actor_id, "kitchen-sink", "start", {"bad key": "x"})
    assert _entries(door, "door.service.perform") == []


def test_settings_reach_the_plugin_and_close_shuts_it_down(tmp_path: pathlib.Path) -> None:
    """The kitchen sink gets its settings at start-up and is told to shut down when the door closes."""
    config = FrontDoorConfig(
        database_url=f"sqlite:///{tmp_path / 'door.db'}",
        keyring=Keyring.generate(),
        licence_verifier=Verifier(),
        plugin_settings={"kitchen-sink": {"colour": "green"}},
    )
    door = FrontDoor.open(config, plugins={"kitchen-sink": kitchen_sink})
    assert kitchen_sink.STATE == {"settings": {"colour": "green"}, "shut_down": False}
    door.close()
    assert kitchen_sink.STATE["shut_down"] is True
