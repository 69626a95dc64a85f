"""
The status tracker's page for portals: the door's item page, and what the
tracker knows about the item (phases, requests, waits, documents, staff,
comments) with a processing-time estimate and its chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ircc_account import Actor
from ircc_account.services import ServiceContext

from ._estimates import EstimateBook, chart_svg
from ._plugin import read_record
from ._values import (
    Comment,
    Document,
    Estimate,
    PhaseStep,
    RequirementView,
    Touch,
    Wait,
)

if TYPE_CHECKING:
    from ircc_account import FrontDoor
    from ircc_account._door._values import ItemPage

__all__ = ["StatusPage", "service_context", "status_page"]


@attrs.frozen(kw_only=True)
class StatusPage:
    """
    One tracked application as its page shows it.

    Attributes:
        page: The door's item page (the item, its timeline, the actions on offer).
        steps: Its phases, oldest first; the last is the current one.
        requirements: What the client must do (or did), oldest first.
        waits: What it waits on from third parties, apart from the client.
        documents: Documents received, with dates.
        touches: Staff who worked on it, by office and role.
        comments: Comments released to the client.
        estimate: The time left, or ``None`` (decided, or too few similar items).
    """

    page: ItemPage
    steps: tuple[PhaseStep, ...]
    requirements: tuple[RequirementView, ...]
    waits: tuple[Wait, ...]
    documents: tuple[Document, ...]
    touches: tuple[Touch, ...]
    comments: tuple[Comment, ...]
    estimate: Estimate | None

    @property
    def current(self) -> PhaseStep | None:
        """The current phase (what the department is doing now)."""
        return self.steps[-1] if self.steps else None

    def chart(self, language: str = "en") -> str | None:
        """
        The estimate's distribution as a small SVG chart (no script), or ``None``.
        """
        if self.estimate is None:
            return None
        median, p80 = self.estimate.median_days, self.estimate.p80_days
        title = (
            f"Days left for similar applications: half within {median}, four in five within {p80}"
            if language != "fr"
            else f"Jours restants pour des demandes semblables : la moitié en {median} au plus, "
            f"quatre sur cinq en {p80} au plus"
        )
        return chart_svg(self.estimate, title=title)


def service_context(
    door: FrontDoor,
    actor: Actor,
    client_id: str,
    service_id: str,
    *,
    language: str = "en",
    correlation_id: str | None = None,
) -> ServiceContext:
    """
    The context *service_id*'s plugin gets for *actor* on *client_id*'s file:
    the scopes the policy says *actor* holds there now (every scope for the
    client themself). Its gates check and record each access.
    """
    with door.store.unit_of_work(write=False) as uow:
        held = door.policy.scopes_held(actor, client_id, uow=uow, service_ids=(service_id,))
    return door.services.context(
        service_id,
        actor=actor,
        client_id=client_id,
        scopes=None if held is None else held.get(service_id, frozenset()),
        language=language,
        correlation_id=correlation_id,
    )


def status_page(
    door: FrontDoor,
    actor: Actor,
    client_id: str,
    item_id: str,
    *,
    language: str = "en",
    correlation_id: str | None = None,
    estimates: EstimateBook | None = None,
) -> StatusPage:
    """
    A tracked application's page for *actor* (the client, or a
    representative whose grant lets them see its status): ``door.item``
    (authorized and recorded), then the tracker's record through the gates
    of the item's service (recorded too: the tracker's own, or the
    application service whose submission it follows), and the estimate
    (department-wide counts, no client data).

    Raises:
        NotFound: no such tracked item for this client (recorded).
        AuthorizationError: *actor* may not see it (recorded).
    """
    page = door.item(actor, client_id, item_id, language=language, correlation_id=correlation_id)
    # The tracker's record is kept by the item's own service: the tracker's,
    # or the application service that submitted it and asked it followed.
    ctx = service_context(
        door, actor, client_id, page.item.service_id, language=language,
        correlation_id=correlation_id,
    )  # fmt: skip
    record = read_record(ctx, item_id)
    steps = record.steps()
    estimate = None
    current = steps[-1] if steps else None
    if current is not None and current.phase is not None:
        book = estimates or EstimateBook()
        with door.store.unit_of_work(write=False) as uow:
            estimate = book.estimate(
                uow, record.program, current.phase, current.office, current.entered_at,
                ctx.clock.now(),
            )  # fmt: skip
    return StatusPage(
        page=page,
        steps=steps,
        requirements=record.requirements(ctx.clock.now().date()),
        waits=record.waits(),
        documents=record.documents(),
        touches=record.touches(),
        comments=record.comments(),
        estimate=estimate,
    )
