# mypy: disable-error-code="misc"
# (the attrs mypy plugin only understands named converters; ours are
# built by v.converter, so those fields are typed by their annotations.)
"""
Decision notes' vocabulary: outcomes, criteria, the legal bases for
withholding, what an officer writes, and what a page shows.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from ircc_account._model import _validate as v
from ircc_account.errors import RequiredField
from ircc_account.services import BilingualText

__all__ = [
    "SERVICE_ID",
    "Criterion",
    "Exemption",
    "NoteReason",
    "Outcome",
    "ReasonView",
    "Withheld",
    "WithheldMarker",
]

#: The decision notes' service id (its entry-point name).
SERVICE_ID = "decision-notes"


class Outcome(enum.StrEnum):
    """
    The decision the notes explain.
    """

    REFUSED = "refused"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"

    @property
    def label(self) -> BilingualText:
        """The outcome, in English and French."""
        return _OUTCOMES[self]


_OUTCOMES = {
    Outcome.REFUSED: BilingualText("Refused", "Refusée"),
    Outcome.APPROVED_WITH_CONDITIONS: BilingualText(
        "Approved with conditions", "Approuvée avec conditions"
    ),
}


class Criterion(enum.StrEnum):
    """
    What a reason concerns, when it is not one of the application's requirements.
    """

    PURPOSE_OF_VISIT = "purpose_of_visit"
    TIES_TO_COUNTRY = "ties_to_country"
    FINANCIAL_SUPPORT = "financial_support"
    TRAVEL_HISTORY = "travel_history"
    ADMISSIBILITY = "admissibility"

    @property
    def label(self) -> BilingualText:
        """The criterion, in English and French."""
        return _CRITERIA[self]


_CRITERIA = {
    Criterion.PURPOSE_OF_VISIT: BilingualText("Purpose of visit", "But de la visite"),
    Criterion.TIES_TO_COUNTRY: BilingualText(
        "Ties to your country of residence", "Liens avec votre pays de résidence"
    ),
    Criterion.FINANCIAL_SUPPORT: BilingualText("Financial support", "Soutien financier"),
    Criterion.TRAVEL_HISTORY: BilingualText("Travel history", "Antécédents de voyage"),
    Criterion.ADMISSIBILITY: BilingualText("Admissibility", "Admissibilité"),
}


class Exemption(enum.StrEnum):
    """
    The legal basis for withholding a passage: the exemptions of the
    Privacy Act a client's own file is released under.
    """

    OTHER_GOVERNMENT = "privacy_act_19"
    LAW_ENFORCEMENT = "privacy_act_22"
    THIRD_PARTY = "privacy_act_26"
    SOLICITOR_CLIENT = "privacy_act_27"

    @property
    def label(self) -> BilingualText:
        """The basis, in English and French."""
        return _BASES[self]


_BASES = {
    Exemption.OTHER_GOVERNMENT: BilingualText(
        "Privacy Act, section 19: information obtained in confidence from another government",
        "Loi sur la protection des renseignements personnels, article 19 : renseignements "
        "obtenus à titre confidentiel d'un autre gouvernement",
    ),
    Exemption.LAW_ENFORCEMENT: BilingualText(
        "Privacy Act, section 22: law enforcement and investigations",
        "Loi sur la protection des renseignements personnels, article 22 : enquêtes et "
        "application de la loi",
    ),
    Exemption.THIRD_PARTY: BilingualText(
        "Privacy Act, section 26: information about another person",
        "Loi sur la protection des renseignements personnels, article 26 : renseignements "
        "concernant une autre personne",
    ),
    Exemption.SOLICITOR_CLIENT: BilingualText(
        "Privacy Act, section 27: solicitor-client privilege",
        "Loi sur la protection des renseignements personnels, article 27 : secret "
        "professionnel de l'avocat",
    ),
}


@attrs.frozen(kw_only=True)
class Withheld:
    """
    A passage of an officer's note that may not be released. Its text is
    never stored, logged or shown: the client sees a marker with the basis.

    Attributes:
        basis: Why it is withheld.
        text: The passage, as the officer's draft had it (optional; dropped
            at once, never in ``repr``).
    """

    basis: Exemption = attrs.field(converter=v.converter(v.choice, "basis", Exemption))
    text: str = attrs.field(default="", repr=False, eq=False)


def _parts(value: Iterable[BilingualText | Withheld]) -> tuple[BilingualText | Withheld, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class NoteReason:
    """
    One of the officer's reasons, tied to a criterion or to one of the
    application's requirements (exactly one of the two).

    Attributes:
        parts: The reason's text: released passages (English and French)
            and withheld ones, in order.
        criterion: The criterion it concerns.
        requirement: The application's requirement it concerns (``req-1``).
    """

    parts: tuple[BilingualText | Withheld, ...] = attrs.field(
        converter=_parts,
        validator=attrs.validators.deep_iterable(
            attrs.validators.instance_of((BilingualText, Withheld)),
            attrs.validators.and_(attrs.validators.min_len(1), attrs.validators.max_len(50)),
        ),
    )
    criterion: Criterion | None = attrs.field(
        default=None, converter=v.optional(v.choice, "criterion", Criterion)
    )
    requirement: str | None = attrs.field(
        default=None, converter=v.optional(v.identifier, "requirement")
    )

    def __attrs_post_init__(self) -> None:
        if (self.criterion is None) == (self.requirement is None):
            raise RequiredField(field="criterion")


@attrs.frozen(kw_only=True)
class WithheldMarker:
    """
    Where a withheld passage was, as the client sees it.

    Attributes:
        basis: The legal basis.
        label: "Withheld" with the basis, in English and French.
    """

    basis: Exemption
    label: BilingualText


@attrs.frozen(kw_only=True)
class ReasonView:
    """
    One reason, as the client (or a representative allowed to) reads it.

    Attributes:
        concerns: The criterion or requirement it is about, in both languages.
        criterion: The criterion, if it concerns one.
        requirement: The requirement's id, if it concerns one.
        parts: Released passages and withheld markers, in order.
    """

    concerns: BilingualText
    criterion: Criterion | None
    requirement: str | None
    parts: tuple[BilingualText | WithheldMarker, ...]


def marker(basis: Exemption) -> WithheldMarker:
    """The marker shown where a passage was withheld."""
    return WithheldMarker(
        basis=basis,
        label=BilingualText(
            f"[Withheld: {basis.label.en}]", f"[Passage retenu : {basis.label.fr}]"
        ),
    )
