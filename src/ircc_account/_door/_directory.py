"""
The names a client's history shows: representatives, offices and services
by the names the store and the registry hold, never by their ids.
"""

from __future__ import annotations

import sqlalchemy as sa

from ircc_account._model import BilingualText, Capacity
from ircc_account._storage import _schema_delegation as t
from ircc_account._storage.ports import SqlStorage
from ircc_account.audit import DefaultActorDirectory
from ircc_account.services import ServiceRegistry

__all__ = ["StoreDirectory"]


class StoreDirectory:
    """
    An :class:`~ircc_account.audit.ActorDirectory` that reads names from the
    store (representatives' display names, organisations' names) and the
    service registry (services' titles). Names are looked up once per
    instance; the front door makes one per history it shows.

    Args:
        store: The store holding representatives and organisations.
        services: The registry whose manifests title the services.
    """

    def __init__(self, store: SqlStorage, services: ServiceRegistry) -> None:
        self._store = store
        self._services = services
        self._fallback = DefaultActorDirectory()
        self._names: dict[tuple[str, str], str | None] = {}

    def __repr__(self) -> str:
        return "StoreDirectory()"

    def fresh(self) -> StoreDirectory:
        """A directory with nothing looked up yet (names may have changed)."""
        return StoreDirectory(self._store, self._services)

    def describe(
        self, actor_id: str, capacity: Capacity, organisation_id: str | None
    ) -> BilingualText:
        """
        "You", "Your representative Jane Doe (Office of the MP for X)", "The
        service Visitor visa", "An IRCC officer"; ids only when no name is known.
        """
        if capacity is Capacity.REPRESENTATIVE:
            name = self._lookup("r", actor_id)
            office = None if organisation_id is None else self._lookup("o", organisation_id)
            if name is not None:
                where_en = f" ({office})" if office else ""
                return BilingualText(
                    f"Your representative {name}{where_en}",
                    f"Votre représentant {name}{where_en}",
                )
        if capacity is Capacity.PLUGIN and actor_id in self._services.service_ids:
            title = self._services.manifest(actor_id).title
            return BilingualText(f"The service {title.en}", f"Le service {title.fr}")
        return self._fallback.describe(actor_id, capacity, organisation_id)

    def _lookup(self, kind: str, key: str) -> str | None:
        if (kind, key) not in self._names:
            if kind == "r":
                query = sa.select(t.representatives.c.display_name).where(
                    t.representatives.c.representative_id == key
                )
            else:
                query = sa.select(t.organisations.c.name).where(
                    t.organisations.c.organisation_id == key
                )
            with self._store.unit_of_work(write=False) as uow:
                row = uow.execute(query, "directory").first()
            self._names[(kind, key)] = None if row is None else str(row[0])
        return self._names[(kind, key)]
