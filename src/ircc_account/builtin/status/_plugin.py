"""
The status tracker's hooks: the client's tracked applications, their
timelines, and answering what the department asked for. Everything is read
and written through the context's gates (policy-checked, audited).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ircc_account import AssuranceLevel
from ircc_account.errors import NotFound
from ircc_account.hookspecs import hookimpl
from ircc_account.services import (
    ActionOffer,
    ActionResult,
    BilingualText,
    Rollout,
    ServiceContext,
    ServiceItem,
    ServiceManifest,
    TimelineEvent,
    TimelineKind,
)

from ._desk import answer
from ._record import TrackerRecord, key_of, micros
from ._values import SERVICE_ID, RequirementState, state_of

__all__ = ["StatusTracker", "read_record"]

#: The longest answer a client may type (the rest of the form is refused).
MAX_MESSAGE = 2000


def read_record(ctx: ServiceContext, item_id: str) -> TrackerRecord:
    """
    An item's tracker record, read through ``ctx.records`` (one recorded access).

    Raises:
        NotFound: the item has no tracker record (not this service's).
    """
    found = ctx.records.get(key_of(item_id))
    if found is None:
        raise NotFound(kind="item")
    return TrackerRecord.decode(found.value)


class StatusTracker:
    """
    The status tracker plugin (entry point ``status-tracker``): where each
    application stands, in phases; what the client must do, and answering
    it; what waits on third parties; documents, staff by office and role,
    and comments released to the client.
    """

    @hookimpl
    def ircc_service_manifest(self) -> ServiceManifest:
        return ServiceManifest(
            service_id=SERVICE_ID,
            version="1.0.0",
            title=BilingualText("Application status", "État des demandes"),
            description=BilingualText(
                "Where each application stands, what we need from you, and how long is left.",
                "Où en est chaque demande, ce qu'il nous faut de vous, et le temps qu'il reste.",
            ),
            assurance=AssuranceLevel.MODERATE,
            scopes=frozenset({"view_status", "act"}),  # type: ignore[arg-type]
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
        if "act" not in ctx.scopes:
            return []
        return offers(read_record(ctx, item_id))

    @hookimpl
    def ircc_perform_action(
        self, ctx: ServiceContext, item_id: str, action: str, payload: Mapping[str, str]
    ) -> ActionResult:
        return respond(ctx, item_id, action, payload)


def offers(record: TrackerRecord) -> list[ActionOffer]:
    """The ``respond:<requirement>`` actions on an item: one per open request (scope ``act``)."""
    return [
        ActionOffer(
            action=f"respond:{r.requirement_id}",
            label=BilingualText(f"Send: {r.title.en}", f"Envoyer : {r.title.fr}"),
            scope="act",
        )
        for r in record.requirements()
        if r.state is RequirementState.REQUESTED
    ]


def respond(
    ctx: ServiceContext, item_id: str, action: str, payload: Mapping[str, str]
) -> ActionResult:
    """
    The client's answer to a request (``respond:<requirement>``), through
    *ctx*'s gates: the tracker's record (in *ctx*'s service's records), the
    item's state or a timeline event. Shared by the tracker and the services
    whose submitted applications it follows.

    Raises:
        NotFound: the item has no tracker record.
        UnknownRequirement, RequirementAnswered: as for the desk's ``respond``.
    """
    requirement_id = action.removeprefix("respond:")
    found = ctx.records.get(key_of(item_id))
    if found is None:
        raise NotFound(kind="item")
    record = TrackerRecord.decode(found.value)
    message = str(payload.get("message", ""))[:MAX_MESSAGE]
    was = answer(record, requirement_id, micros(ctx.clock.now()), response=message or None)
    ctx.records.put(key_of(item_id), record.data, version=found.version)
    title = BilingualText(was["title"]["en"], was["title"]["fr"])
    sent = BilingualText(f"You sent: {title.en}", f"Vous avez envoyé : {title.fr}")
    if record.waiting_on_client():
        ctx.timeline.append(item_id, kind=TimelineKind.DOCUMENT_RECEIVED, summary=sent)
        item = ctx.items.get(item_id)
    else:
        state = state_of(record.current_phase(), waiting_on_client=False)
        item = ctx.items.set_state(item_id, state, summary=sent)
    return ActionResult(
        ok=True,
        message=BilingualText(
            "Thank you: we received your answer.", "Merci : nous avons reçu votre réponse."
        ),
        item=item,
    )


#: The plugin object the entry point names.
plugin = StatusTracker()
