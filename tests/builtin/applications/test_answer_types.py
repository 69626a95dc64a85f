"""
How a form's text becomes a typed answer, for the types whose parsing has
a trap.
"""

from __future__ import annotations

import pytest

from ircc_account.builtin.applications import AnswerType, Question
from ircc_account.builtin.applications._answers import parse_answer
from ircc_account.errors import AnswersInvalid
from ircc_account.services import BilingualText

COUNTRY = Question(id="country", label=BilingualText("Country", "Pays"), type=AnswerType.COUNTRY)


@pytest.mark.parametrize(("sent", "kept"), [("ss", "SS"), ("CA", "CA"), ("fr", "FR")])
def test_a_country_code_is_kept_in_capitals(sent: str, kept: str) -> None:
    """A two-letter country code is accepted in either case and kept in capitals."""
    assert parse_answer(COUNTRY, sent) == kept


@pytest.mark.parametrize("sent", ["ß", "ﬀ", "ǉ", "ZZ", "C", "CAN"])
def test_only_a_known_ascii_code_is_a_country(sent: str) -> None:
    """Letters that capitalise into a known code ("ß" into "SS", South Sudan) are not one, nor unknown codes."""
    with pytest.raises(AnswersInvalid):
        parse_answer(COUNTRY, sent)
