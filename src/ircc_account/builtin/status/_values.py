# mypy: disable-error-code="misc"
# (the attrs mypy plugin only understands named converters; ours are
# built by v.converter, so those fields are typed by their annotations.)
"""
The status tracker's vocabulary: phases, parties, requirement states, staff
roles, what an officer asks for, and what a page shows.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

import attrs

from ircc_account import Actor
from ircc_account._model import _validate as v
from ircc_account.services import BilingualText, ItemState

__all__ = [
    "SERVICE_ID",
    "Comment",
    "Document",
    "Estimate",
    "Party",
    "Phase",
    "PhaseStep",
    "Requirement",
    "RequirementState",
    "RequirementView",
    "Staff",
    "StaffRole",
    "Touch",
    "Wait",
]

#: The status tracker's service id (its entry-point name).
SERVICE_ID = "status-tracker"

_bilingual = attrs.validators.instance_of(BilingualText)


class Phase(enum.StrEnum):
    """
    Where an application is in processing, in order.
    """

    RECEIVED = "received"
    ELIGIBILITY = "eligibility"
    BIOMETRICS = "biometrics"
    BACKGROUND_CHECKS = "background_checks"
    DECISION = "decision"
    PASSPORT_REQUEST = "passport_request"

    @property
    def label(self) -> BilingualText:
        """The phase's name, in English and French."""
        return _PHASES[self][0]

    @property
    def doing(self) -> BilingualText:
        """What the department does in this phase, by default."""
        return _PHASES[self][1]


_PHASES: dict[Phase, tuple[BilingualText, BilingualText]] = {
    Phase.RECEIVED: (
        BilingualText("Received", "Reçue"),
        BilingualText(
            "We received your application and are checking that it is complete.",
            "Nous avons reçu votre demande et vérifions qu'elle est complète.",
        ),
    ),
    Phase.ELIGIBILITY: (
        BilingualText("Reviewing eligibility", "Examen de l'admissibilité"),
        BilingualText(
            "An officer is reviewing whether you meet the requirements.",
            "Un agent examine si vous remplissez les exigences.",
        ),
    ),
    Phase.BIOMETRICS: (
        BilingualText("Biometrics", "Données biométriques"),
        BilingualText(
            "We are waiting for, or checking, your fingerprints and photo.",
            "Nous attendons ou vérifions vos empreintes digitales et votre photo.",
        ),
    ),
    Phase.BACKGROUND_CHECKS: (
        BilingualText("Background checks", "Vérification des antécédents"),
        BilingualText(
            "We are checking your background with partner agencies.",
            "Nous vérifions vos antécédents auprès d'organismes partenaires.",
        ),
    ),
    Phase.DECISION: (
        BilingualText("Decision", "Décision"),
        BilingualText(
            "An officer made a decision on your application.",
            "Un agent a rendu une décision sur votre demande.",
        ),
    ),
    Phase.PASSPORT_REQUEST: (
        BilingualText("Passport request", "Demande de passeport"),
        BilingualText(
            "We asked for your passport, to place your visa in it.",
            "Nous avons demandé votre passeport, pour y apposer votre visa.",
        ),
    ),
}

#: How a step of unknown meaning (a legacy status nobody mapped) shows.
IN_PROGRESS = (
    BilingualText("In progress", "En cours"),
    BilingualText("Your application is being processed.", "Votre demande est en traitement."),
)


class Party(enum.StrEnum):
    """
    Who the application waits on, besides the client.
    """

    PANEL_PHYSICIAN = "panel_physician"
    POLICE = "police"
    VISA_OFFICE = "visa_office"
    PARTNER_AGENCY = "partner_agency"

    @property
    def label(self) -> BilingualText:
        """The party's name, in English and French."""
        return _PARTIES[self]


_PARTIES = {
    Party.PANEL_PHYSICIAN: BilingualText("A panel physician", "Un médecin désigné"),
    Party.POLICE: BilingualText("A police service", "Un service de police"),
    Party.VISA_OFFICE: BilingualText("A visa office", "Un bureau des visas"),
    Party.PARTNER_AGENCY: BilingualText("A partner agency", "Un organisme partenaire"),
}


class RequirementState(enum.StrEnum):
    """
    Where something asked of the client stands.
    """

    REQUESTED = "requested"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def label(self) -> BilingualText:
        """The state's name, in English and French."""
        return _REQ_STATES[self]


_REQ_STATES = {
    RequirementState.REQUESTED: BilingualText("Requested", "Demandé"),
    RequirementState.RECEIVED: BilingualText("Received", "Reçu"),
    RequirementState.ACCEPTED: BilingualText("Accepted", "Accepté"),
    RequirementState.REJECTED: BilingualText("Rejected", "Refusé"),
}


class StaffRole(enum.StrEnum):
    """
    In what role department staff touched an application (shown to the client, never a name).
    """

    PROCESSING_AGENT = "processing_agent"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    SYSTEM = "system"

    @property
    def label(self) -> BilingualText:
        """The role's name, in English and French."""
        return _ROLES[self]


_ROLES = {
    StaffRole.PROCESSING_AGENT: BilingualText("Processing agent", "Agent de traitement"),
    StaffRole.OFFICER: BilingualText("Immigration officer", "Agent d'immigration"),
    StaffRole.SUPERVISOR: BilingualText("Supervisor", "Superviseur"),
    StaffRole.SYSTEM: BilingualText("Automated system", "Système automatisé"),
}


@attrs.frozen(kw_only=True)
class Staff:
    """
    A department staff member at a desk: who acts, from which office, in what role.

    The department's own systems authenticate and authorize staff; the
    library checks only that the actor is an officer (``Capacity.OFFICER``)
    and records every change in the client's history.

    Attributes:
        actor: The officer (``Capacity.OFFICER``), or a legacy feed's job.
        office: The office's code (``ndl``, ``vo-manila``), shown to the client.
        role: The role, shown to the client instead of a name.
    """

    actor: Actor = attrs.field(validator=attrs.validators.instance_of(Actor))
    office: str = attrs.field(converter=v.converter(v.identifier, "office"))
    role: StaffRole = attrs.field(
        default=StaffRole.OFFICER, converter=v.converter(v.choice, "role", StaffRole)
    )


def _texts(value: Iterable[BilingualText]) -> tuple[BilingualText, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Requirement:
    """
    Something the department asks the client for.

    Attributes:
        title: What is missing ("Police certificate").
        details: Its sub-requirements, each a sentence ("from each country
            you lived in for 6 months or more since age 18", "translated
            into English or French by a certified translator").
        due: The date it is due; after the day it is asked.
    """

    title: BilingualText = attrs.field(validator=_bilingual)
    details: tuple[BilingualText, ...] = attrs.field(
        default=(),
        converter=_texts,
        validator=attrs.validators.deep_iterable(_bilingual, attrs.validators.max_len(20)),
    )
    due: dt.date = attrs.field(converter=v.converter(v.date, "due"))


@attrs.frozen(kw_only=True)
class PhaseStep:
    """
    One step of an item's processing, as the client sees it.

    Attributes:
        phase: The phase, or ``None`` for a step of unknown meaning (a
            legacy status nobody mapped: shown as "in progress").
        label: The phase's name.
        doing: What the department is doing in it.
        office: The office.
        entered_at: When it began.
    """

    phase: Phase | None
    label: BilingualText
    doing: BilingualText
    office: str
    entered_at: dt.datetime


@attrs.frozen(kw_only=True)
class RequirementView:
    """
    Something asked of the client, and where it stands.

    Attributes:
        requirement_id: Its id (``req-1``), to respond to it.
        title: What is missing.
        details: Its sub-requirements.
        due: When it is due.
        state: Requested, received, accepted or rejected.
        reason: Why it was rejected, if it was.
        requested_at: When it was asked for.
        answered_at: When the client answered, if they did.
        overdue: Still unanswered and its due date has passed (on the day
            the page was read). It can still be answered.
    """

    requirement_id: str
    title: BilingualText
    details: tuple[BilingualText, ...]
    due: dt.date
    state: RequirementState
    reason: BilingualText | None
    requested_at: dt.datetime
    answered_at: dt.datetime | None
    overdue: bool = False


@attrs.frozen(kw_only=True)
class Wait:
    """
    Something the application waits on from a third party.

    Attributes:
        wait_id: Its id.
        party: Who it waits on.
        what: What for.
        since: Since when.
        done_at: When it came, if it did.
    """

    wait_id: str
    party: Party
    what: BilingualText
    since: dt.datetime
    done_at: dt.datetime | None


@attrs.frozen(kw_only=True)
class Document:
    """
    A document the department received.

    Attributes:
        name: What it is.
        received_at: When.
    """

    name: BilingualText
    received_at: dt.datetime


@attrs.frozen(kw_only=True)
class Touch:
    """
    Department staff worked on the application: by office and role, never a name.

    Attributes:
        office: The office's code.
        role: The role.
        what: What they did (``phase``, ``requirement``, ``comment``).
        at: When.
    """

    office: str
    role: StaffRole
    what: str
    at: dt.datetime


@attrs.frozen(kw_only=True)
class Comment:
    """
    A comment an officer released to the client.

    Attributes:
        text: The comment.
        office: The office.
        role: The role of who wrote it.
        at: When it was released.
    """

    text: BilingualText
    office: str
    role: StaffRole
    at: dt.datetime


@attrs.frozen(kw_only=True)
class Estimate:
    """
    How long an item has left, from the timelines of similar items (same
    program, phase and office, decided in the recent window).

    Attributes:
        median_days: Half of similar items had at most this many days left.
        p80_days: Four in five had at most this many days left.
        sample_size: How many similar items it is computed from.
        computed_at: When it was computed.
        bins: The distribution of days left: ``(from_days, to_days, count)``
            per bin, for the chart.
    """

    median_days: int
    p80_days: int
    sample_size: int
    computed_at: dt.datetime
    bins: tuple[tuple[int, int, int], ...] = ()


def state_of(phase: Phase | None, *, waiting_on_client: bool) -> ItemState:
    """
    The shared item state that a phase (and open requests to the client) shows as.
    """
    if waiting_on_client or phase is Phase.PASSPORT_REQUEST:
        return ItemState.ACTION_REQUIRED
    if phase is Phase.RECEIVED:
        return ItemState.SUBMITTED
    if phase is Phase.DECISION:
        return ItemState.DECISION_MADE
    return ItemState.IN_PROGRESS
