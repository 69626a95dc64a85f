"""
The storage contract: one suite, run against SQLite and a real PostgreSQL server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from ircc_account._crypto import KeyEncryptionKey, Keyring
from ircc_account._model import (
    AccountStatus,
    AssuranceLevel,
    BilingualText,
    ClientAccount,
    ContactDetails,
    ItemKind,
    ItemState,
    LinkedCredential,
    LinkedLegacyFile,
    PersonalDetails,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)
from ircc_account._storage import SqlStore, open_store
from ircc_account._storage import _schema as t
from ircc_account._storage.ports import SignIn
from ircc_account.errors import Conflict, DecryptionFailed, NotFound, PersonalDataErased

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.generate()


@pytest.fixture
def store(database_url: str, keyring: Keyring) -> Iterator[SqlStore]:
    s = open_store(database_url, keyring=keyring)
    yield s
    s.close()


def make_account(n: int = 1, **changes: object) -> ClientAccount:
    a = ClientAccount(
        account_id=f"acc-{n}",
        personal=PersonalDetails(
            family_name=f"Tremblay{n}", given_names="Marie", date_of_birth="1990-04-02"
        ),
        contact=ContactDetails(email=f"Marie.{n}@Example.ca", phone="+1 613 555 0100"),
        preferred_language="fr",
        uci=f"{10000000 + n}",
        created_at=NOW + dt.timedelta(seconds=n),
    )
    return attrs.evolve(a, **changes) if changes else a


def make_item(n: int = 1, account_id: str = "acc-1", **changes: object) -> ServiceItem:
    i = ServiceItem(
        item_id=f"item-{n}",
        account_id=account_id,
        service_id="trv",
        kind=ItemKind.APPLICATION,
        reference=f"V{100000000 + n}",
        state=ItemState.SUBMITTED,
        title=BilingualText("Visitor visa", "Visa de visiteur"),
        document_number=f"AB{123456 + n}",
        created_at=NOW + dt.timedelta(minutes=n),
        updated_at=NOW + dt.timedelta(minutes=n),
    )
    return attrs.evolve(i, **changes) if changes else i


def add_account(store: SqlStore, account: ClientAccount) -> None:
    with store.unit_of_work() as uow:
        uow.accounts.add(account)
        uow.commit()


def test_account_round_trip(store: SqlStore) -> None:
    """An account written in one unit reads back equal, personal data decrypted."""
    a = make_account()
    add_account(store, a)
    with store.unit_of_work(write=False) as uow:
        assert uow.accounts.get(a.account_id) == a


def test_personal_data_is_never_stored_in_clear(store: SqlStore) -> None:
    """No column of the accounts or items tables holds a name, email, UCI or document number."""
    a = make_account()
    add_account(store, a)
    with store.unit_of_work() as uow:
        uow.items.add(make_item())
        uow.commit()
    secrets = [
        b"Tremblay1",
        b"Marie",
        b"Example.ca",
        b"example.ca",
        a.uci.encode(),
        b"AB123457",
        b"1990-04-02",
    ]
    with store.engine.connect() as c:
        for table in (t.accounts, t.items, t.account_keys):
            for row in c.execute(sa.select(table)).all():
                for value in row:
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    for s in secrets:
                        assert s not in raw, (table.name, s)


def test_sec_76_blind_index_is_keyed(store: SqlStore) -> None:
    """The UCI index is not an unkeyed SHA-256 of the identifier (SEC-76)."""
    a = make_account()
    add_account(store, a)
    with store.engine.connect() as c:
        index = c.execute(sa.select(t.accounts.c.uci_index)).scalar_one()
    assert index != hashlib.sha256(a.uci.encode()).digest()
    assert index not in (hashlib.sha256(f"uci\x00{a.uci}".encode()).digest(),)


def test_lookup_by_uci_and_email(store: SqlStore) -> None:
    """Lookups go through the blind index and accept any spelling of the UCI and any email case."""
    a, b = make_account(1), make_account(2)
    add_account(store, a)
    add_account(store, b)
    with store.unit_of_work(write=False) as uow:
        found = uow.accounts.find_by_uci(f"{a.uci[:4]}-{a.uci[4:]}")
        assert found is not None and found.account_id == a.account_id
        assert uow.accounts.find_by_uci("99999999") is None
        assert [x.account_id for x in uow.accounts.find_by_email("MARIE.2@EXAMPLE.CA")] == ["acc-2"]


def test_duplicates_conflict_and_write_nothing(store: SqlStore) -> None:
    """A duplicate account id or UCI raises Conflict and leaves no key or row behind."""
    add_account(store, make_account(1))
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.accounts.add(make_account(2, uci=make_account(1).uci))
        uow.commit()
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.accounts.add(make_account(1, uci="55555555"))
    with store.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(t.accounts)).scalar_one() == 1
        assert c.execute(sa.select(sa.func.count()).select_from(t.account_keys)).scalar_one() == 1


def test_leaving_without_commit_rolls_back(store: SqlStore) -> None:
    """A unit that raises or simply ends without commit() leaves nothing written."""
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.accounts.add(make_account(1))
        raise RuntimeError("boom")
    with store.unit_of_work() as uow:
        uow.accounts.add(make_account(2))
    with store.unit_of_work(write=False) as uow:
        for n in (1, 2):
            with pytest.raises(NotFound):
                uow.accounts.get(f"acc-{n}")


def test_update_account(store: SqlStore) -> None:
    """Changing contact details and UCI re-encrypts and re-indexes."""
    a = make_account()
    add_account(store, a)
    changed = attrs.evolve(a, contact=ContactDetails(email="new@example.ca"), uci="12-3456-7890")
    with store.unit_of_work() as uow:
        uow.accounts.update(changed)
        uow.commit()
    with store.unit_of_work(write=False) as uow:
        assert uow.accounts.get(a.account_id) == changed
        assert uow.accounts.find_by_email("marie.1@example.ca") == []
        assert uow.accounts.find_by_uci("1234567890") == changed
    with pytest.raises(NotFound), store.unit_of_work() as uow:
        uow.accounts.update(make_account(9))


def test_sec_73_ciphertext_moved_to_another_row_fails(store: SqlStore) -> None:
    """Swapping encrypted contact details between two accounts makes both unreadable (SEC-73)."""
    add_account(store, make_account(1))
    add_account(store, make_account(2))
    with store.engine.begin() as c:
        ct = {
            r.account_id: r.contact_ct
            for r in c.execute(sa.select(t.accounts.c.account_id, t.accounts.c.contact_ct))
        }
        c.execute(
            t.accounts.update()
            .where(t.accounts.c.account_id == "acc-1")
            .values(contact_ct=ct["acc-2"])
        )
    with store.unit_of_work(write=False) as uow:
        with pytest.raises(DecryptionFailed):
            uow.accounts.get("acc-1")
        assert uow.accounts.get("acc-2").contact.email == "Marie.2@Example.ca"


def test_crypto_shredding(store: SqlStore) -> None:
    """Erasing an account's data key makes its personal data unreadable, and only its own."""
    add_account(store, make_account(1))
    add_account(store, make_account(2))
    with store.unit_of_work() as uow:
        uow.items.add(make_item(1, "acc-1"))
        uow.accounts.erase_personal_data("acc-1")
        uow.commit()
    with store.unit_of_work(write=False) as uow:
        with pytest.raises(PersonalDataErased):
            uow.accounts.get("acc-1")
        with pytest.raises(PersonalDataErased):
            uow.items.get("item-1")
        assert uow.accounts.get("acc-2").personal.family_name == "Tremblay2"


def test_sec_74_key_rotation_rewraps_without_downtime(database_url: str, keyring: Keyring) -> None:
    """After rotating the KEK and re-wrapping, the old KEK can be dropped and everything still reads."""
    store = open_store(database_url, keyring=keyring)
    for n in range(1, 8):
        add_account(store, make_account(n))
    store.close()
    new_kek = KeyEncryptionKey(key_id="kek-2026-11", secret=b"\x42" * 32)
    rotated = keyring.rotated(new_kek)
    store = open_store(database_url, keyring=rotated)
    try:
        with store.unit_of_work(write=False) as uow:  # still readable mid-rotation
            assert uow.accounts.get("acc-3").personal.family_name == "Tremblay3"
        assert store.rewrap_data_keys(batch_size=3) == 7
        assert store.rewrap_data_keys() == 0
        with store.engine.connect() as c:
            assert set(c.execute(sa.select(t.account_keys.c.kek_id)).scalars()) == {"kek-2026-11"}
    finally:
        store.close()
    store = open_store(database_url, keyring=rotated.without(keyring.primary_id))
    try:
        with store.unit_of_work(write=False) as uow:
            assert [uow.accounts.get(f"acc-{n}").uci for n in range(1, 8)] == [
                f"{10000000 + n}" for n in range(1, 8)
            ]
    finally:
        store.close()


def test_credentials(store: SqlStore) -> None:
    """Credentials are keyed by (issuer, subject); logins only raise the recorded assurance."""
    add_account(store, make_account(1))
    add_account(store, make_account(2))
    cred = LinkedCredential(
        account_id="acc-1", issuer="https://idp.example", subject="s-1", linked_at=NOW
    )
    with store.unit_of_work() as uow:
        uow.credentials.link(cred)
        uow.credentials.link(attrs.evolve(cred, issuer="https://bank.example"))
        uow.commit()
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.credentials.link(attrs.evolve(cred, account_id="acc-2"))
    with store.unit_of_work() as uow:
        uow.credentials.record_login(
            cred.issuer, cred.subject, at=NOW, assurance=AssuranceLevel.HIGH
        )
        uow.credentials.record_login(
            cred.issuer, cred.subject, at=NOW, assurance=AssuranceLevel.LOW
        )
        uow.commit()
    with store.unit_of_work(write=False) as uow:
        found = uow.credentials.find(cred.issuer, cred.subject)
        assert (
            found is not None
            and found.assurance is AssuranceLevel.HIGH
            and found.last_login_at == NOW
        )
        assert uow.credentials.find(cred.issuer, "s-2") is None
        assert len(uow.credentials.for_account("acc-1")) == 2
    with store.unit_of_work() as uow:
        uow.credentials.unlink("https://bank.example", "s-1")
        with pytest.raises(NotFound):
            uow.credentials.unlink("https://bank.example", "s-1")
        with pytest.raises(NotFound):
            uow.credentials.record_login(
                "https://nobody", "x", at=NOW, assurance=AssuranceLevel.LOW
            )


@contextmanager
def statements(store: SqlStore) -> Iterator[list[str]]:
    """The SQL statements the store sends while the block runs."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)


def test_sign_in_records_the_login_and_primes_the_data_key(store: SqlStore) -> None:
    """A login with a linked credential costs one read and one update, and its key needs no query."""
    add_account(store, make_account(1))
    cred = LinkedCredential(
        account_id="acc-1", issuer="https://idp.example", subject="s-1", linked_at=NOW
    )
    later = NOW + dt.timedelta(hours=1)
    with store.unit_of_work() as uow:
        uow.credentials.link(cred)
        uow.commit()
    with store.unit_of_work() as uow:
        with statements(store) as sent:
            got = uow.credentials.sign_in(
                cred.issuer, cred.subject, at=later, assurance=AssuranceLevel.HIGH
            )
        assert got == SignIn(account_id="acc-1", active=True)
        assert len(sent) == 2
        with statements(store) as sent:
            uow.data_key("acc-1")
        assert sent == []
        uow.commit()
    with store.unit_of_work() as uow:
        uow.credentials.sign_in(cred.issuer, cred.subject, at=later, assurance=AssuranceLevel.LOW)
        assert (
            uow.credentials.sign_in(cred.issuer, "s-2", at=later, assurance=AssuranceLevel.LOW)
            is None
        )
        uow.commit()
    with store.unit_of_work(write=False) as uow:
        found = uow.credentials.find(cred.issuer, cred.subject)
        assert found is not None
        assert (found.assurance, found.last_login_at) == (AssuranceLevel.HIGH, later)


def test_sign_in_to_a_disabled_account_records_nothing(store: SqlStore) -> None:
    """A disabled account's credential says so and its login is not recorded; an erased account's credential is gone, so the person can register again."""
    add_account(store, make_account(1, status=AccountStatus.DISABLED))
    add_account(store, make_account(2))
    with store.unit_of_work() as uow:
        for n in (1, 2):
            uow.credentials.link(
                LinkedCredential(
                    account_id=f"acc-{n}",
                    issuer="https://idp.example",
                    subject=f"s-{n}",
                    linked_at=NOW,
                )
            )
        uow.accounts.erase_personal_data("acc-2")
        uow.commit()
    later = NOW + dt.timedelta(hours=1)
    with store.unit_of_work() as uow:
        got = uow.credentials.sign_in(
            "https://idp.example", "s-1", at=later, assurance=AssuranceLevel.HIGH
        )
        assert got == SignIn(account_id="acc-1", active=False)
        assert (
            uow.credentials.sign_in(
                "https://idp.example", "s-2", at=later, assurance=AssuranceLevel.HIGH
            )
            is None
        )
        uow.commit()
    with store.unit_of_work(write=False) as uow:
        found = uow.credentials.find("https://idp.example", "s-1")
        assert found is not None and found.last_login_at is None
        assert found.assurance is AssuranceLevel.LOW
        assert uow.credentials.find("https://idp.example", "s-2") is None


def test_account_status(store: SqlStore) -> None:
    """An account's status reads without its personal data; an unknown account has none."""
    a = make_account(1)
    add_account(store, a)
    add_account(store, make_account(2))
    with store.unit_of_work() as uow:
        assert uow.accounts.status("acc-1") is AccountStatus.ACTIVE
        assert uow.accounts.status("acc-9") is None
        uow.accounts.update(attrs.evolve(a, status=AccountStatus.DISABLED))
        uow.accounts.erase_personal_data("acc-2")
        uow.commit()
    with store.unit_of_work(write=False) as uow:
        assert uow.accounts.status("acc-1") is AccountStatus.DISABLED
        assert uow.accounts.status("acc-2") is AccountStatus.DISABLED


def test_legacy_files(store: SqlStore) -> None:
    """A legacy file can be claimed once."""
    add_account(store, make_account(1))
    f = LinkedLegacyFile(account_id="acc-1", system="gcms", file_number="W123456789", linked_at=NOW)
    with store.unit_of_work() as uow:
        uow.legacy_files.link(f)
        uow.commit()
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.legacy_files.link(f)
    with store.unit_of_work(write=False) as uow:
        assert uow.legacy_files.find("gcms", "W123456789") == f
        assert uow.legacy_files.for_account("acc-1") == [f]


def test_items_and_optimistic_concurrency(store: SqlStore) -> None:
    """Items round-trip; a stale update raises Conflict; a missing account is NotFound."""
    add_account(store, make_account(1))
    item = make_item(1)
    with store.unit_of_work() as uow:
        uow.items.add(item)
        uow.items.add(make_item(2, service_id="passport"))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.items.get("item-1") == item
        updated = uow.items.update(attrs.evolve(item, state=ItemState.IN_PROGRESS))
        assert updated.version == 2
        uow.commit()
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.items.update(attrs.evolve(item, state=ItemState.CLOSED))
    with pytest.raises(NotFound), store.unit_of_work() as uow:
        uow.items.update(make_item(9))
    with pytest.raises(NotFound), store.unit_of_work() as uow:
        uow.items.add(make_item(3, account_id="acc-404"))
    with pytest.raises(Conflict), store.unit_of_work() as uow:
        uow.items.add(make_item(4, reference=item.reference))
    with store.unit_of_work(write=False) as uow:
        assert [i.item_id for i in uow.items.for_account("acc-1")] == ["item-2", "item-1"]
        assert [i.item_id for i in uow.items.for_account("acc-1", service_id="trv")] == ["item-1"]
        assert uow.items.find_by_reference("trv", item.reference).state is ItemState.IN_PROGRESS  # type: ignore[union-attr]
        with pytest.raises(NotFound):
            uow.items.get("item-404")


def test_timeline(store: SqlStore) -> None:
    """Events come back oldest first and need an existing item."""
    add_account(store, make_account(1))
    with store.unit_of_work() as uow:
        uow.items.add(make_item(1))
        for n, kind in enumerate([TimelineKind.DOCUMENT_REQUESTED, TimelineKind.SUBMITTED]):
            uow.timeline.append(
                TimelineEvent(
                    event_id=f"e{n}",
                    item_id="item-1",
                    kind=kind,
                    occurred_at=NOW - dt.timedelta(days=n),
                    summary=BilingualText("x", "y"),
                )
            )
        uow.commit()
    with pytest.raises(NotFound), store.unit_of_work() as uow:
        uow.timeline.append(
            TimelineEvent(
                event_id="e9",
                item_id="nope",
                kind=TimelineKind.NOTE,
                occurred_at=NOW,
                summary=BilingualText("x", "y"),
            )
        )
    with store.unit_of_work(write=False) as uow:
        assert [e.event_id for e in uow.timeline.for_item("item-1")] == ["e1", "e0"]


def test_sec_80_sql_metacharacters_are_stored_literally(store: SqlStore) -> None:
    """Quotes, semicolons and comment markers in values are data, never SQL (SEC-80)."""
    evil = "O'Brien; DROP TABLE accounts; --"
    a = make_account(1, personal=PersonalDetails(family_name=evil, date_of_birth="1980-01-01"))
    add_account(store, a)
    with store.unit_of_work() as uow:
        uow.items.add(make_item(1, title=BilingualText(evil, evil)))
        uow.commit()
    with store.unit_of_work(write=False) as uow:
        assert uow.accounts.get("acc-1").personal.family_name == evil
        assert uow.items.get("item-1").title.en == evil


def test_on_commit_callbacks_run_only_after_commit(store: SqlStore) -> None:
    """Callbacks registered in a unit run after its commit, and never on rollback."""
    ran: list[str] = []
    with store.unit_of_work() as uow:
        uow.accounts.add(make_account(1))
        uow.on_commit(lambda: ran.append("committed"))
        assert ran == []
        uow.commit()
    with store.unit_of_work() as uow:
        uow.on_commit(lambda: ran.append("rolled back"))
    assert ran == ["committed"]


def test_on_rollback_callbacks_run_once_after_rollback_and_never_after_commit(
    store: SqlStore,
) -> None:
    """A rollback callback runs once the unit rolls back, outside its transaction; a commit drops it."""
    ran: list[str] = []

    def write_elsewhere() -> None:
        # The unit's write lock is gone: another unit can commit at once.
        add_account(store, make_account(2))
        ran.append("rolled back")

    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.accounts.add(make_account(1))
        uow.on_rollback(write_elsewhere)
        raise RuntimeError("the caller fails")
    with store.unit_of_work() as uow:
        uow.on_rollback(lambda: ran.append("committed"))
        uow.commit()
    with store.unit_of_work() as uow:
        uow.on_rollback(lambda: ran.append("explicit"))
        uow.rollback()
        uow.rollback()
    assert ran == ["rolled back", "explicit"]
    with store.unit_of_work(write=False) as uow:
        assert uow.accounts.get("acc-2").account_id == "acc-2"
        with pytest.raises(NotFound):
            uow.accounts.get("acc-1")


def test_concurrent_writers_do_not_lose_units(store: SqlStore) -> None:
    """Eight threads adding accounts concurrently all succeed and all are readable."""
    import concurrent.futures

    def add(n: int) -> None:
        add_account(store, make_account(n))

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(add, range(1, 41)))
    with store.unit_of_work(write=False) as uow:
        assert {uow.accounts.get(f"acc-{n}").uci for n in range(1, 41)} == {
            f"{10000000 + n}" for n in range(1, 41)
        }


def test_commit_after_rollback_is_a_typed_error(store: SqlStore) -> None:
    """Committing a unit that was rolled back raises UnitRolledBack and writes nothing."""
    from ircc_account.errors import UnitRolledBack

    with store.unit_of_work() as uow:
        uow.accounts.add(make_account(1))
        uow.rollback()
        with pytest.raises(UnitRolledBack):
            uow.commit()
    with store.unit_of_work(write=False) as uow, pytest.raises(NotFound):
        uow.accounts.get("acc-1")
