"""
The tracker's record of one item, as JSON in the client's sealed plugin
record ``item:<item_id>`` (``ctx.records`` for the plugin; the store's
plugin records for the department's desk): phases, requests to the client,
waits on third parties, documents, who touched it, released comments.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ircc_account.services import BilingualText

from ._values import (
    IN_PROGRESS,
    Comment,
    Document,
    Party,
    Phase,
    PhaseStep,
    RequirementState,
    RequirementView,
    StaffRole,
    Touch,
    Wait,
)

__all__ = ["FORMAT", "TrackerRecord", "from_micros", "key_of", "micros"]

#: The record's format version.
FORMAT = 1
#: Most entries kept per list (phases, requests, waits, documents, comments);
#: the oldest touches are dropped past it.
MAX_ENTRIES = 200


def key_of(item_id: str) -> str:
    """The plugin-record key of *item_id*'s tracker record."""
    return f"item:{item_id}"


def micros(at: dt.datetime) -> int:
    """*at* as integer microseconds since the epoch."""
    return (at - _EPOCH) // dt.timedelta(microseconds=1)


def from_micros(value: int) -> dt.datetime:
    """The instant of *value* microseconds since the epoch."""
    return _EPOCH + dt.timedelta(microseconds=value)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _text(value: BilingualText) -> dict[str, str]:
    return {"en": value.en, "fr": value.fr}


def _bilingual(value: Any) -> BilingualText:
    return BilingualText(value["en"], value["fr"])


class TrackerRecord:
    """
    One item's tracker record, decoded; change it, then :meth:`encode` it.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @classmethod
    def new(cls, program: str) -> TrackerRecord:
        """An empty record for an item of *program*."""
        return cls(
            {
                "v": FORMAT,
                "program": program,
                "phases": [],
                "requirements": [],
                "waits": [],
                "documents": [],
                "touches": [],
                "comments": [],
            }
        )

    @classmethod
    def received(cls, program: str, office: str, at: int) -> TrackerRecord:
        """A record for an item of *program* received at *office* at *at* (microseconds)."""
        record = cls.new(program)
        record.enter(Phase.RECEIVED, office, at)
        record.data["last_at"] = at
        return record

    @classmethod
    def decode(cls, value: Any) -> TrackerRecord:
        """A record from the JSON value stored."""
        return cls(value if isinstance(value, dict) else json.loads(value))

    @staticmethod
    def looks_like(value: Any) -> bool:
        """Whether *value* (as stored) is a tracker record, not some other record under the key."""
        try:
            data = value if isinstance(value, dict) else json.loads(value)
        except (TypeError, ValueError):
            return False
        return isinstance(data, dict) and data.get("v") == FORMAT and "phases" in data

    def encode(self) -> bytes:
        """The record as UTF-8 JSON."""
        return json.dumps(self.data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    # --- reading --------------------------------------------------------------------------

    @property
    def program(self) -> str:
        """The program (``visitor-visa``) similar items share."""
        return str(self.data["program"])

    @property
    def last_at(self) -> int | None:
        """When the latest event was (microseconds), if any."""
        return self.data.get("last_at")

    def current(self) -> dict[str, Any] | None:
        """The current phase entry, if any."""
        phases = self.data["phases"]
        return phases[-1] if phases else None

    def current_phase(self) -> Phase | None:
        """The current phase, if it has a known one."""
        entry = self.current()
        return None if entry is None or entry["phase"] is None else Phase(entry["phase"])

    def waiting_on_client(self) -> bool:
        """Whether something asked of the client is still unanswered."""
        return any(r["state"] == RequirementState.REQUESTED for r in self.data["requirements"])

    def requirement(self, requirement_id: str) -> dict[str, Any] | None:
        """The requirement *requirement_id*, if the item has it."""
        for r in self.data["requirements"]:
            if r["id"] == requirement_id:
                return dict(r)
        return None

    def steps(self) -> tuple[PhaseStep, ...]:
        """The phases, oldest first, as the client sees them."""
        out = []
        for p in self.data["phases"]:
            phase = None if p["phase"] is None else Phase(p["phase"])
            label, doing = IN_PROGRESS if phase is None else (phase.label, phase.doing)
            if p.get("doing") is not None:
                doing = _bilingual(p["doing"])
            out.append(
                PhaseStep(
                    phase=phase,
                    label=label,
                    doing=doing,
                    office=p["office"],
                    entered_at=from_micros(p["at"]),
                )
            )
        return tuple(out)

    def staff_labels(self) -> tuple[str | None, ...]:
        """Each phase step's raw legacy label, for staff (``None`` where there was none)."""
        return tuple(p.get("label") for p in self.data["phases"])

    def requirements(self, today: dt.date | None = None) -> tuple[RequirementView, ...]:
        """What was asked of the client, oldest first (overdue ones flagged, given *today*)."""
        return tuple(
            RequirementView(
                requirement_id=r["id"],
                title=_bilingual(r["title"]),
                details=tuple(_bilingual(d) for d in r["details"]),
                due=dt.date.fromisoformat(r["due"]),
                state=RequirementState(r["state"]),
                reason=None if r.get("reason") is None else _bilingual(r["reason"]),
                requested_at=from_micros(r["requested_at"]),
                answered_at=None if r.get("answered_at") is None else from_micros(r["answered_at"]),
                overdue=(
                    today is not None
                    and r["state"] == RequirementState.REQUESTED
                    and dt.date.fromisoformat(r["due"]) < today
                ),
            )
            for r in self.data["requirements"]
        )

    def waits(self) -> tuple[Wait, ...]:
        """What the application waits on from third parties, oldest first."""
        return tuple(
            Wait(
                wait_id=w["id"],
                party=Party(w["party"]),
                what=_bilingual(w["what"]),
                since=from_micros(w["since"]),
                done_at=None if w.get("done_at") is None else from_micros(w["done_at"]),
            )
            for w in self.data["waits"]
        )

    def documents(self) -> tuple[Document, ...]:
        """The documents received, oldest first."""
        return tuple(
            Document(name=_bilingual(d["name"]), received_at=from_micros(d["at"]))
            for d in self.data["documents"]
        )

    def touches(self) -> tuple[Touch, ...]:
        """Who worked on it, by office and role, oldest first."""
        return tuple(
            Touch(
                office=t["office"],
                role=StaffRole(t["role"]),
                what=t["what"],
                at=from_micros(t["at"]),
            )
            for t in self.data["touches"]
        )

    def comments(self) -> tuple[Comment, ...]:
        """The comments released to the client, oldest first."""
        return tuple(
            Comment(
                text=_bilingual(c["text"]),
                office=c["office"],
                role=StaffRole(c["role"]),
                at=from_micros(c["at"]),
            )
            for c in self.data["comments"]
        )

    # --- changing -------------------------------------------------------------------------

    def _append(self, name: str, entry: dict[str, Any], *, drop_oldest: bool = False) -> None:
        entries = self.data[name]
        if len(entries) >= MAX_ENTRIES:
            if not drop_oldest:
                from ircc_account.errors import OutOfRange

                raise OutOfRange(field=name)
            del entries[0]
        entries.append(entry)

    def touched(self, office: str, role: StaffRole, what: str, at: int) -> None:
        """Note that staff at *office* in *role* did *what*."""
        self._append(
            "touches", {"office": office, "role": role.value, "what": what, "at": at},
            drop_oldest=True,
        )  # fmt: skip
        self.data["last_at"] = max(at, self.data.get("last_at") or at)

    def enter(
        self,
        phase: Phase | None,
        office: str,
        at: int,
        *,
        doing: BilingualText | None = None,
        label: str | None = None,
    ) -> None:
        """Enter *phase* (``None``: a legacy status of unknown meaning, *label* kept)."""
        entry: dict[str, Any] = {
            "phase": None if phase is None else phase.value,
            "office": office,
            "at": at,
            "doing": None if doing is None else _text(doing),
        }
        if label is not None:
            entry["label"] = label
        self._append("phases", entry)

    def add_requirement(
        self,
        requirement_id: str,
        title: BilingualText,
        details: tuple[BilingualText, ...],
        due: dt.date,
        at: int,
    ) -> None:
        """Ask the client for something."""
        self._append(
            "requirements",
            {
                "id": requirement_id,
                "title": _text(title),
                "details": [_text(d) for d in details],
                "due": due.isoformat(),
                "state": RequirementState.REQUESTED.value,
                "reason": None,
                "requested_at": at,
                "answered_at": None,
            },
        )

    def set_requirement(self, requirement_id: str, **changes: Any) -> None:
        """Change a requirement's fields (its state, reason, answer)."""
        for r in self.data["requirements"]:
            if r["id"] == requirement_id:
                r.update(
                    {
                        k: (_text(x) if isinstance(x, BilingualText) else x)
                        for k, x in changes.items()
                    }
                )

    def add_wait(self, wait_id: str, party: Party, what: BilingualText, at: int) -> None:
        """Note that the application waits on a third party."""
        self._append(
            "waits",
            {
                "id": wait_id,
                "party": party.value,
                "what": _text(what),
                "since": at,
                "done_at": None,
            },
        )

    def end_wait(self, wait_id: str, at: int) -> bool:
        """Note that a wait is over; whether there was such an open wait."""
        for w in self.data["waits"]:
            if w["id"] == wait_id and w["done_at"] is None:
                w["done_at"] = at
                return True
        return False

    def add_document(self, name: BilingualText, at: int) -> None:
        """Note a document received."""
        self._append("documents", {"name": _text(name), "at": at})

    def add_comment(self, text: BilingualText, office: str, role: StaffRole, at: int) -> None:
        """Release a comment to the client."""
        self._append(
            "comments", {"text": _text(text), "office": office, "role": role.value, "at": at}
        )

    def next_id(self, prefix: str) -> str:
        """A new id, unique within the record (``req-3``)."""
        counter = self.data.setdefault("next", {})
        n = counter.get(prefix, 0) + 1
        counter[prefix] = n
        return f"{prefix}-{n}"
