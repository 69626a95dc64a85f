"""
The simplified renewal's eligibility is exactly the published conditions:
for any answers (some possibly missing) and any day, ``eligible`` agrees
with the conditions written out here independently, names every condition
not met, and waits (``None``) only while an answer it needs is missing.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ircc_account.builtin.passport import RULES, eligible

_MISSING = object()


def _age_on(born: dt.date, on: dt.date) -> int:
    """Whole years from *born* to *on* (a birthday counts on the day)."""
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years


def _fifteen_years_before(today: dt.date) -> dt.date:
    """The same calendar day 15 years back (28 February for 29 February)."""
    year = today.year - 15
    return dt.date(year, today.month, min(today.day, calendar.monthrange(year, today.month)[1]))


def _published(answers: dict[str, Any], today: dt.date) -> dict[str, bool | None]:
    """Each published condition: ``True`` when it is not met, ``None`` when unknown."""
    born = answers.get("date_of_birth")
    issued = answers.get("previous_issued")
    validity = answers.get("previous_validity")
    lost = answers.get("lost_stolen_damaged")
    have = answers.get("in_possession")
    changed = answers.get("name_changed")
    proof = answers.get("name_change_proof")
    unproven: bool | None
    if changed is False or proof is True:
        unproven = False
    elif changed is None or proof is None:
        unproven = None
    else:
        unproven = True
    return {
        # Issued when 16 or older.
        "issued_before_16": None if born is None or issued is None else _age_on(born, issued) < 16,
        # Issued in the last 15 years.
        "issued_over_15_years_ago": None
        if issued is None
        else not (_fifteen_years_before(today) <= issued <= today),
        # Valid for 5 or 10 years.
        "not_five_or_ten_years": None if validity is None else validity == "other",
        # Not reported lost or stolen, not damaged.
        "lost_stolen_damaged": None if lost is None else lost,
        # In the applicant's possession.
        "not_in_possession": None if have is None else not have,
        # Name unchanged, or changed with proof.
        "name_change_unproven": unproven,
    }


_days = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2060, 12, 31))


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(_MISSING), strategy)


@settings(max_examples=2000, deadline=None)
@given(
    today=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2060, 12, 31)),
    born=_maybe(_days),
    issued=_maybe(_days),
    validity=_maybe(st.sampled_from(["five_years", "ten_years", "other"])),
    lost=_maybe(st.booleans()),
    have=_maybe(st.booleans()),
    changed=_maybe(st.booleans()),
    proof=_maybe(st.booleans()),
)
def test_eligibility_is_exactly_the_published_conditions(
    today: dt.date,
    born: Any,
    issued: Any,
    validity: Any,
    lost: Any,
    have: Any,
    changed: Any,
    proof: Any,
) -> None:
    """``eligible`` refuses exactly when a published condition is not met, naming each one."""
    given_answers = {
        "date_of_birth": born,
        "previous_issued": issued,
        "previous_validity": validity,
        "lost_stolen_damaged": lost,
        "in_possession": have,
        "name_changed": changed,
        "name_change_proof": proof,
    }
    answers = {k: v for k, v in given_answers.items() if v is not _MISSING}
    conditions = _published(answers, today)
    failed = {name for name, value in conditions.items() if value is True}

    verdict, reasons = eligible(answers, today)

    assert {r.id for r in reasons} == failed
    if failed:
        assert verdict is False
    elif None in conditions.values():
        assert verdict is None
    else:
        assert verdict is True
    for reason in reasons:
        assert reason.blocking and reason.instead is not None and reason.source is not None


def test_every_published_condition_is_a_rule() -> None:
    """The rules are the six published conditions, no more, no fewer."""
    assert {r.id for r in RULES} == set(_published({}, dt.date(2026, 1, 1)))


def test_the_boundaries_fall_on_the_published_side() -> None:
    """Issued on the 16th birthday, or exactly 15 years ago today, is still eligible."""
    today = dt.date(2026, 3, 2)
    base = {
        "date_of_birth": dt.date(1995, 3, 2),
        "previous_issued": dt.date(2011, 3, 2),
        "previous_validity": "ten_years",
        "lost_stolen_damaged": False,
        "in_possession": True,
        "name_changed": False,
    }
    assert eligible(base, today) == (True, ())
    day_before = {**base, "previous_issued": dt.date(2011, 3, 1)}
    verdict, reasons = eligible(day_before, today)
    assert verdict is False
    assert {r.id for r in reasons} == {"issued_before_16", "issued_over_15_years_ago"}
