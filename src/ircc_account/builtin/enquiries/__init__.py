"""
Enquiries and urgent escalation: a client, or a representative whose grant
includes ``enquire`` (an MP's or Senator's office first of all), asks about
an application or requests urgent processing in a published category, with
evidence; the department answers (where the application stands, what is
being done, what the client must do: never "in process" alone) or decides
with its reason, or asks for more information, within a service standard
whose late cases are flagged to the office and to the department.

A service plugin (entry point ``enquiries``: :data:`plugin`), the filers'
API (:class:`Enquiries`), and the department's desk (:class:`EnquiryDesk`).
See ``docs/services/enquiries.md``.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public

from ._desk import EnquiryDesk
from ._plugin import EnquiriesService, plugin
from ._service import Enquiries
from ._values import (
    CRITERIA,
    ENQUIRY_ANSWER_DAYS,
    SERVICE_ID,
    Answer,
    Category,
    Criteria,
    Enquiry,
    EnquiryKind,
    EnquiryRequest,
    EnquiryState,
    Evidence,
    Filed,
    Need,
    PublishedCriterion,
    Upload,
    UrgentDecision,
)

__all__ = [
    "CRITERIA",
    "ENQUIRY_ANSWER_DAYS",
    "SERVICE_ID",
    "Answer",
    "Category",
    "Criteria",
    "Enquiries",
    "EnquiriesService",
    "Enquiry",
    "EnquiryDesk",
    "EnquiryKind",
    "EnquiryRequest",
    "EnquiryState",
    "Evidence",
    "Filed",
    "Need",
    "PublishedCriterion",
    "Upload",
    "UrgentDecision",
    "plugin",
]

present_as_public(globals(), __name__)
