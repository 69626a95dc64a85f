"""
The department's side of the status tracker: what officers (and legacy
feeds) record on an application. A library API for the department's own
systems, not a portal page.

Each call is one unit of work: it checks the actor is a department officer,
reads the item and its tracker record, validates everything asked (nothing
is written on bad input), then writes the item's state, a timeline event,
the sealed record and one audit entry in the client's history together,
and, after commit, raises the event notifications listen for.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import attrs

from ircc_account import Capacity
from ircc_account._model import AuditEntry, Decision
from ircc_account._storage.ports import SqlUnit
from ircc_account.errors import (
    DepartmentOnly,
    DueDateInPast,
    EventOutOfOrder,
    NotFound,
    PersonalDataErased,
    RequirementAnswered,
    UnknownPhase,
    UnknownRequirement,
)
from ircc_account.services import (
    BilingualText,
    EventKind,
    ItemKind,
    ItemState,
    ServiceEvent,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)

from ._estimates import EstimateBook
from ._record import TrackerRecord, from_micros, key_of, micros
from ._values import (
    SERVICE_ID,
    Party,
    Phase,
    Requirement,
    RequirementState,
    Staff,
    state_of,
)

if TYPE_CHECKING:
    from ircc_account import FrontDoor

__all__ = ["DeskBase", "StatusDesk"]


@attrs.define
class _Work:
    """What one desk call has open: its unit, the item, when, and what to tell after commit."""

    uow: SqlUnit
    item: ServiceItem
    now: dt.datetime
    events: list[ServiceEvent] = attrs.Factory(list)


class DeskBase:
    """
    What both built-in services' desks share: the officer check, the audit
    entry, the sealed record and the events after commit.
    """

    service_id = SERVICE_ID

    def __init__(self, door: FrontDoor) -> None:
        self._door = door
        self._clock = door.policy.clock

    def _check_officer(
        self, uow: SqlUnit, staff: Staff, item: ServiceItem | None, what: str
    ) -> None:
        if staff.actor.capacity is Capacity.OFFICER:
            return
        if item is not None:
            # The refusal is in the client's history, kept past the rollback.
            self._audit(uow, staff, item, what, allowed=False)
        raise DepartmentOnly()

    def _audit(
        self, uow: SqlUnit, staff: Staff, item: ServiceItem, what: str, *, allowed: bool = True
    ) -> None:
        self._door.audit.append(
            uow,
            AuditEntry(
                occurred_at=self._clock.now(),
                actor_id=staff.actor.actor_id,
                client_id=item.account_id,
                capacity=staff.actor.capacity,
                action=what,
                item_id=item.item_id,
                service_id=item.service_id,
                decision=Decision.ALLOWED if allowed else Decision.DENIED,
                reason="department" if allowed else "capacity",
            ),
            keep=not allowed,
        )

    @contextmanager
    def _work(self, staff: Staff, item_id: str, what: str) -> Iterator[_Work]:
        """
        One desk call's unit: the item (one this desk works on, else "not found"),
        the officer check (a refusal recorded), the audit entry; commits if
        the block ends normally, then publishes the events it collected.
        """
        with self._door.store.unit_of_work() as uow:
            item: ServiceItem | None
            try:
                item = uow.items.get(item_id)
            except (NotFound, PersonalDataErased):
                item = None
            if item is not None and not self._tracks(uow, item):
                item = None
            self._check_officer(uow, staff, item, what)
            if item is None:
                raise NotFound(kind="item")
            work = _Work(uow=uow, item=item, now=self._clock.now())
            yield work
            self._audit(uow, staff, work.item, what)
            uow.commit()
        for event in work.events:
            self._door.services.publish(event)

    def _tracks(self, uow: SqlUnit, item: ServiceItem) -> bool:
        """Whether this desk works on *item*: by default, its own service's items."""
        return item.service_id == self.service_id

    def _read(self, work: _Work) -> tuple[Any, int]:
        """The item's record, kept in the records of the item's own service."""
        found = work.uow.plugin_records.get(
            work.item.account_id, work.item.service_id, key_of(work.item.item_id)
        )
        if found is None:
            raise NotFound(kind="record")
        return found[1], found[0].version

    def _write(self, work: _Work, data: bytes, version: int | None) -> None:
        work.uow.plugin_records.put(
            work.item.account_id,
            work.item.service_id,
            key_of(work.item.item_id),
            data,
            version=version,
            now=work.now,
        )

    def _event(
        self,
        work: _Work,
        kind: TimelineKind,
        summary: BilingualText,
        state: ItemState | None,
        at: dt.datetime | None = None,
    ) -> None:
        """Add a timeline event (and the item's new state, if it changes)."""
        if state is not None and state is not work.item.state:
            work.item = work.uow.items.update(
                attrs.evolve(work.item, state=state, updated_at=work.now)
            )
        elif state is not None:
            work.item = work.uow.items.update(attrs.evolve(work.item, updated_at=work.now))
        work.uow.timeline.append(
            TimelineEvent(
                event_id=f"ev-{secrets.token_hex(12)}",
                item_id=work.item.item_id,
                kind=kind,
                occurred_at=at or work.now,
                state=state if kind is TimelineKind.STATUS_CHANGED or state else None,
                summary=summary,
            )
        )

    def _tell(self, work: _Work, kind: EventKind, summary: BilingualText) -> None:
        work.events.append(
            ServiceEvent(
                kind=kind,
                client_id=work.item.account_id,
                occurred_at=work.now,
                service_id=work.item.service_id,
                item_id=work.item.item_id,
                state=work.item.state,
                summary=summary,
            )
        )


def _phase(value: Phase | str) -> Phase:
    try:
        return Phase(value)
    except ValueError:
        raise UnknownPhase(field="phase") from None


class StatusDesk(DeskBase):
    """
    Officers record an application's processing: phases, requests to the
    client and their review, waits on third parties, documents received,
    comments released to the client.

    It works on the applications it opened (:meth:`open`) and on those of
    another service it follows: an application service (``trv``,
    ``passport-renewal``) keeps the tracker's record of each application it
    submits in its own records, and the desk reads and writes that record
    there, beside the item (:meth:`follow` writes one for an application
    that has none).

    The department's own systems authenticate and authorize their staff;
    this library checks only that ``staff.actor`` is an officer
    (``Capacity.OFFICER``, else :class:`~ircc_account.errors.DepartmentOnly`,
    recorded in the client's history) and records every change there as
    the officer's, with the item and service.

    Args:
        door: The front door (its store, audit log, clock and registry).
        estimates: The processing-time histograms (defaults: six 30-day
            periods, at least 20 similar items).
    """

    def __init__(self, door: FrontDoor, *, estimates: EstimateBook | None = None) -> None:
        super().__init__(door)
        self.estimates = estimates or EstimateBook()

    def _tracks(self, uow: SqlUnit, item: ServiceItem) -> bool:
        """
        The tracker's own items, and an item of another service it follows:
        one whose service keeps a tracker record for it (an application
        service writes it on submission).
        """
        if item.service_id == self.service_id:
            return True
        found = uow.plugin_records.get(item.account_id, item.service_id, key_of(item.item_id))
        return found is not None and TrackerRecord.looks_like(found[1])

    def open(
        self,
        staff: Staff,
        client_id: str,
        *,
        program: str,
        reference: str,
        title: BilingualText,
        received_at: dt.datetime | None = None,
    ) -> ServiceItem:
        """
        Start tracking an application received for *client_id*: the item, in
        phase "received" at ``staff.office``.

        Args:
            staff: Who records it.
            client_id: The client.
            program: What similar applications share for estimates
                (``visitor-visa``, ``study-permit``): an identifier.
            reference: The application number.
            title: What it is, in English and French.
            received_at: When it was received (now by default; not in the future).

        Raises:
            DepartmentOnly: *staff* is not an officer.
            NotFound: no such client.
            Conflict: the reference is already tracked.
            ValidationError: a malformed value.
        """
        from ircc_account._model import _validate as v

        program = v.identifier("program", program)
        now = self._clock.now()
        at = received_at or now
        if at > now:
            raise EventOutOfOrder()
        item = ServiceItem(
            item_id=f"{SERVICE_ID}-{secrets.token_hex(12)}",
            account_id=client_id,
            service_id=SERVICE_ID,
            kind=ItemKind.APPLICATION,
            reference=reference,
            state=ItemState.SUBMITTED,
            title=title,
            created_at=at,
            updated_at=at,
        )
        record = TrackerRecord.new(program)
        record.enter(Phase.RECEIVED, staff.office, micros(at))
        record.touched(staff.office, staff.role, "open", micros(at))
        with self._door.store.unit_of_work() as uow:
            self._check_officer(uow, staff, None, "status.open")
            if uow.accounts.status(client_id) is None:
                raise NotFound(kind="account")
            uow.items.add(item)
            uow.timeline.append(
                TimelineEvent(
                    event_id=f"ev-{secrets.token_hex(12)}",
                    item_id=item.item_id,
                    kind=TimelineKind.SUBMITTED,
                    occurred_at=at,
                    state=ItemState.SUBMITTED,
                    summary=Phase.RECEIVED.doing,
                )
            )
            uow.plugin_records.put(
                client_id, SERVICE_ID, key_of(item.item_id), record.encode(), version=None, now=now
            )
            self._audit(uow, staff, item, "status.open")
            uow.commit()
        self._door.services.publish(
            ServiceEvent(
                kind=EventKind.STATUS_CHANGED,
                client_id=client_id,
                occurred_at=at,
                service_id=SERVICE_ID,
                item_id=item.item_id,
                state=item.state,
                summary=_moved(Phase.RECEIVED.label),
            )
        )
        return item

    def follow(self, staff: Staff, item_id: str, *, program: str) -> ServiceItem:
        """
        Start following an application another service holds that has no
        tracker record yet (one submitted before its service wrote one, or
        by a service not on the application engine): its record, in phase
        "received" at ``staff.office`` from the item's creation, kept in the
        records of the item's service like a submission's.

        Args:
            staff: Who records it.
            item_id: The other service's application item.
            program: What similar applications share for estimates: an identifier.

        Raises:
            DepartmentOnly: *staff* is not an officer (recorded).
            NotFound: no such application item.
            Conflict: the tracker already follows it (or opened it).
            ValidationError: a malformed program.
        """
        from ircc_account._model import _validate as v
        from ircc_account.errors import Conflict

        program = v.identifier("program", program)
        with self._door.store.unit_of_work() as uow:
            item: ServiceItem | None
            try:
                item = uow.items.get(item_id)
            except (NotFound, PersonalDataErased):
                item = None
            if item is not None and item.kind is not ItemKind.APPLICATION:
                item = None
            self._check_officer(uow, staff, item, "status.follow")
            if item is None:
                raise NotFound(kind="item")
            if self._tracks(uow, item):
                raise Conflict(kind="record")
            at = micros(item.created_at)
            record = TrackerRecord.received(program, staff.office, at)
            record.touched(staff.office, staff.role, "follow", at)
            uow.plugin_records.put(
                item.account_id,
                item.service_id,
                key_of(item.item_id),
                record.encode(),
                version=None,
                now=self._clock.now(),
            )
            self._audit(uow, staff, item, "status.follow")
            uow.commit()
        return item

    def change_phase(
        self,
        staff: Staff,
        item_id: str,
        phase: Phase | str | None,
        *,
        doing: BilingualText | None = None,
        at: dt.datetime | None = None,
        legacy_label: str | None = None,
    ) -> ServiceItem:
        """
        The application enters *phase* at ``staff.office``; on a decision, its
        times count toward the estimates of similar items.

        Args:
            staff: Who records it.
            item_id: The tracked item.
            phase: The new phase; ``None`` only with *legacy_label*, for a
                legacy status nobody mapped (shown as "in progress").
            doing: What the department is doing now, if not the phase's
                usual words.
            at: When (now by default): not before the item's latest event,
                nor in the future.
            legacy_label: The legacy system's raw status, kept for staff.

        Raises:
            UnknownPhase: *phase* is not a phase.
            EventOutOfOrder: *at* is before the latest event, or in the future.
            DepartmentOnly: *staff* is not an officer (recorded).
            NotFound: no such tracked item.
        """
        known = None if phase is None and legacy_label is not None else _phase(phase or "")
        with self._work(staff, item_id, "status.phase") as work:
            data, version = self._read(work)
            record = TrackerRecord.decode(data)
            when = micros(at or work.now)
            if when < (record.last_at or 0) or when > micros(work.now):
                raise EventOutOfOrder()
            record.enter(known, staff.office, when, doing=doing, label=legacy_label)
            record.touched(staff.office, staff.role, "phase", when)
            if known is Phase.DECISION:
                self.estimates.add_decision(
                    work.uow,
                    record.program,
                    ((p["phase"], p["office"], p["at"]) for p in record.data["phases"]),
                    when,
                )
            self._write(work, record.encode(), version)
            label = known.label if known is not None else Phase.RECEIVED.label
            summary = (doing or known.doing) if known is not None else (doing or _IN_PROGRESS)
            state = state_of(known, waiting_on_client=record.waiting_on_client())
            self._event(work, TimelineKind.STATUS_CHANGED, summary, state, at or work.now)
            kind = EventKind.DECISION if known is Phase.DECISION else EventKind.STATUS_CHANGED
            self._tell(work, kind, _moved(label) if known is not None else _IN_PROGRESS)
        return work.item

    def request(
        self, staff: Staff, item_id: str, requirement: Requirement, *, at: dt.datetime | None = None
    ) -> str:
        """
        Ask the client for something (a document, biometrics), due after the
        day it is asked: *at*, now by default (not before the item's latest
        event). A request recorded late (a legacy feed's, with its own date)
        may already be past due: it is recorded as asked, and the page shows
        it overdue while it stays unanswered.

        Returns:
            The requirement's id (``req-1``), which the client responds to.

        Raises:
            DueDateInPast: the due date is not after the day it is asked.
            EventOutOfOrder: *at* is before the latest event, or in the future.
            DepartmentOnly: *staff* is not an officer (recorded).
            NotFound: no such tracked item.
        """
        with self._work(staff, item_id, "status.request") as work:
            if requirement.due <= (at or work.now).astimezone(dt.UTC).date():
                raise DueDateInPast(field="due")
            data, version = self._read(work)
            record = TrackerRecord.decode(data)
            requirement_id = record.next_id("req")
            when = micros(at or work.now)
            if when < (record.last_at or 0) or when > micros(work.now):
                raise EventOutOfOrder()
            record.add_requirement(
                requirement_id, requirement.title, requirement.details, requirement.due, when
            )
            record.touched(staff.office, staff.role, "requirement", when)
            self._write(work, record.encode(), version)
            self._event(
                work,
                TimelineKind.DOCUMENT_REQUESTED,
                requirement.title,
                ItemState.ACTION_REQUIRED,
                at or work.now,
            )
            self._tell(work, EventKind.DOCUMENT_REQUESTED, _ASKED)
        return requirement_id

    def review(
        self,
        staff: Staff,
        item_id: str,
        requirement_id: str,
        *,
        accepted: bool,
        reason: BilingualText | None = None,
    ) -> None:
        """
        Accept or reject what the client sent for a requirement (a rejection
        says why). One review per answer: a requirement already accepted or
        rejected is :class:`~ircc_account.errors.RequirementAnswered`.

        Raises:
            UnknownRequirement: the item has no such requirement.
            RequirementAnswered: it was already reviewed.
            RequiredField: a rejection without a reason.
        """
        from ircc_account.errors import RequiredField

        if not accepted and reason is None:
            raise RequiredField(field="reason")
        with self._work(staff, item_id, "status.review") as work:
            data, version = self._read(work)
            record = TrackerRecord.decode(data)
            found = record.requirement(requirement_id)
            if found is None:
                raise UnknownRequirement(field="requirement")
            if found["state"] in (RequirementState.ACCEPTED, RequirementState.REJECTED):
                raise RequirementAnswered(field="requirement")
            state = RequirementState.ACCEPTED if accepted else RequirementState.REJECTED
            record.set_requirement(requirement_id, state=state.value, reason=reason)
            record.touched(staff.office, staff.role, "review", micros(work.now))
            self._write(work, record.encode(), version)
            title = BilingualText(found["title"]["en"], found["title"]["fr"])
            self._event(
                work,
                TimelineKind.NOTE,
                BilingualText(f"{title.en}: {state.label.en}", f"{title.fr} : {state.label.fr}"),
                state_of(record.current_phase(), waiting_on_client=record.waiting_on_client()),
            )

    def respond(self, staff: Staff, item_id: str, requirement_id: str) -> None:
        """
        Note that the client's answer to a requirement arrived by another
        channel (mail, a visa application centre).

        Raises:
            UnknownRequirement: the item has no such requirement.
            RequirementAnswered: it was already answered.
        """
        with self._work(staff, item_id, "status.respond") as work:
            data, version = self._read(work)
            record = TrackerRecord.decode(data)
            answer(record, requirement_id, micros(work.now))
            record.touched(staff.office, staff.role, "requirement", micros(work.now))
            self._write(work, record.encode(), version)
            self._event(
                work,
                TimelineKind.DOCUMENT_RECEIVED,
                _RECEIVED,
                state_of(record.current_phase(), waiting_on_client=record.waiting_on_client()),
            )

    def wait_on(self, staff: Staff, item_id: str, party: Party | str, what: BilingualText) -> str:
        """
        Note that the application waits on a third party (a panel physician's
        report, a police check, a visa office): shown apart from what waits
        on the client.

        Returns:
            The wait's id, to end it with :meth:`wait_over`.
        """
        from ircc_account._model import _validate as v

        party = v.choice("party", Party, party)
        with self._work(staff, item_id, "status.wait") as work:
            data, version = self._read(work)
            record = TrackerRecord.decode(data)
            wait_id = record.next_id("wait")
            record.add_wait(wait_id, party, what, micros(work.now))
            record.touched(staff.office, staff.role, "wait", micros(work.now))
            self._write(work, record.encode(), version)
            self._event(work, TimelineKind.NOTE, what, None)
        return wait_id

    def wait_over(self, staff: Staff, item_id: str, wait_id: str) -> None:
        """
        What the application waited on from a third party came.

        Raises:
            UnknownRequirement: no such open wait.
        """
        with self._work(staff, item_id, "status.wait") as work:
            data, version = self._read(work)
            record = TrackerRecord.decode(data)
            if not record.end_wait(wait_id, micros(work.now)):
                raise UnknownRequirement(field="wait")
            record.touched(staff.office, staff.role, "wait", micros(work.now))
            self._write(work, record.encode(), version)

    def document_received(
        self, staff: Staff, item_id: str, name: BilingualText, *, at: dt.datetime | None = None
    ) -> None:
        """
        Note a document received (the date shows on the item's page).

        Raises:
            EventOutOfOrder: *at* is in the future.
        """
        with self._work(staff, item_id, "status.document") as work:
            when = at or work.now
            if when > work.now:
                raise EventOutOfOrder()
            data, version = self._read(work)
            record = TrackerRecord.decode(data)
            record.add_document(name, micros(when))
            record.touched(staff.office, staff.role, "document", micros(work.now))
            self._write(work, record.encode(), version)
            self._event(work, TimelineKind.DOCUMENT_RECEIVED, name, None)

    def release_comment(self, staff: Staff, item_id: str, text: BilingualText) -> None:
        """
        Release a comment to the client (and to representatives who may see the status).
        """
        with self._work(staff, item_id, "status.comment") as work:
            data, version = self._read(work)
            record = TrackerRecord.decode(data)
            record.add_comment(text, staff.office, staff.role, micros(work.now))
            record.touched(staff.office, staff.role, "comment", micros(work.now))
            self._write(work, record.encode(), version)
            self._event(work, TimelineKind.NOTE, _COMMENTED, None)
            self._tell(work, EventKind.STATUS_CHANGED, _COMMENTED)

    def last_event(self, staff: Staff, item_id: str) -> dt.datetime | None:
        """
        When the item's latest recorded event was (a feed's cursor); the
        read is recorded in the client's history.
        """
        with self._work(staff, item_id, "status.staff_read") as work:
            data, _ = self._read(work)
            last = TrackerRecord.decode(data).last_at
        return None if last is None else from_micros(last)

    def staff_labels(self, staff: Staff, item_id: str) -> tuple[str | None, ...]:
        """
        Each phase step's raw legacy label (``None`` where there was none),
        for staff: a status nobody mapped shows "in progress" to the client
        and keeps its label here. The read is recorded in the client's history.
        """
        with self._work(staff, item_id, "status.staff_read") as work:
            data, _ = self._read(work)
            return TrackerRecord.decode(data).staff_labels()


def answer(record: TrackerRecord, requirement_id: str, at: int, **extra: Any) -> dict[str, Any]:
    """
    Mark a requirement received (the client answered it); returns it as it was.

    Raises:
        UnknownRequirement: no such requirement.
        RequirementAnswered: it was already answered.
    """
    found = record.requirement(requirement_id)
    if found is None:
        raise UnknownRequirement(field="requirement")
    if found["state"] != RequirementState.REQUESTED:
        raise RequirementAnswered(field="requirement")
    record.set_requirement(
        requirement_id, state=RequirementState.RECEIVED.value, answered_at=at, **extra
    )
    return found


def _moved(label: BilingualText) -> BilingualText:
    return BilingualText(
        f"Your application moved to a new step: {label.en}.",
        f"Votre demande est passée à une nouvelle étape : {label.fr}.",
    )


_IN_PROGRESS = BilingualText(
    "Your application is being processed.", "Votre demande est en traitement."
)
_ASKED = BilingualText(
    "We need something from you for your application.",
    "Nous avons besoin de quelque chose de votre part pour votre demande.",
)
_RECEIVED = BilingualText("We received your answer.", "Nous avons reçu votre réponse.")
_COMMENTED = BilingualText(
    "An officer left you a comment on your application.",
    "Un agent vous a laissé un commentaire sur votre demande.",
)
