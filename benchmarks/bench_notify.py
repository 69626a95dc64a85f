"""
Notifications: outbox delivery to a local GC Notify server, beside the raw HTTP round trip.

The server is the testing kit's GC Notify stand-in (``ircc_account.testing.NotifyServer``:
``http.server`` in a thread on 127.0.0.1, checking each request's JWT), in
this process. Both sides use the same ``notifications-python-client``
(through ``GcNotifySender``) and the same server.

What is measured, on SQLite and on PostgreSQL:

- **outbox, one row (batch 1)**: ``DeliveryWorker.run_once()`` with
  ``batch_size=1`` on a pre-filled outbox: the claim (a write unit), the
  recipient resolved and decrypted (a read unit), the send, the recipient
  marked sent and the row settled (one write unit; a row with several
  recipients commits after each but the last); **raw send**: the
  same email sent with ``GcNotifySender.send_email``, no database at all.
  Interleaved in blocks, so a change of load weighs on both alike.
- **outbox drain (batch 20)**: ``DeliveryWorker.drain()`` over a pre-filled
  outbox with the default batch of 20, as messages per second; beside it,
  the same number of raw sends in a row.

The outbox's price is its commits: on SQLite each is durable
(``synchronous=FULL``), on PostgreSQL ``synchronous_commit=on``.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import sys
import tempfile
import time

from _harness import Measurement, Report, measure_interleaved

from ircc_account import Capacity, ContactDetails, Keyring, PersonalDetails
from ircc_account.audit import AuditEntry, AuditLog, Decision
from ircc_account.builtin.notify import (
    DeliveryWorker,
    EmailMessage,
    GcNotifySender,
    NotificationKind,
    NotifyTemplates,
    Outbox,
)
from ircc_account.identity import ClientAccount
from ircc_account.storage import open_store
from ircc_account.testing import NotifyServer
from ircc_account.testing._postgres import PostgresServer

TEMPLATES = NotifyTemplates.from_mapping(
    {k.value: {"en": f"tpl-{k.value}-en", "fr": f"tpl-{k.value}-fr"} for k in NotificationKind}
)
CLIENT = "client-bench"


def _fill(store, audit: AuditLog, count: int, start: int) -> None:  # type: ignore[no-untyped-def]
    """*count* changes that owe a notice, 50 to a unit (not measured)."""
    done = 0
    while done < count:
        with store.unit_of_work() as uow:
            for k in range(min(50, count - done)):
                audit.append(
                    uow,
                    AuditEntry(
                        occurred_at=dt.datetime.now(dt.UTC),
                        actor_id="officer-1",
                        client_id=CLIENT,
                        capacity=Capacity.OFFICER,
                        action="status.phase",
                        item_id=f"item-{start + done + k}",
                        service_id="status-tracker",
                        decision=Decision.ALLOWED,
                        reason="department",
                    ),
                )
            uow.commit()
        done += min(50, count - done)


def _bench(report: Report, label: str, url: str, *, n: int, drained: int) -> None:
    server = NotifyServer().start()
    store = open_store(url, keyring=Keyring.generate())
    sender = GcNotifySender(server.api_key, base_url=server.url)
    try:
        with store.unit_of_work() as uow:
            uow.accounts.add(
                ClientAccount(
                    account_id=CLIENT,
                    personal=PersonalDetails(
                        family_name="Tremblay", given_names="Marie", date_of_birth="1988-02-11"
                    ),
                    contact=ContactDetails(email="marie@example.test"),
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
            uow.commit()
        audit = AuditLog(store)
        Outbox(store).attach(audit)
        portal = "https://account.example.test/"
        one = DeliveryWorker(store, sender, TEMPLATES, portal_url=portal, batch_size=1, audit=audit)
        warmup = 50
        _fill(store, audit, n + warmup, 0)
        message = EmailMessage(
            email_address="marie@example.test",
            template_id="tpl-phase_changed-en",
            personalisation={"name": "Marie Tremblay", "label": "", "link": portal},
            reference="ntf-raw",
        )
        ours, raw = measure_interleaved(
            [
                (f"{label}: outbox, one row (batch 1)", one.run_once),
                (
                    f"{label}: raw send (same client, same server)",
                    lambda: sender.send_email(message),
                ),
            ],
            n=n,
            warmup=warmup,
        )
        ours.note = f"{raw.p50_us and ours.p50_us / raw.p50_us:.2f}x the raw send's p50"
        report.add(ours)
        report.add(raw)

        many = DeliveryWorker(store, sender, TEMPLATES, portal_url=portal, audit=audit)
        _fill(store, audit, drained, n + warmup)
        t0 = time.perf_counter()
        assert many.drain() == drained
        drain_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(drained):
            sender.send_email(message)
        raw_s = time.perf_counter() - t0
        report.add(
            Measurement(
                name=f"{label}: outbox drain (batch 20)",
                ops_per_s=drained / drain_s,
                p50_us=drain_s / drained * 1e6,
                p99_us=float("nan"),
                n=drained,
                note=f"{drain_s / raw_s:.1f}x the raw sends' time per message (mean µs/message)",
            )
        )
        report.add(
            Measurement(
                name=f"{label}: raw sends in a row",
                ops_per_s=drained / raw_s,
                p50_us=raw_s / drained * 1e6,
                p99_us=float("nan"),
                n=drained,
                note="mean µs/message",
            )
        )
        # Every outbox row and every raw send reached the server, once.
        assert len(server.received) == 2 * (n + warmup) + 2 * drained
    finally:
        sender.close()
        store.close()
        server.stop()


def run(report: Report) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _bench(report, "SQLite", f"sqlite:///{pathlib.Path(tmp) / 'bench.db'}", n=500, drained=1000)
    if PostgresServer.find_binaries() is None:
        print("PostgreSQL benchmark SKIPPED: no PostgreSQL binaries found", file=sys.stderr)
        return
    with PostgresServer() as server:
        _bench(report, "PostgreSQL", server.url(), n=500, drained=1000)
