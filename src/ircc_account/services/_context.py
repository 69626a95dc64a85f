"""
What a plugin is given: :class:`ServiceContext`, and the storage gates on it.

A plugin reaches a client's data only through its context (SEC-95). The
context carries the actor (without the session reference), the client acted
for, the granted scopes and the clock; never a session, token, key or database
handle. The gates are capabilities: each holds an opaque token, and the
gatekeeper it stands for (the store, the policy, the restrictions) is found
in this module's table, keyed by that token and dropped with it, so no
attribute path from a context leads to the store, the keyring, the policy or
the audit log. That stops mistakes, not malice: a plugin runs in the
portal's process and could import this module (see ``docs/plugins.md``).

Each gate call opens one unit of work in which it asks the policy
(the plugin judged as the user it acts for, every plugin's
``ircc_restrict_access`` as a veto) and records that one decision (actor =
the plugin, on behalf of the user: SEC-96; with the policy's reason, the grant
relied on and the request's correlation id), does the read or write, and
commits: the access and its record commit together. A refused call raises
:class:`~ircc_account.errors.AuthorizationError` (or
:class:`~ircc_account.errors.NotFound`), and its record is kept.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import attrs

from ircc_account._clock import Clock
from ircc_account._model import (
    Action,
    Actor,
    AuthorizationDecision,
    BilingualText,
    Capacity,
    ItemKind,
    ItemState,
    Resource,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)
from ircc_account._model import _validate as v
from ircc_account._model._services import PluginRecord
from ircc_account._storage.ports import SqlStorage, SqlUnit
from ircc_account.authz import Authorizer
from ircc_account.errors import (
    FieldTooLong,
    InvalidFormat,
    NotFound,
    OutOfRange,
    PersonalDataErased,
)
from ircc_account.services._page import PageRecords
from ircc_account.services._values import EventKind, ServiceEvent

__all__ = [
    "ItemsGate",
    "LegacyFilesGate",
    "RecordLimits",
    "RecordsGate",
    "ServiceContext",
    "TimelineGate",
    "was_recorded",
]


Restrictor = Callable[[Actor, "Action | str", Resource], Sequence[str]]
Publisher = Callable[[ServiceEvent], object]

_NOT_FOUND = AuthorizationDecision(allowed=False, reason="not_found")

_EVENT_OF_STATE = {
    ItemState.DECISION_MADE: EventKind.DECISION,
    ItemState.ACTION_REQUIRED: EventKind.DOCUMENT_REQUESTED,
}


class _Gatekeeper:
    """
    Shared by one context's gates: store, policy, audit, restrictions. Not for plugins.
    """

    __slots__ = ("actor", "client_id", "clock", "correlation_id", "defer", "limits",
                 "plugin_actor", "policy", "publish", "restrict", "service_id",
                 "store")  # fmt: skip

    def __init__(
        self,
        *,
        store: SqlStorage,
        policy: Authorizer,
        restrict: Restrictor,
        publish: Publisher,
        clock: Clock,
        service_id: str,
        actor: Actor,
        client_id: str,
        correlation_id: str | None,
        limits: RecordLimits,
        defer: PageRecords | None = None,
    ) -> None:
        self.store = store
        # A page's reads hold their records here until the page flushes them
        # (one wait for all); without it, each read waits for its own.
        self.defer = defer
        self.limits = limits
        self.policy = policy
        self.restrict = restrict
        self.publish = publish
        self.clock = clock
        self.service_id = service_id
        self.actor = actor
        self.client_id = client_id
        self.correlation_id = correlation_id
        # SEC-95/96: the plugin acts as itself, on behalf of the user, with no
        # more rights than the user.
        self.plugin_actor = Actor(
            actor_id=service_id,
            capacity=Capacity.PLUGIN,
            assurance=actor.assurance,
            auth_time=actor.auth_time,
            on_behalf_of=actor,
        )

    def check(
        self, uow: SqlUnit, action: Action, what: str, resource: Resource, *, read: bool = False
    ) -> None:
        """
        Authorize one access in *uow* and record it once; raise on a refusal
        (whose record is kept even though the unit then rolls back). A read's
        record is durable before this returns (its unit commits nothing), or,
        within a page, before the page hands anything out (the page waits
        for its :class:`PageRecords`).
        """
        decision = self.policy.authorize(
            self.plugin_actor,
            action,
            resource,
            uow=uow,
            correlation_id=self.correlation_id,
            record_as=f"service.{what}",
            veto=self.restrict,
            durable_now=read,
            # Within a page, allowed reads wait for the page's flush; the
            # page writes a refusal at once (it is kept past the rollback).
            recorder=self.defer if read else None,
        )
        if not decision.allowed:
            raise _recorded(decision.refusal())

    def not_found(
        self, uow: SqlUnit, action: Action, what: str, item_id: str, *, read: bool = False
    ) -> NoReturn:
        """
        Record a refused access to an item that is not this client's (or
        does not exist), naming the item tried, and raise "not found".
        """
        self.policy.record(
            self.plugin_actor,
            action,
            # The stored record proved nothing about this item: the resource
            # is this client's file, with the id that was tried.
            Resource(client_id=self.client_id, service_id=self.service_id, item_id=item_id),
            _NOT_FOUND,
            uow=uow,
            correlation_id=self.correlation_id,
            record_as=f"service.{what}",
            durable_now=read,
        )
        raise _recorded(NotFound(kind="item"))

    def resource(self, item_id: str | None = None) -> Resource:
        return Resource(client_id=self.client_id, service_id=self.service_id, item_id=item_id)

    def own_item(
        self, uow: SqlUnit, item_id: str, action: Action, what: str, *, read: bool = False
    ) -> ServiceItem:
        """
        Read *item_id* if it is this client's item of this service; the resource
        comes from the stored record (SEC-50). Anything else is "not found".
        """
        item: ServiceItem | None
        try:
            item = uow.items.get(item_id)
        except (NotFound, PersonalDataErased):
            # An erased account's item answers exactly like a missing one, so a
            # plugin learns nothing about other clients' files (SEC-50).
            item = None
        if item is None or item.account_id != self.client_id or item.service_id != self.service_id:
            self.not_found(uow, action, what, item_id, read=read)
        self.check(uow, action, what, self.resource(item_id), read=read)
        return item

    def event(self, item: ServiceItem, summary: BilingualText) -> ServiceEvent:
        return ServiceEvent(
            kind=_EVENT_OF_STATE.get(item.state, EventKind.STATUS_CHANGED),
            client_id=self.client_id,
            occurred_at=item.updated_at,
            service_id=self.service_id,
            item_id=item.item_id,
            state=item.state,
            summary=summary,
        )


def _recorded(error: Exception) -> Exception:
    """Mark a refusal whose audit entry the gate already wrote."""
    error._ircc_recorded = True  # type: ignore[attr-defined]
    return error


def was_recorded(error: BaseException) -> bool:
    """Whether a gate already recorded *error*'s refusal (the registry records the others)."""
    return getattr(error, "_ircc_recorded", False) is True


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(12)}"


class _Capability:
    """
    What a gate holds instead of its gatekeeper: an opaque random token, the
    key to :data:`_KEEPERS`. It has no other attribute, no weak-reference
    slot (a weak reference's callback would lead back to the table), and
    when it goes its entry goes with it.
    """

    __slots__ = ("_token",)

    def __init__(self, keeper: _Gatekeeper) -> None:
        self._token = secrets.token_hex(16)
        _KEEPERS[self._token] = keeper

    def __del__(self) -> None:
        # Not contextlib.suppress: at interpreter exit, module globals (the
        # table, contextlib) may be gone before the last capability.
        try:  # noqa: SIM105
            _KEEPERS.pop(self._token, None)
        except Exception:  # noqa: S110
            pass

    def __repr__(self) -> str:
        return "<capability>"


#: Each live context's gatekeeper, by the random token its gates hold; an
#: entry goes when the token's holder does (the context and its gates
#: dropped). Only this module's globals lead here: no attribute does.
_KEEPERS: dict[str, _Gatekeeper] = {}


def _keeper(capability: _Capability) -> _Gatekeeper:
    return _KEEPERS[capability._token]


class ItemsGate:
    """
    The client's items of this service, through the policy and the audit log.
    """

    __slots__ = ("_capability",)

    def __init__(self, capability: _Capability) -> None:
        self._capability = capability

    def __repr__(self) -> str:
        return "ItemsGate()"

    def list(self) -> Sequence[ServiceItem]:
        """
        The client's items held by this service, newest first (``view_status``).

        Raises:
            AuthorizationError: the user may not see this client's status here.
        """
        k = _keeper(self._capability)
        with k.store.unit_of_work(write=False) as uow:
            items = uow.items.for_account(k.client_id, service_id=k.service_id)
            whole = k.policy.decide(k.plugin_actor, Action.VIEW_STATUS, k.resource(), uow=uow)
            if not whole.allowed:
                # A grant may cover single items only: list exactly those.
                items = [
                    i
                    for i in items
                    if k.policy.decide(
                        k.plugin_actor, Action.VIEW_STATUS, k.resource(i.item_id), uow=uow
                    ).allowed
                ]
            # One recorded access for the list: for the service, or for the
            # one item a single-item grant shows.
            target = k.resource(items[0].item_id) if not whole.allowed and items else k.resource()
            k.check(uow, Action.VIEW_STATUS, "item.list", target, read=True)
        return items

    def get(self, item_id: str) -> ServiceItem:
        """
        One of the client's items of this service (``view_status``).

        Raises:
            NotFound: no such item for this client and service (another
                client's item is "not found" too; the attempt is audited).
            AuthorizationError: the user may not see it.
        """
        k = _keeper(self._capability)
        with k.store.unit_of_work(write=False) as uow:
            return k.own_item(uow, item_id, Action.VIEW_STATUS, "item.read", read=True)

    def add(
        self,
        *,
        kind: ItemKind,
        reference: str,
        title: BilingualText,
        state: ItemState = ItemState.DRAFT,
        document_number: str | None = None,
    ) -> ServiceItem:
        """
        Create an item for the client in this service, with a "created" event (``act``).

        Raises:
            AuthorizationError: the user may not act for this client here.
            Conflict: this service already has an item with *reference*.
        """
        k = _keeper(self._capability)
        now = k.clock.now()
        item = ServiceItem(
            item_id=_new_id(k.service_id),
            account_id=k.client_id,
            service_id=k.service_id,
            kind=kind,
            reference=reference,
            state=state,
            title=title,
            document_number=document_number,
            created_at=now,
            updated_at=now,
        )
        with k.store.unit_of_work() as uow:
            k.check(uow, Action.ACT, "item.create", k.resource())
            uow.items.add(item)
            uow.timeline.append(
                TimelineEvent(
                    event_id=_new_id("ev"),
                    item_id=item.item_id,
                    kind=TimelineKind.CREATED,
                    occurred_at=now,
                    state=state,
                    summary=title,
                )
            )
            uow.commit()
        return item

    def set_state(self, item_id: str, state: ItemState, *, summary: BilingualText) -> ServiceItem:
        """
        Move an item to *state*, add a "status changed" event, and after commit
        tell ``ircc_on_event`` listeners (``act``).

        Raises:
            NotFound: no such item for this client and service.
            AuthorizationError: the user may not act here.
            Conflict: the item changed meanwhile.
        """
        k = _keeper(self._capability)
        with k.store.unit_of_work() as uow:
            item = k.own_item(uow, item_id, Action.ACT, "item.update")
            now = k.clock.now()
            item = uow.items.update(attrs.evolve(item, state=state, updated_at=now))
            uow.timeline.append(
                TimelineEvent(
                    event_id=_new_id("ev"),
                    item_id=item_id,
                    kind=TimelineKind.STATUS_CHANGED,
                    occurred_at=now,
                    state=state,
                    summary=summary,
                )
            )
            event = k.event(item, summary)

            def tell() -> None:
                k.publish(event)

            uow.on_commit(tell)
            uow.commit()
        return item


class TimelineGate:
    """
    The timelines of the client's items of this service.
    """

    __slots__ = ("_capability",)

    def __init__(self, capability: _Capability) -> None:
        self._capability = capability

    def __repr__(self) -> str:
        return "TimelineGate()"

    def list(self, item_id: str) -> Sequence[TimelineEvent]:
        """
        An item's events, oldest first (``view_status``).

        Raises:
            NotFound: no such item for this client and service.
            AuthorizationError: the user may not see it.
        """
        k = _keeper(self._capability)
        with k.store.unit_of_work(write=False) as uow:
            k.own_item(uow, item_id, Action.VIEW_STATUS, "timeline.read", read=True)
            return uow.timeline.for_item(item_id)

    def append(
        self,
        item_id: str,
        *,
        kind: TimelineKind,
        summary: BilingualText,
        occurred_at: dt.datetime | None = None,
    ) -> TimelineEvent:
        """
        Add an event (a note, a document received) to an item's timeline (``act``).
        Use :meth:`ItemsGate.set_state` to change the state.

        Raises:
            NotFound: no such item for this client and service.
            AuthorizationError: the user may not act here.
        """
        k = _keeper(self._capability)
        event = TimelineEvent(
            event_id=_new_id("ev"),
            item_id=item_id,
            kind=kind,
            occurred_at=occurred_at or k.clock.now(),
            summary=summary,
        )
        with k.store.unit_of_work() as uow:
            k.own_item(uow, item_id, Action.ACT, "timeline.append")
            uow.timeline.append(event)
            uow.commit()
        return event


class LegacyFilesGate:
    """
    The file numbers the client has claimed in this service's legacy system.
    """

    __slots__ = ("_capability",)

    def __init__(self, capability: _Capability) -> None:
        self._capability = capability

    def __repr__(self) -> str:
        return "LegacyFilesGate()"

    def list(self) -> Sequence[str]:
        """
        The claimed file numbers whose system is this service's id (``view_status``).

        Raises:
            AuthorizationError: the user may not see this client's status here.
        """
        k = _keeper(self._capability)
        with k.store.unit_of_work(write=False) as uow:
            k.check(uow, Action.VIEW_STATUS, "legacy_file.list", k.resource(), read=True)
            files = uow.legacy_files.for_account(k.client_id)
        return [f.file_number for f in files if f.system == k.service_id]


@attrs.frozen(kw_only=True)
class RecordLimits:
    """
    How much a plugin may keep per client in ``ctx.records``.

    Attributes:
        max_bytes: The largest value, as UTF-8 JSON (64 KiB by default).
        max_records: The most records per client and plugin (200 by default).
    """

    max_bytes: int = 64 * 1024
    max_records: int = 200


def _encode(value: object, limits: RecordLimits) -> bytes:
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidFormat(field="record") from None
    data = text.encode("utf-8")
    if len(data) > limits.max_bytes:
        raise FieldTooLong(field="record", limit=limits.max_bytes)
    return data


def _decode(record: PluginRecord, data: bytes) -> PluginRecord:
    return attrs.evolve(record, value=json.loads(data.decode("utf-8")))


class RecordsGate:
    """
    The plugin's own records for this client (drafts, answers): JSON values
    by key, sealed with the client's data key, erased with it. Reads are
    ``view_status``, changes ``act``; each call is one recorded access.
    """

    __slots__ = ("_capability",)

    def __init__(self, capability: _Capability) -> None:
        self._capability = capability

    def __repr__(self) -> str:
        return "RecordsGate()"

    def get(self, key: str) -> PluginRecord | None:
        """
        The record *key*, or ``None`` if there is none.

        Raises:
            InvalidFormat: *key* is not an identifier.
            AuthorizationError: the user may not see this client's data here.
        """
        key = v.identifier("record_key", key)
        k = _keeper(self._capability)
        with k.store.unit_of_work(write=False) as uow:
            k.check(uow, Action.VIEW_STATUS, "record.read", k.resource(), read=True)
            found = uow.plugin_records.get(k.client_id, k.service_id, key)
        return None if found is None else _decode(*found)

    def list(self) -> Sequence[PluginRecord]:
        """
        Every record this plugin keeps for the client, by key.

        Raises:
            AuthorizationError: the user may not see this client's data here.
        """
        k = _keeper(self._capability)
        with k.store.unit_of_work(write=False) as uow:
            k.check(uow, Action.VIEW_STATUS, "record.list", k.resource(), read=True)
            found = uow.plugin_records.list(k.client_id, k.service_id)
        return [_decode(*f) for f in found]

    def put(self, key: str, value: Any, *, version: int | None = None) -> PluginRecord:
        """
        Create the record *key* (*version* ``None``), or replace it if it is
        still at *version* (optimistic concurrency: pass the version you read).

        Args:
            key: An identifier (``[A-Za-z0-9._:-]``, up to 128 characters).
                Keys are not encrypted: never put personal data in one.
            value: JSON data: dicts, lists, strings, numbers, booleans, ``None``.
            version: The version being replaced; ``None`` to create.

        Returns:
            The record as stored, with its new version.

        Raises:
            InvalidFormat: a bad key, or a value that is not JSON data.
            FieldTooLong: the value is over the size limit.
            OutOfRange: creating would pass the plugin's record limit for the client.
            Conflict: creating a record that exists, or replacing one no
                longer at *version*.
            NotFound: replacing a record that does not exist.
            AuthorizationError: the user may not act for this client here.
        """
        key = v.identifier("record_key", key)
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise InvalidFormat(field="version")
        k = _keeper(self._capability)
        data = _encode(value, k.limits)
        with k.store.unit_of_work() as uow:
            k.check(uow, Action.ACT, "record.write", k.resource())
            records = uow.plugin_records
            if version is None and records.count(k.client_id, k.service_id) >= k.limits.max_records:
                raise OutOfRange(field="records")
            now = k.clock.now()
            records.put(k.client_id, k.service_id, key, data, version=version, now=now)
            found = records.get(k.client_id, k.service_id, key)
            uow.commit()
        if found is None:  # pragma: no cover (written just now, in the same unit)
            raise NotFound(kind="plugin record")
        return _decode(found[0], data)

    def delete(self, key: str, *, version: int | None = None) -> bool:
        """
        Delete the record *key* (only if still at *version*, when given).

        Returns:
            Whether there was such a record.

        Raises:
            InvalidFormat: a bad key.
            Conflict: the record is no longer at *version*.
            AuthorizationError: the user may not act for this client here.
        """
        key = v.identifier("record_key", key)
        k = _keeper(self._capability)
        with k.store.unit_of_work() as uow:
            k.check(uow, Action.ACT, "record.delete", k.resource())
            deleted: bool = uow.plugin_records.delete(
                k.client_id, k.service_id, key, version=version
            )
            uow.commit()
        return deleted


@attrs.frozen(kw_only=True)
class ServiceContext:
    """
    Everything a plugin gets for one request, and nothing more (SEC-95).

    Attributes:
        service_id: The plugin's own service id.
        actor: Who asks (the client or their representative); without the
            session reference.
        client_id: The client acted for.
        scopes: The scopes the actor holds for this client and service (all
            of the manifest's for the client themself).
        clock: The time source.
        language: The language to answer in, ``en`` or ``fr``.
        correlation_id: Ties audit entries and log lines to the request.
        items: The client's items of this service (policy-checked, audited).
        timeline: Their timelines (policy-checked, audited).
        legacy_files: The client's claimed file numbers in this service's
            legacy system (policy-checked, audited).
        records: The plugin's own records for this client (sealed with the
            client's data key; policy-checked, audited).
    """

    service_id: str
    actor: Actor
    client_id: str
    scopes: frozenset[str]
    clock: Clock = attrs.field(repr=False)
    language: str = "en"
    correlation_id: str | None = None
    items: ItemsGate = attrs.field(repr=False)
    timeline: TimelineGate = attrs.field(repr=False)
    legacy_files: LegacyFilesGate = attrs.field(repr=False)
    records: RecordsGate = attrs.field(repr=False)


def make_context(
    *,
    store: SqlStorage,
    policy: Authorizer,
    restrict: Restrictor,
    publish: Publisher,
    clock: Clock,
    service_id: str,
    actor: Actor,
    client_id: str,
    scopes: frozenset[str],
    language: str = "en",
    correlation_id: str | None = None,
    limits: RecordLimits | None = None,
    records: PageRecords | None = None,
) -> ServiceContext:
    """
    Build a plugin's context (the registry does; plugins never do). With
    *records*, the allowed reads' records wait in it for the page's flush.
    """
    # The session reference stays with the front door (SEC-95).
    actor = attrs.evolve(actor, session_ref=None)
    keeper = _Gatekeeper(
        store=store,
        policy=policy,
        restrict=restrict,
        publish=publish,
        clock=clock,
        service_id=service_id,
        actor=actor,
        client_id=client_id,
        correlation_id=correlation_id,
        limits=limits or RecordLimits(),
        defer=records,
    )
    capability = _Capability(keeper)
    return ServiceContext(
        service_id=service_id,
        actor=actor,
        client_id=client_id,
        scopes=scopes,
        clock=clock,
        language="fr" if language == "fr" else "en",
        correlation_id=correlation_id,
        items=ItemsGate(capability),
        timeline=TimelineGate(capability),
        legacy_files=LegacyFilesGate(capability),
        records=RecordsGate(capability),
    )
