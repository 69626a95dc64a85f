"""
The demo's own services, until the built-in ones land: an application
status service (items, timelines, "withdraw" and "ask a question"), and a
messages service whose back end is down, so its tile shows as unavailable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ircc_account import AssuranceLevel, hookimpl
from ircc_account.services import (
    ActionOffer,
    ActionResult,
    BilingualText,
    ItemState,
    Rollout,
    ServiceContext,
    ServiceItem,
    ServiceManifest,
    TimelineEvent,
)

__all__ = ["DemoMessages", "DemoStatus"]

_WITHDRAWABLE = frozenset({ItemState.SUBMITTED, ItemState.IN_PROGRESS, ItemState.ACTION_REQUIRED})


class DemoStatus:
    """
    Application status (demo): a client's applications and what happened to
    them. A representative with ``act`` may withdraw one; anyone with
    ``enquire`` (an MP's office) may ask a question about it.
    """

    SERVICE_ID = "demo-status"

    @hookimpl
    def ircc_service_manifest(self) -> ServiceManifest:
        return ServiceManifest(
            service_id=self.SERVICE_ID,
            version="1.0.0",
            title=BilingualText("Application status (demo)", "État des demandes (démo)"),
            description=BilingualText(
                "Where each of your applications stands, and what happened to it.",
                "Où en est chacune de vos demandes, et ce qui lui est arrivé.",
            ),
            assurance=AssuranceLevel.MODERATE,
            # The attrs plugin types the frozenset converter's argument oddly.
            scopes=frozenset({"view_status", "act", "enquire"}),  # type: ignore[arg-type]
            rollout=Rollout(percentage=100),
        )

    @hookimpl
    def ircc_client_items(self, ctx: ServiceContext) -> Sequence[ServiceItem]:
        return list(ctx.items.list())

    @hookimpl
    def ircc_item_timeline(self, ctx: ServiceContext, item_id: str) -> Sequence[TimelineEvent]:
        return list(ctx.timeline.list(item_id))

    @hookimpl
    def ircc_item_actions(self, ctx: ServiceContext, item_id: str) -> Sequence[ActionOffer]:
        return [
            ActionOffer(
                action="withdraw",
                label=BilingualText("Withdraw this application", "Retirer cette demande"),
                scope="act",
            ),
            ActionOffer(
                action="ask",
                label=BilingualText("Ask a question about it", "Poser une question à son sujet"),
                scope="enquire",
            ),
        ]

    @hookimpl
    def ircc_perform_action(
        self, ctx: ServiceContext, item_id: str, action: str, payload: Mapping[str, Any]
    ) -> ActionResult:
        if action == "ask":
            return ActionResult(
                ok=True,
                message=BilingualText(
                    "Your question was sent. IRCC answers within 30 days.",
                    "Votre question a été envoyée. IRCC y répond dans les 30 jours.",
                ),
            )
        item = ctx.items.get(item_id)
        if item.state not in _WITHDRAWABLE:
            return ActionResult(
                ok=False,
                message=BilingualText(
                    "This application can no longer be withdrawn.",
                    "Cette demande ne peut plus être retirée.",
                ),
                item=item,
            )
        item = ctx.items.set_state(
            item_id,
            ItemState.WITHDRAWN,
            summary=BilingualText("Withdrawn on request", "Retirée sur demande"),
        )
        return ActionResult(
            ok=True,
            message=BilingualText("The application is withdrawn.", "La demande est retirée."),
            item=item,
        )


class DemoMessages:
    """
    Secure messages (demo): its back end is always down, to show that one
    failing service is an "unavailable" tile and never a broken page.
    """

    SERVICE_ID = "demo-messages"

    @hookimpl
    def ircc_service_manifest(self) -> ServiceManifest:
        return ServiceManifest(
            service_id=self.SERVICE_ID,
            version="1.0.0",
            title=BilingualText("Secure messages (demo)", "Messages sécurisés (démo)"),
            description=BilingualText(
                "Messages between you and IRCC.", "Les messages entre vous et IRCC."
            ),
            assurance=AssuranceLevel.MODERATE,
            scopes=frozenset({"view_status"}),  # type: ignore[arg-type]
            rollout=Rollout(percentage=100),
        )

    @hookimpl
    def ircc_client_items(self, ctx: ServiceContext) -> Sequence[ServiceItem]:
        raise ConnectionError("the messaging system is down (on purpose, in the demo)")
