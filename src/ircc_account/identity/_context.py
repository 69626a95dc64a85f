"""
What every identity component shares: the ports, the configuration, time and randomness.
"""

from __future__ import annotations

import logging

import attrs

from ircc_account._clock import Clock, Randomness
from ircc_account._model import AuditEntry
from ircc_account._storage.ports import AuditSink, SqlStorage, SqlUnit
from ircc_account.errors import IdentityError

from ._providers import Providers
from ._ratelimit import RateLimits
from ._session_store import SessionStore
from ._session_values import SessionPolicy

__all__ = ["IdentityContext", "log_failure"]

_log = logging.getLogger("ircc_account.identity")


@attrs.define(kw_only=True, repr=False)
class IdentityContext:
    """
    The context the components of one :class:`~._identity.Identity` share.

    Mutable on purpose: ``Identity``'s public attributes read and write it,
    so a change (new rate limits, say) reaches every component at once.

    Attributes:
        store: The SQL store.
        providers: The configured providers.
        clock: The time source.
        randomness: The CSPRNG for state, nonce, PKCE and session ids.
        policy: Session lifetimes and the cookie name.
        sessions: The session store port.
        audit: Where identity operations are recorded, if anywhere.
        rate_limits: Per-client limits for each endpoint.
    """

    store: SqlStorage
    providers: Providers
    clock: Clock
    randomness: Randomness
    policy: SessionPolicy
    sessions: SessionStore
    audit: AuditSink | None
    rate_limits: RateLimits

    def record(self, uow: SqlUnit, entry: AuditEntry) -> None:
        """
        Append *entry* to the audit sink, if there is one, in the caller's unit (SEC-70).
        """
        if self.audit is not None:
            self.audit.append(uow, entry)


def log_failure(what: str, exc: IdentityError) -> None:
    """
    Log that *what* failed, with the error's code and private reason.
    """
    # The reason is a fixed code attached by the validator, never token contents.
    _log.info("%s failed: %s (%s)", what, exc.code, exc.__dict__.get("_reason", "-"))
