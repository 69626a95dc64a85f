"""
What a draft's answers imply: the questions shown, what is missing, the
rules an answer fails, the eligibility hints, the document checklist with
each entry's status, and the fees; and the canonical statement the client
signs.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from collections.abc import Callable, Mapping

import attrs

from ._answers import AnswerFacts, Problem, encode_answers, missing_answers, rule_problems, visible
from ._drafts import Draft, FeeQuote, QuoteLine, StoredDocument
from ._model import DocumentRequirement, Form, Hint, Question

__all__ = [
    "ChecklistEntry",
    "Counter",
    "DocumentStatus",
    "Evaluation",
    "evaluate",
    "quote",
    "statement",
]

#: Counts something in the answers for a fee line's ``per`` (people applying,
#: people who must give biometrics).
Counter = Callable[[AnswerFacts], int]


class DocumentStatus(enum.StrEnum):
    """
    Where a checklist entry stands: ``missing`` (required, nothing
    uploaded), ``optional`` (not required, nothing uploaded), ``received``
    (uploaded), ``not_needed`` (uploaded, but the answers no longer ask
    for it: it is left out of the application).
    """

    MISSING = "missing"
    OPTIONAL = "optional"
    RECEIVED = "received"
    NOT_NEEDED = "not_needed"


@attrs.frozen(kw_only=True)
class ChecklistEntry:
    """
    One document the application asks for (or held, no longer asked for).

    Attributes:
        requirement: The checklist entry.
        asked: Whether the answers ask for it.
        required: Whether the application is incomplete without it.
        status: Where it stands.
        files: The files uploaded for it.
    """

    requirement: DocumentRequirement
    asked: bool
    required: bool
    status: DocumentStatus
    files: tuple[StoredDocument, ...]


@attrs.frozen(kw_only=True)
class Evaluation:
    """
    Everything the answers imply, for the form's pages and the review.

    Attributes:
        questions: The questions shown, in order.
        missing: Required answers not given (each a problem).
        problems: Rules the given answers fail.
        hints: Eligibility hints that apply; blocking ones stop the application.
        checklist: The documents, each with its status.
        fees: The fees to pay.
    """

    questions: tuple[Question, ...]
    missing: tuple[Problem, ...]
    problems: tuple[Problem, ...]
    hints: tuple[Hint, ...]
    checklist: tuple[ChecklistEntry, ...]
    fees: FeeQuote

    @property
    def eligible(self) -> bool:
        """No blocking hint applies."""
        return not any(h.blocking for h in self.hints)

    @property
    def missing_documents(self) -> tuple[ChecklistEntry, ...]:
        """The required documents not yet uploaded."""
        return tuple(e for e in self.checklist if e.status is DocumentStatus.MISSING)

    @property
    def complete(self) -> bool:
        """Every required answer shown is given, every rule holds, every required document is in."""
        return not (self.missing or self.problems or self.missing_documents)


def checklist(form: Form, draft: Draft, facts: AnswerFacts) -> tuple[ChecklistEntry, ...]:
    """The document checklist for these answers, with each entry's status."""
    entries = []
    for requirement in form.documents:
        asked = requirement.when is None or requirement.when.evaluate(facts) is True
        files = draft.files(requirement.id)
        if not asked and not files:
            continue
        if files:
            status = DocumentStatus.RECEIVED if asked else DocumentStatus.NOT_NEEDED
        else:
            status = DocumentStatus.MISSING if requirement.required else DocumentStatus.OPTIONAL
        entries.append(
            ChecklistEntry(
                requirement=requirement,
                asked=asked,
                required=asked and requirement.required,
                status=status,
                files=files,
            )
        )
    return tuple(entries)


def quote(form: Form, facts: AnswerFacts, counters: Mapping[str, Counter]) -> FeeQuote:
    """The fees these answers come to (each line counted, then capped)."""
    lines = []
    for fee in form.fees:
        if fee.when is not None and fee.when.evaluate(facts) is not True:
            continue
        count = 1 if fee.per == "application" else counters[fee.per](facts)
        if count <= 0:
            continue
        amount = fee.amount * count
        if fee.cap is not None:
            amount = min(amount, fee.cap)
        lines.append(QuoteLine(id=fee.id, label=fee.label, count=count, amount=amount))
    return FeeQuote(lines=tuple(lines), total=sum(line.amount for line in lines))


def evaluate(
    form: Form, draft: Draft, today: dt.date, counters: Mapping[str, Counter]
) -> Evaluation:
    """What *draft*'s answers imply on *today*."""
    facts = AnswerFacts(answers=draft.answers, today=today)
    shown = tuple(visible(form, facts))
    shown_ids = {q.id for q in shown}
    return Evaluation(
        questions=shown,
        missing=tuple(missing_answers(form, facts)),
        problems=tuple(p for p in rule_problems(form, facts) if p.question in shown_ids),
        hints=tuple(h for h in form.hints if h.when.evaluate(facts) is True),
        checklist=checklist(form, draft, facts),
        fees=quote(form, facts, counters),
    )


def statement(form: Form, draft: Draft, evaluation: Evaluation) -> bytes:
    """
    The canonical bytes the client signs: the service, form and draft, every
    answer to a question shown, every document asked for (by digest), the
    fees, and the paid representatives named on the application. Any change
    to one of them changes the statement, so the signature no longer holds.
    """
    shown = {q.id for q in evaluation.questions}
    asked = {e.requirement.id for e in evaluation.checklist if e.asked}
    body = {
        "v": 1,
        "service": draft.service_id,
        "form_version": draft.form_version,
        "draft": draft.draft_id,
        "answers": encode_answers(form, {k: v for k, v in draft.answers.items() if k in shown}),
        "documents": sorted(
            [d.requirement, d.sha256, d.content_type, d.size]
            for d in draft.documents
            if d.requirement in asked
        ),
        "fees": {
            "total": evaluation.fees.total,
            "lines": [[line.id, line.count, line.amount] for line in evaluation.fees.lines],
        },
        "representatives": sorted(
            [p.representative_id, p.name, p.kind, p.licence_body or "", p.licence_number or ""]
            for p in draft.prepared_by
            if p.paid
        ),
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def statement_digest(data: bytes) -> str:
    """The SHA-256 of a statement, hex: what a receipt names."""
    return hashlib.sha256(data).hexdigest()
