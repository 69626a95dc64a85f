"""
The notifications service plugin (entry point ``notifications``): its
manifest (hearing every event, to wake the worker after a commit), its
settings (the GC Notify API key from the portal's secret store, the
templates), the client's preferences (a service action, kept in the
plugin's sealed per-client records), and the host-side wiring
(:meth:`NotificationsService.attach`) of the outbox and the worker.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ircc_account import AssuranceLevel, Capacity
from ircc_account.errors import (
    ConfigurationError,
    IrccAccountError,
    NotificationMandatory,
    UnknownValue,
)
from ircc_account.hookspecs import hookimpl
from ircc_account.services import (
    ActionOffer,
    ActionResult,
    BilingualText,
    EventAudience,
    Rollout,
    ServiceContext,
    ServiceEvent,
    ServiceItem,
    ServiceManifest,
)

from ._config import NotifyTemplates, RetryPolicy
from ._kinds import NotificationKind
from ._outbox import Outbox
from ._senders import GC_NOTIFY_URL, GcNotifySender, NotificationSender
from ._worker import PREFERENCES_KEY, SERVICE_ID, DeliveryWorker

if TYPE_CHECKING:
    from ircc_account import FrontDoor

__all__ = ["SERVICE_ID", "NotificationsService", "choose_off"]

_log = logging.getLogger("ircc_account.notify")
#: The service action that sets which optional notices a client gets.
PREFERENCES_ACTION = "preferences"


class NotificationsService:
    """
    The notifications plugin. Give it its settings through the host
    (``FrontDoorConfig(plugin_settings={"notifications": {...}})``, read at
    ``ircc_startup``) or here; explicit arguments win.

    Settings: ``api_key`` (from the portal's secret store; or ``sender``, a
    :class:`NotificationSender`), ``base_url`` (GC Notify's API),
    ``templates`` (see :meth:`NotifyTemplates.from_mapping`), ``portal_url``
    (the link in every message), ``retry`` (a :class:`RetryPolicy`).

    Args:
        api_key: The GC Notify API key.
        sender: A sender instead of GC Notify (:class:`MemorySender` in development).
        templates: Template ids by kind and language.
        portal_url: The link the messages carry.

    Raises:
        NotifyTemplateMissing: a kind lacks a template in one language.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        sender: NotificationSender | None = None,
        templates: Mapping[str, Any] | NotifyTemplates | None = None,
        portal_url: str | None = None,
    ) -> None:
        self._api_key = api_key
        self._given_sender = sender
        self._given_templates = _templates(templates) if templates is not None else None
        self._given_portal_url = portal_url
        self._started = False
        self.sender: NotificationSender | None = sender
        self.templates = self._given_templates
        self.portal_url = portal_url
        self.retry = RetryPolicy()
        self.base_url = GC_NOTIFY_URL
        self.worker: DeliveryWorker | None = None
        self.outbox: Outbox | None = None

    def __repr__(self) -> str:
        return f"NotificationsService(sender={self.sender!r})"

    # --- life cycle ---------------------------------------------------------------

    @hookimpl
    def ircc_service_manifest(self) -> ServiceManifest:
        return ServiceManifest(
            service_id=SERVICE_ID,
            version="1.0.0",
            title=BilingualText("Notifications", "Avis et notifications"),
            description=BilingualText(
                "Emails when your applications change and when someone's access to your file does.",
                "Des courriels quand vos demandes changent et quand l'accès d'une personne à "
                "votre dossier change.",
            ),
            assurance=AssuranceLevel.MODERATE,
            scopes=frozenset({"act"}),  # type: ignore[arg-type]
            rollout=Rollout(percentage=100),
            hears=EventAudience.ALL,
        )

    @hookimpl
    def ircc_startup(self, settings: Mapping[str, Any]) -> None:
        if self._started:
            # One door at a time: its sender, outbox and worker are this door's.
            raise ConfigurationError(reason="this service instance already serves a front door")
        try:
            self._configure(settings)
        except IrccAccountError as e:
            _log.error("notifications refused to start: code=%s", e.code)
            self._reset()
            raise
        self._started = True

    def _reset(self) -> None:
        """Back to what the constructor was given, for the next door."""
        self.sender = self._given_sender
        self.templates = self._given_templates
        self.portal_url = self._given_portal_url
        self.retry = RetryPolicy()
        self.base_url = GC_NOTIFY_URL
        self.worker = None
        self.outbox = None
        self._started = False

    def _configure(self, settings: Mapping[str, Any]) -> None:
        if self.templates is None and "templates" in settings:
            self.templates = _templates(settings["templates"])
        if self.templates is None:
            raise ConfigurationError(reason="notification templates are required")
        self.portal_url = self.portal_url or settings.get("portal_url")
        if not isinstance(self.portal_url, str) or not self.portal_url:
            raise ConfigurationError(reason="notifications need the portal's address")
        retry = settings.get("retry")
        if isinstance(retry, RetryPolicy):
            self.retry = retry
        self.base_url = str(settings.get("base_url") or self.base_url)
        if self.sender is None:
            given = settings.get("sender")
            if isinstance(given, NotificationSender):
                self.sender = given
            else:
                api_key = self._api_key or settings.get("api_key")
                if not isinstance(api_key, str):
                    raise ConfigurationError(reason="the GC Notify API key is required")
                self.sender = GcNotifySender(api_key, base_url=self.base_url)

    @hookimpl
    def ircc_shutdown(self) -> None:
        try:
            if self.worker is not None:
                self.worker.stop(timeout=5.0)
            if self.sender is not None:
                self.sender.close()
        finally:
            # The entry point's object may serve another door later (tests,
            # a portal reopening its door): nothing of this one carries over.
            self._reset()

    def attach(
        self,
        door: FrontDoor,
        *,
        clock: Any = None,
        randomness: Any = None,
        lease: dt.timedelta = dt.timedelta(minutes=5),
    ) -> DeliveryWorker:
        """
        Wire the outbox to *door*'s audit log (every later change that owes
        a notice writes its row in its own unit) and build the delivery
        worker; returns it (start it with ``worker.start()``, or call
        ``worker.drain()`` from a scheduler). Call once, right after
        ``FrontDoor.open``, before any request. ``ircc_shutdown`` (the door's
        close) stops the worker and closes the sender.

        Raises:
            ConfigurationError: the plugin did not start (no templates, no sender).
        """
        if self.templates is None or self.sender is None or self.portal_url is None:
            raise ConfigurationError(reason="the notifications service is not started")
        self.outbox = Outbox(door.store, clock=clock, randomness=randomness)
        self.outbox.attach(door.audit)
        self.worker = DeliveryWorker(
            door.store,
            self.sender,
            self.templates,
            portal_url=self.portal_url,
            clock=clock,
            randomness=randomness,
            retry=self.retry,
            lease=lease,
            audit=door.audit,
        )
        return self.worker

    # --- the client's preferences ---------------------------------------------------------

    @hookimpl
    def ircc_client_items(self, ctx: ServiceContext) -> Sequence[ServiceItem]:
        return []

    @hookimpl
    def ircc_service_actions(self, ctx: ServiceContext) -> Sequence[ActionOffer]:
        if ctx.actor.capacity is not Capacity.CLIENT:
            # A representative never changes what the client is told.
            return []
        return [
            ActionOffer(
                action=PREFERENCES_ACTION,
                label=BilingualText("Choose your notifications", "Choisir vos notifications"),
                scope="act",
            )
        ]

    @hookimpl
    def ircc_perform_service_action(
        self, ctx: ServiceContext, action: str, payload: Mapping[str, str]
    ) -> ActionResult:
        try:
            off = choose_off(str(payload.get("off", "")))
        except (NotificationMandatory, UnknownValue) as refused:
            # Bad input is the client's, not a fault of the service: no strike;
            # nothing is written.
            return ActionResult(
                ok=False, message=BilingualText(refused.message("en"), refused.message("fr"))
            )
        found = ctx.records.get(PREFERENCES_KEY)
        ctx.records.put(
            PREFERENCES_KEY, {"off": off}, version=None if found is None else found.version
        )
        return ActionResult(
            ok=True,
            message=BilingualText(
                "Your notification choices are saved.",
                "Vos choix de notifications sont enregistrés.",
            ),
        )

    @hookimpl
    def ircc_on_event(self, event: ServiceEvent) -> None:
        # A change committed: its outbox row (if it owes one) is there now.
        if self.worker is not None:
            self.worker.wake()


def choose_off(text: str) -> list[str]:
    """
    The kinds a client asks to switch off (space- or comma-separated), sorted.

    Raises:
        UnknownValue: not a notification kind (``field`` ``off``).
        NotificationMandatory: a security notice, which cannot be switched off.
    """
    off = sorted(set(text.replace(",", " ").split()))
    known = {k.value for k in NotificationKind}
    for kind in off:
        if kind not in known:
            raise UnknownValue(field="off")
        if NotificationKind(kind).mandatory:
            raise NotificationMandatory(kind=kind)
    return off


def _templates(raw: Mapping[str, Any] | NotifyTemplates) -> NotifyTemplates:
    return raw if isinstance(raw, NotifyTemplates) else NotifyTemplates.from_mapping(raw)


#: The plugin object the entry point names (configured by ``ircc_startup``).
plugin = NotificationsService()
