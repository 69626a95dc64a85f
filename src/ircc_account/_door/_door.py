"""
The front door: the one composition of the store, the audit log, the
authorization policy, delegation, identity and the service registry, and
every operation a portal's pages need, on one object.

This is the only place the subsystems are connected (after cosmicpython's
``bootstrap``). Each page operation opens its own unit of work, asks the
policy, and records what it did in the audit log, once per access; a
refusal's record survives the rollback the refusal causes. Plugins reach a
client's data only through the registry's context, whose gates go through
the same policy and log: there is no second path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal, NoReturn

import attrs

from ircc_account._clock import Clock, Randomness
from ircc_account._model import (
    Action,
    Actor,
    AssuranceLevel,
    AuthorizationDecision,
    Capacity,
    Language,
    Resource,
    ServiceItem,
)
from ircc_account._model import _validate as v
from ircc_account._storage import open_store
from ircc_account._storage.ports import SqlStorage, SqlUnit
from ircc_account.audit import (
    ActorDirectory,
    AuditLog,
    GroupCommitAppender,
    HistoryPage,
    export_client,
    who_touched_my_file,
)
from ircc_account.delegation import Delegation, Policy, begin_acting_for
from ircc_account.errors import (
    AuthorizationError,
    ConfigurationError,
    NotFound,
    PersonalDataErased,
    ServiceNotAllowed,
    SessionExpired,
    UnknownValue,
    ValidationError,
)
from ircc_account.identity import (
    Identity,
    IssuedSession,
    LoginRedirect,
    Providers,
    RateLimits,
    Session,
    StepUpPlan,
)
from ircc_account.services import (
    AccountFacts,
    ActionOffer,
    ActionResult,
    Dashboard,
    PageRecords,
    RegistryEvents,
    ServiceRegistry,
)

from ._config import FrontDoorConfig
from ._directory import StoreDirectory
from ._events import EventHub
from ._grants import GrantDesk
from ._onboarding import Onboarding
from ._values import ClientSummary, ItemPage, Principal

__all__ = ["FrontDoor"]

_NOT_FOUND = AuthorizationDecision(allowed=False, reason="not_found")
_NOT_OFFERED = AuthorizationDecision(allowed=False, reason="not_offered")
_NOT_REPRESENTATIVE = AuthorizationDecision(allowed=False, reason="not_representative")


class FrontDoor:
    """
    The composed core of the online account: build it with :meth:`open`,
    close it with :meth:`close` (or ``with``). A portal needs nothing else.

    Every page operation takes the :class:`~ircc_account.Actor` of the
    request (from :meth:`actor`) and the client whose file the page is about
    (``session.client_id``), opens its own unit of work, asks the policy, and
    records the access in the audit log once; a refusal raises a typed error
    (:class:`~ircc_account.errors.AuthorizationError`,
    :class:`~ircc_account.errors.NotFound`, ...) whose message exists in
    English and French, and its record is kept.

    Attributes:
        store: The store (SQLite or PostgreSQL).
        audit: The tamper-evident audit log.
        policy: The one authorization policy.
        delegation: Representatives, organisations and consent grants.
        services: The service registry, started.
        grants: Consent grants: give, ask, accept, refuse, change, revoke, list.
        onboarding: Representatives, organisations and their members.
        events: Where grant changes and representatives' accesses are
            announced; subscribe to hear of them (after commit).
    """

    def __init__(
        self,
        *,
        store: SqlStorage,
        audit: AuditLog,
        policy: Policy,
        delegation: Delegation,
        services: ServiceRegistry,
        identity: Identity | None,
        events: EventHub,
        clock: Clock,
        randomness: Randomness,
        appender: GroupCommitAppender,
        directory: ActorDirectory,
        invitation_lifetime: dt.timedelta = dt.timedelta(days=7),
    ) -> None:
        self.store = store
        self.audit = audit
        self.policy = policy
        self.delegation = delegation
        self.services = services
        self._identity = identity
        self.grants = GrantDesk(store, policy, delegation, randomness)
        self.onboarding = Onboarding(store, delegation, invitation_lifetime)
        self.events = events
        self._clock = clock
        self._randomness = randomness
        self._appender = appender
        self._directory = directory
        self._invitation_lifetime = invitation_lifetime

    def __repr__(self) -> str:
        return f"FrontDoor({self.store!r}, services={self.services.service_ids!r})"

    @classmethod
    def open(
        cls,
        config: FrontDoorConfig,
        *,
        plugins: Mapping[str, object] | None = None,
        discover: bool = True,
    ) -> FrontDoor:
        """
        Open the store and wire every subsystem: audit log, policy,
        delegation, identity (when providers are configured) and the services.

        Args:
            config: The configuration.
            plugins: Service plugins to register explicitly, by name (tests,
                services registered in code); entry points in
                ``config.allowed_plugins`` are loaded too.
            discover: Load the allowed entry points.

        Raises:
            ConfigurationError: a bad setting.
            ServiceError: a plugin failed validation at start-up.
            StorageError: the database could not be opened or migrated.
        """
        store = open_store(config.database_url, keyring=config.keyring, migrate=config.migrate)
        providers: Providers | None = None
        registry: ServiceRegistry | None = None
        appender: GroupCommitAppender | None = None
        try:
            hub = EventHub()
            audit = AuditLog(
                store,
                signer=config.checkpoint_signer,
                clock=config.clock,
                randomness=config.randomness,
                alerts=hub,
            )
            # Reads record their access through the group commit: concurrent
            # reads (a dashboard's plugins) share one durable flush.
            appender = GroupCommitAppender(audit)
            policy = Policy(clock=config.clock, audit=audit, events=hub, record_now=appender.submit)
            delegation = Delegation(
                clock=config.clock,
                licence_verifier=config.licence_verifier,
                events=hub,
                randomness=config.randomness,
                fresh_auth=config.fresh_auth,
                audit=audit,
            )
            identity = None
            if config.providers:
                providers = Providers(
                    config.providers,
                    http=config.provider_http,
                    ssl_context=config.provider_tls,
                    limits=config.http_limits,
                    clock=config.clock,
                )
                identity = Identity(
                    store,
                    providers,
                    clock=config.clock,
                    randomness=config.randomness,
                    policy=config.session_policy,
                    audit=audit,
                    rate_limits=config.rate_limits or RateLimits.default(config.clock),
                    legacy=config.legacy_verifier,
                    claim_policy=config.claim_policy,
                )
            registry = ServiceRegistry(
                store=store,
                policy=policy,
                allowed=list(config.allowed_plugins),
                blocked=list(config.blocked_plugins),
                clock=config.clock,
                deadline=config.plugin_deadline,
                settings=config.plugin_settings,
                recorder=appender,
            )
            if discover and config.allowed_plugins:
                registry.discover()
            for name, plugin in (plugins or {}).items():
                registry.register(plugin, name=name)
            registry.start()
            hub.subscribe(RegistryEvents(registry, config.clock))
            policy.declare_service_levels(
                {sid: registry.manifest(sid).assurance for sid in registry.service_ids}
            )
            # Grants may name only services this door offers.
            delegation.declare_services(registry.service_ids)
        except BaseException:
            if appender is not None:
                appender.close()
            if registry is not None:
                registry.close()
            if providers is not None:
                providers.close()
            store.close()
            raise
        return cls(
            store=store,
            audit=audit,
            policy=policy,
            delegation=delegation,
            services=registry,
            identity=identity,
            events=hub,
            clock=config.clock,
            randomness=config.randomness,
            appender=appender,
            directory=config.directory or StoreDirectory(store, registry),
            invitation_lifetime=config.invitation_lifetime,
        )

    def close(self) -> None:
        """
        Tell the plugins to shut down (``ircc_shutdown``) and stop their
        pools (a hung plugin is abandoned after the deadline), close the
        providers' HTTP client and the store.
        """
        self.services.close()
        if self._identity is not None:
            self._identity.providers.close()
        self._appender.close()
        self.store.close()

    def __enter__(self) -> FrontDoor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- identity -----------------------------------------------------------------------------

    @property
    def identity(self) -> Identity:
        """
        Logins, registration, credential linking, legacy-file claims,
        sessions and logout (``start_login``, ``complete_login``,
        ``register_account``, ``link_credential``, ``claim_legacy_file``,
        ``get_session``, ``logout``, ``complete_logout``,
        ``handle_backchannel_logout``; see ``docs/identity.md``).

        Raises:
            ConfigurationError: the door was opened without providers.
        """
        if self._identity is None:
            raise ConfigurationError(reason="no credential provider is configured")
        return self._identity

    def step_up(
        self,
        cookie: str | None,
        *,
        client_key: str,
        level: AssuranceLevel | int,
        max_age: int | None = None,
    ) -> LoginRedirect:
        """
        Log in again at the session's provider, at assurance *level* or above
        (and authenticated at most *max_age* seconds ago): what to do when an
        operation raised :class:`~ircc_account.errors.StepUpRequired`, or an
        ``AuthorizationError`` whose reason is ``assurance``.

        Raises:
            SessionExpired: no signed-in session.
            ConfigurationError: the provider cannot reach that level.
        """
        identity = self.identity
        session = identity.get_session(cookie)
        if not session.authenticated or session.provider is None:
            raise SessionExpired()
        plan = StepUpPlan(provider=session.provider, level=AssuranceLevel(level), max_age=max_age)
        return identity.start_login(cookie, plan.provider, client_key=client_key, step_up=plan)

    # --- who is asking ------------------------------------------------------------------------

    def principal(self, session: Session) -> Principal:
        """
        Who *session* belongs to: their account, their representative record
        and current memberships if they act for others, and whom they act
        for now.

        Raises:
            SessionExpired: the session is not signed in.
        """
        account_id = _signed_in(session)
        now = self._clock.now()
        with self.store.unit_of_work(write=False) as uow:
            rep = self.delegation.representative_for_account(uow, account_id)
            members = () if rep is None else self.delegation.memberships(uow, rep, now)
        return Principal(
            account_id=account_id,
            representative=rep,
            memberships=tuple(members),
            acting_for=session.acting_for,
        )

    def actor(
        self, session: Session, *, as_representative: bool = False, own: bool = False
    ) -> Actor:
        """
        The :class:`~ircc_account.Actor` a request from *session* acts as:
        the client on their own file; or, when the session acts for another
        client (or with *as_representative*, for a representative's own pages
        such as their list of clients), the representative their login is,
        keeping their own identity (never impersonation). An office's staff
        member is a representative too; the policy finds their office and
        access groups on each request. With *own*, the person on their own
        account whatever the session acts for (their own settings).

        Raises:
            SessionExpired: the session is not signed in.
            AuthorizationError: the session acts for someone else, or asks
                for the representative, but the login is no representative
                (``params["reason"] == "not_representative"``); when the
                session acts for a client, the refusal is recorded once in
                that client's history (``acting.begin``).
        """
        account_id = _signed_in(session)
        acting = session.acting_for is not None and session.acting_for != account_id
        if own or (not acting and not as_representative):
            return self._own_actor(session, account_id)
        return self._representative(session, account_id, session.acting_for if acting else None)

    def _own_actor(self, session: Session, account_id: str) -> Actor:
        return Actor(
            actor_id=account_id,
            capacity=Capacity.CLIENT,
            account_id=account_id,
            assurance=session.assurance,
            auth_time=session.last_authentication(),
            session_ref=session.ref,
        )

    def _representative(
        self,
        session: Session,
        account_id: str,
        client_id: str | None,
        correlation_id: str | None = None,
    ) -> Actor:
        """
        The representative *session*'s login is; if it is none, the refusal
        is recorded in *client_id*'s history (when a client is concerned)
        and raised.
        """
        with self.store.unit_of_work(write=False) as uow:
            rep = self.delegation.representative_for_account(uow, account_id)
        if rep is None:
            try:
                resource = None if client_id is None else Resource(client_id=client_id)
            except ValidationError:
                resource = None  # Not an id any client holds: no history to write in.
            if resource is not None:
                # The person as themself tried to act for the client: one
                # kept refusal, as a representative's refused switch is.
                with self.store.unit_of_work() as uow:
                    self.policy.record(
                        self._own_actor(session, account_id),
                        Action.VIEW_STATUS,
                        resource,
                        _NOT_REPRESENTATIVE,
                        uow=uow,
                        correlation_id=correlation_id or self._correlation(),
                        record_as="acting.begin",
                    )
                    uow.commit()
            raise AuthorizationError(reason="not_representative")
        return Actor(
            actor_id=rep.representative_id,
            capacity=Capacity.REPRESENTATIVE,
            account_id=account_id,
            representative_id=rep.representative_id,
            assurance=session.assurance,
            auth_time=session.last_authentication(),
            session_ref=session.ref,
        )

    def act_for(
        self, cookie: str | None, client_id: str, *, correlation_id: str | None = None
    ) -> IssuedSession:
        """
        A representative switches to acting for *client_id*: allowed only
        while a grant in force reaches them; recorded in the client's
        history; the session id rotates (SEC-34). Set the new cookie.

        Raises:
            SessionExpired: no signed-in session.
            AuthorizationError: no grant in force reaches them for this client
                (``params["reason"]``: one of
                :data:`ircc_account.delegation.DENIAL_REASONS`, such as
                ``no_grant``, ``revoked``, ``expired``, ``not_yet_valid``,
                ``lapsed``, ``declined``, ``licence``, ``not_licensed``,
                ``membership``; or ``not_representative``); the refusal is recorded.
        """
        identity = self.identity
        session = identity.get_session(cookie)
        correlation_id = correlation_id or self._correlation()
        actor = self._representative(session, _signed_in(session), client_id, correlation_id)
        with self.store.unit_of_work() as uow:
            begin_acting_for(
                self.policy,
                actor,
                client_id,
                uow=uow,
                correlation_id=correlation_id,
            )
            uow.commit()
        return identity.act_for(cookie, client_id)

    def stop_acting(self, cookie: str | None) -> IssuedSession:
        """
        Back to one's own file; the session id rotates. Set the new cookie.

        Raises:
            SessionExpired: no signed-in session.
        """
        return self.identity.act_for(cookie, None)

    # --- a client's pages ---------------------------------------------------------------------

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
        The client's dashboard as *actor* may see it: one tile per service
        offered, all services asked at once within their deadline (a failing
        one shows as unavailable). A representative sees only the services
        their grants in force reach with ``view_status``.

        Raises:
            AuthorizationError: *actor* holds nothing in force for this
                client (recorded in the client's history).
        """
        correlation_id = correlation_id or self._correlation()
        with self.store.unit_of_work(write=False) as uow:
            scopes = self.policy.scopes_held(
                actor, client_id, uow=uow, service_ids=self.services.service_ids
            )
            if scopes is not None and not any("view_status" in s for s in scopes.values()):
                self._refuse(
                    uow,
                    actor,
                    Action.VIEW_STATUS,
                    Resource(client_id=client_id),
                    correlation_id,
                    "door.dashboard",
                )
        return self.services.dashboard(
            actor=actor,
            client_id=client_id,
            facts=facts or AccountFacts(),
            scopes=scopes,
            language=language,
            correlation_id=correlation_id,
        )

    def item(
        self,
        actor: Actor,
        client_id: str,
        item_id: str,
        *,
        language: str = "en",
        correlation_id: str | None = None,
    ) -> ItemPage:
        """
        One item's page: the item, its timeline from its service, and the
        actions *actor* may take. The item must be *client_id*'s: another
        client's item, an erased client's or an unknown id all answer "not
        found" alike (SEC-50), and the attempt is recorded.

        Raises:
            NotFound: no such item for this client (a malformed id too: it is
                recorded without the id, and the store is not asked).
            AuthorizationError: *actor* may not see it (``params["reason"]``).
            ServiceUnavailable: its service failed or is switched off.
        """
        correlation_id = correlation_id or self._correlation()
        records = PageRecords(self._appender)
        try:
            item, scopes = self._open_item(
                actor, client_id, item_id, correlation_id, "door.item.view", records=records
            )
            context = {
                "actor": actor,
                "client_id": client_id,
                "scopes": scopes,
                "language": language,
                "correlation_id": correlation_id,
                "records": records,
            }
            timeline = self.services.timeline(item.service_id, item_id, **context)
            actions = self.services.actions(item.service_id, item_id, **context)
        finally:
            # The page's own record and its plugin's reads are written
            # together: nothing is handed out (and no failure reported)
            # before they are durable.
            records.flush()
        return ItemPage(client_id=client_id, item=item, timeline=tuple(timeline), actions=actions)

    def perform(
        self,
        actor: Actor,
        client_id: str,
        item_id: str,
        action: str,
        payload: Mapping[str, Any] | None = None,
        *,
        language: str = "en",
        correlation_id: str | None = None,
    ) -> ActionResult:
        """
        Do one of the actions an item's page offers *actor*, through its service.

        The item's page offers only what *actor*'s grants allow on this very
        item (a grant for another item gives nothing here). The offer's scope
        is asked of the policy for the item and the decision recorded once
        (``door.item.perform``, with the grant relied on and the correlation
        id), before the service is called; a refusal is kept. An action not
        on offer is refused and recorded (reason ``not_offered``).

        Raises:
            NotFound: no such item for this client (or a malformed id).
            AuthorizationError: the action is not on offer to *actor* now
                (reason ``not_offered``), or the policy refused it.
            ValidationError: a malformed payload.
            ServiceUnavailable: its service failed or is switched off.
        """
        correlation_id = correlation_id or self._correlation()
        # Seeing the item is part of acting on it: only a refusal to see it
        # is recorded here; an allowed perform is recorded once, below, as
        # the policy's decision on the offer's scope.
        item, scopes = self._open_item(
            actor, client_id, item_id, correlation_id, "door.item.perform", record_allowed=False
        )
        resource = Resource(client_id=client_id, service_id=item.service_id, item_id=item_id)

        def authorize(offer: ActionOffer) -> None:
            with self.store.unit_of_work() as uow:
                self.policy.require(
                    actor,
                    offer.scope,
                    resource,
                    uow=uow,
                    correlation_id=correlation_id,
                    record_as="door.item.perform",
                )
                uow.commit()

        try:
            return self.services.perform(
                item.service_id,
                item_id,
                action,
                payload or {},
                authorize=authorize,
                actor=actor,
                client_id=client_id,
                scopes=scopes,
                language=language,
                correlation_id=correlation_id,
            )
        except ServiceNotAllowed:
            self._not_offered(actor, resource, correlation_id, "door.item.perform")

    def perform_service(
        self,
        actor: Actor,
        client_id: str,
        service_id: str,
        action: str,
        payload: Mapping[str, Any] | None = None,
        *,
        language: str = "en",
        correlation_id: str | None = None,
    ) -> ActionResult:
        """
        Do one of the service-level actions a dashboard tile offers *actor*
        (``Tile.actions``: "start an application"), through its service.

        The offer's scope is asked of the policy for the client and service
        and the decision recorded once (``door.service.perform``); an action
        not on offer is refused and recorded (reason ``not_offered``).

        Raises:
            AuthorizationError: the action is not on offer to *actor* now
                (``not_offered``), or the policy refused its scope.
            ValidationError: a malformed payload.
            ServiceUnavailable: its service failed or is switched off.
        """
        correlation_id = correlation_id or self._correlation()
        resource = Resource(client_id=client_id, service_id=service_id)
        with self.store.unit_of_work(write=False) as uow:
            held = self.policy.scopes_held(actor, client_id, uow=uow, service_ids=(service_id,))
        scopes = None if held is None else held.get(service_id, frozenset())

        def authorize(offer: Any) -> None:
            with self.store.unit_of_work() as uow:
                self.policy.require(
                    actor,
                    offer.scope,
                    resource,
                    uow=uow,
                    correlation_id=correlation_id,
                    record_as="door.service.perform",
                )
                uow.commit()

        try:
            return self.services.perform_service_action(
                service_id,
                action,
                payload or {},
                authorize=authorize,
                actor=actor,
                client_id=client_id,
                scopes=scopes,
                language=language,
                correlation_id=correlation_id,
            )
        except ServiceNotAllowed:
            self._not_offered(actor, resource, correlation_id, "door.service.perform")

    def history(
        self,
        actor: Actor,
        client_id: str,
        *,
        language: Literal["en", "fr"] = "en",
        item_id: str | None = None,
        person: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        refusals_only: bool = False,
        limit: int = 50,
        page: str | None = None,
        correlation_id: str | None = None,
    ) -> HistoryPage:
        """
        "Who touched my file": every recorded access to the client's file,
        newest first, one line per access, as plain sentences naming people,
        offices, services, items and grants (see
        :func:`~ircc_account.audit.who_touched_my_file` for the filters and
        paging). Only the client reads it (it names their representatives, a
        field no delegate sees, SEC-51).

        Raises:
            AuthorizationError: *actor* is not the client (recorded).
            ValidationError: a malformed filter or page token.
        """
        return who_touched_my_file(
            self.store,
            client_id,
            item_id=item_id,
            person=person,
            since=since,
            until=until,
            refusals_only=refusals_only,
            limit=limit,
            page=page,
            language=language,
            directory=(
                self._directory.fresh()
                if isinstance(self._directory, StoreDirectory)
                else self._directory
            ),
            # Recorded once the filters are known good, before anything is read.
            before_reading=lambda: self._require_own(
                actor, client_id, correlation_id, "door.history.view"
            ),
        )

    def export(
        self, actor: Actor, client_id: str, *, correlation_id: str | None = None
    ) -> dict[str, Any]:
        """
        The client's own export of their history with its proof: a signed
        checkpoint made now covers every entry (verify it offline with
        :func:`ircc_account.audit.verify_export` and the published keys).

        Raises:
            AuthorizationError: *actor* is not the client (recorded).
            ConfigurationError: the door has no checkpoint signer.
        """
        self._require_own(actor, client_id, correlation_id, "door.history.export")
        if self.audit.signer is None:
            # Without a signed checkpoint an export proves nothing.
            raise ConfigurationError(reason="exports need a checkpoint signer")
        # A checkpoint now covers every entry, the export's own access included.
        self.audit.checkpoint()
        return export_client(self.store, client_id, public_keys=self.audit.signer.public_keys())

    def preferred_language(self, actor: Actor) -> Language | None:
        """
        The signed-in client's own preferred language (``None`` if their
        account is gone or erased). Not recorded: a page reads it on every
        request, and it is the client's own setting, not their file.
        """
        if actor.capacity is not Capacity.CLIENT or actor.account_id is None:
            return None
        try:
            with self.store.unit_of_work(write=False) as uow:
                return uow.accounts.get(actor.account_id).preferred_language
        except (NotFound, PersonalDataErased):
            return None

    def set_preferred_language(
        self, actor: Actor, language: Language | str, *, correlation_id: str | None = None
    ) -> None:
        """
        The client changes their own preferred language (notifications and
        pages use it). Recorded as a change to their profile.

        Raises:
            AuthorizationError: *actor* is not a client on their own account (recorded).
            UnknownValue: not ``en`` or ``fr``.
        """
        language = Language(language) if language in ("en", "fr") else _unknown_language()
        client_id = actor.account_id or actor.actor_id
        resource = Resource(client_id=client_id, field="preferences")
        with self.store.unit_of_work() as uow:
            self.policy.require(
                actor,
                Action.CHANGE_PROFILE,
                resource,
                uow=uow,
                correlation_id=correlation_id or self._correlation(),
                record_as="door.profile.change",
            )
            account = uow.accounts.get(client_id)
            if account.preferred_language is not language:
                uow.accounts.update(attrs.evolve(account, preferred_language=language))
            uow.commit()

    # --- a representative's pages ----------------------------------------------------------

    def clients(
        self,
        actor: Actor,
        *,
        limit: int = 50,
        offset: int = 0,
        correlation_id: str | None = None,
    ) -> list[ClientSummary]:
        """
        The clients a representative (or an office's staff member) may act
        for now, directly or through their office's grants to their access
        groups, by client id, a page at a time. Showing a client's name is an
        access to their file: each one listed is recorded in their history.
        Anyone who is not a representative has no clients.
        """
        if not 1 <= limit <= 500 or offset < 0:
            raise ConfigurationError(reason="limit must be 1-500 and offset not negative")
        correlation_id = correlation_id or self._correlation()
        found: list[ClientSummary] = []
        with self.store.unit_of_work() as uow:
            reached = self.policy.clients_reached(actor, uow=uow)
            for client_id in reached[offset : offset + limit]:
                decision = self.policy.reach(
                    actor,
                    client_id,
                    uow=uow,
                    correlation_id=correlation_id,
                    record_as="door.clients.list",
                )
                if not decision.allowed:
                    continue
                try:
                    personal = uow.accounts.get(client_id).personal
                except (NotFound, PersonalDataErased):
                    continue
                name = " ".join(p for p in (personal.given_names, personal.family_name) if p)
                found.append(
                    ClientSummary(
                        client_id=client_id,
                        name=name,
                        grant_id=decision.grant_id,
                        organisation_id=decision.organisation_id,
                    )
                )
            uow.commit()
        return found

    # --- helpers ------------------------------------------------------------------------------

    def _correlation(self) -> str:
        return "req-" + self._randomness.token_bytes(12).hex()

    def _refuse(
        self,
        uow: SqlUnit,
        actor: Actor,
        action: Action,
        resource: Resource,
        correlation_id: str,
        record_as: str,
        decision: AuthorizationDecision | None = None,
    ) -> NoReturn:
        """
        Record a refusal (durably, on its own: *uow* only reads) and raise it.
        """
        if decision is None:
            decision = self.policy.decide(actor, action, resource, uow=uow)
            if decision.allowed:
                decision = AuthorizationDecision(allowed=False, reason="no_grant")
        self.policy.record(
            actor,
            action,
            resource,
            decision,
            uow=uow,
            correlation_id=correlation_id,
            record_as=record_as,
            durable_now=True,
        )
        if decision is _NOT_FOUND:
            raise NotFound(kind="item")
        raise decision.refusal()

    def _open_item(
        self,
        actor: Actor,
        client_id: str,
        item_id: str,
        correlation_id: str,
        record_as: str,
        *,
        record_allowed: bool = True,
        records: PageRecords | None = None,
    ) -> tuple[ServiceItem, frozenset[str] | None]:
        """
        The stored item, if it is *client_id*'s, after the policy allowed
        *actor* to see it, with the scopes *actor* holds on its service.

        With *records*, an allowed decision's record is held there: the
        caller flushes it before handing out the page. A refusal is always
        durable first.
        """
        with self.store.unit_of_work(write=False) as uow:
            item: ServiceItem | None
            try:
                v.identifier("item_id", item_id)
            except ValidationError:
                # Not an id any item has: "not found" as for any other id,
                # recorded once without the id tried (it is not fit to store
                # or show), and the store is never asked.
                self._refuse(
                    uow,
                    actor,
                    Action.VIEW_STATUS,
                    Resource(client_id=client_id),
                    correlation_id,
                    record_as,
                    _NOT_FOUND,
                )
            try:
                item = uow.items.get(item_id)
            except (NotFound, PersonalDataErased):
                item = None
            if item is None or item.account_id != client_id:
                # The resource is the client named in the request, with the
                # id tried: the stored record proved nothing else (SEC-50).
                resource = Resource(client_id=client_id, item_id=item_id)
                self._refuse(
                    uow, actor, Action.VIEW_STATUS, resource, correlation_id, record_as, _NOT_FOUND
                )
            resource = Resource(client_id=client_id, service_id=item.service_id, item_id=item_id)
            if record_allowed:
                decision = self.policy.authorize(
                    actor,
                    Action.VIEW_STATUS,
                    resource,
                    uow=uow,
                    correlation_id=correlation_id,
                    record_as=record_as,
                    durable_now=True,
                    recorder=records,
                )
            else:
                decision = self.policy.decide(actor, Action.VIEW_STATUS, resource, uow=uow)
                if not decision.allowed:
                    self.policy.record(
                        actor,
                        Action.VIEW_STATUS,
                        resource,
                        decision,
                        uow=uow,
                        correlation_id=correlation_id,
                        record_as=record_as,
                        durable_now=True,
                    )
            if not decision.allowed:
                raise decision.refusal()
            held = self.policy.scopes_held(
                actor, client_id, uow=uow, service_ids=(item.service_id,), item_id=item_id
            )
        scopes = None if held is None else held.get(item.service_id, frozenset())
        return item, scopes

    def _not_offered(
        self, actor: Actor, resource: Resource, correlation_id: str, record_as: str
    ) -> NoReturn:
        """
        Record that *actor* asked for an action not on offer, and refuse it.
        """
        with self.store.unit_of_work() as uow:
            self.policy.record(
                actor,
                Action.ACT,
                resource,
                _NOT_OFFERED,
                uow=uow,
                correlation_id=correlation_id,
                record_as=record_as,
            )
            uow.commit()
        raise AuthorizationError(reason="not_offered") from None

    def _require_own(
        self, actor: Actor, client_id: str, correlation_id: str | None, record_as: str
    ) -> None:
        resource = Resource(client_id=client_id, field="representatives")
        with self.store.unit_of_work() as uow:
            self.policy.require(
                actor,
                Action.VIEW_PROFILE,
                resource,
                uow=uow,
                correlation_id=correlation_id or self._correlation(),
                record_as=record_as,
            )
            uow.commit()


def _unknown_language() -> Language:
    raise UnknownValue(field="preferred_language")


def _signed_in(session: Session) -> str:
    if not session.authenticated or session.account_id is None:
        raise SessionExpired()
    return session.account_id
