"""
What every identity component shares: the ports, the configuration, time and randomness.
"""

from __future__ import annotations

import logging

import attrs

from ircc_account._clock import Clock, Randomness
from ircc_account._model import AuditEntry, Capacity, Decision
from ircc_account._storage.ports import AuditSink, SqlStorage, SqlUnit
from ircc_account.errors import IdentityError

from ._providers import Providers
from ._ratelimit import RateLimits
from ._session_store import SessionStore
from ._session_values import SessionPolicy

__all__ = ["IdentityContext", "for_account", "log_failure", "refused_account"]

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

    def record(self, uow: SqlUnit, entry: AuditEntry, *, keep: bool = False) -> None:
        """
        Append *entry* to the audit sink, if there is one, in the caller's unit (SEC-70).

        With *keep*, a refusal's entry survives the unit rolling back.
        """
        if self.audit is not None:
            self.audit.append(uow, entry, keep=keep)

    def record_now(self, entry: AuditEntry) -> None:
        """
        Append *entry* to the audit sink, if there is one, in a transaction of its own.
        """
        if self.audit is not None:
            self.audit.append_now(entry)

    def refusal(
        self,
        action: str,
        exc: IdentityError,
        *,
        provider: str | None,
        account_id: str | None = None,
        capacity: Capacity = Capacity.CLIENT,
    ) -> AuditEntry:
        """
        The audit entry of a refused identity operation: who (the account, if
        known, else ``anonymous``), what, and the provider with the reason code.
        """
        account = account_id or refused_account(exc)
        return AuditEntry(
            occurred_at=self.clock.now(),
            actor_id=account or "anonymous",
            client_id=account,
            capacity=capacity,
            action=action,
            decision=Decision.DENIED,
            reason=f"provider {provider or '-'}: {exc.reason or exc.code}"[:200],
        )


def refused_account(exc: BaseException) -> str | None:
    """
    The account a refusal concerns, when the refusing code knew it (see :func:`for_account`).
    """
    account = exc.__dict__.get("_account")
    return account if isinstance(account, str) else None


def for_account(exc: IdentityError, account_id: str) -> IdentityError:
    """
    Mark *exc* as a refusal concerning *account_id* (so its audit entry goes to that file).
    """
    exc.__dict__["_account"] = account_id
    return exc


def log_failure(what: str, exc: IdentityError, *, provider: str | None = None) -> None:
    """
    Log, once and at WARNING, that *what* was refused, with the error's code and reason code.

    The reason is a fixed code attached by the check that refused, never token
    contents or personal data, so operators see why without debug logging.
    """
    _log.warning(
        "%s refused (provider %s): %s, reason %s",
        what,
        provider or "-",
        exc.code,
        exc.reason or "unknown",
    )
