"""
The kitchen-sink plugin: implements every hook, through the context's gates.

Its service keeps real items in the store (``ctx.items``), offers a
``withdraw`` action on items and a service-level ``start`` (which keeps a
draft in ``ctx.records`` and creates an item), records every event it hears,
restricts access for embargoed clients, and keeps its settings from start-up
until shutdown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ircc_account import Actor
from ircc_account.authz import Action, Resource
from ircc_account.delegation import Scope
from ircc_account.hookspecs import hookimpl
from ircc_account.services import (
    ActionOffer,
    ActionResult,
    BilingualText,
    HasUci,
    ItemKind,
    ItemState,
    Rollout,
    ServiceContext,
    ServiceEvent,
    ServiceItem,
    ServiceManifest,
    TimelineEvent,
)

SERVICE_ID = "kitchen-sink"
#: Every event this plugin heard, in order.
EVENTS: list[ServiceEvent] = []
#: Client ids whose access this plugin restricts.
EMBARGOED: set[str] = set()
#: The settings of the last start-up, and whether it was shut down since.
STATE: dict[str, object] = {}


@hookimpl
def ircc_service_manifest() -> ServiceManifest:
    return ServiceManifest(
        service_id=SERVICE_ID,
        version="1.0.0",
        title=BilingualText(en="Kitchen sink", fr="Évier de cuisine"),
        description=BilingualText(
            en="Every hook, for tests.", fr="Tous les crochets, pour les tests."
        ),
        scopes={Scope.VIEW_STATUS.value, Scope.ACT.value, f"{SERVICE_ID}:withdraw"},
        eligibility=(HasUci(),),
        rollout=Rollout(percentage=100),
    )


@hookimpl
def ircc_startup(settings: Mapping[str, object]) -> None:
    STATE.update(settings=dict(settings), shut_down=False)


@hookimpl
def ircc_shutdown() -> None:
    STATE["shut_down"] = True


@hookimpl
def ircc_is_eligible(ctx: ServiceContext) -> bool:
    return not ctx.client_id.startswith("ineligible")


@hookimpl
def ircc_client_items(ctx: ServiceContext) -> Sequence[ServiceItem]:
    return list(ctx.items.list())


@hookimpl
def ircc_item_timeline(ctx: ServiceContext, item_id: str) -> Sequence[TimelineEvent]:
    return list(ctx.timeline.list(item_id))


@hookimpl
def ircc_item_actions(ctx: ServiceContext, item_id: str) -> Sequence[ActionOffer]:
    item = ctx.items.get(item_id)
    if item.state in (ItemState.WITHDRAWN, ItemState.CLOSED):
        return []
    return [
        ActionOffer(
            action="withdraw",
            label=BilingualText(en="Withdraw", fr="Retirer"),
            scope=f"{SERVICE_ID}:withdraw",
        ),
        ActionOffer(
            action="note", label=BilingualText(en="Add a note", fr="Ajouter une note"), scope="act"
        ),
    ]


@hookimpl
def ircc_perform_action(
    ctx: ServiceContext, item_id: str, action: str, payload: Mapping[str, str]
) -> ActionResult:
    if action == "withdraw":
        item = ctx.items.set_state(
            item_id,
            ItemState.WITHDRAWN,
            summary=BilingualText(en="You withdrew it.", fr="Vous l'avez retirée."),
        )
        return ActionResult(
            ok=True, message=BilingualText(en="Withdrawn.", fr="Retirée."), item=item
        )
    return ActionResult(ok=False, message=BilingualText(en="Not done.", fr="Non fait."))


@hookimpl
def ircc_service_actions(ctx: ServiceContext) -> Sequence[ActionOffer]:
    return [
        ActionOffer(
            action="start",
            label=BilingualText(en="Start an application", fr="Commencer une demande"),
            scope="act",
        )
    ]


@hookimpl
def ircc_perform_service_action(
    ctx: ServiceContext, action: str, payload: Mapping[str, str]
) -> ActionResult:
    draft = ctx.records.get("draft")
    answers = {**(draft.value if draft else {}), **payload}
    ctx.records.put("draft", answers, version=draft.version if draft else None)
    item = new_item(ctx, reference=payload.get("reference"))
    return ActionResult(ok=True, message=BilingualText(en="Started.", fr="Commencée."), item=item)


@hookimpl
def ircc_restrict_access(actor: Actor, action: Action | str, resource: Resource) -> Sequence[str]:
    return ["embargo"] if resource.client_id in EMBARGOED else []


@hookimpl
def ircc_on_event(event: ServiceEvent) -> None:
    EVENTS.append(event)


def new_item(ctx: ServiceContext, reference: str | None = None) -> ServiceItem:
    """Create an item through the gate (a helper for tests, not a hook)."""
    return ctx.items.add(
        kind=ItemKind.APPLICATION,
        reference=reference or f"A-{ctx.client_id}",
        state=ItemState.SUBMITTED,
        title=BilingualText(en="Work permit", fr="Permis de travail"),
    )
