"""
Enquiries: an office's list of 1,000 open enquiries, beside the raw query of the same sealed rows.

An MP's office (one staff member, in the access group its clients
authorized) has filed one enquiry for each of 1,000 clients (and, in the
second shape, ten for each of 100 clients), through ``Enquiries.file``
against a tracked application of each client's, so every row, key and
grant is real.

What is measured, interleaved so a change of load on the shared machine
weighs on both alike:

- **office list**: ``Enquiries.office_list(staff)``: the clients the staff
  member reaches (the policy's ``clients_reached``, its cached decisions
  checked in one statement), the sealed enquiry records of all of them (one
  statement per 500 clients; each row opened with its own client's
  unwrapped key, decrypted, decoded), the policy's decision on each
  enquiry's item, the late flag, and one ``enquiry.list`` audit entry per
  client shown, committed before the list is returned;
- **raw query**: ``SELECT *`` of the same plugin records joined to their
  accounts' keys, for the service, on the DBAPI cursor of the same engine
  (no decryption, no decision, no audit entry): the floor.
"""

from __future__ import annotations

import pathlib
import sys
import tempfile
import time
from typing import Any

from _harness import Measurement, Report, measure_interleaved

from ircc_account import Actor, Capacity, FrontDoor, FrontDoorConfig, Keyring
from ircc_account.builtin import enquiries, status
from ircc_account.builtin.applications import FolderDocumentStore
from ircc_account.services import BilingualText
from ircc_account.testing import LicencesInGoodStanding, People
from ircc_account.testing._postgres import PostgresServer

ORG = "office-bench"
STAFF = status.Staff(
    actor=Actor(actor_id="officer-bench", capacity=Capacity.OFFICER),
    office="ndl",
    role=status.StaffRole.OFFICER,
)
_RAW = (
    "SELECT * FROM plugin_records JOIN account_keys "
    "ON plugin_records.account_id = account_keys.account_id "
    "WHERE plugin_records.service_id = {m} AND plugin_records.record_key LIKE {m}"
)


def _seed(door: FrontDoor, filing: enquiries.Enquiries, clients: int, each: int) -> Actor:
    """The office, its *clients* (each authorizing it), and *each* enquiries per client."""
    people = People(door)
    tracker = status.StatusDesk(door)
    first = people.client()
    office = people.office_staff(for_client=first, organisation_id=ORG)
    visa = BilingualText("Visitor visa", "Visa de visiteur")
    for n in range(clients):
        client = first if n == 0 else people.client()
        if n:
            door.grants.give(
                client, grantee_id=ORG, grantee_is_organisation=True, access_group="east",
                scopes=["view_status", "enquire"], coverage="account",
            )  # fmt: skip
        item = tracker.open(
            STAFF, client.actor_id, program="visitor-visa", reference=f"V{n:09d}", title=visa
        )
        for _ in range(each):
            filing.file(
                office, client.actor_id, item.item_id,
                enquiries.EnquiryRequest(question="Where does this application stand?"),
            )  # fmt: skip
    return office


def _bench(
    report: Report, label: str, url: str, tmp: pathlib.Path, clients: int, each: int, n: int
) -> list[Measurement]:
    config = FrontDoorConfig(
        database_url=url, keyring=Keyring.generate(), licence_verifier=LicencesInGoodStanding()
    )
    plugins = {status.SERVICE_ID: status.plugin, enquiries.SERVICE_ID: enquiries.plugin}
    with FrontDoor.open(config, plugins=plugins) as door:
        filing = enquiries.Enquiries(door, documents=FolderDocumentStore(tmp / "docs"))
        started = time.monotonic()
        office = _seed(door, filing, clients, each)
        print(
            f"{label}: {clients:,} clients x {each} enquiries built in "
            f"{time.monotonic() - started:.0f} s",
            file=sys.stderr,
        )
        engine = door.store.engine
        sql = _RAW.format(m="?" if engine.dialect.name == "sqlite" else "%s")
        assert len(filing.office_list(office)) == clients * each

        def raw() -> list[Any]:
            with engine.connect().execution_options(ircc_write=False) as conn:
                conn.begin()
                cursor = conn.connection.driver_connection.cursor()
                try:
                    cursor.execute(sql, (enquiries.SERVICE_ID, "enq:%"))
                    rows = list(cursor.fetchall())
                finally:
                    cursor.close()
                conn.rollback()
            return rows

        assert len(raw()) == clients * each
        ours, floor = measure_interleaved(
            [
                (f"{label}: office list ({clients * each:,} open, {clients:,} clients)",
                 lambda: filing.office_list(office)),
                (f"{label}: raw query (the same sealed rows and keys)", raw),
            ],
            n=n,
            warmup=2,
            block=1,
        )  # fmt: skip
        ours.note = (
            f"p50 {ours.p50_us / floor.p50_us:.1f}× raw; p99 {ours.p99_us / floor.p99_us:.1f}×"
        )
        return [report.add(ours), report.add(floor)]


def run(report: Report) -> None:
    shapes = ((1_000, 1, 15), (100, 10, 30))
    for clients, each, n in shapes:
        with tempfile.TemporaryDirectory() as tmp:
            _bench(
                report, f"SQLite {clients}x{each}", f"sqlite:///{pathlib.Path(tmp) / 'b.db'}",
                pathlib.Path(tmp), clients, each, n,
            )  # fmt: skip
    if PostgresServer.find_binaries() is None:
        print("PostgreSQL benchmark SKIPPED: no PostgreSQL binaries found", file=sys.stderr)
        return
    for clients, each, n in shapes:
        with tempfile.TemporaryDirectory() as tmp, PostgresServer() as server:
            _bench(
                report, f"PostgreSQL {clients}x{each}", server.url(), pathlib.Path(tmp),
                clients, each, n,
            )  # fmt: skip
