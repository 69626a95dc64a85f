"""
The department's side of decision notes: an officer records the decision
on a tracked application with their reasons, each tied to a criterion or a
requirement of the application, passages that may not be released
withheld (their text dropped here, before anything is stored or logged).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from typing import Any

from ircc_account.errors import NotFound, PersonalDataErased, RequiredField, UnknownRequirement
from ircc_account.services import (
    BilingualText,
    EventKind,
    ItemKind,
    ItemState,
    ServiceEvent,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)

from ..status import SERVICE_ID as TRACKER_ID
from ..status import Staff, TrackerRecord
from ..status._desk import DeskBase
from ..status._record import key_of, micros
from ._values import SERVICE_ID, NoteReason, Outcome, Withheld

__all__ = ["NotesDesk"]

#: Most reasons and conditions in one decision.
MAX_REASONS = 30


class NotesDesk(DeskBase):
    """
    Officers record decisions and the reasons released to the client (and
    to representatives whose grant includes ``view_decision_notes``).

    As for :class:`~ircc_account.builtin.status.StatusDesk`, the department
    authorizes its staff; this checks only that ``staff.actor`` is an
    officer, and records each decision in the client's history.

    Args:
        door: The front door.
    """

    service_id = SERVICE_ID

    def record_decision(
        self,
        staff: Staff,
        application_id: str,
        outcome: Outcome | str,
        reasons: Sequence[NoteReason],
        *,
        conditions: Sequence[BilingualText] = (),
    ) -> ServiceItem:
        """
        Record the decision on a tracked application and release its notes.

        Args:
            staff: The officer who decided.
            application_id: The status tracker's item, or an application it
                follows (submitted through an application service).
            outcome: Refused, or approved with conditions.
            reasons: The reasons, each tied to a criterion or to one of the
                application's requirements. Withheld passages keep only
                their legal basis.
            conditions: For an approval with conditions, the conditions.

        Returns:
            The decision's item in the decision notes service.

        Raises:
            UnknownRequirement: a reason names a requirement the application does not have.
            RequiredField: no reasons, or conditions missing for an approval with conditions.
            DepartmentOnly: *staff* is not an officer (recorded).
            NotFound: no such tracked application.
        """
        from ircc_account._model import _validate as v

        outcome = v.choice("outcome", Outcome, outcome)
        reasons = list(reasons)
        if not reasons or len(reasons) > MAX_REASONS or len(conditions) > MAX_REASONS:
            raise RequiredField(field="reasons")
        if outcome is Outcome.APPROVED_WITH_CONDITIONS and not conditions:
            raise RequiredField(field="conditions")
        with self._door.store.unit_of_work() as uow:
            application: ServiceItem | None
            try:
                application = uow.items.get(application_id)
            except (NotFound, PersonalDataErased):
                application = None
            found = None
            if application is not None:
                # The tracker's record is kept by the application's service
                # (the tracker's own, or the service that submitted it).
                found = uow.plugin_records.get(
                    application.account_id, application.service_id, key_of(application.item_id)
                )
                if application.service_id != TRACKER_ID and (
                    found is None or not TrackerRecord.looks_like(found[1])
                ):
                    application = None
            self._check_officer(uow, staff, application, "notes.decision")
            if application is None:
                raise NotFound(kind="item")
            tracker = TrackerRecord.decode(found[1]) if found else TrackerRecord.new("unknown")
            now = self._clock.now()
            data = {
                "v": 1,
                "application": application.item_id,
                "outcome": outcome.value,
                "office": staff.office,
                "role": staff.role.value,
                "decided_at": micros(now),
                "reasons": [_reason(r, tracker) for r in reasons],
                "conditions": [{"en": c.en, "fr": c.fr} for c in conditions],
                "review_requested_at": None,
                "reapply_at": None,
            }
            item = ServiceItem(
                item_id=f"{SERVICE_ID}-{secrets.token_hex(12)}",
                account_id=application.account_id,
                service_id=SERVICE_ID,
                kind=ItemKind.CASE,
                reference=application.reference,
                state=ItemState.DECISION_MADE,
                title=BilingualText(
                    f"Decision: {application.title.en}", f"Décision : {application.title.fr}"
                ),
                created_at=now,
                updated_at=now,
            )
            uow.items.add(item)
            uow.timeline.append(
                TimelineEvent(
                    event_id=f"ev-{secrets.token_hex(12)}",
                    item_id=item.item_id,
                    kind=TimelineKind.DECISION,
                    occurred_at=now,
                    state=ItemState.DECISION_MADE,
                    summary=_decided(outcome),
                )
            )
            uow.plugin_records.put(
                item.account_id,
                SERVICE_ID,
                key_of(item.item_id),
                json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8"),
                version=None,
                now=now,
            )
            self._audit(uow, staff, item, "notes.decision")
            uow.commit()
        self._door.services.publish(
            ServiceEvent(
                kind=EventKind.DECISION,
                client_id=item.account_id,
                occurred_at=now,
                service_id=SERVICE_ID,
                item_id=item.item_id,
                state=item.state,
                summary=_decided(outcome),
            )
        )
        return item


def _reason(reason: NoteReason, tracker: TrackerRecord) -> dict[str, Any]:
    title = None
    if reason.requirement is not None:
        found = tracker.requirement(reason.requirement)
        if found is None:
            raise UnknownRequirement(field="requirement")
        title = found["title"]
    parts: list[dict[str, Any]] = []
    for part in reason.parts:
        if isinstance(part, Withheld):
            # The passage itself goes no further than this line: only its
            # basis is kept (the department keeps the full note).
            parts.append({"withheld": part.basis.value})
        else:
            parts.append({"text": {"en": part.en, "fr": part.fr}})
    return {
        "criterion": None if reason.criterion is None else reason.criterion.value,
        "requirement": reason.requirement,
        "requirement_title": title,
        "parts": parts,
    }


def _decided(outcome: Outcome) -> BilingualText:
    return BilingualText(
        f"Decision: {outcome.label.en}. The officer's reasons are in your account.",
        f"Décision : {outcome.label.fr}. Les motifs de l'agent sont dans votre compte.",
    )
