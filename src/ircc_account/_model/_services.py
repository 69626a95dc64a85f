# mypy: disable-error-code="misc"
# (the attrs mypy plugin only understands named converters; ours are
# built by v.converter, so those fields are typed by their annotations.)
"""
What services put in a client's account: items (applications, cases) and their timelines.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import attrs

from ircc_account._model import _validate as v
from ircc_account.errors import RequiredField

__all__ = [
    "BilingualText",
    "ItemKind",
    "ItemState",
    "PluginRecord",
    "ServiceItem",
    "TimelineEvent",
    "TimelineKind",
]


@attrs.frozen
class BilingualText:
    """
    A text in both official languages; both are required.

    Attributes:
        en: The English text.
        fr: The French text.
    """

    en: str = attrs.field(converter=v.converter(v.text, "text_en", max_length=2000, multiline=True))
    fr: str = attrs.field(converter=v.converter(v.text, "text_fr", max_length=2000, multiline=True))

    def __getitem__(self, language: str) -> str:
        return self.fr if str(language) == "fr" else self.en


class ItemKind(enum.StrEnum):
    """
    What sort of item a service holds for a client.
    """

    APPLICATION = "application"
    CASE = "case"
    ENQUIRY = "enquiry"


class ItemState(enum.StrEnum):
    """
    The shared states every service maps its own onto, so the dashboard can
    say where things stand in one vocabulary.
    """

    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_PROGRESS = "in_progress"
    ACTION_REQUIRED = "action_required"
    DECISION_MADE = "decision_made"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class TimelineKind(enum.StrEnum):
    """
    Kinds of event on an item's timeline.
    """

    CREATED = "created"
    SUBMITTED = "submitted"
    STATUS_CHANGED = "status_changed"
    DOCUMENT_REQUESTED = "document_requested"
    DOCUMENT_RECEIVED = "document_received"
    DECISION = "decision"
    NOTE = "note"


@attrs.frozen(kw_only=True)
class ServiceItem:
    """
    An application or case a service holds for a client.

    Attributes:
        item_id: Opaque identifier, unique across services.
        account_id: The client it belongs to.
        service_id: The service that owns it.
        kind: Application, case or enquiry.
        reference: The number the client and officers quote (an application number).
        state: Where it stands, in the shared vocabulary.
        title: What it is, in both languages.
        document_number: A passport or travel document number, if the item
            carries one (personal data: encrypted at rest).
        created_at: When created (UTC).
        updated_at: When last changed (UTC).
        version: Optimistic-concurrency version.
    """

    item_id: str = attrs.field(converter=v.converter(v.identifier, "item_id"))
    account_id: str = attrs.field(converter=v.converter(v.identifier, "account_id"))
    service_id: str = attrs.field(converter=v.converter(v.identifier, "service_id"))
    kind: ItemKind = attrs.field(converter=v.converter(v.choice, "item_kind", ItemKind))
    reference: str = attrs.field(converter=v.converter(v.identifier, "reference"))
    state: ItemState = attrs.field(converter=v.converter(v.choice, "state", ItemState))
    title: BilingualText = attrs.field(validator=attrs.validators.instance_of(BilingualText))
    document_number: str | None = attrs.field(
        default=None,
        repr=False,
        converter=v.optional(v.identifier, "document_number"),
    )
    created_at: dt.datetime = attrs.field(converter=v.converter(v.instant, "created_at"))
    updated_at: dt.datetime = attrs.field(converter=v.converter(v.instant, "updated_at"))
    version: int = 1


@attrs.frozen(kw_only=True)
class TimelineEvent:
    """
    One thing that happened to an item.

    Attributes:
        event_id: Opaque identifier.
        item_id: The item.
        kind: What happened.
        occurred_at: When (UTC).
        state: The item's state after the event, if it changed.
        summary: What happened, in both languages.
        actor_label: Who did it, as the client may see it ("IRCC", "your
            representative"), never an officer's name.
    """

    event_id: str = attrs.field(converter=v.converter(v.identifier, "event_id"))
    item_id: str = attrs.field(converter=v.converter(v.identifier, "item_id"))
    kind: TimelineKind = attrs.field(converter=v.converter(v.choice, "timeline_kind", TimelineKind))
    occurred_at: dt.datetime = attrs.field(converter=v.converter(v.instant, "occurred_at"))
    state: ItemState | None = attrs.field(
        default=None, converter=v.optional(v.choice, "state", ItemState)
    )
    summary: BilingualText = attrs.field(validator=attrs.validators.instance_of(BilingualText))
    actor_label: str = attrs.field(
        default="IRCC", converter=v.converter(v.text, "actor_label", max_length=100)
    )

    def __attrs_post_init__(self) -> None:
        if self.kind is TimelineKind.STATUS_CHANGED and self.state is None:
            raise RequiredField(field="state")


@attrs.frozen(kw_only=True)
class PluginRecord:
    """
    One of a service plugin's own records for a client (a draft, answers),
    as ``ctx.records`` returns it.

    Attributes:
        key: The record's name within the plugin and client (an identifier).
        value: What the plugin stored: JSON data (``dict``, ``list``,
            ``str``, ``int``, ``float``, ``bool`` or ``None``), decoded
            afresh on each read, so changing it changes nothing stored.
        version: Starts at 1 and rises with each change; pass it back to
            replace or delete exactly this version (optimistic concurrency).
        created_at: When the record was created (UTC).
        updated_at: When it last changed (UTC).
    """

    key: str
    value: Any = attrs.field(repr=False)
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
