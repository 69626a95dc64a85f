"""
:class:`ApplicationService`: the application engine as a service plugin.

One instance is one service (the TRV application, passport renewal): it
implements the hooks (manifest, start-up with its document store, the
client's submitted applications as items, their timelines, and the
service-level action "start an application") and the engine's operations
on drafts, each given the request's :class:`~ircc_account.services.ServiceContext`.
Everything it keeps about a client goes through the context's gates:
drafts in ``ctx.records`` (sealed with the client's data key; every read
and save authorized and audited), submitted applications as items
(``ctx.items``), and documents sealed in the document store under a
per-client key kept in ``ctx.records``.

A portal drives the operations through
:class:`~ircc_account.builtin.applications.ApplicationDesk`, which builds
the context for the signed-in actor and adds the client's signature.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from ircc_account import AssuranceLevel, Capacity, Randomness, SystemRandomness
from ircc_account._model import _validate as v
from ircc_account.errors import (
    ApplicationIncomplete,
    ApplicationIneligible,
    ApplicationLocked,
    AuthorizationError,
    ConfigurationError,
    Conflict,
    DocumentNotExpected,
    DraftExpired,
    InvalidFormat,
    IrccAccountError,
    NotFound,
    PaymentMismatch,
    ReviewOutdated,
    SignatureRequired,
    TooManyDocuments,
    ValidationError,
)
from ircc_account.hookspecs import hookimpl
from ircc_account.services import (
    ActionOffer,
    ActionResult,
    BilingualText,
    ItemKind,
    ItemState,
    Rollout,
    ServiceContext,
    ServiceItem,
    ServiceManifest,
    TimelineEvent,
    TimelineKind,
)

from ..status._plugin import offers, respond
from ..status._record import TrackerRecord, key_of, micros
from ._answers import apply_answers
from ._documents import FolderDocumentStore, SealedDocuments
from ._drafts import (
    Draft,
    DraftState,
    Payment,
    Preparer,
    Receipt,
    Signature,
    StoredDocument,
    draft_from_record,
    draft_to_json,
    record_key,
)
from ._evaluate import Counter, Evaluation, evaluate, statement, statement_digest
from ._inspect import UploadLimits, inspect_upload
from ._model import Form

__all__ = ["ApplicationService", "Review"]

_DRAFT_ID = re.compile(r"d-[0-9a-f]{24}")
_KEY_RECORD = "documents.key"
_START = "start"
#: The office a submitted application is received at, in the tracker's first phase.
RECEIVED_ONLINE = "online"


@attrs.frozen(kw_only=True)
class Review:
    """
    What the client reviews before signing: the draft, what its answers
    imply, and the exact statement their signature will cover.

    Attributes:
        draft: The draft.
        evaluation: Its checklist, hints, fees and what is missing.
        statement: The canonical bytes signed.
        digest: The statement's SHA-256, hex: pass it back to sign exactly this.
    """

    draft: Draft
    evaluation: Evaluation
    statement: bytes = attrs.field(repr=False)
    digest: str


def _filename(name: str) -> str:
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[:120] or "document"


class ApplicationService:
    """
    An application service: a form (as data) behind the service hooks.

    Register an instance as a plugin (``FrontDoor.open(config,
    plugins={"trv": service})``, or through its entry point) and give it a
    document store in its settings::

        plugin_settings={"trv": {"documents": FolderDocumentStore("/srv/docs")}}

    (or ``{"documents_folder": "/srv/docs"}``; optional ``upload_limits``:
    an :class:`UploadLimits`). One instance serves one front door: a second
    start-up without a shutdown in between is refused.

    Args:
        form: The application, as data.
        title: The service's name on the dashboard.
        description: What it is for.
        counters: What fee lines count by name (``applicants``, ``biometrics``).
        number_prefix: The application number's first letters (``V``).
        document_number: The question whose answer is the item's travel
            document number (kept encrypted), if any.
        program: What its submitted applications share with similar ones
            in the status tracker's estimates (``visitor-visa``): an
            identifier; the service id by default.
        assurance: The login assurance the service needs.
        version: The plugin's version.
        randomness: Where ids and application numbers come from.
    """

    def __init__(
        self,
        form: Form,
        *,
        title: BilingualText,
        description: BilingualText,
        counters: Mapping[str, Counter] | None = None,
        number_prefix: str = "A",
        document_number: str | None = None,
        program: str | None = None,
        assurance: AssuranceLevel = AssuranceLevel.MODERATE,
        version: str = "1.0.0",
        randomness: Randomness | None = None,
    ) -> None:
        self.form = form
        self.service_id = form.service_id
        self.counters = dict(counters or {})
        unknown = {f.per for f in form.fees} - set(self.counters) - {"application"}
        if unknown:
            raise ConfigurationError(reason="a fee line counts by an unknown counter")
        self._title = title
        self._description = description
        self._prefix = number_prefix
        self._document_number = document_number
        self.program = v.identifier("program", program or self.service_id)
        self._assurance = assurance
        self._version = version
        self._randomness = randomness or SystemRandomness()
        self._documents: SealedDocuments | None = None
        self.limits = UploadLimits()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(service_id={self.service_id!r})"

    # --- hooks --------------------------------------------------------------------------------

    @hookimpl
    def ircc_service_manifest(self) -> ServiceManifest:
        return ServiceManifest(
            service_id=self.service_id,
            version=self._version,
            title=self._title,
            description=self._description,
            assurance=self._assurance,
            scopes=frozenset({"view_status", "act"}),  # type: ignore[arg-type]
            rollout=Rollout(percentage=100),
        )

    @hookimpl
    def ircc_startup(self, settings: Mapping[str, Any]) -> None:
        if self._documents is not None:
            raise ConfigurationError(reason="this service instance already serves a front door")
        store = settings.get("documents")
        folder = settings.get("documents_folder")
        if store is None and isinstance(folder, str | os.PathLike):
            store = FolderDocumentStore(folder)
        if store is None or not all(hasattr(store, m) for m in ("put", "get", "delete", "list")):
            raise ConfigurationError(reason="an application service needs a document store")
        limits = settings.get("upload_limits", UploadLimits())
        if not isinstance(limits, UploadLimits):
            raise ConfigurationError(reason="upload_limits must be an UploadLimits")
        self.limits = limits
        self._documents = SealedDocuments(store)

    @hookimpl
    def ircc_shutdown(self) -> None:
        self._documents = None

    @hookimpl
    def ircc_client_items(self, ctx: ServiceContext) -> Sequence[ServiceItem]:
        return list(ctx.items.list())

    @hookimpl
    def ircc_item_timeline(self, ctx: ServiceContext, item_id: str) -> Sequence[TimelineEvent]:
        return list(ctx.timeline.list(item_id))

    @hookimpl
    def ircc_item_actions(self, ctx: ServiceContext, item_id: str) -> Sequence[ActionOffer]:
        # A submitted application is followed by the status tracker: what an
        # officer asked for is answered here, on the item's own page.
        if "act" not in ctx.scopes:
            return []
        found = ctx.records.get(key_of(item_id))
        if found is None or not TrackerRecord.looks_like(found.value):
            return []
        return offers(TrackerRecord.decode(found.value))

    @hookimpl
    def ircc_perform_action(
        self, ctx: ServiceContext, item_id: str, action: str, payload: Mapping[str, str]
    ) -> ActionResult:
        return respond(ctx, item_id, action, payload)

    @hookimpl
    def ircc_service_actions(self, ctx: ServiceContext) -> Sequence[ActionOffer]:
        return [
            ActionOffer(
                action=_START,
                label=BilingualText(en="Start an application", fr="Commencer une demande"),
                scope="act",
            )
        ]

    @hookimpl
    def ircc_perform_service_action(
        self, ctx: ServiceContext, action: str, payload: Mapping[str, str]
    ) -> ActionResult:
        try:
            self.start(ctx, draft_id=payload.get("draft"))
        except (ValidationError, Conflict) as refused:
            # Bad input is the user's, not a fault of the service: no strike.
            return ActionResult(
                ok=False, message=BilingualText(refused.message("en"), refused.message("fr"))
            )
        days = self.form.retention_days
        return ActionResult(
            ok=True,
            message=BilingualText(
                en=f"Your application is started. The draft is kept {days} days after "
                "your last save.",
                fr=f"Votre demande est commencée. L'ébauche est conservée {days} jours après "
                "votre dernier enregistrement.",
            ),
        )

    # --- drafts -------------------------------------------------------------------------------

    @property
    def documents(self) -> SealedDocuments:
        """The sealed document store (set at start-up)."""
        if self._documents is None:
            raise ConfigurationError(reason="the service is not started")
        return self._documents

    def new_draft_id(self) -> str:
        """A fresh draft id."""
        return "d-" + self._randomness.token_bytes(12).hex()

    def start(self, ctx: ServiceContext, *, draft_id: str | None = None) -> Draft:
        """
        Start a draft (``act``), with an id of its own or *draft_id* (from :meth:`new_draft_id`).

        Raises:
            InvalidFormat: a malformed *draft_id*.
            Conflict: a draft with that id exists.
            OutOfRange: the client keeps too many records in this service.
            AuthorizationError: the actor may not act for the client here.
        """
        if draft_id is None:
            draft_id = self.new_draft_id()
        if not isinstance(draft_id, str) or not _DRAFT_ID.fullmatch(draft_id):
            raise InvalidFormat(field="draft")
        now = ctx.clock.now()
        draft = Draft(
            draft_id=draft_id,
            service_id=self.service_id,
            form_version=self.form.version,
            created_at=now,
            updated_at=now,
        )
        # The retention marker first: a draft never exists without one.
        self._mark(ctx.client_id, draft_id, draft.expires_at(self.form.retention_days))
        record = ctx.records.put(record_key(draft_id), draft_to_json(self.form, draft))
        return draft_from_record(self.form, record)

    def drafts(self, ctx: ServiceContext) -> list[Draft]:
        """
        The client's drafts and submitted applications in this service,
        newest first; an expired draft is erased and left out (``view_status``).
        """
        found = []
        for record in ctx.records.list():
            if not record.key.startswith("app."):
                continue
            draft = draft_from_record(self.form, record)
            if self._expired(ctx, draft):
                self._erase_quietly(ctx, draft)
                continue
            found.append(draft)
        return sorted(found, key=lambda d: d.created_at, reverse=True)

    def draft(self, ctx: ServiceContext, draft_id: str) -> Draft:
        """
        One draft or submitted application (``view_status``).

        Raises:
            NotFound: no such draft for this client.
            DraftExpired: it expired and is erased now.
        """
        if not isinstance(draft_id, str) or not _DRAFT_ID.fullmatch(draft_id):
            raise NotFound(kind="draft")
        record = ctx.records.get(record_key(draft_id))
        if record is None:
            raise NotFound(kind="draft")
        draft = draft_from_record(self.form, record)
        if self._expired(ctx, draft):
            self._erase_quietly(ctx, draft)
            raise DraftExpired(days=self.form.retention_days)
        if draft.receipt is not None and not draft.receipt.item_id:
            draft = self._finish_submission(ctx, draft)
        return draft

    def evaluate(self, draft: Draft, today: dt.date) -> Evaluation:
        """What *draft*'s answers imply on *today*."""
        return evaluate(self.form, draft, today, self.counters)

    def save(
        self,
        ctx: ServiceContext,
        draft_id: str,
        answers: Mapping[str, object],
        *,
        version: int,
        preparer: Preparer | None = None,
    ) -> Draft:
        """
        Save answers (what the form sent; an empty answer removes one) if
        the draft is still at *version* (``act``). Any change clears the
        client's signature.

        Raises:
            UnknownQuestion, AnswersInvalid: bad input; nothing is saved.
            Conflict: the draft changed since *version* was read.
            ApplicationLocked: it was submitted.
        """
        draft = self._changeable(ctx, draft_id, version)
        merged = apply_answers(self.form, draft.answers, answers, ctx.clock.now().date())
        return self._put(ctx, draft, preparer, answers=merged)

    def upload(
        self,
        ctx: ServiceContext,
        draft_id: str,
        requirement: str,
        data: bytes,
        *,
        filename: str,
        version: int,
        preparer: Preparer | None = None,
    ) -> Draft:
        """
        Add a file to a checklist entry (``act``): its content is sniffed and
        checked, then sealed and stored, then listed in the draft.

        Raises:
            DocumentNotExpected: the checklist does not ask for it now.
            TooManyDocuments: the entry is full.
            DocumentRejected: (its subclasses) the file is refused; nothing is stored.
            Conflict, ApplicationLocked: as for :meth:`save`.
            DocumentStoreUnavailable: the store failed; nothing is kept.
        """
        draft = self._changeable(ctx, draft_id, version)
        today = ctx.clock.now().date()
        entry = next(
            (
                e
                for e in self.evaluate(draft, today).checklist
                if e.requirement.id == requirement and e.asked
            ),
            None,
        )
        if entry is None:
            name = requirement if self.form.document(str(requirement)) else "?"
            raise DocumentNotExpected(field=name)
        if len(entry.files) >= entry.requirement.max_files:
            raise TooManyDocuments(limit=entry.requirement.max_files)
        inspected = inspect_upload(
            data,
            accepted=entry.requirement.types,
            limits=self.limits,
            photo=entry.requirement.photo,
        )
        key = self._document_key(ctx, create=True)
        assert key is not None
        stored = StoredDocument(
            document_id="f-" + self._randomness.token_bytes(12).hex(),
            requirement=entry.requirement.id,
            content_type=inspected.content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            filename=_filename(filename),
            uploaded_at=ctx.clock.now(),
            uploaded_by="client" if preparer is None else "representative",
        )
        name = self._document_name(ctx.client_id, draft.draft_id, stored.document_id)
        self.documents.put(key, name, stored.content_type, bytes(data))
        try:
            return self._put(ctx, draft, preparer, documents=(*draft.documents, stored))
        except BaseException:
            # Nothing half-stored: the draft did not take the file, so it goes.
            self.documents.delete(name)
            raise

    def remove_document(
        self,
        ctx: ServiceContext,
        draft_id: str,
        document_id: str,
        *,
        version: int,
        preparer: Preparer | None = None,
    ) -> Draft:
        """
        Take a file off the draft and delete it (``act``).

        Raises:
            NotFound: no such file in the draft.
            Conflict, ApplicationLocked: as for :meth:`save`.
        """
        draft = self._changeable(ctx, draft_id, version)
        kept = tuple(d for d in draft.documents if d.document_id != document_id)
        if len(kept) == len(draft.documents):
            raise NotFound(kind="document")
        saved = self._put(ctx, draft, preparer, documents=kept)
        self.documents.delete(self._document_name(ctx.client_id, draft.draft_id, document_id))
        return saved

    def read_document(
        self, ctx: ServiceContext, draft_id: str, document_id: str
    ) -> tuple[StoredDocument, bytes]:
        """
        A file of the draft, opened (``view_status``).

        Raises:
            NotFound: no such file, or the client's documents are erased.
        """
        draft = self.draft(ctx, draft_id)
        stored = next((d for d in draft.documents if d.document_id == document_id), None)
        key = self._document_key(ctx, create=False)
        if stored is None or key is None:
            raise NotFound(kind="document")
        name = self._document_name(ctx.client_id, draft.draft_id, document_id)
        return stored, self.documents.get(key, name, stored.content_type)

    def review(self, ctx: ServiceContext, draft_id: str) -> Review:
        """What the client reviews before signing, with the statement's digest."""
        draft = self.draft(ctx, draft_id)
        evaluation = self.evaluate(draft, ctx.clock.now().date())
        signed = statement(self.form, draft, evaluation)
        return Review(
            draft=draft, evaluation=evaluation, statement=signed, digest=statement_digest(signed)
        )

    def sign(
        self,
        ctx: ServiceContext,
        draft_id: str,
        *,
        digest: str,
        signer: Callable[[bytes], Signature],
    ) -> Draft:
        """
        Keep the client's signature over the statement they reviewed
        (*digest*, from :meth:`review`); *signer* signs it in their account.

        Raises:
            SignatureRequired: the actor is not the client in their own account.
            ApplicationIncomplete, ApplicationIneligible: it cannot be signed yet.
            ReviewOutdated: it changed since the review.
            ApplicationLocked: it was submitted.
        """
        if not _is_client(ctx):
            raise SignatureRequired()
        review = self.review(ctx, draft_id)
        self._check_ready(review.evaluation)
        if review.draft.state is not DraftState.DRAFT:
            raise ApplicationLocked()
        if not isinstance(digest, str) or digest != review.digest:
            raise ReviewOutdated()
        signature = signer(review.statement)
        record = ctx.records.put(
            record_key(draft_id),
            draft_to_json(self.form, attrs.evolve(review.draft, signature=signature)),
            version=review.draft.version,
        )
        return draft_from_record(self.form, record)

    def submit(
        self,
        ctx: ServiceContext,
        draft_id: str,
        *,
        payment: Payment,
        verify: Callable[[bytes, Signature], None],
    ) -> Receipt:
        """
        Submit a signed application (``act``): the client's signature must
        hold over exactly what is submitted, and *payment* must be the fees.
        The draft becomes immutable and an item the status tracker follows
        is created: the item, and the tracker's record of it (phase
        "received") in this service's records, where the status tracker's
        desk and page find it and the item's page offers the answers to
        what officers ask for.

        Raises:
            SignatureRequired: unsigned, or the signature does not hold.
            ApplicationIncomplete, ApplicationIneligible: it cannot be submitted.
            PaymentMismatch: the payment is not the fees.
            ApplicationLocked: already submitted.
        """
        review = self.review(ctx, draft_id)
        draft = review.draft
        if draft.state is not DraftState.DRAFT:
            raise ApplicationLocked()
        self._check_ready(review.evaluation)
        if draft.signature is None:
            raise SignatureRequired()
        verify(review.statement, draft.signature)
        total = review.evaluation.fees.total
        if (
            not isinstance(payment, Payment)
            or payment.amount != total
            or not re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", str(payment.reference))
        ):
            raise PaymentMismatch(total=total)
        receipt = Receipt(
            application_number=self._number(),
            item_id="",
            service_id=self.service_id,
            submitted_at=ctx.clock.now(),
            fees=review.evaluation.fees,
            payment_reference=payment.reference,
            statement_digest=review.digest,
            representatives=tuple(p for p in draft.prepared_by if p.paid),
        )
        # Lock the draft first (only one submission wins its version), then
        # create the item, then note it: a crash in between is finished on
        # the next read (the application number makes it idempotent).
        submitted = attrs.evolve(draft, state=DraftState.SUBMITTED, receipt=receipt)
        record = ctx.records.put(
            record_key(draft_id), draft_to_json(self.form, submitted), version=draft.version
        )
        locked = draft_from_record(self.form, record)
        try:
            finished = self._finish_submission(ctx, locked)
        except (AuthorizationError, Conflict, ValidationError):
            # The item could not be created: the draft is a draft again.
            ctx.records.put(
                record_key(draft_id), draft_to_json(self.form, draft), version=locked.version
            )
            raise
        assert finished.receipt is not None
        self._unmark(ctx.client_id, draft_id)
        return finished.receipt

    def discard(self, ctx: ServiceContext, draft_id: str) -> None:
        """
        Delete a draft and its documents (``act``).

        Raises:
            ApplicationLocked: it was submitted (a submitted application is kept).
        """
        draft = self.draft(ctx, draft_id)
        if draft.state is not DraftState.DRAFT:
            raise ApplicationLocked()
        self._erase(ctx, draft)

    # --- helpers ------------------------------------------------------------------------------

    def _changeable(self, ctx: ServiceContext, draft_id: str, version: int) -> Draft:
        draft = self.draft(ctx, draft_id)
        if draft.state is not DraftState.DRAFT:
            raise ApplicationLocked()
        if isinstance(version, bool) or not isinstance(version, int):
            raise InvalidFormat(field="version")
        if version != draft.version:
            raise Conflict(kind="draft")
        return draft

    def _put(
        self, ctx: ServiceContext, draft: Draft, preparer: Preparer | None, **changes: Any
    ) -> Draft:
        prepared = draft.prepared_by
        if preparer is not None and preparer not in prepared:
            prepared = (
                *(p for p in prepared if p.representative_id != preparer.representative_id),
                preparer,
            )
        new = attrs.evolve(draft, prepared_by=prepared, signature=None, **changes)
        record = ctx.records.put(
            record_key(draft.draft_id), draft_to_json(self.form, new), version=draft.version
        )
        return draft_from_record(self.form, record)

    def _check_ready(self, evaluation: Evaluation) -> None:
        blocking = next((h for h in evaluation.hints if h.blocking), None)
        if blocking is not None:
            raise ApplicationIneligible(reason=blocking.id)
        if not evaluation.complete:
            missing = len(evaluation.missing) + len(evaluation.problems)
            raise ApplicationIncomplete(missing=missing + len(evaluation.missing_documents))

    def _finish_submission(self, ctx: ServiceContext, draft: Draft) -> Draft:
        receipt = draft.receipt
        assert receipt is not None
        number = receipt.application_number
        try:
            item = ctx.items.add(
                kind=ItemKind.APPLICATION,
                reference=number,
                state=ItemState.SUBMITTED,
                title=self.form.title,
                document_number=self._document_number_of(draft),
            )
        except Conflict:
            item = next(i for i in ctx.items.list() if i.reference == number)
        else:
            ctx.timeline.append(
                item.item_id,
                kind=TimelineKind.SUBMITTED,
                summary=BilingualText(
                    en=f"Application {number} submitted.", fr=f"Demande {number} soumise."
                ),
            )
        self._follow(ctx, item, receipt.submitted_at)
        done = attrs.evolve(draft, receipt=attrs.evolve(receipt, item_id=item.item_id))
        record = ctx.records.put(
            record_key(draft.draft_id), draft_to_json(self.form, done), version=draft.version
        )
        return draft_from_record(self.form, record)

    def _follow(self, ctx: ServiceContext, item: ServiceItem, at: dt.datetime) -> None:
        """
        Have the status tracker follow *item*: its record (phase "received"
        at submission), kept in this service's own records beside the
        draft, where the department's desk and the status page find it.
        """
        record = TrackerRecord.received(self.program, RECEIVED_ONLINE, micros(at))
        with contextlib.suppress(Conflict):  # Finishing again after a crash: it is there.
            ctx.records.put(key_of(item.item_id), record.data)

    def _document_number_of(self, draft: Draft) -> str | None:
        if self._document_number is None:
            return None
        value = draft.answers.get(self._document_number)
        return str(value).upper() if isinstance(value, str) else None

    def _number(self) -> str:
        return f"{self._prefix}{int.from_bytes(self._randomness.token_bytes(8)) % 10**9:09d}"

    def _expired(self, ctx: ServiceContext, draft: Draft) -> bool:
        return draft.state is DraftState.DRAFT and ctx.clock.now() >= draft.expires_at(
            self.form.retention_days
        )

    def _erase(self, ctx: ServiceContext, draft: Draft) -> None:
        for name in list(self.documents.store.list(self._draft_prefix(ctx.client_id, draft))):
            self.documents.delete(name)
        ctx.records.delete(record_key(draft.draft_id))
        self._unmark(ctx.client_id, draft.draft_id)

    def _erase_quietly(self, ctx: ServiceContext, draft: Draft) -> None:
        # A reader who may not change the file (view_status only) leaves the
        # erasure to the next one who may, or to the retention sweep.
        with contextlib.suppress(AuthorizationError):
            self._erase(ctx, draft)

    def _draft_prefix(self, client_id: str, draft: Draft | str) -> str:
        draft_id = draft if isinstance(draft, str) else draft.draft_id
        return f"docs/{self.service_id}/{client_id}/{draft_id}/"

    def _document_name(self, client_id: str, draft_id: str, document_id: str) -> str:
        return self._draft_prefix(client_id, draft_id) + document_id

    def marker_prefix(self) -> str:
        """Where this service's retention markers are, in the document store."""
        return f"expiry/{self.service_id}/"

    def _mark(self, client_id: str, draft_id: str, expires: dt.datetime) -> None:
        self.documents.store.put(
            f"{self.marker_prefix()}{client_id}/{draft_id}/{expires.date().isoformat()}", b""
        )

    def _unmark(self, client_id: str, draft_id: str) -> None:
        for name in list(
            self.documents.store.list(f"{self.marker_prefix()}{client_id}/{draft_id}/")
        ):
            self.documents.store.delete(name)

    def _document_key(self, ctx: ServiceContext, *, create: bool) -> bytes | None:
        """
        The client's document key, from their records (created with the
        first upload). It dies with the client's data key.
        """
        record = ctx.records.get(_KEY_RECORD)
        if record is None:
            if not create:
                return None
            key = os.urandom(32)
            try:
                ctx.records.put(_KEY_RECORD, {"v": 1, "key": base64.b64encode(key).decode()})
            except Conflict:
                # Another upload created it at the same time: use theirs.
                return self._document_key(ctx, create=False)
            return key
        return base64.b64decode(record.value["key"])

    def markers(self) -> Iterator[tuple[str, str, dt.date]]:
        """Each retention marker: the client, the draft, and the date to look again."""
        for name in self.documents.store.list(self.marker_prefix()):
            parts = name[len(self.marker_prefix()) :].split("/")
            if len(parts) == 3:
                try:
                    yield parts[0], parts[1], dt.date.fromisoformat(parts[2])
                except ValueError:
                    continue

    def remark(self, client_id: str, draft_id: str, expires: dt.datetime) -> None:
        """Move a draft's retention marker to *expires* (the retention sweep does)."""
        self._unmark(client_id, draft_id)
        self._mark(client_id, draft_id, expires)

    def unmark(self, client_id: str, draft_id: str) -> None:
        """Delete a draft's retention marker (once it is submitted)."""
        self._unmark(client_id, draft_id)

    def forget(self, client_id: str, draft_id: str) -> None:
        """Delete a draft's documents and marker (the retention sweep does, after the record)."""
        for name in list(self.documents.store.list(self._draft_prefix(client_id, draft_id))):
            self.documents.delete(name)
        self._unmark(client_id, draft_id)


def _is_client(ctx: ServiceContext) -> bool:
    actor = ctx.actor
    return actor.capacity is Capacity.CLIENT and actor.account_id == ctx.client_id


def error_text(error: IrccAccountError) -> BilingualText:
    """An error's message in both languages."""
    return BilingualText(error.message("en"), error.message("fr"))
