"""
Personal data at rest beyond the account: items and timelines sealed, and
erasure that leaves nothing to find a person by, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
import sqlalchemy as sa

from ircc_account._model import (
    BilingualText,
    LinkedCredential,
    LinkedLegacyFile,
    TimelineEvent,
    TimelineKind,
)
from ircc_account._storage import SqlStore
from ircc_account._storage import _schema as t
from ircc_account._storage import _schema_identity as ti
from ircc_account._storage._schema_all import metadata

from .test_contract import NOW, add_account, keyring, make_account, make_item, store

__all__ = ["keyring", "store"]  # the fixtures, shared with the contract suite

NAME = "Marie Tremblay"
TITLE = BilingualText(f"Visitor visa for {NAME}", f"Visa de visiteur pour {NAME}")
SUMMARY = BilingualText(f"{NAME}'s passport received", f"Passeport de {NAME} reçu")
REFERENCE = "V7734120001"
FILE_NUMBER = "W998877665"
SUBJECT = "subject-marie-7734"


def _clear_text(store: SqlStore) -> str:
    """Every stored value of every table, as text, for searching (blobs decoded loosely)."""
    parts: list[str] = []
    with store.engine.connect() as c:
        for table in metadata.sorted_tables:
            for row in c.execute(sa.select(table)):
                for value in row:
                    if isinstance(value, bytes):
                        parts.append(value.decode("latin-1"))
                    elif value is not None:
                        parts.append(str(value))
    return "\n".join(parts)


def _add_client(store: SqlStore, n: int = 1, *, item_id: str = "item-1") -> None:
    add_account(store, make_account(n))
    with store.unit_of_work() as uow:
        uow.items.add(make_item(1, f"acc-{n}", item_id=item_id, reference=REFERENCE, title=TITLE))
        uow.timeline.append(
            TimelineEvent(
                event_id=f"ev-{item_id}",
                item_id=item_id,
                kind=TimelineKind.NOTE,
                occurred_at=NOW,
                summary=SUMMARY,
                actor_label=f"your representative {NAME}",
            )
        )
        uow.credentials.link(
            LinkedCredential(
                account_id=f"acc-{n}", issuer="https://idp.example", subject=SUBJECT, linked_at=NOW
            )
        )
        uow.legacy_files.link(
            LinkedLegacyFile(
                account_id=f"acc-{n}", system="gcms", file_number=FILE_NUMBER, linked_at=NOW
            )
        )
        uow.plugin_records.put(
            f"acc-{n}", "trv", "draft", b'{"given":"Marie"}', version=None, now=NOW
        )
        # A signed-in session: it names the credential's issuer and subject.
        uow.execute(
            ti.identity_sessions.insert().values(
                id_hash=bytes([n]) * 32,
                state="authenticated",
                account_id=f"acc-{n}",
                issuer="https://idp.example",
                subject=SUBJECT,
                assurance=2,
                created_at=NOW,
                last_seen_at=NOW,
                expires_at=NOW + dt.timedelta(hours=1),
            ),
            "session",
        )
        uow.commit()


@pytest.fixture
def client(store: SqlStore) -> SqlStore:
    """A store holding one client with an item, a timeline event, a credential, a legacy file and a plugin record."""
    _add_client(store)
    return store


def test_item_references_titles_and_summaries_are_never_stored_in_clear(client: SqlStore) -> None:
    """An item's reference and title and an event's summary and actor label are sealed, yet read back whole."""
    stored = _clear_text(client)
    for secret in (REFERENCE, NAME, "Visitor visa", "passport received"):
        assert secret not in stored
    with client.unit_of_work(write=False) as uow:
        item = uow.items.get("item-1")
        assert (item.reference, item.title) == (REFERENCE, TITLE)
        assert uow.items.find_by_reference("trv", REFERENCE) == item
        (event,) = uow.timeline.for_item("item-1")
        assert (event.summary, event.actor_label) == (SUMMARY, f"your representative {NAME}")


def test_a_sealed_item_title_moved_to_another_item_does_not_decrypt(client: SqlStore) -> None:
    """The sealed details are bound to their item and account (SEC-73)."""
    from ircc_account.errors import DecryptionFailed

    with client.unit_of_work() as uow:
        uow.items.add(make_item(2, "acc-1"))
        uow.commit()
    with client.engine.begin() as c:
        sealed = c.execute(
            sa.select(t.items.c.details_ct).where(t.items.c.item_id == "item-1")
        ).scalar_one()
        c.execute(t.items.update().where(t.items.c.item_id == "item-2").values(details_ct=sealed))
    with client.unit_of_work(write=False) as uow, pytest.raises(DecryptionFailed):
        uow.items.get("item-2")


def test_erasure_leaves_no_index_link_or_clear_text(client: SqlStore) -> None:
    """After erasure no blind index, credential, login link in a session, legacy file or plugin record of the person remains."""
    with client.unit_of_work() as uow:
        uow.accounts.erase_personal_data("acc-1")
        uow.commit()
    with client.engine.connect() as c:
        account = c.execute(sa.select(t.accounts)).one()
        assert (account.uci_index, account.email_index) == (None, None)
        assert c.execute(sa.select(t.items.c.reference_index)).scalar_one() is None
        for table in (t.credentials, t.legacy_files, t.plugin_records, t.account_keys):
            assert c.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0
        # The live session stays (its next request is refused and recorded),
        # without what links it to the person's login.
        session = c.execute(sa.select(ti.identity_sessions)).one()
        assert (session.issuer, session.subject, session.provider_sid) == (None, None, None)
    stored = _clear_text(client)
    for secret in (REFERENCE, NAME, FILE_NUMBER, SUBJECT, "Visitor visa"):
        assert secret not in stored


def test_erasure_deletes_the_accounts_legacy_claim_counters(client: SqlStore) -> None:
    """Erasure deletes the claim-attempt counters tied to the account: its own and its UCI's; another UCI's stays (it expires on its own)."""
    ring = client.keyring
    uci = make_account(1).uci
    assert uci is not None
    mine = {ti.claim_attempt_key(ring, account_id="acc-1"), ti.claim_attempt_key(ring, uci=uci)}
    other = ti.claim_attempt_key(ring, uci="1999-0000")
    with client.unit_of_work() as uow:
        for key in (*mine, other):
            uow.execute(
                ti.identity_claim_attempts.insert().values(
                    key_hash=key, window_start=NOW, failures=1, locked_until=None
                ),
                "claim attempts",
            )
        uow.commit()
    with client.unit_of_work() as uow:
        uow.accounts.erase_personal_data("acc-1")
        uow.commit()
    with client.engine.connect() as c:
        left = set(c.execute(sa.select(ti.identity_claim_attempts.c.key_hash)).scalars())
    assert left == {other}


def test_erased_and_unknown_answer_the_same(client: SqlStore) -> None:
    """Lookups by UCI, email or item reference answer for an erased person exactly as for nobody."""
    account = make_account(1)
    assert account.uci is not None
    with client.unit_of_work() as uow:
        uow.accounts.erase_personal_data("acc-1")
        uow.commit()
    with client.unit_of_work(write=False) as uow:
        assert uow.accounts.find_by_uci(account.uci) is uow.accounts.find_by_uci("10009999")
        assert uow.accounts.find_by_email(account.contact.email) == []
        assert uow.accounts.find_by_email("nobody@example.ca") == []
        assert uow.items.find_by_reference("trv", REFERENCE) is None
        assert uow.items.find_by_reference("trv", "V0000000000") is None


def test_an_erased_person_can_register_again(client: SqlStore) -> None:
    """After erasure, a new account may take the same UCI, email, credential, legacy file and item reference."""
    with client.unit_of_work() as uow:
        uow.accounts.erase_personal_data("acc-1")
        uow.commit()
    again = attrs.evolve(make_account(1), account_id="acc-2")
    add_account(client, again)
    with client.unit_of_work() as uow:
        uow.items.add(make_item(3, "acc-2", reference=REFERENCE))
        uow.credentials.link(
            LinkedCredential(
                account_id="acc-2", issuer="https://idp.example", subject=SUBJECT, linked_at=NOW
            )
        )
        uow.legacy_files.link(
            LinkedLegacyFile(
                account_id="acc-2", system="gcms", file_number=FILE_NUMBER, linked_at=NOW
            )
        )
        uow.commit()
    assert again.uci is not None
    with client.unit_of_work(write=False) as uow:
        found = uow.accounts.find_by_uci(again.uci)
        assert found is not None and found.account_id == "acc-2"
        assert [a.account_id for a in uow.accounts.find_by_email(again.contact.email)] == ["acc-2"]
        by_reference = uow.items.find_by_reference("trv", REFERENCE)
        assert by_reference is not None and by_reference.account_id == "acc-2"


def test_rows_from_before_sealing_are_read_then_sealed_by_the_upgrade_job(client: SqlStore) -> None:
    """Items and events written in clear by an older release read back, and seal_plaintext_rows seals them and re-indexes emails."""
    with client.engine.begin() as c:
        # What 0001_foundation's code wrote: clear columns, no sealed ones.
        c.execute(
            t.items.update().values(
                reference=REFERENCE,
                title_en=TITLE.en,
                title_fr=TITLE.fr,
                details_ct=None,
                reference_index=None,
            )
        )
        c.execute(
            t.timeline_events.update().values(
                summary_en=SUMMARY.en, summary_fr=SUMMARY.fr, actor_label="IRCC", summary_ct=None
            )
        )
        c.execute(t.accounts.update().values(index_version=None, email_index=b"\x00" * 32))
    with client.unit_of_work(write=False) as uow:
        assert uow.items.get("item-1").title == TITLE
        assert uow.items.find_by_reference("trv", REFERENCE) is not None
        assert uow.timeline.for_item("item-1")[0].summary == SUMMARY
    assert client.plaintext_rows_left() == 3
    assert client.seal_plaintext_rows(batch_size=1) == 3
    assert client.plaintext_rows_left() == 0
    assert NAME not in _clear_text(client)
    with client.unit_of_work(write=False) as uow:
        assert uow.items.get("item-1").title == TITLE
        assert uow.timeline.for_item("item-1")[0].summary == SUMMARY
        assert [a.account_id for a in uow.accounts.find_by_email("marie.1@example.ca")] == ["acc-1"]


def test_item_reads_build_what_the_constructors_build(client: SqlStore) -> None:
    """The item and event read paths, which trust what the store sealed, give values equal to the validating constructors'."""
    with client.unit_of_work(write=False) as uow:
        item = uow.items.get("item-1")
        (event,) = uow.timeline.for_item("item-1")
    assert item == attrs.evolve(item) and event == attrs.evolve(event)
    assert item == make_item(1, "acc-1", item_id="item-1", reference=REFERENCE, title=TITLE)
    assert event.kind is TimelineKind.NOTE and event.occurred_at == NOW
    assert isinstance(event.occurred_at, dt.datetime) and event.occurred_at.tzinfo is dt.UTC


REP_NAME = "Jean Roy-Castonguay, RCIC"


def _add_representative(store: SqlStore) -> None:
    from ircc_account._model import Representative, RepresentativeKind
    from ircc_account.delegation import _repo

    add_account(store, make_account(7))
    with store.unit_of_work() as uow:
        _repo.add_representative(
            uow,
            Representative(
                representative_id="rep-7",
                kind=RepresentativeKind.FAMILY,
                display_name=REP_NAME,
                account_id="acc-7",
                created_at=NOW,
            ),
            False,
        )
        uow.commit()


def _representative_name(store: SqlStore) -> str:
    from ircc_account.delegation import _repo

    with store.unit_of_work(write=False) as uow:
        return _repo.get_representative(uow, "rep-7")[0].display_name


def test_a_representatives_name_is_sealed_with_their_own_accounts_key(store: SqlStore) -> None:
    """A representative's name is stored only sealed, reads back, and is gone once their own account is erased."""
    _add_representative(store)
    assert REP_NAME not in _clear_text(store)
    assert _representative_name(store) == REP_NAME
    with store.unit_of_work() as uow:
        uow.accounts.erase_personal_data("acc-7")
        uow.commit()
    assert _representative_name(store) == "rep-7"


def test_a_representatives_name_from_before_sealing_is_sealed_by_the_upgrade_job(
    store: SqlStore,
) -> None:
    """A name written in clear by an older release reads back, and seal_plaintext_rows seals it."""
    _add_representative(store)
    with store.engine.begin() as c:
        # What the code before 0019_rep_names wrote.
        c.execute(
            t.metadata.tables["representatives"]
            .update()
            .values(display_name=REP_NAME, display_name_ct=None)
        )
    assert _representative_name(store) == REP_NAME
    assert store.plaintext_rows_left() == 1
    assert store.seal_plaintext_rows() == 1
    assert store.plaintext_rows_left() == 0
    assert REP_NAME not in _clear_text(store)
    assert _representative_name(store) == REP_NAME


def test_records_of_many_clients_are_read_at_once_and_erased_ones_left_out(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """list_many gives each client's records (by key, opened with that client's key, filtered by prefix) across statements of a few clients each; an erased client and one with none are absent."""
    from ircc_account._storage import _sql_items

    monkeypatch.setattr(_sql_items, "_MANY", 2)  # three statements for five clients
    for n in range(1, 6):
        add_account(store, make_account(n))
    with store.unit_of_work() as uow:
        for n in (1, 2, 3, 5):
            for key in ("enq:b", "enq:a", "other"):
                value = f'{{"n":{n},"k":"{key}"}}'.encode()
                uow.plugin_records.put(f"acc-{n}", "svc", key, value, version=None, now=NOW)
        uow.plugin_records.put("acc-1", "elsewhere", "enq:z", b"{}", version=None, now=NOW)
        uow.commit()
    with store.unit_of_work() as uow:
        uow.accounts.erase_personal_data("acc-3")
        uow.commit()
    with store.unit_of_work(write=False) as uow:
        found = uow.plugin_records.list_many(
            ["acc-5", "acc-1", "acc-2", "acc-3", "acc-4", "acc-1"], "svc", prefix="enq:"
        )
        each = {c: [(r.key, r.version, r.created_at, data) for r, data in found[c]] for c in found}
        single = {
            c: [
                (r.key, r.version, r.created_at, data)
                for r, data in uow.plugin_records.list(c, "svc")
            ]
            for c in ("acc-1", "acc-2", "acc-5")
        }
    assert sorted(each) == ["acc-1", "acc-2", "acc-5"]
    for client_id, records in each.items():
        assert [k for k, *_ in records] == ["enq:a", "enq:b"]
        assert records == [r for r in single[client_id] if r[0].startswith("enq:")]
    assert each["acc-5"][0][3] == b'{"n":5,"k":"enq:a"}'
