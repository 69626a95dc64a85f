"""
One place where what happened to a client's file is announced: grant
changes from delegation and the policy, "a representative acted" from the
audit log. Subscribers (the service registry's ``ircc_on_event`` relay,
notifications) join after they are built, so the producers never need to
know who listens, and nothing is built in a cycle.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ircc_account._model import AuditEntry, ConsentGrant
from ircc_account.audit import AuditAlerts
from ircc_account.delegation import DelegationEvents

__all__ = ["EventHub"]

_log = logging.getLogger("ircc_account")


class EventHub:
    """
    Fans delegation events and audit alerts out to its subscribers, after
    the change committed. A subscriber that raises is logged and skipped: the
    change has already happened, and the others must still hear of it.
    """

    def __init__(self) -> None:
        self._delegation: list[DelegationEvents] = []
        self._alerts: list[AuditAlerts] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: DelegationEvents | AuditAlerts) -> None:
        """
        Add *listener*: it gets grant events if it has the delegation
        methods, and "a representative acted" if it has that method.
        """
        with self._lock:
            if isinstance(listener, DelegationEvents):
                self._delegation = [*self._delegation, listener]
            if isinstance(listener, AuditAlerts):
                self._alerts = [*self._alerts, listener]

    @staticmethod
    def _safely(call: Callable[..., None], *args: object) -> None:
        try:
            call(*args)
        except Exception:
            _log.exception("an event subscriber failed: %s", getattr(call, "__qualname__", "?"))

    def grant_created(self, client_id: str, grant: ConsentGrant) -> None:
        """A grant was created."""
        for listener in self._delegation:
            self._safely(listener.grant_created, client_id, grant)

    def grant_changed(self, client_id: str, grant: ConsentGrant) -> None:
        """A grant was changed, accepted or declined."""
        for listener in self._delegation:
            self._safely(listener.grant_changed, client_id, grant)

    def grant_revoked(self, client_id: str, grant: ConsentGrant) -> None:
        """A grant was revoked."""
        for listener in self._delegation:
            self._safely(listener.grant_revoked, client_id, grant)

    def grant_first_used(self, client_id: str, grant: ConsentGrant) -> None:
        """A grant was relied on for the first time."""
        for listener in self._delegation:
            self._safely(listener.grant_first_used, client_id, grant)

    def representative_acted(self, client_id: str, entry: AuditEntry) -> None:
        """A representative's access to the client's file was committed."""
        for listener in self._alerts:
            self._safely(listener.representative_acted, client_id, entry)
