"""
The passport renewal service and its eligibility check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ircc_account import Randomness
from ircc_account.builtin.applications import AnswerFacts, ApplicationService, Hint
from ircc_account.services import BilingualText

from ._form import FORM, RULES

__all__ = ["PassportRenewalService", "eligible"]


def eligible(answers: Mapping[str, Any], today: dt.date) -> tuple[bool | None, tuple[Hint, ...]]:
    """
    Whether the simplified renewal is open to someone with these answers
    (typed, as a draft holds them) on *today*: ``True``, ``False`` with the
    conditions not met (each with its reason and what to do instead), or
    ``None`` while an answer it needs is missing.
    """
    facts = AnswerFacts(answers=answers, today=today)
    values = [(rule, rule.when.evaluate(facts)) for rule in RULES]
    failed = tuple(rule for rule, value in values if value is True)
    if failed:
        return False, failed
    if any(value is None for _, value in values):
        return None, ()
    return True, ()


class PassportRenewalService(ApplicationService):
    """
    Adult passport renewal, as a service plugin: service id
    ``passport-renewal``, application numbers ``P`` and nine digits.

    Args:
        randomness: Where ids and numbers come from.
    """

    def __init__(self, *, randomness: Randomness | None = None) -> None:
        super().__init__(
            FORM,
            title=BilingualText(en="Passport renewal", fr="Renouvellement de passeport"),
            description=BilingualText(
                en="Renew your adult Canadian passport online, if your most recent one qualifies.",
                fr="Renouvelez en ligne votre passeport canadien d'adulte, si votre passeport "
                "le plus récent y est admissible.",
            ),
            number_prefix="P",
            randomness=randomness,
        )
