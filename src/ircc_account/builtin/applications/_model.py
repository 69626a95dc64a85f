"""
The declarative application model: a form is data a service team reads and
changes (steps, questions, answer types, conditions, validation rules,
documents, eligibility hints and fees), each with its messages in English and
French and, where it enforces a published rule, the source it comes from.

Nothing here runs a request: :mod:`._answers` parses and validates answers
against a :class:`Form`, and :mod:`._evaluate` derives what the answers
imply (visible questions, the checklist, hints, fees).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

import attrs

from ircc_account.services import BilingualText

__all__ = [
    "AgeBelow",
    "AllOf",
    "AnswerType",
    "Answered",
    "AnyOf",
    "Between",
    "Condition",
    "DateBefore",
    "DocumentRequirement",
    "Equals",
    "Facts",
    "FeeLine",
    "Form",
    "Hint",
    "LessThan",
    "MaxLength",
    "Not",
    "NotInFuture",
    "NotInPast",
    "OnOrAfter",
    "OneOf",
    "Option",
    "Pattern",
    "Question",
    "Rule",
    "Source",
    "SpanOver",
    "Step",
    "WithinYears",
]

_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _identifier(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ValueError(f"{attribute.name} must be a lower-case identifier: {value!r}")


@attrs.frozen
class Source:
    """
    Where a rule, a figure or a question comes from: a published page.

    Attributes:
        title: The page's title as published.
        section: The section of the page.
        url: The page's address.
        recheck: What must be checked against the page before relying on
            it (figures written from knowledge, not re-read at the source).
    """

    title: str
    section: str
    url: str
    recheck: str | None = None


class AnswerType(enum.StrEnum):
    """
    How an answer is written and kept.

    ``text`` (one line), ``long_text`` (several lines), ``date`` (ISO
    ``YYYY-MM-DD``, kept as :class:`datetime.date`), ``yes_no`` (kept as
    ``bool``), ``choice`` (one of the options' values), ``integer``,
    ``money`` (whole Canadian dollars), ``country`` (an ISO 3166-1 alpha-2
    code), ``email``, ``phone``, and ``group`` (a repeatable set of
    sub-questions, kept as a list of answers).
    """

    TEXT = "text"
    LONG_TEXT = "long_text"
    DATE = "date"
    YES_NO = "yes_no"
    CHOICE = "choice"
    INTEGER = "integer"
    MONEY = "money"
    COUNTRY = "country"
    EMAIL = "email"
    PHONE = "phone"
    GROUP = "group"


@attrs.frozen
class Option:
    """
    One choice of a ``choice`` question.

    Attributes:
        value: What is stored (an identifier).
        label: What is shown.
    """

    value: str = attrs.field(validator=_identifier)
    label: BilingualText


# --- conditions -------------------------------------------------------------------------


class Facts(Protocol):
    """What a condition reads: the answers (typed) and today's date."""

    @property
    def answers(self) -> Mapping[str, Any]: ...

    @property
    def today(self) -> dt.date: ...


class Condition(Protocol):
    """
    A test over the answers, in three values: ``True``, ``False``, or
    ``None`` when an answer it needs is missing. A question or document
    shows, a hint fires and a fee applies only when its condition is ``True``.
    """

    def evaluate(self, facts: Facts) -> bool | None:
        """The condition's value for *facts*."""
        ...

    def questions(self) -> Iterator[str]:
        """The questions it reads."""
        ...


def _date(value: object) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


def _years_between(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none.
        return day.replace(year=day.year - years, day=28)


@attrs.frozen
class Answered:
    """True when *question* has an answer."""

    question: str

    def evaluate(self, facts: Facts) -> bool | None:
        return self.question in facts.answers

    def questions(self) -> Iterator[str]:
        yield self.question


@attrs.frozen
class Equals:
    """True when *question*'s answer is *value* (``True``/``False`` for yes/no)."""

    question: str
    value: str | bool | int

    def evaluate(self, facts: Facts) -> bool | None:
        if self.question not in facts.answers:
            return None
        return bool(facts.answers[self.question] == self.value)

    def questions(self) -> Iterator[str]:
        yield self.question


def _frozen(values: Iterable[str | bool | int]) -> frozenset[str | bool | int]:
    return frozenset(values)


@attrs.frozen
class OneOf:
    """True when *question*'s answer is one of *values*."""

    question: str
    values: frozenset[str | bool | int] = attrs.field(converter=_frozen)

    def evaluate(self, facts: Facts) -> bool | None:
        if self.question not in facts.answers:
            return None
        return facts.answers[self.question] in self.values

    def questions(self) -> Iterator[str]:
        yield self.question


@attrs.frozen
class Not:
    """The opposite of *condition* (unknown stays unknown)."""

    condition: Condition

    def evaluate(self, facts: Facts) -> bool | None:
        value = self.condition.evaluate(facts)
        return None if value is None else not value

    def questions(self) -> Iterator[str]:
        yield from self.condition.questions()


@attrs.frozen(init=False)
class AllOf:
    """True when every condition is; False as soon as one is False."""

    conditions: tuple[Condition, ...]

    def __init__(self, *conditions: Condition) -> None:
        self.__attrs_init__(conditions)

    def evaluate(self, facts: Facts) -> bool | None:
        values = [c.evaluate(facts) for c in self.conditions]
        if False in values:
            return False
        return None if None in values else True

    def questions(self) -> Iterator[str]:
        for c in self.conditions:
            yield from c.questions()


@attrs.frozen(init=False)
class AnyOf:
    """True as soon as one condition is; False when every one is False."""

    conditions: tuple[Condition, ...]

    def __init__(self, *conditions: Condition) -> None:
        self.__attrs_init__(conditions)

    def evaluate(self, facts: Facts) -> bool | None:
        values = [c.evaluate(facts) for c in self.conditions]
        if True in values:
            return True
        return None if None in values else False

    def questions(self) -> Iterator[str]:
        for c in self.conditions:
            yield from c.questions()


@attrs.frozen
class AgeBelow:
    """
    True when the person born on *born* (a date question) is under *years*
    old on *on* (another date question), or today when *on* is ``None``.
    """

    born: str
    years: int
    on: str | None = None

    def evaluate(self, facts: Facts) -> bool | None:
        born = _date(facts.answers.get(self.born))
        on = facts.today if self.on is None else _date(facts.answers.get(self.on))
        if born is None or on is None:
            return None
        return _years_between(born, on) < self.years

    def questions(self) -> Iterator[str]:
        yield self.born
        if self.on is not None:
            yield self.on


@attrs.frozen
class WithinYears:
    """True when *question* (a date) is at most *years* years before today, and not after it."""

    question: str
    years: int

    def evaluate(self, facts: Facts) -> bool | None:
        day = _date(facts.answers.get(self.question))
        if day is None:
            return None
        return _years_before(facts.today, self.years) <= day <= facts.today

    def questions(self) -> Iterator[str]:
        yield self.question


@attrs.frozen
class DateBefore:
    """True when *question* (a date) is before *other* (a date)."""

    question: str
    other: str

    def evaluate(self, facts: Facts) -> bool | None:
        a, b = _date(facts.answers.get(self.question)), _date(facts.answers.get(self.other))
        if a is None or b is None:
            return None
        return a < b

    def questions(self) -> Iterator[str]:
        yield self.question
        yield self.other


@attrs.frozen
class SpanOver:
    """True when the span from *start* to *end* (dates) is longer than *months* months."""

    start: str
    end: str
    months: int

    def evaluate(self, facts: Facts) -> bool | None:
        a, b = _date(facts.answers.get(self.start)), _date(facts.answers.get(self.end))
        if a is None or b is None:
            return None
        month = a.month - 1 + self.months
        year, month = a.year + month // 12, month % 12 + 1
        if year > dt.MAXYEAR:
            # The limit falls past the last day a date can hold: no end is later.
            return False
        try:
            limit = a.replace(year=year, month=month)
        except ValueError:
            limit = (a.replace(day=1, year=year, month=month) + dt.timedelta(days=31)).replace(
                day=1
            ) - dt.timedelta(days=1)
        return b > limit

    def questions(self) -> Iterator[str]:
        yield self.start
        yield self.end


@attrs.frozen
class LessThan:
    """True when *question* (a number) is less than *value*."""

    question: str
    value: int

    def evaluate(self, facts: Facts) -> bool | None:
        answer = facts.answers.get(self.question)
        if not isinstance(answer, int) or isinstance(answer, bool):
            return None
        return answer < self.value

    def questions(self) -> Iterator[str]:
        yield self.question


# --- validation rules -------------------------------------------------------------------


class Rule(Protocol):
    """
    A check on one answer, with its bilingual message. ``code`` names the
    check in problems; a rule that reads another question lists it in
    ``depends_on``.
    """

    @property
    def code(self) -> str:
        """The check's name in problems."""
        ...

    @property
    def message(self) -> BilingualText:
        """What to do when it fails."""
        ...

    def check(self, value: Any, facts: Facts) -> bool:
        """Whether *value* (the typed answer) passes, given the other answers."""
        ...


@attrs.frozen
class MaxLength:
    """A text answer is at most *limit* characters long."""

    limit: int
    message: BilingualText = attrs.field()
    code: str = "too_long"

    @message.default
    def _message(self) -> BilingualText:
        return BilingualText(
            en=f"Use at most {self.limit} characters.",
            fr=f"Utilisez au plus {self.limit} caractères.",
        )

    def check(self, value: Any, facts: Facts) -> bool:
        return len(str(value)) <= self.limit


@attrs.frozen
class Pattern:
    """A text answer matches *regex* entirely (after upper-casing, when *upper*)."""

    regex: str
    message: BilingualText
    upper: bool = False
    code: str = "pattern"

    def check(self, value: Any, facts: Facts) -> bool:
        text = str(value).upper() if self.upper else str(value)
        return re.fullmatch(self.regex, text) is not None


@attrs.frozen
class NotInFuture:
    """A date answer is today or earlier."""

    message: BilingualText = attrs.field(
        factory=lambda: BilingualText(
            en="This date cannot be in the future.",
            fr="Cette date ne peut pas être dans le futur.",
        )
    )
    code: str = "not_in_future"

    def check(self, value: Any, facts: Facts) -> bool:
        return bool(value <= facts.today)


@attrs.frozen
class NotInPast:
    """A date answer is today or later."""

    message: BilingualText = attrs.field(
        factory=lambda: BilingualText(
            en="This date cannot be in the past.", fr="Cette date ne peut pas être dans le passé."
        )
    )
    code: str = "not_in_past"

    def check(self, value: Any, facts: Facts) -> bool:
        return bool(value >= facts.today)


@attrs.frozen
class Between:
    """A number is between *low* and *high*, inclusive."""

    low: int
    high: int
    message: BilingualText = attrs.field()
    code: str = "out_of_range"

    @message.default
    def _message(self) -> BilingualText:
        return BilingualText(
            en=f"Enter a number from {self.low} to {self.high}.",
            fr=f"Entrez un nombre de {self.low} à {self.high}.",
        )

    def check(self, value: Any, facts: Facts) -> bool:
        return bool(self.low <= value <= self.high)


@attrs.frozen
class OnOrAfter:
    """A date answer is on or after the answer to *question* (when that is answered)."""

    question: str
    message: BilingualText
    code: str = "before_other"

    @property
    def depends_on(self) -> str:
        return self.question

    def check(self, value: Any, facts: Facts) -> bool:
        other = _date(facts.answers.get(self.question))
        return other is None or bool(value >= other)


# --- questions, steps, documents, hints, fees --------------------------------------------


@attrs.frozen
class Question:
    """
    One question of a form.

    Attributes:
        id: Its identifier (lower-case, unique in the form; in a group,
            unique in the group).
        label: The question.
        type: How it is answered.
        required: Whether the application is incomplete without it (when shown).
        help: Guidance shown with it.
        options: The choices, for ``choice``.
        when: Shown only when this condition is true (``None``: always).
        rules: Checks on the answer, each with its message.
        fields: The sub-questions, for ``group``.
        max_entries: The most entries, for ``group``.
        max_length: The longest text answer (one line: 200; several: 2000).
        source: Where the question comes from.
    """

    id: str = attrs.field(validator=_identifier)
    label: BilingualText
    type: AnswerType = attrs.field(converter=AnswerType)
    required: bool = True
    help: BilingualText | None = None
    options: tuple[Option, ...] = ()
    when: Condition | None = None
    rules: tuple[Rule, ...] = ()
    fields: tuple[Question, ...] = ()
    max_entries: int = 10
    max_length: int | None = None
    source: Source | None = None

    def __attrs_post_init__(self) -> None:
        if self.type is AnswerType.CHOICE and not self.options:
            raise ValueError(f"choice question {self.id} has no options")
        if (self.type is AnswerType.GROUP) != bool(self.fields):
            raise ValueError(f"only a group question has fields ({self.id})")
        if len({f.id for f in self.fields}) != len(self.fields):
            raise ValueError(f"group {self.id} repeats a field id")
        if any(f.type is AnswerType.GROUP for f in self.fields):
            raise ValueError(f"group {self.id} holds a group")

    @property
    def text_limit(self) -> int:
        """The longest text answer accepted."""
        if self.max_length is not None:
            return self.max_length
        return 2000 if self.type is AnswerType.LONG_TEXT else 200

    def option(self, value: str) -> Option | None:
        """The option whose value is *value*, if any."""
        return next((o for o in self.options if o.value == value), None)


@attrs.frozen
class Step:
    """
    A page of the form.

    Attributes:
        id: Its identifier.
        title: Its heading.
        questions: Its questions, in order.
        intro: A line of guidance under the heading.
    """

    id: str = attrs.field(validator=_identifier)
    title: BilingualText
    questions: tuple[Question, ...]
    intro: BilingualText | None = None


@attrs.frozen
class DocumentRequirement:
    """
    One entry of the document checklist.

    Attributes:
        id: Its identifier.
        label: What to upload.
        help: What the document must show.
        required: Whether the application is incomplete without it (when asked for).
        when: Asked for only when this condition is true (``None``: always).
        types: The accepted content types (sniffed from the content):
            ``application/pdf``, ``image/jpeg``, ``image/png``.
        max_files: The most files for this entry.
        photo: For a photo, the requirements every upload is checked against.
        source: Where the requirement comes from.
    """

    id: str = attrs.field(validator=_identifier)
    label: BilingualText
    help: BilingualText | None = None
    required: bool = True
    when: Condition | None = None
    types: frozenset[str] = frozenset({"application/pdf", "image/jpeg", "image/png"})
    max_files: int = 5
    photo: Any = None
    source: Source | None = None


@attrs.frozen
class Hint:
    """
    What an answer means for the application's chances: shown when *when*
    is true. A *blocking* hint makes the applicant ineligible for this
    service (the application cannot be signed or submitted); the others
    warn that the application is likely to fail, with the reason.

    Attributes:
        id: Its identifier (the ``reason`` of :class:`ApplicationIneligible`).
        when: When it applies.
        message: The reason, in both languages.
        instead: What to do instead, if anything.
        blocking: Whether it stops the application.
        source: The published rule it reflects.
    """

    id: str = attrs.field(validator=_identifier)
    when: Condition
    message: BilingualText
    instead: BilingualText | None = None
    blocking: bool = False
    source: Source | None = None


@attrs.frozen
class FeeLine:
    """
    One line of the fees, in cents of Canadian dollars.

    Attributes:
        id: Its identifier.
        label: What it is for.
        amount: The fee for one person (or the flat fee), in cents.
        per: What it is counted by: ``application`` (once), or the name of
            one of the form's counters (``applicants``, ``biometrics``).
        cap: The most this line may come to (a family's cap), in cents.
        when: Charged only when this condition is true.
        source: The published fee list.
    """

    id: str = attrs.field(validator=_identifier)
    label: BilingualText
    amount: int
    per: str = "application"
    cap: int | None = None
    when: Condition | None = None
    source: Source | None = None


@attrs.frozen
class Form:
    """
    A whole application, as data.

    Attributes:
        service_id: The service it belongs to.
        version: The form's version (kept with each draft and receipt).
        title: The application's name.
        steps: Its pages, in order.
        documents: The document checklist.
        hints: Eligibility hints and blocking conditions.
        fees: The fee lines.
        retention_days: Days a draft is kept after its last save, then erased.
    """

    service_id: str
    version: str
    title: BilingualText
    steps: tuple[Step, ...]
    documents: tuple[DocumentRequirement, ...] = ()
    hints: tuple[Hint, ...] = ()
    fees: tuple[FeeLine, ...] = ()
    retention_days: int = 60

    def __attrs_post_init__(self) -> None:
        ids = [q.id for q in self.questions()]
        if len(ids) != len(set(ids)):
            raise ValueError("a question id is used twice")
        known = set(ids)
        for name, things in (("document", self.documents), ("hint", self.hints)):
            if len({t.id for t in things}) != len(things):
                raise ValueError(f"a {name} id is used twice")
        conditions: list[Condition] = [q.when for q in self.questions() if q.when is not None]
        conditions += [d.when for d in self.documents if d.when is not None]
        conditions += [h.when for h in self.hints]
        conditions += [f.when for f in self.fees if f.when is not None]
        for condition in conditions:
            unknown = set(condition.questions()) - known
            if unknown:
                raise ValueError(f"a condition reads unknown questions: {sorted(unknown)}")
        for q in self.questions():
            for rule, reads in _rules_with_scope(q, known):
                other = getattr(rule, "depends_on", None)
                if other is not None and other not in reads:
                    raise ValueError(f"a rule of {q.id} reads an unknown question")
            if any(f.when is not None for f in q.fields):
                raise ValueError(f"a field of group {q.id} has a condition (put it on the group)")

    def questions(self) -> Iterator[Question]:
        """Every top-level question, step by step."""
        for step in self.steps:
            yield from step.questions

    def question(self, question_id: str) -> Question | None:
        """The question *question_id*, if the form has it."""
        return next((q for q in self.questions() if q.id == question_id), None)

    def document(self, document_id: str) -> DocumentRequirement | None:
        """The checklist entry *document_id*, if the form has it."""
        return next((d for d in self.documents if d.id == document_id), None)


def _rules_with_scope(question: Question, known: set[str]) -> Iterator[tuple[Rule, set[str]]]:
    """Each rule of *question* and its fields, with the ids it may read."""
    for rule in question.rules:
        yield rule, known
    siblings = known | {f.id for f in question.fields}
    for field in question.fields:
        for rule in field.rules:
            yield rule, siblings
