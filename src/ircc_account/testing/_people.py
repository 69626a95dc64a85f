"""
The people of a test: clients, representatives and office staff, made
through a real front door, and a licensing body that confirms every licence.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from collections.abc import Iterable

import attrs

from ircc_account._clock import Clock, SystemClock
from ircc_account._door import FrontDoor
from ircc_account._model import (
    Actor,
    AssuranceLevel,
    BilingualText,
    Capacity,
    ClientAccount,
    ContactDetails,
    ItemKind,
    ItemState,
    Licence,
    LicenceStatus,
    Organisation,
    PersonalDetails,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)

__all__ = ["LicencesInGoodStanding", "People"]

_PAID_KINDS = frozenset({"consultant", "lawyer", "notary"})
_LICENCE_BODIES = {"consultant": "cicc", "lawyer": "law_society", "notary": "chambre_des_notaires"}


@attrs.define
class LicencesInGoodStanding:
    """
    A licensing body for tests: every licence is valid until it expires,
    unless its number has been struck off.

    Attributes:
        struck_off: Licence numbers the body no longer confirms (add to it
            to test a licence withdrawn mid-session).
        clock: When the body answers.
    """

    struck_off: set[str] = attrs.field(factory=set)
    clock: Clock = attrs.field(factory=SystemClock)

    def verify(self, licence: Licence) -> LicenceStatus:
        """
        Confirm *licence* unless it is struck off.
        """
        return LicenceStatus(
            valid=licence.number not in self.struck_off,
            expires_on=licence.expires_on,
            checked_at=self.clock.now(),
        )


class People:
    """
    Makes the people of a test through *door*, each returned as the
    :class:`~ircc_account.Actor` their request would carry: a client on
    their own file, a licensed consultant the client authorized, a staff
    member of an MP's office the client authorized. Accounts are written
    through the store (as registration would write them), representatives
    and offices through ``door.onboarding``, grants through ``door.grants``:
    every step is recorded in the audit log, as in production.

    Args:
        door: The front door (its licence verifier must confirm the licences
            this makes, as :class:`LicencesInGoodStanding` does).
        clock: The door's clock, for login times (the system's by default).

    .. versionadded:: 0.1
    """

    def __init__(self, door: FrontDoor, *, clock: Clock | None = None) -> None:
        self.door = door
        self._clock = clock or SystemClock()
        self._numbers = itertools.count(1)
        self._run = secrets.token_hex(3)

    def __repr__(self) -> str:
        return f"People({self.door!r})"

    def _next(self, prefix: str) -> str:
        return f"{prefix}-{self._run}-{next(self._numbers)}"

    def client(
        self,
        *,
        assurance: AssuranceLevel | str = AssuranceLevel.MODERATE,
        uci: bool = True,
        family_name: str = "Tremblay",
        given_names: str = "Marie",
        language: str = "en",
    ) -> Actor:
        """
        Open a client account and return the client on their own file,
        logged in just now at *assurance*.

        Args:
            assurance: The assurance level of their login.
            uci: Give the account a Unique Client Identifier.
            family_name: Their family name.
            given_names: Their given names.
            language: Their preferred language (``en`` or ``fr``).
        """
        account_id = self._next("client")
        number = int.from_bytes(secrets.token_bytes(4), "big") % 10**8
        with self.door.store.unit_of_work() as uow:
            uow.accounts.add(
                ClientAccount(
                    account_id=account_id,
                    personal=PersonalDetails(
                        family_name=family_name,
                        given_names=given_names,
                        date_of_birth="1988-02-11",
                    ),
                    contact=ContactDetails(email=f"{account_id}@example.test"),
                    preferred_language=language,
                    uci=f"{number:08d}" if uci else None,
                    created_at=self._clock.now(),
                )
            )
            uow.commit()
        return self.as_client(account_id, assurance=assurance)

    def as_client(
        self, account_id: str, *, assurance: AssuranceLevel | str = AssuranceLevel.MODERATE
    ) -> Actor:
        """
        The person of *account_id* on their own file, logged in just now at *assurance*.
        """
        return Actor(
            actor_id=account_id,
            capacity=Capacity.CLIENT,
            account_id=account_id,
            assurance=assurance,
            auth_time=self._clock.now(),
            session_ref=secrets.token_hex(16),
        )

    def representative(
        self,
        *,
        kind: str = "consultant",
        assurance: AssuranceLevel | str = AssuranceLevel.MODERATE,
        for_client: Actor | None = None,
        scopes: Iterable[str] = ("view_status", "act"),
        coverage: str = "account",
        target: str | None = None,
        display_name: str = "Jean Roy",
    ) -> Actor:
        """
        A person who registers as a representative of *kind* (a paid kind
        with a licence its body confirms), returned as the representative
        acting, logged in just now at *assurance*; with *for_client*, that
        client first gives them *scopes* over *coverage* (``account``, or
        ``service`` or ``item`` with *target*).
        """
        person = self.client(assurance=assurance, family_name="Roy", given_names="Jean")
        licence = None
        if kind in _PAID_KINDS:
            licence = Licence(
                body=_LICENCE_BODIES[kind],
                number=f"R{int.from_bytes(secrets.token_bytes(3), 'big'):07d}",
                expires_on=(self._clock.now() + dt.timedelta(days=730)).date().isoformat(),
            )
        rep = self.door.onboarding.register_representative(
            person, kind=kind, display_name=display_name, licence=licence
        )
        actor = self._as_representative(person, rep.representative_id)
        if for_client is not None:
            self.door.grants.give(
                self._fresh(for_client),
                grantee_id=rep.representative_id,
                scopes=list(scopes),
                coverage=coverage,
                target=target,
            )
        return actor

    def office_staff(
        self,
        *,
        assurance: AssuranceLevel | str = AssuranceLevel.MODERATE,
        for_client: Actor | None = None,
        scopes: Iterable[str] = ("view_status", "enquire"),
        access_group: str = "east",
        kind: str = "mp_office",
        organisation_id: str | None = None,
    ) -> Actor:
        """
        A staff member of an office of *kind* (an MP's office by default),
        in *access_group*, returned as the representative they are, logged in
        just now at *assurance*. The department onboards the office with an
        administrator, who invites the staff member. With *for_client*, that
        client first authorizes the office's *access_group* for *scopes*.
        """
        officer = Actor(actor_id="officer-onboarding", capacity=Capacity.OFFICER)
        organisation_id = organisation_id or self._next("office")
        admin = self.client(assurance=assurance, family_name="Chen", given_names="Olivia")
        self.door.onboarding.onboard_organisation(
            officer,
            Organisation(
                organisation_id=organisation_id,
                kind=kind,
                name="Office of the Member of Parliament",
                created_at=self._clock.now(),
            ),
            administrator_account_id=admin.actor_id,
            administrator_name="Olivia Chen",
        )
        with self.door.store.unit_of_work(write=False) as uow:
            admin_record = self.door.delegation.representative_for_account(uow, admin.actor_id)
        if admin_record is None:  # pragma: no cover - onboarding makes one
            raise RuntimeError("the office's administrator is no representative")
        invitation = self.door.onboarding.invite(
            self._as_representative(admin, admin_record.representative_id),
            organisation_id,
            role="staff",
            access_groups=[access_group],
        )
        person = self.client(assurance=assurance, family_name="Martin", given_names="Sam")
        membership = self.door.onboarding.join(person, invitation.code, display_name="Sam")
        if for_client is not None:
            self.door.grants.give(
                self._fresh(for_client),
                grantee_id=organisation_id,
                grantee_is_organisation=True,
                access_group=access_group,
                scopes=list(scopes),
                coverage="account",
            )
        return self._as_representative(person, membership.representative_id)

    def item(
        self,
        client: Actor | str,
        *,
        service_id: str,
        item_id: str | None = None,
        state: ItemState | str = ItemState.IN_PROGRESS,
        title: BilingualText | None = None,
    ) -> ServiceItem:
        """
        Put an application of *service_id* in the client's file, with one
        "received" event, as the department's systems would.
        """
        client_id = client if isinstance(client, str) else client.actor_id
        now = self._clock.now()
        item = ServiceItem(
            item_id=item_id or self._next("app"),
            account_id=client_id,
            service_id=service_id,
            kind=ItemKind.APPLICATION,
            reference=f"V{int.from_bytes(secrets.token_bytes(4), 'big') % 10**9:09d}",
            state=state,
            title=title or BilingualText("Visitor visa", "Visa de visiteur"),
            created_at=now,
            updated_at=now,
        )
        with self.door.store.unit_of_work() as uow:
            uow.items.add(item)
            uow.timeline.append(
                TimelineEvent(
                    event_id=f"ev-{item.item_id}",
                    item_id=item.item_id,
                    kind=TimelineKind.SUBMITTED,
                    occurred_at=now,
                    state=ItemState.SUBMITTED,
                    summary=BilingualText("We received it", "Nous l'avons reçue"),
                )
            )
            uow.commit()
        return item

    def _fresh(self, actor: Actor) -> Actor:
        """*actor* having logged in just now (grants need a fresh login, SEC-40)."""
        return attrs.evolve(actor, auth_time=self._clock.now())

    def _as_representative(self, person: Actor, representative_id: str) -> Actor:
        return Actor(
            actor_id=representative_id,
            capacity=Capacity.REPRESENTATIVE,
            account_id=person.actor_id,
            representative_id=representative_id,
            assurance=person.assurance,
            auth_time=self._clock.now(),
            session_ref=secrets.token_hex(16),
        )
