"""
Notifications through GC Notify, with a transactional outbox: every change
that owes a notice (a phase change, a document request, a decision, an
enquiry's answer, and every change to who may act for a client) writes an
outbox row in its own unit of work (SEC-85), through an audit observer; a
delivery worker sends it later, in the recipient's language, with retries,
backoff and the dead letters.

A service plugin (entry point ``notifications``: :data:`plugin`), the
outbox (:class:`Outbox`), the worker (:class:`DeliveryWorker`), and the
sender port (:class:`NotificationSender`) with GC Notify's adapter
(:class:`GcNotifySender`) and an in-memory one (:class:`MemorySender`).
See ``docs/services/notifications.md``.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public

from ._config import NotifyTemplates, RetryPolicy
from ._kinds import MANDATORY, NotificationKind, kind_of
from ._outbox import Outbox, OutboxMessage, OutboxState
from ._plugin import SERVICE_ID, NotificationsService, plugin
from ._senders import EmailMessage, GcNotifySender, MemorySender, NotificationSender
from ._worker import DeliveryWorker

__all__ = [
    "MANDATORY",
    "SERVICE_ID",
    "DeliveryWorker",
    "EmailMessage",
    "GcNotifySender",
    "MemorySender",
    "NotificationKind",
    "NotificationSender",
    "NotificationsService",
    "NotifyTemplates",
    "Outbox",
    "OutboxMessage",
    "OutboxState",
    "RetryPolicy",
    "kind_of",
    "plugin",
]

present_as_public(globals(), __name__)
