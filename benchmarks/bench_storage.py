"""
Storage: account create + read round trip on SQLite and PostgreSQL, beside a raw indexed SELECT.

The round trip is one unit of work that adds an account (data key generated and
wrapped, personal data sealed, blind indexes computed, durable commit) and one
that reads it back by id (key unwrapped, fields decrypted). The floor is a raw
primary-key SELECT of one row through the same driver, with no library code.
"""

from __future__ import annotations

import datetime as dt
import itertools
import pathlib
import sys
import tempfile

import sqlalchemy as sa
from _harness import Report, measure, ratio

from ircc_account import ContactDetails, Keyring, PersonalDetails
from ircc_account.identity import ClientAccount
from ircc_account.storage import open_store
from ircc_account.testing._postgres import PostgresServer

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _account(n: int) -> ClientAccount:
    return ClientAccount(
        account_id=f"acc-{n}",
        personal=PersonalDetails(
            family_name="Tremblay", given_names="Marie", date_of_birth="1990-04-02"
        ),
        contact=ContactDetails(email=f"marie{n}@example.ca", phone="+1 613 555 0100"),
        preferred_language="fr",
        uci=f"{10_000_000 + n}",
        created_at=NOW,
    )


def _bench(report: Report, label: str, url: str, n: int) -> None:
    store = open_store(url, keyring=Keyring.generate())
    counter = itertools.count(1)

    def create() -> None:
        k = next(counter)
        with store.unit_of_work() as uow:
            uow.accounts.add(_account(k))
            uow.commit()

    def read() -> None:
        with store.unit_of_work(write=False) as uow:
            uow.accounts.get("acc-1")

    create_m = report.add(
        measure(f"{label}: create account (durable commit)", create, n=n, warmup=20)
    )
    read_m = report.add(measure(f"{label}: read account by id", read, n=n * 5, warmup=50))

    # The floor: the same driver, a raw indexed SELECT of one row, no library code.
    raw = sa.create_engine(url)
    with raw.connect() as conn:
        stmt = sa.text("SELECT * FROM accounts WHERE account_id = :id")
        floor = report.add(
            measure(
                f"{label}: floor, raw indexed SELECT",
                lambda: conn.execute(stmt, {"id": "acc-1"}).first(),
                n=n * 5,
                warmup=50,
            )
        )
    raw.dispose()
    read_m.note = f"{ratio(read_m, floor):.1f}× floor (p50)"
    create_m.note = "one fsync per commit"
    store.close()


def run(report: Report) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _bench(report, "SQLite", f"sqlite:///{pathlib.Path(tmp) / 'bench.db'}", n=300)
    if PostgresServer.find_binaries() is None:
        print("PostgreSQL benchmark SKIPPED: no PostgreSQL binaries found", file=sys.stderr)
        return
    with PostgresServer() as server:
        _bench(report, "PostgreSQL", server.url(), n=300)
