"""
The account read path: prebuilt SQL on the DBAPI cursor, the trusted construction of
sealed values, and what the read must still refuse.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ircc_account._crypto import DataKey, Keyring, WrappedDataKey
from ircc_account._model import (
    AccountStatus,
    ClientAccount,
    ContactDetails,
    Language,
    PersonalDetails,
)
from ircc_account._storage import SqlStore, _sql, open_store
from ircc_account._storage import _schema as t
from ircc_account.errors import (
    DecryptionFailed,
    PersonalDataErased,
    StorageUnavailable,
    UnknownValue,
    ValidationError,
)
from ircc_account.testing import strategies

from .test_contract import NOW, add_account, make_account


@pytest.mark.postgres
def test_a_connection_lost_during_a_read_is_unavailable_and_not_pooled_again(
    postgres_url: str,
) -> None:
    """A read whose server connection died raises StorageUnavailable; the next unit reconnects."""
    store = open_store(postgres_url, keyring=Keyring.generate(), pool_size=1)
    killer = sa.create_engine(store.engine.url)
    try:
        add_account(store, make_account())
        with pytest.raises(StorageUnavailable), store.unit_of_work(write=False) as uow:
            pid = uow.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            with killer.connect() as c:
                # Waits (up to 5 s) until the backend is gone.
                c.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            uow.accounts.get("acc-1")
        with store.unit_of_work(write=False) as uow:
            assert uow.accounts.get("acc-1") == make_account()
    finally:
        killer.dispose()
        store.close()


def test_driver_errors_on_the_read_path_are_translated(database_url: str) -> None:
    """A failing prebuilt read raises StorageUnavailable, as a Core statement would, never a driver error."""
    store = open_store(database_url, keyring=Keyring.generate())
    try:
        add_account(store, make_account())
        with store.engine.begin() as c:
            c.exec_driver_sql("ALTER TABLE account_keys RENAME TO account_keys_gone")
        with pytest.raises(StorageUnavailable), store.unit_of_work(write=False) as uow:
            uow.accounts.get("acc-1")
        with store.unit_of_work(write=False) as uow:  # the connection is still usable
            assert uow.connection.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        store.close()


# --- the trusted construction of sealed values -------------------------------------------


def _printable_text(max_size: int) -> st.SearchStrategy[str]:
    # Any text the model accepts, in any spelling: decomposed accents, outer
    # spaces, other scripts; what the converters refuse is filtered out.
    return st.text(
        st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
        | st.sampled_from(" \u0301\u00e9e"),
        min_size=1,
        max_size=max_size,
    )


def _lines(max_size: int) -> st.SearchStrategy[str]:
    line = _printable_text(80) | st.sampled_from(["\t", " "])
    return (
        st.lists(line, min_size=1, max_size=6).map("\n".join).filter(lambda s: len(s) <= max_size)
    )


@st.composite
def any_accounts(draw: st.DrawFn) -> ClientAccount:
    """Valid accounts from input in any accepted spelling, every optional field present or not."""
    try:
        personal = PersonalDetails(
            family_name=draw(_printable_text(100)),
            given_names=draw(st.none() | st.just("") | _printable_text(100)),
            date_of_birth=draw(
                st.dates(min_value=dt.date(1890, 1, 1)).map(str) | st.dates(dt.date(1890, 1, 1))
            ),
        )
        contact = ContactDetails(
            email=draw(st.from_regex(r"\A ?[A-Za-z0-9.+]{1,20}@[a-z]{1,10}\.(ca|com|org) ?\Z")),
            phone=draw(st.none() | st.from_regex(r"\A ?\+?[0-9 ()\-.]{7,25}\Z")),
            mailing_address=draw(st.none() | _lines(500)),
        )
    except ValidationError:
        assume(False)
        raise
    return ClientAccount(
        account_id=draw(strategies.identifiers(prefix="acc-")),
        personal=personal,
        contact=contact,
        preferred_language=draw(st.sampled_from(["en", "fr", Language.FRENCH])),
        uci=draw(st.none() | strategies.ucis()),
        status=draw(st.sampled_from(AccountStatus)),
        created_at=draw(strategies.instants()),
    )


def _decrypted(store: SqlStore, account_id: str) -> tuple[Any, ...]:
    """The row as the read path sees it, with its sealed fields decrypted."""
    with store.unit_of_work(write=False) as uow:
        (row,) = uow._fetch(_sql._SELECT_ACCOUNT, "account", account_id=account_id)
        aid, language, status, created_at, personal_ct, contact_ct, uci_ct, kek_id, wrapped = row
        key = uow.data_key(aid, WrappedDataKey(kek_id=kek_id, blob=wrapped))
        opened = [
            None if ct is None else _sql.open_sealed(key, "accounts", column, aid, aid, ct)
            for column, ct in (("personal", personal_ct), ("contact", contact_ct), ("uci", uci_ct))
        ]
    return (
        aid,
        language,
        status,
        t.Instant().process_result_value(created_at, store.engine.dialect),
        *opened,
    )


def test_sealed_values_build_what_the_validating_constructors_build(sqlite_url: str) -> None:
    """For any valid account, the read path's trusted construction equals the constructors', field types included."""
    store = open_store(sqlite_url, keyring=Keyring.generate())

    @settings(deadline=None)
    @given(any_accounts())
    def check(account: ClientAccount) -> None:
        try:
            add_account(store, account)
            aid, language, status, created_at, personal, contact, uci = _decrypted(
                store, account.account_id
            )
            validated = ClientAccount(
                account_id=aid,
                personal=PersonalDetails(**personal),
                contact=ContactDetails(**contact),
                preferred_language=language,
                uci=uci,
                status=status,
                created_at=created_at,
            )
            trusted = _sql._sealed_account(
                aid, language, status, created_at, personal, contact, uci
            )
            assert trusted is not None
            # repr shows each field's type too (an enum member, not its string).
            assert repr(trusted) == repr(validated)
            assert trusted == validated == account
            assert hash(trusted) == hash(validated) == hash(account)
            with store.unit_of_work(write=False) as uow:
                read = uow.accounts.get(account.account_id)
            assert repr(read) == repr(validated)
        finally:
            with store.engine.begin() as c:
                c.execute(t.account_keys.delete())
                c.execute(t.accounts.delete())

    try:
        check()
    finally:
        store.close()


def test_sealed_values_of_another_shape_take_the_validating_constructors() -> None:
    """Decrypted values not shaped as the store writes them are built, or refused, by the constructors."""
    personal = {"family_name": "Tremblay", "given_names": None, "date_of_birth": "1990-04-02"}
    contact = {"email": "m@example.ca", "phone": None, "mailing_address": None}
    args = ("acc-1", "fr", "active", NOW)
    assert _sql._sealed_account(*args, personal, contact, None) is not None
    for p, c, uci in [
        ({**personal, "nickname": "M"}, contact, None),
        ({k: v for k, v in personal.items() if k != "given_names"}, contact, None),
        ({**personal, "family_name": 7}, contact, None),
        ({**personal, "date_of_birth": "02/04/1990"}, contact, None),
        (personal, {**contact, "phone": 6135550100}, None),
        (personal, contact, 10000001),
        (personal, ["m@example.ca"], None),
    ]:
        assert _sql._sealed_account(*args, p, c, uci) is None


@pytest.mark.parametrize(
    ("column", "value", "error"),
    [
        ("preferred_language", "de", UnknownValue),
        ("status", "deleted", UnknownValue),
    ],
)
def test_columns_that_are_not_sealed_are_still_validated(
    database_url: str, column: str, value: str, error: type[Exception]
) -> None:
    """A plaintext column altered in the database is refused on read, as the constructor refuses it."""
    store = open_store(database_url, keyring=Keyring.generate())
    try:
        add_account(store, make_account())
        with store.engine.begin() as c:
            c.execute(t.accounts.update().values({column: value}))
        with pytest.raises(error), store.unit_of_work(write=False) as uow:
            uow.accounts.get("acc-1")
    finally:
        store.close()


@pytest.mark.parametrize("column", ["personal_ct", "contact_ct", "uci_ct"])
def test_a_tampered_sealed_field_still_fails(database_url: str, column: str) -> None:
    """One flipped bit in any sealed field makes every read of the account fail (AEAD)."""
    store = open_store(database_url, keyring=Keyring.generate())
    try:
        account = make_account()
        add_account(store, account)
        with store.engine.begin() as c:
            blob = c.execute(sa.select(t.accounts.c[column])).scalar_one()
            flipped = blob[:20] + bytes([blob[20] ^ 1]) + blob[21:]
            c.execute(t.accounts.update().values({column: flipped}))
        with store.unit_of_work(write=False) as uow:
            with pytest.raises(DecryptionFailed):
                uow.accounts.get("acc-1")
            with pytest.raises(DecryptionFailed):
                uow.accounts.find_by_uci(account.uci)
            with pytest.raises(DecryptionFailed):
                uow.accounts.find_by_email(account.contact.email)
    finally:
        store.close()


def test_an_erased_account_raises_by_id_and_answers_lookups_as_unknown(database_url: str) -> None:
    """After crypto-shredding, get raises PersonalDataErased; find_by_uci and find_by_email answer as for a value nobody holds."""
    store = open_store(database_url, keyring=Keyring.generate())
    try:
        account = make_account()
        add_account(store, account)
        with store.unit_of_work(write=False) as uow:  # a key unwrapped in an earlier unit...
            assert uow.accounts.get("acc-1") == account
        with store.unit_of_work() as uow:
            uow.accounts.erase_personal_data("acc-1")
            uow.commit()
        with store.unit_of_work(write=False) as uow:  # ...is not cached beyond it
            with pytest.raises(PersonalDataErased):
                uow.accounts.get("acc-1")
            assert account.uci is not None
            assert uow.accounts.find_by_uci(account.uci) is None
            assert uow.accounts.find_by_uci("99999999") is None
            assert uow.accounts.find_by_email(account.contact.email) == []
            assert uow.accounts.find_by_email("nobody@example.ca") == []
        # A row erased before erasure cleared the indexes answers the same.
        ring = store.keyring
        with store.engine.begin() as c:
            c.execute(
                t.accounts.update()
                .where(t.accounts.c.account_id == "acc-1")
                .values(
                    uci_index=ring.blind_index("uci", account.uci),
                    email_index=ring.blind_index("email", account.contact.email),
                )
            )
        with store.unit_of_work(write=False) as uow:
            assert uow.accounts.find_by_uci(account.uci) is None
            assert uow.accounts.find_by_email(account.contact.email) == []
    finally:
        store.close()


def test_each_unit_unwraps_the_data_key_again(database_url: str) -> None:
    """The unwrapped data key is cached per unit only: each unit's first read unwraps it."""
    keyring = Keyring.generate()
    store = open_store(database_url, keyring=keyring)
    calls: list[str] = []
    unwrap = Keyring.unwrap

    def counting(self: Keyring, wrapped: WrappedDataKey, account_id: str) -> DataKey:
        calls.append(account_id)
        return unwrap(self, wrapped, account_id)

    try:
        add_account(store, make_account())
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(Keyring, "unwrap", counting)
            for _ in range(2):
                with store.unit_of_work(write=False) as uow:
                    uow.accounts.get("acc-1")
                    uow.accounts.get("acc-1")
        assert calls == ["acc-1", "acc-1"]
    finally:
        store.close()
