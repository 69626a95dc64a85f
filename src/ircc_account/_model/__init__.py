# mypy: disable-error-code="misc"
# (the attrs mypy plugin only understands named converters; ours are
# built by v.converter, so those fields are typed by their annotations.)
"""
The domain model: frozen, validated values.
"""

from __future__ import annotations

from ircc_account._model._accounts import (
    AccountStatus,
    AssuranceLevel,
    ClientAccount,
    ContactDetails,
    Language,
    LinkedCredential,
    LinkedLegacyFile,
    PersonalDetails,
)
from ircc_account._model._audit import AuditEntry, Capacity, Decision
from ircc_account._model._authz import Action, Actor, AuthorizationDecision, Resource
from ircc_account._model._delegation import (
    ConsentEvidence,
    ConsentGrant,
    GrantCoverage,
    GrantStatus,
    Invitation,
    LegalBasis,
    Licence,
    LicenceBody,
    LicenceStatus,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Representative,
    RepresentativeKind,
    Scope,
)
from ircc_account._model._services import (
    BilingualText,
    ItemKind,
    ItemState,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)

__all__ = [
    "AccountStatus",
    "Action",
    "Actor",
    "AssuranceLevel",
    "AuditEntry",
    "AuthorizationDecision",
    "BilingualText",
    "Capacity",
    "ClientAccount",
    "ConsentEvidence",
    "ConsentGrant",
    "ContactDetails",
    "Decision",
    "GrantCoverage",
    "GrantStatus",
    "Invitation",
    "ItemKind",
    "ItemState",
    "Language",
    "LegalBasis",
    "Licence",
    "LicenceBody",
    "LicenceStatus",
    "LinkedCredential",
    "LinkedLegacyFile",
    "Membership",
    "MembershipRole",
    "Organisation",
    "OrganisationKind",
    "PersonalDetails",
    "Representative",
    "RepresentativeKind",
    "Resource",
    "Scope",
    "ServiceItem",
    "TimelineEvent",
    "TimelineKind",
]
