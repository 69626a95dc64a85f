"""
The kill test's child: makes changes (a plugin record and its audit entry,
which owes a notification) and delivers the outbox, until it is killed.

Run as ``python kill_child.py DATABASE_URL NOTIFY_URL RUN SEED``. It prints
``ready`` once set up; from then on a SIGKILL can land anywhere: inside a
change's unit, between a send and its mark, in a claim. About one change in
four is rolled back on purpose (its id starts with ``rb``).
"""

from __future__ import annotations

import datetime as dt
import random
import sys

from ircc_account._crypto import KeyEncryptionKey, Keyring
from ircc_account._model import AuditEntry, Capacity, Decision
from ircc_account._storage import open_store
from ircc_account.audit import AuditLog
from ircc_account.builtin.notify import (
    DeliveryWorker,
    GcNotifySender,
    NotificationKind,
    NotifyTemplates,
    Outbox,
)

KEYRING = Keyring(
    [KeyEncryptionKey(key_id="kill", secret=b"\x03" * 32)], primary="kill", index_key=b"\x04" * 32
)
CLIENT = "client-kill"
API_KEY = "ircc_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
TEMPLATES = NotifyTemplates.from_mapping(
    {k.value: {"en": f"tpl-{k.value}-en", "fr": f"tpl-{k.value}-fr"} for k in NotificationKind}
)


class _RolledBack(Exception):
    pass


def change(store, audit: AuditLog, change_id: str, *, keep: bool) -> None:  # type: ignore[no-untyped-def]
    """One change: a record and its audited entry (which writes the outbox row), all or nothing."""
    try:
        with store.unit_of_work() as uow:
            now = dt.datetime.now(dt.UTC)
            uow.plugin_records.put(CLIENT, "kill", change_id, b"{}", version=None, now=now)
            audit.append(
                uow,
                AuditEntry(
                    occurred_at=now,
                    actor_id="officer-1",
                    client_id=CLIENT,
                    capacity=Capacity.OFFICER,
                    action="status.phase",
                    item_id=f"item-{change_id}",
                    service_id="status-tracker",
                    decision=Decision.ALLOWED,
                    reason="department",
                ),
            )
            if not keep:
                raise _RolledBack()
            uow.commit()
    except _RolledBack:
        pass


def main() -> None:
    url, notify_url, run, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    rng = random.Random(seed)
    store = open_store(url, keyring=KEYRING, migrate=False)
    audit = AuditLog(store)
    Outbox(store).attach(audit)
    worker = DeliveryWorker(
        store,
        GcNotifySender(API_KEY, base_url=notify_url, timeout=5.0),
        TEMPLATES,
        portal_url="https://account.example.test/",
        lease=dt.timedelta(seconds=2),
        audit=audit,
        batch_size=rng.choice([1, 3, 10]),
    )
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        keep = rng.random() > 0.25
        change(store, audit, f"{'ok' if keep else 'rb'}-{run}-{n}", keep=keep)
        if rng.random() < 0.5:
            worker.run_once()


if __name__ == "__main__":
    main()
