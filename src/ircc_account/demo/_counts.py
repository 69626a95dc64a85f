"""
The department's processing-time counts in the demo: what the status
tracker's estimates read (``status_time_bins``), as if the office had
decided similar visitor visas over the last months. Counts only: no client,
no item, nothing personal. Without them the demo's tracked visa would say
there is no estimate yet.
"""

from __future__ import annotations

import datetime as dt

from ircc_account import FrontDoor

__all__ = ["add_department_counts"]

_DAY_US = 86_400_000_000
#: How many similar visitor visas the office decided (made up, spread over five months).
DECIDED = 60


def add_department_counts(door: FrontDoor, *, now: dt.datetime | None = None) -> int:
    """
    Count *DECIDED* made-up visitor visas decided at the ``ndl`` office in
    the last five months, each through received, eligibility and biometrics
    for a spread of durations (a fixed pattern, the same on every run),
    when the status tracker is installed. Returns how many were counted.
    """
    from ircc_account.builtin import status

    if status.SERVICE_ID not in door.services.service_ids:
        return 0
    at = now or dt.datetime.now(dt.UTC)
    now_us = int(at.timestamp() * 1_000_000)
    book = status.EstimateBook()
    with door.store.unit_of_work() as uow:
        for i in range(DECIDED):
            decided = now_us - (1 + (i * 5) // 2) * _DAY_US
            biometrics = decided - (25 + (i * 37) % 60) * _DAY_US
            eligibility = biometrics - (5 + (i * 13) % 20) * _DAY_US
            received = eligibility - (3 + (i * 7) % 10) * _DAY_US
            phases = [
                (status.Phase.RECEIVED.value, "ndl", received),
                (status.Phase.ELIGIBILITY.value, "ndl", eligibility),
                (status.Phase.BIOMETRICS.value, "ndl", biometrics),
            ]
            book.add_decision(uow, "visitor-visa", phases, decided)
        uow.commit()
    return DECIDED
