"""
ircc_account: the reusable core of one online account for an immigration department.

The names here are the public API; everything in an underscore module is
private. Errors live in ``ircc_account.errors``, hooks in
``ircc_account.hookspecs``, raw token handling in ``ircc_account.hazmat``.
"""

from __future__ import annotations

from ircc_account._clock import Clock, FrozenClock, Randomness, SystemClock, SystemRandomness
from ircc_account._crypto import KeyEncryptionKey, Keyring
from ircc_account._exports import present_as_public
from ircc_account._frontdoor import FrontDoor, FrontDoorConfig
from ircc_account._model import (
    AccountStatus,
    Action,
    Actor,
    AssuranceLevel,
    AuditEntry,
    AuthorizationDecision,
    BilingualText,
    Capacity,
    ClientAccount,
    ConsentEvidence,
    ConsentGrant,
    ContactDetails,
    Decision,
    GrantCoverage,
    GrantStatus,
    ItemKind,
    ItemState,
    Language,
    LegalBasis,
    Licence,
    LicenceBody,
    LicenceStatus,
    LinkedCredential,
    LinkedLegacyFile,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    PersonalDetails,
    Representative,
    RepresentativeKind,
    Resource,
    Scope,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)
from ircc_account._storage import PostgresStore, SqliteStore, SqlStore, open_store
from ircc_account._storage.ports import (
    AccountRepository,
    AuditSink,
    CredentialRepository,
    ItemRepository,
    LegacyFileRepository,
    SignIn,
    Store,
    TimelineRepository,
    UnitOfWork,
)
from ircc_account.errors import IrccAccountError
from ircc_account.hookspecs import hookimpl

__all__ = [
    "AccountRepository",
    "AccountStatus",
    "Action",
    "Actor",
    "AssuranceLevel",
    "AuditEntry",
    "AuditSink",
    "AuthorizationDecision",
    "BilingualText",
    "Capacity",
    "ClientAccount",
    "Clock",
    "ConsentEvidence",
    "ConsentGrant",
    "ContactDetails",
    "CredentialRepository",
    "Decision",
    "FrontDoor",
    "FrontDoorConfig",
    "FrozenClock",
    "GrantCoverage",
    "GrantStatus",
    "IrccAccountError",
    "ItemKind",
    "ItemRepository",
    "ItemState",
    "KeyEncryptionKey",
    "Keyring",
    "Language",
    "LegacyFileRepository",
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
    "PostgresStore",
    "Randomness",
    "Representative",
    "RepresentativeKind",
    "Resource",
    "Scope",
    "ServiceItem",
    "SignIn",
    "SqlStore",
    "SqliteStore",
    "Store",
    "SystemClock",
    "SystemRandomness",
    "TimelineEvent",
    "TimelineKind",
    "TimelineRepository",
    "UnitOfWork",
    "hookimpl",
    "open_store",
]

present_as_public(globals(), __name__)
