"""
"Who touched my file": the client's own view of the log, in English and French.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Protocol, runtime_checkable

import attrs
import sqlalchemy as sa

from ircc_account._model import BilingualText, Capacity, Decision
from ircc_account._storage import _schema_audit as t
from ircc_account._storage.ports import SqlStorage

__all__ = ["AccessRecord", "ActorDirectory", "DefaultActorDirectory", "who_touched_my_file"]


@runtime_checkable
class ActorDirectory(Protocol):
    """
    Names actors for clients. The delegation subsystem plugs in here.

    Officers are shown by role and office, never by name, unless policy says otherwise.
    """

    def describe(
        self, actor_id: str, capacity: Capacity, organisation_id: str | None
    ) -> BilingualText:
        """
        How to show *actor_id*, acting as *capacity* (through *organisation_id*), to a client.
        """
        ...


class DefaultActorDirectory:
    """
    Describes actors by capacity and office only, from identifiers.
    """

    def describe(
        self, actor_id: str, capacity: Capacity, organisation_id: str | None
    ) -> BilingualText:
        """
        A generic description: "You", "Your representative X (office)", "An IRCC officer (office)".
        """
        office_en = f" ({organisation_id})" if organisation_id else ""
        office_fr = f" ({organisation_id})" if organisation_id else ""
        if capacity is Capacity.CLIENT:
            return BilingualText("You", "Vous")
        if capacity is Capacity.REPRESENTATIVE:
            return BilingualText(
                f"Your representative {actor_id}{office_en}",
                f"Votre représentant {actor_id}{office_fr}",
            )
        if capacity is Capacity.OFFICER:
            return BilingualText(f"An IRCC officer{office_en}", f"Un agent d'IRCC{office_fr}")
        if capacity is Capacity.PLUGIN:
            return BilingualText(f"The service {actor_id}", f"Le service {actor_id}")
        return BilingualText("An automated process", "Un processus automatisé")


_VERBS = {
    "read": ("viewed", "a consulté"),
    "view": ("viewed", "a consulté"),
    "export": ("exported", "a exporté"),
    "update": ("changed", "a modifié"),
    "write": ("changed", "a modifié"),
    "create": ("created", "a créé"),
    "submit": ("submitted", "a soumis"),
    "delete": ("removed", "a retiré"),
    "get": ("viewed", "a consulté"),
    "list": ("viewed", "a consulté"),
    "add": ("added to", "a ajouté à"),
    "append": ("added to", "a ajouté à"),
    "set_state": ("changed", "a modifié"),
    "view_status": ("checked the status of", "a vérifié l'état de"),
    "view_decision_notes": ("read the decision notes of", "a lu les notes de décision de"),
    "enquire": ("made an enquiry about", "a fait une demande de renseignements sur"),
    "submit_documents": ("submitted documents for", "a soumis des documents pour"),
    "act": ("acted on", "a agi sur"),
    "begin": ("started acting on", "a commencé à agir sur"),
}
_DECISIONS = {
    Decision.ALLOWED: ("", ""),
    Decision.DENIED: (" (refused)", " (refusé)"),
    Decision.FAILED: (" (failed)", " (échec)"),
}


@attrs.frozen(kw_only=True)
class AccessRecord:
    """
    One line of a client's access history.

    Attributes:
        occurred_at: When (UTC).
        who: Who, as the client should see it, in the requested language.
        capacity: In what role.
        what: What was done, in the requested language.
        action: The machine action (``item.read``).
        item_id: The item touched, if any.
        decision: Allowed, denied or failed.
        entry_id: The audit entry, for follow-up.
    """

    occurred_at: dt.datetime
    who: str
    capacity: Capacity
    what: str
    action: str
    item_id: str | None
    decision: Decision
    entry_id: str


def _what(action: str, decision: Decision, item_id: str | None, language: str) -> str:
    verb = action.rsplit(".", 1)[-1]
    en, fr = _VERBS.get(verb, (f"did {action}", f"a effectué {action}"))
    target_en = f" {item_id}" if item_id else " your file"
    target_fr = f" {item_id}" if item_id else " votre dossier"
    suffix_en, suffix_fr = _DECISIONS[decision]
    if language == "fr":
        return f"{fr}{target_fr}{suffix_fr}"
    return f"{en}{target_en}{suffix_en}"


def _principal(
    directory: ActorDirectory, actor_id: str, client_id: str, organisation_id: str | None
) -> BilingualText:
    # A plugin acts for the client themself or for a representative under a
    # grant (the policy denies officers and system jobs through plugins).
    if actor_id == client_id:
        return directory.describe(actor_id, Capacity.CLIENT, None)
    return directory.describe(actor_id, Capacity.REPRESENTATIVE, organisation_id)


def _on_behalf(plugin: BilingualText, principal: BilingualText) -> BilingualText:
    def lower_first(text: str) -> str:
        return text[:1].lower() + text[1:]

    return BilingualText(
        f"{plugin.en}, on behalf of {lower_first(principal.en)}",
        f"{plugin.fr}, pour le compte de {lower_first(principal.fr)}",
    )


def who_touched_my_file(
    store: SqlStorage,
    client_id: str,
    *,
    item_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    language: Literal["en", "fr"] = "en",
    directory: ActorDirectory | None = None,
    officer_names: bool = False,
) -> list[AccessRecord]:
    """
    Every recorded access to *client_id*'s file, newest first.

    Args:
        store: The store holding the log.
        client_id: The client (only their own partition is read).
        item_id: Only accesses to this item.
        since: Only accesses at or after this time.
        until: Only accesses before this time.
        language: ``"en"`` or ``"fr"``.
        directory: Names actors; :class:`DefaultActorDirectory` when omitted.
        officer_names: Let *directory* describe officers too. By default officers
            are shown by role and office only, whatever the directory would say.
    """
    default = DefaultActorDirectory()
    directory = directory or default
    e = t.audit_entries.c
    query = sa.select(t.audit_entries).where(e.partition == client_id)
    if item_id is not None:
        query = query.where(e.item_id == item_id)
    if since is not None:
        query = query.where(e.occurred_at >= since)
    if until is not None:
        query = query.where(e.occurred_at < until)
    with store.engine.connect().execution_options(ircc_write=False) as conn:
        rows = conn.execute(query.order_by(e.seq.desc())).all()
        conn.rollback()
    records = []
    for r in rows:
        capacity, decision = Capacity(r.capacity), Decision(r.decision)
        source = default if capacity is Capacity.OFFICER and not officer_names else directory
        who = source.describe(r.actor_id, capacity, r.organisation_id)
        if capacity is Capacity.PLUGIN and r.on_behalf_of is not None:
            who = _on_behalf(who, _principal(source, r.on_behalf_of, client_id, r.organisation_id))
        records.append(
            AccessRecord(
                occurred_at=r.occurred_at,
                who=who[language],
                capacity=capacity,
                what=_what(r.action, decision, r.item_id, language),
                action=r.action,
                item_id=r.item_id,
                decision=decision,
                entry_id=r.entry_id,
            )
        )
    return records
