"""
Answers: what a portal's form sends (strings) parsed into typed values by
each question's type, checked against its rules, kept as JSON, and written
back as strings for the form. Every refusal is a :class:`Problem` with the
rule's bilingual message; a save with any problem saves nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from ircc_account.errors import AnswersInvalid, UnknownQuestion
from ircc_account.services import BilingualText

from ._model import AnswerType, Form, Question

__all__ = [
    "COUNTRIES",
    "AnswerFacts",
    "Problem",
    "apply_answers",
    "decode_answers",
    "encode_answers",
    "format_answer",
    "missing_answers",
    "parse_answer",
    "rule_problems",
    "visible",
]

#: ISO 3166-1 alpha-2 codes, the values of a ``country`` answer.
#:
#: :meta hide-value:
COUNTRIES = frozenset(
    """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split()  # noqa: SIM905 (a table reads better than 249 strings)
)

_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}")
_PHONE = re.compile(r"\+?[0-9 ().-]{7,24}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INTEGER = re.compile(r"-?[0-9]{1,9}")
_MONEY = re.compile(r"[0-9]{1,3}(?:[ ,]?[0-9]{3}){0,3}")

_MESSAGES = {
    "required": BilingualText(en="Answer this question.", fr="Répondez à cette question."),
    "format": BilingualText(
        en="This answer is not in the expected form.",
        fr="Cette réponse n'est pas dans la forme attendue.",
    ),
    AnswerType.DATE: BilingualText(
        en="Enter a real date as YYYY-MM-DD.", fr="Entrez une date réelle au format AAAA-MM-JJ."
    ),
    AnswerType.YES_NO: BilingualText(en="Answer yes or no.", fr="Répondez oui ou non."),
    AnswerType.CHOICE: BilingualText(
        en="Choose one of the options.", fr="Choisissez l'une des options."
    ),
    AnswerType.INTEGER: BilingualText(en="Enter a whole number.", fr="Entrez un nombre entier."),
    AnswerType.MONEY: BilingualText(
        en="Enter an amount in whole Canadian dollars, such as 2500.",
        fr="Entrez un montant en dollars canadiens entiers, par exemple 2500.",
    ),
    AnswerType.COUNTRY: BilingualText(
        en="Choose a country from the list.", fr="Choisissez un pays dans la liste."
    ),
    AnswerType.EMAIL: BilingualText(
        en="Enter an email address such as name@example.com.",
        fr="Entrez une adresse courriel comme nom@exemple.ca.",
    ),
    AnswerType.PHONE: BilingualText(
        en="Enter a phone number using digits, spaces, +, - and parentheses.",
        fr="Entrez un numéro de téléphone avec des chiffres, des espaces, +, - et des parenthèses.",
    ),
    "control": BilingualText(
        en="Remove special characters such as tabs or symbols that are not printed.",
        fr="Retirez les caractères spéciaux comme les tabulations ou les symboles non imprimés.",
    ),
    "too_long": BilingualText(en="This answer is too long.", fr="Cette réponse est trop longue."),
    "too_many": BilingualText(en="There are too many entries.", fr="Il y a trop d'entrées."),
}


@attrs.frozen
class Problem:
    """
    One answer that needs correcting.

    Attributes:
        question: The question's id.
        code: The check that failed (``required``, ``format``, ``too_long``,
            or a rule's code such as ``not_in_future``).
        message: What to do, in both languages (never the answer itself).
        entry: For a group, the entry's position (from 0).
        field: For a group, the sub-question's id.
    """

    question: str
    code: str
    message: BilingualText
    entry: int | None = None
    field: str | None = None


@attrs.frozen
class AnswerFacts:
    """
    What conditions and rules read: the typed answers and today's date.

    Attributes:
        answers: The answers by question id.
        today: The date rules about "the past" and ages are judged on.
    """

    answers: Mapping[str, Any]
    today: dt.date


class _Invalid(Exception):
    def __init__(self, code: str, message: BilingualText) -> None:
        self.code = code
        self.text = message


def _bad(kind: object) -> _Invalid:
    message = _MESSAGES.get(kind, _MESSAGES["format"])  # type: ignore[call-overload]
    return _Invalid("format" if isinstance(kind, AnswerType) else str(kind), message)


def _clean(value: str, question: Question) -> str:
    multiline = question.type is AnswerType.LONG_TEXT
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    for char in value:
        if char == "\n" and multiline:
            continue
        if unicodedata.category(char)[0] == "C":
            raise _bad("control")
    if len(value) > question.text_limit:
        raise _bad("too_long")
    return value


def parse_answer(question: Question, raw: object) -> Any:
    """
    The typed answer to *question* from what a form sent (a string; for a
    group, a list of mappings of strings), or ``None`` for an empty answer.

    Raises:
        AnswersInvalid: the answer is not in the question's form.
    """
    try:
        return _parse(question, raw)
    except _Invalid as e:
        problem = Problem(question=question.id, code=e.code, message=e.text)
        raise AnswersInvalid(problems=[problem], count=1, field=question.id) from None


def _parse(question: Question, raw: object) -> Any:
    if question.type is AnswerType.GROUP:
        return _parse_group(question, raw)
    if not isinstance(raw, str):
        raise _bad("format")
    text = _clean(raw, question)
    if not text:
        return None
    kind = question.type
    if kind in (AnswerType.TEXT, AnswerType.LONG_TEXT):
        return text
    if kind is AnswerType.DATE:
        if not _DATE.fullmatch(text):
            raise _bad(kind)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise _bad(kind) from None
    if kind is AnswerType.YES_NO:
        if text.lower() in ("yes", "oui", "true"):
            return True
        if text.lower() in ("no", "non", "false"):
            return False
        raise _bad(kind)
    if kind is AnswerType.CHOICE:
        if question.option(text) is None:
            raise _bad(kind)
        return text
    if kind is AnswerType.INTEGER:
        if not _INTEGER.fullmatch(text):
            raise _bad(kind)
        return int(text)
    if kind is AnswerType.MONEY:
        if not _MONEY.fullmatch(text):
            raise _bad(kind)
        return int(re.sub(r"[ ,]", "", text))
    if kind is AnswerType.COUNTRY:
        # ASCII letters only: str.upper() maps "ß" to "SS" (South Sudan).
        code = text.upper() if text.isascii() else ""
        if code not in COUNTRIES:
            raise _bad(kind)
        return code
    if kind is AnswerType.EMAIL:
        if not _EMAIL.fullmatch(text):
            raise _bad(kind)
        return text
    if not _PHONE.fullmatch(text) or sum(c.isdigit() for c in text) < 7:
        raise _bad(AnswerType.PHONE)
    return text


def _parse_group(question: Question, raw: object) -> list[dict[str, Any]] | None:
    if not isinstance(raw, list | tuple):
        raise _bad("format")
    entries: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, Mapping) or not set(item) <= {f.id for f in question.fields}:
            raise _bad("format")
        entry = {}
        for field in question.fields:
            if field.id in item:
                value = _parse(field, item[field.id])
                if value is not None:
                    entry[field.id] = value
        if entry:
            entries.append(entry)
    if len(entries) > question.max_entries:
        raise _bad("too_many")
    return entries or None


def format_answer(question: Question, value: Any) -> Any:
    """
    *value* written as a form would send it (the inverse of :func:`parse_answer`).
    """
    if question.type is AnswerType.GROUP:
        return [
            {f.id: format_answer(f, entry[f.id]) for f in question.fields if f.id in entry}
            for entry in value
        ]
    if question.type is AnswerType.DATE:
        return str(value.isoformat())
    if question.type is AnswerType.YES_NO:
        return "yes" if value else "no"
    return str(value)


def _encode(question: Question, value: Any) -> Any:
    if question.type is AnswerType.GROUP:
        return [
            {f.id: _encode(f, entry[f.id]) for f in question.fields if f.id in entry}
            for entry in value
        ]
    if question.type is AnswerType.DATE:
        return value.isoformat()
    return value


def _decode(question: Question, data: Any) -> Any:
    if question.type is AnswerType.GROUP:
        fields = {f.id: f for f in question.fields}
        return [{k: _decode(fields[k], v) for k, v in entry.items()} for entry in data]
    if question.type is AnswerType.DATE:
        return dt.date.fromisoformat(data)
    return data


def encode_answers(form: Form, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The typed answers as JSON data (dates as ISO strings)."""
    out = {}
    for question in form.questions():
        if question.id in answers:
            out[question.id] = _encode(question, answers[question.id])
    return out


def decode_answers(form: Form, data: Mapping[str, Any]) -> dict[str, Any]:
    """The typed answers from JSON data kept by :func:`encode_answers`."""
    out = {}
    for question in form.questions():
        if question.id in data:
            out[question.id] = _decode(question, data[question.id])
    return out


def visible(form: Form, facts: AnswerFacts) -> Iterator[Question]:
    """The questions shown for these answers (a condition not yet known hides its question)."""
    for question in form.questions():
        if question.when is None or question.when.evaluate(facts) is True:
            yield question


def _rule_problems(
    question: Question, value: Any, facts: AnswerFacts, entry: int | None, field: str | None
) -> Iterator[Problem]:
    for rule in question.rules:
        if not rule.check(value, facts):
            yield Problem(
                question=question.id,
                code=rule.code,
                message=rule.message,
                entry=entry,
                field=field,
            )


def rule_problems(form: Form, facts: AnswerFacts) -> list[Problem]:
    """Every rule an answer given fails (answers to hidden questions included)."""
    problems: list[Problem] = []
    for question in form.questions():
        if question.id not in facts.answers:
            continue
        value = facts.answers[question.id]
        if question.type is not AnswerType.GROUP:
            problems += _rule_problems(question, value, facts, None, None)
            continue
        for n, entry in enumerate(value):
            inner = AnswerFacts(answers={**facts.answers, **entry}, today=facts.today)
            for field in question.fields:
                if field.id in entry:
                    for p in _rule_problems(field, entry[field.id], inner, n, field.id):
                        problems.append(attrs.evolve(p, question=question.id))
    return problems


def missing_answers(form: Form, facts: AnswerFacts) -> list[Problem]:
    """Every required question shown but not answered (and group entries' required fields)."""
    problems: list[Problem] = []
    for question in visible(form, facts):
        if question.id not in facts.answers:
            if question.required:
                problems.append(Problem(question.id, "required", _MESSAGES["required"]))
            continue
        if question.type is AnswerType.GROUP:
            for n, entry in enumerate(facts.answers[question.id]):
                for field in question.fields:
                    if field.required and field.id not in entry:
                        problems.append(
                            Problem(question.id, "required", _MESSAGES["required"], n, field.id)
                        )
    return problems


def apply_answers(
    form: Form, current: Mapping[str, Any], raw: Mapping[str, object], today: dt.date
) -> dict[str, Any]:
    """
    The answers after a save of *raw* (question id to what the form sent;
    an empty answer removes it) over *current*.

    Raises:
        UnknownQuestion: *raw* names a question the form does not have.
        AnswersInvalid: any answer is malformed or fails a rule (every problem
            is listed); nothing is changed.
    """
    if not isinstance(raw, Mapping):
        raise UnknownQuestion(field="answers")
    answers = dict(current)
    problems: list[Problem] = []
    for question_id, value in raw.items():
        question = form.question(question_id) if isinstance(question_id, str) else None
        if question is None:
            raise UnknownQuestion(field=_safe_id(question_id))
        try:
            parsed = _parse(question, value)
        except _Invalid as e:
            problems.append(Problem(question.id, e.code, e.text))
            continue
        if parsed is None:
            answers.pop(question.id, None)
        else:
            answers[question.id] = parsed
    facts = AnswerFacts(answers=answers, today=today)
    problems += [p for p in rule_problems(form, facts) if _touches(p, raw, form)]
    if problems:
        raise AnswersInvalid(problems=problems, count=len(problems), field=problems[0].question)
    return answers


def _touches(problem: Problem, raw: Mapping[str, object], form: Form) -> bool:
    """
    Whether a rule's problem concerns this save: the answer was sent now, or
    a rule reads an answer sent now. (An older answer that a rule has since
    come to refuse, as days pass, is for the review to show, not a reason to
    refuse an unrelated save.)
    """
    if problem.question in raw:
        return True
    question = form.question(problem.question)
    rules: Sequence[Any] = question.rules if question is not None else ()
    return any(getattr(r, "depends_on", None) in raw for r in rules)


def _safe_id(value: object) -> str:
    """A question id fit for an error's parameters (never echo arbitrary input)."""
    if isinstance(value, str) and re.fullmatch(r"[a-z][a-z0-9_]{0,63}", value):
        return value
    return "?"
