"""
Drafts round-trip: any valid partial answers (a subset of a complete
application, its free-text answers drawn from any printable text) saved by
the client read back unchanged on resume, on SQLite and PostgreSQL; and the
answers as the form shows them save again to the same draft answers.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ircc_account.builtin.applications import AnswerType, ApplicationDesk, ApplicationService

from ..conftest import Portal, passport_answers, trv_answers

_text = (
    st.text(
        alphabet=st.characters(categories=("L", "M", "N", "P", "S", "Zs")),
        min_size=1,
        max_size=60,
    )
    .map(lambda s: unicodedata.normalize("NFC", s).strip())
    .filter(bool)
)


def _partial(
    complete: dict[str, Any], service: ApplicationService
) -> st.SearchStrategy[dict[str, Any]]:
    """A subset of *complete*, with each free-text answer without rules replaced by any text."""
    free = [
        q.id
        for q in (service.form.question(k) for k in complete)
        if q is not None and q.type is AnswerType.TEXT and not q.rules
    ]
    keys = sorted(complete)

    @st.composite
    def draw(draw_: st.DrawFn) -> dict[str, Any]:
        chosen = draw_(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
        answers = {k: complete[k] for k in chosen}
        for k in free:
            if k in answers and draw_(st.booleans()):
                answers[k] = draw_(_text)
        return answers

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
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_SETTINGS
@given(data=st.data())
def test_visitor_visa_drafts_round_trip(portal: Portal, data: st.DataObject) -> None:
    """Any valid partial visitor visa answers save and resume unchanged."""
    answers = data.draw(_partial(trv_answers(), portal.trv))
    _round_trip(portal, portal.trv_desk, answers)


@_SETTINGS
@given(data=st.data())
def test_passport_renewal_drafts_round_trip(portal: Portal, data: st.DataObject) -> None:
    """Any valid partial passport renewal answers save and resume unchanged."""
    answers = data.draw(_partial(passport_answers(), portal.passport))
    _round_trip(portal, portal.passport_desk, answers)
