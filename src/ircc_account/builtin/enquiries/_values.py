# mypy: disable-error-code="misc"
"""
Enquiries' vocabulary: the kinds of request, the categories of urgent
processing and their published criteria (data, with their source), the
service standards, and what a filer, a client and the department see.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from ircc_account.builtin.applications import Source
from ircc_account.services import BilingualText

__all__ = [
    "CRITERIA",
    "ENQUIRY_ANSWER_DAYS",
    "SERVICE_ID",
    "Answer",
    "Category",
    "Criteria",
    "Enquiry",
    "EnquiryKind",
    "EnquiryRequest",
    "EnquiryState",
    "Evidence",
    "Filed",
    "Need",
    "PublishedCriterion",
    "Upload",
    "UrgentDecision",
]

#: The enquiries service's id (its entry-point name).
SERVICE_ID = "enquiries"

#: The service standard for an enquiry's answer, in calendar days after it is filed.
ENQUIRY_ANSWER_DAYS = 30

_bilingual = attrs.validators.instance_of(BilingualText)


class EnquiryKind(enum.StrEnum):
    """What was filed: a question about an item, or a request for urgent processing."""

    ENQUIRY = "enquiry"
    URGENT = "urgent"


class Category(enum.StrEnum):
    """Why urgent processing is asked for; each has published criteria (:data:`CRITERIA`)."""

    LIFE_OR_DEATH = "life_or_death"
    DEPARTMENTAL_ERROR = "departmental_error"
    FAMILY_EMERGENCY_TRAVEL = "family_emergency_travel"
    MEDICAL_EMERGENCY = "medical_emergency"

    @property
    def criteria(self) -> Criteria:
        """The category's published criteria."""
        return CRITERIA[self]


class Need(enum.StrEnum):
    """What a criterion needs from the request to count as met."""

    #: The filer states that it is so (a box ticked on the form).
    ATTESTED = "attested"
    #: The filer states it, and at least one evidence document is attached.
    EVIDENCE = "evidence"
    #: The filer states it, and the explanation is at least 40 characters long.
    STATEMENT = "statement"
    #: The filer states it, and the travel date is after today and within the criterion's days.
    TRAVEL_SOON = "travel_soon"


@attrs.frozen(kw_only=True)
class PublishedCriterion:
    """
    One published criterion of a category.

    Attributes:
        criterion_id: Its id within the category (``risk``), what a filer
            names to state that it is met.
        text: What it says, in English and French.
        need: What the request must hold for it to count as met.
        days: For :attr:`Need.TRAVEL_SOON`, how many days ahead at most.
    """

    criterion_id: str
    text: BilingualText = attrs.field(validator=_bilingual)
    need: Need
    days: int | None = None


@attrs.frozen(kw_only=True)
class Criteria:
    """
    A category's published criteria, shown when filing.

    Attributes:
        category: The category.
        label: Its name, in English and French.
        criteria: What a request should meet, in order.
        answer_days: The service standard: calendar days to a decision.
        source: Where the criteria are published.
    """

    category: Category
    label: BilingualText = attrs.field(validator=_bilingual)
    criteria: tuple[PublishedCriterion, ...]
    answer_days: int
    source: Source

    def criterion(self, criterion_id: str) -> PublishedCriterion | None:
        """The criterion *criterion_id*, if the category has it."""
        return next((c for c in self.criteria if c.criterion_id == criterion_id), None)


_SOURCE = Source(
    title="Contact IRCC: web form (urgent processing requests)",
    section="Ask for urgent processing",
    url="https://www.canada.ca/en/immigration-refugees-citizenship/corporate/contact-ircc/"
    "web-form.html",
    recheck="the criteria and the days are written from the department's published "
    "guidance as known; check them against the page before relying on them",
)


def _c(cid: str, en: str, fr: str, need: Need, days: int | None = None) -> PublishedCriterion:
    return PublishedCriterion(criterion_id=cid, text=BilingualText(en, fr), need=need, days=days)


#: Each category's published criteria and service standard (data, not code).
CRITERIA: dict[Category, Criteria] = {
    Category.LIFE_OR_DEATH: Criteria(
        category=Category.LIFE_OR_DEATH,
        label=BilingualText("A matter of life or death", "Une question de vie ou de mort"),
        criteria=(
            _c("risk", "Someone's life or safety is at risk now.",
               "La vie ou la sécurité d'une personne est en danger maintenant.", Need.ATTESTED),
            _c("proof", "A document shows the situation (a police, hospital or embassy letter).",
               "Un document montre la situation (une lettre de la police, d'un hôpital ou "
               "d'une ambassade).", Need.EVIDENCE),
            _c("how", "The request explains how processing this application now would help.",
               "La demande explique en quoi le traitement immédiat de cette demande aiderait.",
               Need.STATEMENT),
        ),
        answer_days=2,
        source=_SOURCE,
    ),
    Category.DEPARTMENTAL_ERROR: Criteria(
        category=Category.DEPARTMENTAL_ERROR,
        label=BilingualText("An error by the department", "Une erreur du ministère"),
        criteria=(
            _c("error", "The department made an error on this application (a wrong document "
               "issued, a document lost, a step missed).",
               "Le ministère a fait une erreur dans cette demande (un mauvais document délivré, "
               "un document perdu, une étape oubliée).", Need.ATTESTED),
            _c("what", "The request says what the error is and when it happened.",
               "La demande indique quelle est l'erreur et quand elle s'est produite.",
               Need.STATEMENT),
            _c("proof", "A document shows the error (the document issued, a receipt).",
               "Un document montre l'erreur (le document délivré, un accusé de réception).",
               Need.EVIDENCE),
        ),
        answer_days=14,
        source=_SOURCE,
    ),
    Category.FAMILY_EMERGENCY_TRAVEL: Criteria(
        category=Category.FAMILY_EMERGENCY_TRAVEL,
        label=BilingualText(
            "Travel soon for a family emergency", "Un voyage imminent pour une urgence familiale"
        ),
        criteria=(
            _c("family", "A close family member is gravely ill, injured or has died.",
               "Un membre de la famille proche est gravement malade, blessé ou décédé.",
               Need.ATTESTED),
            _c("soon", "The travel is within the next 30 days.",
               "Le voyage a lieu dans les 30 prochains jours.", Need.TRAVEL_SOON, 30),
            _c("proof", "A document shows the emergency (a doctor's letter, a death "
               "certificate).",
               "Un document montre l'urgence (une lettre d'un médecin, un certificat de "
               "décès).", Need.EVIDENCE),
        ),
        answer_days=5,
        source=_SOURCE,
    ),
    Category.MEDICAL_EMERGENCY: Criteria(
        category=Category.MEDICAL_EMERGENCY,
        label=BilingualText("A medical emergency", "Une urgence médicale"),
        criteria=(
            _c("care", "The client or a close family member needs urgent medical care.",
               "Le client ou un membre de la famille proche a besoin de soins médicaux urgents.",
               Need.ATTESTED),
            _c("proof", "A doctor's letter describes the need and its urgency.",
               "Une lettre d'un médecin décrit le besoin et son urgence.", Need.EVIDENCE),
            _c("how", "The request explains how processing this application now would help.",
               "La demande explique en quoi le traitement immédiat de cette demande aiderait.",
               Need.STATEMENT),
        ),
        answer_days=3,
        source=_SOURCE,
    ),
}  # fmt: skip


class EnquiryState(enum.StrEnum):
    """Where an enquiry or urgent request stands."""

    OPEN = "open"
    MORE_INFO = "more_info"
    ANSWERED = "answered"
    GRANTED = "granted"
    REFUSED = "refused"

    @property
    def is_open(self) -> bool:
        """Whether it still waits on the department or the filer."""
        return self in (EnquiryState.OPEN, EnquiryState.MORE_INFO)

    @property
    def label(self) -> BilingualText:
        """The state in words."""
        return _STATES[self]


_STATES = {
    EnquiryState.OPEN: BilingualText("Waiting for the department", "En attente du ministère"),
    EnquiryState.MORE_INFO: BilingualText(
        "The department needs more information", "Le ministère a besoin de renseignements"
    ),
    EnquiryState.ANSWERED: BilingualText("Answered", "Répondue"),
    EnquiryState.GRANTED: BilingualText("Urgent processing granted", "Traitement urgent accordé"),
    EnquiryState.REFUSED: BilingualText("Urgent processing refused", "Traitement urgent refusé"),
}


@attrs.frozen(kw_only=True)
class Upload:
    """
    An evidence document as the filer sends it: judged by its content, not its name.

    Attributes:
        filename: The file's name as sent (kept for display only).
        data: Its bytes.
    """

    filename: str
    data: bytes = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class EnquiryRequest:
    """
    What a filer sends: a question, or (with a *category*) a request for urgent processing.

    Attributes:
        question: The question or the explanation, up to 2,000 characters.
        category: For an urgent request, its category (a :class:`Category` or its value).
        attested: The ids of the category's criteria the filer states are met.
        travel_date: For travel, when it is.
        evidence: Evidence documents (PDF, JPEG or PNG), at most five.
    """

    question: str
    category: Category | str | None = None
    attested: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    travel_date: dt.date | None = None
    evidence: tuple[Upload, ...] = attrs.field(default=(), converter=tuple)


@attrs.frozen(kw_only=True)
class Evidence:
    """
    An evidence document kept with a request (sealed in the document store).

    Attributes:
        document_id: Its id within the request.
        filename: Its name as sent.
        content_type: Sniffed from its content.
        size: Its size in bytes.
        sha256: Its SHA-256 digest, hex.
    """

    document_id: str
    filename: str
    content_type: str
    size: int
    sha256: str


@attrs.frozen(kw_only=True)
class Answer:
    """
    The department's answer to an enquiry: never "in process" alone.

    Attributes:
        phase: Where the application stands (the status tracker's current
            phase when it tracks the item).
        doing: What the department is doing about it.
        client_must: What the client must do (or that nothing is needed now).
        office: The office that answered.
        answered_at: When.
    """

    phase: BilingualText = attrs.field(validator=_bilingual)
    doing: BilingualText = attrs.field(validator=_bilingual)
    client_must: BilingualText = attrs.field(validator=_bilingual)
    office: str
    answered_at: dt.datetime


@attrs.frozen(kw_only=True)
class UrgentDecision:
    """
    The department's decision on an urgent request, with its reason.

    Attributes:
        granted: Whether urgent processing was granted.
        reason: Why, in English and French.
        office: The office that decided.
        decided_at: When.
    """

    granted: bool
    reason: BilingualText = attrs.field(validator=_bilingual)
    office: str
    decided_at: dt.datetime


@attrs.frozen(kw_only=True)
class Enquiry:
    """
    One enquiry or urgent request, as its filer, the client and the department see it.

    Attributes:
        enquiry_id: Its id.
        client_id: The client it is about.
        item_id: The item (application) it is about.
        kind: An enquiry or an urgent request.
        category: An urgent request's category.
        question: The filer's question or explanation.
        filed_by: Who filed it (an actor id).
        organisation_id: The office it was filed through, if any.
        filed_at: When.
        due: The service standard's date for the answer.
        state: Where it stands.
        attested: The criteria the filer stated are met.
        meets: The criteria the request meets (as checked when filed or
            when more information came).
        travel_date: For travel, when it is.
        evidence: The evidence documents.
        answer: The department's answer, once given.
        outcome: The decision on an urgent request, once made.
        more_info: What the department asked for, while it waits.
        response: The filer's last answer to a request for more information.
        late: Whether it is still open past its due date (as of when it was read).
    """

    enquiry_id: str
    client_id: str
    item_id: str
    kind: EnquiryKind
    category: Category | None
    question: str = attrs.field(repr=False)
    filed_by: str
    organisation_id: str | None
    filed_at: dt.datetime
    due: dt.date
    state: EnquiryState
    attested: frozenset[str]
    meets: tuple[str, ...]
    travel_date: dt.date | None
    evidence: tuple[Evidence, ...]
    answer: Answer | None
    outcome: UrgentDecision | None
    more_info: BilingualText | None
    response: str | None = attrs.field(repr=False)
    late: bool

    @property
    def criteria(self) -> Criteria | None:
        """An urgent request's published criteria."""
        return None if self.category is None else CRITERIA[self.category]

    def assessment(self) -> tuple[tuple[PublishedCriterion, bool], ...]:
        """Each of the category's criteria and whether the request meets it."""
        if self.category is None:
            return ()
        return tuple((c, c.criterion_id in self.meets) for c in CRITERIA[self.category].criteria)


@attrs.frozen(kw_only=True)
class Filed:
    """
    One item's result when an office files for several clients at once.

    Attributes:
        client_id: The client named.
        item_id: The item named.
        enquiry: The enquiry filed, or ``None`` if refused.
        error: The refusal's code (``enquiries.refused``), if refused.
    """

    client_id: str
    item_id: str
    enquiry: Enquiry | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether this item's enquiry was filed."""
        return self.enquiry is not None
