"""
The kit's pytest fixtures: the front door, its registry, the actors and the development provider.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from ircc_account import Actor, AssuranceLevel, Capacity, FrontDoor, hookimpl
from ircc_account.errors import AuthorizationError
from ircc_account.identity import LoginOutcome
from ircc_account.services import (
    BilingualText,
    Rollout,
    ServiceContext,
    ServiceItem,
    ServiceManifest,
)
from ircc_account.testing import LocalProvider, People


class Listing:
    """A service that lists the client's items (needs MODERATE)."""

    @hookimpl
    def ircc_service_manifest(self) -> ServiceManifest:
        return ServiceManifest(
            service_id="listing",
            version="1.0.0",
            title=BilingualText("Listing", "Liste"),
            description=BilingualText("Your items.", "Vos éléments."),
            scopes={"view_status", "act", "enquire"},
            rollout=Rollout(percentage=100),
        )

    @hookimpl
    def ircc_client_items(self, ctx: ServiceContext) -> Sequence[ServiceItem]:
        return list(ctx.items.list())


@pytest.fixture
def front_door_plugins() -> dict[str, object]:
    """The plugins under test."""
    return {"listing": Listing()}


def test_the_client_sees_their_items_through_the_chosen_plugin(
    front_door: FrontDoor, people: People, client_actor: Actor
) -> None:
    """The door has the chosen plugin and the client actor reads their own item through it."""
    item = people.item(client_actor, service_id="listing")
    board = front_door.dashboard(client_actor, client_actor.actor_id)
    tile = board.tile("listing")
    assert tile.status == "ok" and [i.item_id for i in tile.items] == [item.item_id]
    assert client_actor.capacity is Capacity.CLIENT
    assert client_actor.assurance is AssuranceLevel.MODERATE


def test_service_registry_is_the_doors(front_door: FrontDoor, service_registry: object) -> None:
    """The registry fixture is the door's own, started with the chosen plugins."""
    assert service_registry is front_door.services
    assert front_door.services.service_ids == ("listing",)


def test_the_representative_reaches_the_client_within_their_grant(
    front_door: FrontDoor, people: People, client_actor: Actor, representative_actor: Actor
) -> None:
    """The consultant's grant lets them see the client's tile; a stranger is refused."""
    people.item(client_actor, service_id="listing")
    board = front_door.dashboard(representative_actor, client_actor.actor_id)
    assert board.tile("listing").status == "ok"
    stranger = people.representative()
    with pytest.raises(AuthorizationError):
        front_door.dashboard(stranger, client_actor.actor_id)


def test_office_staff_act_under_their_offices_grant(
    front_door: FrontDoor, people: People, client_actor: Actor, office_staff_actor: Actor
) -> None:
    """The office's staff member sees the client's items under the office's grant."""
    people.item(client_actor, service_id="listing")
    assert office_staff_actor.capacity is Capacity.REPRESENTATIVE
    board = front_door.dashboard(office_staff_actor, client_actor.actor_id)
    assert board.tile("listing").status == "ok"


@pytest.mark.parametrize("actor_assurance", [AssuranceLevel.LOW])
def test_a_low_assurance_client_is_asked_to_step_up(
    front_door: FrontDoor, client_actor: Actor, actor_assurance: AssuranceLevel
) -> None:
    """Parametrizing actor_assurance chooses the login level; LOW is below the service's MODERATE."""
    assert client_actor.assurance is AssuranceLevel.LOW
    assert (
        front_door.dashboard(client_actor, client_actor.actor_id).tile("listing").status
        == "step_up"
    )


def test_the_development_provider_logs_people_in(
    make_front_door: object, dev_provider: LocalProvider
) -> None:
    """A door with logins=True signs a test user in at the development provider over TLS."""
    door = make_front_door(logins=True)  # type: ignore[operator]
    assert dev_provider.url.startswith("https://127.0.0.1:")
    cookie = dev_provider.sign_up(door, "hugo")
    session = door.identity.get_session(cookie)
    assert session.assurance is AssuranceLevel.HIGH
    assert dev_provider.log_in(door, "hugo").outcome is LoginOutcome.SIGNED_IN
