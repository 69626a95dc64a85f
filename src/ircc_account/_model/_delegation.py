# mypy: disable-error-code="misc"
# (the attrs mypy plugin only understands named converters; ours are
# built by v.converter, so those fields are typed by their annotations.)
"""
Representatives, organisations, and the consent grants that let them act.

These are values only; the rules that use them (who may act, when a grant is
active) live in the delegation package.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

import attrs

from ircc_account._model import _validate as v
from ircc_account.errors import OutOfRange, RequiredField, SelfGrant, UnknownValue

__all__ = [
    "ConsentEvidence",
    "ConsentGrant",
    "GrantCoverage",
    "GrantStatus",
    "Invitation",
    "LegalBasis",
    "Licence",
    "LicenceBody",
    "LicenceStatus",
    "Membership",
    "MembershipRole",
    "Organisation",
    "OrganisationKind",
    "Representative",
    "RepresentativeKind",
    "Scope",
]


class RepresentativeKind(enum.StrEnum):
    """
    Who a representative is, which decides what they may do.
    """

    #: Paid: a licensed immigration consultant (College of Immigration and
    #: Citizenship Consultants).
    CONSULTANT = "consultant"
    #: Paid: a lawyer or paralegal in good standing with a law society.
    LAWYER = "lawyer"
    #: Paid: a notary of the Chambre des notaires du Québec.
    NOTARY = "notary"
    #: Unpaid: a family member.
    FAMILY = "family"
    #: Unpaid: a friend or community helper.
    FRIEND = "friend"
    #: A Member of Parliament's office.
    MP_OFFICE = "mp_office"
    #: A Senator's office.
    SENATOR_OFFICE = "senator_office"
    #: May receive information about a file; may never act on it.
    DESIGNATED_INDIVIDUAL = "designated_individual"

    @property
    def is_paid(self) -> bool:
        """
        Whether this kind is paid and so must hold a valid licence.
        """
        return self in _PAID

    @property
    def is_parliamentary(self) -> bool:
        """
        Whether this kind is an MP or Senator office.
        """
        return self in (RepresentativeKind.MP_OFFICE, RepresentativeKind.SENATOR_OFFICE)


_PAID = frozenset(
    {RepresentativeKind.CONSULTANT, RepresentativeKind.LAWYER, RepresentativeKind.NOTARY}
)


class LicenceBody(enum.StrEnum):
    """
    A body that licenses paid representatives.
    """

    CICC = "cicc"
    LAW_SOCIETY = "law_society"
    CHAMBRE_DES_NOTAIRES = "chambre_des_notaires"


@attrs.frozen(kw_only=True)
class Licence:
    """
    A paid representative's licence, as checked by a licence verifier.

    Attributes:
        body: The licensing body.
        number: The licence or membership number.
        expires_on: The last day the licence is valid.
        verified_at: When a verifier last confirmed it (UTC), or ``None`` if never.
    """

    body: LicenceBody = attrs.field(converter=v.converter(v.choice, "licence_body", LicenceBody))
    number: str = attrs.field(converter=v.converter(v.identifier, "licence_number"))
    expires_on: dt.date = attrs.field(converter=v.converter(v.date, "licence_expires_on"))
    verified_at: dt.datetime | None = attrs.field(
        default=None, converter=v.converter(v.optional_instant, "licence_verified_at")
    )


@attrs.frozen(kw_only=True)
class LicenceStatus:
    """
    What a licence verifier says about a licence, at one moment.

    Attributes:
        valid: Whether the body confirms the licence is in good standing.
        expires_on: The last day it is valid, as the body reports it.
        checked_at: When the body was asked (UTC).
    """

    valid: bool = attrs.field(validator=attrs.validators.instance_of(bool))
    expires_on: dt.date = attrs.field(converter=v.converter(v.date, "licence_expires_on"))
    checked_at: dt.datetime = attrs.field(converter=v.converter(v.instant, "licence_checked_at"))

    def valid_at(self, when: dt.datetime) -> bool:
        """
        Whether the licence may be relied on at *when*: confirmed, and *when*
        falls on or before its last day (UTC).
        """
        return self.valid and when.astimezone(dt.UTC).date() <= self.expires_on


@attrs.frozen(kw_only=True)
class Representative:
    """
    A person or office that may act for clients under consent grants.

    A representative keeps their own identity: they log in with their own
    account (``account_id``) and never impersonate the client.

    Attributes:
        representative_id: Opaque identifier.
        kind: Which rules apply.
        display_name: The name clients see ("Jane Doe, RCIC", "Office of the MP for ...").
        account_id: The representative's own client account (their login).
        licence: For paid kinds, the licence; required for them, absent otherwise.
        created_at: When registered (UTC).
    """

    representative_id: str = attrs.field(converter=v.converter(v.identifier, "representative_id"))
    kind: RepresentativeKind = attrs.field(
        converter=v.converter(v.choice, "representative_kind", RepresentativeKind)
    )
    display_name: str = attrs.field(converter=v.converter(v.text, "display_name", max_length=150))
    account_id: str = attrs.field(converter=v.converter(v.identifier, "account_id"))
    licence: Licence | None = attrs.field(default=None)
    created_at: dt.datetime = attrs.field(converter=v.converter(v.instant, "created_at"))

    @licence.validator
    def _check_licence(self, _: attrs.Attribute[Licence | None], value: Licence | None) -> None:
        if self.kind.is_paid and value is None:
            raise RequiredField(field="licence")
        if not self.kind.is_paid and value is not None:
            raise UnknownValue(field="licence")


class OrganisationKind(enum.StrEnum):
    """
    Kinds of organisation representatives work in.
    """

    MP_OFFICE = "mp_office"
    SENATOR_OFFICE = "senator_office"
    LAW_FIRM = "law_firm"
    CONSULTANCY = "consultancy"


@attrs.frozen(kw_only=True)
class Organisation:
    """
    An office or firm whose current members act for clients under its grants.

    Attributes:
        organisation_id: Opaque identifier.
        kind: What sort of organisation.
        name: Its name as clients see it.
        parent_id: The organisation this one belongs to, if any (a branch of
            a firm). The graph must stay acyclic.
        created_at: When registered (UTC).
    """

    organisation_id: str = attrs.field(converter=v.converter(v.identifier, "organisation_id"))
    kind: OrganisationKind = attrs.field(
        converter=v.converter(v.choice, "organisation_kind", OrganisationKind)
    )
    name: str = attrs.field(converter=v.converter(v.text, "organisation_name", max_length=150))
    parent_id: str | None = attrs.field(
        default=None, converter=v.optional(v.identifier, "parent_id")
    )
    created_at: dt.datetime = attrs.field(converter=v.converter(v.instant, "created_at"))

    @parent_id.validator
    def _not_self(self, _: attrs.Attribute[str | None], value: str | None) -> None:
        if value is not None and value == self.organisation_id:
            raise OutOfRange(field="parent_id")


def _access_groups(values: Iterable[object]) -> frozenset[str]:
    return frozenset(v.identifier("access_group", x) for x in values)


class MembershipRole(enum.StrEnum):
    """
    A member's role in an organisation.
    """

    ADMINISTRATOR = "administrator"
    STAFF = "staff"


@attrs.frozen(kw_only=True)
class Membership:
    """
    A representative's place in an organisation, for a time.

    Attributes:
        organisation_id: The organisation.
        representative_id: The member.
        role: Administrator (manages members and groups) or staff.
        access_groups: The groups whose clients this member may see; empty
            means none (an administrator does not see every client by default).
        started_at: When the membership began (UTC).
        ended_at: When it ended, if it has: access stops at that instant.
    """

    organisation_id: str = attrs.field(converter=v.converter(v.identifier, "organisation_id"))
    representative_id: str = attrs.field(converter=v.converter(v.identifier, "representative_id"))
    role: MembershipRole = attrs.field(converter=v.converter(v.choice, "role", MembershipRole))
    access_groups: frozenset[str] = attrs.field(
        factory=frozenset,
        converter=_access_groups,
    )
    started_at: dt.datetime = attrs.field(converter=v.converter(v.instant, "started_at"))
    ended_at: dt.datetime | None = attrs.field(
        default=None, converter=v.converter(v.optional_instant, "ended_at")
    )

    @ended_at.validator
    def _after_start(
        self, _: attrs.Attribute[dt.datetime | None], value: dt.datetime | None
    ) -> None:
        if value is not None and value < self.started_at:
            raise OutOfRange(field="ended_at")


@attrs.frozen(kw_only=True)
class Invitation:
    """
    An invitation for one person to join an organisation (an MP's office, a
    firm). Its code is shown once, to the administrator who made it; the
    store keeps only the code's hash.

    Attributes:
        code: The one-time code to hand to the person (never in ``repr``).
        organisation_id: The organisation.
        role: The role the person gets.
        access_groups: The access groups the person joins.
        invited_by: The id of the administrator (or officer) who made it.
        expires_at: When the code stops working (UTC).
    """

    code: str = attrs.field(repr=False)
    organisation_id: str = attrs.field(converter=v.converter(v.identifier, "organisation_id"))
    role: MembershipRole = attrs.field(converter=v.converter(v.choice, "role", MembershipRole))
    access_groups: frozenset[str] = attrs.field(factory=frozenset, converter=_access_groups)
    invited_by: str = attrs.field(converter=v.converter(v.identifier, "invited_by"))
    expires_at: dt.datetime = attrs.field(converter=v.converter(v.instant, "expires_at"))


class Scope(enum.StrEnum):
    """
    What a consent grant allows. Services may define their own scopes as
    ``service_id:scope``; these are the shared ones.
    """

    VIEW_STATUS = "view_status"
    VIEW_DECISION_NOTES = "view_decision_notes"
    ENQUIRE = "enquire"
    SUBMIT_DOCUMENTS = "submit_documents"
    ACT = "act"


class GrantCoverage(enum.StrEnum):
    """
    How much of a client's file a grant reaches.
    """

    ITEM = "item"
    SERVICE = "service"
    ACCOUNT = "account"


class GrantStatus(enum.StrEnum):
    """
    Where a grant is in its life.
    """

    PENDING = "pending"
    ACTIVE = "active"
    DECLINED = "declined"
    REVOKED = "revoked"
    LAPSED = "lapsed"


class LegalBasis(enum.StrEnum):
    """
    How the client consented.
    """

    #: Consent given in the client's own authenticated session, signed with
    #: the account's key.
    IN_ACCOUNT = "in_account"
    #: A written consent form (such as IMM 5476) uploaded; its digest is kept.
    WRITTEN = "written"


@attrs.frozen(kw_only=True)
class ConsentEvidence:
    """
    Proof of a client's consent.

    Attributes:
        basis: In-account or written consent.
        digest: SHA-256 of the signed consent statement or of the uploaded form (32 bytes).
        signature: For in-account consent, the Ed25519 signature over the
            statement by the account's key; ``None`` for written consent.
        key_id: The id of the signing key, for in-account consent.
        signed_on: For written consent, the date on the form.
    """

    basis: LegalBasis = attrs.field(converter=v.converter(v.choice, "legal_basis", LegalBasis))
    digest: bytes = attrs.field(repr=False)
    signature: bytes | None = attrs.field(default=None, repr=False)
    key_id: str | None = attrs.field(default=None)
    signed_on: dt.date | None = attrs.field(default=None)

    @digest.validator
    def _digest(self, _: attrs.Attribute[bytes], value: bytes) -> None:
        if not isinstance(value, bytes) or len(value) != 32:
            raise RequiredField(field="consent_digest")

    def __attrs_post_init__(self) -> None:
        if self.basis is LegalBasis.IN_ACCOUNT and (self.signature is None or self.key_id is None):
            raise RequiredField(field="consent_signature")
        if self.basis is LegalBasis.WRITTEN and self.signed_on is None:
            raise RequiredField(field="consent_signed_on")


@attrs.frozen(kw_only=True)
class ConsentGrant:
    """
    A client's consent that a representative or organisation may act for them.

    Attributes:
        grant_id: Opaque identifier.
        client_account_id: The client who grants.
        grantee_id: The representative or organisation receiving it.
        grantee_is_organisation: Whether ``grantee_id`` names an organisation
            (then it reaches the organisation's current members in
            ``access_group``).
        access_group: For an organisation grant, the access group of staff it
            reaches; ``None`` reaches only the organisation's current administrators.
        scopes: What it allows (see :class:`Scope`; services add ``id:scope``).
        coverage: Item, service or whole account.
        target: The item id or service id it covers; ``None`` for the account.
        valid_from: Start of validity (UTC).
        valid_until: End of validity (UTC), honoured to the second; ``None`` for open-ended.
        status: Pending, active, declined, revoked or lapsed.
        evidence: The consent's proof; ``None`` while a request is pending.
        requested_by_grantee: Whether the representative asked for it (then
            it stays pending until the client accepts in their own session).
        created_at: When created (UTC).
        revoked_at: When revoked, if it was.
        version: Optimistic-concurrency version, bumped on each change.
    """

    grant_id: str = attrs.field(converter=v.converter(v.identifier, "grant_id"))
    client_account_id: str = attrs.field(converter=v.converter(v.identifier, "client_account_id"))
    grantee_id: str = attrs.field(converter=v.converter(v.identifier, "grantee_id"))
    grantee_is_organisation: bool = False
    access_group: str | None = attrs.field(
        default=None, converter=v.optional(v.identifier, "access_group")
    )
    scopes: frozenset[str] = attrs.field(converter=frozenset)
    coverage: GrantCoverage = attrs.field(
        converter=v.converter(v.choice, "coverage", GrantCoverage)
    )
    target: str | None = attrs.field(default=None, converter=v.optional(v.identifier, "target"))
    valid_from: dt.datetime = attrs.field(converter=v.converter(v.instant, "valid_from"))
    valid_until: dt.datetime | None = attrs.field(
        default=None, converter=v.converter(v.optional_instant, "valid_until")
    )
    status: GrantStatus = attrs.field(
        default=GrantStatus.PENDING, converter=v.converter(v.choice, "status", GrantStatus)
    )
    evidence: ConsentEvidence | None = None
    requested_by_grantee: bool = False
    created_at: dt.datetime = attrs.field(converter=v.converter(v.instant, "created_at"))
    revoked_at: dt.datetime | None = attrs.field(
        default=None, converter=v.converter(v.optional_instant, "revoked_at")
    )
    version: int = 1

    def __attrs_post_init__(self) -> None:
        if not self.scopes:
            raise RequiredField(field="scopes")
        for scope in self.scopes:
            if not isinstance(scope, str) or (
                scope not in _SCOPES and not _is_service_scope(scope)
            ):
                raise UnknownValue(field="scopes")
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise OutOfRange(field="valid_until")
        if (self.coverage is GrantCoverage.ACCOUNT) != (self.target is None):
            raise RequiredField(field="target")
        if self.client_account_id == self.grantee_id:
            raise SelfGrant()
        if self.status is GrantStatus.ACTIVE and self.evidence is None:
            raise RequiredField(field="evidence")

    def covers(self, *, service_id: str | None, item_id: str | None) -> bool:
        """
        Whether this grant's coverage reaches the given service and item.
        """
        if self.coverage is GrantCoverage.ACCOUNT:
            return True
        if self.coverage is GrantCoverage.SERVICE:
            return service_id is not None and service_id == self.target
        return item_id is not None and item_id == self.target

    def lapses_at(self) -> dt.datetime | None:
        """
        For a pending request, when it lapses unaccepted (SEC-53: seven days); else ``None``.
        """
        if self.status is not GrantStatus.PENDING:
            return None
        return self.created_at + REQUEST_LIFETIME

    def is_active_at(self, when: dt.datetime) -> bool:
        """
        Whether the grant is in force at *when*: accepted, not revoked, inside its window.
        """
        return (
            self.status is GrantStatus.ACTIVE
            and self.valid_from <= when
            and (self.valid_until is None or when < self.valid_until)
        )


_SCOPES = frozenset(s.value for s in Scope)

#: How long a representative's request waits for the client (SEC-53, after RAM's 7 days).
REQUEST_LIFETIME = dt.timedelta(days=7)


def _is_service_scope(scope: str) -> bool:
    service, sep, name = scope.partition(":")
    if not sep:
        return False
    try:
        v.identifier("scope", service)
        v.identifier("scope", name)
    except ValueError:
        return False
    return True
