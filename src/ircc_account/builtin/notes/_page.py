"""
Decision notes' page for portals: the decision, its reasons in both
languages with withheld passages marked, conditions, and what can be done next.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs

from ircc_account import Actor
from ircc_account.authz import Action, Resource
from ircc_account.errors import NotFound
from ircc_account.services import BilingualText

from ..status._page import service_context
from ..status._record import from_micros
from ._plugin import read_notes
from ._values import SERVICE_ID, Criterion, Exemption, Outcome, ReasonView, marker

if TYPE_CHECKING:
    from ircc_account import FrontDoor
    from ircc_account._door._values import ItemPage

__all__ = ["NotesPage", "notes_page"]


@attrs.frozen(kw_only=True)
class NotesPage:
    """
    A decision and the officer's reasons, as its page shows them.

    Attributes:
        page: The door's item page (the decision item, its timeline, the
            actions on offer: request a review, reapply).
        application_id: The status tracker's item the decision is on.
        outcome: Refused, or approved with conditions.
        decided_at: When.
        office: The deciding office.
        reasons: The reasons, each tied to a criterion or requirement.
        conditions: The conditions of an approval.
        review_requested_at: When the client asked for a review, if they did.
    """

    page: ItemPage
    application_id: str
    outcome: Outcome
    decided_at: dt.datetime
    office: str
    reasons: tuple[ReasonView, ...]
    conditions: tuple[BilingualText, ...]
    review_requested_at: dt.datetime | None


def notes_page(
    door: FrontDoor,
    actor: Actor,
    client_id: str,
    item_id: str,
    *,
    language: str = "en",
    correlation_id: str | None = None,
) -> NotesPage:
    """
    A decision's notes for *actor*: the client, or a representative whose
    grant includes ``view_decision_notes``. Three recorded accesses: the
    item page (``view_status``), the policy's decision on
    ``view_decision_notes`` for this item, and the plugin's read of the notes.

    Raises:
        AuthorizationError: *actor* may not read the notes (``reason``:
            ``scope`` for a grant without ``view_decision_notes``); recorded.
        NotFound: no such decision for this client (recorded).
    """
    page = door.item(actor, client_id, item_id, language=language, correlation_id=correlation_id)
    if page.item.service_id != SERVICE_ID:
        raise NotFound(kind="item")
    resource = Resource(client_id=client_id, service_id=SERVICE_ID, item_id=item_id)
    with door.store.unit_of_work() as uow:
        door.policy.require(
            actor, Action.VIEW_DECISION_NOTES, resource, uow=uow, correlation_id=correlation_id
        )
        uow.commit()
    ctx = service_context(
        door, actor, client_id, SERVICE_ID, language=language, correlation_id=correlation_id
    )
    notes, _ = read_notes(ctx, item_id)
    return NotesPage(
        page=page,
        application_id=notes["application"],
        outcome=Outcome(notes["outcome"]),
        decided_at=from_micros(notes["decided_at"]),
        office=notes["office"],
        reasons=tuple(_view(r) for r in notes["reasons"]),
        conditions=tuple(BilingualText(c["en"], c["fr"]) for c in notes["conditions"]),
        review_requested_at=(
            None
            if notes.get("review_requested_at") is None
            else from_micros(notes["review_requested_at"])
        ),
    )


def _view(reason: dict[str, Any]) -> ReasonView:
    criterion = None if reason["criterion"] is None else Criterion(reason["criterion"])
    if criterion is not None:
        concerns = criterion.label
    else:
        title = reason.get("requirement_title") or {"en": reason["requirement"],
                                                    "fr": reason["requirement"]}  # fmt: skip
        concerns = BilingualText(title["en"], title["fr"])
    return ReasonView(
        concerns=concerns,
        criterion=criterion,
        requirement=reason["requirement"],
        parts=tuple(
            marker(Exemption(p["withheld"]))
            if "withheld" in p
            else BilingualText(p["text"]["en"], p["text"]["fr"])
            for p in reason["parts"]
        ),
    )
