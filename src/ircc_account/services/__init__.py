"""
Services: the plugin registry, manifests, isolation, rollout, and the
legacy-portal adapter base.

Each service behind the front door is a pluggy plugin (hooks in
:mod:`ircc_account.hookspecs`); see ``docs/plugins.md``.
"""

from __future__ import annotations

from ircc_account._exports import present_as_public
from ircc_account._model import (
    BilingualText,
    ItemKind,
    ItemState,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)
from ircc_account._model._services import PluginRecord
from ircc_account.services._allowlist import ENTRY_POINT_GROUP, AllowedPlugin
from ircc_account.services._breaker import BreakerState, CircuitBreaker
from ircc_account.services._context import (
    ItemsGate,
    LegacyFilesGate,
    RecordLimits,
    RecordsGate,
    ServiceContext,
    TimelineGate,
)
from ircc_account.services._events import RegistryEvents
from ircc_account.services._legacy import LegacyPortalClient, LegacyStatus, StatusMap
from ircc_account.services._manifest import (
    AccountFacts,
    EligibilityRule,
    EventAudience,
    HasAttribute,
    HasUci,
    ResidesIn,
    ResidesOutside,
    Rollout,
    ServiceManifest,
    rollout_bucket,
)
from ircc_account.services._page import BatchRecorder, PageRecords
from ircc_account.services._registry import ServiceRegistry
from ircc_account.services._survey import PluginVerdict, survey
from ircc_account.services._values import (
    ActionOffer,
    ActionResult,
    Dashboard,
    EventKind,
    ServiceEvent,
    Tile,
    TileStatus,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "AccountFacts",
    "ActionOffer",
    "ActionResult",
    "AllowedPlugin",
    "BatchRecorder",
    "BilingualText",
    "BreakerState",
    "CircuitBreaker",
    "Dashboard",
    "EligibilityRule",
    "EventAudience",
    "EventKind",
    "HasAttribute",
    "HasUci",
    "ItemKind",
    "ItemState",
    "ItemsGate",
    "LegacyFilesGate",
    "LegacyPortalClient",
    "LegacyStatus",
    "PageRecords",
    "PluginRecord",
    "PluginVerdict",
    "RecordLimits",
    "RecordsGate",
    "RegistryEvents",
    "ResidesIn",
    "ResidesOutside",
    "Rollout",
    "ServiceContext",
    "ServiceEvent",
    "ServiceItem",
    "ServiceManifest",
    "ServiceRegistry",
    "StatusMap",
    "Tile",
    "TileStatus",
    "TimelineEvent",
    "TimelineGate",
    "TimelineKind",
    "rollout_bucket",
    "survey",
]

present_as_public(globals(), __name__)
