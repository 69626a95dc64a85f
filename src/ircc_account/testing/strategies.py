"""
Hypothesis strategies for ``ircc_account`` values, for tests and security reviews.

Every function takes keyword-only arguments and returns a
:class:`hypothesis.strategies.SearchStrategy`. Requires the ``test`` extra
(hypothesis).
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from ircc_account._model import (
    BilingualText,
    ClientAccount,
    ContactDetails,
    ItemKind,
    ItemState,
    Language,
    PersonalDetails,
    ServiceItem,
)

__all__ = [
    "accounts",
    "bilingual_texts",
    "identifiers",
    "instants",
    "names",
    "service_items",
    "ucis",
]

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def identifiers(*, prefix: str = "") -> st.SearchStrategy[str]:
    """
    Opaque identifiers the model accepts (``prefix`` plus 1 to 24 characters).
    """
    return st.text(_ID_ALPHABET, min_size=1, max_size=24).map(lambda s: f"{prefix}{s}")


def ucis(*, grouped: bool | None = None) -> st.SearchStrategy[str]:
    """
    Valid Unique Client Identifiers, 8 or 10 digits, plain or hyphen-grouped.

    Args:
        grouped: ``True`` for hyphenated spellings only, ``False`` for plain
            digits only, ``None`` for both.
    """

    def spell(digits: str, group: bool) -> str:
        if not group:
            return digits
        if len(digits) == 8:
            return f"{digits[:4]}-{digits[4:]}"
        return f"{digits[:2]}-{digits[2:6]}-{digits[6:]}"

    digits = st.one_of(
        st.text("0123456789", min_size=8, max_size=8),
        st.text("0123456789", min_size=10, max_size=10),
    )
    groups = st.booleans() if grouped is None else st.just(grouped)
    return st.builds(spell, digits, groups)


def names(*, max_size: int = 60) -> st.SearchStrategy[str]:
    """
    Printable personal names, including accented letters, apostrophes and hyphens.
    """
    letters = st.characters(
        categories=("Lu", "Ll", "Lo"), exclude_characters="\u2028\u2029", max_codepoint=0x2FFF
    )
    word = st.text(letters, min_size=1, max_size=15)
    return (
        st.lists(word, min_size=1, max_size=3)
        .map(" ".join)
        .filter(lambda s: 0 < len(s) <= max_size)
    )


def instants(
    *, min_value: dt.datetime | None = None, max_value: dt.datetime | None = None
) -> st.SearchStrategy[dt.datetime]:
    """
    Timezone-aware UTC datetimes (whole microseconds), by default between 2000 and 2100.
    """
    lo = (min_value or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)).replace(tzinfo=None)
    hi = (max_value or dt.datetime(2100, 1, 1, tzinfo=dt.UTC)).replace(tzinfo=None)
    return st.datetimes(min_value=lo, max_value=hi).map(lambda d: d.replace(tzinfo=dt.UTC))


def bilingual_texts(*, max_size: int = 80) -> st.SearchStrategy[BilingualText]:
    """
    Texts with both an English and a French version.
    """
    text = st.text(
        st.characters(categories=("L", "N", "P", "Zs"), exclude_characters="\u2028\u2029"),
        min_size=1,
        max_size=max_size,
    ).filter(lambda s: s.strip())
    return st.builds(BilingualText, text, text)


def accounts(
    *, account_id: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[ClientAccount]:
    """
    Valid client accounts with random names, dates of birth, contacts, UCIs and languages.
    """
    personal = st.builds(
        PersonalDetails,
        family_name=names(max_size=100),
        given_names=st.none() | names(max_size=100),
        date_of_birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    )
    contact = st.builds(
        ContactDetails,
        email=st.from_regex(r"\A[a-z0-9]{1,20}@[a-z]{1,10}\.(ca|com|org)\Z"),
    )
    return st.builds(
        ClientAccount,
        account_id=account_id or identifiers(prefix="acc-"),
        personal=personal,
        contact=contact,
        preferred_language=st.sampled_from(Language),
        uci=st.none() | ucis(),
        created_at=instants(),
    )


def service_items(
    *, account_id: str, service_id: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[ServiceItem]:
    """
    Valid items for one account, with random kinds, states and titles.
    """
    return st.builds(
        ServiceItem,
        item_id=identifiers(prefix="item-"),
        account_id=st.just(account_id),
        service_id=service_id or st.sampled_from(["trv", "passport", "status"]),
        kind=st.sampled_from(ItemKind),
        reference=identifiers(prefix="R"),
        state=st.sampled_from(ItemState),
        title=bilingual_texts(),
        document_number=st.none() | st.from_regex(r"\A[A-Z]{2}[0-9]{6}\Z"),
        created_at=instants(),
        updated_at=instants(),
    )
