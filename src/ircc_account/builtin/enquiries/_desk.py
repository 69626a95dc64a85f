"""
The department's side of enquiries: officers answer enquiries, decide
urgent requests with their reasons, ask the filer for more information, and
list what is open, late ones flagged. A library API for the department's own
systems, not a portal page.

Each change is one unit of work: the officer check (a refusal recorded in
the client's history), the enquiry read, everything asked validated (bad
input is refused, recorded, and nothing is written), then the sealed
record and one audit entry (``enquiry.answer``, ``enquiry.decide``,
``enquiry.more_info``) committed together.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa

from ircc_account import Capacity
from ircc_account._model import AuditEntry, Decision
from ircc_account._storage.ports import SqlUnit
from ircc_account.builtin.applications import DocumentStore, SealedDocuments
from ircc_account.builtin.status import SERVICE_ID as STATUS_ID
from ircc_account.builtin.status import Staff, TrackerRecord
from ircc_account.errors import (
    AnswerTooVague,
    DepartmentOnly,
    DocumentRejected,
    EnquiryClosed,
    NotFound,
    PersonalDataErased,
    ReasonRequired,
    RequiredField,
    ValidationError,
)
from ircc_account.services import BilingualText

from ._record import decode, encode, key_of, stamp, text, view
from ._service import open_evidence, record_durably, refusal_reason
from ._values import SERVICE_ID, Enquiry, EnquiryKind, EnquiryState, Evidence

if TYPE_CHECKING:
    from ircc_account import FrontDoor

__all__ = ["EnquiryDesk"]

#: Words that say only that the application is being processed: an answer
#: made of nothing more is refused.
_VAGUE = re.compile(
    r"(your )?(application|file|request)?( is)? ?(still )?(in process(ing)?|in progress|"
    r"being processed|under review|pending|processing)|(votre )?(demande|dossier)?( est)? ?"
    r"(toujours )?(en (cours de )?traitement|en cours|à l'étude|en attente)"
)
#: The fewest characters that can say what is being done or what the client must do.
_MIN_WORDS = 15


@attrs.define
class _Work:
    uow: SqlUnit
    client_id: str
    data: dict[str, Any]
    version: int
    now: dt.datetime


def _plain(value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip().lower().rstrip(".!… ")
    return re.sub(r"\s+", " ", value)


def _says_something(field: str, value: BilingualText | None) -> BilingualText:
    """*value* says more than "in process", in both languages."""
    if not isinstance(value, BilingualText):
        raise RequiredField(field=field)
    for words in (value.en, value.fr):
        plain = _plain(words)
        if len(plain) < _MIN_WORDS or _VAGUE.fullmatch(plain):
            raise AnswerTooVague(field=field)
    return value


class EnquiryDesk:
    """
    Officers answer enquiries, decide urgent requests with reasons, and ask
    the filer for more information; the open ones are listed, late ones
    flagged.

    The department's own systems authenticate and authorize their staff;
    this library checks only that ``staff.actor`` is an officer
    (``Capacity.OFFICER``, else :class:`~ircc_account.errors.DepartmentOnly`,
    recorded in the client's history) and records every change there.

    Args:
        door: The front door (its store, audit log and clock).
        documents: The evidence document store (the filers' :class:`Enquiries`
            uses the same); needed only to open evidence.
    """

    def __init__(self, door: FrontDoor, *, documents: DocumentStore | None = None) -> None:
        self._door = door
        self._clock = door.policy.clock
        self._documents = None if documents is None else SealedDocuments(documents)

    def __repr__(self) -> str:
        return "EnquiryDesk()"

    # --- changes ------------------------------------------------------------------------------

    def answer(
        self,
        staff: Staff,
        client_id: str,
        enquiry_id: str,
        *,
        doing: BilingualText,
        client_must: BilingualText,
        phase: BilingualText | None = None,
    ) -> Enquiry:
        """
        Answer an enquiry: where the application stands (the status
        tracker's current phase when it tracks the item, else *phase*), what
        is being done, and what the client must do. "In process" alone is
        refused.

        Raises:
            AnswerTooVague: *doing* or *client_must* says nothing more than
                "in process" (or is too short), in either language.
            RequiredField: no phase, where the status tracker has none.
            EnquiryClosed: not an open enquiry (already answered, or an
                urgent request, which is decided instead).
            DepartmentOnly: *staff* is not an officer (recorded).
            NotFound: no such enquiry.
        """
        with self._work(staff, client_id, enquiry_id, "enquiry.answer") as work:
            doing = _says_something("doing", doing)
            client_must = _says_something("client_must", client_must)
            data = work.data
            if data["kind"] != EnquiryKind.ENQUIRY or not EnquiryState(data["state"]).is_open:
                raise EnquiryClosed(field="state")
            where = self._phase(work) or phase
            if not isinstance(where, BilingualText):
                raise RequiredField(field="phase")
            data["answer"] = {
                "phase": text(where),
                "doing": text(doing),
                "must": text(client_must),
                "office": staff.office,
                "at": stamp(work.now),
            }
            data["state"] = EnquiryState.ANSWERED.value
            data.pop("more_info", None)
            self._write(work)
        return view(client_id, work.data, work.now.date())

    def decide(
        self,
        staff: Staff,
        client_id: str,
        enquiry_id: str,
        *,
        granted: bool,
        reason: BilingualText | None,
    ) -> Enquiry:
        """
        Decide an urgent request, with its reason (English and French),
        which the filer and the client see. Recorded as ``enquiry.decide``
        with the reason ``granted`` or ``refused``.

        Raises:
            ReasonRequired: no reason, or an empty one in either language.
            EnquiryClosed: not an open urgent request.
            DepartmentOnly: *staff* is not an officer (recorded).
            NotFound: no such enquiry.
        """
        outcome = "granted" if granted is True else "refused"
        with self._work(staff, client_id, enquiry_id, "enquiry.decide", outcome) as work:
            if (
                not isinstance(reason, BilingualText)
                or not reason.en.strip()
                or not reason.fr.strip()
            ):
                raise ReasonRequired(field="reason")
            data = work.data
            if data["kind"] != EnquiryKind.URGENT or not EnquiryState(data["state"]).is_open:
                raise EnquiryClosed(field="state")
            data["outcome"] = {
                "granted": granted is True,
                "reason": text(reason),
                "office": staff.office,
                "at": stamp(work.now),
            }
            data["state"] = (
                EnquiryState.GRANTED if granted is True else EnquiryState.REFUSED
            ).value
            data.pop("more_info", None)
            self._write(work)
        return view(client_id, work.data, work.now.date())

    def request_more(
        self, staff: Staff, client_id: str, enquiry_id: str, what: BilingualText
    ) -> Enquiry:
        """
        Ask the filer for more information (the client sees it too); the
        enquiry waits on them, and is not late meanwhile. Recorded as
        ``enquiry.more_info``.

        Raises:
            AnswerTooVague: *what* is too short to say what is needed.
            EnquiryClosed: the enquiry is not open (answered or decided).
            DepartmentOnly: *staff* is not an officer (recorded).
            NotFound: no such enquiry.
        """
        with self._work(staff, client_id, enquiry_id, "enquiry.more_info") as work:
            what = _says_something("what", what)
            data = work.data
            if data["state"] != EnquiryState.OPEN:
                raise EnquiryClosed(field="state")
            data["more_info"] = {"what": text(what), "at": stamp(work.now)}
            data["state"] = EnquiryState.MORE_INFO.value
            self._write(work)
        return view(client_id, work.data, work.now.date())

    # --- reading ------------------------------------------------------------------------------

    def open_enquiries(self, staff: Staff, *, late_only: bool = False) -> tuple[Enquiry, ...]:
        """
        Every open enquiry and urgent request (late ones flagged, the most
        overdue first); only late ones with *late_only*. Each item shown
        has one ``enquiry.staff_read`` entry in its client's history, all
        written in one transaction, durable before the list is returned.

        Raises:
            DepartmentOnly: *staff* is not an officer (no client's data was touched).
        """
        if staff.actor.capacity is not Capacity.OFFICER:
            raise DepartmentOnly()
        now = self._clock.now()
        today = now.date()
        shown: list[Enquiry] = []
        entries: list[AuditEntry] = []
        with self._door.store.unit_of_work(write=False) as uow:
            records = _plugin_records()
            clients = uow.execute(
                sa.select(records.c.account_id)
                .where(records.c.service_id == SERVICE_ID)
                .distinct()
                .order_by(records.c.account_id),
                "plugin record",
            ).scalars()
            for client_id in list(clients):
                try:
                    found = uow.plugin_records.list(client_id, SERVICE_ID)
                except (PersonalDataErased, NotFound):
                    continue
                mine = []
                for record, value in found:
                    if not record.key.startswith("enq:"):
                        continue
                    enquiry = view(client_id, decode(value), today)
                    if enquiry.state.is_open and (enquiry.late or not late_only):
                        mine.append(enquiry)
                for item_id in sorted({e.item_id for e in mine}):
                    entries.append(self._entry(staff, client_id, item_id, "enquiry.staff_read"))
                shown.extend(mine)
        record_durably(self._door, entries)
        return tuple(sorted(shown, key=lambda e: (not e.late, e.due, e.filed_at)))

    def evidence(
        self, staff: Staff, client_id: str, enquiry_id: str, document_id: str
    ) -> tuple[Evidence, bytes]:
        """
        An evidence document, opened, for an officer (recorded as
        ``enquiry.staff_read``).

        Raises:
            DepartmentOnly: *staff* is not an officer (recorded).
            NotFound: no such document.
        """
        if self._documents is None:
            raise NotFound(kind="document")
        with self._work(staff, client_id, enquiry_id, "enquiry.staff_read") as work:
            enquiry = view(client_id, work.data, work.now.date())
        found = next((e for e in enquiry.evidence if e.document_id == document_id), None)
        if found is None:
            raise NotFound(kind="document")
        return found, open_evidence(self._door, self._documents, client_id, enquiry_id, found)

    # --- inside -------------------------------------------------------------------------------

    @contextmanager
    def _work(
        self, staff: Staff, client_id: str, enquiry_id: str, what: str, outcome: str = "department"
    ) -> Iterator[_Work]:
        with self._door.store.unit_of_work() as uow:
            found: Any = None
            try:
                found = uow.plugin_records.get(client_id, SERVICE_ID, key_of(enquiry_id))
            except (NotFound, PersonalDataErased, ValidationError):
                found = None
            data = None if found is None else decode(found[1])
            item_id = None if data is None else data["item"]
            if staff.actor.capacity is not Capacity.OFFICER:
                if item_id is not None:
                    self._audit(uow, staff, client_id, item_id, what, refused="capacity")
                raise DepartmentOnly()
            if data is None or item_id is None:
                raise NotFound(kind="enquiry")
            work = _Work(uow=uow, client_id=client_id, data=data, version=found[0].version,
                         now=self._clock.now())  # fmt: skip
            try:
                yield work
            except (ValidationError, DocumentRejected) as error:
                self._audit(uow, staff, client_id, item_id, what, refused=refusal_reason(error))
                raise
            self._audit(uow, staff, client_id, item_id, what, reason=outcome)
            uow.commit()

    def _audit(
        self,
        uow: SqlUnit,
        staff: Staff,
        client_id: str,
        item_id: str,
        what: str,
        *,
        reason: str = "department",
        refused: str | None = None,
    ) -> None:
        self._door.audit.append(
            uow,
            self._entry(staff, client_id, item_id, what, reason=reason, refused=refused),
            keep=refused is not None,
        )

    def _entry(
        self,
        staff: Staff,
        client_id: str,
        item_id: str,
        action: str,
        *,
        reason: str = "department",
        refused: str | None = None,
    ) -> AuditEntry:
        return AuditEntry(
            occurred_at=self._clock.now(),
            actor_id=staff.actor.actor_id,
            client_id=client_id,
            capacity=staff.actor.capacity,
            action=action,
            item_id=item_id,
            service_id=SERVICE_ID,
            decision=Decision.ALLOWED if refused is None else Decision.DENIED,
            reason=reason if refused is None else refused,
        )

    def _write(self, work: _Work) -> None:
        work.uow.plugin_records.put(
            work.client_id, SERVICE_ID, key_of(work.data["id"]), encode(work.data),
            version=work.version, now=work.now,
        )  # fmt: skip

    def _phase(self, work: _Work) -> BilingualText | None:
        """
        The status tracker's current phase of the item, if it tracks it:
        the tracker keeps its record in the records of the item's own
        service (its own items', or an application's submitted through
        another service, docs/services/status.md).
        """
        item_id = work.data["item"]
        try:
            item = work.uow.items.get(item_id)
        except (NotFound, PersonalDataErased):
            return None
        service_id = STATUS_ID if item is None else item.service_id
        found = work.uow.plugin_records.get(work.client_id, service_id, f"item:{item_id}")
        if found is None or not TrackerRecord.looks_like(found[1]):
            return None
        steps = TrackerRecord.decode(decode(found[1])).steps()
        return steps[-1].label if steps else None


def _plugin_records() -> sa.Table:
    from ircc_account._storage import _schema

    return _schema.plugin_records
