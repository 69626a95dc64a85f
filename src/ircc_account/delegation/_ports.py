"""
The small ports the delegation package depends on, so each side can be swapped.

* :class:`AuditSink`: where decisions are recorded (``ircc_account.audit.AuditLog``
  fits it).
* :class:`LicenceVerifier`: asks a licensing body whether a paid
  representative's licence is in good standing.
* :class:`DelegationEvents`: tells the client that a grant was created,
  changed, revoked or first used (wired to the notification hooks).
* :class:`ReplayStore`: remembers the delegation tokens a verifier has
  already accepted, so each is used once.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

from ircc_account._model._delegation import ConsentGrant, Licence, LicenceStatus
from ircc_account._storage.ports import AuditSink

__all__ = ["AuditSink", "DelegationEvents", "LicenceVerifier", "NoEvents", "ReplayStore"]


@runtime_checkable
class LicenceVerifier(Protocol):
    """
    Checks a paid representative's licence with its body (CICC, a law society,
    the Chambre des notaires). Called at registration and by
    :meth:`~ircc_account.delegation.Delegation.refresh_licence`, never per request.
    """

    def verify(self, licence: Licence) -> LicenceStatus:
        """
        Ask the body about *licence*.

        Returns:
            Whether it is in good standing, and its last valid day.
        """
        ...


@runtime_checkable
class DelegationEvents(Protocol):
    """
    Receives grant lifecycle events, after the change has committed.

    Implementations must not raise: the change has already happened.
    """

    def grant_created(self, client_id: str, grant: ConsentGrant) -> None:
        """A grant was created (active, or a pending request from a representative)."""
        ...

    def grant_changed(self, client_id: str, grant: ConsentGrant) -> None:
        """A grant was changed (new version), accepted or declined."""
        ...

    def grant_revoked(self, client_id: str, grant: ConsentGrant) -> None:
        """A grant was revoked by the client."""
        ...

    def grant_first_used(self, client_id: str, grant: ConsentGrant) -> None:
        """A grant was relied on for the first time."""
        ...


class NoEvents:
    """
    A :class:`DelegationEvents` that drops every event.
    """

    def grant_created(self, client_id: str, grant: ConsentGrant) -> None:
        """Ignore."""

    def grant_changed(self, client_id: str, grant: ConsentGrant) -> None:
        """Ignore."""

    def grant_revoked(self, client_id: str, grant: ConsentGrant) -> None:
        """Ignore."""

    def grant_first_used(self, client_id: str, grant: ConsentGrant) -> None:
        """Ignore."""


@runtime_checkable
class ReplayStore(Protocol):
    """
    Token ids (``jti``) a delegation token verifier has accepted, each kept
    until its token expires: a token is good for one use.

    :class:`~ircc_account.delegation.MemoryReplayStore` serves one process;
    :class:`~ircc_account.delegation.SqlReplayStore` every process on one database.
    """

    def first_use(self, issuer: str, jti: str, expires_at: dt.datetime) -> bool:
        """
        Remember (*issuer*, *jti*) until *expires_at*.

        Returns:
            ``True`` the first time; ``False`` if it was seen before (a
            replay). Of two concurrent first uses, exactly one gets ``True``.
        """
        ...
