"""
The filer's side of enquiries: a client, or a representative whose grant
includes ``enquire`` (an MP's or Senator's office first of all), files an
enquiry or a request for urgent processing about an item, sends more
information when asked, and reads the answers; an office files for several
clients at once and lists its enquiries.

A library API over the front door (like the status tracker's page): every
call authorizes through the policy on the item the enquiry is about and
records one audit entry, naming the service ``enquiries``, in the client's
history. A representative's grant may not include ``act``, so the records
are written through the store in that one unit of work, never through a
plugin context.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ircc_account import Actor
from ircc_account._clock import Randomness, SystemRandomness
from ircc_account._model import AuditEntry, Decision
from ircc_account._model import _validate as v
from ircc_account._storage.ports import SqlUnit
from ircc_account.authz import Action, AuthorizationDecision, Resource
from ircc_account.builtin.applications import (
    DocumentStore,
    SealedDocuments,
    UploadLimits,
    inspect_upload,
)
from ircc_account.errors import (
    ConfigurationError,
    DocumentRejected,
    EnquiryClosed,
    EnquiryRefused,
    IrccAccountError,
    NotFound,
    OutOfRange,
    PersonalDataErased,
    TooManyDocuments,
    UnknownCategory,
    UnknownValue,
    ValidationError,
)
from ircc_account.services import ServiceItem

from ._record import KEY_PREFIX, decode, encode, key_of, stamp, view
from ._values import (
    CRITERIA,
    ENQUIRY_ANSWER_DAYS,
    SERVICE_ID,
    Category,
    Criteria,
    Enquiry,
    EnquiryKind,
    EnquiryRequest,
    EnquiryState,
    Evidence,
    Filed,
    Need,
    Upload,
)

if TYPE_CHECKING:
    from ircc_account import FrontDoor

__all__ = ["Enquiries", "refusal_reason"]

#: The longest question or explanation, in characters.
MAX_QUESTION = 2000
#: The most evidence documents on one request.
MAX_EVIDENCE = 5
#: The shortest explanation that counts for a "statement" criterion.
MIN_STATEMENT = 40
#: The accepted evidence types (sniffed from the content).
EVIDENCE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
_KEY_RECORD = "documents.key"


def refusal_reason(error: IrccAccountError) -> str:
    """The reason a bad-input refusal is recorded with in the client's history."""
    if isinstance(error, DocumentRejected):
        return "enquiries.evidence_refused"
    if error.code.startswith("enquiries."):
        return error.code
    return "enquiries.invalid"


@attrs.frozen
class _Checked:
    """A request, validated: nothing in it is refused any more."""

    kind: EnquiryKind
    category: Category | None
    question: str
    attested: frozenset[str]
    meets: tuple[str, ...]
    travel_date: dt.date | None
    evidence: tuple[tuple[Upload, str], ...]
    due: dt.date


def due_date(category: Category | None, today: dt.date) -> dt.date:
    """The service standard's date for an answer filed *today*."""
    days = ENQUIRY_ANSWER_DAYS if category is None else CRITERIA[category].answer_days
    return today + dt.timedelta(days=days)


def check_request(request: EnquiryRequest, today: dt.date, limits: UploadLimits) -> _Checked:
    """
    Validate *request* and check it against its category's criteria.

    Raises:
        UnknownCategory: no such category.
        UnknownValue: a criterion the category does not have.
        RequiredField, FieldTooLong, ControlCharacters: a bad question.
        TooManyDocuments: more than five evidence documents.
        DocumentRejected: evidence too large, of a refused type, damaged.
    """
    question = v.text("question", request.question, max_length=MAX_QUESTION, multiline=True)
    category: Category | None = None
    criteria: Criteria | None = None
    if request.category is not None:
        try:
            category = Category(request.category)
        except ValueError:
            raise UnknownCategory(field="category") from None
        criteria = CRITERIA[category]
    attested = frozenset(str(a) for a in request.attested)
    known = set() if criteria is None else {c.criterion_id for c in criteria.criteria}
    if not attested <= known:
        raise UnknownValue(field="attested")
    if request.travel_date is not None and not isinstance(request.travel_date, dt.date):
        raise UnknownValue(field="travel_date")
    if len(request.evidence) > MAX_EVIDENCE:
        raise TooManyDocuments(limit=MAX_EVIDENCE)
    evidence = []
    for upload in request.evidence:
        if not isinstance(upload, Upload):
            raise UnknownValue(field="evidence")
        inspected = inspect_upload(upload.data, accepted=EVIDENCE_TYPES, limits=limits)
        evidence.append((upload, inspected.content_type))
    meets: list[str] = []
    for c in () if criteria is None else criteria.criteria:
        if c.criterion_id not in attested:
            continue
        met = (
            c.need is Need.ATTESTED
            or (c.need is Need.EVIDENCE and bool(evidence))
            or (c.need is Need.STATEMENT and len(question) >= MIN_STATEMENT)
            or (
                c.need is Need.TRAVEL_SOON
                and request.travel_date is not None
                and today < request.travel_date <= today + dt.timedelta(days=c.days or 0)
            )
        )
        if met:
            meets.append(c.criterion_id)
    return _Checked(
        kind=EnquiryKind.ENQUIRY if category is None else EnquiryKind.URGENT,
        category=category,
        question=question,
        attested=attested,
        meets=tuple(meets),
        travel_date=request.travel_date,
        evidence=tuple(evidence),
        due=due_date(category, today),
    )


def _filename(name: str) -> str:
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[:120] or "document"


class Enquiries:
    """
    Enquiries and urgent requests, for the people who file them: the client,
    or a representative whose grant includes ``enquire``.

    Args:
        door: The front door (its store, policy, audit log and clock).
        documents: Where evidence documents are kept, sealed with a key of
            the client's (erased with their data key); without one, a
            request with evidence is refused (``ConfigurationError``).
        limits: The size and pixel limits on evidence (10 MiB by default).
        max_targets: The most items one filing for several clients may name.
        randomness: Where ids come from.
    """

    def __init__(
        self,
        door: FrontDoor,
        *,
        documents: DocumentStore | None = None,
        limits: UploadLimits | None = None,
        max_targets: int = 50,
        randomness: Randomness | None = None,
    ) -> None:
        self._door = door
        self._clock = door.policy.clock
        self._store = None if documents is None else SealedDocuments(documents)
        self.limits = limits or UploadLimits()
        self.max_targets = max_targets
        self._randomness = randomness or SystemRandomness()

    def __repr__(self) -> str:
        return "Enquiries()"

    @property
    def _documents(self) -> SealedDocuments:
        if self._store is None:
            raise ConfigurationError(reason="evidence needs a document store")
        return self._store

    # --- what is published ------------------------------------------------------------------

    @staticmethod
    def criteria(category: Category | str) -> Criteria:
        """
        A category's published criteria and service standard, to show when filing.

        Raises:
            UnknownCategory: no such category.
        """
        try:
            return CRITERIA[Category(category)]
        except ValueError:
            raise UnknownCategory(field="category") from None

    # --- filing -----------------------------------------------------------------------------

    def file(
        self,
        actor: Actor,
        client_id: str,
        item_id: str,
        request: EnquiryRequest,
        *,
        correlation_id: str | None = None,
    ) -> Enquiry:
        """
        File an enquiry (no category) or a request for urgent processing
        about *client_id*'s item *item_id*; recorded as ``enquiry.file`` or
        ``enquiry.urgent`` in the client's history. An urgent request is
        checked against its category's criteria: :attr:`Enquiry.meets`.

        Raises:
            EnquiryRefused: the item is not one *actor* may enquire about
                (another client's, unknown, or outside the grant: all alike;
                the attempt is recorded). When only a stronger sign-in is
                missing, ``params["reason"]`` is ``assurance`` and
                ``params["level"]`` the level to step up to.
            UnknownCategory, UnknownValue, RequiredField, FieldTooLong,
            TooManyDocuments, DocumentRejected: bad input; nothing is
                stored, and the refusal is recorded when the item is one
                *actor* may enquire about.
        """
        today = self._clock.now().date()
        plain = request.category is None
        try:
            checked: _Checked | IrccAccountError = check_request(request, today, self.limits)
        except (ValidationError, DocumentRejected) as error:
            checked = error
        item, decision, entries = self._decide(
            actor, client_id, item_id, "enquiry.file" if plain else "enquiry.urgent", correlation_id
        )
        with self._door.store.unit_of_work() as uow:
            self._log(uow, entries, decision)
            if isinstance(checked, IrccAccountError):
                self._refuse(
                    uow, actor, item, "enquiry.file" if plain else "enquiry.urgent", checked,
                    correlation_id,
                )  # fmt: skip
                raise checked
            enquiry_id = "enq-" + self._randomness.token_bytes(12).hex()
            now = self._clock.now()
            evidence, names = self._store_evidence(uow, client_id, enquiry_id, checked.evidence)
            try:
                data = {
                    "v": 1,
                    "id": enquiry_id,
                    "item": item.item_id,
                    "svc": item.service_id,
                    "kind": checked.kind.value,
                    "category": None if checked.category is None else checked.category.value,
                    "question": checked.question,
                    "filed_by": actor.actor_id,
                    "org": decision.organisation_id,
                    "filed_at": stamp(now),
                    "due": checked.due.isoformat(),
                    "state": EnquiryState.OPEN.value,
                    "attested": sorted(checked.attested),
                    "meets": list(checked.meets),
                    "travel": None
                    if checked.travel_date is None
                    else checked.travel_date.isoformat(),
                    "evidence": evidence,
                }
                uow.plugin_records.put(
                    client_id, SERVICE_ID, key_of(enquiry_id), encode(data), version=None, now=now
                )
                uow.commit()
            except BaseException:
                for name in names:
                    self._documents.delete(name)
                raise
        return view(client_id, data, today)

    def file_many(
        self,
        actor: Actor,
        targets: Sequence[tuple[str, str]],
        request: EnquiryRequest,
        *,
        correlation_id: str | None = None,
    ) -> tuple[Filed, ...]:
        """
        File the same enquiry or urgent request about several clients'
        items at once (an office's caseload): each ``(client_id, item_id)``
        is checked under its own grant and filed in a unit of its own, so
        one refused item does not stop the others (per-item results, in
        order). A refused item is recorded in that client's history and
        reported only as ``enquiries.refused``, whatever the cause, so the
        result never tells whether another client's item exists.

        Raises:
            OutOfRange: no targets, or more than ``max_targets``.
            UnknownCategory, UnknownValue, RequiredField, FieldTooLong,
            TooManyDocuments, DocumentRejected: the request itself is bad:
                nothing is filed for anyone (each item the actor may
                enquire about records the refusal).
        """
        targets = list(targets)
        if not 0 < len(targets) <= self.max_targets:
            raise OutOfRange(field="targets")
        today = self._clock.now().date()
        try:
            check_request(request, today, self.limits)
        except (ValidationError, DocumentRejected) as error:
            for client_id, item_id in targets:
                with contextlib.suppress(EnquiryRefused, ValidationError, DocumentRejected):
                    self.file(actor, client_id, item_id, request, correlation_id=correlation_id)
            raise error from None
        results = []
        for client_id, item_id in targets:
            try:
                enquiry = self.file(
                    actor, client_id, item_id, request, correlation_id=correlation_id
                )
            except EnquiryRefused:
                results.append(Filed(client_id=client_id, item_id=item_id, enquiry=None,
                                     error=EnquiryRefused.code))  # fmt: skip
            else:
                results.append(Filed(client_id=client_id, item_id=item_id, enquiry=enquiry))
        return tuple(results)

    def respond(
        self,
        actor: Actor,
        client_id: str,
        enquiry_id: str,
        text: str,
        *,
        evidence: Sequence[Upload] = (),
        correlation_id: str | None = None,
    ) -> Enquiry:
        """
        Send the more information the department asked for (the filer, or
        the client); the request is checked against its criteria again, and
        its due date starts afresh. Recorded as ``enquiry.respond``.

        Raises:
            EnquiryRefused: no such enquiry *actor* may answer for (recorded).
            EnquiryClosed: no more information was asked for.
            RequiredField, FieldTooLong, TooManyDocuments, DocumentRejected:
                bad input (nothing stored; the refusal recorded).
        """
        today = self._clock.now().date()
        data, version = self._enquiry_record(client_id, enquiry_id)
        item_id = enquiry_id if data is None else data["item"]
        item, decision, entries = self._decide(
            actor, client_id, item_id, "enquiry.respond", correlation_id
        )
        if data is None or not self._filer_of(actor, data, decision):
            # Not an enquiry this actor filed: refused like an unknown one.
            refused = _refused("not_found")
            denied = [
                (attrs.evolve(e, decision=Decision.DENIED, reason="not_found", grant_id=None,
                              organisation_id=None), who)
                for e, who in entries
            ]  # fmt: skip
            with self._door.store.unit_of_work() as uow:
                self._log(uow, denied, refused)
            raise EnquiryRefused()
        with self._door.store.unit_of_work() as uow:
            self._log(uow, entries, decision)
            try:
                text = v.text("text", text, max_length=MAX_QUESTION, multiline=True)
                combined = EnquiryRequest(
                    question=f"{data['question']}\n\n{text}",
                    category=data.get("category"),
                    attested=data.get("attested", ()),
                    travel_date=None
                    if data.get("travel") is None
                    else dt.date.fromisoformat(data["travel"]),
                    evidence=evidence,  # type: ignore[arg-type]
                )
                checked = check_request(combined, today, self.limits)
                if data["state"] != EnquiryState.MORE_INFO:
                    raise EnquiryClosed(field="state")
                if len(data.get("evidence", ())) + len(checked.evidence) > MAX_EVIDENCE:
                    raise TooManyDocuments(limit=MAX_EVIDENCE)
            except (ValidationError, DocumentRejected) as error:
                self._refuse(uow, actor, item, "enquiry.respond", error, correlation_id)
                raise
            now = self._clock.now()
            more, names = self._store_evidence(uow, client_id, enquiry_id, checked.evidence)
            try:
                data["evidence"] = [*data.get("evidence", ()), *more]
                data["response"] = {"text": text, "at": stamp(now)}
                data["state"] = EnquiryState.OPEN.value
                data["due"] = due_date(checked.category, today).isoformat()
                criteria = [] if checked.category is None else CRITERIA[checked.category].criteria
                # Evidence sent earlier counts too.
                data["meets"] = [
                    c.criterion_id
                    for c in criteria
                    if c.criterion_id in checked.meets
                    or (c.need is Need.EVIDENCE and c.criterion_id in checked.attested
                        and data["evidence"])
                ]  # fmt: skip
                uow.plugin_records.put(
                    client_id, SERVICE_ID, key_of(enquiry_id), encode(data),
                    version=version, now=now,
                )  # fmt: skip
                uow.commit()
            except BaseException:
                for name in names:
                    self._documents.delete(name)
                raise
        return view(client_id, data, today)

    # --- reading ----------------------------------------------------------------------------

    def for_client(
        self, actor: Actor, client_id: str, *, correlation_id: str | None = None
    ) -> tuple[Enquiry, ...]:
        """
        The enquiries about *client_id*'s file that *actor* may see, newest
        first: all of them for the client; for a representative, those they
        or their office filed, on items they may still enquire about. One
        access, recorded as ``enquiry.read``.

        Raises:
            AuthorizationError: *actor* may see none of the client's
                enquiries (recorded).
        """
        today = self._clock.now().date()
        with self._door.store.unit_of_work() as uow:
            rows = self._rows(uow, client_id)
            shown = []
            seen: AuthorizationDecision | None = None
            for data in rows:
                decision = self._door.policy.decide(
                    actor, Action.ENQUIRE, _item(client_id, data), uow=uow
                )
                if decision.allowed and self._filer_of(actor, data, decision):
                    shown.append(view(client_id, data, today))
                    seen = decision
            whole = self._door.policy.decide(
                actor, Action.ENQUIRE, Resource(client_id=client_id, service_id=SERVICE_ID), uow=uow
            )
            # A grant that covers single items shows their enquiries only.
            allowed = whole if whole.allowed or seen is None else seen
            self._door.policy.record(
                actor,
                Action.ENQUIRE,
                Resource(client_id=client_id, service_id=SERVICE_ID),
                allowed,
                uow=uow,
                correlation_id=correlation_id,
                record_as="enquiry.read",
            )
            if not allowed.allowed:
                raise allowed.refusal()
            uow.commit()
        return tuple(sorted(shown, key=lambda e: e.filed_at, reverse=True))

    def office_list(
        self, actor: Actor, *, open_only: bool = True, correlation_id: str | None = None
    ) -> tuple[Enquiry, ...]:
        """
        An office staff member's (or any representative's) enquiries across
        their clients: those they or their office filed, on items they may
        still enquire about now (a client outside their grants or access
        group is never shown), open ones only unless *open_only* is false;
        late ones flagged (:attr:`Enquiry.late`), the most overdue first.
        Each client shown has one ``enquiry.list`` entry in their history,
        all written in one transaction, durable before the list is returned.
        """
        today = self._clock.now().date()
        policy = self._door.policy
        shown: list[Enquiry] = []
        entries: list[AuditEntry] = []
        with self._door.store.unit_of_work(write=False) as uow:
            reached = policy.clients_reached(actor, uow=uow)
            # Every client's records in one statement (per 500 clients).
            records = uow.plugin_records.list_many(reached, SERVICE_ID, prefix=KEY_PREFIX)
            for client_id in reached:
                rows = [decode(data) for _, data in records.get(client_id, ())]
                mine = []
                grant = None
                for data in rows:
                    if open_only and not EnquiryState(data["state"]).is_open:
                        continue
                    if data["filed_by"] != actor.actor_id and data.get("org") is None:
                        continue
                    decision = policy.decide(actor, Action.ENQUIRE, _item(client_id, data), uow=uow)
                    if decision.allowed and self._filer_of(actor, data, decision):
                        mine.append(view(client_id, data, today))
                        grant = decision
                if mine and grant is not None:
                    entries.append(
                        AuditEntry(
                            occurred_at=self._clock.now(),
                            actor_id=actor.actor_id,
                            client_id=client_id,
                            capacity=actor.capacity,
                            action="enquiry.list",
                            service_id=SERVICE_ID,
                            decision=Decision.ALLOWED,
                            reason=grant.reason,
                            grant_id=grant.grant_id,
                            organisation_id=grant.organisation_id,
                            correlation_id=correlation_id,
                        )
                    )
                    shown.extend(mine)
        record_durably(self._door, entries)
        return tuple(sorted(shown, key=lambda e: (not e.late, e.due, e.filed_at)))

    def evidence(
        self,
        actor: Actor,
        client_id: str,
        enquiry_id: str,
        document_id: str,
        *,
        correlation_id: str | None = None,
    ) -> tuple[Evidence, bytes]:
        """
        An evidence document, opened, for whoever may see its enquiry
        (recorded as ``enquiry.read``).

        Raises:
            NotFound: no such document for an enquiry *actor* may see.
        """
        for enquiry in self.for_client(actor, client_id, correlation_id=correlation_id):
            if enquiry.enquiry_id == enquiry_id:
                found = next((e for e in enquiry.evidence if e.document_id == document_id), None)
                if found is not None:
                    return found, open_evidence(
                        self._door, self._documents, client_id, enquiry_id, found
                    )
        raise NotFound(kind="document")

    # --- inside ------------------------------------------------------------------------------

    def _enquiry_record(self, client_id: str, enquiry_id: str) -> tuple[Any, int | None]:
        try:
            enquiry_id = v.identifier("enquiry_id", enquiry_id)
        except ValidationError:
            return None, None
        with self._door.store.unit_of_work(write=False) as uow:
            try:
                found = uow.plugin_records.get(client_id, SERVICE_ID, key_of(enquiry_id))
            except (NotFound, PersonalDataErased, ValidationError):
                found = None
        if found is None:
            return None, None
        return decode(found[1]), found[0].version

    @staticmethod
    def _filer_of(actor: Actor, data: dict[str, Any], decision: AuthorizationDecision) -> bool:
        """Whether *actor* filed it, or belongs to the office that did (under *decision*)."""
        if decision.reason == "owner":
            return True
        if data["filed_by"] == actor.actor_id:
            return True
        org = data.get("org")
        return org is not None and decision.organisation_id == org

    def _rows(self, uow: SqlUnit, client_id: str) -> list[dict[str, Any]]:
        try:
            found = uow.plugin_records.list(client_id, SERVICE_ID)
        except (PersonalDataErased, NotFound):
            return []
        return [decode(data) for record, data in found if record.key.startswith(KEY_PREFIX)]

    def _decide(
        self,
        actor: Actor,
        client_id: str,
        item_id: str,
        what: str,
        correlation_id: str | None,
    ) -> tuple[ServiceItem, AuthorizationDecision, list[tuple[AuditEntry, str | None]]]:
        """
        Whether *actor* may enquire about the item, decided on the item as
        stored (its owner and service: SEC-50). A grant's first use is noted
        here; the decision's one entry, naming this service, is returned to
        be written in the caller's unit (a refusal: written now, kept).
        """
        entries: list[tuple[AuditEntry, str | None]] = []

        def collect(entry: AuditEntry, *, on_behalf_of: str | None = None) -> None:
            entries.append((attrs.evolve(entry, service_id=SERVICE_ID), on_behalf_of))

        try:
            client_id = v.identifier("client_id", client_id)
        except ValidationError:
            raise EnquiryRefused() from None  # no such client: no history to record it in
        tried: str | None = item_id
        with self._door.store.unit_of_work(write=False) as uow:
            item: ServiceItem | None
            try:
                item = uow.items.get(v.identifier("item_id", item_id))
            except (NotFound, PersonalDataErased):
                item = None
            except ValidationError:
                item, tried = None, None
            known = uow.accounts.status(client_id) is not None
            if item is None or item.account_id != client_id or item.service_id == SERVICE_ID:
                decision = _refused("not_found")
            else:
                decision = self._door.policy.authorize(
                    actor,
                    Action.ENQUIRE,
                    Resource(client_id=client_id, service_id=item.service_id, item_id=item_id),
                    uow=uow,
                    correlation_id=correlation_id,
                    record_as=what,
                    durable_now=True,
                    recorder=collect,
                )
        if item is None or not decision.allowed:
            if known:
                with self._door.store.unit_of_work() as uow:
                    if not entries:
                        self._door.policy.record(
                            actor, Action.ENQUIRE,
                            Resource(client_id=client_id, service_id=SERVICE_ID, item_id=tried),
                            decision, uow=uow, correlation_id=correlation_id, record_as=what,
                        )  # fmt: skip
                    self._log(uow, entries, decision)
            if item is not None and decision.required_assurance is not None:
                # Their grant covers the item; only a stronger sign-in is
                # missing, and saying so reveals nothing they may not see.
                raise EnquiryRefused(reason=decision.reason, level=int(decision.required_assurance))
            raise EnquiryRefused()
        return item, decision, entries

    def _log(
        self,
        uow: SqlUnit,
        entries: Iterable[tuple[AuditEntry, str | None]],
        decision: AuthorizationDecision,
    ) -> None:
        for entry, on_behalf_of in entries:
            self._door.audit.append(
                uow, entry, on_behalf_of=on_behalf_of, keep=not decision.allowed
            )

    def _refuse(
        self,
        uow: SqlUnit,
        actor: Actor,
        item: ServiceItem,
        what: str,
        error: IrccAccountError,
        correlation_id: str | None,
    ) -> None:
        """Record a refusal of bad input in the client's history (kept past the rollback)."""
        self._door.audit.append(
            uow,
            AuditEntry(
                occurred_at=self._clock.now(),
                actor_id=actor.actor_id,
                client_id=item.account_id,
                capacity=actor.capacity,
                action=what,
                item_id=item.item_id,
                service_id=SERVICE_ID,
                decision=Decision.DENIED,
                reason=refusal_reason(error),
                correlation_id=correlation_id,
            ),
            on_behalf_of=None,
            keep=True,
        )

    def _store_evidence(
        self,
        uow: SqlUnit,
        client_id: str,
        enquiry_id: str,
        uploads: Sequence[tuple[Upload, str]],
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """Seal and keep each upload; their descriptions and the names stored."""
        if not uploads:
            return [], []
        key = document_key(uow, client_id, self._clock.now(), create=True)
        assert key is not None
        kept: list[dict[str, Any]] = []
        names: list[str] = []
        try:
            for upload, content_type in uploads:
                document_id = "f-" + self._randomness.token_bytes(12).hex()
                name = document_name(client_id, enquiry_id, document_id)
                self._documents.put(key, name, content_type, bytes(upload.data))
                names.append(name)
                kept.append(
                    {
                        "document_id": document_id,
                        "filename": _filename(upload.filename),
                        "content_type": content_type,
                        "size": len(upload.data),
                        "sha256": hashlib.sha256(upload.data).hexdigest(),
                    }
                )
        except BaseException:
            for name in names:
                self._documents.delete(name)
            raise
        return kept, names


def _item(client_id: str, data: dict[str, Any]) -> Resource:
    return Resource(client_id=client_id, service_id=data["svc"], item_id=data["item"])


def _refused(reason: str) -> AuthorizationDecision:
    return AuthorizationDecision(allowed=False, reason=reason)


def record_durably(door: FrontDoor, entries: Sequence[AuditEntry]) -> None:
    """
    Record a list's reads, one entry per client shown, in one transaction,
    durable before the list is handed out (a read changes nothing, so the
    entries need no unit of their own; SEC-66).

    Raises:
        AuditClockSkew: an entry could not be placed in its partition (the
            list is not handed out).
    """
    if not entries:
        return
    audit = door.audit
    results = audit.write_batch([audit.prepare(e) for e in entries])
    for result in results:
        if isinstance(result, BaseException):
            raise result


def document_name(client_id: str, enquiry_id: str, document_id: str) -> str:
    """Where an evidence document is kept in the document store."""
    return f"enquiries/{client_id}/{enquiry_id}/{document_id}"


def document_key(uow: SqlUnit, client_id: str, now: dt.datetime, *, create: bool) -> bytes | None:
    """
    The client's evidence key, from the service's records (made with the
    first evidence document); it dies with the client's data key.
    """
    import base64
    import os

    found = uow.plugin_records.get(client_id, SERVICE_ID, _KEY_RECORD)
    if found is not None:
        return base64.b64decode(decode(found[1])["key"])
    if not create:
        return None
    key = os.urandom(32)
    value = encode({"v": 1, "key": base64.b64encode(key).decode()})
    uow.plugin_records.put(client_id, SERVICE_ID, _KEY_RECORD, value, version=None, now=now)
    return key


def open_evidence(
    door: FrontDoor,
    documents: SealedDocuments,
    client_id: str,
    enquiry_id: str,
    evidence: Evidence,
) -> bytes:
    """An evidence document's bytes (the caller has recorded the access)."""
    with door.store.unit_of_work(write=False) as uow:
        key = document_key(uow, client_id, door.policy.clock.now(), create=False)
    if key is None:
        raise NotFound(kind="document")
    return documents.get(
        key, document_name(client_id, enquiry_id, evidence.document_id), evidence.content_type
    )
