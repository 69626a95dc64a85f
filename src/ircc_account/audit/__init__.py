"""
The tamper-evident, append-only audit log of every access to a client's file.

See ``docs/audit.md`` for what it proves and what it cannot.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public
from ircc_account._model import AuditEntry, Decision
from ircc_account._storage.ports import AuditSink
from ircc_account.audit._api import verify
from ircc_account.audit._directory import (
    ActorDirectory,
    DefaultActorDirectory,
    GrantSummary,
    ServiceTitles,
    StoreDirectory,
)
from ircc_account.audit._export import export_client, verify_export
from ircc_account.audit._group import GroupCommitAppender
from ircc_account.audit._log import AuditAlerts, AuditLog, AuditObserver, Checkpoint
from ircc_account.audit._logging import JsonLogFormatter
from ircc_account.audit._records import AppendReceipt
from ircc_account.audit._signer import CheckpointSigner
from ircc_account.audit._verify import VerificationFailure, VerificationReport
from ircc_account.audit._view import AccessRecord, HistoryPage, who_touched_my_file

__all__ = [
    "AccessRecord",
    "ActorDirectory",
    "AppendReceipt",
    "AuditAlerts",
    "AuditEntry",
    "AuditLog",
    "AuditObserver",
    "AuditSink",
    "Checkpoint",
    "CheckpointSigner",
    "Decision",
    "DefaultActorDirectory",
    "GrantSummary",
    "GroupCommitAppender",
    "HistoryPage",
    "JsonLogFormatter",
    "ServiceTitles",
    "StoreDirectory",
    "VerificationFailure",
    "VerificationReport",
    "export_client",
    "verify",
    "verify_export",
    "who_touched_my_file",
]

present_as_public(globals(), __name__)
