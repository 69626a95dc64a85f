# mypy: disable-error-code="misc"
# (the attrs mypy plugin only understands named converters; ours are
# built by v.converter, so those fields are typed by their annotations.)
"""
Audit entries: who touched a client's file, in what capacity, and what was decided.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from ircc_account._model import _validate as v

__all__ = ["AuditEntry", "Capacity", "Decision"]


class Capacity(enum.StrEnum):
    """
    In what role an actor touched a file.
    """

    CLIENT = "client"
    REPRESENTATIVE = "representative"
    OFFICER = "officer"
    SYSTEM = "system"
    PLUGIN = "plugin"


class Decision(enum.StrEnum):
    """
    The outcome recorded for an access.
    """

    ALLOWED = "allowed"
    DENIED = "denied"
    FAILED = "failed"


@attrs.frozen(kw_only=True)
class AuditEntry:
    """
    One access to a client's data, as the audit log records it.

    Entries hold identifiers only: no tokens, no personal data.

    Attributes:
        occurred_at: When (UTC).
        actor_id: Who acted: an account, representative, officer role, plugin or system id.
        client_id: Whose file, if a client's file was touched.
        capacity: The actor's role.
        action: What was done (``item.read``, ``grant.revoke``, ``login.success``).
        item_id: The item touched, if any.
        service_id: The service involved, if any.
        decision: Allowed, denied or failed.
        reason: Why, as a short machine-readable phrase (``grant``, ``owner``, ``no_grant``).
        grant_id: The consent grant relied on, if any.
        organisation_id: The representative's office or firm, if any.
        correlation_id: Ties together the entries of one request.
        source_ip: The client address from a trusted proxy, if known.
    """

    occurred_at: dt.datetime = attrs.field(converter=v.converter(v.instant, "occurred_at"))
    actor_id: str = attrs.field(converter=v.converter(v.identifier, "actor_id"))
    client_id: str | None = attrs.field(
        default=None, converter=v.optional(v.identifier, "client_id")
    )
    capacity: Capacity = attrs.field(converter=v.converter(v.choice, "capacity", Capacity))
    action: str = attrs.field(converter=v.converter(v.identifier, "action"))
    item_id: str | None = attrs.field(default=None, converter=v.optional(v.identifier, "item_id"))
    service_id: str | None = attrs.field(
        default=None, converter=v.optional(v.identifier, "service_id")
    )
    decision: Decision = attrs.field(converter=v.converter(v.choice, "decision", Decision))
    reason: str = attrs.field(converter=v.converter(v.text, "reason", max_length=200))
    grant_id: str | None = attrs.field(default=None, converter=v.optional(v.identifier, "grant_id"))
    organisation_id: str | None = attrs.field(
        default=None,
        converter=v.optional(v.identifier, "organisation_id"),
    )
    correlation_id: str | None = attrs.field(
        default=None,
        converter=v.optional(v.identifier, "correlation_id"),
    )
    source_ip: str | None = attrs.field(default=None)
