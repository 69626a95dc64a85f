"""
Decision notes' hooks: the client's decisions, their timelines, and what
the client can do next (request a review, reapply). The reasons themselves
are read by :func:`~ircc_account.builtin.notes.notes_page`, which needs the
``view_decision_notes`` scope.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ircc_account import AssuranceLevel
from ircc_account.errors import AuthorizationError, NotFound
from ircc_account.hookspecs import hookimpl
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
    TimelineKind,
)

from ..status._record import key_of, micros
from ._values import SERVICE_ID, Outcome

__all__ = ["DecisionNotes", "plugin", "read_notes"]


def read_notes(ctx: ServiceContext, item_id: str) -> tuple[dict[str, Any], int]:
    """
    A decision's notes and their version, through ``ctx.records`` (one
    recorded access). The plugin refuses anyone without
    ``view_decision_notes`` among their scopes.

    Raises:
        AuthorizationError: the actor lacks ``view_decision_notes``.
        NotFound: no such decision for this client.
    """
    if "view_decision_notes" not in ctx.scopes:
        raise AuthorizationError(reason="scope")
    return _read(ctx, item_id)


def _read(ctx: ServiceContext, item_id: str) -> tuple[dict[str, Any], int]:
    found = ctx.records.get(key_of(item_id))
    if found is None or not isinstance(found.value, dict):
        raise NotFound(kind="item")
    return found.value, found.version


class DecisionNotes:
    """
    The decision notes plugin (entry point ``decision-notes``): the
    officer's reasons for a refusal or an approval with conditions, with
    withheld passages marked, and what the client can do next.
    """

    @hookimpl
    def ircc_service_manifest(self) -> ServiceManifest:
        return ServiceManifest(
            service_id=SERVICE_ID,
            version="1.0.0",
            title=BilingualText("Decision notes", "Notes de décision"),
            description=BilingualText(
                "Why a decision was made on your application, and what you can do next.",
                "Pourquoi une décision a été rendue sur votre demande, et ce que vous "
                "pouvez faire ensuite.",
            ),
            assurance=AssuranceLevel.MODERATE,
            scopes=frozenset({"view_status", "view_decision_notes", "act"}),  # type: ignore[arg-type]
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
        notes, _ = _read(ctx, item_id)
        offers = []
        if notes.get("review_requested_at") is None:
            offers.append(
                ActionOffer(
                    action="request_review",
                    label=BilingualText("Request a review", "Demander un réexamen"),
                    scope="act",
                )
            )
        if notes.get("outcome") == Outcome.REFUSED and notes.get("reapply_at") is None:
            offers.append(
                ActionOffer(
                    action="reapply",
                    label=BilingualText("Reapply", "Présenter une nouvelle demande"),
                    scope="act",
                )
            )
        return offers

    @hookimpl
    def ircc_perform_action(
        self, ctx: ServiceContext, item_id: str, action: str, payload: Mapping[str, str]
    ) -> ActionResult:
        notes, version = _read(ctx, item_id)
        now = micros(ctx.clock.now())
        if action == "request_review":
            if notes.get("review_requested_at") is not None:
                return ActionResult(ok=False, message=_ALREADY)
            ctx.records.put(key_of(item_id), {**notes, "review_requested_at": now}, version=version)
            item = ctx.items.set_state(item_id, ItemState.IN_PROGRESS, summary=_REVIEW)
            return ActionResult(ok=True, message=_REVIEW_DONE, item=item)
        ctx.records.put(key_of(item_id), {**notes, "reapply_at": now}, version=version)
        ctx.timeline.append(item_id, kind=TimelineKind.NOTE, summary=_REAPPLY)
        return ActionResult(ok=True, message=_REAPPLY_DONE, item=ctx.items.get(item_id))


_ALREADY = BilingualText(
    "You already asked for a review of this decision.",
    "Vous avez déjà demandé un réexamen de cette décision.",
)
_REVIEW = BilingualText(
    "You asked for a review of this decision.", "Vous avez demandé un réexamen de cette décision."
)
_REVIEW_DONE = BilingualText(
    "Your request for a review was sent. We will tell you when it is done.",
    "Votre demande de réexamen a été envoyée. Nous vous dirons quand il sera terminé.",
)
_REAPPLY = BilingualText(
    "You chose to reapply.", "Vous avez choisi de présenter une nouvelle demande."
)
_REAPPLY_DONE = BilingualText(
    "Start your new application from your account home; you can address the reasons above.",
    "Commencez votre nouvelle demande à partir de l'accueil de votre compte; vous pouvez "
    "répondre aux motifs ci-dessus.",
)

#: The plugin object the entry point names.
plugin = DecisionNotes()
