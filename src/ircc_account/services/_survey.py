"""
The operator's plugin survey: every installed service plugin, and whether it would start.

:func:`survey` walks the entry-point group as :meth:`ServiceRegistry.discover`
does and takes the same decision first (:func:`pin_refusal`): an entry point
that is not allowlisted, is blocked, or comes from another distribution or
version than the pinned one is reported and never imported (SEC-92). Each
allowed plugin is then imported, registered and started in a registry of its
own, so its verdict is the registry's, not a copy of its rules.

A registry needs a store, a policy and an audit sink, and registration calls
none of them: it reads the plugin's hooks and calls its manifest hook only.
The survey's registries get :data:`_NOTHING`, one object that fits all three
ports and raises :class:`ConfigurationError` if anything ever calls it, rather
than a real database opened for nothing.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable
from typing import Any, NoReturn

import attrs

from ircc_account.errors import ConfigurationError, ServiceError, ServiceManifestInvalid
from ircc_account.services._registry import (
    ENTRY_POINT_GROUP,
    AllowedPlugin,
    ServiceRegistry,
    pin_refusal,
)

__all__ = ["PluginVerdict", "survey"]


@attrs.frozen
class PluginVerdict:
    """
    One entry point of the service group (or allowlist entry), and whether it starts.

    Attributes:
        name: The entry-point name (the service id).
        distribution: The distribution that publishes it (for an allowlisted
            plugin that is not installed: the pinned one).
        version: That distribution's version (or the pinned one).
        allowed: Whether the allowlist and block list let it be imported.
        starts: Whether it imported, registered, had its manifest accepted and
            passed ``check_pending``.
        reason: Why it does not start; ``None`` when it does.
    """

    name: str
    distribution: str
    version: str
    allowed: bool
    starts: bool
    reason: str | None = None


def _refuse() -> NoReturn:
    raise ConfigurationError(reason="the plugin survey has no store, policy or audit log")


class _Nothing:
    """
    The store, policy and audit sink of a registry that only registers
    plugins: it has every member those ports name, and each use raises.
    """

    @property
    def engine(self) -> NoReturn:
        _refuse()

    @property
    def keyring(self) -> NoReturn:
        _refuse()

    def unit_of_work(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()

    def migrate(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()

    def close(self) -> None:
        """Nothing to close."""

    def authorize(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()

    def decide(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()

    def record(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()

    def scopes_held(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()

    def append(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()


_NOTHING = _Nothing()


def survey(
    allowed: Iterable[AllowedPlugin] = (),
    blocked: Iterable[str] = (),
    *,
    group: str = ENTRY_POINT_GROUP,
    deadline: float = 2.0,
) -> list[PluginVerdict]:
    """
    A verdict for every entry point in *group*, then for every allowlisted
    plugin that is not installed, in the order found.

    Imports only the allowed plugins, as :meth:`ServiceRegistry.discover` would.

    Args:
        allowed: The allowlist, as given to the registry.
        blocked: Names refused everywhere.
        group: The entry-point group.
        deadline: Seconds a plugin's manifest hook may take.
    """
    pins = {a.name: a for a in allowed}
    blocked = frozenset(blocked)
    verdicts: list[PluginVerdict] = []
    seen: set[tuple[str, str, str]] = set()
    for dist in importlib.metadata.distributions():
        dist_name = dist.metadata["Name"] or ""
        version = dist.version or ""
        for ep in dist.entry_points:
            # A distribution on two sys.path entries is listed twice; report it once.
            if ep.group != group or (ep.name, dist_name, version) in seen:
                continue
            seen.add((ep.name, dist_name, version))
            pin = pins.get(ep.name)
            refusal = pin_refusal(pin, dist_name, version, blocked=ep.name in blocked)
            if refusal is not None or pin is None:
                refused = _refusal_text(refusal, pin)
                verdicts.append(PluginVerdict(ep.name, dist_name, version, False, False, refused))
                continue
            failure = _try_start(ep, pin, blocked, group, deadline)
            verdicts.append(
                PluginVerdict(ep.name, dist_name, version, True, failure is None, failure)
            )
    found = {v.name for v in verdicts if v.allowed}
    for pin in pins.values():
        if pin.name not in found and pin.name not in blocked:
            verdicts.append(
                PluginVerdict(pin.name, pin.distribution, pin.version, True, False, "not installed")
            )
    return verdicts


def _refusal_text(refusal: str | None, pin: AllowedPlugin | None) -> str:
    if refusal == "blocked":
        return "blocked"
    if refusal == "other_distribution" and pin is not None:
        return f"pinned to distribution {pin.distribution}"
    if refusal == "other_version" and pin is not None:
        return f"pinned to version {pin.version}"
    return "not allowlisted"


def _try_start(
    ep: importlib.metadata.EntryPoint,
    pin: AllowedPlugin,
    blocked: frozenset[str],
    group: str,
    deadline: float,
) -> str | None:
    """
    Import, register and start one plugin in a registry of its own; why it failed, or None.
    """
    registry = ServiceRegistry(
        store=_NOTHING,
        policy=_NOTHING,
        allowed=[pin],
        blocked=blocked,
        group=group,
        deadline=deadline,
        max_workers=1,
    )
    try:
        try:
            plugin = ep.load()
        except (Exception, SystemExit) as e:
            # As discover() does, but saying what kind of failure it was.
            return f"import failed ({type(e).__name__})"
        try:
            registry.register(plugin, name=ep.name)
            # No settings here: check the hooks, run no plugin start-up.
            registry.start(startup=False)
        except ServiceManifestInvalid as e:
            return f"manifest refused: {e.params.get('reason', e.code)}"
        except ServiceError as e:
            return f"refused: {e.code}"
        return None
    finally:
        registry.close()
