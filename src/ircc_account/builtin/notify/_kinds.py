"""
Which audited changes owe a notification, and of what kind.

The outbox's audit observer maps each allowed entry's ``action`` (and, for
grants, its ``reason``) to a :class:`NotificationKind`; every other action
owes nothing. The action names are the audit log's own (``audit/_wording.py``;
the enquiry ones are fixed with the enquiries service).
"""

from __future__ import annotations

import enum

from ircc_account._model import AuditEntry

__all__ = ["MANDATORY", "NotificationKind", "kind_of"]


class NotificationKind(enum.StrEnum):
    """
    What a notification is about; each has a GC Notify template in English
    and in French.
    """

    PHASE_CHANGED = "phase_changed"
    DOCUMENT_REQUESTED = "document_requested"
    DECISION = "decision"
    ENQUIRY_ANSWERED = "enquiry_answered"
    URGENT_DECIDED = "urgent_decided"
    ENQUIRY_MORE_INFO = "enquiry_more_info"
    GRANT_CREATED = "grant_created"
    GRANT_REQUESTED = "grant_requested"
    GRANT_ACCEPTED = "grant_accepted"
    GRANT_DECLINED = "grant_declined"
    GRANT_CHANGED = "grant_changed"
    GRANT_REVOKED = "grant_revoked"
    GRANT_FIRST_USED = "grant_first_used"

    @property
    def mandatory(self) -> bool:
        """Whether it is a security notice the client cannot switch off."""
        return self in MANDATORY


#: Security notices about who may act for a client: never switched off.
MANDATORY = frozenset(
    {
        NotificationKind.GRANT_CREATED,
        NotificationKind.GRANT_REQUESTED,
        NotificationKind.GRANT_ACCEPTED,
        NotificationKind.GRANT_DECLINED,
        NotificationKind.GRANT_CHANGED,
        NotificationKind.GRANT_REVOKED,
        NotificationKind.GRANT_FIRST_USED,
    }
)

_BY_ACTION = {
    "status.phase": NotificationKind.PHASE_CHANGED,
    "status.request": NotificationKind.DOCUMENT_REQUESTED,
    "notes.decision": NotificationKind.DECISION,
    "enquiry.answer": NotificationKind.ENQUIRY_ANSWERED,
    "enquiry.decide": NotificationKind.URGENT_DECIDED,
    "enquiry.more_info": NotificationKind.ENQUIRY_MORE_INFO,
    "grant.revoked": NotificationKind.GRANT_REVOKED,
    "grant.first_used": NotificationKind.GRANT_FIRST_USED,
}


def kind_of(entry: AuditEntry) -> NotificationKind | None:
    """
    The kind of notification *entry* owes, or ``None``.

    ``grant.changed`` with reason ``active`` is a change here; the outbox
    tells an accepted request from it (it knows whether the grant's request
    was accepted before).
    """
    if entry.client_id is None:
        return None
    if entry.action == "grant.created":
        pending = entry.reason == "pending"
        return NotificationKind.GRANT_REQUESTED if pending else NotificationKind.GRANT_CREATED
    if entry.action == "grant.changed":
        if entry.reason == "declined":
            return NotificationKind.GRANT_DECLINED
        return NotificationKind.GRANT_CHANGED
    return _BY_ACTION.get(entry.action)
