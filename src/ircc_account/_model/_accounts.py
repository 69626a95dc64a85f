# mypy: disable-error-code="misc"
# (the attrs mypy plugin only understands named converters; ours are
# built by v.converter, so those fields are typed by their annotations.)
"""
Client accounts and what is linked to them.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from ircc_account._model import _validate as v

__all__ = [
    "AccountStatus",
    "AssuranceLevel",
    "ClientAccount",
    "ContactDetails",
    "Language",
    "LinkedCredential",
    "LinkedLegacyFile",
    "PersonalDetails",
]

_EARLIEST_BIRTH = dt.date(1890, 1, 1)


class Language(enum.StrEnum):
    """
    An official language of Canada, as a client's preference.
    """

    ENGLISH = "en"
    FRENCH = "fr"


class AssuranceLevel(enum.IntEnum):
    """
    How sure we are that a credential belongs to the person, after the
    Government of Canada's four credential assurance levels; higher is stronger.
    """

    LOW = 1
    MODERATE = 2
    HIGH = 3
    VERY_HIGH = 4


class AccountStatus(enum.StrEnum):
    """
    Whether an account may be used.
    """

    ACTIVE = "active"
    DISABLED = "disabled"


@attrs.frozen(kw_only=True)
class ContactDetails:
    """
    How to reach a client. Personal data: encrypted at rest.

    Attributes:
        email: The email address notifications go to.
        phone: A telephone number, if the client gave one.
        mailing_address: A postal address (several lines), if given.
    """

    email: str = attrs.field(converter=v.email)
    phone: str | None = attrs.field(default=None, converter=v.optional(v.phone))
    mailing_address: str | None = attrs.field(
        default=None,
        converter=v.converter(v.optional_text, "mailing_address", max_length=500, multiline=True),
    )


@attrs.frozen(kw_only=True)
class PersonalDetails:
    """
    Who a client is. Personal data: encrypted at rest.

    Attributes:
        family_name: Family name(s), as on the travel document.
        given_names: Given name(s); ``None`` for people with one name only.
        date_of_birth: Date of birth.
    """

    family_name: str = attrs.field(converter=v.converter(v.text, "family_name", max_length=100))
    given_names: str | None = attrs.field(
        default=None, converter=v.converter(v.optional_text, "given_names", max_length=100)
    )
    date_of_birth: dt.date = attrs.field(
        converter=v.converter(v.date, "date_of_birth", earliest=_EARLIEST_BIRTH)
    )


@attrs.frozen(kw_only=True)
class ClientAccount:
    """
    One client's online account: the front door's unit of identity.

    Attributes:
        account_id: Opaque, stable identifier of the account.
        personal: Names and date of birth (encrypted at rest).
        contact: Contact details (encrypted at rest).
        preferred_language: The official language the client reads.
        uci: The client's Unique Client Identifier (8 or 10 digits), once
            known; looked up only through a keyed blind index.
        status: Whether the account may be used.
        created_at: When the account was opened (UTC).
    """

    account_id: str = attrs.field(converter=v.converter(v.identifier, "account_id"))
    personal: PersonalDetails = attrs.field(validator=attrs.validators.instance_of(PersonalDetails))
    contact: ContactDetails = attrs.field(validator=attrs.validators.instance_of(ContactDetails))
    preferred_language: Language = attrs.field(
        default=Language.ENGLISH, converter=v.converter(v.choice, "preferred_language", Language)
    )
    uci: str | None = attrs.field(default=None, converter=v.optional(v.uci))
    status: AccountStatus = attrs.field(
        default=AccountStatus.ACTIVE, converter=v.converter(v.choice, "status", AccountStatus)
    )
    created_at: dt.datetime = attrs.field(converter=v.converter(v.instant, "created_at"))


@attrs.frozen(kw_only=True)
class LinkedCredential:
    """
    A login at one credential provider, linked to an account.

    Accounts are keyed by (issuer, subject), never by email: an email change
    at the provider keeps the same account, and two providers never share one
    by accident.

    Attributes:
        account_id: The account this credential opens.
        issuer: The provider's exact issuer identifier (a URL).
        subject: The provider's stable identifier for the person (``sub``).
        assurance: The highest assurance this credential has shown.
        linked_at: When it was linked (UTC).
        last_login_at: The last successful login with it, if any.
    """

    account_id: str = attrs.field(converter=v.converter(v.identifier, "account_id"))
    issuer: str = attrs.field(converter=v.converter(v.text, "issuer", max_length=255))
    subject: str = attrs.field(converter=v.converter(v.text, "subject", max_length=255))
    assurance: AssuranceLevel = attrs.field(
        default=AssuranceLevel.LOW, converter=v.converter(v.choice, "assurance", AssuranceLevel)
    )
    linked_at: dt.datetime = attrs.field(converter=v.converter(v.instant, "linked_at"))
    last_login_at: dt.datetime | None = attrs.field(
        default=None, converter=v.converter(v.optional_instant, "last_login_at")
    )


@attrs.frozen(kw_only=True)
class LinkedLegacyFile:
    """
    A paper or old-portal file a client has claimed into the account.

    Attributes:
        account_id: The account that claimed it.
        system: The legacy system holding the file (a service id).
        file_number: The application or file number in that system.
        linked_at: When the claim succeeded (UTC).
    """

    account_id: str = attrs.field(converter=v.converter(v.identifier, "account_id"))
    system: str = attrs.field(converter=v.converter(v.identifier, "system"))
    file_number: str = attrs.field(converter=v.converter(v.identifier, "file_number"))
    linked_at: dt.datetime = attrs.field(converter=v.converter(v.instant, "linked_at"))
