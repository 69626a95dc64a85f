"""
Crash harness: fork writer children, SIGKILL them at random moments, report what was acknowledged.

Run as ``python crash_harness.py URL KILLS SEED``; prints one JSON line. The
harness runs in its own clean process (no threads), imports everything once,
then forks each writer, so a kill lands within milliseconds of start-up. A
child acknowledges unit *n* on its pipe only after ``commit()`` returned.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import sys
import time

from ircc_account._crypto import KeyEncryptionKey, Keyring
from ircc_account._model import (
    BilingualText,
    ClientAccount,
    ContactDetails,
    ItemKind,
    ItemState,
    PersonalDetails,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)
from ircc_account._storage import open_store

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
KEYRING = Keyring(
    [KeyEncryptionKey(key_id="crash", secret=b"\x01" * 32)], primary="crash", index_key=b"\x02" * 32
)


def unit(store, n: int) -> None:  # type: ignore[no-untyped-def]
    """One unit of work: an account, an item and a timeline event, all or nothing."""
    with store.unit_of_work() as uow:
        uow.accounts.add(
            ClientAccount(
                account_id=f"acc-{n}",
                personal=PersonalDetails(family_name=f"Name{n}", date_of_birth="1990-01-01"),
                contact=ContactDetails(email=f"c{n}@example.ca"),
                created_at=NOW,
            )
        )
        uow.items.add(
            ServiceItem(
                item_id=f"item-{n}",
                account_id=f"acc-{n}",
                service_id="trv",
                kind=ItemKind.APPLICATION,
                reference=f"V{n}",
                state=ItemState.SUBMITTED,
                title=BilingualText("Visa", "Visa"),
                document_number=f"P{n}",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        uow.timeline.append(
            TimelineEvent(
                event_id=f"ev-{n}",
                item_id=f"item-{n}",
                kind=TimelineKind.SUBMITTED,
                occurred_at=NOW,
                summary=BilingualText("Submitted", "Soumise"),
            )
        )
        uow.commit()


def writer(url: str, start: int, ack_fd: int) -> None:
    store = open_store(url, keyring=KEYRING, migrate=False)
    n = start
    while True:
        unit(store, n)
        os.write(ack_fd, f"{n}\n".encode())
        n += 1


def main() -> None:
    url, kills, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    open_store(url, keyring=KEYRING).close()
    acked: set[int] = set()
    next_n = 1
    for _ in range(kills):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            os.close(r)
            try:
                writer(url, next_n, w)
            finally:
                os._exit(1)
        os.close(w)
        time.sleep(rng.uniform(0.005, 0.12))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        data = b""
        while chunk := os.read(r, 65536):
            data += chunk
        os.close(r)
        numbers = [int(x) for x in data.decode().split()]
        acked.update(numbers)
        # The next child starts past anything this one may have been writing.
        next_n = (max(numbers) if numbers else next_n) + 2
    print(json.dumps({"acked": sorted(acked), "next": next_n}))


if __name__ == "__main__":
    main()
