"""
The boundary checks on what plugins return: refused data raises
:class:`~ircc_account.errors.ServiceBadOutput` naming the plugin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from ircc_account._model import _validate as v
from ircc_account._model._services import ServiceItem, TimelineEvent
from ircc_account.errors import FieldTooLong, InvalidFormat, ServiceBadOutput, ValidationError
from ircc_account.services._manifest import ServiceManifest
from ircc_account.services._values import ActionOffer, ActionResult

__all__ = [
    "MAX_ACTIONS",
    "MAX_PAYLOAD_KEYS",
    "MAX_PAYLOAD_VALUE",
    "MAX_TIMELINE",
    "check_actions",
    "check_items",
    "check_payload",
    "check_result",
    "check_timeline",
    "restriction_reasons",
]

MAX_TIMELINE = 500
MAX_ACTIONS = 50
MAX_RESTRICTIONS = 10
MAX_PAYLOAD_KEYS = 50
MAX_PAYLOAD_VALUE = 10_000

T = TypeVar("T")


def _sequence(service_id: str, value: object, kind: type[T], limit: int) -> Sequence[T]:
    # A str is a Sequence too, and a generator has no length: both are refused.
    if not isinstance(value, list | tuple):
        raise ServiceBadOutput(service_id=service_id, reason="not a list")
    if len(value) > limit:
        raise ServiceBadOutput(service_id=service_id, reason=f"more than {limit} entries")
    for element in value:
        if not isinstance(element, kind):
            raise ServiceBadOutput(service_id=service_id, reason=f"not a {kind.__name__}")
    return value


def _unique(service_id: str, ids: Sequence[str]) -> None:
    if len(set(ids)) != len(ids):
        raise ServiceBadOutput(service_id=service_id, reason="duplicate ids")


def check_items(
    manifest: ServiceManifest, client_id: str, value: object
) -> tuple[ServiceItem, ...]:
    """
    The items of ``ircc_client_items``: this client's, this service's, unique, bounded.
    """
    sid = manifest.service_id
    items = _sequence(sid, value, ServiceItem, manifest.max_items)
    for item in items:
        if item.account_id != client_id or item.service_id != sid:
            raise ServiceBadOutput(service_id=sid, reason="an item of another client or service")
    _unique(sid, [i.item_id for i in items])
    return tuple(items)


def check_timeline(service_id: str, item_id: str, value: object) -> tuple[TimelineEvent, ...]:
    """
    The events of ``ircc_item_timeline``: this item's, unique, bounded.
    """
    events = _sequence(service_id, value, TimelineEvent, MAX_TIMELINE)
    if any(e.item_id != item_id for e in events):
        raise ServiceBadOutput(service_id=service_id, reason="an event of another item")
    _unique(service_id, [e.event_id for e in events])
    return tuple(events)


def check_actions(manifest: ServiceManifest, value: object) -> tuple[ActionOffer, ...]:
    """
    The offers of ``ircc_item_actions``: unique names, scopes the manifest declares.
    """
    sid = manifest.service_id
    offers = _sequence(sid, value, ActionOffer, MAX_ACTIONS)
    _unique(sid, [o.action for o in offers])
    if any(o.scope not in manifest.scopes for o in offers):
        raise ServiceBadOutput(service_id=sid, reason="an undeclared scope")
    return tuple(offers)


def check_result(service_id: str, value: object) -> ActionResult:
    """
    The answer of ``ircc_perform_action``.
    """
    if not isinstance(value, ActionResult):
        raise ServiceBadOutput(service_id=service_id, reason="not an ActionResult")
    return value


def restriction_reasons(service_id: str, value: object) -> tuple[str, ...]:
    """
    The deny reasons of ``ircc_restrict_access``, prefixed with the plugin id.
    Malformed answers are themselves a deny (SEC-94).
    """
    if value is None:
        return ()
    try:
        reasons = _sequence(service_id, value, str, MAX_RESTRICTIONS)
        return tuple(f"{service_id}:{v.identifier('reason', r)}" for r in reasons)
    except (ServiceBadOutput, ValidationError):
        return (f"{service_id}:malformed",)


def check_payload(payload: Mapping[str, Any]) -> dict[str, str]:
    """
    The client's form fields for an action, before any plugin sees them.

    Raises:
        InvalidFormat: not a mapping of strings to strings, or too many keys.
        FieldTooLong: a value over 10,000 characters.
    """
    if not isinstance(payload, Mapping) or len(payload) > MAX_PAYLOAD_KEYS:
        raise InvalidFormat(field="payload")
    out: dict[str, str] = {}
    for key, value in payload.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidFormat(field="payload")
        v.identifier("payload", key)
        if len(value) > MAX_PAYLOAD_VALUE:
            raise FieldTooLong(field="payload", limit=MAX_PAYLOAD_VALUE)
        out[key] = value
    return out
