"""
The service registry: discovery, registration, isolation, and the dashboard.

Discovery (SEC-92) reads the ``ircc_account.services`` entry-point group and
loads only allowlisted names from their pinned distribution and version; it
never imports anything else, and blocked names are refused outright.
Registration happens before :meth:`ServiceRegistry.start` only (SEC-97);
start-up runs pluggy's ``check_pending`` so a plugin with an unknown hook
fails it.

Isolation (SEC-93): the registry calls each plugin's hook implementation on
its own, in a pool of daemon threads, with a deadline; a dashboard fans out to
every service at once. A plugin that raises, hangs or returns malformed data
gets a "service unavailable" tile, one log line (plugin, hook, error code;
never personal data), and a strike on its circuit breaker; a hung plugin's
thread is abandoned and its breaker opens at once. The other services are
untouched, and :meth:`ServiceRegistry.close` waits for hung calls only up to
a bound.

The rollout and kill switch guard every call for a client (dashboard,
timeline, actions, perform, service actions), not only the dashboard.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as dt
import functools
import importlib.metadata
import logging
import re
import threading
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import pluggy

from ircc_account import hookspecs
from ircc_account._clock import Clock, SystemClock
from ircc_account._model import (
    Actor,
    AuthorizationDecision,
    Capacity,
    Resource,
)
from ircc_account._model import _validate as v
from ircc_account._model._authz import Action
from ircc_account._storage.ports import SqlStorage
from ircc_account.authz import Authorizer
from ircc_account.errors import (
    AuthorizationError,
    ConfigurationError,
    IrccAccountError,
    NotFound,
    ServiceBadOutput,
    ServiceDuplicate,
    ServiceError,
    ServiceManifestInvalid,
    ServiceNotAllowed,
    ServiceTimeout,
    ServiceUnavailable,
    ValidationError,
)
from ircc_account.services import _checks
from ircc_account.services._allowlist import ENTRY_POINT_GROUP, AllowedPlugin, pin_refusal
from ircc_account.services._breaker import BreakerState, CircuitBreaker
from ircc_account.services._context import (
    RecordLimits,
    ServiceContext,
    make_context,
    was_recorded,
)
from ircc_account.services._manifest import AccountFacts, Rollout, ServiceManifest
from ircc_account.services._outcomes import (
    NOT_ELIGIBLE,
    STEP_UP,
    Failed,
    Progress,
    TileData,
    hears,
    tile,
)
from ircc_account.services._page import BatchRecorder, PageRecords
from ircc_account.services._pool import DaemonPool
from ircc_account.services._values import (
    ActionOffer,
    ActionResult,
    Dashboard,
    ServiceEvent,
    Tile,
    TileStatus,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "AllowedPlugin",
    "ServiceRegistry",
    "pin_refusal",
]

log = logging.getLogger("ircc_account.services")
T = TypeVar("T")
# The dashboard's one task per tile (eligibility, items, service actions);
# never logged as a hook: the log names the hook that was running.
_DASHBOARD = "dashboard"
_NOT_FOUND = AuthorizationDecision(allowed=False, reason="not_found")
_HOOKS = frozenset(n for n in dir(hookspecs) if n.startswith("ircc_"))
_NAME = re.compile(r"^[a-z][a-z0-9-]{1,62}$", re.ASCII)


def _item_id(item_id: object) -> str:
    """
    *item_id* if it is an identifier anyone could hold; else the caller's
    :class:`~ircc_account.errors.InvalidFormat`, before any plugin is asked
    (a malformed id is no strike against the service).
    """
    return v.identifier("item_id", item_id)


def _startup_cause(error: IrccAccountError) -> IrccAccountError:
    """
    What made a plugin's ``ircc_startup`` fail: the library's typed error it
    raised (a missing template, say), else the registry's own (unavailable,
    timeout), which chains whatever was raised.
    """
    raised = error.__cause__
    return raised if isinstance(raised, IrccAccountError) else error


@attrs.define
class _Plugin:
    name: str
    obj: object
    manifest: ServiceManifest
    impls: dict[str, pluggy.HookImpl]
    breaker: CircuitBreaker
    in_flight: int = 0


class ServiceRegistry:
    """
    The registry of service plugins.

    Args:
        store: Where the gates read and write items and timelines.
        policy: Asked by every gate, which records each access through it once
            (:class:`~ircc_account.authz.Authorizer`; ``delegation.Policy`` fits).
        allowed: The allowlist for :meth:`discover`.
        blocked: Plugin names refused everywhere, even by explicit registration.
        clock: The time source (also for the circuit breakers).
        deadline: Seconds each plugin call may take.
        max_workers: Threads in the plugin pool.
        max_in_flight: Calls one plugin may have running (hung ones included)
            before it is refused at once.
        failure_threshold: Consecutive failures that mark a plugin degraded.
        reset_after: How long a degraded plugin is skipped before a probe.
        group: The entry-point group.
        settings: Each plugin's settings by service id, handed to its
            ``ircc_startup`` hook at :meth:`start` (URLs, timeouts; the
            library reads no environment, and neither should plugins).
        record_limits: What each plugin may keep per client in ``ctx.records``.
        recorder: Writes a page's read records together
            (``GroupCommitAppender`` fits; the front door passes its own), so
            a dashboard's plugins share one durable flush. Without it each
            read waits for its own record.
    """

    def __init__(
        self,
        *,
        store: SqlStorage,
        policy: Authorizer,
        allowed: Iterable[AllowedPlugin] = (),
        blocked: Iterable[str] = (),
        clock: Clock | None = None,
        deadline: float = 2.0,
        max_workers: int = 16,
        max_in_flight: int = 4,
        failure_threshold: int = 3,
        reset_after: dt.timedelta = dt.timedelta(seconds=30),
        group: str = ENTRY_POINT_GROUP,
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        record_limits: RecordLimits | None = None,
        recorder: BatchRecorder | None = None,
    ) -> None:
        self._store = store
        # With it, a page's reads share one durable flush (PageRecords).
        self._recorder = recorder
        self._policy = policy
        self._allowed = {a.name: a for a in allowed}
        self._clock = clock or SystemClock()
        self.deadline = deadline
        self._max_in_flight = max_in_flight
        self._failure_threshold = failure_threshold
        self._reset_after = reset_after
        self.group = group
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        for name in blocked:
            self._pm.set_blocked(name)
        self._plugins: dict[str, _Plugin] = {}
        self._rollouts: dict[str, Rollout] = {}
        self._lock = threading.Lock()
        # In-flight counts have their own lock: register() holds _lock while
        # it calls the manifest hook.
        self._flight_lock = threading.Lock()
        self._started = False
        self._started_up = False
        self._closed = False
        self._settings = {
            name: types.MappingProxyType(dict(values)) for name, values in (settings or {}).items()
        }
        self._record_limits = record_limits or RecordLimits()
        self._pool = DaemonPool(max_workers, "ircc-service")
        # Security hooks and events get pools of their own, so a gate called
        # from inside a plugin's thread never waits on a pool it is filling.
        self._restrict_pool = DaemonPool(4, "ircc-restrict")
        self._event_pool = DaemonPool(2, "ircc-event")

    def __repr__(self) -> str:
        return f"ServiceRegistry(services={self.service_ids!r}, started={self._started})"

    # --- registration ------------------------------------------------------------------

    def discover(self) -> list[str]:
        """
        Register the allowlisted plugins published under the entry-point group.

        An entry point whose name is not allowlisted, or is blocked, or comes
        from another distribution or version than the pinned one, is never
        imported; it is logged and skipped.

        Returns:
            The names registered.

        Raises:
            ServiceManifestInvalid: an allowlisted plugin failed to import or was refused.
        """
        loaded: list[str] = []
        for dist in importlib.metadata.distributions():
            for ep in dist.entry_points:
                if ep.group != self.group or self._pm.has_plugin(ep.name):
                    continue
                refusal = pin_refusal(
                    self._allowed.get(ep.name),
                    dist.metadata["Name"] or "",
                    dist.version,
                    blocked=self._pm.is_blocked(ep.name),
                )
                if refusal in ("blocked", "not_allowed"):
                    log.warning("service plugin skipped: name=%s reason=not_allowed", ep.name)
                    continue
                if refusal is not None:
                    log.error("service plugin skipped: name=%s reason=not_pinned", ep.name)
                    continue
                try:
                    plugin = ep.load()
                except Exception as e:
                    raise ServiceManifestInvalid(service_id=ep.name, reason="import failed") from e
                self.register(plugin, name=ep.name)
                loaded.append(ep.name)
        return loaded

    def register(self, plugin: object, *, name: str) -> ServiceManifest:
        """
        Register *plugin* as the service *name*, before :meth:`start`.

        Its hooks are checked (no unknown hooks, no wrappers) and its manifest
        read and validated (both languages, id equal to *name*).

        Returns:
            The plugin's manifest.

        Raises:
            ServiceNotAllowed: the registry is started, or *name* is blocked.
            ServiceDuplicate: *name* is already registered.
            ServiceManifestInvalid: a bad name, hook or manifest.
        """
        with self._lock:
            if self._started:
                raise ServiceNotAllowed(service_id=name)
            if not isinstance(name, str) or not _NAME.match(name):
                raise ServiceManifestInvalid(service_id="?", reason="bad service id")
            if name in self._plugins or self._pm.has_plugin(name):
                raise ServiceDuplicate(service_id=name)
            try:
                registered = self._pm.register(plugin, name=name)
            except (ValueError, pluggy.PluginValidationError) as e:
                raise ServiceManifestInvalid(service_id=name, reason="bad hook signature") from e
            if registered is None:
                raise ServiceNotAllowed(service_id=name)
            try:
                entry = self._admit(name, plugin)
            except BaseException:
                self._pm.unregister(name=name)
                raise
            self._plugins[name] = entry
            return entry.manifest

    def _admit(self, name: str, plugin: object) -> _Plugin:
        impls: dict[str, pluggy.HookImpl] = {}
        for caller in self._pm.get_hookcallers(plugin) or []:
            if caller.name not in _HOOKS or not caller.has_spec():
                raise ServiceManifestInvalid(service_id=name, reason="unknown hook")
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin:
                    if impl.hookwrapper or impl.wrapper:
                        # Wrappers would run around other plugins' calls (SEC-94).
                        raise ServiceManifestInvalid(service_id=name, reason="hook wrapper")
                    impls[caller.name] = impl
        if "ircc_service_manifest" not in impls:
            raise ServiceManifestInvalid(service_id=name, reason="no manifest")
        breaker = CircuitBreaker(
            failure_threshold=self._failure_threshold,
            reset_after=self._reset_after,
            clock=self._clock,
        )
        entry = _Plugin(name, plugin, None, impls, breaker)  # type: ignore[arg-type]
        outcome = self._run([(entry, "ircc_service_manifest", {})], logged=False)[0]
        reason: str | None = None
        if isinstance(outcome, Failed):
            reason = str(outcome.error.params.get("reason", outcome.error.code))
            cause = outcome.error.__cause__
            if isinstance(cause, ValidationError):
                reason = f"{cause.code} ({cause.params.get('field', '?')})"
        elif not isinstance(outcome, ServiceManifest):
            reason = "not a ServiceManifest"
        elif outcome.service_id != name:
            reason = "id differs from its name"
        if reason is not None:
            error = ServiceManifestInvalid(service_id=name, reason=reason)
            # Logged with the code it is raised with.
            log.error(
                "service plugin refused: service_id=%s hook=ircc_service_manifest code=%s",
                name,
                error.code,
            )
            raise error
        entry.manifest = outcome
        return entry

    def start(self, *, startup: bool = True) -> None:
        """
        Validate every hook specification, hand each plugin its settings
        (``ircc_startup``), and freeze the registry (SEC-97).

        Args:
            startup: ``False`` to check only, calling no plugin code beyond
                the manifests (the operator's survey, which has no settings);
                :meth:`close` then calls no ``ircc_shutdown`` either.

        Raises:
            ServiceManifestInvalid: a plugin implements an unknown hook, or
                its ``ircc_startup`` failed: then ``params["cause"]`` is the
                stable code of what it raised (``"service.unavailable"`` for
                an untyped exception, ``"service.timeout"`` if it hung),
                named in the message, and that error is ``__cause__``.
            ConfigurationError: settings name a service that is not registered.
        """
        with self._lock:
            try:
                self._pm.check_pending()
            except pluggy.PluginValidationError as e:
                name = self._pm.get_name(e.plugin) or "?"
                raise ServiceManifestInvalid(service_id=name, reason="unknown hook") from e
            unknown = set(self._settings) - set(self._plugins)
            if unknown:
                raise ConfigurationError(reason="settings for a service that is not registered")
            empty: Mapping[str, Any] = types.MappingProxyType({})
            calls = [
                (p, "ircc_startup", {"settings": self._settings.get(name, empty)})
                for name, p in self._plugins.items()
                if startup and "ircc_startup" in p.impls
            ]
            outcomes = self._run(calls, logged=False)
            for (plugin, _, _), outcome in zip(calls, outcomes, strict=True):
                if isinstance(outcome, Failed):
                    cause = _startup_cause(outcome.error)
                    # The reason is codes only, so the message is the same in
                    # both languages: "notifications.template_missing (ircc_startup)".
                    error = ServiceManifestInvalid(
                        service_id=plugin.name,
                        reason=f"{cause.code} (ircc_startup)",
                        cause=cause.code,
                    )
                    log.error(
                        "service plugin refused: service_id=%s hook=ircc_startup code=%s cause=%s",
                        plugin.name,
                        error.code,
                        cause.code,
                    )
                    raise error from cause
            self._started = True
            self._started_up = startup

    def close(self, *, timeout: float | None = None) -> None:
        """
        Tell every plugin to shut down (``ircc_shutdown``: close its HTTP
        clients), then stop the thread pools.

        Bounded: the shutdown hooks get the deadline, then calls still
        running (a plugin hung in a request or in its shutdown) get at most
        *timeout* seconds more, the deadline by default, and are abandoned:
        their threads are daemons, so they never keep the process from
        exiting. Closing twice does nothing.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        nothing: Mapping[str, Any] = {}
        calls = [
            (p, "ircc_shutdown", nothing)
            for p in self._plugins.values()
            if "ircc_shutdown" in p.impls
        ]
        if calls and self._started_up:
            self._run(calls)
        grace = self.deadline if timeout is None else timeout
        for pool in (self._pool, self._restrict_pool, self._event_pool):
            abandoned = pool.shutdown(grace)
            grace = 0.0 if abandoned else grace
            if abandoned:
                log.warning("service plugin threads abandoned at close: count=%d", abandoned)

    # --- introspection ----------------------------------------------------------------

    @property
    def service_ids(self) -> tuple[str, ...]:
        """
        The registered service ids, in registration order.
        """
        return tuple(self._plugins)

    def manifest(self, service_id: str) -> ServiceManifest:
        """
        The manifest of *service_id*.

        Raises:
            KeyError: no such service.
        """
        return self._plugins[service_id].manifest

    def health(self) -> dict[str, BreakerState]:
        """
        Each service's circuit state: ``closed`` is healthy, others are degraded.
        """
        return {name: p.breaker.state for name, p in self._plugins.items()}

    def set_rollout(self, service_id: str, **changes: Any) -> Rollout:
        """
        Change fields of a service's rollout at run time, without redeploying
        it; the fields not named keep their value (the salt, the allow and
        deny lists), so raising the percentage only ever adds clients. The
        change is held in memory, for this registry (this process) only: a
        portal with several workers applies it in each (``docs/plugins.md``)::

            registry.set_rollout("trv", percentage=20)   # was 10: nobody drops out
            registry.set_rollout("trv", killed=True)      # the kill switch

        Args:
            service_id: The service.
            **changes: ``percentage``, ``salt``, ``allow``, ``deny``, ``killed``.

        Returns:
            The rollout now in force.

        Raises:
            KeyError: no such service.
            ConfigurationError: a field :class:`Rollout` does not have.
            ValidationError: a bad value (a percentage out of 0 to 100).
        """
        fields = {f.name for f in attrs.fields(Rollout)}
        if not set(changes) <= fields:
            raise ConfigurationError(reason="a rollout has no such field")
        with self._lock:
            current = self.rollout(service_id)
            new = attrs.evolve(current, **changes)
            self._rollouts[service_id] = new
        return new

    def rollout(self, service_id: str) -> Rollout:
        """
        The rollout in force for *service_id* (the override, else the manifest's).

        Raises:
            KeyError: no such service.
        """
        return self._rollouts.get(service_id) or self._plugins[service_id].manifest.rollout

    def offered(self, client_id: str, facts: AccountFacts) -> list[ServiceManifest]:
        """
        The services offered to *client_id*: in rollout and meeting the declarative rules.
        """
        return [
            p.manifest
            for name, p in self._plugins.items()
            if self.rollout(name).includes(name, client_id) and p.manifest.eligible(facts)
        ]

    # --- calling plugins --------------------------------------------------------------

    def _invoke(
        self, plugin: _Plugin, hook: str, kwargs: Mapping[str, Any], progress: Progress
    ) -> Any:
        if hook == _DASHBOARD:
            # One task per tile: eligibility, items, then the service's own
            # actions, under one deadline.
            if "ircc_is_eligible" in plugin.impls:
                progress.hook = "ircc_is_eligible"
                if self._call_impl(plugin, "ircc_is_eligible", kwargs) is not True:
                    return NOT_ELIGIBLE
            items: Any = []
            if "ircc_client_items" in plugin.impls:
                progress.hook = "ircc_client_items"
                items = self._call_impl(plugin, "ircc_client_items", kwargs)
            offers: Any = ()
            if "ircc_service_actions" in plugin.impls:
                progress.hook = "ircc_service_actions"
                offers = self._call_impl(plugin, "ircc_service_actions", kwargs)
            return TileData(items, offers)
        return self._call_impl(plugin, hook, kwargs)

    @staticmethod
    def _call_impl(plugin: _Plugin, hook: str, kwargs: Mapping[str, Any]) -> Any:
        impl = plugin.impls[hook]
        # Opt-in arguments: an implementation gets only the arguments it names,
        # which is what lets hooks grow by adding arguments.
        return impl.function(*[kwargs[a] for a in impl.argnames])

    def _fail(
        self,
        plugin: _Plugin,
        hook: str,
        error: IrccAccountError,
        exc: object,
        *,
        logged: bool = True,
    ) -> Failed:
        if isinstance(error, ServiceTimeout):
            plugin.breaker.trip()
        else:
            plugin.breaker.record_failure()
        if logged:
            # One line, identifiers only: the exception's message may hold personal data.
            log.error(
                "service plugin failed: service_id=%s hook=%s code=%s error=%s",
                plugin.name,
                hook,
                error.code,
                type(exc).__name__,
            )
        return Failed(error)

    def _run(
        self,
        calls: Sequence[tuple[_Plugin, str, Mapping[str, Any]]],
        *,
        check: Callable[[_Plugin, Any], Any] | None = None,
        pool: DaemonPool | None = None,
        logged: bool = True,
    ) -> list[Any]:
        """
        Call each (plugin, hook, kwargs) concurrently, with one deadline for all.

        Returns each checked result, or a :class:`Failed`. With *logged*
        false, failures are left for the caller to log (with the code it raises).
        """
        pool = pool or self._pool
        futures: list[cf.Future[Any] | Failed] = []
        progress: list[Progress] = []
        future: cf.Future[Any] | Failed
        for plugin, hook, kwargs in calls:
            progress.append(Progress(hook))
            if not plugin.breaker.allow():
                futures.append(Failed(ServiceUnavailable(service_id=plugin.name)))
                continue
            with self._flight_lock:
                busy = plugin.in_flight >= self._max_in_flight
                if not busy:
                    plugin.in_flight += 1
            if busy:
                error = ServiceUnavailable(service_id=plugin.name)
                futures.append(self._fail(plugin, hook, error, error, logged=logged))
                continue
            try:
                submitted = pool.submit(self._invoke, plugin, hook, kwargs, progress[-1])
            except RuntimeError:
                # The registry is closing.
                self._release(plugin, None)
                futures.append(Failed(ServiceUnavailable(service_id=plugin.name)))
                continue
            submitted.add_done_callback(functools.partial(self._release, plugin))
            futures.append(submitted)
        cf.wait([f for f in futures if isinstance(f, cf.Future)], timeout=self.deadline)
        results: list[Any] = []
        for (plugin, _, _), running, future in zip(calls, progress, futures, strict=True):
            results.append(self._settle(plugin, running.hook, future, check, logged=logged))
        return results

    def _release(self, plugin: _Plugin, _: object) -> None:
        with self._flight_lock:
            plugin.in_flight -= 1

    def _settle(
        self,
        plugin: _Plugin,
        hook: str,
        future: cf.Future[Any] | Failed,
        check: Callable[[_Plugin, Any], Any] | None,
        *,
        logged: bool = True,
    ) -> Any:
        if isinstance(future, Failed):
            return future
        fail = functools.partial(self._fail, plugin, hook, logged=logged)
        if not future.done():
            # The thread is abandoned: its result, if it ever comes, is ignored.
            return fail(ServiceTimeout(service_id=plugin.name), TimeoutError())
        exc = future.exception()
        if exc is not None:
            if isinstance(exc, AuthorizationError | NotFound):
                # A gate's refusal (already recorded by the policy): the user
                # may not have this, which says nothing about the plugin's health.
                return Failed(exc)
            if isinstance(exc, ServiceError) and exc.params.get("service_id") == plugin.name:
                # The plugin's own typed failure (its legacy system is down, say).
                return fail(exc, exc)
            error = ServiceUnavailable(service_id=plugin.name)
            error.__cause__ = exc
            return fail(error, exc)
        try:
            value = future.result() if check is None else check(plugin, future.result())
        except ServiceBadOutput as e:
            return fail(e, e)
        plugin.breaker.record_success()
        return value

    def _call(
        self,
        plugin: _Plugin,
        hook: str,
        kwargs: Mapping[str, Any],
        check: Callable[[_Plugin, Any], T],
    ) -> T:
        (outcome,) = self._run([(plugin, hook, kwargs)], check=check)
        if isinstance(outcome, Failed):
            raise outcome.error
        result: T = outcome
        return result

    # --- requests ---------------------------------------------------------------------

    def _plugin(self, service_id: str) -> _Plugin:
        if not self._started or self._closed:
            raise ServiceUnavailable(service_id=service_id)
        try:
            return self._plugins[service_id]
        except KeyError:
            raise ServiceNotAllowed(service_id=service_id) from None

    def context(
        self,
        service_id: str,
        *,
        actor: Actor,
        client_id: str,
        scopes: Iterable[str] | None = None,
        language: str = "en",
        correlation_id: str | None = None,
        records: PageRecords | None = None,
    ) -> ServiceContext:
        """
        Build the context a plugin gets for one request.

        Args:
            service_id: The service.
            actor: Who asks.
            client_id: The client acted for.
            scopes: The scopes the actor's grant gives for this service (the
                front door reads them from the grant); ``None`` for the client
                themself, who holds every scope the manifest declares.
            language: ``en`` or ``fr``.
            correlation_id: Ties audit entries to the request.
            records: The page's held read records (see :meth:`page_records`);
                the caller flushes them before handing anything out.

        Raises:
            ServiceUnavailable: the registry is not started, or the service's
                kill switch is pulled.
            ServiceNotAllowed: no such service, or the client is outside its rollout.
        """
        manifest = self._plugin(service_id).manifest
        rollout = self.rollout(service_id)
        if rollout.killed:
            raise ServiceUnavailable(service_id=service_id)
        if not rollout.includes(service_id, client_id):
            raise ServiceNotAllowed(service_id=service_id)
        owner = actor.capacity is Capacity.CLIENT and actor.account_id == client_id
        held = manifest.scopes if scopes is None and owner else frozenset(scopes or ())
        return make_context(
            store=self._store,
            policy=self._policy,
            restrict=self.restrictions,
            publish=self.publish,
            clock=self._clock,
            service_id=service_id,
            actor=actor,
            client_id=client_id,
            scopes=held & manifest.scopes,
            language=language,
            correlation_id=correlation_id,
            limits=self._record_limits,
            records=records,
        )

    def page_records(self) -> PageRecords | None:
        """
        A holder for one page's read records, to pass as ``records=`` to each
        call the page makes and flush once before the page is handed out;
        ``None`` when this registry has no batch recorder (each read then
        waits for its own record).
        """
        return None if self._recorder is None else PageRecords(self._recorder)

    def dashboard(
        self,
        *,
        actor: Actor,
        client_id: str,
        facts: AccountFacts,
        scopes: Mapping[str, Iterable[str]] | None = None,
        language: str = "en",
        correlation_id: str | None = None,
        records: PageRecords | None = None,
    ) -> Dashboard:
        """
        Assemble the client's dashboard: one tile per offered service, all
        services called at once, each within the deadline. The plugins'
        reads are recorded together, in one flush, before it returns.

        Args:
            actor: Who asks.
            client_id: The client acted for.
            facts: What eligibility rules may know about the client.
            scopes: For a representative, their scopes per service id; a
                service without ``view_status`` among them gets no tile.
                ``None`` for the client themself.
            language: ``en`` or ``fr``.
            correlation_id: Ties audit entries to the request.
            records: The page's held read records, flushed by the caller;
                by default the dashboard holds and flushes its own.

        Raises:
            AuditError, StorageError: the reads could not be recorded
                (nothing is handed out).
        """
        own = records is None
        if own:
            records = self.page_records()
        try:
            return self._dashboard(actor, client_id, facts, scopes, language, correlation_id,
                                   records)  # fmt: skip
        finally:
            if own and records is not None:
                records.flush()

    def _dashboard(
        self,
        actor: Actor,
        client_id: str,
        facts: AccountFacts,
        scopes: Mapping[str, Iterable[str]] | None,
        language: str,
        correlation_id: str | None,
        records: PageRecords | None,
    ) -> Dashboard:
        tiles: dict[str, Tile | None] = {}
        calls: list[tuple[_Plugin, str, Mapping[str, Any]]] = []
        for manifest in self.offered(client_id, facts):
            sid = manifest.service_id
            held = None if scopes is None else scopes.get(sid, ())
            ctx = self.context(sid, actor=actor, client_id=client_id, scopes=held,
                               language=language, correlation_id=correlation_id,
                               records=records)  # fmt: skip
            if "view_status" not in ctx.scopes:
                continue
            if actor.assurance < manifest.assurance:
                tiles[sid] = Tile(
                    service_id=sid,
                    title=manifest.title,
                    status=TileStatus.STEP_UP,
                    message=STEP_UP,
                )
                continue
            tiles[sid] = None
            calls.append((self._plugins[sid], _DASHBOARD, {"ctx": ctx}))

        held_by = {c[2]["ctx"].service_id: c[2]["ctx"].scopes for c in calls}

        def check(plugin: _Plugin, value: Any) -> Any:
            if value is NOT_ELIGIBLE:
                return value
            items = _checks.check_items(plugin.manifest, client_id, value.items)
            offers = _checks.check_actions(plugin.manifest, value.offers)
            held = held_by[plugin.name]
            return TileData(items, tuple(o for o in offers if o.scope in held))

        outcomes = self._run(calls, check=check)
        for (plugin, _, _), outcome in zip(calls, outcomes, strict=True):
            tiles[plugin.name] = tile(plugin.manifest, outcome)
        return Dashboard(client_id=client_id, tiles=tuple(t for t in tiles.values() if t))

    def timeline(self, service_id: str, item_id: str, **context: Any) -> tuple[Any, ...]:
        """
        An item's timeline from its service (keyword arguments as for :meth:`context`).

        Raises:
            InvalidFormat: *item_id* is not an identifier (the plugin is not
                asked, and its circuit breaker is not struck).
            NotFound: the item is not this client's (the attempt is recorded,
                naming the item).
            ServiceUnavailable: the plugin failed, hung or is degraded, or
                the service is switched off.
            ServiceNotAllowed: the client is outside the service's rollout.
            ServiceBadOutput: it returned malformed data.
        """
        item_id = _item_id(item_id)
        plugin = self._plugin(service_id)
        ctx = self.context(service_id, **context)
        with self._not_found_recorded(ctx, item_id, Action.VIEW_STATUS, "timeline.read"):
            return self._call(
                plugin,
                "ircc_item_timeline",
                {"ctx": ctx, "item_id": item_id},
                lambda p, v: _checks.check_timeline(p.name, item_id, v),
            )

    def actions(self, service_id: str, item_id: str, **context: Any) -> tuple[ActionOffer, ...]:
        """
        The actions the actor may take on an item: the service's offers whose
        scope the actor holds (keyword arguments as for :meth:`context`).

        Raises:
            InvalidFormat: *item_id* is not an identifier (as for :meth:`timeline`).
            NotFound: the item is not this client's (recorded, naming the item).
            ServiceUnavailable: as for :meth:`timeline`.
            ServiceNotAllowed: the client is outside the service's rollout.
        """
        item_id = _item_id(item_id)
        ctx = self.context(service_id, **context)
        with self._not_found_recorded(ctx, item_id, Action.VIEW_STATUS, "item.actions"):
            return self._actions(ctx, item_id)

    def _actions(self, ctx: ServiceContext, item_id: str) -> tuple[ActionOffer, ...]:
        # Checked again here, as perform asks for the offers before it runs anything.
        item_id = _item_id(item_id)
        plugin = self._plugin(ctx.service_id)
        if "ircc_item_actions" not in plugin.impls:
            return ()
        offers = self._call(
            plugin,
            "ircc_item_actions",
            {"ctx": ctx, "item_id": item_id},
            lambda p, v: _checks.check_actions(p.manifest, v),
        )
        return tuple(o for o in offers if o.scope in ctx.scopes)

    def perform(
        self,
        service_id: str,
        item_id: str,
        action: str,
        payload: Mapping[str, Any],
        *,
        authorize: Callable[[ActionOffer], object] | None = None,
        **context: Any,
    ) -> ActionResult:
        """
        Do an action on an item, only if the service offers it to this actor
        right now (``ircc_perform_action``).

        Args:
            service_id: The item's service.
            item_id: The item.
            action: The offered action's name.
            payload: The client's form fields.
            authorize: Called with the offer before the plugin is: the front
                door asks the policy for the offer's scope on the item there
                and records the access once; raise to refuse. Without it the
                offer (filtered by the context's scopes) is the only check.
            **context: As for :meth:`context`.

        Raises:
            ValidationError: a malformed payload.
            NotFound: the item is not this client's (recorded, naming the item).
            ServiceNotAllowed: the action is not on offer for this actor, or
                the client is outside the service's rollout.
            ServiceUnavailable: the plugin failed, hung or is degraded, or the
                service is switched off.
            ServiceBadOutput: it returned malformed data.
        """
        fields = _checks.check_payload(payload)
        ctx = self.context(service_id, **context)
        with self._not_found_recorded(ctx, item_id, Action.ACT, "item.perform"):
            offer = next((o for o in self._actions(ctx, item_id) if o.action == action), None)
            if offer is None:
                raise ServiceNotAllowed(service_id=service_id)
            if authorize is not None:
                authorize(offer)
            return self._call(
                self._plugins[service_id],
                "ircc_perform_action",
                {"ctx": ctx, "item_id": item_id, "action": action, "payload": fields},
                lambda p, v: _checks.check_result(p.name, v),
            )

    def service_actions(self, service_id: str, **context: Any) -> tuple[ActionOffer, ...]:
        """
        What the actor may do in a service beyond its items ("start an
        application"): the service's ``ircc_service_actions`` offers whose
        scope the actor holds (keyword arguments as for :meth:`context`).

        Raises:
            ServiceUnavailable: the plugin failed, hung or is degraded, or
                the service is switched off.
            ServiceNotAllowed: the client is outside the service's rollout.
            ServiceBadOutput: it returned malformed offers.
        """
        return self._service_actions(self.context(service_id, **context))

    def _service_actions(self, ctx: ServiceContext) -> tuple[ActionOffer, ...]:
        plugin = self._plugin(ctx.service_id)
        if "ircc_service_actions" not in plugin.impls:
            return ()
        offers = self._call(
            plugin,
            "ircc_service_actions",
            {"ctx": ctx},
            lambda p, v: _checks.check_actions(p.manifest, v),
        )
        return tuple(o for o in offers if o.scope in ctx.scopes)

    def perform_service_action(
        self,
        service_id: str,
        action: str,
        payload: Mapping[str, Any],
        *,
        authorize: Callable[[ActionOffer], object] | None = None,
        **context: Any,
    ) -> ActionResult:
        """
        Do a service-level action, only if the service offers it to this
        actor right now (``ircc_perform_service_action``).

        Args:
            service_id: The service.
            action: The offered action's name.
            payload: The client's form fields (as for :meth:`perform`).
            authorize: Called with the offer before the plugin is: the front
                door asks the policy for the offer's scope there and records
                the access once; raise to refuse.
            **context: As for :meth:`context`.

        Raises:
            ValidationError: a malformed payload.
            ServiceNotAllowed: the action is not on offer for this actor, or
                the client is outside the service's rollout.
            ServiceUnavailable: the plugin failed, hung or is degraded, or the
                service is switched off.
            ServiceBadOutput: it returned malformed data.
        """
        fields = _checks.check_payload(payload)
        ctx = self.context(service_id, **context)
        offer = next((o for o in self._service_actions(ctx) if o.action == action), None)
        if offer is None or "ircc_perform_service_action" not in self._plugins[service_id].impls:
            raise ServiceNotAllowed(service_id=service_id)
        if authorize is not None:
            authorize(offer)
        return self._call(
            self._plugins[service_id],
            "ircc_perform_service_action",
            {"ctx": ctx, "action": action, "payload": fields},
            lambda p, v: _checks.check_result(p.name, v),
        )

    @contextlib.contextmanager
    def _not_found_recorded(
        self, ctx: ServiceContext, item_id: str, action: Action, what: str
    ) -> Iterator[None]:
        """
        A plugin that says "not found" about an item (not this client's, or
        no such item) without a gate having recorded it: record the refusal
        once, naming the item tried, as the gates do.
        """
        try:
            yield
        except NotFound as e:
            if not was_recorded(e):
                self._record_not_found(ctx, item_id, action, what)
            raise

    def _record_not_found(
        self, ctx: ServiceContext, item_id: str, action: Action, what: str
    ) -> None:
        try:
            resource = Resource(client_id=ctx.client_id, service_id=ctx.service_id, item_id=item_id)
        except ValidationError:
            return  # Not an id anyone could hold: nothing to name.
        plugin_actor = Actor(
            actor_id=ctx.service_id,
            capacity=Capacity.PLUGIN,
            assurance=ctx.actor.assurance,
            auth_time=ctx.actor.auth_time,
            on_behalf_of=ctx.actor,
        )
        with self._store.unit_of_work(write=False) as uow:
            self._policy.record(
                plugin_actor,
                action,
                resource,
                _NOT_FOUND,
                uow=uow,
                correlation_id=ctx.correlation_id,
                record_as=f"service.{what}",
                durable_now=True,
            )

    def restrictions(
        self, actor: Actor, action: Action | str, resource: Resource
    ) -> tuple[str, ...]:
        """
        Every plugin's objections to an access the policy allowed (SEC-94).
        A plugin that fails, hangs or is degraded objects.

        Returns:
            Deny reasons as ``plugin:reason``; empty when nobody objects.
        """
        calls = [
            (p, "ircc_restrict_access", {"actor": actor, "action": action, "resource": resource})
            for p in self._plugins.values()
            if "ircc_restrict_access" in p.impls
        ]
        reasons: list[str] = []
        outcomes = self._run(calls, pool=self._restrict_pool)
        for (plugin, _, _), outcome in zip(calls, outcomes, strict=True):
            if isinstance(outcome, Failed):
                reasons.append(f"{plugin.name}:failed")
            else:
                reasons.extend(_checks.restriction_reasons(plugin.name, outcome))
        return tuple(reasons)

    def publish(self, event: ServiceEvent, *, wait: bool = False) -> list[str]:
        """
        Tell the ``ircc_on_event`` implementations that may hear *event*
        about it: a plugin hears events about its own service; only one whose
        manifest says ``hears=EventAudience.ALL`` (a notification service)
        hears every client's grant events and other services' events.

        Args:
            event: What happened.
            wait: Wait (up to the deadline) for the plugins; else return at once.

        Returns:
            With *wait*, the ids of the services that failed; else an empty list.
        """
        calls = [
            (p, "ircc_on_event", {"event": event})
            for p in self._plugins.values()
            if "ircc_on_event" in p.impls and hears(p.manifest, event)
        ]
        if not calls:
            return []

        def run() -> list[str]:
            outcomes = self._run(calls)
            failed = zip(calls, outcomes, strict=True)
            return [p.name for (p, _, _), o in failed if isinstance(o, Failed)]

        if wait:
            return run()
        with contextlib.suppress(RuntimeError):  # Closing: nobody is listening any more.
            self._event_pool.submit(run)
        return []
