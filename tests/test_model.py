"""
The domain model: values validate at construction and refuse bad input with typed errors.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ircc_account._model import (
    AssuranceLevel,
    BilingualText,
    ClientAccount,
    ConsentEvidence,
    ConsentGrant,
    ContactDetails,
    GrantCoverage,
    GrantStatus,
    ItemKind,
    ItemState,
    Language,
    LegalBasis,
    Licence,
    LicenceBody,
    LinkedCredential,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    PersonalDetails,
    Representative,
    RepresentativeKind,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)
from ircc_account._model import _validate as v
from ircc_account.errors import (
    ControlCharacters,
    FieldTooLong,
    InvalidFormat,
    OutOfRange,
    RequiredField,
    SelfGrant,
    UnknownValue,
    ValidationError,
)

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def account(**changes: object) -> ClientAccount:
    base = ClientAccount(
        account_id="acc-1",
        personal=PersonalDetails(
            family_name="Tremblay", given_names="Marie", date_of_birth="1990-04-02"
        ),
        contact=ContactDetails(email="marie@example.ca"),
        preferred_language="fr",
        uci="1234-5678",
        created_at=NOW,
    )
    return attrs.evolve(base, **changes) if changes else base


def test_account_normalizes_its_values() -> None:
    """A UCI is kept as digits, the language becomes an enum, dates are parsed."""
    a = account()
    assert a.uci == "12345678"
    assert a.preferred_language is Language.FRENCH
    assert a.personal.date_of_birth == dt.date(1990, 4, 2)


def test_values_are_frozen() -> None:
    """Model values cannot be changed after construction."""
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        account().uci = "87654321"  # type: ignore[misc]


@pytest.mark.parametrize(
    "bad", ["1234567", "123456789", "12345678901", "abcd-efgh", "1234 5678", "", "１２３４５６７８"]
)
def test_invalid_uci_is_refused(bad: str) -> None:
    """Anything but 8 or 10 digits (plain or grouped by hyphens) is an InvalidFormat."""
    with pytest.raises(InvalidFormat) as info:
        v.uci(bad)
    assert info.value.params["field"] == "uci"


@given(st.integers(min_value=0, max_value=10**10 - 1), st.booleans())
def test_uci_spellings_agree(n: int, ten: bool) -> None:
    """Plain and hyphenated spellings of one UCI normalize to the same digits."""
    digits = f"{n:010d}" if ten else f"{n % 10**8:08d}"
    grouped = f"{digits[:2]}-{digits[2:6]}-{digits[6:]}" if ten else f"{digits[:4]}-{digits[4:]}"
    assert v.uci(digits) == v.uci(grouped) == digits


@pytest.mark.parametrize(
    "bad", ["1990-13-01", "1990-02-30", "02/04/1990", "1990-4-2", "19900402", "", "tomorrow"]
)
def test_malformed_dates_are_refused(bad: str) -> None:
    """Malformed or impossible dates raise InvalidFormat naming the field."""
    with pytest.raises(InvalidFormat):
        PersonalDetails(family_name="X", date_of_birth=bad)


def test_a_datetime_is_not_a_date_of_birth() -> None:
    """A datetime where a date belongs is refused rather than truncated."""
    with pytest.raises(InvalidFormat):
        PersonalDetails(family_name="X", date_of_birth=NOW)


def test_naive_datetimes_are_refused() -> None:
    """Times without a timezone are never accepted."""
    with pytest.raises(InvalidFormat):
        account(created_at=dt.datetime(2026, 1, 1))


@given(st.text(min_size=1, max_size=80).filter(lambda s: s.strip()))
def test_text_fields_accept_or_refuse_with_a_typed_error(value: str) -> None:
    """Any text either validates (normalized, printable) or raises a ValidationError."""
    outcome: object
    try:
        outcome = v.text("family_name", value, max_length=100)
    except ValidationError as e:
        outcome = e
    if isinstance(outcome, str):
        assert outcome == outcome.strip() and outcome
    else:
        assert isinstance(outcome, ControlCharacters | RequiredField)


def _refused_characters(value: str, allowed: str) -> bool:
    # The character-by-character rule text() applies, checked on every character.
    return any(
        ch not in allowed and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
        for ch in value
    )


@given(
    st.text(
        st.characters(codec=None, exclude_categories=()) | st.sampled_from("\n\t\x00\u2028 \xa0"),
        min_size=1,
        max_size=40,
    ).filter(lambda s: s.strip()),
    st.booleans(),
)
def test_text_refuses_exactly_the_characters_of_its_rule(value: str, multiline: bool) -> None:
    """text()'s printable shortcut refuses exactly what the per-character rule refuses."""
    normal = unicodedata.normalize("NFC", value).strip()
    refused = bool(normal) and _refused_characters(normal, "\n\t" if multiline else "")
    try:
        v.text("f", value, max_length=1000, multiline=multiline)
    except ControlCharacters:
        assert refused
    except RequiredField:
        assert not normal
    else:
        assert not refused


@pytest.mark.parametrize(
    "bad", ['Tremblay\n{"evt":"fake"}', "Tre\x1b[31mmblay", "a\u202eb", "x\x00"]
)
def test_control_characters_are_refused(bad: str) -> None:
    """Line breaks, escapes, bidi overrides and NULs are refused in names."""
    with pytest.raises(ControlCharacters):
        PersonalDetails(family_name=bad, date_of_birth="1990-01-01")


def test_oversized_fields_are_refused() -> None:
    """A name over its limit raises FieldTooLong with the limit."""
    with pytest.raises(FieldTooLong) as info:
        PersonalDetails(family_name="x" * 101, date_of_birth="1990-01-01")
    assert info.value.params == {"field": "family_name", "limit": 100}


def test_unknown_enum_values_are_refused() -> None:
    """A language outside en/fr is an UnknownValue, not a ValueError from enum."""
    with pytest.raises(UnknownValue):
        account(preferred_language="de")
    with pytest.raises(UnknownValue):
        LinkedCredential(
            account_id="a", issuer="https://idp", subject="s", assurance=7, linked_at=NOW
        )


def test_emails_are_stored_nfc_with_their_case() -> None:
    """An address is kept NFC-normalized, with the case the client typed, so the same address is one string."""
    decomposed = unicodedata.normalize("NFD", "Élodie@Straße.de")
    assert decomposed != "Élodie@Straße.de"
    assert ContactDetails(email=decomposed).email == "Élodie@Straße.de"


@pytest.mark.parametrize(
    "bad", ["no-at-sign", "a@b", "a b@example.ca", "@example.ca", "a@@example.ca"]
)
def test_invalid_emails_are_refused(bad: str) -> None:
    """Addresses that cannot work are refused."""
    with pytest.raises(InvalidFormat):
        ContactDetails(email=bad)


def test_paid_representatives_need_a_licence() -> None:
    """A consultant without a licence, or a friend with one, is refused."""
    with pytest.raises(RequiredField):
        Representative(
            representative_id="r1",
            kind="consultant",
            display_name="A",
            account_id="a1",
            created_at=NOW,
        )
    licence = Licence(body=LicenceBody.CICC, number="R123456", expires_on="2027-01-01")
    with pytest.raises(UnknownValue):
        Representative(
            representative_id="r1",
            kind=RepresentativeKind.FRIEND,
            display_name="A",
            account_id="a1",
            licence=licence,
            created_at=NOW,
        )
    rep = Representative(
        representative_id="r1",
        kind="consultant",
        display_name="A",
        account_id="a1",
        licence=licence,
        created_at=NOW,
    )
    assert rep.kind.is_paid


def test_organisations_cannot_be_their_own_parent() -> None:
    """The simplest cycle is refused at construction."""
    with pytest.raises(OutOfRange):
        Organisation(
            organisation_id="o1",
            kind=OrganisationKind.LAW_FIRM,
            name="F",
            parent_id="o1",
            created_at=NOW,
        )


def test_memberships_end_after_they_start() -> None:
    """An end before the start is refused."""
    with pytest.raises(OutOfRange):
        Membership(
            organisation_id="o",
            representative_id="r",
            role=MembershipRole.STAFF,
            started_at=NOW,
            ended_at=NOW - dt.timedelta(seconds=1),
        )


def _grant(**changes: object) -> ConsentGrant:
    evidence = ConsentEvidence(
        basis=LegalBasis.IN_ACCOUNT, digest=b"\x00" * 32, signature=b"s", key_id="k"
    )
    base: dict[str, object] = {
        "grant_id": "g1",
        "client_account_id": "c1",
        "grantee_id": "r1",
        "scopes": {"view_status"},
        "coverage": GrantCoverage.ACCOUNT,
        "valid_from": NOW,
        "status": GrantStatus.ACTIVE,
        "evidence": evidence,
        "created_at": NOW,
    }
    base.update(changes)
    return ConsentGrant(**base)  # type: ignore[arg-type]


def test_grants_refuse_bad_windows_scopes_and_self_grants() -> None:
    """Windows ending before they start, unknown scopes and self-grants are refused."""
    with pytest.raises(OutOfRange):
        _grant(valid_until=NOW - dt.timedelta(days=1))
    with pytest.raises(UnknownValue):
        _grant(scopes={"become_admin"})
    with pytest.raises(SelfGrant):
        _grant(grantee_id="c1")
    with pytest.raises(RequiredField):
        _grant(coverage=GrantCoverage.ITEM)
    assert _grant(scopes={"trv:upload_photo"}).scopes == {"trv:upload_photo"}


def test_grant_activity_is_honoured_to_the_second() -> None:
    """A grant is active inside its window and not one second past its end."""
    g = _grant(valid_until=NOW + dt.timedelta(days=1))
    assert g.is_active_at(NOW + dt.timedelta(days=1) - dt.timedelta(seconds=1))
    assert not g.is_active_at(NOW + dt.timedelta(days=1))
    assert not g.is_active_at(NOW - dt.timedelta(seconds=1))


def test_items_and_timelines_are_bilingual() -> None:
    """Titles and summaries need both languages; a status change needs its state."""
    with pytest.raises(RequiredField):
        BilingualText("Visitor visa", "")
    item = ServiceItem(
        item_id="i1",
        account_id="a1",
        service_id="trv",
        kind=ItemKind.APPLICATION,
        reference="V123456789",
        state=ItemState.SUBMITTED,
        title=BilingualText("Visitor visa", "Visa de visiteur"),
        document_number="AB123456",
        created_at=NOW,
        updated_at=NOW,
    )
    assert "AB123456" not in repr(item)
    assert item.title["fr"] == "Visa de visiteur"
    with pytest.raises(RequiredField):
        TimelineEvent(
            event_id="e1",
            item_id="i1",
            kind=TimelineKind.STATUS_CHANGED,
            occurred_at=NOW,
            summary=BilingualText("Changed", "Modifié"),
        )


def test_assurance_levels_are_ordered() -> None:
    """Higher assurance compares greater."""
    assert AssuranceLevel.HIGH > AssuranceLevel.MODERATE > AssuranceLevel.LOW


@pytest.mark.parametrize("bad", ["abc\n", "abc\r", "-abc", "a b", "x" * 129, "é"])
def test_identifiers_are_plain_ascii_tokens(bad: str) -> None:
    """Identifiers refuse trailing newlines, spaces, non-ASCII and leading punctuation."""
    with pytest.raises(InvalidFormat):
        v.identifier("item_id", bad)


def test_a_refusal_for_assurance_names_the_level_to_step_up_to() -> None:
    """AuthorizationDecision.refusal() carries the reason, and the level only when a stronger sign-in is what is missing."""
    from ircc_account.authz import AuthorizationDecision
    from ircc_account.errors import AuthorizationError

    weak = AuthorizationDecision(
        allowed=False, reason="assurance", required_assurance=AssuranceLevel.MODERATE
    ).refusal()
    assert isinstance(weak, AuthorizationError)
    assert weak.params == {"reason": "assurance", "level": 2}
    plain = AuthorizationDecision(allowed=False, reason="no_grant").refusal()
    assert plain.params == {"reason": "no_grant"}
    assert weak.message("fr") != weak.message("en")
