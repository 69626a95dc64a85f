"""
The retention sweep: the department's job that erases drafts nobody saved
for the form's retention period, including those of clients who never came
back (a draft read after its expiry is erased on the spot by the engine).
"""

from __future__ import annotations

import datetime as dt
import json

from ircc_account import Capacity, FrontDoor
from ircc_account.audit import AuditEntry, Decision
from ircc_account.errors import PersonalDataErased

from ._drafts import DraftState, record_key
from ._service import ApplicationService

__all__ = ["RETENTION_ACTOR", "sweep_expired_drafts"]

#: Who the sweep's erasures are recorded as, in each client's history.
RETENTION_ACTOR = "applications-retention"


def sweep_expired_drafts(
    door: FrontDoor, service: ApplicationService, *, now: dt.datetime | None = None
) -> int:
    """
    Erase every draft of *service* not saved for its form's retention period.

    The service keeps one marker per draft in its document store, named by
    the date to look again; the sweep looks only at markers due, reads the
    draft's record (its last save, not its content), and either erases it
    (the record, its documents and its marker, with one entry in the
    client's history, as the department's system) or moves the marker to
    the draft's real expiry. A submitted application is kept.

    Args:
        door: The front door whose store holds the drafts.
        service: The application service.
        now: The time to judge expiry by (the system clock's by default).

    Returns:
        How many drafts were erased.
    """
    now = now or dt.datetime.now(dt.UTC)
    retention = dt.timedelta(days=service.form.retention_days)
    erased = 0
    for client_id, draft_id, day in list(service.markers()):
        if day > now.date():
            continue
        with door.store.unit_of_work() as uow:
            try:
                found = uow.plugin_records.get(client_id, service.service_id, record_key(draft_id))
            except PersonalDataErased:
                found = None
            if found is None:
                # Discarded, or the client's personal data was erased: only
                # sealed bytes nobody can open are left, and they go too.
                service.forget(client_id, draft_id)
                continue
            record, data = found
            if json.loads(data.decode("utf-8")).get("state") != DraftState.DRAFT.value:
                service.unmark(client_id, draft_id)
                continue
            if record.updated_at + retention > now:
                service.remark(client_id, draft_id, record.updated_at + retention)
                continue
            uow.plugin_records.delete(
                client_id, service.service_id, record_key(draft_id), version=record.version
            )
            door.audit.append(
                uow,
                AuditEntry(
                    occurred_at=now,
                    actor_id=RETENTION_ACTOR,
                    client_id=client_id,
                    capacity=Capacity.SYSTEM,
                    action="applications.draft.expire",
                    service_id=service.service_id,
                    decision=Decision.ALLOWED,
                    reason="retention",
                ),
            )
            uow.commit()
        service.forget(client_id, draft_id)
        erased += 1
    return erased
