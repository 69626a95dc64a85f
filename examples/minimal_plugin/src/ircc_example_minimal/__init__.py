"""
The smallest service plugin: a manifest, and the client's stored items.
"""

from __future__ import annotations

from collections.abc import Sequence

from ircc_account import AssuranceLevel
from ircc_account.hookspecs import hookimpl
from ircc_account.services import (
    BilingualText,
    Rollout,
    ServiceContext,
    ServiceItem,
    ServiceManifest,
)


@hookimpl
def ircc_service_manifest() -> ServiceManifest:
    return ServiceManifest(
        service_id="minimal-example",
        version="0.1.0",
        title=BilingualText(en="Minimal example", fr="Exemple minimal"),
        description=BilingualText(
            en="Shows your items in this service.",
            fr="Affiche vos éléments dans ce service.",
        ),
        # The login assurance a client needs to see it (MODERATE is the
        # default; a LOW login is asked to step up).
        assurance=AssuranceLevel.MODERATE,
        # Offered to every eligible client; lower it to roll out gradually.
        rollout=Rollout(percentage=100),
    )


@hookimpl
def ircc_client_items(ctx: ServiceContext) -> Sequence[ServiceItem]:
    return list(ctx.items.list())
