"""
Authorization: the terms of every decision and the one protocol the front
door and the service gates depend on.

:class:`ircc_account.delegation.Policy` is the implementation: deny by
default, a client may use their own data, anyone else only under a consent
grant in force (see ``docs/delegation.md``). Every decision is recorded in the
audit log, once per access; a refusal's record survives the caller's rollback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, runtime_checkable

from ircc_account._exports import present_as_public
from ircc_account._model import Action, Actor, AuthorizationDecision, Resource
from ircc_account._storage.ports import SqlUnit

__all__ = ["Action", "AuthorizationDecision", "Authorizer", "Resource", "Veto"]

#: Objections to an access the policy allowed: ``veto(actor, action, resource)``
#: returns reasons (empty: no objection). The service registry's plugin
#: restrictions are one (SEC-94).
Veto = Callable[[Actor, "Action | str", Resource], Sequence[str]]


@runtime_checkable
class Authorizer(Protocol):
    """
    Decides and records who may do what to a client's data.
    ``ircc_account.delegation.Policy`` fits it.
    """

    def authorize(
        self,
        actor: Actor,
        action: Action | str,
        resource: Resource,
        *,
        uow: SqlUnit,
        correlation_id: str | None = None,
        record_as: str | None = None,
        veto: Veto | None = None,
        durable_now: bool = False,
        recorder: Callable[..., object] | None = None,
    ) -> AuthorizationDecision:
        """
        Decide and record the decision: one audit entry, in *uow*; a refusal
        is kept even if *uow* rolls back. With *durable_now* (reads), the
        entry is written in a transaction of its own, durable on return.

        Args:
            actor: Who asks (a plugin is judged as the actor it acts for).
            action: What they want to do.
            resource: Whose data, from the stored record (SEC-50).
            uow: The caller's unit of work.
            correlation_id: Ties the entry to the request.
            record_as: The audit action to record.
            veto: Objections asked only when the policy allows.
            durable_now: Record now, on its own (for reads).
            recorder: Records the entry instead, with *durable_now*; the
                caller then waits until it is durable before handing anything out.
        """
        ...

    def decide(
        self, actor: Actor, action: Action | str, resource: Resource, *, uow: SqlUnit
    ) -> AuthorizationDecision:
        """
        The decision, unrecorded: for a caller that records one access itself.
        """
        ...

    def record(
        self,
        actor: Actor,
        action: Action | str,
        resource: Resource,
        decision: AuthorizationDecision,
        *,
        uow: SqlUnit,
        correlation_id: str | None = None,
        record_as: str | None = None,
        durable_now: bool = False,
    ) -> None:
        """
        Record a decision made with :meth:`decide` (or a refusal such as
        ``not_found``): one entry, kept past a rollback when it is a refusal;
        with *durable_now*, on its own and durable on return.
        """
        ...

    def scopes_held(
        self, actor: Actor, client_id: str, *, uow: SqlUnit, service_ids: Iterable[str]
    ) -> dict[str, frozenset[str]] | None:
        """
        The scopes *actor* may use now on each service for *client_id*
        (``None``: the client themself, every scope). Unrecorded.
        """
        ...


present_as_public(globals(), __name__)
