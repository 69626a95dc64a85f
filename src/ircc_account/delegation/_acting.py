"""
Acting on behalf of a client: never impersonation.

A representative switching to a client keeps their own identity; the new
:class:`ActingContext` names both, and the ``on_acting_changed`` hook lets the
identity layer rotate the session id at that moment (session fixation across
a privilege change). Every later request is still authorized on its own, and
its audit entry names the actor and the client.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

import attrs

from ircc_account._model._authz import Actor
from ircc_account._storage.ports import SqlUnit
from ircc_account.delegation._policy import Policy

__all__ = ["ActingContext", "ActingHook", "begin_acting_for", "stop_acting"]


@attrs.frozen(kw_only=True)
class ActingContext:
    """
    A representative acting for one client.

    Attributes:
        actor: The representative, with their own identity and login.
        client_id: The client acted for (the RFC 8693 subject).
        started_at: When the switch happened (UTC).
        grant_id: The grant that allowed the switch (each request is still
            authorized on its own).
        organisation_id: The office or firm the grant reached them through, if any.
    """

    actor: Actor
    client_id: str
    started_at: dt.datetime
    grant_id: str | None = None
    organisation_id: str | None = None


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


def begin_acting_for(
    policy: Policy,
    actor: Actor,
    client_id: str,
    *,
    uow: SqlUnit,
    previous: ActingContext | None = None,
    on_acting_changed: ActingHook | None = None,
    correlation_id: str | None = None,
) -> ActingContext:
    """
    Switch *actor* to acting for *client_id*, if a grant in force allows any access.

    Args:
        policy: The authorization policy (it audits the switch in *uow*).
        actor: The representative.
        client_id: The client to act for.
        uow: The caller's unit of work.
        previous: The context being left, if any.
        on_acting_changed: Called with ``(previous, new)`` once the switch is
            allowed; the identity layer rotates the session id there.
        correlation_id: Ties the recorded switch to the request.

    Raises:
        AuthorizationError: no grant in force reaches *actor* for this client
            (``params["reason"]`` says why); the refusal is recorded even if
            *uow* then rolls back.
    """
    decision = policy.reach(actor, client_id, uow=uow, correlation_id=correlation_id)
    if not decision.allowed:
        raise decision.refusal()
    context = ActingContext(
        actor=actor,
        client_id=client_id,
        started_at=policy.clock.now(),
        grant_id=decision.grant_id,
        organisation_id=decision.organisation_id,
    )
    if on_acting_changed is not None:
        on_acting_changed(previous, context)
    return context


def stop_acting(context: ActingContext, *, on_acting_changed: ActingHook | None = None) -> None:
    """
    Leave *context*; the hook is called with ``(context, None)``.
    """
    if on_acting_changed is not None:
        on_acting_changed(context, None)
