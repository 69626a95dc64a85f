"""
The demo's pages for the built-in status tracker's and decision notes'
items: each item shows its service's own page (``status_page``,
``notes_page``), not the generic one, through the door as every page does.

A tracked application shows where it stands, what the client must do
(with details, due dates and states), what waits on others (apart), the
documents received, who worked on it (office and role), the comments
released, and the processing-time estimate with its chart (inline SVG, no
script, its figures also in text). A decision shows the officer's reasons,
each tied to a criterion or a requirement, and a marker with the legal
basis where a passage was withheld (its text never reaches the page).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from ircc_account import Actor
from ircc_account.delegation import Scope
from ircc_account.errors import NotFound, PersonalDataErased
from ircc_account.web import Page, PageRequest, WebApp

__all__ = ["tracked_item_page"]


def tracked_item_page(web: WebApp) -> Callable[..., Page | None]:
    """
    What the item route asks first: for an item of the status tracker or of
    decision notes (when installed), its service's page; ``None`` for any
    other item, which the generic page shows.
    """
    door = web.door
    installed = set(door.services.service_ids)
    from ircc_account.builtin import notes, status

    services = {status.SERVICE_ID, notes.SERVICE_ID} & installed
    if not services:
        return lambda req, actor, item_id, **_: None

    def service_of(client_id: str, item_id: str) -> str | None:
        """
        Which page to build: the service of *client_id*'s item *item_id*.
        It only picks the template and shows nothing; the page itself is
        authorized and recorded by the door (``door.item``, inside the
        service's page function), and another client's item, or an unknown
        one, takes the generic page's path to the same refusal.
        """
        with door.store.unit_of_work(write=False) as uow:
            try:
                found = uow.items.get(item_id)
            except (NotFound, PersonalDataErased):
                return None
            if found.account_id != client_id:
                return None
            if found.service_id in services:
                return found.service_id
            if status.SERVICE_ID not in services:
                return None
            # An application submitted through another service (a visitor
            # visa, a passport renewal) that the tracker follows: its
            # service keeps the tracker's record for it.
            kept = uow.plugin_records.get(client_id, found.service_id, f"item:{item_id}")
        if kept is not None and status.TrackerRecord.looks_like(kept[1]):
            return status.SERVICE_ID
        return None

    def may_read_notes(actor: Actor, client_id: str, item_id: str) -> bool:
        """
        Whether the actor holds ``view_decision_notes`` on this item (the
        client does): decides only whether the page tries to show the notes,
        which ``notes_page`` then authorizes and records on its own.
        """
        with door.store.unit_of_work(write=False) as uow:
            held = door.policy.scopes_held(
                actor, client_id, uow=uow, service_ids=(notes.SERVICE_ID,), item_id=item_id
            )
        wanted = Scope.VIEW_DECISION_NOTES.value
        return held is None or wanted in held.get(notes.SERVICE_ID, frozenset())

    def show(req: PageRequest, actor: Actor, item_id: str, *, enquiries_on: bool) -> Page | None:
        service_id = service_of(req.client_id, item_id)
        if service_id is None:
            return None
        common: dict[str, Any] = {"enquiries_on": enquiries_on}
        if service_id == status.SERVICE_ID:
            tracked = status.status_page(
                door, actor, req.client_id, item_id,
                language=req.language, correlation_id=req.correlation_id,
            )  # fmt: skip
            estimate = tracked.estimate

            def chart(title: str) -> Markup | None:
                """The estimate's chart, named *title* (from the catalogue) for screen readers."""
                if estimate is None:
                    return None
                # The template's text comes escaped; chart_svg escapes it
                # itself, and writes no script and no style.
                plain = title.unescape() if isinstance(title, Markup) else str(title)
                return Markup(status.chart_svg(estimate, title=plain))  # noqa: S704

            return Page(
                "demo/tracked_item.html",
                {**common, "page": tracked.page, "tracked": tracked, "chart": chart},
            )
        if not may_read_notes(actor, req.client_id, item_id):
            page = door.item(
                actor, req.client_id, item_id,
                language=req.language, correlation_id=req.correlation_id,
            )  # fmt: skip
            return Page("demo/item.html", {**common, "page": page, "notes_not_granted": True})
        decision = notes.notes_page(
            door, actor, req.client_id, item_id,
            language=req.language, correlation_id=req.correlation_id,
        )  # fmt: skip

        def withheld(part: object) -> bool:
            return isinstance(part, notes.WithheldMarker)

        return Page(
            "demo/decision_item.html",
            {
                **common,
                "page": decision.page,
                "decision": decision,
                "withheld": withheld,
                "any_withheld": any(withheld(p) for r in decision.reasons for p in r.parts),
            },
        )

    return show
