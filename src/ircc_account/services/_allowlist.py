"""
The plugin allowlist (SEC-92): which entry points may be imported.
"""

from __future__ import annotations

import re

import attrs

__all__ = ["ENTRY_POINT_GROUP", "AllowedPlugin", "pin_refusal"]

#: The entry-point group service plugins are published under.
ENTRY_POINT_GROUP = "ircc_account.services"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@attrs.frozen
class AllowedPlugin:
    """
    One entry of the plugin allowlist (SEC-92).

    Attributes:
        name: The entry-point name, which is also the service id.
        distribution: The distribution that must provide it.
        version: The exact version of that distribution.
    """

    name: str
    distribution: str
    version: str

    def admits(self, distribution: str, version: str | None) -> bool:
        """
        Whether this entry lets *distribution* at *version* provide its entry
        point: the same decision the registry takes before importing one
        (names compared as packaging normalizes them, the version exactly).
        """
        return pin_refusal(self, distribution, version, blocked=False) is None


def pin_refusal(
    pin: AllowedPlugin | None, distribution: str, version: str | None, *, blocked: bool
) -> str | None:
    """
    Why an entry point may not be imported (SEC-92), or ``None`` when it may.

    The one decision :meth:`ServiceRegistry.discover` takes before importing
    anything; the operator's plugin survey asks it too.

    Args:
        pin: The allowlist entry for the entry point's name, if any.
        distribution: The name of the distribution that publishes the entry point.
        version: That distribution's version.
        blocked: Whether the name is blocked.

    Returns:
        ``"blocked"``, ``"not_allowed"`` (not on the allowlist),
        ``"other_distribution"`` or ``"other_version"`` (allowlisted, but
        pinned to another), or ``None``.
    """
    if blocked:
        return "blocked"
    if pin is None:
        return "not_allowed"
    if _canonical(distribution) != _canonical(pin.distribution):
        return "other_distribution"
    if version != pin.version:
        return "other_version"
    return None
