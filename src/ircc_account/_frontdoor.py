"""
The front door: one composition function that wires the store, the audit log,
the authorization policy, delegation and the service registry together.

This is the only place the subsystems are connected (after cosmicpython's
``bootstrap``), so a portal builds exactly one object at start-up and the web
edges talk to it. Plugins reach a client's data only through the registry's
context, whose gates go through :class:`~ircc_account.delegation.Policy` and
:class:`~ircc_account.audit.AuditLog`: there is no second path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from ircc_account._clock import Clock, Randomness, SystemClock, SystemRandomness
from ircc_account._crypto import Keyring
from ircc_account._model import (
    Actor,
    Capacity,
    ConsentGrant,
    GrantCoverage,
    ServiceItem,
)
from ircc_account._storage import open_store
from ircc_account._storage.ports import SqlStorage
from ircc_account.audit import AuditLog, CheckpointSigner
from ircc_account.delegation import Delegation, LicenceVerifier, Policy
from ircc_account.errors import AuthorizationError
from ircc_account.services import (
    AccountFacts,
    AllowedPlugin,
    Dashboard,
    RegistryEvents,
    ServiceRegistry,
)

__all__ = ["FrontDoor", "FrontDoorConfig"]


@attrs.frozen(kw_only=True)
class FrontDoorConfig:
    """
    Everything the front door needs, explicit (the library reads no environment).

    Attributes:
        database_url: ``sqlite:///path.db`` or ``postgresql+psycopg://...``.
        keyring: Key-encryption keys and the blind-index key, from a secret store.
        licence_verifier: Checks paid representatives' licences with their bodies.
        checkpoint_signer: Signs audit checkpoints; load its keys from a secret store.
        allowed_plugins: The entry points :meth:`FrontDoor.open` may load (SEC-92).
        blocked_plugins: Plugin names refused even when registered explicitly.
        plugin_deadline: Seconds each plugin call may take.
        clock: The time source.
        randomness: The CSPRNG.
        migrate: Run the schema migrations at start-up.
    """

    database_url: str
    keyring: Keyring = attrs.field(repr=False)
    licence_verifier: LicenceVerifier
    checkpoint_signer: CheckpointSigner | None = attrs.field(default=None, repr=False)
    allowed_plugins: Sequence[AllowedPlugin] = ()
    blocked_plugins: Sequence[str] = ()
    plugin_deadline: float = 2.0
    clock: Clock = attrs.field(factory=SystemClock)
    randomness: Randomness = attrs.field(factory=SystemRandomness)
    migrate: bool = True


class _EventRelay:
    """
    Forwards delegation events and audit alerts to the registry's event hook
    once the registry exists (the registry needs the policy and the log first).
    """

    def __init__(self) -> None:
        self.target: RegistryEvents | None = None

    def grant_created(self, client_id: str, grant: ConsentGrant) -> None:
        if self.target is not None:
            self.target.grant_created(client_id, grant)

    def grant_changed(self, client_id: str, grant: ConsentGrant) -> None:
        if self.target is not None:
            self.target.grant_changed(client_id, grant)

    def grant_revoked(self, client_id: str, grant: ConsentGrant) -> None:
        if self.target is not None:
            self.target.grant_revoked(client_id, grant)

    def grant_first_used(self, client_id: str, grant: ConsentGrant) -> None:
        if self.target is not None:
            self.target.grant_first_used(client_id, grant)

    def representative_acted(self, client_id: str, entry: object) -> None:
        if self.target is not None:
            self.target.representative_acted(client_id, entry)  # type: ignore[arg-type]


class FrontDoor:
    """
    The composed core of the online account: store, audit log, policy,
    delegation and services, wired once.

    Build it with :meth:`open`; close it with :meth:`close` (or ``with``).

    Attributes:
        store: The store (SQLite or PostgreSQL).
        audit: The tamper-evident audit log.
        policy: The one authorization entry point.
        delegation: Representatives, organisations and consent grants.
        services: The service registry, started.
    """

    def __init__(
        self,
        *,
        store: SqlStorage,
        audit: AuditLog,
        policy: Policy,
        delegation: Delegation,
        services: ServiceRegistry,
        clock: Clock,
    ) -> None:
        self.store = store
        self.audit = audit
        self.policy = policy
        self.delegation = delegation
        self.services = services
        self._clock = clock

    @classmethod
    def open(
        cls,
        config: FrontDoorConfig,
        *,
        plugins: Mapping[str, object] | None = None,
        discover: bool = True,
    ) -> FrontDoor:
        """
        Open the store and wire every subsystem.

        Args:
            config: The configuration.
            plugins: Service plugins to register explicitly, by name (tests,
                built-ins registered in code); entry points in
                ``config.allowed_plugins`` are loaded too.
            discover: Load the allowed entry points.

        Raises:
            ConfigurationError: a bad setting.
            ServiceError: a plugin failed validation at start-up.
        """
        store = open_store(config.database_url, keyring=config.keyring, migrate=config.migrate)
        try:
            relay = _EventRelay()
            audit = AuditLog(
                store,
                signer=config.checkpoint_signer,
                clock=config.clock,
                randomness=config.randomness,
                alerts=relay,
            )
            policy = Policy(clock=config.clock, audit=audit, events=relay)
            delegation = Delegation(
                clock=config.clock,
                licence_verifier=config.licence_verifier,
                events=relay,
                randomness=config.randomness,
                audit=audit,
            )
            registry = ServiceRegistry(
                store=store,
                policy=policy,
                audit=audit,
                allowed=list(config.allowed_plugins),
                blocked=list(config.blocked_plugins),
                clock=config.clock,
                deadline=config.plugin_deadline,
            )
            if discover and config.allowed_plugins:
                registry.discover()
            for name, plugin in (plugins or {}).items():
                registry.register(plugin, name=name)
            registry.start()
            relay.target = RegistryEvents(registry, config.clock)
            policy.declare_service_levels(
                {sid: registry.manifest(sid).assurance for sid in registry.service_ids}
            )
        except BaseException:
            store.close()
            raise
        return cls(
            store=store,
            audit=audit,
            policy=policy,
            delegation=delegation,
            services=registry,
            clock=config.clock,
        )

    def dashboard(
        self,
        actor: Actor,
        client_id: str,
        *,
        facts: AccountFacts | None = None,
        language: str = "en",
        correlation_id: str | None = None,
    ) -> Dashboard:
        """
        The client's dashboard as *actor* may see it: the client's own, or a
        representative's view under the grants the client gave them.

        Raises:
            AuthorizationError: *actor* is neither the client nor holds a grant.
        """
        scopes: Mapping[str, Iterable[str]] | None
        if actor.capacity is Capacity.CLIENT and actor.account_id == client_id:
            scopes = None
        elif actor.capacity is Capacity.REPRESENTATIVE:
            scopes = self._representative_scopes(actor, client_id)
            if not scopes:
                raise AuthorizationError()
        else:
            raise AuthorizationError()
        return self.services.dashboard(
            actor=actor,
            client_id=client_id,
            facts=facts or AccountFacts(),
            scopes=scopes,
            language=language,
            correlation_id=correlation_id,
        )

    def _representative_scopes(self, actor: Actor, client_id: str) -> dict[str, set[str]]:
        """
        The scopes per service that *actor*'s active grants from *client_id* hold.

        The dashboard only uses these to decide which tiles to show; every
        read behind a tile is still authorized by the policy on its own.
        """
        now = self._clock.now()
        scopes: dict[str, set[str]] = {}
        with self.store.unit_of_work(write=False) as uow:
            grants = [
                g
                for g in self.delegation.grants_received(uow, actor)
                if g.client_account_id == client_id and g.is_active_at(now)
            ]
            for grant in grants:
                for service_id in self._services_covered(uow.items.for_account(client_id), grant):
                    scopes.setdefault(service_id, set()).update(grant.scopes)
        return scopes

    def _services_covered(self, items: Sequence[ServiceItem], grant: ConsentGrant) -> set[str]:
        if grant.coverage is GrantCoverage.ACCOUNT:
            return set(self.services.service_ids)
        if grant.coverage is GrantCoverage.SERVICE:
            return {grant.target} if grant.target else set()
        return {i.service_id for i in items if i.item_id == grant.target}

    def close(self) -> None:
        """
        Stop the plugin pools and close the store's connections.
        """
        self.services.close()
        self.store.close()

    def __enter__(self) -> FrontDoor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
