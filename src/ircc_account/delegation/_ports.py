"""
The small ports the delegation package depends on, so each side can be swapped.

* :class:`AuditSink`: where decisions are recorded (``ircc_account.audit.AuditLog``
  fits it).
* :class:`LicenceVerifier`: asks a licensing body whether a paid
  representative's licence is in good standing.
* :class:`DelegationEvents`: tells the client that a grant was created,
  changed, revoked or first used (wired to the notification hooks).
* :class:`ActingHook`: told when a representative starts or stops acting for a
  client, so the identity layer can rotate the session id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ircc_account._model._delegation import ConsentGrant, Licence, LicenceStatus
from ircc_account._storage.ports import AuditSink

if TYPE_CHECKING:
    from ircc_account.delegation._acting import ActingContext

__all__ = ["ActingHook", "AuditSink", "DelegationEvents", "LicenceVerifier", "NoEvents"]


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
class ActingHook(Protocol):
    """
    Called when a representative switches to a client (or back), after the
    policy allowed it. The identity layer rotates the session id here.
    """

    def __call__(self, previous: ActingContext | None, current: ActingContext | None) -> None:
        """
        *previous* is the context being left (``None`` if acting for nobody),
        *current* the one entered (``None`` when acting stops).
        """
        ...
