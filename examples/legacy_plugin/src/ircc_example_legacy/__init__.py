"""
An example service plugin wrapping the example legacy portal
(``examples/legacy_portal``) with :class:`ircc_account.services.LegacyPortalClient`.

The client's claimed file numbers come from ``ctx.legacy_files`` (checked by
the policy and audited); each file's status and history come from the portal
and are mapped onto our item states and timeline.

The host passes the portal's address in the plugin's settings
(``FrontDoorConfig(plugin_settings={"legacy-portal": {"base_url": ...}})``):
``ircc_startup`` builds the one HTTP client from them and ``ircc_shutdown``
closes it. Nothing is read from the environment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ircc_account.delegation import Scope
from ircc_account.errors import NotFound, ServiceBadOutput
from ircc_account.hookspecs import hookimpl
from ircc_account.services import (
    ActionOffer,
    ActionResult,
    BilingualText,
    ItemKind,
    ItemState,
    LegacyPortalClient,
    LegacyStatus,
    ServiceContext,
    ServiceItem,
    ServiceManifest,
    StatusMap,
    TimelineEvent,
    TimelineKind,
)

__all__ = ["SERVICE_ID", "STATUS", "LegacyPortalService", "plugin"]

SERVICE_ID = "legacy-portal"
WITHDRAW = f"{SERVICE_ID}:withdraw"


def _s(state: ItemState, kind: TimelineKind, en: str, fr: str) -> LegacyStatus:
    return LegacyStatus(state=state, kind=kind, summary=BilingualText(en=en, fr=fr))


#: The portal's status codes, in our vocabulary.
STATUS = StatusMap(
    SERVICE_ID,
    {
        "REC": _s(ItemState.SUBMITTED, TimelineKind.SUBMITTED,
                  "We received your application.", "Nous avons reçu votre demande."),
        "INP": _s(ItemState.IN_PROGRESS, TimelineKind.STATUS_CHANGED,
                  "We are processing your application.", "Nous traitons votre demande."),
        "ADR": _s(ItemState.ACTION_REQUIRED, TimelineKind.DOCUMENT_REQUESTED,
                  "We need more documents from you.", "Nous avons besoin d'autres documents."),
        "DEC-A": _s(ItemState.DECISION_MADE, TimelineKind.DECISION,
                    "A decision was made: approved.", "Une décision a été rendue : approuvée."),
        "DEC-R": _s(ItemState.DECISION_MADE, TimelineKind.DECISION,
                    "A decision was made.", "Une décision a été rendue."),
        "WDR": _s(ItemState.WITHDRAWN, TimelineKind.STATUS_CHANGED,
                  "You withdrew your application.", "Vous avez retiré votre demande."),
        "CLS": _s(ItemState.CLOSED, TimelineKind.STATUS_CHANGED,
                  "Your file is closed.", "Votre dossier est fermé."),
    },
)  # fmt: skip
_OPEN = frozenset({ItemState.SUBMITTED, ItemState.IN_PROGRESS, ItemState.ACTION_REQUIRED})


def _field(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name) if isinstance(record, Mapping) else None
    if not isinstance(value, str):
        raise ServiceBadOutput(service_id=SERVICE_ID, reason="malformed legacy record")
    return value


def _instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ServiceBadOutput(service_id=SERVICE_ID, reason="malformed legacy date") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class LegacyPortalService:
    """
    The plugin: one shared portal client for every request.

    Args:
        base_url: The portal's base URL, or ``None`` to take it from the
            settings at start-up (``base_url``, and optionally ``timeout``
            and ``budget`` in seconds).
        **client_options: Passed to :class:`LegacyPortalClient` (timeouts, retries, breaker).
    """

    def __init__(self, base_url: str | None = None, **client_options: Any) -> None:
        self._options = client_options
        self._portal: LegacyPortalClient | None = None
        if base_url is not None:
            self._portal = LegacyPortalClient(base_url, service_id=SERVICE_ID, **client_options)

    @property
    def portal(self) -> LegacyPortalClient:
        """The portal client (built at start-up when no base URL was given)."""
        if self._portal is None:
            raise ServiceBadOutput(service_id=SERVICE_ID, reason="not started")
        return self._portal

    @hookimpl
    def ircc_startup(self, settings: Mapping[str, Any]) -> None:
        if self._portal is None:
            options = dict(self._options)
            for name in ("timeout", "budget"):
                if name in settings:
                    options[name] = float(settings[name])
            self._portal = LegacyPortalClient(
                str(settings["base_url"]), service_id=SERVICE_ID, **options
            )

    @hookimpl
    def ircc_shutdown(self) -> None:
        if self._portal is not None:
            self._portal.close()

    @hookimpl
    def ircc_service_manifest(self) -> ServiceManifest:
        return ServiceManifest(
            service_id=SERVICE_ID,
            version="0.1.0",
            title=BilingualText(en="Paper applications", fr="Demandes papier"),
            description=BilingualText(
                en="Applications you sent on paper, from the legacy system.",
                fr="Les demandes envoyées sur papier, tirées de l'ancien système.",
            ),
            scopes={Scope.VIEW_STATUS.value, Scope.ACT.value, WITHDRAW},
        )

    def _file_no(self, ctx: ServiceContext, item_id: str) -> str:
        file_no = item_id.removeprefix(f"{SERVICE_ID}-")
        if file_no not in ctx.legacy_files.list():
            raise NotFound(kind="item")
        return file_no

    def _item(self, ctx: ServiceContext, file_no: str) -> ServiceItem:
        record = self.portal.get_json(f"/api/v1/files/{file_no}")
        status = STATUS[_field(record, "status")]
        opened = _instant(_field(record, "opened"))
        return ServiceItem(
            item_id=f"{SERVICE_ID}-{file_no}",
            account_id=ctx.client_id,
            service_id=SERVICE_ID,
            kind=ItemKind.APPLICATION,
            reference=_field(record, "file_no"),
            state=status.state,
            title=BilingualText(en=_field(record, "title_en"), fr=_field(record, "title_fr")),
            created_at=opened,
            updated_at=opened,
        )

    @hookimpl
    def ircc_client_items(self, ctx: ServiceContext) -> Sequence[ServiceItem]:
        return [self._item(ctx, file_no) for file_no in ctx.legacy_files.list()]

    @hookimpl
    def ircc_item_timeline(self, ctx: ServiceContext, item_id: str) -> Sequence[TimelineEvent]:
        file_no = self._file_no(ctx, item_id)
        body = self.portal.get_json(f"/api/v1/files/{file_no}/history")
        events = body.get("events") if isinstance(body, Mapping) else None
        if not isinstance(events, list):
            raise ServiceBadOutput(service_id=SERVICE_ID, reason="malformed legacy history")
        timeline = []
        for event in events:
            status = STATUS[_field(event, "code")]
            timeline.append(
                TimelineEvent(
                    event_id=f"{file_no}-{event.get('seq')}",
                    item_id=item_id,
                    kind=status.kind,
                    occurred_at=_instant(_field(event, "at")),
                    state=status.state,
                    summary=status.summary,
                )
            )
        return timeline

    @hookimpl
    def ircc_item_actions(self, ctx: ServiceContext, item_id: str) -> Sequence[ActionOffer]:
        item = self._item(ctx, self._file_no(ctx, item_id))
        if item.state not in _OPEN:
            return []
        label = BilingualText(en="Withdraw this application", fr="Retirer cette demande")
        return [ActionOffer(action="withdraw", label=label, scope=WITHDRAW)]

    @hookimpl
    def ircc_perform_action(
        self, ctx: ServiceContext, item_id: str, action: str, payload: Mapping[str, str]
    ) -> ActionResult:
        file_no = self._file_no(ctx, item_id)
        self.portal.post_json(f"/api/v1/files/{file_no}/withdraw", {})
        return ActionResult(
            ok=True,
            message=STATUS["WDR"].summary,
            item=self._item(ctx, file_no),
        )


#: The entry point's object: configured by the host's settings at start-up.
plugin = LegacyPortalService()
