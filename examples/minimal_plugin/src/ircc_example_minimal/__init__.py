"""
The smallest service plugin: a manifest, and the client's stored items.
"""

from __future__ import annotations

from collections.abc import Sequence

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
        rollout=Rollout(percentage=10),
    )


@hookimpl
def ircc_client_items(ctx: ServiceContext) -> Sequence[ServiceItem]:
    return list(ctx.items.list())
