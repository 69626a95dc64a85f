"""
The outbox and the delivery worker against a local GC Notify server: the
message row commits with its change or not at all, the template follows the
recipient's language, representatives hear of what their grant covers,
retries honour 429 and back off on 5xx, 400/403 dead-letter at once, and
two workers never send one row twice.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from ircc_account import Capacity
from ircc_account.audit import AuditEntry, Decision
from ircc_account.builtin import status
from ircc_account.builtin.notify import (
    DeliveryWorker,
    GcNotifySender,
    NotificationKind,
    OutboxState,
    RetryPolicy,
)
from ircc_account.errors import DepartmentOnly, NotFound
from tests.builtin.status.helpers import STAFF

from .conftest import PORTAL, Notified
from .notify_server import API_KEY


def _phase_entry(client_id: str, item_id: str) -> AuditEntry:
    return AuditEntry(
        occurred_at=dt.datetime.now(dt.UTC),
        actor_id="officer-1",
        client_id=client_id,
        capacity=Capacity.OFFICER,
        action="status.phase",
        item_id=item_id,
        service_id="status-tracker",
        decision=Decision.ALLOWED,
        reason="department",
    )


def test_phase_change_reaches_the_client_in_their_language(notified: Notified) -> None:
    """A phase change sends the French template to a French-speaking client, with name, label and link only."""
    client = notified.client("Gagnon", language="fr", given="Luc")
    item = notified.application(client)
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    assert notified.worker.drain() == 1
    (got,) = notified.to(client)
    assert got.template_id == "tpl-phase_changed-fr"
    assert got.personalisation == {
        "name": "Luc Gagnon",
        "label": "Visa de visiteur",
        "link": PORTAL,
    }
    (row,) = notified.rows()
    assert row.state is OutboxState.SENT and row.attempts == 1
    assert got.reference == f"{row.idempotency_key}.{client.account_id}"


def test_the_decision_phase_sends_a_decision(notified: Notified) -> None:
    """Moving an item into the decision phase is a decision notice, not a phase change."""
    client = notified.client()
    item = notified.application(client)
    notified.desk.change_phase(STAFF, item, status.Phase.DECISION)
    notified.worker.drain()
    assert [r.template_id for r in notified.to(client)] == ["tpl-decision-en"]


def test_the_row_commits_with_the_change_or_not_at_all(notified: Notified) -> None:
    """An outbox row written by the observer rolls back with its unit and commits with it."""
    client = notified.client()
    item = notified.application(client)
    with notified.door.store.unit_of_work() as uow:
        notified.door.audit.append(uow, _phase_entry(client.actor_id, item))
        uow.rollback()
    assert notified.rows() == []
    with notified.door.store.unit_of_work() as uow:
        notified.door.audit.append(uow, _phase_entry(client.actor_id, item))
        uow.commit()
    (row,) = notified.rows()
    assert (row.kind, row.client_id, row.item_id) == (
        NotificationKind.PHASE_CHANGED,
        client.actor_id,
        item,
    )


def test_an_observer_failure_rolls_the_change_back(notified: Notified) -> None:
    """If writing the outbox row fails, the audited change does not commit either (fail closed)."""
    client = notified.client()
    item = notified.application(client)

    def broken(uow: object, entry: object, receipt: object) -> None:
        raise RuntimeError("outbox unavailable")

    notified.door.audit.watch(broken)
    with pytest.raises(RuntimeError):
        notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    with notified.door.store.unit_of_work(write=False) as uow:
        assert uow.items.get(item).state.value == "submitted"
    assert notified.rows() == []


def test_refusals_and_reads_owe_nothing(notified: Notified) -> None:
    """A refused desk call (kept entry) and a client's reads write no outbox row."""
    client = notified.client()
    item = notified.application(client)
    notified.door.item(client, client.actor_id, item)
    bogus = status.Staff(actor=client, office="ndl", role=status.StaffRole.OFFICER)
    with pytest.raises(DepartmentOnly):
        notified.desk.change_phase(bogus, item, status.Phase.ELIGIBILITY)
    assert notified.rows() == []


def test_representatives_in_force_covering_the_item_hear_of_it(notified: Notified) -> None:
    """The client's representatives with a grant covering the item are told, one outside coverage is not."""
    client = notified.client()
    item = notified.application(client)
    other = notified.application(client)
    whole = notified.representative(client, language="fr")
    narrow = notified.representative(client, coverage="item", target=other)
    notified.worker.drain()
    before = len(notified.server.received)
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    notified.worker.drain()
    new = notified.server.received[before:]
    assert {r.email_address for r in new} == {notified.email(client), notified.email(whole)}
    assert [r.template_id for r in new if r.email_address == notified.email(whole)] == [
        "tpl-phase_changed-fr"
    ]
    assert not [r for r in new if r.email_address == notified.email(narrow)]


def test_429_is_retried_no_sooner_than_retry_after(notified: Notified) -> None:
    """A 429 leaves the row retrying until its Retry-After has passed, then it is sent."""
    client = notified.client()
    item = notified.application(client)
    notified.server.script((429, {"Retry-After": "600"}))
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    notified.worker.drain()
    (row,) = notified.rows()
    assert (row.state, row.last_error) == (OutboxState.RETRYING, "http_429")
    assert row.next_attempt_at >= notified.clock.now() + dt.timedelta(seconds=590)
    notified.clock.advance(dt.timedelta(seconds=300))
    assert notified.worker.drain() == 0
    notified.clock.advance(dt.timedelta(seconds=301))
    assert notified.worker.drain() == 1
    assert [r.template_id for r in notified.to(client)] == ["tpl-phase_changed-en"]
    (row,) = notified.rows()
    assert (row.state, row.attempts) == (OutboxState.SENT, 2)


def test_5xx_backs_off_exponentially_then_dead_letters(notified: Notified) -> None:
    """Server errors are retried with doubling delays; after the last attempt the row is dead-lettered, and requeued it is sent."""
    client = notified.client()
    item = notified.application(client)
    notified.server.script(*[(500, {})] * 3, (503, {}))
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    waits = []
    for _ in range(4):
        notified.worker.drain()
        (row,) = notified.rows()
        waits.append(row.next_attempt_at - notified.clock.now())
        notified.clock.advance(dt.timedelta(hours=2))
    (row,) = notified.rows()
    assert (row.state, row.attempts, row.last_error) == (OutboxState.DEAD_LETTERED, 4, "http_503")
    # 30 s, 60 s, 120 s (jitter fixed at 1 here).
    assert [round(w.total_seconds() / 30) for w in waits[:3]] == [1, 2, 4]
    assert notified.to(client) == []
    assert notified.service.outbox is not None
    assert [m.message_id for m in notified.service.outbox.dead_letters()] == [row.message_id]
    notified.service.outbox.requeue(row.message_id)
    notified.worker.drain()
    assert len(notified.to(client)) == 1
    with pytest.raises(NotFound):
        notified.service.outbox.requeue(row.message_id)


def test_400_dead_letters_at_once_with_its_code(notified: Notified) -> None:
    """A 400 is never retried: the row is dead-lettered after one attempt, keeping only the code."""
    client = notified.client()
    item = notified.application(client)
    notified.server.script((400, {}))
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    notified.worker.drain()
    notified.clock.advance(dt.timedelta(days=1))
    notified.worker.drain()
    (row,) = notified.rows()
    assert (row.state, row.attempts, row.last_error) == (OutboxState.DEAD_LETTERED, 1, "http_400")
    assert notified.server.requests == 1


def test_a_wrong_api_key_is_refused_by_notify_and_dead_letters(notified: Notified) -> None:
    """The server checks the JWT against the key: a wrong key's 403 dead-letters at once."""
    client = notified.client()
    item = notified.application(client)
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    wrong = API_KEY[:-4] + "0000"
    assert notified.service.templates is not None
    worker = DeliveryWorker(
        notified.door.store,
        GcNotifySender(wrong, base_url=notified.server.url),
        notified.service.templates,
        portal_url=PORTAL,
        clock=notified.clock,
        audit=notified.door.audit,
    )
    worker.drain()
    (row,) = notified.rows()
    assert (row.state, row.last_error) == (OutboxState.DEAD_LETTERED, "http_403")
    assert notified.server.refused_tokens == 1 and notified.server.received == []


def test_no_answer_is_retried(notified: Notified) -> None:
    """When GC Notify cannot be reached the row waits to be retried, code ``connection``."""
    client = notified.client()
    item = notified.application(client)
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    assert notified.service.templates is not None
    worker = DeliveryWorker(
        notified.door.store,
        GcNotifySender(API_KEY, base_url="http://127.0.0.1:9", timeout=2.0),
        notified.service.templates,
        portal_url=PORTAL,
        clock=notified.clock,
        audit=notified.door.audit,
        retry=RetryPolicy(max_attempts=3),
    )
    worker.drain()
    (row,) = notified.rows()
    assert (row.state, row.last_error) == (OutboxState.RETRYING, "connection")


def test_two_workers_never_send_a_row_twice(notified: Notified) -> None:
    """Workers draining the same outbox concurrently claim disjoint rows: each message is sent once."""
    client = notified.client()
    item = notified.application(client)
    for phase in [status.Phase.ELIGIBILITY, status.Phase.BIOMETRICS] * 10:
        notified.desk.change_phase(STAFF, item, phase)
    assert notified.service.templates is not None
    workers = [
        DeliveryWorker(
            notified.door.store,
            GcNotifySender(API_KEY, base_url=notified.server.url),
            notified.service.templates,
            portal_url=PORTAL,
            clock=notified.clock,
            audit=notified.door.audit,
            batch_size=3,
        )
        for _ in range(3)
    ]
    threads = [threading.Thread(target=w.drain) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    refs = notified.server.references()
    assert len(refs) == 20 == len(set(refs))
    assert {r.state for r in notified.rows()} == {OutboxState.SENT}


def test_the_worker_thread_delivers_after_a_wake(notified: Notified) -> None:
    """Started as a thread, the worker delivers what a commit wrote, and stops within its bound."""
    client = notified.client()
    item = notified.application(client)
    notified.worker.start(interval=30.0)
    try:
        notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
        notified.worker.wake()
        deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10)
        while not notified.to(client) and dt.datetime.now(dt.UTC) < deadline:
            threading.Event().wait(0.02)
    finally:
        assert notified.worker.stop(timeout=5.0)
    assert len(notified.to(client)) == 1


def _notices_logged(notified: Notified, account_id: str) -> list[tuple[str, str | None, str, str]]:
    """The notify.* entries in *account_id*'s log: (action, item, reason, correlation id)."""
    with notified.door.store.engine.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT action, item_id, reason, capacity, correlation_id FROM audit_entries"
                " WHERE client_id = :c AND action LIKE 'notify.%' ORDER BY seq"
            ),
            {"c": account_id},
        ).all()
        c.rollback()
    assert {r.capacity for r in rows} <= {"system"}
    return [(r.action, r.item_id, r.reason, r.correlation_id) for r in rows]


def test_each_use_of_contact_details_is_in_the_history(notified: Notified) -> None:
    """Sending reads the recipients' names and addresses: the client's history says so, and that a representative was told; the representative's own history says so too (SEC-66)."""
    client = notified.client()
    item = notified.application(client)
    rep = notified.representative(client)
    notified.worker.drain()
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    assert notified.worker.drain() == 1
    (row,) = [r for r in notified.rows() if r.kind is NotificationKind.PHASE_CHANGED]
    assert rep.account_id is not None
    to_client = f"{row.message_id}.{client.actor_id}"
    to_rep = f"{row.message_id}.{rep.account_id}"
    mine = [e for e in _notices_logged(notified, client.actor_id) if e[3] in (to_client, to_rep)]
    assert sorted(mine) == sorted(
        [
            ("notify.send", item, "phase_changed", to_client),
            ("notify.send_representative", item, "phase_changed", to_rep),
        ]
    )
    theirs = [e for e in _notices_logged(notified, rep.account_id) if e[3] == to_rep]
    assert theirs == [("notify.send", None, "phase_changed", to_rep)]
    lines = [line.text for line in notified.door.history(client, client.actor_id, limit=100)]
    assert any("used your name and email address to send you a notice about" in t for t in lines)
    assert any("sent one of your representatives a notice about" in t for t in lines)


def test_an_erased_client_s_details_are_neither_read_nor_recorded(notified: Notified) -> None:
    """A row for an erased client is skipped before any contact details are read: nothing is recorded as used."""
    client = notified.client()
    item = notified.application(client)
    notified.worker.drain()
    before = _notices_logged(notified, client.actor_id)
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    with notified.door.store.unit_of_work() as uow:
        uow.accounts.erase_personal_data(client.actor_id)
        uow.commit()
    notified.worker.drain()
    assert _notices_logged(notified, client.actor_id) == before


def test_a_message_gc_notify_took_is_not_sent_again(notified: Notified) -> None:
    """When GC Notify took a message but its answer was lost (504), the retry finds it by its reference and marks it sent instead of sending it again; the client's details are read once."""
    client = notified.client()
    item = notified.application(client)
    notified.worker.drain()
    notified.server.script((504, {}), accepted=True)
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    notified.worker.drain()
    (row,) = [r for r in notified.rows() if r.kind is NotificationKind.PHASE_CHANGED]
    assert (row.state, row.last_error) == (OutboxState.RETRYING, "http_504")
    assert len(notified.to(client)) == 1
    notified.clock.advance(dt.timedelta(hours=1))
    assert notified.worker.drain() == 1
    (row,) = [r for r in notified.rows() if r.kind is NotificationKind.PHASE_CHANGED]
    assert (row.state, row.attempts) == (OutboxState.SENT, 2)
    assert row.sent_to == (client.actor_id,)
    assert len(notified.to(client)) == 1
    assert notified.server.lookups == [(f"{row.idempotency_key}.{client.actor_id}", 1)]
    sends = [e for e in _notices_logged(notified, client.actor_id) if e[1] == item]
    assert len(sends) == 1


def test_each_recipient_is_looked_up_and_only_the_missing_one_sent(notified: Notified) -> None:
    """With a client and a representative, a retry after a lost answer sends to neither again: the client was marked sent, the representative's message is found by its reference."""
    client = notified.client()
    item = notified.application(client)
    rep = notified.representative(client, language="fr")
    notified.worker.drain()
    # The client (sent to first) gets theirs; the representative's is taken, its answer lost.
    notified.server.script((201, {}), (502, {}), accepted=True)
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    notified.worker.drain()
    (row,) = [r for r in notified.rows() if r.kind is NotificationKind.PHASE_CHANGED]
    assert (row.state, row.sent_to) == (OutboxState.RETRYING, (client.actor_id,))
    notified.clock.advance(dt.timedelta(hours=1))
    notified.worker.drain()
    phase = [r for r in notified.server.received if r.template_id.startswith("tpl-phase")]
    assert sorted(r.email_address for r in phase) == sorted(
        [notified.email(client), notified.email(rep)]
    )
    (row,) = [r for r in notified.rows() if r.kind is NotificationKind.PHASE_CHANGED]
    assert row.state is OutboxState.SENT


def test_a_failed_lookup_is_retried_and_sends_nothing_meanwhile(notified: Notified) -> None:
    """When GC Notify cannot answer the lookup (500), the row waits for a retry and nothing is sent; then it is sent once."""
    client = notified.client()
    item = notified.application(client)
    notified.worker.drain()
    notified.server.script((500, {}), (500, {}))  # the send, then the retry's lookup
    notified.desk.change_phase(STAFF, item, status.Phase.ELIGIBILITY)
    notified.worker.drain()
    notified.clock.advance(dt.timedelta(hours=1))
    notified.worker.drain()
    (row,) = [r for r in notified.rows() if r.kind is NotificationKind.PHASE_CHANGED]
    assert (row.state, row.attempts, row.last_error) == (OutboxState.RETRYING, 2, "http_500")
    assert notified.to(client) == []
    notified.clock.advance(dt.timedelta(hours=1))
    notified.worker.drain()
    assert len(notified.to(client)) == 1
    (row,) = [r for r in notified.rows() if r.kind is NotificationKind.PHASE_CHANGED]
    assert row.state is OutboxState.SENT
