"""
Fixtures for the notifications service: a local GC Notify server, a front
door with the status tracker, decision notes, enquiries and notifications (the API key
handed over through the host's settings, as from a secret store), its
outbox attached and a worker on an advanceable clock, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

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
    Language,
    PersonalDetails,
)
from ircc_account.builtin import enquiries, notes, status
from ircc_account.builtin.notify import (
    DeliveryWorker,
    NotificationKind,
    NotificationsService,
    OutboxMessage,
    RetryPolicy,
)
from ircc_account.identity import ClientAccount
from tests.builtin.status.helpers import STAFF, VISA, Licences

from .notify_server import API_KEY, NotifyServer, Received

_ids = itertools.count(1)
PORTAL = "https://account.example.test/"
#: A template id for every kind, in both languages.
TEMPLATES = {
    k.value: {"en": f"tpl-{k.value}-en", "fr": f"tpl-{k.value}-fr"} for k in NotificationKind
}


class ShiftedClock:
    """The system's time, moved forward by :meth:`advance` (for retry delays)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def advance(self, by: dt.timedelta) -> None:
        self.offset += by


class FixedRandomness:
    """Jitter of exactly 1 (the middle of 0.5 to 1.5); ids still unique."""

    def __init__(self) -> None:
        self._n = itertools.count(1)

    def token_bytes(self, n: int) -> bytes:
        if n == 4:
            return (2**31).to_bytes(4, "big")
        return next(self._n).to_bytes(n, "big")


@attrs.define
class Notified:
    """The door, its desks, the Notify server, the service and its worker."""

    door: FrontDoor
    desk: status.StatusDesk
    notes_desk: notes.NotesDesk
    filing: enquiries.Enquiries
    enquiry_desk: enquiries.EnquiryDesk
    server: NotifyServer
    service: NotificationsService
    worker: DeliveryWorker
    clock: ShiftedClock

    def client(
        self, name: str = "Tremblay", *, language: str = "en", given: str = "Marie"
    ) -> Actor:
        """A new client account (its own email) and the client's actor."""
        n = next(_ids)
        account_id = f"client-{n}"
        with self.door.store.unit_of_work() as uow:
            uow.accounts.add(
                ClientAccount(
                    account_id=account_id,
                    personal=PersonalDetails(
                        family_name=name, given_names=given, date_of_birth="1988-02-11"
                    ),
                    contact=ContactDetails(email=f"person{n}@example.test"),
                    preferred_language=Language(language),
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
            uow.commit()
        return person(account_id)

    def email(self, actor: Actor) -> str:
        """The email address of *actor*'s own account."""
        with self.door.store.unit_of_work(write=False) as uow:
            return uow.accounts.get(actor.account_id or "").contact.email

    def representative(
        self,
        client: Actor | None,
        *,
        language: str = "en",
        coverage: str = "account",
        target: str | None = None,
    ) -> Actor:
        """A family member (their own account), appointed by *client* if given."""
        own = self.client("Roy", language=language, given="Jean")
        rep = self.door.onboarding.register_representative(
            own, kind="family", display_name="Jean Roy"
        )
        if client is not None:
            self.door.grants.give(
                client,
                grantee_id=rep.representative_id,
                scopes=["view_status"],
                coverage=coverage,
                target=target,
            )
        return Actor(
            actor_id=rep.representative_id,
            capacity=Capacity.REPRESENTATIVE,
            account_id=own.account_id,
            representative_id=rep.representative_id,
            assurance=AssuranceLevel.MODERATE,
            auth_time=dt.datetime.now(dt.UTC),
        )

    def application(self, client: Actor) -> str:
        """A visitor visa application the department tracks for *client*."""
        return self.desk.open(
            STAFF,
            client.actor_id,
            program="visitor-visa",
            reference=f"V{next(_ids):09d}",
            title=VISA,
        ).item_id

    def to(self, actor: Actor) -> list[Received]:
        """What the server accepted for *actor*'s address."""
        address = self.email(actor)
        return [r for r in self.server.received if r.email_address == address]

    def rows(self) -> list[OutboxMessage]:
        """Every outbox row, oldest first."""
        assert self.service.outbox is not None
        return list(self.service.outbox.messages(limit=10_000))


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
def server() -> Iterator[NotifyServer]:
    """A GC Notify API on 127.0.0.1."""
    s = NotifyServer().start()
    yield s
    s.stop()


@pytest.fixture
def notified(database_url: str, server: NotifyServer) -> Iterator[Notified]:
    """The door with notifications through the local server, on SQLite and PostgreSQL."""
    service = NotificationsService()
    clock = ShiftedClock()
    config = FrontDoorConfig(
        database_url=database_url,
        keyring=Keyring.generate(),
        licence_verifier=Licences(),
        plugin_deadline=5.0,
        plugin_settings={
            "notifications": {
                # As a portal would hand it over from its secret store.
                "api_key": API_KEY,
                "base_url": server.url,
                "templates": TEMPLATES,
                "portal_url": PORTAL,
                "retry": RetryPolicy(max_attempts=4),
            }
        },
    )
    plugins = {
        status.SERVICE_ID: status.plugin,
        notes.SERVICE_ID: notes.plugin,
        enquiries.SERVICE_ID: enquiries.plugin,
        "notifications": service,
    }
    with FrontDoor.open(config, plugins=plugins) as door:
        worker = service.attach(door, clock=clock, randomness=FixedRandomness())
        yield Notified(
            door=door,
            desk=status.StatusDesk(door),
            notes_desk=notes.NotesDesk(door),
            filing=enquiries.Enquiries(door),
            enquiry_desk=enquiries.EnquiryDesk(door),
            server=server,
            service=service,
            worker=worker,
            clock=clock,
        )
