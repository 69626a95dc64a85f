"""
Delegated access: representatives, organisations, consent grants, the
authorization policy, acting on behalf, and delegation tokens.

See ``docs/delegation.md``.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public
from ircc_account._model import (
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
from ircc_account.delegation._acting import (
    ActingContext,
    ActingHook,
    begin_acting_for,
    stop_acting,
)
from ircc_account.delegation._consent import WrittenConsent
from ircc_account.delegation._grants import KEEP, Delegation
from ircc_account.delegation._policy import Policy
from ircc_account.delegation._ports import (
    DelegationEvents,
    LicenceVerifier,
    NoEvents,
)
from ircc_account.delegation._tokens import (
    DelegationClaims,
    DelegationTokenIssuer,
    DelegationTokenVerifier,
)

__all__ = [
    "KEEP",
    "ActingContext",
    "ActingHook",
    "ConsentEvidence",
    "ConsentGrant",
    "Delegation",
    "DelegationClaims",
    "DelegationEvents",
    "DelegationTokenIssuer",
    "DelegationTokenVerifier",
    "GrantCoverage",
    "GrantStatus",
    "Invitation",
    "LegalBasis",
    "Licence",
    "LicenceBody",
    "LicenceStatus",
    "LicenceVerifier",
    "Membership",
    "MembershipRole",
    "NoEvents",
    "Organisation",
    "OrganisationKind",
    "Policy",
    "Representative",
    "RepresentativeKind",
    "Scope",
    "WrittenConsent",
    "begin_acting_for",
    "stop_acting",
]

present_as_public(globals(), __name__)
