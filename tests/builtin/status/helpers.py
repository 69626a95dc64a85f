"""
A front door with both built-in services on a real database, people made
directly (a portal that authenticates elsewhere builds actors itself), a
listener that hears every event, and an officer at a desk.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import attrs
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
    hookimpl,
)
from ircc_account.audit import CheckpointSigner
from ircc_account.builtin import notes, status
from ircc_account.delegation import Licence, LicenceStatus
from ircc_account.identity import ClientAccount
from ircc_account.services import (
    BilingualText,
    EventAudience,
    Rollout,
    ServiceEvent,
    ServiceManifest,
)

_ids = itertools.count(1)
OFFICER = Actor(actor_id="officer-4711", capacity=Capacity.OFFICER)
STAFF = status.Staff(actor=OFFICER, office="ndl", role=status.StaffRole.OFFICER)
VISA = BilingualText("Visitor visa", "Visa de visiteur")


class Licences:
    """Every licence is valid until it expires."""

    def verify(self, licence: Licence) -> LicenceStatus:
        return LicenceStatus(
            valid=True, expires_on=licence.expires_on, checked_at=dt.datetime.now(dt.UTC)
        )


class Listener:
    """A notification service: hears every event, after commit."""

    def __init__(self) -> None:
        self.events: list[ServiceEvent] = []

    @hookimpl
    def ircc_service_manifest(self) -> ServiceManifest:
        return ServiceManifest(
            service_id="listener",
            version="1.0.0",
            title=BilingualText("Notifications", "Avis"),
            description=BilingualText("Tells you what changed.", "Vous dit ce qui a changé."),
            scopes=frozenset({"view_status"}),  # type: ignore[arg-type]
            rollout=Rollout(percentage=100),
            hears=EventAudience.ALL,
        )

    @hookimpl
    def ircc_on_event(self, event: ServiceEvent) -> None:
        self.events.append(event)

    def of(self, service_id: str) -> list[ServiceEvent]:
        return [e for e in self.events if e.service_id == service_id]


@attrs.frozen
class World:
    """The door, its desks, the event listener."""

    door: FrontDoor
    desk: status.StatusDesk
    notes_desk: notes.NotesDesk
    listener: Listener

    def client(self, name: str = "Tremblay") -> Actor:
        """A new client account and the client's own actor."""
        n = next(_ids)
        account_id = f"client-{n}"
        with self.door.store.unit_of_work() as uow:
            uow.accounts.add(
                ClientAccount(
                    account_id=account_id,
                    personal=PersonalDetails(
                        family_name=name, given_names="Marie", date_of_birth="1988-02-11"
                    ),
                    contact=ContactDetails(email=f"c{n}@example.test"),
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
            uow.commit()
        return person(account_id)

    def representative(self, client: Actor, scopes: list[str]) -> Actor:
        """A family member the client authorizes for *scopes* on their whole file."""
        own = self.client("Roy")
        rep = self.door.onboarding.register_representative(own, kind="family", display_name="J")
        if scopes:
            self.door.grants.give(
                client, grantee_id=rep.representative_id, scopes=scopes, coverage="account"
            )
        return Actor(
            actor_id=rep.representative_id,
            capacity=Capacity.REPRESENTATIVE,
            account_id=own.account_id,
            representative_id=rep.representative_id,
            assurance=AssuranceLevel.MODERATE,
            auth_time=dt.datetime.now(dt.UTC),
        )

    def application(self, client: Actor, **options: Any) -> str:
        """A visitor visa application the department tracks for *client*."""
        options.setdefault("program", "visitor-visa")
        options.setdefault("reference", f"V{next(_ids):09d}")
        options.setdefault("title", VISA)
        return self.desk.open(STAFF, client.actor_id, **options).item_id


def person(account_id: str) -> Actor:
    """The client's own actor, freshly signed in at moderate assurance."""
    return Actor(
        actor_id=account_id,
        capacity=Capacity.CLIENT,
        account_id=account_id,
        assurance=AssuranceLevel.MODERATE,
        auth_time=dt.datetime.now(dt.UTC),
    )


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    """A door with both built-in services and a listener, on SQLite and PostgreSQL."""
    listener = Listener()
    config = FrontDoorConfig(
        database_url=database_url,
        keyring=Keyring.generate(),
        licence_verifier=Licences(),
        checkpoint_signer=CheckpointSigner.generate(),
        plugin_deadline=5.0,
    )
    plugins = {
        status.SERVICE_ID: status.plugin,
        notes.SERVICE_ID: notes.plugin,
        "listener": listener,
    }
    with FrontDoor.open(config, plugins=plugins) as door:
        yield World(
            door=door,
            desk=status.StatusDesk(door),
            notes_desk=notes.NotesDesk(door),
            listener=listener,
        )


def wait_for(listener: Listener, count: int) -> None:
    """Events are told after commit, on the registry's pool: wait for *count* of them."""
    import time

    deadline = time.monotonic() + 5
    while len(listener.events) < count and time.monotonic() < deadline:
        time.sleep(0.01)
