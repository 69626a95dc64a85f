"""
One enquiry as JSON in the client's sealed plugin record ``enq:<enquiry_id>``
(service ``enquiries``), and back: what was asked, the criteria met, the
evidence, the answer or decision, and the department's request for more.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ircc_account.services import BilingualText

from ..status._record import from_micros, micros
from ._values import (
    Answer,
    Category,
    Enquiry,
    EnquiryKind,
    EnquiryState,
    Evidence,
    UrgentDecision,
)

__all__ = ["FORMAT", "KEY_PREFIX", "decode", "encode", "key_of", "text", "view"]

#: The record's format version.
FORMAT = 1
#: The plugin-record key prefix of an enquiry.
KEY_PREFIX = "enq:"


def key_of(enquiry_id: str) -> str:
    """The plugin-record key of *enquiry_id*."""
    return KEY_PREFIX + enquiry_id


def text(value: BilingualText) -> dict[str, str]:
    """A bilingual text as JSON."""
    return {"en": value.en, "fr": value.fr}


def _bilingual(value: Any) -> BilingualText:
    return BilingualText(value["en"], value["fr"])


def encode(data: dict[str, Any]) -> bytes:
    """The record as UTF-8 JSON."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode(value: bytes) -> dict[str, Any]:
    """The record from its stored bytes."""
    data: dict[str, Any] = json.loads(value)
    return data


def view(client_id: str, data: dict[str, Any], today: dt.date) -> Enquiry:
    """The enquiry a record holds, as of *today* (for the late flag)."""
    state = EnquiryState(data["state"])
    due = dt.date.fromisoformat(data["due"])
    answer = data.get("answer")
    outcome = data.get("outcome")
    more = data.get("more_info")
    response = data.get("response")
    return Enquiry(
        enquiry_id=data["id"],
        client_id=client_id,
        item_id=data["item"],
        kind=EnquiryKind(data["kind"]),
        category=None if data.get("category") is None else Category(data["category"]),
        question=data["question"],
        filed_by=data["filed_by"],
        organisation_id=data.get("org"),
        filed_at=from_micros(data["filed_at"]),
        due=due,
        state=state,
        attested=frozenset(data.get("attested", ())),
        meets=tuple(data.get("meets", ())),
        travel_date=None if data.get("travel") is None else dt.date.fromisoformat(data["travel"]),
        evidence=tuple(Evidence(**e) for e in data.get("evidence", ())),
        answer=None
        if answer is None
        else Answer(
            phase=_bilingual(answer["phase"]),
            doing=_bilingual(answer["doing"]),
            client_must=_bilingual(answer["must"]),
            office=answer["office"],
            answered_at=from_micros(answer["at"]),
        ),
        outcome=None
        if outcome is None
        else UrgentDecision(
            granted=bool(outcome["granted"]),
            reason=_bilingual(outcome["reason"]),
            office=outcome["office"],
            decided_at=from_micros(outcome["at"]),
        ),
        more_info=None if more is None else _bilingual(more["what"]),
        response=None if response is None else response["text"],
        # Waiting on the filer is not late: the department's clock is stopped.
        late=state is EnquiryState.OPEN and today > due,
    )


def stamp(at: dt.datetime) -> int:
    """*at* as stored (microseconds since the epoch)."""
    return micros(at)
