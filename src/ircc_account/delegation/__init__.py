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
from ircc_account.delegation._policy import DENIAL_REASONS, Policy
from ircc_account.delegation._ports import (
    DelegationEvents,
    LicenceVerifier,
    NoEvents,
    ReplayStore,
)
from ircc_account.delegation._replay import MemoryReplayStore, SqlReplayStore
from ircc_account.delegation._tokens import (
    TOKEN_LEEWAY,
    TOKEN_LIFETIME,
    TOKEN_MAX_LEEWAY,
    TOKEN_MAX_LIFETIME,
    DelegationClaims,
    DelegationTokenIssuer,
    DelegationTokenVerifier,
)

__all__ = [
    "DENIAL_REASONS",
    "KEEP",
    "TOKEN_LEEWAY",
    "TOKEN_LIFETIME",
    "TOKEN_MAX_LEEWAY",
    "TOKEN_MAX_LIFETIME",
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
    "MemoryReplayStore",
    "NoEvents",
    "Organisation",
    "OrganisationKind",
    "Policy",
    "ReplayStore",
    "Representative",
    "RepresentativeKind",
    "Scope",
    "SqlReplayStore",
    "WrittenConsent",
    "begin_acting_for",
    "stop_acting",
]

present_as_public(globals(), __name__)
