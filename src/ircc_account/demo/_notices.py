"""
The demo's notifications: the built-in notifications service, with a sender
that keeps messages in memory instead of emailing them through GC Notify,
and a page where each signed-in person reads the emails they were sent (in
the language of the template chosen for them).

The demo's "templates" are its own subject lines (catalogue strings), one
per kind, standing in for the GC Notify templates a department writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ircc_account.builtin.notify import (
    SERVICE_ID,
    EmailMessage,
    MemorySender,
    NotificationKind,
)
from ircc_account.web import N_, Page, PageRequest, WebApp

__all__ = ["SUBJECTS", "add_message_pages", "notification_settings"]

#: The subject line of each kind's message (the demo's stand-in for a template).
SUBJECTS: Mapping[NotificationKind, str] = {
    NotificationKind.PHASE_CHANGED: N_("%(label)s moved to its next step"),
    NotificationKind.DOCUMENT_REQUESTED: N_("Something is needed for %(label)s"),
    NotificationKind.DECISION: N_("A decision was made on %(label)s"),
    NotificationKind.ENQUIRY_ANSWERED: N_("An enquiry about %(label)s was answered"),
    NotificationKind.URGENT_DECIDED: N_("An urgent request about %(label)s was decided"),
    NotificationKind.ENQUIRY_MORE_INFO: N_("More information is needed about %(label)s"),
    NotificationKind.GRANT_CREATED: N_("Access to a file was given to %(label)s"),
    NotificationKind.GRANT_REQUESTED: N_("%(label)s asked for access to a file"),
    NotificationKind.GRANT_ACCEPTED: N_("A request for access from %(label)s was accepted"),
    NotificationKind.GRANT_DECLINED: N_("A request for access from %(label)s was refused"),
    NotificationKind.GRANT_CHANGED: N_("The access given to %(label)s changed"),
    NotificationKind.GRANT_REVOKED: N_("The access given to %(label)s was withdrawn"),
    NotificationKind.GRANT_FIRST_USED: N_("%(label)s acted on a file for the first time"),
}
_PREFIX = "demo-"


def notification_settings(portal_url: str, sender: MemorySender) -> dict[str, Any]:
    """
    The notifications service's settings in the demo: a template per kind
    and language (``demo-<kind>-<en|fr>``), the portal's address, and
    *sender* instead of GC Notify.
    """
    templates = {
        kind.value: {lang: f"{_PREFIX}{kind.value}-{lang}" for lang in ("en", "fr")}
        for kind in NotificationKind
    }
    return {"templates": templates, "portal_url": portal_url, "sender": sender}


@attrs.frozen
class ShownMessage:
    """One email as the messages page shows it."""

    kind: NotificationKind
    language: str
    name: str
    label: str
    link: str
    mandatory: bool


def _shown(message: EmailMessage) -> ShownMessage | None:
    kind_and_language = message.template_id.removeprefix(_PREFIX)
    kind, _, language = kind_and_language.rpartition("-")
    if kind not in NotificationKind.__members__.values() or language not in ("en", "fr"):
        return None
    known = NotificationKind(kind)
    p = message.personalisation
    return ShownMessage(
        kind=known,
        language=language,
        name=p.get("name", ""),
        label=p.get("label", ""),
        link=p.get("link", ""),
        mandatory=known.mandatory,
    )


def add_message_pages(web: WebApp, sender: MemorySender | None) -> bool:
    """
    Add ``/account/messages`` to *web* when the door runs the notifications
    service with *sender*: the emails sent to the signed-in person (their
    own account's, whatever capacity they were sent in), newest first.
    Returns whether it did.
    """
    if sender is None or SERVICE_ID not in web.door.services.service_ids:
        return False

    @web.page("/account/messages", name="messages")
    def messages(req: PageRequest) -> Page:
        account_id = req.principal().account_id
        mine = [
            shown
            for m in reversed(list(sender.sent))
            # The reference ends with the recipient's account id.
            if m.reference.endswith(f".{account_id}") and (shown := _shown(m)) is not None
        ]
        return Page("demo/messages.html", {"messages": mine, "subjects": SUBJECTS})

    return True
