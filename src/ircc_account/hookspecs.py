"""
The hooks a service plugin implements, and the markers to implement them.

Every service behind the front door is a pluggy plugin: a module or object
whose functions are marked with :data:`hookimpl` and named after a hook
below. A plugin implements only the hooks it needs and, for each, only the
arguments it uses (pluggy passes a hook implementation just the arguments it
names). That is why hooks only ever *grow by adding arguments*: an existing
plugin simply does not ask for the new one and keeps working. A hook is never
renamed or given a new meaning; a retired hook gets ``warn_on_impl``.

The registry (:class:`ircc_account.services.ServiceRegistry`) calls each
plugin's implementation on its own, with a deadline, and validates what it
returns; it never uses pluggy's call loop for plugin hooks (that loop stops at
the first exception, SEC-93). No hook here is ``firstresult``, and no hook can
grant access: a plugin can only offer its own data, or restrict (SEC-94).

See ``docs/hooks.md`` for the reference and ``docs/plugins.md`` for a guide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ircc_account._model import Action, Actor, Resource, ServiceItem, TimelineEvent

    # The defining modules, not the package: the registry imports this module.
    from ircc_account.services._context import ServiceContext
    from ircc_account.services._manifest import ServiceManifest
    from ircc_account.services._values import (
        ActionOffer,
        ActionResult,
        ServiceEvent,
    )

__all__ = [
    "PROJECT_NAME",
    "hookimpl",
    "hookspec",
    "ircc_client_items",
    "ircc_is_eligible",
    "ircc_item_actions",
    "ircc_item_timeline",
    "ircc_on_event",
    "ircc_perform_action",
    "ircc_perform_service_action",
    "ircc_restrict_access",
    "ircc_service_actions",
    "ircc_service_manifest",
    "ircc_shutdown",
    "ircc_startup",
]

#: The pluggy project name; markers and the plugin manager must agree on it.
PROJECT_NAME = "ircc_account"

#: Marks a function as the specification of a hook (used only here).
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Marks a plugin's function as the implementation of a hook.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def ircc_service_manifest() -> ServiceManifest:  # type: ignore[empty-body]
    """
    Describe the service this plugin provides. Called once, at start-up.

    Returns:
        The plugin's :class:`~ircc_account.services.ServiceManifest`: its
        stable id (equal to its entry-point name), version, English and French
        title and description, the assurance level it needs, the scopes it
        understands, its eligibility rules and its rollout. A manifest missing
        a language, or a hook that raises, refuses the plugin at start-up.
    """


@hookspec
def ircc_startup(settings: Mapping[str, Any]) -> None:
    """
    Get ready to serve: build HTTP clients and the like from the settings the
    host gave the registry for this plugin. Called once, at start-up, after
    every plugin registered and before any request. Do no I/O here that can
    hang: it has the registry's deadline.

    Args:
        settings: This plugin's settings, as the host passed them
            (``ServiceRegistry(settings={service_id: {...}})``, or
            ``FrontDoorConfig.plugin_settings``); empty if none. Read-only.

    Returns:
        Nothing. An exception or a timeout refuses start-up with
        ``ServiceManifestInvalid`` naming the plugin.
    """


@hookspec
def ircc_shutdown() -> None:
    """
    Release what :func:`ircc_startup` built (close HTTP clients). Called once
    when the registry closes (``FrontDoor.close()``), within the deadline; a
    plugin still running then is abandoned.

    Returns:
        Nothing; the return value and any exception are ignored (an
        exception is logged).
    """


@hookspec
def ircc_is_eligible(ctx: ServiceContext) -> bool:  # type: ignore[empty-body]
    """
    Decide whether the service is offered to this client, beyond the
    manifest's declarative rules. Optional; called before the items.

    Args:
        ctx: The request's context: the actor, the client acted for, the
            granted scopes, the clock and the storage gates.

    Returns:
        ``True`` to offer the service; anything else means not eligible (no
        tile). An exception or a timeout shows the tile as unavailable.
        Eligibility never grants access to data: every read still goes
        through the policy.
    """


@hookspec
def ircc_client_items(ctx: ServiceContext) -> Sequence[ServiceItem]:  # type: ignore[empty-body]
    """
    List the client's items (applications, cases) held by this service, with
    their current state. Called for the dashboard, concurrently across services.

    Args:
        ctx: The request's context (see :class:`~ircc_account.services.ServiceContext`).
            Read stored items with ``ctx.items.list()``.

    Returns:
        A list or tuple of :class:`~ircc_account.services.ServiceItem`, each with
        ``account_id == ctx.client_id`` and ``service_id`` equal to this
        service's id, with unique ids, at most the manifest's ``max_items``.
        Anything else is refused (``service.bad_output``) and the tile says the
        service is unavailable.
    """


@hookspec
def ircc_item_timeline(ctx: ServiceContext, item_id: str) -> Sequence[TimelineEvent]:  # type: ignore[empty-body]
    """
    Tell the story of one item, oldest event first.

    Args:
        ctx: The request's context.
        item_id: The item, as this service returned it from
            :func:`ircc_client_items`.

    Returns:
        A list or tuple of :class:`~ircc_account.services.TimelineEvent` for *item_id*,
        with unique event ids, at most 500.
    """


@hookspec
def ircc_item_actions(ctx: ServiceContext, item_id: str) -> Sequence[ActionOffer]:  # type: ignore[empty-body]
    """
    List what the actor may do with an item right now (upload a document,
    withdraw, ask a question).

    Args:
        ctx: The request's context; ``ctx.scopes`` holds the scopes the actor
            was granted, so a representative with ``view_status`` only sees no
            actions.
        item_id: The item.

    Returns:
        A list or tuple of :class:`~ircc_account.services.ActionOffer` with
        unique action names, each naming the scope it needs (one the manifest
        declares). The registry drops offers whose scope the actor lacks.
    """


@hookspec
def ircc_perform_action(  # type: ignore[empty-body]
    ctx: ServiceContext, item_id: str, action: str, payload: Mapping[str, str]
) -> ActionResult:
    """
    Do an action the service offered for an item. The registry calls it only
    for an action :func:`ircc_item_actions` offered to this actor just now.

    Args:
        ctx: The request's context. Change stored data through its gates
            (``ctx.items.set_state``, ``ctx.timeline.append``): they check the
            policy and write the audit log.
        item_id: The item.
        action: The offered action's name.
        payload: The form fields the client sent: strings, at most 50 keys and
            10,000 characters per value (checked before the call).

    Returns:
        An :class:`~ircc_account.services.ActionResult`: whether it worked and a
        bilingual message for the client.
    """


@hookspec
def ircc_service_actions(ctx: ServiceContext) -> Sequence[ActionOffer]:  # type: ignore[empty-body]
    """
    List what the actor may do in this service that is not about one item
    ("start an application", "ask a question"). Called for the dashboard in
    the same task and deadline as :func:`ircc_client_items`; the offers show
    on the service's tile (``Tile.actions``).

    Args:
        ctx: The request's context; ``ctx.scopes`` holds the actor's scopes.

    Returns:
        A list or tuple of :class:`~ircc_account.services.ActionOffer` with
        unique action names, each naming a scope the manifest declares. The
        registry drops offers whose scope the actor lacks.
    """


@hookspec
def ircc_perform_service_action(  # type: ignore[empty-body]
    ctx: ServiceContext, action: str, payload: Mapping[str, str]
) -> ActionResult:
    """
    Do a service-level action. The registry calls it only for an action
    :func:`ircc_service_actions` offered to this actor just now, after the
    front door's policy allowed the offer's scope (one recorded decision).

    Args:
        ctx: The request's context. Create items with ``ctx.items.add``,
            keep drafts with ``ctx.records.put``.
        action: The offered action's name.
        payload: The form fields the client sent: strings, at most 50 keys and
            10,000 characters per value (checked before the call).

    Returns:
        An :class:`~ircc_account.services.ActionResult`: whether it worked, a
        bilingual message, and the item it created, if any.
    """


@hookspec
def ircc_restrict_access(actor: Actor, action: Action | str, resource: Resource) -> Sequence[str]:  # type: ignore[empty-body]
    """
    Give reasons to deny an access the policy allowed. Every plugin's
    implementation is asked; any reason denies (SEC-94). Plugins can only
    restrict: returning nothing never allows what the policy denied.

    Args:
        actor: Who asks (for a plugin's own access, the plugin, acting
            ``on_behalf_of`` the user).
        action: What they want to do (an :class:`~ircc_account.authz.Action` or a
            service's own ``service_id:name``).
        resource: Whose data: client, service, item, field group.

    Returns:
        Short machine-readable deny reasons (identifiers, e.g. ``embargo``);
        an empty sequence for no objection. An exception, a timeout or a
        malformed answer counts as a deny.
    """


@hookspec
def ircc_on_event(event: ServiceEvent) -> None:
    """
    React to something that happened to a client's file: an item's status
    changed, a document was requested, a decision was made, a consent grant
    was created, changed, revoked or first used, or a representative acted.
    Called after the change committed. A plugin hears only events about its
    own service, unless its manifest says ``hears=EventAudience.ALL`` (a
    notification service, which sends email or SMS from here).

    Args:
        event: A :class:`~ircc_account.services.ServiceEvent`: identifiers,
            the kind, the time and a bilingual summary; no personal data.

    Returns:
        Nothing; the return value is ignored, and so is an exception (logged).
    """
