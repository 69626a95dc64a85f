"""
The visitor visa's eligibility hints: an answer that makes an application
likely to fail shows the hint with its reason and source, in both languages,
without blocking (an officer decides); a clean application shows none.
"""

from __future__ import annotations

import pytest

from ..conftest import Portal, trv_answers


@pytest.mark.parametrize(
    ("changes", "hint"),
    [
        ({}, None),
        ({"citizenship": "US"}, "citizen_of_usa"),
        ({"citizenship": "FR"}, "visa_exempt"),
        ({"passport_expires": "2026-06-15"}, "passport_expires_first"),
        ({"departure_date": "2026-12-30"}, "stay_over_six_months"),
        ({"funds": "0"}, "no_funds"),
        ({"refused": "yes", "background_details": "Refused in 2019."}, "previous_refusal"),
        ({"overstayed": "yes", "background_details": "Stayed 2 weeks late."}, "non_compliance"),
        ({"criminal": "yes", "background_details": "A fine in 2010."}, "criminality"),
        ({"tb_contact": "yes", "background_details": "A cousin, 2021."}, "medical_exam"),
    ],
)
def test_a_risky_answer_shows_its_hint_without_blocking(
    portal: Portal, changes: dict[str, str], hint: str | None
) -> None:
    """Exactly the hint the answer calls for appears, bilingual and sourced; the application stays eligible."""
    me = portal.client()
    desk = portal.trv_desk
    view = desk.start(me, me.actor_id)
    view = desk.save(
        me, me.actor_id, view.draft.draft_id, trv_answers(**changes), version=view.draft.version
    )
    assert [h.id for h in view.evaluation.hints] == ([] if hint is None else [hint])
    for shown in view.evaluation.hints:
        assert not shown.blocking
        assert shown.message.en and shown.message.fr and shown.message.en != shown.message.fr
        assert shown.source is not None and shown.source.url.startswith("https://")
    assert view.evaluation.eligible
    assert not view.evaluation.missing and not view.evaluation.problems
