# mypy: disable-error-code="misc"
# (the attrs mypy plugin only understands named converters; ours are
# built by v.converter, so those fields are typed by their annotations.)
"""
Values that cross the hook boundary: action offers and results, events, tiles.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from ircc_account._model import _validate as v
from ircc_account._model._services import BilingualText, ItemState, ServiceItem

__all__ = [
    "ActionOffer",
    "ActionResult",
    "Dashboard",
    "EventKind",
    "ServiceEvent",
    "Tile",
    "TileStatus",
]

_bilingual = attrs.validators.instance_of(BilingualText)


@attrs.frozen(kw_only=True)
class ActionOffer:
    """
    Something the actor may do with an item, as a service offers it.

    Attributes:
        action: The action's name within the service (``withdraw``, ``upload``).
        label: The button text, in English and French.
        scope: The delegation scope it needs: a shared one (``act``,
            ``submit_documents``) or the service's own ``service_id:name``.
    """

    action: str = attrs.field(converter=v.converter(v.identifier, "action"))
    label: BilingualText = attrs.field(validator=_bilingual)
    scope: str = attrs.field(converter=v.converter(v.identifier, "scope"))


@attrs.frozen(kw_only=True)
class ActionResult:
    """
    The outcome of :func:`~ircc_account.hookspecs.ircc_perform_action`.

    Attributes:
        ok: Whether the action was done.
        message: What to tell the client, in English and French.
        item: The item as it now stands, if the service knows.
    """

    ok: bool = attrs.field(validator=attrs.validators.instance_of(bool))
    message: BilingualText = attrs.field(validator=_bilingual)
    item: ServiceItem | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(ServiceItem))
    )


class EventKind(enum.StrEnum):
    """
    What happened, for :func:`~ircc_account.hookspecs.ircc_on_event`.
    """

    STATUS_CHANGED = "status_changed"
    DOCUMENT_REQUESTED = "document_requested"
    DECISION = "decision"
    GRANT_CREATED = "grant_created"
    GRANT_CHANGED = "grant_changed"
    GRANT_REVOKED = "grant_revoked"
    GRANT_FIRST_USED = "grant_first_used"
    REPRESENTATIVE_ACTED = "representative_acted"


@attrs.frozen(kw_only=True)
class ServiceEvent:
    """
    Something that happened to a client's file; identifiers only, no personal data.

    Attributes:
        kind: What happened.
        client_id: Whose file.
        occurred_at: When (UTC).
        service_id: The service involved, if any.
        item_id: The item involved, if any.
        state: The item's new state, for status changes and decisions.
        grant_id: The consent grant involved, for grant events.
        actor_id: Who acted (a representative's id), for grant and acted events.
        summary: A short bilingual summary to put in a notification, if any.
    """

    kind: EventKind = attrs.field(converter=v.converter(v.choice, "event_kind", EventKind))
    client_id: str = attrs.field(converter=v.converter(v.identifier, "client_id"))
    occurred_at: dt.datetime = attrs.field(converter=v.converter(v.instant, "occurred_at"))
    service_id: str | None = attrs.field(
        default=None, converter=v.optional(v.identifier, "service_id")
    )
    item_id: str | None = attrs.field(default=None, converter=v.optional(v.identifier, "item_id"))
    state: ItemState | None = attrs.field(
        default=None, converter=v.optional(v.choice, "state", ItemState)
    )
    grant_id: str | None = attrs.field(default=None, converter=v.optional(v.identifier, "grant_id"))
    actor_id: str | None = attrs.field(default=None, converter=v.optional(v.identifier, "actor_id"))
    summary: BilingualText | None = attrs.field(
        default=None, validator=attrs.validators.optional(_bilingual)
    )


class TileStatus(enum.StrEnum):
    """
    How a service's dashboard tile stands.
    """

    OK = "ok"
    UNAVAILABLE = "unavailable"
    STEP_UP = "step_up"


@attrs.frozen(kw_only=True)
class Tile:
    """
    One service's part of the dashboard.

    Attributes:
        service_id: The service.
        title: Its name, in English and French.
        status: Ok, unavailable (failed, hung, degraded, bad data) or step up
            (the login is below the service's assurance level).
        items: The client's items, when ok.
        actions: What the actor may do in the service beyond its items
            ("start an application"), when ok: offers of
            ``ircc_service_actions`` whose scope the actor holds; do one with
            ``FrontDoor.perform_service``.
        message: What to show instead of items, in English and French.
        error_code: The machine code of the failure (``service.timeout``), if any.
    """

    service_id: str
    title: BilingualText
    status: TileStatus
    items: tuple[ServiceItem, ...] = ()
    actions: tuple[ActionOffer, ...] = ()
    message: BilingualText | None = None
    error_code: str | None = None


@attrs.frozen(kw_only=True)
class Dashboard:
    """
    The services offered to a client, one tile each, in registration order.

    Attributes:
        client_id: The client acted for.
        tiles: The tiles.
    """

    client_id: str
    tiles: tuple[Tile, ...]

    def tile(self, service_id: str) -> Tile:
        """
        The tile of *service_id*.

        Raises:
            KeyError: the service has no tile.
        """
        for tile in self.tiles:
            if tile.service_id == service_id:
                return tile
        raise KeyError(service_id)
