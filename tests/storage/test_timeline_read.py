"""
The timeline's read path, made cheaper for issue 14: each summary still
opened under the client's data key with its own event and account as
associated data, in the same order and with the same errors, on SQLite and
PostgreSQL; and the two helpers it rests on (``DataKey.field_opener``,
``decode_sealed``) doing exactly what the calls they replace do.
"""

from __future__ import annotations

import datetime as dt
import json

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from ircc_account._crypto import FieldContext, Keyring
from ircc_account._model import BilingualText, ItemState, TimelineEvent, TimelineKind
from ircc_account._storage import SqlStore
from ircc_account._storage import _schema as t
from ircc_account._storage._sealing import decode_sealed
from ircc_account.errors import ConfigurationError, DecryptionFailed, PersonalDataErased

from .test_contract import NOW, add_account, keyring, make_account, make_item, store

__all__ = ["keyring", "store"]  # the fixtures, shared with the contract suite


def _event(n: int, item_id: str = "item-1", **changes: object) -> TimelineEvent:
    e = TimelineEvent(
        event_id=f"ev-{n}",
        item_id=item_id,
        kind=TimelineKind.STATUS_CHANGED,
        occurred_at=NOW,
        state=ItemState.IN_PROGRESS,
        summary=BilingualText(f"Step {n}", f"Étape {n}"),
        actor_label=f"Office {n}",
    )
    return attrs.evolve(e, **changes) if changes else e


def _add(store: SqlStore, *events: TimelineEvent, account: int = 1, item: int = 1) -> None:
    add_account(store, make_account(account))
    with store.unit_of_work() as uow:
        uow.items.add(make_item(item, f"acc-{account}"))
        for e in events:
            uow.timeline.append(e)
        uow.commit()


def _summary_ct(store: SqlStore, event_id: str) -> bytes:
    with store.engine.connect() as c:
        return bytes(
            c.execute(
                sa.select(t.timeline_events.c.summary_ct).where(
                    t.timeline_events.c.event_id == event_id
                )
            ).scalar_one()
        )


def _set_summary_ct(store: SqlStore, event_id: str, sealed: bytes) -> None:
    with store.engine.begin() as c:
        c.execute(
            t.timeline_events.update()
            .where(t.timeline_events.c.event_id == event_id)
            .values(summary_ct=sealed)
        )


# --- the repository, on both databases -----------------------------------------


def test_events_come_back_by_time_then_id_with_every_field(store: SqlStore) -> None:
    """for_item gives every event whole, oldest first and events of the same instant by id, whatever the order written."""
    later = NOW + dt.timedelta(microseconds=1)
    written = [
        _event(3),
        _event(1, occurred_at=later, kind=TimelineKind.NOTE, state=None),
        _event(10),
        _event(2),
        _event(0, occurred_at=later),
    ]
    _add(store, *written)
    with store.unit_of_work(write=False) as uow:
        read = uow.timeline.for_item("item-1")
    assert [e.event_id for e in read] == ["ev-10", "ev-2", "ev-3", "ev-0", "ev-1"]
    assert sorted(read, key=lambda e: e.event_id) == sorted(written, key=lambda e: e.event_id)
    assert all(e == attrs.evolve(e) for e in read)  # what the constructors build


def test_an_item_without_events_reads_empty_even_once_erased(store: SqlStore) -> None:
    """An item with no events, or no item at all, has an empty timeline, before and after erasure."""
    _add(store)
    with store.unit_of_work(write=False) as uow:
        assert list(uow.timeline.for_item("item-1")) == []
        assert list(uow.timeline.for_item("nope")) == []
    with store.unit_of_work() as uow:
        uow.accounts.erase_personal_data("acc-1")
        uow.commit()
    with store.unit_of_work(write=False) as uow:
        assert list(uow.timeline.for_item("item-1")) == []


def test_an_erased_clients_events_are_refused(store: SqlStore) -> None:
    """Once the client's data key is destroyed, reading the item's events raises PersonalDataErased."""
    _add(store, _event(1), _event(2))
    with store.unit_of_work() as uow:
        uow.accounts.erase_personal_data("acc-1")
        uow.commit()
    with store.unit_of_work(write=False) as uow, pytest.raises(PersonalDataErased):
        uow.timeline.for_item("item-1")


def test_a_summary_moved_to_another_event_of_the_same_item_does_not_decrypt(
    store: SqlStore,
) -> None:
    """Summaries opened together are still each bound to their own event id (SEC-73)."""
    _add(store, _event(1), _event(2))
    _set_summary_ct(store, "ev-2", _summary_ct(store, "ev-1"))
    with store.unit_of_work(write=False) as uow, pytest.raises(DecryptionFailed):
        uow.timeline.for_item("item-1")


def test_a_summary_moved_to_another_clients_event_does_not_decrypt(store: SqlStore) -> None:
    """A summary copied onto another client's event does not open under that client's key (SEC-73)."""
    _add(store, _event(1))
    _add(store, _event(2, item_id="item-2"), account=2, item=2)
    _set_summary_ct(store, "ev-2", _summary_ct(store, "ev-1"))
    with store.unit_of_work(write=False) as uow:
        assert uow.timeline.for_item("item-1")[0].summary == BilingualText("Step 1", "Étape 1")
        with pytest.raises(DecryptionFailed):
            uow.timeline.for_item("item-2")


# --- the helpers ------------------------------------------------------------------

contexts = st.builds(
    FieldContext,
    table=st.text(min_size=1, max_size=20),
    column=st.text(min_size=1, max_size=20),
    record_id=st.text(min_size=1, max_size=40),
    account_id=st.text(min_size=1, max_size=40),
)


@given(context=contexts, other=contexts, plaintext=st.binary(max_size=64))
def test_a_field_opener_binds_exactly_as_decrypt_field(
    context: FieldContext, other: FieldContext, plaintext: bytes
) -> None:
    """field_opener(table, column, account)(blob, record) opens what decrypt_field opens, and only that (SEC-73)."""
    key, _ = Keyring.generate().new_data_key("acc-1")
    blob = key.encrypt(plaintext, context)
    c, o = context, other
    assert key.field_opener(c.table, c.column, c.account_id)(blob, c.record_id) == plaintext
    if other != context:
        with pytest.raises(DecryptionFailed):
            key.field_opener(o.table, o.column, o.account_id)(blob, o.record_id)


@pytest.mark.parametrize(
    "mangle",
    [lambda b: b[:-1], lambda b: b[:28], lambda b: b"", lambda b: b"\x02" + b[1:], bytearray],
    ids=["short-tag", "header-only", "empty", "version-2", "bytearray"],
)
def test_a_field_opener_refuses_malformed_envelopes(mangle: object) -> None:
    """A truncated, other-version or non-bytes envelope raises DecryptionFailed through an opener too (SEC-71)."""
    key, _ = Keyring.generate().new_data_key("acc-1")
    blob = key.encrypt_field(b"x", "t", "c", "r", "a")
    with pytest.raises(DecryptionFailed):
        key.field_opener("t", "c", "a")(mangle(blob), "r")  # type: ignore[operator]


@pytest.mark.parametrize("part", ["table", "column", "record_id", "account_id"])
def test_a_field_opener_refuses_empty_context_parts(part: str) -> None:
    """An opener is never made, nor called, with an empty part of the context (SEC-73)."""
    key, _ = Keyring.generate().new_data_key("acc-1")
    parts = {"table": "t", "column": "c", "record_id": "r", "account_id": "a", part: ""}
    blob = key.encrypt_field(b"x", "t", "c", "r", "a")
    with pytest.raises(ConfigurationError):
        key.field_opener(parts["table"], parts["column"], parts["account_id"])(
            blob, parts["record_id"]
        )


@given(
    st.one_of(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner),
            max_leaves=8,
        ).map(json.dumps),
        st.text(alphabet=' \t\n{}[]",:0123456789.eE+-truefalsn\\u', max_size=30),
    )
)
def test_decode_sealed_decodes_exactly_as_json_loads(text: str) -> None:
    """decode_sealed gives what json.loads gives, and DecryptionFailed where json.loads refuses."""
    try:
        expected = json.loads(text)
    except ValueError:
        with pytest.raises(DecryptionFailed):
            decode_sealed(text.encode())
        return
    got = decode_sealed(text.encode())
    assert json.dumps(got) == json.dumps(expected)


def test_decode_sealed_refuses_what_is_not_utf8() -> None:
    """A payload that is not UTF-8 raises DecryptionFailed, as open_sealed always did."""
    with pytest.raises(DecryptionFailed):
        decode_sealed(b'"\xff"')
