"""
The visitor visa service: the form, the biometrics rule and the fee counters.
"""

from __future__ import annotations

import datetime as dt

import attrs

from ircc_account import Randomness
from ircc_account.builtin.applications import AnswerFacts, ApplicationService, Source
from ircc_account.services import BilingualText

from . import _sources
from ._form import FORM

__all__ = ["BIOMETRICS", "BiometricsRule", "TrvService"]


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@attrs.frozen(kw_only=True)
class BiometricsRule:
    """
    Who must give biometrics with a visitor visa application: everyone from
    *min_age* to *max_age* years old (inclusive), unless they gave biometrics
    for a visitor, study or work application within *valid_years*.

    Attributes:
        min_age: The youngest who must (14).
        max_age: The oldest who must (79).
        valid_years: How long given biometrics count (10).
        source: The published rule.
    """

    min_age: int = 14
    max_age: int = 79
    valid_years: int = 10
    source: Source = _sources.BIOMETRICS

    def required(self, born: dt.date | None, given_recently: bool | None, today: dt.date) -> bool:
        """Whether a person born on *born* must give biometrics (unknown age: yes, to be safe)."""
        if given_recently is True:
            return False
        if born is None:
            return True
        return self.min_age <= _age(born, today) <= self.max_age

    def people(self, facts: AnswerFacts) -> list[bool]:
        """For the applicant, then each family member applying with them: whether they must."""
        answers = facts.answers
        needed = [
            self.required(
                answers.get("date_of_birth"), answers.get("previous_biometrics"), facts.today
            )
        ]
        for member in answers.get("family_applying", ()):
            needed.append(
                self.required(
                    member.get("date_of_birth"), member.get("biometrics_given"), facts.today
                )
            )
        return needed


#: The biometrics rule in force.
#:
#: :meta hide-value:
BIOMETRICS = BiometricsRule()


class TrvService(ApplicationService):
    """
    The visitor visa (temporary resident visa) application, as a service
    plugin: service id ``trv``, application numbers ``V`` and nine digits,
    the passport number kept (encrypted) on the submitted item, which the
    status tracker follows as a ``visitor-visa`` application.

    Args:
        biometrics: The biometrics rule.
        randomness: Where ids and numbers come from.
    """

    def __init__(
        self, *, biometrics: BiometricsRule = BIOMETRICS, randomness: Randomness | None = None
    ) -> None:
        self.biometrics = biometrics
        super().__init__(
            FORM,
            title=BilingualText(en="Visitor visa", fr="Visa de visiteur"),
            description=BilingualText(
                en="Apply for a visitor visa (temporary resident visa) to visit Canada.",
                fr="Demandez un visa de visiteur (visa de résident temporaire) pour visiter "
                "le Canada.",
            ),
            counters={
                "applicants": lambda facts: 1 + len(facts.answers.get("family_applying", ())),
                "biometrics": lambda facts: sum(self.biometrics.people(facts)),
            },
            number_prefix="V",
            document_number="passport_number",
            program="visitor-visa",
            randomness=randomness,
        )
