"""
:class:`Identity`: the one object a portal wires up for logins, sessions and logout.
"""

from __future__ import annotations

from ircc_account._clock import Clock, Randomness
from ircc_account._storage.ports import SqlStorage

from ._accounts import AccountsMixin, ClaimPolicy, LegacyFileVerifier
from ._core import AuditSink, RateLimits
from ._login import LoginMixin
from ._logout import LogoutMixin
from ._providers import Providers
from ._sessions import SessionPolicy, SessionStore

__all__ = ["Identity"]


class Identity(LoginMixin, LogoutMixin, AccountsMixin):
    """
    The relying party: logins at several providers, server-side sessions,
    registration and linking, legacy claims, and logout. Thread-safe;
    framework-free (a web adapter passes cookie values, query strings and
    bodies in, and sets the cookies and redirects that come out).

    Args:
        store: The SQL store (its schema includes the ``identity`` branch).
        providers: The configured providers and their shared HTTP client.
        clock: The time source (by default the providers' clock).
        randomness: The CSPRNG for state, nonce, PKCE and session ids.
        policy: Session lifetimes and the cookie name.
        sessions: The session store port (SQL by default).
        audit: Where logins, registrations, links and claims are recorded
            (an :class:`ircc_account.audit.AuditLog`).
        rate_limits: Per-client limits for each endpoint.
        legacy: The legacy-file verifier, for claims.
        claim_policy: Attempt limits for claims.
    """

    def __init__(
        self,
        store: SqlStorage,
        providers: Providers,
        *,
        clock: Clock | None = None,
        randomness: Randomness | None = None,
        policy: SessionPolicy | None = None,
        sessions: SessionStore | None = None,
        audit: AuditSink | None = None,
        rate_limits: RateLimits | None = None,
        legacy: LegacyFileVerifier | None = None,
        claim_policy: ClaimPolicy | None = None,
    ) -> None:
        super().__init__(
            store,
            providers,
            clock=clock,
            randomness=randomness,
            policy=policy,
            sessions=sessions,
            audit=audit,
            rate_limits=rate_limits,
        )
        self.legacy = legacy
        self.claim_policy = claim_policy or ClaimPolicy()
