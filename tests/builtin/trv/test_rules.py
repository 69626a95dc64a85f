"""
The visitor visa's rules as published: biometrics from 14 to 79 years old
unless given in the last 10 years, the application fee per person with the
family cap, the biometrics fee per person with the family cap, for any
family and any day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ircc_account.builtin.applications import AnswerFacts
from ircc_account.builtin.applications._evaluate import quote
from ircc_account.builtin.trv import BIOMETRICS, FORM, TrvService

_SERVICE = TrvService()
_days = st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2030, 12, 31))


def _must_give(born: dt.date, given_recently: bool, today: dt.date) -> bool:
    """14 to 79 years old inclusive, and not given in the last 10 years."""
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return not given_recently and 14 <= age <= 79


_member = st.fixed_dictionaries({"date_of_birth": _days, "biometrics_given": st.booleans()})


@settings(max_examples=1000, deadline=None)
@given(
    today=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2030, 12, 31)),
    born=_days,
    previous=st.booleans(),
    family=st.lists(_member, max_size=8),
)
def test_fees_and_biometrics_follow_the_published_rules(
    today: dt.date, born: dt.date, previous: bool, family: list[dict[str, Any]]
) -> None:
    """CAD 100 a person capped at 500 a family; CAD 85 a person who must give biometrics, capped at 170."""
    answers: dict[str, Any] = {"date_of_birth": born, "previous_biometrics": previous}
    if family:
        answers["family_applying"] = family
    facts = AnswerFacts(answers=answers, today=today)
    people = [(born, previous)] + [(m["date_of_birth"], m["biometrics_given"]) for m in family]
    must = [_must_give(b, g, today) for b, g in people]

    assert BIOMETRICS.people(facts) == must
    fees = quote(FORM, facts, _SERVICE.counters)
    lines = {line.id: line.amount for line in fees.lines}
    assert lines["visa"] == min(100_00 * len(people), 500_00)
    assert lines.get("biometrics", 0) == min(85_00 * sum(must), 170_00)
    assert fees.total == sum(lines.values())
