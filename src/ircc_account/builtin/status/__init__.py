"""
The status tracker: where each application stands, in phases, with what
the department is doing now; what the client must do (structured
requirements with due dates, answered through the service); what waits on
third parties; documents received; staff by office and role; comments
released to the client; and a processing-time estimate from similar items.

A service plugin (entry point ``status-tracker``: :data:`plugin`), a
department desk (:class:`StatusDesk`, for officers and legacy feeds), and a
portal page (:func:`status_page`). See ``docs/services/status.md``.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public

from ._desk import StatusDesk
from ._estimates import EDGES, EstimateBook, chart_svg
from ._legacy import LegacyRequirement, LegacyStatusFeed
from ._page import StatusPage, service_context, status_page
from ._plugin import StatusTracker, plugin, read_record
from ._record import TrackerRecord
from ._values import (
    SERVICE_ID,
    Comment,
    Document,
    Estimate,
    Party,
    Phase,
    PhaseStep,
    Requirement,
    RequirementState,
    RequirementView,
    Staff,
    StaffRole,
    Touch,
    Wait,
)

__all__ = [
    "EDGES",
    "SERVICE_ID",
    "Comment",
    "Document",
    "Estimate",
    "EstimateBook",
    "LegacyRequirement",
    "LegacyStatusFeed",
    "Party",
    "Phase",
    "PhaseStep",
    "Requirement",
    "RequirementState",
    "RequirementView",
    "Staff",
    "StaffRole",
    "StatusDesk",
    "StatusPage",
    "StatusTracker",
    "Touch",
    "TrackerRecord",
    "Wait",
    "chart_svg",
    "plugin",
    "read_record",
    "service_context",
    "status_page",
]

present_as_public(globals(), __name__)
