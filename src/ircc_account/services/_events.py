"""
Delegation and audit notifications, relayed to the plugins' ``ircc_on_event``.
"""

from __future__ import annotations

from ircc_account._clock import Clock, SystemClock
from ircc_account._model import AuditEntry
from ircc_account._model._delegation import ConsentGrant
from ircc_account.services._registry import ServiceRegistry
from ircc_account.services._values import EventKind, ServiceEvent

__all__ = ["RegistryEvents"]


class RegistryEvents:
    """
    Turns delegation and audit notifications into :class:`ServiceEvent` for
    ``ircc_on_event``: it fits ``ircc_account.delegation``'s ``DelegationEvents``
    and ``ircc_account.audit``'s ``AuditAlerts``.

    Args:
        registry: Where events are published.
        clock: Stamps grant events.
    """

    def __init__(self, registry: ServiceRegistry, clock: Clock | None = None) -> None:
        self._registry = registry
        self._clock = clock or SystemClock()

    def _grant(self, kind: EventKind, client_id: str, grant: ConsentGrant) -> None:
        self._registry.publish(
            ServiceEvent(
                kind=kind,
                client_id=client_id,
                occurred_at=self._clock.now(),
                grant_id=grant.grant_id,
                actor_id=grant.grantee_id,
            )
        )

    def grant_created(self, client_id: str, grant: ConsentGrant) -> None:
        """A grant was created."""
        self._grant(EventKind.GRANT_CREATED, client_id, grant)

    def grant_changed(self, client_id: str, grant: ConsentGrant) -> None:
        """A grant was changed, accepted or declined."""
        self._grant(EventKind.GRANT_CHANGED, client_id, grant)

    def grant_revoked(self, client_id: str, grant: ConsentGrant) -> None:
        """A grant was revoked."""
        self._grant(EventKind.GRANT_REVOKED, client_id, grant)

    def grant_first_used(self, client_id: str, grant: ConsentGrant) -> None:
        """A grant was relied on for the first time."""
        self._grant(EventKind.GRANT_FIRST_USED, client_id, grant)

    def representative_acted(self, client_id: str, entry: AuditEntry) -> None:
        """A representative's access to the client's file was committed."""
        self._registry.publish(
            ServiceEvent(
                kind=EventKind.REPRESENTATIVE_ACTED,
                client_id=client_id,
                occurred_at=entry.occurred_at,
                service_id=entry.service_id,
                item_id=entry.item_id,
                actor_id=entry.actor_id,
            )
        )
