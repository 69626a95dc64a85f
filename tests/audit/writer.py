"""
Writer children for the audit concurrency and kill -9 tests.

``python writer.py append URL N PREFIX``: append N entries with ``append_now``
across a few clients, printing each entry id on stdout only after its commit returned.

``python writer.py crash URL KILLS SEED``: import once, then KILLS times fork
two writer children (each with three threads, group commit and append_now),
SIGKILL both at a random moment 5-60 ms after both acknowledged their first
entry (every other round: their eleventh, so each has a checkpoint due or
under way when it dies), and collect the ids they acknowledged (written to a
pipe only after commit). Prints one JSON line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import select
import signal
import sys
import threading
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ircc_account._crypto import Keyring
from ircc_account._model import AuditEntry, Capacity, Decision
from ircc_account._storage import SqliteStore, create_engine, open_store
from ircc_account.audit import AuditLog, CheckpointSigner, GroupCommitAppender

#: A child makes a checkpoint after this many entries (see ``crash``).
CHECKPOINT_EVERY = 10
SIGNER = CheckpointSigner(
    {"crash": Ed25519PrivateKey.from_private_bytes(b"\x05" * 32)}, current="crash"
)


def _entry(client: str, n: int) -> AuditEntry:
    return AuditEntry(
        occurred_at=dt.datetime.now(dt.UTC), actor_id="rep-1", client_id=client,
        capacity=Capacity.REPRESENTATIVE, action="item.read", item_id=f"i-{n}",
        decision=Decision.ALLOWED, reason="grant",
    )  # fmt: skip


def _open(url: str) -> AuditLog:
    store = SqliteStore(create_engine(url), Keyring.generate()) if url.startswith("sqlite") else \
        open_store(url, keyring=Keyring.generate(), migrate=False)  # fmt: skip
    return AuditLog(store, signer=SIGNER, checkpoint_every=CHECKPOINT_EVERY)


def append(url: str, n: int, prefix: str) -> None:
    log = _open(url)
    for i in range(n):
        receipt = log.append_now(_entry(f"{prefix}-{i % 3}", i))
        sys.stdout.write(receipt.entry_id + "\n")
        sys.stdout.flush()


def _child(url: str, ack_fd: int, seed: int) -> None:
    log = _open(url)
    lock = threading.Lock()

    def ack(entry_id: str) -> None:
        with lock:
            os.write(ack_fd, (entry_id + "\n").encode())

    def via_group(appender: GroupCommitAppender, k: int) -> None:
        for i in range(10**9):
            ack(appender.submit(_entry(f"c-{(seed + i + k) % 5}", i)).entry_id)

    def via_now() -> None:
        for i in range(10**9):
            ack(log.append_now(_entry(f"c-{(seed + i) % 5}", i)).entry_id)

    appender = GroupCommitAppender(log)
    for target, args in ((via_group, (appender, 0)), (via_group, (appender, 1)), (via_now, ())):
        threading.Thread(target=target, args=args, daemon=True).start()
    time.sleep(60)


def crash(url: str, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    open_store(url, keyring=Keyring.generate()).close()
    acked: list[str] = []
    for k in range(kills):
        children = []
        for c in range(2):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                try:
                    _child(url, w, seed * 1000 + k * 2 + c)
                finally:
                    os._exit(0)
            os.close(w)
            children.append((pid, r))
        # The kill lands 5-60 ms after both children acknowledged their first
        # entry (on a loaded machine, starting up can take longer than that),
        # or, every other round, their checkpoint's worth and one more: a
        # checkpoint is then due or being written in each, so kills land on
        # checkpoints too, and some are written however slow the machine is.
        need = 1 if k % 2 == 0 else CHECKPOINT_EVERY + 1
        early = {r: b"" for _, r in children}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            waiting = [r for r, data in early.items() if data.count(b"\n") < need]
            if not waiting:
                break
            ready, _, _ = select.select(waiting, [], [], 1)
            for r in ready:
                early[r] += os.read(r, 65536)
        time.sleep(rng.uniform(0.005, 0.060))
        for pid, _ in children:
            os.kill(pid, signal.SIGKILL)
        for pid, r in children:
            os.waitpid(pid, 0)
            data = early[r]
            while chunk := os.read(r, 65536):
                data += chunk
            os.close(r)
            # Only whole lines count: an id is acknowledged once its newline is out.
            acked.extend(line for line in data.decode().split("\n")[:-1] if line)
    print(json.dumps({"acked": acked}))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "append":
        append(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        crash(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
