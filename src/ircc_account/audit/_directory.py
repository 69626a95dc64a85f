"""
Naming things for a client: the directory port that turns the identifiers an
audit entry holds (actors, offices, services, items, grants) into what the
client reads, and its two implementations: :class:`DefaultActorDirectory`
(identifiers only) and :class:`StoreDirectory` (the names the store and the
service registry hold).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import attrs
import sqlalchemy as sa

from ircc_account._model import BilingualText, Capacity
from ircc_account._storage import _schema_delegation as td
from ircc_account._storage._sealing import representative_name
from ircc_account._storage.ports import SqlStorage
from ircc_account.errors import NotFound, PersonalDataErased

__all__ = [
    "ActorDirectory",
    "DefaultActorDirectory",
    "GrantSummary",
    "ServiceTitles",
    "StoreDirectory",
]


@attrs.frozen(kw_only=True)
class GrantSummary:
    """
    A grant as a client's history names it.

    Attributes:
        grantee_id: The representative or organisation it was given to.
        grantee: Their name ("Jean Roy, RCIC", "Office of the MP for Ottawa Centre").
        to_organisation: Whether it was given to an office or firm (its
            members act through it).
        given_on: The day it was given (UTC).
    """

    grantee_id: str
    grantee: BilingualText
    to_organisation: bool
    given_on: dt.date


@runtime_checkable
class ActorDirectory(Protocol):
    """
    Names what an audit entry identifies, for the client whose history it is.

    Officers are shown by role and office, never by name, unless the caller
    of :func:`~ircc_account.audit.who_touched_my_file` says otherwise.
    """

    def describe(
        self, actor_id: str, capacity: Capacity, organisation_id: str | None
    ) -> BilingualText:
        """
        How to show *actor_id*, acting as *capacity* (through
        *organisation_id*), as the subject of a sentence: "Your
        representative Jean Roy, RCIC", "The service Visitor visa".
        """
        ...

    def item(self, client_id: str, item_id: str) -> BilingualText | None:
        """
        *client_id*'s item *item_id* ("your application Visitor visa
        (V100000001)"), or ``None`` when it is not theirs or not known: never
        another client's.
        """
        ...

    def grant(self, client_id: str, grant_id: str) -> GrantSummary | None:
        """
        *client_id*'s grant *grant_id*, or ``None`` when it is not theirs or not known.
        """
        ...


class DefaultActorDirectory:
    """
    Describes actors by capacity and identifier only; knows no items or grants.
    """

    def __repr__(self) -> str:
        return "DefaultActorDirectory()"

    def describe(
        self, actor_id: str, capacity: Capacity, organisation_id: str | None
    ) -> BilingualText:
        """
        "You", "Your representative X (office)", "An IRCC officer (office)",
        "The service X", "An automated process".
        """
        office = f" ({organisation_id})" if organisation_id else ""
        if capacity is Capacity.CLIENT:
            return BilingualText("You", "Vous")
        if capacity is Capacity.REPRESENTATIVE:
            return BilingualText(
                f"Your representative {actor_id}{office}",
                f"Votre représentant {actor_id}{office}",
            )
        if capacity is Capacity.OFFICER:
            return BilingualText(f"An IRCC officer{office}", f"Un agent d'IRCC{office}")
        if capacity is Capacity.PLUGIN:
            return BilingualText(f"The service {actor_id}", f"Le service {actor_id}")
        return BilingualText("An automated process", "Un processus automatisé")

    def item(self, client_id: str, item_id: str) -> BilingualText | None:
        """
        Unknown: the history says "an item".
        """
        return None

    def grant(self, client_id: str, grant_id: str) -> GrantSummary | None:
        """
        Unknown: the history says "an access you gave".
        """
        return None


class _Titled(Protocol):
    @property
    def title(self) -> BilingualText: ...


class ServiceTitles(Protocol):
    """
    Where services' titles come from: the service registry fits.
    """

    @property
    def service_ids(self) -> Sequence[str]:
        """The services known."""
        ...

    def manifest(self, service_id: str) -> _Titled:
        """A service's manifest (its ``title`` in both languages)."""
        ...


_KIND = {
    "application": ("your application", "votre demande"),
    "case": ("your case", "votre cas"),
    "enquiry": ("your enquiry", "votre demande de renseignements"),
}


class StoreDirectory(DefaultActorDirectory):
    """
    The default directory of the front door: representatives by their
    display names, offices and firms by their names (staff as "Your
    representative Sam (Office of the MP for Ottawa Centre)"), services by
    their titles, a client's items by kind, title and reference, and their
    grants by grantee and date, all read from the store (and *services*).
    What it cannot find it shows as :class:`DefaultActorDirectory` does.

    Names are looked up once per instance: make one per history shown
    (:meth:`fresh`), since names change.

    Args:
        store: The store holding representatives, organisations, items and grants.
        services: Service titles, usually the service registry; none, ids.
    """

    def __init__(self, store: SqlStorage, services: ServiceTitles | None = None) -> None:
        self._store = store
        self._services = services
        self._found: dict[tuple[str, str, str], object] = {}

    def __repr__(self) -> str:
        return "StoreDirectory()"

    def fresh(self) -> StoreDirectory:
        """
        A directory with nothing looked up yet (names may have changed).
        """
        return StoreDirectory(self._store, self._services)

    def describe(
        self, actor_id: str, capacity: Capacity, organisation_id: str | None
    ) -> BilingualText:
        """
        "You", "Your representative Jean Roy, RCIC", "Your representative Sam
        (Office of the MP for Ottawa Centre)", "The service Visitor visa", "An
        IRCC officer"; identifiers only where no name is known.
        """
        if capacity is Capacity.REPRESENTATIVE:
            name = self._name("r", actor_id)
            office = None if organisation_id is None else self._name("o", organisation_id)
            if name is not None:
                where = f" ({office})" if office else ""
                return BilingualText(
                    f"Your representative {name}{where}", f"Votre représentant {name}{where}"
                )
        services = self._services
        known = services is not None and actor_id in services.service_ids
        if capacity is Capacity.PLUGIN and services is not None and known:
            title = services.manifest(actor_id).title
            return BilingualText(f"The service {title.en}", f"Le service {title.fr}")
        return super().describe(actor_id, capacity, organisation_id)

    def item(self, client_id: str, item_id: str) -> BilingualText | None:
        """
        "your application Visitor visa (V100000001)", if *item_id* is *client_id*'s.
        """
        key = ("i", client_id, item_id)
        if key not in self._found:
            # Through the item repository: the title and reference are sealed
            # with the client's data key (read in clear only from older rows).
            with self._store.unit_of_work(write=False) as uow:
                try:
                    item = uow.items.get(item_id)
                except (NotFound, PersonalDataErased):
                    item = None
            if item is None or item.account_id != client_id:
                self._found[key] = None
            else:
                kind_en, kind_fr = _KIND.get(item.kind.value, ("your item", "votre élément"))
                self._found[key] = BilingualText(
                    f"{kind_en} {item.title.en} ({item.reference})",
                    f"{kind_fr} {item.title.fr} ({item.reference})",
                )
        found: BilingualText | None = self._found[key]  # type: ignore[assignment]
        return found

    def grant(self, client_id: str, grant_id: str) -> GrantSummary | None:
        """
        Whom *client_id* gave *grant_id* to, and when.
        """
        c = td.consent_grants.c
        row = self._one(
            ("g", client_id, grant_id),
            sa.select(c.grantee_id, c.grantee_is_organisation, c.created_at).where(
                c.grant_id == grant_id, c.client_account_id == client_id
            ),
        )
        if row is None:
            return None
        to_org = bool(row.grantee_is_organisation)
        name = self._name("o" if to_org else "r", row.grantee_id)
        if name is None:
            name = row.grantee_id
        given: dt.datetime = row.created_at
        return GrantSummary(
            grantee_id=row.grantee_id,
            grantee=BilingualText(name, name),
            to_organisation=to_org,
            given_on=given.astimezone(dt.UTC).date(),
        )

    def _name(self, kind: str, key: str) -> str | None:
        if kind == "r":
            r = td.representatives.c
            query = sa.select(r.account_id, r.display_name, r.display_name_ct).where(
                r.representative_id == key
            )
        else:
            query = sa.select(td.organisations.c.name).where(
                td.organisations.c.organisation_id == key
            )
        row = self._one((kind, "", key), query, sealed=kind == "r")
        return None if row is None else str(row[0])

    def _one(
        self, key: tuple[str, str, str], query: sa.Select[Any], *, sealed: bool = False
    ) -> Any:
        if key not in self._found:
            with self._store.unit_of_work(write=False) as uow:
                row: Any = uow.execute(query, "directory").first()
                if row is not None and sealed:
                    # A representative's name, sealed with their own account's key.
                    account_id, clear, blob = row
                    row = (representative_name(uow, key[2], account_id, clear, blob),)
                self._found[key] = row
        return self._found[key]
