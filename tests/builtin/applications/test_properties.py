"""
Drafts round-trip: any valid partial answers saved by the client read back
unchanged on resume, on SQLite and PostgreSQL, and the answers as the form
shows them save again to the same draft answers.

The answers are drawn per answer type, for any of the form's questions (not
only those of one complete application): any text, real dates, amounts
written with or without thousands separators, each choice, countries in
either case, yes and no in English or French, e-mail addresses, phone
numbers, and groups of entries whose fields are drawn the same way. A draw
the form's own rules refuse (a date that must be in the past, say) is
dropped answer by answer until the rest is valid: the property is about
keeping what was accepted, not about the rules.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ircc_account.builtin.applications import (
    COUNTRIES,
    AnswerType,
    ApplicationDesk,
    ApplicationService,
    Question,
)
from ircc_account.builtin.applications._answers import apply_answers
from ircc_account.errors import AnswersInvalid

from ..conftest import START, Portal, passport_answers, trv_answers

_LINE = st.characters(categories=("L", "M", "N", "P", "S", "Zs"))


def _text(*, multiline: bool = False, limit: int = 60) -> st.SearchStrategy[str]:
    alphabet = st.one_of(_LINE, st.just("\n")) if multiline else _LINE
    return (
        st.text(alphabet=alphabet, min_size=1, max_size=limit)
        .map(lambda s: unicodedata.normalize("NFC", s).strip())
        .filter(bool)
    )


def _money() -> st.SearchStrategy[str]:
    def written(amount: int, style: str) -> str:
        plain = str(amount)
        if style == "plain":
            return plain
        return f"{amount:,}".replace(",", " " if style == "spaces" else ",")

    return st.builds(
        written, st.integers(0, 999_999_999_999), st.sampled_from(["plain", "commas", "spaces"])
    )


def _email() -> st.SearchStrategy[str]:
    local = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._+-", min_size=1, max_size=20)
    label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
    top = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=6)
    return st.builds(lambda a, b, c: f"{a}@{b}.{c}", local, label, top)


def _phone() -> st.SearchStrategy[str]:
    groups = st.lists(
        st.text(alphabet="0123456789", min_size=2, max_size=4), min_size=3, max_size=5
    )
    return st.builds(
        lambda plus, parts, sep: ("+" if plus else "") + sep.join(parts),
        st.booleans(),
        groups,
        st.sampled_from([" ", "-", ".", ""]),
    ).filter(lambda p: sum(c.isdigit() for c in p) >= 7 and len(p) <= 24)


def _raw(question: Question) -> st.SearchStrategy[Any]:
    """What a form could send for *question*, by its answer type."""
    kind = question.type
    if kind is AnswerType.TEXT:
        return _text(limit=min(question.text_limit, 80))
    if kind is AnswerType.LONG_TEXT:
        return _text(multiline=True, limit=min(question.text_limit, 200))
    if kind is AnswerType.DATE:
        return st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)).map(dt.date.isoformat)
    if kind is AnswerType.YES_NO:
        return st.sampled_from(["yes", "no", "Oui", "NON", "true", "false"])
    if kind is AnswerType.CHOICE:
        return st.sampled_from([o.value for o in question.options])
    if kind is AnswerType.INTEGER:
        return st.integers(-999_999_999, 999_999_999).map(str)
    if kind is AnswerType.MONEY:
        return _money()
    if kind is AnswerType.COUNTRY:
        return st.sampled_from(sorted(COUNTRIES)).flatmap(lambda c: st.sampled_from([c, c.lower()]))
    if kind is AnswerType.EMAIL:
        return _email()
    if kind is AnswerType.PHONE:
        return _phone()
    assert kind is AnswerType.GROUP
    entry = st.fixed_dictionaries({}, optional={f.id: _raw(f) for f in question.fields}).filter(
        bool
    )
    return st.lists(entry, min_size=1, max_size=min(question.max_entries, 3))


def _valid(service: ApplicationService, raw: dict[str, Any]) -> dict[str, Any]:
    """*raw* without the answers the form's rules refuse (a group loses only the refused fields)."""
    raw = {k: [dict(e) for e in v] if isinstance(v, list) else v for k, v in raw.items()}
    while raw:
        try:
            apply_answers(service.form, {}, raw, START.date())
        except AnswersInvalid as refused:
            problems = [p for p in refused.problems if p.question in raw]
            if not problems:
                raise
            for problem in problems:
                value = raw.get(problem.question)
                if isinstance(value, list) and problem.entry is not None and problem.field:
                    value[problem.entry].pop(problem.field, None)
                else:
                    raw.pop(problem.question, None)
            for key, value in list(raw.items()):
                if isinstance(value, list):
                    raw[key] = [e for e in value if e]
                    if not raw[key]:
                        del raw[key]
        else:
            break
    return raw


def _partial(
    complete: dict[str, Any], service: ApplicationService
) -> st.SearchStrategy[dict[str, Any]]:
    """A subset of a complete application, with answers to any questions drawn by type over it."""
    keys = sorted(complete)
    # By answer type, so the rarer ones (a group, an amount) are drawn as often as text.
    by_type: dict[AnswerType, list[Question]] = {}
    for question in service.form.questions():
        by_type.setdefault(question.type, []).append(question)

    @st.composite
    def draw(draw_: st.DrawFn) -> dict[str, Any]:
        chosen = draw_(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
        answers = {k: complete[k] for k in chosen}
        for questions in by_type.values():
            drawn = draw_(
                st.lists(st.sampled_from(questions), unique_by=lambda q: q.id, max_size=2)
            )
            for question in drawn:
                answers[question.id] = draw_(_raw(question))
        return _valid(service, answers)

    return draw()


def _round_trip(portal: Portal, desk: ApplicationDesk, answers: dict[str, Any]) -> None:
    me = portal.client()
    view = desk.start(me, me.actor_id)
    saved = desk.save(me, me.actor_id, view.draft.draft_id, answers, version=view.draft.version)
    resumed = desk.open(me, me.actor_id, view.draft.draft_id)
    assert resumed.draft.answers == saved.draft.answers
    assert set(resumed.draft.answers) == set(answers)
    shown = {k: resumed.raw(k, desk.service) for k in answers}
    again = desk.save(me, me.actor_id, view.draft.draft_id, shown, version=resumed.draft.version)
    assert again.draft.answers == saved.draft.answers


_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_SETTINGS
@given(data=st.data())
def test_visitor_visa_drafts_round_trip(portal: Portal, data: st.DataObject) -> None:
    """Any valid partial visitor visa answers, of every answer type, save and resume unchanged."""
    answers = data.draw(_partial(trv_answers(), portal.trv))
    _round_trip(portal, portal.trv_desk, answers)


@_SETTINGS
@given(data=st.data())
def test_passport_renewal_drafts_round_trip(portal: Portal, data: st.DataObject) -> None:
    """Any valid partial passport renewal answers, of every answer type, save and resume unchanged."""
    answers = data.draw(_partial(passport_answers(), portal.passport))
    _round_trip(portal, portal.passport_desk, answers)


def test_the_draws_cover_every_answer_type_of_both_forms(portal: Portal) -> None:
    """Both forms together ask every answer type, so the draws above exercise each one's strategy."""
    kinds = set()
    for service in (portal.trv, portal.passport):
        for question in service.form.questions():
            kinds.add(question.type)
            kinds.update(f.type for f in question.fields)
    assert kinds == set(AnswerType)
