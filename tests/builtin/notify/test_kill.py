"""
The outbox survives SIGKILL: a child making changes and delivering them is
killed at random points, again and again; after a restart and a drain,
every committed change's message was delivered exactly once, none for a
rolled-back one: where a kill fell between a send and its mark, the row
claimed again found its message in GC Notify by its reference instead of
sending it twice (counted against the local GC Notify server's log).
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import pathlib
import random
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from ircc_account import ContactDetails, PersonalDetails
from ircc_account._storage import open_store
from ircc_account.audit import AuditLog
from ircc_account.builtin.notify import DeliveryWorker, GcNotifySender, OutboxState
from ircc_account.identity import ClientAccount

from .kill_child import API_KEY, CLIENT, KEYRING, TEMPLATES
from .notify_server import NotifyServer

CHILD = pathlib.Path(__file__).with_name("kill_child.py")
ROOT = pathlib.Path(__file__).resolve().parents[3]


class _Later:
    """The system clock an hour ahead: every lease a killed child held has ended."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)


def _kill_runs(url: str, server: NotifyServer, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    for run in range(kills):
        child = subprocess.Popen(
            [sys.executable, str(CHILD), url, server.url, str(run), str(rng.randrange(2**31))],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        child.stdout.close()


def _check(url: str, server: NotifyServer, kills: int) -> dict[str, int]:
    store = open_store(url, keyring=KEYRING, migrate=False)
    try:
        worker = DeliveryWorker(
            store,
            GcNotifySender(API_KEY, base_url=server.url),
            TEMPLATES,
            portal_url="https://account.example.test/",
            clock=_Later(),
            audit=AuditLog(store, clock=_Later()),
        )
        worker.drain()
        with store.engine.connect() as c:
            committed = set(
                c.execute(
                    sa.text("SELECT record_key FROM plugin_records WHERE service_id = 'kill'")
                ).scalars()
            )
            rows = {
                r.item_id.removeprefix("item-"): r
                for r in c.execute(
                    sa.text("SELECT item_id, idempotency_key, state, attempts FROM notify_outbox")
                )
            }
    finally:
        store.close()
    # SEC-85: a change and its outbox row committed together or not at all.
    assert set(rows) == committed
    assert not [c for c in committed if c.startswith("rb-")]
    assert {r.state for r in rows.values()} <= {OutboxState.SENT.value}
    sent = collections.Counter(ref.split(".")[0] for ref in server.references())
    keys = {r.idempotency_key for r in rows.values()}
    # Every committed change's message arrived; nothing arrived for anything else.
    assert keys == set(sent)
    duplicates = sum(n - 1 for n in sent.values())
    # A kill between a send and its mark: the row claimed again finds its
    # message by reference and marks it sent; nothing is sent twice.
    assert duplicates == 0
    attempts = {r.idempotency_key: r.attempts for r in rows.values()}
    recognised = [ref for ref, hits in server.lookups if ref is not None and hits > 0]
    # Each message found so was claimed again (after a lease ran out or a failure).
    assert all(attempts[ref.split(".")[0]] >= 2 for ref in recognised)
    return {
        "changes": len(committed),
        "messages": len(server.references()),
        "duplicates": duplicates,
        "reclaimed": sum(1 for n in attempts.values() if n >= 2),
        "found_by_reference": len(recognised),
    }


def _setup(url: str) -> None:
    store = open_store(url, keyring=KEYRING)
    with store.unit_of_work() as uow:
        uow.accounts.add(
            ClientAccount(
                account_id=CLIENT,
                personal=PersonalDetails(family_name="Kill", date_of_birth="1990-01-01"),
                contact=ContactDetails(email="kill@example.test"),
                created_at=dt.datetime.now(dt.UTC),
            )
        )
        uow.commit()
    store.close()


@pytest.mark.slow
def test_sigkill_loses_no_message_and_sends_none_for_a_rollback(
    database_url: str, server: NotifyServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """After repeated SIGKILLs of a child making changes and delivering them, a drain delivers every committed change's message exactly once and none for a rolled-back one."""
    kills = 20 if database_url.startswith("sqlite") else 10
    _setup(database_url)
    _kill_runs(database_url, server, kills, seed=20261130)
    figures = _check(database_url, server, kills)
    assert figures["changes"] >= kills
    with capsys.disabled():
        print(f"\nkill test ({database_url.split(':')[0]}, {kills} kills): {figures}")
