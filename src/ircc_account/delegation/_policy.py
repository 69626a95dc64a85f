"""
The one authorization entry point: :meth:`Policy.authorize`.

Deny by default (SEC-49). A client may use their own data; anyone else only
under an active consent grant that covers the resource with the scope the
action needs, from a representative whose licence (paid kinds) is valid and,
for an organisation's grant, whose membership is current and in the allowed
access group, logged in at least at the service's declared assurance (SEC-59).

Decisions use the request's top-level subject and current actor only
(SEC-58); a plugin is judged as the actor it acts for, with no more rights
(SEC-94/95). Every decision is written to the audit sink in the caller's unit
of work.

Caching (SEC-56): the inputs of a decision for a (client, representative)
pair are cached in-process, tagged with three version counters (the
client's, the representative's, and a global one for the organisation tree).
Every grant, membership, licence or organisation change bumps the matching
counter in its own transaction. The first decision for a pair in each unit of
work runs one statement that re-reads the counters and, only if they moved
(or nothing is cached), returns the pair's rows too, so a revocation
committed by any process is honoured on the next request; later decisions
for the same pair in the same unit reuse that check. Time (grant windows,
licence expiry, lapsed requests) is evaluated on every call.

The audit entry of every decision is built by :func:`_audit_entry`, which
validates each caller-supplied value (actor, resource, action, correlation
id, the clock's instant) as ``AuditEntry`` would, but not again the values
the policy produced itself (its decision, reason, and the grant and
organisation ids validated when the pair's rows were read).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import attrs

from ircc_account._clock import Clock
from ircc_account._model import _validate as v
from ircc_account._model._accounts import AssuranceLevel
from ircc_account._model._audit import AuditEntry, Capacity, Decision
from ircc_account._model._authz import Action, Actor, AuthorizationDecision, Resource
from ircc_account._model._delegation import (
    REQUEST_LIFETIME,
    OrganisationKind,
    RepresentativeKind,
    Scope,
)
from ircc_account._storage.ports import SqlUnit
from ircc_account.authz import Veto
from ircc_account.delegation import _repo
from ircc_account.delegation._ports import AuditSink, DelegationEvents, NoEvents

__all__ = ["DENIAL_REASONS", "RESTRICTED_FIELDS", "Policy", "RecordNow", "scope_for"]

#: Records one audit entry durably, in a transaction of its own:
#: ``record_now(entry, on_behalf_of=...)`` (``AuditLog.append_now`` fits, as
#: does ``GroupCommitAppender.submit``).
RecordNow = Callable[..., object]

#: Every reason a refusal can carry: stable, machine-readable, recorded in
#: the audit entry and shown to the client in their history (each has words
#: in English and French there). A refusal by a plugin's restriction hook is
#: recorded as ``restricted:<plugin>:<reason>``; its key here is
#: ``restricted`` (the part before the first colon).
#:
#: * ``no_grant``: nothing reaches the actor (no grant from this client, a
#:   request the client has not accepted yet, someone else's login).
#: * ``not_yet_valid``: the grant that would allow it starts later.
#: * ``expired``: the grant that would allow it has ended.
#: * ``revoked``: the client revoked the grant that would allow it.
#: * ``lapsed``: the representative's request was not accepted within 7 days.
#: * ``declined``: the client declined the representative's request.
#: * ``scope``: the grants in force do not allow this action (or this kind
#:   of representative may never do it).
#: * ``membership``: the organisation's grant names an access group (or its
#:   administrators) the actor is not in now.
#: * ``not_licensed``: a firm's grant reaching a member who is not a
#:   licensed representative.
#: * ``licence``: a paid representative's licence has lapsed or was withdrawn.
#: * ``assurance``: the login is weaker than the service needs (step up).
#: * ``field``: a field group no delegate reads (contact, banking, representatives).
#: * ``capacity``: officers and system jobs are not authorized by this policy;
#:   a delegation token is for a representative only.
#: * ``plugin``: a plugin acting for no one, or for grants or the profile.
#: * ``not_found``: no such item for this client (the front door).
#: * ``not_offered``: the action was not offered to this actor (the front door).
#: * ``restricted``: a plugin's restriction hook objected.
DENIAL_REASONS = frozenset(
    {
        "no_grant",
        "not_yet_valid",
        "expired",
        "revoked",
        "lapsed",
        "declined",
        "scope",
        "membership",
        "not_licensed",
        "licence",
        "assurance",
        "field",
        "capacity",
        "plugin",
        "not_found",
        "not_offered",
        "restricted",
    }
)

#: Field groups a delegate never reads or writes (SEC-51).
RESTRICTED_FIELDS = frozenset({"contact", "banking", "representatives"})

_ACTION_SCOPE: dict[Action, str | None] = {
    Action.VIEW_STATUS: Scope.VIEW_STATUS.value,
    Action.VIEW_DECISION_NOTES: Scope.VIEW_DECISION_NOTES.value,
    Action.ENQUIRE: Scope.ENQUIRE.value,
    Action.SUBMIT_DOCUMENTS: Scope.SUBMIT_DOCUMENTS.value,
    Action.ACT: Scope.ACT.value,
    # Seeing the profile is part of acting on the file; its contact and
    # banking fields stay out of reach through RESTRICTED_FIELDS.
    Action.VIEW_PROFILE: Scope.ACT.value,
    # Never delegable (SEC-57, SEC-51): only the client changes their profile
    # or their grants.
    Action.CHANGE_PROFILE: None,
    Action.MANAGE_GRANTS: None,
}

#: What an MP's or Senator's office may ever do (SEC-52: status enquiries only).
PARLIAMENTARY_SCOPES = frozenset({Scope.VIEW_STATUS.value, Scope.ENQUIRE.value})
#: What a designated individual may ever do: receive information, never act.
DESIGNATED_SCOPES = frozenset({Scope.VIEW_STATUS.value, Scope.VIEW_DECISION_NOTES.value})

# Actions that change a file: a client needs the service's level for these too.
_ACTING = frozenset(
    {Action.SUBMIT_DOCUMENTS, Action.ACT, Action.CHANGE_PROFILE, Action.MANAGE_GRANTS}
)
_NEVER_FOR_PLUGINS = frozenset({Action.CHANGE_PROFILE, Action.MANAGE_GRANTS})
_PARLIAMENTARY_ORGS = frozenset(
    {OrganisationKind.MP_OFFICE.value, OrganisationKind.SENATOR_OFFICE.value}
)
_PAID_ORGS = frozenset({OrganisationKind.LAW_FIRM.value, OrganisationKind.CONSULTANCY.value})
_DAY_US = 86_400_000_000
_ACTION_VALUES = frozenset(a.value for a in Action)
#: The audit action of each built-in action (constants, valid identifiers).
_AUDIT_ACTION = {a: v.identifier("action", "authz." + a.value) for a in Action}


def scope_for(action: Action | str) -> str | None:
    """
    The grant scope *action* needs, or ``None`` if no grant can allow it.

    A service-defined action ``service_id:name`` needs exactly that scope.
    """
    if isinstance(action, Action):
        return _ACTION_SCOPE[action]
    try:
        return _ACTION_SCOPE[Action(action)]
    except ValueError:
        service, sep, name = action.partition(":")
        return action if sep and service and name else None


@dataclass(slots=True, frozen=True)
class _Grant:
    grant_id: str
    org_id: str | None
    scopes: frozenset[str]
    coverage: str
    target: str | None
    valid_from: int
    valid_until: int | None
    access_group: str | None
    first_used: bool
    #: The (immutable) decision allowing a request under this grant.
    allow: AuthorizationDecision
    #: ``active``, ``pending``, ``declined`` or ``revoked`` (as stored).
    status: str
    created_at: int


@dataclass(slots=True, frozen=True)
class _Member:
    started: int
    ended: int | None
    groups: frozenset[str]
    administrator: bool
    org_kind: str


@dataclass(slots=True, frozen=True)
class _Entry:
    versions: tuple[int, int, int]
    kind: RepresentativeKind | None
    account_id: str | None
    licence_until: int | None
    #: The pair's active grants (the only ones that can allow anything).
    grants: tuple[_Grant, ...]
    #: Its other grants: revoked, declined, pending; only for a refusal's reason.
    inactive: tuple[_Grant, ...]
    members: Mapping[str, tuple[_Member, ...]]
    #: The scopes the representative's kind may use under their own grants
    #: (``None``: any).
    own_scopes: frozenset[str] | None


class Policy:
    """
    The authorization policy.

    Args:
        clock: The time source.
        audit: Where every decision is recorded (in the caller's unit of work).
        events: Told when a grant is used for the first time.
        record_now: Records one decision durably in a transaction of its own
            (for reads: see ``durable_now`` on :meth:`authorize`); the front
            door passes its group-commit appender, so concurrent reads share
            one flush. The audit sink's ``append_now`` by default.
        service_levels: Each service's declared assurance level; a
            representative needs it for any action on that service's data, a
            client for acting (submit, act, change).
        default_level: The level for resources of undeclared services or none.
        cache_size: How many (client, representative) pairs to keep.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        audit: AuditSink,
        events: DelegationEvents | None = None,
        record_now: RecordNow | None = None,
        service_levels: Mapping[str, AssuranceLevel] | None = None,
        default_level: AssuranceLevel = AssuranceLevel.MODERATE,
        cache_size: int = 100_000,
    ) -> None:
        self._clock = clock
        self._audit = audit
        self._record_now: RecordNow = record_now or audit.append_now
        # Writable units for a first use noted during a read (the sink's store).
        store = getattr(audit, "store", None)
        self._units: Callable[[], SqlUnit] | None = None if store is None else store.unit_of_work
        self._events = events or NoEvents()
        self._levels = dict(service_levels or {})
        self._default_level = default_level
        self._cache: dict[tuple[str, str], _Entry] = {}
        self._cache_size = cache_size
        self._checked: weakref.WeakKeyDictionary[SqlUnit, set[tuple[str, str]]] = (
            weakref.WeakKeyDictionary()
        )
        self._used: set[str] = set()
        # The unit of work seen last, its checked pairs, and the DIRTY_EPOCH
        # at which it was found clean: saves the weak-dictionary lookups on
        # repeated decisions in one request.
        self._last: tuple[weakref.ref[SqlUnit], set[tuple[str, str]], int] | None = None
        # The clock's last instant, validated, and in microseconds.
        self._now: tuple[Any, Any, int] = (None, None, 0)

    def __repr__(self) -> str:
        return f"Policy(cached_pairs={len(self._cache)})"

    def declare_service_levels(self, levels: Mapping[str, AssuranceLevel]) -> None:
        """
        Record the login assurance each service needs (from its manifest);
        acting on a service's items then requires at least that level.

        Called by the front door once the service registry has started.
        """
        self._levels.update(levels)

    @property
    def clock(self) -> Clock:
        """The policy's time source."""
        return self._clock

    # --- the entry point ------------------------------------------------------------

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
        recorder: RecordNow | None = None,
    ) -> AuthorizationDecision:
        """
        Decide whether *actor* may do *action* to *resource*, and record the
        decision: exactly one audit entry per call.

        *resource* must come from the stored record (its owner, service and
        item), never from request parameters (SEC-50).

        An allowed decision's entry commits with *uow* (SEC-70). A refusal's
        entry is kept even if *uow* rolls back (the natural ``with uow:`` plus
        a raise), so the client always sees refused attempts (SEC-67).

        Args:
            actor: The authenticated party. For a plugin, its ``on_behalf_of``
                is judged instead, and never with more rights; for anyone
                else ``on_behalf_of`` is ignored.
            action: An :class:`Action`, or a service's own ``service_id:name``.
            resource: Whose data, which service, item and field group.
            uow: The caller's unit of work (the audit entry joins it; commit it).
            correlation_id: Ties the audit entry to the request.
            record_as: The audit action to record (``service.item.read``,
                ``door.item.view``); ``authz.<action>`` by default.
            veto: Asked only when the policy allows: objections (for example
                every plugin's ``ircc_restrict_access``) turn the decision
                into a refusal with the reason ``restricted:<objection>``
                (SEC-94). Its answer is part of the one recorded decision.
            durable_now: For a read, whose unit commits nothing: record the
                decision in a transaction of its own, durable before this
                returns (concurrent reads share one flush through the front
                door's group commit), so the data is handed out only once its
                access is on record (SEC-66, fail closed). *uow* may then be
                read-only.
            recorder: With *durable_now*, records the entry instead of the
                policy's own ``record_now``. A caller that only queues it
                (``GroupCommitAppender.submit_async``) takes on waiting until
                it is durable before handing anything out: the front door does
                so to let a page's records share one flush.

        Returns:
            The decision: allowed or not, the reason, the grant relied on, and
            for a step-up, the assurance level needed.
        """
        if not isinstance(action, Action) and action in _ACTION_VALUES:
            action = Action(action)
        now = self._clock.now()
        occurred, at = self._instant(now)
        decision, first_use = self._decide(actor, action, resource, uow, at)
        if decision.allowed and veto is not None:
            objections = veto(actor, action, resource)
            if objections:
                decision = AuthorizationDecision(
                    allowed=False,
                    reason=("restricted:" + objections[0])[:200],
                    grant_id=decision.grant_id,
                    organisation_id=decision.organisation_id,
                )
        entry = _audit_entry(occurred, actor, action, resource, decision, correlation_id, record_as)
        if durable_now:
            (recorder or self._record_now)(entry, on_behalf_of=_principal_id(actor))
            if decision.allowed and first_use and decision.grant_id is not None:
                self._first_use_now(
                    actor, resource.client_id, decision.grant_id, now, correlation_id
                )
            return decision
        self._audit.append(uow, entry, on_behalf_of=_principal_id(actor), keep=not decision.allowed)
        if decision.allowed and first_use and decision.grant_id is not None:
            self._first_use(uow, actor, resource.client_id, decision.grant_id, now, correlation_id)
        return decision

    def require(
        self,
        actor: Actor,
        action: Action | str,
        resource: Resource,
        *,
        uow: SqlUnit,
        correlation_id: str | None = None,
        record_as: str | None = None,
        veto: Veto | None = None,
    ) -> AuthorizationDecision:
        """
        Like :meth:`authorize`, but raise when denied.

        Raises:
            AuthorizationError: denied; ``params["reason"]`` holds the
                policy's reason. The refusal is recorded even if *uow* then
                rolls back.
        """
        decision = self.authorize(
            actor,
            action,
            resource,
            uow=uow,
            correlation_id=correlation_id,
            record_as=record_as,
            veto=veto,
        )
        if not decision.allowed:
            raise decision.refusal()
        return decision

    def decide(
        self, actor: Actor, action: Action | str, resource: Resource, *, uow: SqlUnit
    ) -> AuthorizationDecision:
        """
        The decision :meth:`authorize` would make, without recording it.

        Only for a caller that records the access itself, once, with
        :meth:`record` (for example a list filtered item by item is one
        access, not one per item). A grant's first use is noted only by
        :meth:`authorize`.
        """
        if not isinstance(action, Action) and action in _ACTION_VALUES:
            action = Action(action)
        _, at = self._instant(self._clock.now())
        return self._decide(actor, action, resource, uow, at)[0]

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
        Record a decision the caller made with :meth:`decide` (or a refusal
        it made itself, such as ``not_found``): one audit entry, kept past a
        rollback when it is a refusal; with *durable_now*, in a transaction
        of its own (see :meth:`authorize`).
        """
        if not isinstance(action, Action) and action in _ACTION_VALUES:
            action = Action(action)
        occurred, _ = self._instant(self._clock.now())
        entry = _audit_entry(occurred, actor, action, resource, decision, correlation_id, record_as)
        if durable_now:
            self._record_now(entry, on_behalf_of=_principal_id(actor))
            return
        self._audit.append(uow, entry, on_behalf_of=_principal_id(actor), keep=not decision.allowed)

    def reach(
        self,
        actor: Actor,
        client_id: str,
        *,
        uow: SqlUnit,
        correlation_id: str | None = None,
        record_as: str = "acting.begin",
    ) -> AuthorizationDecision:
        """
        Whether *actor* holds any grant in force for *client_id* right now
        (to start acting for them, or to list them as a client), recorded as
        *record_as*; a refusal is kept past a rollback.

        Unlike :meth:`authorize` this asks for no particular scope or item;
        every later request is still authorized on its own.
        """
        now = self._clock.now()
        decision = _deny("no_grant")
        if actor.capacity is Capacity.REPRESENTATIVE and actor.representative_id is not None:
            at = _repo.micros(now)
            entry = self._entry(uow, client_id, actor.representative_id, at)
            if entry.kind is not None and entry.account_id == actor.account_id:
                grant, reason = _find_grant(entry, None, None, at)
                if reason != "grant" or grant is None:
                    decision = _deny(reason, grant)
                elif entry.kind.is_paid and (
                    entry.licence_until is None or at >= entry.licence_until
                ):
                    decision = _deny("licence", grant)
                else:
                    decision = grant.allow
        self._audit.append(
            uow,
            AuditEntry(
                occurred_at=now,
                actor_id=actor.actor_id,
                client_id=client_id,
                capacity=actor.capacity,
                action=record_as,
                decision=Decision.ALLOWED if decision.allowed else Decision.DENIED,
                reason=decision.reason,
                grant_id=decision.grant_id,
                organisation_id=decision.organisation_id,
                correlation_id=correlation_id,
            ),
            on_behalf_of=_principal_id(actor),
            keep=not decision.allowed,
        )
        return decision

    def scopes_held(
        self,
        actor: Actor,
        client_id: str,
        *,
        uow: SqlUnit,
        service_ids: Iterable[str],
        item_id: str | None = None,
    ) -> dict[str, frozenset[str]] | None:
        """
        The scopes *actor* may use right now on each of *service_ids* for
        *client_id*, from every grant in force that reaches them (their own,
        and their organisations' for their access groups), with each
        representative kind's limits applied; services with none are left out.

        Without *item_id* a grant for a single item counts for that item's
        service (a dashboard shows its tile). With *item_id* (an item's page,
        an action on it) a grant for a single item counts only when it names
        *item_id*: a grant for another item gives nothing here.

        ``None`` means the client themself (every scope). Nothing is
        recorded: this only decides what a page offers (which tiles a
        dashboard shows, which actions an item's page offers); every access
        behind it is authorized on its own.
        """
        if actor.capacity is Capacity.PLUGIN and actor.on_behalf_of is not None:
            actor = actor.on_behalf_of
        if actor.capacity is Capacity.CLIENT:
            return None if actor.account_id == client_id else {}
        if actor.capacity is not Capacity.REPRESENTATIVE or actor.representative_id is None:
            return {}
        wanted = tuple(service_ids)
        _, at = self._instant(self._clock.now())
        entry = self._entry(uow, client_id, actor.representative_id, at)
        if entry.kind is None or entry.account_id != actor.account_id:
            return {}
        if entry.kind.is_paid and (entry.licence_until is None or at >= entry.licence_until):
            return {}
        held: dict[str, set[str]] = {}
        for g, org_kind in _grants_in_force(entry, at):
            scopes = {s for s in g.scopes if _kind_allows(entry.kind, org_kind, s)}
            if g.coverage == "account":
                targets = wanted
            elif g.coverage == "service":
                targets = tuple(s for s in wanted if s == g.target)
            elif g.target is None or (item_id is not None and g.target != item_id):
                continue
            else:
                service = _repo.item_service(uow, g.target, client_id)
                targets = tuple(s for s in wanted if s == service)
            for sid in targets:
                held.setdefault(sid, set()).update(
                    s
                    for s in scopes
                    if _scope_fits_resource(s, Resource(client_id=client_id, service_id=sid))
                )
        return {sid: frozenset(s) for sid, s in held.items() if s}

    def clients_reached(self, actor: Actor, *, uow: SqlUnit) -> list[str]:
        """
        The clients for whom *actor* (a representative) holds a grant in
        force right now, directly or through an organisation's grant to one
        of their access groups, in a stable order. Nothing is recorded (see
        :meth:`reach`, which the front door records for each client it shows).
        """
        if actor.capacity is not Capacity.REPRESENTATIVE or actor.representative_id is None:
            return []
        now = self._clock.now()
        _, at = self._instant(now)
        found = []
        candidates = _repo.candidate_clients(uow, actor.representative_id, now)
        self._prime(uow, candidates, actor.representative_id)
        for client_id in candidates:
            entry = self._entry(uow, client_id, actor.representative_id, at)
            if entry.kind is None or entry.account_id != actor.account_id:
                continue
            if entry.kind.is_paid and (entry.licence_until is None or at >= entry.licence_until):
                continue
            if _find_grant(entry, None, None, at)[1] == "grant":
                found.append(client_id)
        return found

    def recheck(
        self,
        *,
        client_id: str,
        representative_id: str,
        grant_id: str,
        scope: str,
        resource: Resource,
        uow: SqlUnit,
    ) -> AuthorizationDecision:
        """
        Whether grant *grant_id* still lets *representative_id* use *scope* on
        *resource* right now: the grant in force, reaching them (their
        membership and access group, for an organisation's grant; a firm's
        licensed members only), their kind's limits, a paid representative's
        licence. Nothing is recorded. This is what a delegation token's
        introspection asks (:meth:`DelegationTokenIssuer.introspect`).

        Cost: the decision statement, one round trip, as a decision's: three
        primary-key reads of version counters when the pair is cached and
        nothing changed, else the pair's indexed rows.

        The login's assurance is not rechecked: it was checked when the token
        was issued, and a login's assurance does not change.
        """
        _, at = self._instant(self._clock.now())
        entry = self._entry(uow, client_id, representative_id, at)
        if entry.kind is None:
            return _deny("no_grant")
        for g in entry.grants + entry.inactive:
            if g.grant_id == grant_id:
                break
        else:
            return _deny("no_grant")
        active = g.status == "active"
        alone = replace(entry, grants=(g,) if active else (), inactive=() if active else (g,))
        found, reason = _find_grant(alone, scope, resource, at)
        if reason != "grant" or found is None:
            return _deny(reason, found)
        if entry.kind.is_paid and (entry.licence_until is None or at >= entry.licence_until):
            return _deny("licence", found)
        return found.allow

    def _instant(self, now: Any) -> tuple[Any, int]:
        """The clock's instant, validated, and in microseconds (memoized per instant)."""
        memo = self._now
        if memo[0] is now:
            return memo[1], memo[2]
        occurred = v.instant("occurred_at", now)
        at = _repo.micros(occurred)
        self._now = (now, occurred, at)
        return occurred, at

    def forget(self, uow: SqlUnit) -> None:
        """
        Drop the per-request cache check for *uow* (after it changed grants).
        """
        self._checked.pop(uow, None)
        self._last = None

    # --- deciding ----------------------------------------------------------------------

    def _decide(
        self, actor: Actor, action: Action | str, resource: Resource, uow: SqlUnit, now: int
    ) -> tuple[AuthorizationDecision, bool]:
        if actor.capacity is Capacity.PLUGIN:
            # SEC-94/95: a plugin has at most the rights of the actor it acts
            # for, and never manages grants or the profile.
            principal = actor.on_behalf_of
            if principal is None or action in _NEVER_FOR_PLUGINS:
                return _deny("plugin"), False
            actor = principal
            if actor.capacity is Capacity.PLUGIN:
                return self._decide(actor, action, resource, uow, now)
        scope = scope_for(action)
        if actor.capacity is Capacity.CLIENT:
            if actor.account_id is not None and actor.account_id == resource.client_id:
                required = self._required(resource, action, client=True)
                if required is not None and actor.assurance < required:
                    return _deny("assurance", required=required), False
                return _OWNER, False
            return _deny("no_grant"), False
        if actor.capacity is not Capacity.REPRESENTATIVE or actor.representative_id is None:
            # Officers and system jobs are authorized elsewhere, never here.
            return _deny("capacity"), False
        if resource.field is not None and resource.field in RESTRICTED_FIELDS:
            return _deny("field"), False
        if scope is None or not _scope_fits_resource(scope, resource):
            return _deny("scope"), False
        entry = self._entry(uow, resource.client_id, actor.representative_id, now)
        if entry.kind is None or entry.account_id != actor.account_id:
            return _deny("no_grant"), False
        grant, reason = _find_grant(entry, scope, resource, now)
        if reason != "grant":
            return _deny(reason, grant), False
        assert grant is not None
        if entry.kind.is_paid and (entry.licence_until is None or now >= entry.licence_until):
            return _deny("licence", grant), False
        required = self._required(resource, action, client=False)
        if required is not None and actor.assurance < required:
            return _deny("assurance", grant, required=required), False
        return grant.allow, not grant.first_used and grant.grant_id not in self._used

    def _required(
        self, resource: Resource, action: Action | str, *, client: bool
    ) -> AssuranceLevel | None:
        if client and action not in _ACTING:
            return None
        if resource.service_id is None:
            return self._default_level
        return self._levels.get(resource.service_id, self._default_level)

    # --- the cache ------------------------------------------------------------------------

    def _checked_in(self, uow: SqlUnit) -> set[tuple[str, str]] | None:
        """
        The pairs whose cached entries were found current in *uow* (checked
        once per unit), or ``None`` when *uow* changed delegation data (read
        through, cache nothing).
        """
        last = self._last
        if last is not None and last[2] == _repo.DIRTY_EPOCH and last[0]() is uow:
            return last[1]
        epoch = _repo.DIRTY_EPOCH
        if uow in _repo.DIRTY:
            return None
        found = self._checked.get(uow)
        checked = self._checked.setdefault(uow, set()) if found is None else found
        self._last = (weakref.ref(uow), checked, epoch)
        return checked

    def _prime(self, uow: SqlUnit, client_ids: Sequence[str], rep_id: str) -> None:
        """
        Check the cached entries of many (client, *rep_id*) pairs against
        their version counters in one statement (per 500), instead of one
        statement each: an office's list across its clients. A pair found
        current counts as checked in *uow*; the others are read as usual.
        """
        checked = self._checked_in(uow)
        if checked is None:
            return
        cached = [
            (c, entry)
            for c in client_ids
            if (c, rep_id) not in checked and (entry := self._cache.get((c, rep_id))) is not None
        ]
        if len(cached) < 2:
            return
        keys = [_repo.client_key(c) for c, _ in cached]
        found = _repo.versions_of(uow, [*keys, _repo.rep_key(rep_id), _repo.GLOBAL_KEY])
        shared = (found.get(_repo.rep_key(rep_id), 0), found.get(_repo.GLOBAL_KEY, 0))
        for (client_id, entry), key in zip(cached, keys, strict=True):
            if entry.versions == (found.get(key, 0), *shared):
                checked.add((client_id, rep_id))

    def _entry(self, uow: SqlUnit, client_id: str, rep_id: str, now: int) -> _Entry:
        key = (client_id, rep_id)
        checked = self._checked_in(uow)
        if checked is None:
            # This unit changed delegation data: read through, cache nothing.
            return _compile(_repo.decision_rows(uow, client_id, rep_id, now))
        entry = self._cache.get(key)
        if entry is not None:
            if key in checked:
                return entry
            rows = _repo.decision_rows(uow, client_id, rep_id, now, entry.versions)
            if _versions(rows) != entry.versions:
                entry = None
        else:
            rows = _repo.decision_rows(uow, client_id, rep_id, now)
        if entry is None:
            entry = _compile(rows)
            if len(self._cache) >= self._cache_size:
                self._cache.pop(next(iter(self._cache)), None)
            self._cache[key] = entry
        checked.add(key)
        return entry

    def _first_use(
        self,
        uow: SqlUnit,
        actor: Actor,
        client_id: str,
        grant_id: str,
        now: Any,
        correlation_id: str | None = None,
    ) -> None:
        grant = _repo.mark_first_use(uow, grant_id, now)
        if grant is None:
            self._remember_used(grant_id)
            return
        # A representative's first action under a grant is a security notice
        # to the client: the in-unit observers of the audit log (the
        # notifications outbox, SEC-85) are told in the unit that marks it,
        # so what they write commits with the mark. It is not a line of its
        # own in the client's history (the access itself is).
        announce = getattr(self._audit, "announce", None)
        if announce is not None:
            announce(
                uow,
                AuditEntry(
                    occurred_at=now,
                    actor_id=actor.actor_id,
                    client_id=client_id,
                    capacity=actor.capacity,
                    action="grant.first_used",
                    decision=Decision.ALLOWED,
                    reason="first_use",
                    grant_id=grant_id,
                    correlation_id=correlation_id,
                ),
                reference=f"first-use-{grant_id}",
            )
        events = self._events

        def notify() -> None:
            self._remember_used(grant_id)
            events.grant_first_used(client_id, grant)

        uow.on_commit(notify)

    def _first_use_now(
        self,
        actor: Actor,
        client_id: str,
        grant_id: str,
        now: Any,
        correlation_id: str | None = None,
    ) -> None:
        """
        Note a grant's first use from a read (once in the grant's life), in a
        short unit of its own, with its audit entry; its event follows the commit.
        """
        unit = self._units
        if unit is None:
            return
        with unit() as uow:
            self._first_use(uow, actor, client_id, grant_id, now, correlation_id)
            uow.commit()

    def _remember_used(self, grant_id: str) -> None:
        if len(self._used) > self._cache_size:
            self._used.clear()
        self._used.add(grant_id)


_OWNER = AuthorizationDecision(allowed=True, reason="owner")

# --- the audit entry ---------------------------------------------------------------

_AUDIT_FIELDS = (
    "occurred_at",
    "actor_id",
    "client_id",
    "capacity",
    "action",
    "item_id",
    "service_id",
    "decision",
    "reason",
    "grant_id",
    "organisation_id",
    "correlation_id",
    "source_ip",
)
# Build entries field by field only while AuditEntry is the slotted attrs class
# with exactly these fields and no post-init hook; otherwise, its constructor.
_FAST_AUDIT = (
    tuple(f.name for f in attrs.fields(AuditEntry)) == _AUDIT_FIELDS
    and "__slots__" in vars(AuditEntry)
    and not hasattr(AuditEntry, "__attrs_post_init__")
)
_set = object.__setattr__
# Reasons are the policy's own constants; each is validated once, on first use.
_REASONS: dict[str, str] = {}
# The callers' audit action names (a handful of constants), validated once each.
_RECORDED_AS: dict[str, str] = {}


def _principal_id(actor: Actor) -> str | None:
    """
    For a plugin, the id of the actor it acts for (the audit log requires it).
    """
    if actor.capacity is Capacity.PLUGIN and actor.on_behalf_of is not None:
        return actor.on_behalf_of.actor_id
    return None


def _audit_entry(
    occurred_at: Any,
    actor: Actor,
    action: Action | str,
    resource: Resource,
    decision: AuthorizationDecision,
    correlation_id: str | None,
    record_as: str | None = None,
) -> AuditEntry:
    """
    The audit entry of one decision, as ``AuditEntry(...)`` would build it.

    Every caller-supplied value is validated here exactly as AuditEntry's
    converters do (*occurred_at* already was, by the caller). The decision,
    its reason, and the grant and organisation ids (validated when the
    pair's rows were compiled) are the policy's own and not validated again.
    """
    actor_id = v.identifier("actor_id", actor.actor_id)
    client_id = v.identifier("client_id", resource.client_id)
    capacity = v.choice("capacity", Capacity, actor.capacity)
    if record_as is not None:
        audit_action = _RECORDED_AS.get(record_as) or _RECORDED_AS.setdefault(
            record_as, v.identifier("action", record_as)
        )
    elif isinstance(action, Action):
        audit_action = _AUDIT_ACTION[action]
    else:
        audit_action = v.identifier("action", "authz." + str(action))
    item_id = resource.item_id
    if item_id is not None:
        item_id = v.identifier("item_id", item_id)
    service_id = resource.service_id
    if service_id is not None:
        service_id = v.identifier("service_id", service_id)
    if correlation_id is not None:
        correlation_id = v.identifier("correlation_id", correlation_id)
    reason = _REASONS.get(decision.reason)
    if reason is None:
        reason = _REASONS.setdefault(
            decision.reason, v.text("reason", decision.reason, max_length=200)
        )
    outcome = Decision.ALLOWED if decision.allowed else Decision.DENIED
    if not _FAST_AUDIT:  # pragma: no cover (only if AuditEntry changes shape)
        return AuditEntry(
            occurred_at=occurred_at,
            actor_id=actor_id,
            client_id=client_id,
            capacity=capacity,
            action=audit_action,
            item_id=item_id,
            service_id=service_id,
            decision=outcome,
            reason=reason,
            grant_id=decision.grant_id,
            organisation_id=decision.organisation_id,
            correlation_id=correlation_id,
        )
    entry: AuditEntry = object.__new__(AuditEntry)
    _set(entry, "occurred_at", occurred_at)
    _set(entry, "actor_id", actor_id)
    _set(entry, "client_id", client_id)
    _set(entry, "capacity", capacity)
    _set(entry, "action", audit_action)
    _set(entry, "item_id", item_id)
    _set(entry, "service_id", service_id)
    _set(entry, "decision", outcome)
    _set(entry, "reason", reason)
    _set(entry, "grant_id", decision.grant_id)
    _set(entry, "organisation_id", decision.organisation_id)
    _set(entry, "correlation_id", correlation_id)
    _set(entry, "source_ip", None)
    return entry


# --- helpers -------------------------------------------------------------------------


def _deny(
    reason: str, grant: _Grant | None = None, *, required: AssuranceLevel | None = None
) -> AuthorizationDecision:
    return AuthorizationDecision(
        allowed=False,
        reason=reason,
        grant_id=None if grant is None else grant.grant_id,
        organisation_id=None if grant is None else grant.org_id,
        required_assurance=required,
    )


def _scope_fits_resource(scope: str, resource: Resource) -> bool:
    service, sep, _ = scope.partition(":")
    return not sep or resource.service_id == service


# How close a grant that does not allow a request came to allowing it. A
# refusal gives the reason of the grant that came closest (the highest rank):
# a grant for this item and scope that was revoked says more than another
# that covers the item without the scope. The checks run in this order, so
# the rank is also how far a grant got: it reaches the person (membership),
# allows the action (scope), is in force (its status and window), and the
# person's kind may use it (not_licensed, the kind's scope limits).
_RANKS = {
    "membership": 1,
    "scope": 2,
    "not_yet_valid": 3,
    "lapsed": 4,
    "declined": 5,
    "revoked": 6,
    "expired": 7,
    "not_licensed": 8,
}
_KIND_SCOPE_RANK = 9
_STATUS_REASON = {"revoked": "revoked", "declined": "declined", "lapsed": "lapsed"}
_REQUEST_LIFETIME_US = int(REQUEST_LIFETIME.total_seconds()) * 1_000_000


def _find_grant(
    entry: _Entry, scope: str | None, resource: Resource | None, now: int
) -> tuple[_Grant | None, str]:
    """
    The first grant in force reaching the actor for *scope* on *resource*
    (with both ``None``: any grant in force at all), and ``"grant"``; or
    ``None`` and the reason of the grant that came closest (``no_grant``
    when none came near), with that grant when there was one (see
    :func:`_closest`).
    """
    if scope is None or resource is None:
        return _find_any(entry, now)
    # The decision's hot path: cheapest checks first, no call for a
    # representative's own grant.
    item_id, service_id, own = resource.item_id, resource.service_id, entry.own_scopes
    for g in entry.grants:
        coverage = g.coverage
        if coverage == "item":
            if item_id != g.target:
                continue
        elif coverage == "service" and service_id != g.target:
            continue
        if scope not in g.scopes:
            continue
        if g.valid_from > now or (g.valid_until is not None and now >= g.valid_until):
            continue
        if g.org_id is None:
            if own is not None and scope not in own:
                continue
        else:
            member = _member_reaches(entry.members.get(g.org_id, ()), g, now)
            if member is None or _kind_denial(entry.kind, member.org_kind, scope) is not None:
                continue
        return g, "grant"
    # Refused: only now look at why (and at the grants no longer, or not yet, in force).
    return _closest(entry, scope, resource, now)


def _find_any(entry: _Entry, now: int) -> tuple[_Grant | None, str]:
    """:func:`_find_grant` for no particular scope or resource."""
    for g in entry.grants:
        if g.valid_from > now or (g.valid_until is not None and now >= g.valid_until):
            continue
        org_kind = None
        if g.org_id is not None:
            member = _member_reaches(entry.members.get(g.org_id, ()), g, now)
            if member is None:
                continue
            org_kind = member.org_kind
        if _kind_denial(entry.kind, org_kind, None, g.scopes) is None:
            return g, "grant"
    return _closest(entry, None, None, now)


def _closest(
    entry: _Entry, scope: str | None, resource: Resource | None, now: int
) -> tuple[_Grant | None, str]:
    """
    For a refusal: the grant that came closest to allowing the request and
    its reason (see ``_RANKS``), or ``(None, "no_grant")``.
    """
    best: tuple[int, str, _Grant | None] = (0, "no_grant", None)
    for g in entry.grants + entry.inactive:
        rank, reason = _shortfall(entry, g, scope, resource, now)
        if rank > best[0]:
            best = (rank, reason, g)
    return best[2], best[1]


def _shortfall(
    entry: _Entry, g: _Grant, scope: str | None, resource: Resource | None, now: int
) -> tuple[int, str]:
    """
    How far *g* got towards allowing the request, and why it stopped: rank 0
    when it does not concern the request at all (a request still waiting for
    the client, another item or service).
    """
    status = g.status
    if status == "pending":
        if now < g.created_at + _REQUEST_LIFETIME_US:
            # A request the client may still accept: it has no say yet.
            return 0, "no_grant"
        status = "lapsed"
    if resource is not None:
        if g.coverage == "item":
            if resource.item_id != g.target:
                return 0, "no_grant"
        elif g.coverage == "service" and resource.service_id != g.target:
            return 0, "no_grant"
    org_kind = None
    if g.org_id is not None:
        member = _member_reaches(entry.members.get(g.org_id, ()), g, now)
        if member is None:
            return _RANKS["membership"], "membership"
        org_kind = member.org_kind
    if scope is not None and scope not in g.scopes:
        return _RANKS["scope"], "scope"
    reason = _STATUS_REASON.get(status)
    if reason is None:
        if g.valid_from > now:
            reason = "not_yet_valid"
        elif g.valid_until is not None and now >= g.valid_until:
            reason = "expired"
    if reason is not None:
        return _RANKS[reason], reason
    denial = _kind_denial(entry.kind, org_kind, scope, g.scopes)
    if denial == "not_licensed":
        return _RANKS[denial], denial
    if denial is not None:
        return _KIND_SCOPE_RANK, denial
    return 0, "no_grant"  # pragma: no cover (an allowing grant is found before)


def _grants_in_force(entry: _Entry, now: int) -> Iterator[tuple[_Grant, str | None]]:
    """
    Each grant in force at *now* that reaches the representative, with the
    kind of organisation it came through (``None`` for their own grants).
    A firm's grant reaches its licensed members only.
    """
    for g in entry.grants:
        if g.valid_from > now or (g.valid_until is not None and now >= g.valid_until):
            continue
        if g.org_id is None:
            yield g, None
            continue
        member = _member_reaches(entry.members.get(g.org_id, ()), g, now)
        if member is not None and _kind_denial(entry.kind, member.org_kind, None) is None:
            yield g, member.org_kind


def _member_reaches(members: tuple[_Member, ...], g: _Grant, now: int) -> _Member | None:
    for m in members:
        if m.started > now or (m.ended is not None and now >= m.ended):
            continue
        if (g.access_group is None and m.administrator) or g.access_group in m.groups:
            return m
    return None


def _kind_denial(
    kind: RepresentativeKind | None,
    org_kind: str | None,
    scope: str | None,
    scopes: frozenset[str] = frozenset(),
) -> str | None:
    """
    Why a representative of *kind*, reached through an organisation of
    *org_kind* (``None``: their own grant), may not use *scope* (``None``: any
    of *scopes*), or ``None`` if they may.

    Checked again here although grants are refused at creation: defence in
    depth against rows written by anything else (SEC-52, SEC-54).
    """
    if kind is None:
        return "no_grant"
    # A firm's grant reaches its licensed members only, whatever else they are.
    if org_kind in _PAID_ORGS and not kind.is_paid:
        return "not_licensed"
    if scope is None:
        if scopes and all(_kind_denial(kind, org_kind, s) is not None for s in scopes):
            return "scope"
        return None
    if kind is RepresentativeKind.DESIGNATED_INDIVIDUAL and scope not in DESIGNATED_SCOPES:
        return "scope"
    if (kind.is_parliamentary or org_kind in _PARLIAMENTARY_ORGS) and (
        scope not in PARLIAMENTARY_SCOPES
    ):
        return "scope"
    return None


def _kind_allows(kind: RepresentativeKind | None, org_kind: str | None, scope: str) -> bool:
    return _kind_denial(kind, org_kind, scope) is None


def _versions(rows: Any) -> tuple[int, int, int]:
    found = {r[1][0]: r[8] for r in rows if r[0] == "v"}
    return (found.get("c", 0), found.get("r", 0), found.get("g", 0))


def _compile(rows: Any) -> _Entry:
    kind: RepresentativeKind | None = None
    account_id = None
    licence_until: int | None = None
    grants: list[_Grant] = []
    inactive: list[_Grant] = []
    members: dict[str, list[_Member]] = {}
    for r in rows:
        tag = r[0]
        if tag == "r":
            kind = RepresentativeKind(r[1])
            account_id = r[2]
            if r[3] is not None and r[8]:
                licence_until = _end_of_day(r[3])
        elif tag == "m":
            members.setdefault(r[1], []).append(
                _Member(
                    started=r[8],
                    ended=r[9],
                    groups=frozenset(r[2].split()),
                    administrator=r[3] == "administrator",
                    org_kind=r[4],
                )
            )
        elif tag in ("d", "o"):
            # Validated here, once per fill, as AuditEntry would: the audit
            # entries of decisions under this grant carry these ids as they are.
            grant_id = v.identifier("grant_id", r[1])
            org_id = v.identifier("organisation_id", r[2]) if tag == "o" else None
            (grants if r[7] == "active" else inactive).append(
                _Grant(
                    grant_id=grant_id,
                    org_id=org_id,
                    scopes=frozenset(r[3].split()),
                    coverage=r[5],
                    target=r[6],
                    valid_from=r[8],
                    valid_until=r[9],
                    access_group=r[4],
                    first_used=r[11] is not None,
                    allow=AuthorizationDecision(
                        allowed=True, reason="grant", grant_id=grant_id, organisation_id=org_id
                    ),
                    status=r[7],
                    created_at=r[10],
                )
            )
    own_scopes = None
    if kind is RepresentativeKind.DESIGNATED_INDIVIDUAL:
        own_scopes = DESIGNATED_SCOPES
    elif kind is not None and kind.is_parliamentary:
        own_scopes = PARLIAMENTARY_SCOPES
    return _Entry(
        versions=_versions(rows),
        own_scopes=own_scopes,
        kind=kind,
        account_id=account_id,
        licence_until=licence_until,
        grants=tuple(grants),
        inactive=tuple(inactive),
        members={k: tuple(m) for k, m in members.items()},
    )


def _end_of_day(iso_date: str) -> int:
    import datetime as dt

    day = dt.date.fromisoformat(iso_date)
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return _repo.micros(start) + _DAY_US
