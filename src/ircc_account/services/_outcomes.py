"""
What one plugin call comes to: a failure, a dashboard tile's data, the hook
being run; and how a tile is drawn from it.
"""

from __future__ import annotations

from typing import Any

import attrs

from ircc_account._model import BilingualText
from ircc_account.errors import IrccAccountError
from ircc_account.services._manifest import EventAudience, ServiceManifest
from ircc_account.services._values import ServiceEvent, Tile, TileStatus

__all__ = ["NOT_ELIGIBLE", "STEP_UP", "Failed", "Progress", "TileData", "hears", "tile"]

#: What a dashboard task returns when ``ircc_is_eligible`` said no.
NOT_ELIGIBLE = object()


class Failed:
    __slots__ = ("error",)

    def __init__(self, error: IrccAccountError) -> None:
        self.error = error


@attrs.frozen
class TileData:
    """What a dashboard task returns: the items and the service's own offers."""

    items: Any
    offers: Any


class Progress:
    """The hook a submitted call is running now, for the one log line."""

    __slots__ = ("hook",)

    def __init__(self, hook: str) -> None:
        self.hook = hook


STEP_UP = BilingualText(
    en="Sign in again with a stronger method to see this service.",
    fr="Connectez-vous de nouveau avec une méthode plus sûre pour voir ce service.",
)


def hears(manifest: ServiceManifest, event: ServiceEvent) -> bool:
    return manifest.hears is EventAudience.ALL or event.service_id == manifest.service_id


def tile(manifest: ServiceManifest, outcome: Any) -> Tile | None:
    if isinstance(outcome, Failed):
        return Tile(
            service_id=manifest.service_id,
            title=manifest.title,
            status=TileStatus.UNAVAILABLE,
            message=BilingualText(
                en=f"{manifest.title.en} is not available right now. Please try again later.",
                fr=f"{manifest.title.fr} n'est pas disponible pour le moment. "
                "Veuillez réessayer plus tard.",
            ),
            error_code=outcome.error.code,
        )
    if outcome is NOT_ELIGIBLE:
        return None
    return Tile(
        service_id=manifest.service_id,
        title=manifest.title,
        status=TileStatus.OK,
        items=outcome.items,
        actions=outcome.offers,
    )
