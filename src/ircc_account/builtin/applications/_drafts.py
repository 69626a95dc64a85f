"""
A draft (or a submitted application) as kept in the plugin's own encrypted
records (``ctx.records``), and the values around it: the documents it holds,
who prepared it, the client's signature and the receipt.

A draft is one record, ``app.<draft id>``: a JSON object with a format
version. Its answers are typed in memory (dates as :class:`datetime.date`)
and kept as JSON by the form's question types.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

import attrs

from ircc_account.services import BilingualText, PluginRecord

from ._answers import decode_answers, encode_answers
from ._model import Form

__all__ = [
    "Draft",
    "DraftState",
    "FeeQuote",
    "Payment",
    "Preparer",
    "QuoteLine",
    "Receipt",
    "Signature",
    "StoredDocument",
    "draft_from_record",
    "draft_to_json",
    "record_key",
]

_FORMAT = 1
_PREFIX = "app."


def record_key(draft_id: str) -> str:
    """The ``ctx.records`` key of a draft (identifiers only: keys are not encrypted)."""
    return _PREFIX + draft_id


class DraftState(enum.StrEnum):
    """Where an application stands in the engine: a draft, or submitted (immutable)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


@attrs.frozen(kw_only=True)
class StoredDocument:
    """
    One uploaded file, as the draft lists it (the bytes are in the document store, sealed).

    Attributes:
        document_id: Its id (random; names the sealed file).
        requirement: The checklist entry it answers.
        content_type: What its content was sniffed as.
        size: Its size in bytes.
        sha256: The SHA-256 of its content, hex (what the client signs).
        filename: The name it was uploaded with (shown back; never trusted).
        uploaded_at: When (UTC).
        uploaded_by: ``client`` or ``representative``.
    """

    document_id: str
    requirement: str
    content_type: str
    size: int
    sha256: str
    filename: str
    uploaded_at: dt.datetime
    uploaded_by: str


@attrs.frozen(kw_only=True)
class Preparer:
    """
    A representative who prepared the application (answers or documents).
    A paid one (consultant, lawyer, notary) is named on the application with
    their licence, as the department requires of paid representatives.

    Attributes:
        representative_id: Their id.
        name: Their name as registered.
        kind: Their kind (``consultant``, ``family``, ...).
        paid: Whether they are paid (and so named with their licence).
        licence_body: For a paid one, their regulator.
        licence_number: For a paid one, their licence number.
    """

    representative_id: str
    name: str
    kind: str
    paid: bool
    licence_body: str | None = None
    licence_number: str | None = None


@attrs.frozen(kw_only=True)
class Signature:
    """
    The client's in-account signature over the application's statement.

    Attributes:
        key_id: The client's signing key.
        signature: The Ed25519 signature.
        digest: SHA-256 of the signed message.
        signed_at: When (UTC).
    """

    key_id: str
    signature: bytes = attrs.field(repr=False)
    digest: bytes = attrs.field(repr=False)
    signed_at: dt.datetime


@attrs.frozen(kw_only=True)
class QuoteLine:
    """
    One line of the fees shown before submission.

    Attributes:
        id: The fee line's id.
        label: What it is for.
        count: How many it counts (people, or 1).
        amount: What it comes to, in cents, after any cap.
    """

    id: str
    label: BilingualText
    count: int
    amount: int


@attrs.frozen(kw_only=True)
class FeeQuote:
    """
    The fees for these answers, in cents of Canadian dollars.

    Attributes:
        lines: Each fee that applies.
        total: Their sum.
    """

    lines: tuple[QuoteLine, ...]
    total: int


@attrs.frozen(kw_only=True)
class Payment:
    """
    A payment the portal's payment processor confirmed (the library takes no payments).

    Attributes:
        reference: The processor's reference.
        amount: The amount paid, in cents.
    """

    reference: str
    amount: int


@attrs.frozen(kw_only=True)
class Receipt:
    """
    What a submission gives back.

    Attributes:
        application_number: The number the client and officers quote.
        item_id: The item the status tracker follows.
        service_id: The service.
        submitted_at: When (UTC).
        fees: The fees paid.
        payment_reference: The payment processor's reference.
        statement_digest: SHA-256 (hex) of the signed statement: what was submitted.
        representatives: The paid representatives named on the application.
    """

    application_number: str
    item_id: str
    service_id: str
    submitted_at: dt.datetime
    fees: FeeQuote
    payment_reference: str
    statement_digest: str
    representatives: tuple[Preparer, ...] = ()


@attrs.frozen(kw_only=True)
class Draft:
    """
    An application being prepared, or submitted.

    Attributes:
        draft_id: Its id.
        service_id: The service.
        form_version: The version of the form it was started on.
        state: Draft or submitted.
        answers: The typed answers by question id.
        documents: The uploaded files.
        prepared_by: The representatives who prepared it.
        signature: The client's signature, once signed (cleared by any change).
        receipt: The receipt, once submitted.
        created_at: When started (UTC).
        updated_at: When last saved (UTC).
        version: The record's version (pass it back to save: optimistic concurrency).
    """

    draft_id: str
    service_id: str
    form_version: str
    state: DraftState = DraftState.DRAFT
    answers: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    documents: tuple[StoredDocument, ...] = ()
    prepared_by: tuple[Preparer, ...] = ()
    signature: Signature | None = None
    receipt: Receipt | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = 0

    def expires_at(self, retention_days: int) -> dt.datetime:
        """When a draft left unsaved is erased."""
        return self.updated_at + dt.timedelta(days=retention_days)

    def files(self, requirement: str) -> tuple[StoredDocument, ...]:
        """The files uploaded for *requirement*."""
        return tuple(d for d in self.documents if d.requirement == requirement)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _quote_json(quote: FeeQuote) -> dict[str, Any]:
    return {
        "total": quote.total,
        "lines": [
            {"id": q.id, "en": q.label.en, "fr": q.label.fr, "count": q.count, "amount": q.amount}
            for q in quote.lines
        ],
    }


def _quote(data: Mapping[str, Any]) -> FeeQuote:
    return FeeQuote(
        total=data["total"],
        lines=tuple(
            QuoteLine(
                id=q["id"],
                label=BilingualText(q["en"], q["fr"]),
                count=q["count"],
                amount=q["amount"],
            )
            for q in data["lines"]
        ),
    )


def _when(value: dt.datetime) -> str:
    return value.isoformat()


def draft_to_json(form: Form, draft: Draft) -> dict[str, Any]:
    """The draft as the JSON data kept in its record."""
    data: dict[str, Any] = {
        "format": _FORMAT,
        "id": draft.draft_id,
        "service": draft.service_id,
        "form_version": draft.form_version,
        "state": draft.state.value,
        "answers": encode_answers(form, draft.answers),
        "documents": [
            {**attrs.asdict(d), "uploaded_at": _when(d.uploaded_at)} for d in draft.documents
        ],
        "prepared_by": [attrs.asdict(p) for p in draft.prepared_by],
        "created_at": _when(draft.created_at),
    }
    if draft.signature is not None:
        s = draft.signature
        data["signature"] = {
            "key_id": s.key_id,
            "signature": _b64(s.signature),
            "digest": _b64(s.digest),
            "signed_at": _when(s.signed_at),
        }
    if draft.receipt is not None:
        r = draft.receipt
        data["receipt"] = {
            "application_number": r.application_number,
            "item_id": r.item_id,
            "service_id": r.service_id,
            "submitted_at": _when(r.submitted_at),
            "fees": _quote_json(r.fees),
            "payment_reference": r.payment_reference,
            "statement_digest": r.statement_digest,
            "representatives": [attrs.asdict(p) for p in r.representatives],
        }
    return data


def draft_from_record(form: Form, record: PluginRecord) -> Draft:
    """The draft kept in *record* (written by :func:`draft_to_json`)."""
    data = record.value
    signature = receipt = None
    if "signature" in data:
        s = data["signature"]
        signature = Signature(
            key_id=s["key_id"],
            signature=base64.b64decode(s["signature"]),
            digest=base64.b64decode(s["digest"]),
            signed_at=dt.datetime.fromisoformat(s["signed_at"]),
        )
    if "receipt" in data:
        r = data["receipt"]
        receipt = Receipt(
            application_number=r["application_number"],
            item_id=r["item_id"],
            service_id=r["service_id"],
            submitted_at=dt.datetime.fromisoformat(r["submitted_at"]),
            fees=_quote(r["fees"]),
            payment_reference=r["payment_reference"],
            statement_digest=r["statement_digest"],
            representatives=tuple(Preparer(**p) for p in r["representatives"]),
        )
    return Draft(
        draft_id=data["id"],
        service_id=data["service"],
        form_version=data["form_version"],
        state=DraftState(data["state"]),
        answers=decode_answers(form, data["answers"]),
        documents=tuple(
            StoredDocument(**{**d, "uploaded_at": dt.datetime.fromisoformat(d["uploaded_at"])})
            for d in data["documents"]
        ),
        prepared_by=tuple(Preparer(**p) for p in data["prepared_by"]),
        signature=signature,
        receipt=receipt,
        created_at=dt.datetime.fromisoformat(data["created_at"]),
        updated_at=record.updated_at,
        version=record.version,
    )
