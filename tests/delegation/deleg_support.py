"""
Shared helpers for the delegation tests: recording sinks, a stub licence
verifier, and the cast of clients and representatives.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ircc_account._clock import FrozenClock
from ircc_account._model import (
    AssuranceLevel,
    BilingualText,
    Capacity,
    ClientAccount,
    ContactDetails,
    ItemKind,
    ItemState,
    LinkedCredential,
    PersonalDetails,
    ServiceItem,
)
from ircc_account._model._audit import AuditEntry
from ircc_account._model._authz import Actor
from ircc_account._model._delegation import (
    ConsentGrant,
    Licence,
    LicenceStatus,
    Representative,
    RepresentativeKind,
)
from ircc_account._storage import SqlStore
from ircc_account.delegation import Delegation

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
#: The services offered (a service-wide grant must name one).
SERVICES = ("trv", "citizenship")
#: The items the cast's clients hold: item id -> (client, service).
ITEMS = {
    "app-1": ("client-1", "trv"),
    "app-2": ("client-1", "trv"),
    "cit-1": ("client-1", "citizenship"),
    "app-9": ("client-2", "trv"),
}


class RecordingSink:
    """An audit sink that keeps entries in memory."""

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []
        self.on_behalf_of: list[str | None] = []

    def append(
        self,
        uow: object,
        entry: AuditEntry,
        *,
        on_behalf_of: str | None = None,
        keep: bool = False,
    ) -> object:
        self.entries.append(entry)
        self.on_behalf_of.append(on_behalf_of)
        return entry

    def append_now(self, entry: AuditEntry, *, on_behalf_of: str | None = None) -> object:
        return self.append(None, entry, on_behalf_of=on_behalf_of)


class RecordingEvents:
    """Records every grant event as (name, client_id, grant_id)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    def grant_created(self, client_id: str, grant: ConsentGrant) -> None:
        self.seen.append(("created", client_id, grant.grant_id))

    def grant_changed(self, client_id: str, grant: ConsentGrant) -> None:
        self.seen.append(("changed", client_id, grant.grant_id))

    def grant_revoked(self, client_id: str, grant: ConsentGrant) -> None:
        self.seen.append(("revoked", client_id, grant.grant_id))

    def grant_first_used(self, client_id: str, grant: ConsentGrant) -> None:
        self.seen.append(("first_used", client_id, grant.grant_id))


class StubVerifier:
    """A licence verifier answering from a dict: number -> (valid, expires_on)."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.answers: dict[str, tuple[bool, dt.date]] = {}

    def verify(self, licence: Licence) -> LicenceStatus:
        valid, expires = self.answers.get(licence.number, (False, licence.expires_on))
        return LicenceStatus(valid=valid, expires_on=expires, checked_at=self.clock.now())


def make_account(account_id: str, *, born: str = "1990-04-02") -> ClientAccount:
    return ClientAccount(
        account_id=account_id,
        personal=PersonalDetails(family_name="Tremblay", given_names="Marie", date_of_birth=born),
        contact=ContactDetails(email=f"{account_id}@example.ca"),
        preferred_language="fr",
        created_at=NOW - dt.timedelta(days=30),
    )


REPS: dict[str, tuple[RepresentativeKind, str | None]] = {
    "rep-consultant": (RepresentativeKind.CONSULTANT, "R500001"),
    "rep-lawyer": (RepresentativeKind.LAWYER, "R500002"),
    "rep-family": (RepresentativeKind.FAMILY, None),
    "rep-mp": (RepresentativeKind.MP_OFFICE, None),
    "rep-designated": (RepresentativeKind.DESIGNATED_INDIVIDUAL, None),
    "rep-staff": (RepresentativeKind.FRIEND, None),
}


def rep_actor(
    rep_id: str, *, assurance: AssuranceLevel = AssuranceLevel.MODERATE, **kw: Any
) -> Actor:
    return Actor(
        actor_id=rep_id,
        capacity=Capacity.REPRESENTATIVE,
        account_id="acct-" + rep_id,
        representative_id=rep_id,
        assurance=assurance,
        **kw,
    )


def client_actor(
    client_id: str = "client-1", *, at: dt.datetime = NOW, fresh: bool = True
) -> Actor:
    return Actor(
        actor_id=client_id,
        capacity=Capacity.CLIENT,
        account_id=client_id,
        assurance=AssuranceLevel.MODERATE,
        auth_time=at if fresh else at - dt.timedelta(hours=2),
    )


def make_item(item_id: str, client_id: str, service_id: str) -> ServiceItem:
    return ServiceItem(
        item_id=item_id,
        account_id=client_id,
        service_id=service_id,
        kind=ItemKind.APPLICATION,
        reference="R-" + item_id,
        state=ItemState.IN_PROGRESS,
        title=BilingualText("Application", "Demande"),
        created_at=NOW - dt.timedelta(days=20),
        updated_at=NOW - dt.timedelta(days=20),
    )


def link_credential(
    uow: Any, account_id: str, assurance: AssuranceLevel = AssuranceLevel.MODERATE
) -> None:
    """Link a credential of *assurance* to *account_id*, as a login at a provider would."""
    uow.credentials.link(
        LinkedCredential(
            account_id=account_id,
            issuer="https://idp.example.ca",
            subject="sub-" + account_id,
            assurance=assurance,
            linked_at=NOW - dt.timedelta(days=30),
        )
    )


def seed(store: SqlStore, delegation: Delegation, clients: int = 2) -> None:
    """
    Create clients with their items, representatives (with accounts whose
    credentials are of moderate assurance), and register the representatives.
    """
    with store.unit_of_work() as uow:
        for n in range(1, clients + 1):
            uow.accounts.add(make_account(f"client-{n}"))
        for item_id, (client_id, service_id) in ITEMS.items():
            if int(client_id.rpartition("-")[2]) <= clients:
                uow.items.add(make_item(item_id, client_id, service_id))
        for rep_id, (kind, number) in REPS.items():
            uow.accounts.add(make_account("acct-" + rep_id))
            link_credential(uow, "acct-" + rep_id)
            licence = None
            if number is not None:
                licence = Licence(body="cicc", number=number, expires_on="2026-12-31")
            delegation.register_representative(
                uow,
                Representative(
                    representative_id=rep_id,
                    kind=kind,
                    display_name=rep_id,
                    account_id="acct-" + rep_id,
                    licence=licence,
                    created_at=NOW - dt.timedelta(days=10),
                ),
            )
        uow.commit()


def evolve_actor(actor: Actor, **changes: Any) -> Actor:
    return attrs.evolve(actor, **changes)
