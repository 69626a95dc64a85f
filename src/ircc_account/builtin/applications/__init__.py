"""
The application engine the built-in application services share (the visitor
visa, passport renewal): a declarative form model, drafts kept in the
plugin's encrypted records, a document checklist that follows the answers,
uploads judged by their content and sealed in a document store (a folder,
or S3-compatible object storage), fees, the client's in-account signature
over what a representative prepared, and submission with a receipt.

See ``docs/services/applications.md``.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public
from ircc_account.builtin.applications._answers import COUNTRIES, AnswerFacts, Problem
from ircc_account.builtin.applications._desk import ApplicationDesk, DraftView
from ircc_account.builtin.applications._documents import (
    DocumentStore,
    FolderDocumentStore,
    SealedDocuments,
)
from ircc_account.builtin.applications._drafts import (
    Draft,
    DraftState,
    FeeQuote,
    Payment,
    Preparer,
    QuoteLine,
    Receipt,
    Signature,
    StoredDocument,
)
from ircc_account.builtin.applications._evaluate import (
    ChecklistEntry,
    DocumentStatus,
    Evaluation,
)
from ircc_account.builtin.applications._inspect import (
    Inspected,
    PhotoCheck,
    PhotoRequirements,
    UploadLimits,
    inspect_upload,
)
from ircc_account.builtin.applications._model import (
    AgeBelow,
    AllOf,
    Answered,
    AnswerType,
    AnyOf,
    Between,
    Condition,
    DateBefore,
    DocumentRequirement,
    Equals,
    Facts,
    FeeLine,
    Form,
    Hint,
    LessThan,
    MaxLength,
    Not,
    NotInFuture,
    NotInPast,
    OneOf,
    OnOrAfter,
    Option,
    Pattern,
    Question,
    Rule,
    Source,
    SpanOver,
    Step,
    WithinYears,
)
from ircc_account.builtin.applications._retention import RETENTION_ACTOR, sweep_expired_drafts
from ircc_account.builtin.applications._s3 import S3DocumentStore
from ircc_account.builtin.applications._service import ApplicationService, Review

__all__ = [
    "COUNTRIES",
    "RETENTION_ACTOR",
    "AgeBelow",
    "AllOf",
    "AnswerFacts",
    "AnswerType",
    "Answered",
    "AnyOf",
    "ApplicationDesk",
    "ApplicationService",
    "Between",
    "ChecklistEntry",
    "Condition",
    "DateBefore",
    "DocumentRequirement",
    "DocumentStatus",
    "DocumentStore",
    "Draft",
    "DraftState",
    "DraftView",
    "Equals",
    "Evaluation",
    "Facts",
    "FeeLine",
    "FeeQuote",
    "FolderDocumentStore",
    "Form",
    "Hint",
    "Inspected",
    "LessThan",
    "MaxLength",
    "Not",
    "NotInFuture",
    "NotInPast",
    "OnOrAfter",
    "OneOf",
    "Option",
    "Pattern",
    "Payment",
    "PhotoCheck",
    "PhotoRequirements",
    "Preparer",
    "Problem",
    "Question",
    "QuoteLine",
    "Receipt",
    "Review",
    "Rule",
    "S3DocumentStore",
    "SealedDocuments",
    "Signature",
    "Source",
    "SpanOver",
    "Step",
    "StoredDocument",
    "UploadLimits",
    "WithinYears",
    "inspect_upload",
    "sweep_expired_drafts",
]

present_as_public(globals(), __name__)
