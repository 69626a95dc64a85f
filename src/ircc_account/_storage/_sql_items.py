"""
The SQL repositories of what services keep for clients: items, their
timelines, and each plugin's own records.

Everything that can identify a person is sealed with the client's data key:
an item's reference and title (``details_ct``) and document number, a
timeline event's summary and actor label (``summary_ct``), a plugin record's
value. An item's reference is found, and kept unique per service, through a
blind index that erasure clears. Reads run SQL compiled once per dialect on
the DBAPI cursor (see ``docs/storage.md``) and fetch the account's wrapped
data key in the same round trip.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from ircc_account._crypto import DataKey, WrappedDataKey
from ircc_account._model import (
    BilingualText,
    ItemKind,
    ItemState,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)
from ircc_account._model import _validate as v
from ircc_account._model._services import PluginRecord
from ircc_account._storage import _schema as t
from ircc_account._storage._sealing import (
    FetchingUnit,
    Prebuilt,
    decode_sealed,
    open_sealed,
    seal,
)
from ircc_account.errors import Conflict, DecryptionFailed, NotFound, PersonalDataErased

__all__ = ["_Items", "_PluginRecords", "_Timeline"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_i = t.items.c
_e = t.timeline_events.c
_k = t.account_keys.c
_r = t.plugin_records.c

# An item with its account's wrapped key (NULL: erased), in the column order
# _Items._from_row unpacks.
_ITEM_WITH_KEY = sa.select(
    _i.item_id,
    _i.account_id,
    _i.service_id,
    _i.kind,
    _i.state,
    _i.details_ct,
    _i.document_ct,
    _i.created_at,
    _i.updated_at,
    _i.version,
    _i.reference,
    _i.title_en,
    _i.title_fr,
    _k.kek_id,
    _k.wrapped_key,
).select_from(t.items.outerjoin(t.account_keys, _k.account_id == _i.account_id))
_NEWEST_FIRST = (_i.created_at.desc(), _i.item_id)
_SELECT_ITEM = Prebuilt(_ITEM_WITH_KEY.where(_i.item_id == sa.bindparam("item_id")))
_SELECT_ITEMS_OF = Prebuilt(
    _ITEM_WITH_KEY.where(_i.account_id == sa.bindparam("account_id")).order_by(*_NEWEST_FIRST)
)
_SELECT_ITEMS_OF_SERVICE = Prebuilt(
    _ITEM_WITH_KEY.where(
        _i.account_id == sa.bindparam("account_id"), _i.service_id == sa.bindparam("service_id")
    ).order_by(*_NEWEST_FIRST)
)
_SELECT_ITEM_BY_REFERENCE = Prebuilt(
    _ITEM_WITH_KEY.where(
        sa.or_(
            _i.reference_index == sa.bindparam("index"),
            # A row from before 0012_privacy, not sealed yet.
            sa.and_(
                _i.service_id == sa.bindparam("service_id"),
                _i.reference == sa.bindparam("reference"),
            ),
        )
    )
)
_SELECT_ITEM_ACCOUNT = Prebuilt(
    sa.select(_i.account_id).where(_i.item_id == sa.bindparam("item_id"))
)
# An item's events, in the column order _Timeline._from_row unpacks.
_EVENT_COLUMNS = (
    _e.event_id,
    _e.kind,
    _e.occurred_at,
    _e.state,
    _e.summary_ct,
    _e.summary_en,
    _e.summary_fr,
    _e.actor_label,
)
# ... with the item's account and its wrapped key on every row, oldest first:
# one round trip (PostgreSQL).
_SELECT_EVENTS = Prebuilt(
    sa.select(*_EVENT_COLUMNS, _i.account_id, _k.kek_id, _k.wrapped_key)
    .select_from(
        t.timeline_events.join(t.items, _i.item_id == _e.item_id).outerjoin(
            t.account_keys, _k.account_id == _i.account_id
        )
    )
    .where(_e.item_id == sa.bindparam("item_id"))
    .order_by(_e.occurred_at, _e.event_id)
)
# ... alone, in the index's order (SQLite; ties are put in order in Python),
# and the item's account and wrapped key once.
_SELECT_EVENTS_ONLY = Prebuilt(
    sa.select(*_EVENT_COLUMNS).where(_e.item_id == sa.bindparam("item_id")).order_by(_e.occurred_at)
)
_SELECT_ITEM_KEY = Prebuilt(
    sa.select(_i.account_id, _k.kek_id, _k.wrapped_key)
    .select_from(t.items.outerjoin(t.account_keys, _k.account_id == _i.account_id))
    .where(_i.item_id == sa.bindparam("item_id"))
)
#: ORDER BY occurred_at, event_id for rows of _EVENT_COLUMNS: SQLite's BINARY
#: collation compares UTF-8 bytes, which order as Python compares str.
_TIME_ORDER = operator.itemgetter(2, 0)
_RECORD_WITH_KEY = sa.select(
    _r.record_key,
    _r.value_ct,
    _r.version,
    _r.created_at,
    _r.updated_at,
    _k.kek_id,
    _k.wrapped_key,
).select_from(t.plugin_records.outerjoin(t.account_keys, _k.account_id == _r.account_id))
_OWNED = (_r.account_id == sa.bindparam("account_id"), _r.service_id == sa.bindparam("service_id"))
_SELECT_RECORD = Prebuilt(
    _RECORD_WITH_KEY.where(*_OWNED, _r.record_key == sa.bindparam("record_key"))
)
_SELECT_RECORDS = Prebuilt(_RECORD_WITH_KEY.where(*_OWNED).order_by(_r.record_key))
_RECORDS_MANY = (
    sa.select(
        _r.account_id,
        _r.record_key,
        _r.value_ct,
        _r.version,
        # Executed through SQLAlchemy (an IN list of any length): the instants
        # as the integers the row opener expects, not Instant's datetimes.
        sa.type_coerce(_r.created_at, sa.BigInteger()),
        sa.type_coerce(_r.updated_at, sa.BigInteger()),
        _k.kek_id,
        _k.wrapped_key,
    )
    .select_from(t.plugin_records.outerjoin(t.account_keys, _k.account_id == _r.account_id))
    .order_by(_r.account_id, _r.record_key)
)
#: Clients per statement in ``list_many`` (well under every driver's parameter limit).
_MANY = 500
_COUNT_RECORDS = Prebuilt(sa.select(sa.func.count()).select_from(t.plugin_records).where(*_OWNED))

_KINDS = {m.value: m for m in ItemKind}
_STATES = {m.value: m for m in ItemState}
_EVENT_KINDS = {m.value: m for m in TimelineKind}
_DETAILS = frozenset(("reference", "title_en", "title_fr"))
_SUMMARY = frozenset(("en", "fr", "actor"))
_new = object.__new__
_timedelta = dt.timedelta


def _slot(cls: type, name: str) -> Callable[[Any, Any], None]:
    # A frozen slotted attrs class's field, set as object.__setattr__ would
    # (found once; a third cheaper per field than looking the name up).
    setter: Callable[[Any, Any], None] = vars(cls)[name].__set__
    return setter


_text_en = _slot(BilingualText, "en")
_text_fr = _slot(BilingualText, "fr")
_event_id = _slot(TimelineEvent, "event_id")
_event_item_id = _slot(TimelineEvent, "item_id")
_event_kind = _slot(TimelineEvent, "kind")
_event_occurred_at = _slot(TimelineEvent, "occurred_at")
_event_state = _slot(TimelineEvent, "state")
_event_summary = _slot(TimelineEvent, "summary")
_event_actor_label = _slot(TimelineEvent, "actor_label")
_set = object.__setattr__


def _instant(micros: Any) -> dt.datetime:
    # What the Instant column type decodes, for a raw integer.
    if type(micros) is not int:
        raise DecryptionFailed()
    return _EPOCH + _timedelta(0, 0, micros)


def reference_index(uow: FetchingUnit, service_id: str, reference: str) -> bytes:
    """
    The blind index of an item's reference within its service.
    """
    return uow.keyring.blind_index("item_reference", f"{service_id}\x1f{reference}")


def _bilingual(en: str, fr: str) -> BilingualText:
    """
    A BilingualText from two strings the store sealed from one (already
    validated and normalized by its converters, which are idempotent).
    """
    text = _new(BilingualText)
    _set(text, "en", en)
    _set(text, "fr", fr)
    return text


class _Items:
    def __init__(self, uow: FetchingUnit) -> None:
        self._uow = uow

    def _key(self, account_id: str, kek_id: Any, wrapped: Any) -> DataKey:
        if wrapped is None:
            raise PersonalDataErased()
        return self._uow.data_key(account_id, WrappedDataKey(kek_id=kek_id, blob=wrapped))

    def _sealed_values(self, item: ServiceItem) -> dict[str, Any]:
        key = self._uow.data_key(item.account_id)
        i, a = item.item_id, item.account_id
        details = {
            "reference": item.reference,
            "title_en": item.title.en,
            "title_fr": item.title.fr,
        }
        document = item.document_number
        return {
            "details_ct": seal(key, "items", "details", i, a, details),
            "document_ct": None
            if document is None
            else seal(key, "items", "document_number", i, a, document),
            "reference_index": reference_index(self._uow, item.service_id, item.reference),
            # What a row from before 0012_privacy kept in clear goes.
            "reference": None,
            "title_en": None,
            "title_fr": None,
        }

    def _from_row(self, row: Sequence[Any]) -> ServiceItem:
        """
        An item from a row of :data:`_ITEM_WITH_KEY` (a DBAPI tuple).

        The sealed details were authenticated under the account's own key
        with associated data naming this table, column, item and account, and
        the store seals them only from a validated :class:`ServiceItem`; the
        columns that are not sealed are validated as the constructor would.
        """
        (item_id, account_id, service_id, kind, state, details_ct, document_ct, created,
         updated, version, reference, title_en, title_fr, kek_id, wrapped) = row  # fmt: skip
        key = self._key(account_id, kek_id, wrapped)
        document = None
        if document_ct is not None:
            document = open_sealed(
                key, "items", "document_number", item_id, account_id, document_ct
            )
        if details_ct is None:
            # A row from before 0012_privacy, not sealed yet: validate it all.
            return ServiceItem(
                item_id=item_id,
                account_id=account_id,
                service_id=service_id,
                kind=kind,
                reference=reference,
                state=state,
                title=BilingualText(title_en, title_fr),
                document_number=document,
                created_at=_instant(created),
                updated_at=_instant(updated),
                version=version,
            )
        details = open_sealed(key, "items", "details", item_id, account_id, details_ct)
        item_kind, item_state = _KINDS.get(kind), _STATES.get(state)
        if not (
            type(details) is dict
            and details.keys() == _DETAILS
            and all(type(x) is str for x in details.values())
            and (document is None or type(document) is str)
            and item_kind is not None
            and item_state is not None
            and type(version) is int
        ):
            if type(details) is not dict:
                raise DecryptionFailed()
            return ServiceItem(
                item_id=item_id,
                account_id=account_id,
                service_id=service_id,
                kind=kind,
                reference=details.get("reference"),
                state=state,
                title=BilingualText(details.get("title_en"), details.get("title_fr")),
                document_number=document,
                created_at=_instant(created),
                updated_at=_instant(updated),
                version=version,
            )
        item = _new(ServiceItem)
        _set(item, "item_id", v.identifier("item_id", item_id))
        _set(item, "account_id", v.identifier("account_id", account_id))
        _set(item, "service_id", v.identifier("service_id", service_id))
        _set(item, "kind", item_kind)
        _set(item, "reference", details["reference"])
        _set(item, "state", item_state)
        _set(item, "title", _bilingual(details["title_en"], details["title_fr"]))
        _set(item, "document_number", document)
        _set(item, "created_at", _instant(created))
        _set(item, "updated_at", _instant(updated))
        _set(item, "version", version)
        return item

    def add(self, item: ServiceItem) -> None:
        self._uow.execute(
            t.items.insert().values(
                item_id=item.item_id,
                account_id=item.account_id,
                service_id=item.service_id,
                kind=item.kind.value,
                state=item.state.value,
                created_at=item.created_at,
                updated_at=item.updated_at,
                version=item.version,
                **self._sealed_values(item),
            ),
            "item",
        )

    def get(self, item_id: str) -> ServiceItem:
        rows = self._uow._fetch(_SELECT_ITEM, "item", item_id=item_id)
        if not rows:
            raise NotFound(kind="item")
        return self._from_row(rows[0])

    def for_account(
        self, account_id: str, *, service_id: str | None = None
    ) -> Sequence[ServiceItem]:
        if service_id is None:
            rows = self._uow._fetch(_SELECT_ITEMS_OF, "item", account_id=account_id)
        else:
            rows = self._uow._fetch(
                _SELECT_ITEMS_OF_SERVICE, "item", account_id=account_id, service_id=service_id
            )
        return [self._from_row(r) for r in rows]

    def find_by_reference(self, service_id: str, reference: str) -> ServiceItem | None:
        index = reference_index(self._uow, service_id, reference)
        rows = self._uow._fetch(
            _SELECT_ITEM_BY_REFERENCE,
            "item",
            index=index,
            service_id=service_id,
            reference=reference,
        )
        # An erased client's item answers as an unknown reference does.
        live = [r for r in rows if r[-1] is not None]
        return self._from_row(live[0]) if live else None

    def update(self, item: ServiceItem) -> ServiceItem:
        result = self._uow.execute(
            t.items.update()
            .where(_i.item_id == item.item_id, _i.version == item.version)
            .values(
                state=item.state.value,
                updated_at=item.updated_at,
                version=item.version + 1,
                **self._sealed_values(item),
            ),
            "item",
        )
        if result.rowcount != 1:
            # Tell a stale write from a missing item.
            self.get(item.item_id)
            raise Conflict(kind="item")
        return attrs.evolve(item, version=item.version + 1)

    def erase(self, account_id: str) -> None:
        """
        Clear what erasure must not leave: the reference indexes of the
        account's items and any clear text from before 0012_privacy. The
        sealed columns stay, unreadable once the data key is gone.
        """
        mine = sa.select(_i.item_id).where(_i.account_id == account_id).scalar_subquery()
        self._uow.execute(
            t.timeline_events.update()
            .where(_e.item_id.in_(mine))
            .values(summary_en=None, summary_fr=None, actor_label=None),
            "timeline event",
        )
        self._uow.execute(
            t.items.update()
            .where(_i.account_id == account_id)
            .values(reference_index=None, reference=None, title_en=None, title_fr=None),
            "item",
        )


class _Timeline:
    def __init__(self, uow: FetchingUnit) -> None:
        self._uow = uow

    def append(self, event: TimelineEvent) -> None:
        e = event
        rows = self._uow._fetch(_SELECT_ITEM_ACCOUNT, "timeline event", item_id=e.item_id)
        if not rows:
            raise NotFound(kind="timeline event")
        account_id = rows[0][0]
        key = self._uow.data_key(account_id)
        summary = {"en": e.summary.en, "fr": e.summary.fr, "actor": e.actor_label}
        self._uow.execute(
            t.timeline_events.insert().values(
                event_id=e.event_id,
                item_id=e.item_id,
                kind=e.kind.value,
                occurred_at=e.occurred_at,
                state=None if e.state is None else e.state.value,
                summary_ct=seal(key, "timeline_events", "summary", e.event_id, account_id, summary),
            ),
            "timeline event",
        )

    def for_item(self, item_id: str) -> Sequence[TimelineEvent]:
        uow = self._uow
        if uow.connection.dialect.name == "sqlite":
            # A statement on SQLite is a function call, not a round trip: the
            # events alone and the key once cost less than the join, which
            # looks the item and key up again for every row and copies the
            # wrapped key into each.
            rows = uow._fetch(_SELECT_EVENTS_ONLY, "timeline event", item_id=item_id)
            if not rows:
                return []
            rows = sorted(rows, key=_TIME_ORDER)
            found = uow._fetch(_SELECT_ITEM_KEY, "timeline event", item_id=item_id)
            if not found:
                return []  # events without their item: none, as the join gives
            account_id, kek_id, wrapped = found[0]
        else:
            rows = uow._fetch(_SELECT_EVENTS, "timeline event", item_id=item_id)
            if not rows:
                return []
            account_id, kek_id, wrapped = rows[0][8:]
        if wrapped is None:
            raise PersonalDataErased()
        key = uow.data_key(account_id, WrappedDataKey(kek_id=kek_id, blob=wrapped))
        # Every summary is opened with its own event's id and the account as
        # associated data; only the encoding of the constant parts is shared.
        open_summary = key.field_opener("timeline_events", "summary", account_id)
        return [self._from_row(item_id, open_summary, r) for r in rows]

    @staticmethod
    def _from_row(
        item_id: str, open_summary: Callable[[bytes, str], bytes], row: Sequence[Any]
    ) -> TimelineEvent:
        event_id, summary_ct, occurred = row[0], row[4], row[2]
        if summary_ct is None:
            # A row from before 0012_privacy, not sealed yet.
            return TimelineEvent(
                event_id=event_id,
                item_id=item_id,
                kind=row[1],
                occurred_at=_instant(occurred),
                state=row[3],
                summary=BilingualText(row[5], row[6]),
                actor_label=row[7],
            )
        summary = decode_sealed(open_summary(summary_ct, event_id))
        kind, state = _EVENT_KINDS.get(row[1]), row[3]
        if state is not None:
            state = _STATES.get(state)
        if (
            type(summary) is dict
            and summary.keys() == _SUMMARY
            and type(en := summary["en"]) is str
            and type(fr := summary["fr"]) is str
            and type(actor := summary["actor"]) is str
            and kind is not None
            and (state is not None or row[3] is None)
            and (state is not None or kind is not TimelineKind.STATUS_CHANGED)
            and type(occurred) is int
        ):
            text = _new(BilingualText)
            _text_en(text, en)
            _text_fr(text, fr)
            event = _new(TimelineEvent)
            _event_id(event, v.identifier("event_id", event_id))
            _event_item_id(event, item_id)
            _event_kind(event, kind)
            _event_occurred_at(event, _EPOCH + _timedelta(0, 0, occurred))
            _event_state(event, state)
            _event_summary(event, text)
            _event_actor_label(event, actor)
            return event
        if type(summary) is not dict:
            raise DecryptionFailed()
        return TimelineEvent(
            event_id=event_id,
            item_id=item_id,
            kind=row[1],
            occurred_at=_instant(occurred),
            state=row[3],
            summary=BilingualText(summary.get("en"), summary.get("fr")),
            actor_label=summary.get("actor"),
        )


class _PluginRecords:
    """
    A plugin's own records per client: JSON text sealed with the client's
    data key, bound to (plugin, client, key). Values come and go as bytes;
    the service gate encodes, decodes and limits them.
    """

    def __init__(self, uow: FetchingUnit) -> None:
        self._uow = uow

    def _open(
        self, account_id: str, service_id: str, row: Sequence[Any]
    ) -> tuple[PluginRecord, bytes]:
        key_name, value_ct, version, created, updated, kek_id, wrapped = row
        if wrapped is None:
            raise PersonalDataErased()
        key = self._uow.data_key(account_id, WrappedDataKey(kek_id=kek_id, blob=wrapped))
        plain = key.decrypt_field(
            value_ct, "plugin_records", "value", f"{service_id}/{key_name}", account_id
        )
        record = PluginRecord(
            key=key_name,
            value=None,
            version=version,
            created_at=_instant(created),
            updated_at=_instant(updated),
        )
        return record, plain

    def get(self, account_id: str, service_id: str, key: str) -> tuple[PluginRecord, bytes] | None:
        """The record and its value's bytes, or ``None``."""
        rows = self._uow._fetch(
            _SELECT_RECORD,
            "plugin record",
            account_id=account_id,
            service_id=service_id,
            record_key=key,
        )
        return self._open(account_id, service_id, rows[0]) if rows else None

    def list(self, account_id: str, service_id: str) -> Sequence[tuple[PluginRecord, bytes]]:
        """Every record of the plugin for the client, by key."""
        rows = self._uow._fetch(
            _SELECT_RECORDS, "plugin record", account_id=account_id, service_id=service_id
        )
        return [self._open(account_id, service_id, r) for r in rows]

    def list_many(
        self, account_ids: Sequence[str], service_id: str, *, prefix: str = ""
    ) -> dict[str, Sequence[tuple[PluginRecord, bytes]]]:
        """
        Each client's records of the plugin whose key starts with *prefix*,
        by client and key; one statement per :data:`_MANY` clients. Erased
        clients (no data key) and clients with none are left out.
        """
        found: dict[str, Any] = {}
        wanted = sorted(set(account_ids))
        for start in range(0, len(wanted), _MANY):
            chunk = wanted[start : start + _MANY]
            query = _RECORDS_MANY.where(_r.account_id.in_(chunk), _r.service_id == service_id)
            if prefix:
                query = query.where(_r.record_key.startswith(prefix, autoescape=True))
            for row in self._uow.execute(query, "plugin record"):
                account_id = row[0]
                rest: tuple[Any, ...] = tuple(row[1:])
                if rest[-1] is None:
                    continue  # erased: only sealed bytes nobody can open are left
                found.setdefault(account_id, []).append(self._open(account_id, service_id, rest))
        return found

    def count(self, account_id: str, service_id: str) -> int:
        """How many records the plugin keeps for the client."""
        rows = self._uow._fetch(
            _COUNT_RECORDS, "plugin record", account_id=account_id, service_id=service_id
        )
        return int(rows[0][0])

    def put(
        self,
        account_id: str,
        service_id: str,
        key: str,
        value: bytes,
        *,
        version: int | None,
        now: dt.datetime,
    ) -> int:
        """
        Create the record (*version* ``None``) or replace version *version*;
        returns the new version.

        Raises:
            Conflict: it exists (creating), or is no longer at *version*.
            NotFound: replacing a record that does not exist.
            PersonalDataErased: the client's data key is gone.
        """
        data_key = self._uow.data_key(account_id)
        sealed = data_key.encrypt_field(
            value, "plugin_records", "value", f"{service_id}/{key}", account_id
        )
        if version is None:
            self._uow.execute(
                t.plugin_records.insert().values(
                    account_id=account_id,
                    service_id=service_id,
                    record_key=key,
                    value_ct=sealed,
                    version=1,
                    created_at=now,
                    updated_at=now,
                ),
                "plugin record",
            )
            return 1
        result = self._uow.execute(
            t.plugin_records.update()
            .where(
                _r.account_id == account_id,
                _r.service_id == service_id,
                _r.record_key == key,
                _r.version == version,
            )
            .values(value_ct=sealed, version=version + 1, updated_at=now),
            "plugin record",
        )
        if result.rowcount != 1:
            if self.get(account_id, service_id, key) is None:
                raise NotFound(kind="plugin record")
            raise Conflict(kind="plugin record")
        return version + 1

    def delete(self, account_id: str, service_id: str, key: str, *, version: int | None) -> bool:
        """
        Delete the record (only if still at *version*, when given); whether it existed.

        Raises:
            Conflict: it exists but is no longer at *version*.
        """
        where = [_r.account_id == account_id, _r.service_id == service_id, _r.record_key == key]
        if version is not None:
            where.append(_r.version == version)
        result = self._uow.execute(t.plugin_records.delete().where(*where), "plugin record")
        if result.rowcount == 1:
            return True
        if version is not None and self.get(account_id, service_id, key) is not None:
            raise Conflict(kind="plugin record")
        return False
