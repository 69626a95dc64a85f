"""
Delegated access: representatives, organisations, consent grants, the
authorization policy, acting on behalf, and delegation tokens.

See ``docs/delegation.md``.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public
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
    AuditSink,
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
    "AuditSink",
    "Delegation",
    "DelegationClaims",
    "DelegationEvents",
    "DelegationTokenIssuer",
    "DelegationTokenVerifier",
    "LicenceVerifier",
    "NoEvents",
    "Policy",
    "WrittenConsent",
    "begin_acting_for",
    "stop_acting",
]

present_as_public(globals(), __name__)
