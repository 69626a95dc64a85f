"""
Identity: logins at government credential providers (OpenID Connect), server-side
sessions, registration and credential linking, legacy-file claims, and logout.

The protocol logic is framework-free and synchronous. Tokens are validated by
:mod:`ircc_account.hazmat.jose`; see ``docs/identity.md`` for the recipes and
``docs/security.md`` for SEC-01..97 and their tests.
"""

from __future__ import annotations

import logging

from ircc_account._exports import present_as_public
from ircc_account._model import AccountStatus, ClientAccount, LinkedCredential, LinkedLegacyFile

from ._accounts import ClaimPolicy, LegacyFileRef, LegacyFileVerifier
from ._config import ClientSecret, PrivateKeyJwt, ProviderConfig
from ._http import HttpLimits
from ._identity import Identity
from ._login import LoginOutcome, LoginRedirect, LoginResult, StepUpPlan
from ._logout import LogoutRedirect
from ._providers import Provider, ProviderMetadata, Providers
from ._ratelimit import RateLimiter, RateLimits
from ._session_store import SessionStore, SqlSessionStore
from ._session_values import (
    IssuedSession,
    PendingCredential,
    RotationReason,
    Session,
    SessionPolicy,
    SessionState,
    clear_cookie,
    session_cookie,
)
from ._web import (
    MUTATING_METHODS,
    CsrfProtector,
    method_allowed,
    safe_return_path,
    security_headers,
    url_has_secrets,
)

__all__ = [
    "MUTATING_METHODS",
    "AccountStatus",
    "ClaimPolicy",
    "ClientAccount",
    "ClientSecret",
    "CsrfProtector",
    "HttpLimits",
    "Identity",
    "IssuedSession",
    "LegacyFileRef",
    "LegacyFileVerifier",
    "LinkedCredential",
    "LinkedLegacyFile",
    "LoginOutcome",
    "LoginRedirect",
    "LoginResult",
    "LogoutRedirect",
    "PendingCredential",
    "PrivateKeyJwt",
    "Provider",
    "ProviderConfig",
    "ProviderMetadata",
    "Providers",
    "RateLimiter",
    "RateLimits",
    "RotationReason",
    "Session",
    "SessionPolicy",
    "SessionState",
    "SessionStore",
    "SqlSessionStore",
    "StepUpPlan",
    "clear_cookie",
    "method_allowed",
    "safe_return_path",
    "security_headers",
    "session_cookie",
    "url_has_secrets",
]

present_as_public(globals(), __name__)

# A library adds no handler but this one (Python's "Configuring Logging for a
# Library"): without it, a WARNING in an application that configured no
# logging would reach stderr through logging.lastResort.
logging.getLogger(__name__).addHandler(logging.NullHandler())
