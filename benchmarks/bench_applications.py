"""
Application engine: a whole visitor visa draft and 5 MB uploads, beside raw writes.

On SQLite (a file, durable commits), through the desk a portal calls: saving
a draft with every answer of a complete visitor visa application (a family
of three, employment and travel history), resuming it (read, decrypt, type
and evaluate), and validating the whole application (the questions shown,
every rule, the hints, the checklist, the fees). Beside them, in the same
run and interleaved: the **raw encrypted write and read of the same bytes**
(the draft's record, through the storage layer's plugin records: sealed
with the client's data key, one durable commit; no authorization, no audit,
no parsing or evaluation).

Uploads: a 5 MB PDF judged (content sniffed, structure checked), sealed with
AES-256-GCM and kept by each document store adapter, the folder (written,
fsynced, renamed) and S3 (moto's standalone server on 127.0.0.1), beside a
plain file write of the same 5 MB (with and without fsync) and, for S3, a
bare ``put_object`` of the same bytes.

    python benchmarks/run.py applications
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any

from _harness import Measurement, Report, measure_interleaved, ratio

from ircc_account import (
    Actor,
    AssuranceLevel,
    Capacity,
    ContactDetails,
    FrontDoor,
    FrontDoorConfig,
    Keyring,
    PersonalDetails,
)
from ircc_account.builtin.applications import (
    ApplicationDesk,
    FolderDocumentStore,
    S3DocumentStore,
    SealedDocuments,
    UploadLimits,
    inspect_upload,
)
from ircc_account.builtin.applications._drafts import record_key
from ircc_account.builtin.trv import TrvService
from ircc_account.delegation import LicenceStatus
from ircc_account.identity import ClientAccount

NOW = dt.datetime.now(dt.UTC)
CLIENT = "acct-bench"
MB5 = 5 * 1024 * 1024


class _Verifier:
    def verify(self, licence: Any) -> LicenceStatus:
        return LicenceStatus(valid=True, expires_on=licence.expires_on, checked_at=NOW)


def _day(days: int) -> str:
    return (NOW.date() + dt.timedelta(days=days)).isoformat()


def answers() -> dict[str, Any]:
    """A complete visitor visa application, every step answered, a family of three."""
    return {
        "family_name": "Tremblay",
        "given_names": "Marie",
        "other_names_used": "no",
        "sex": "female",
        "date_of_birth": "1985-07-14",
        "birth_city": "Dakar",
        "birth_country": "SN",
        "citizenship": "SN",
        "residence_country": "SN",
        "residence_status": "citizen",
        "marital_status": "married",
        "spouse_name": "Amadou Diallo",
        "relationship_since": "2012-05-19",
        "native_language": "Wolof",
        "official_languages": "french",
        "previous_biometrics": "no",
        "passport_number": "A1234567",
        "passport_country": "SN",
        "passport_issued": _day(-2 * 365),
        "passport_expires": _day(8 * 365),
        "has_national_id": "no",
        "mailing_address": "12 rue Carnot\nDakar",
        "residential_same": "yes",
        "phone": "+221 33 123 4567",
        "email": "marie@example.sn",
        "purpose": "family_visit",
        "purpose_details": "Visiting my sister and her children in Montréal for the summer.",
        "arrival_date": _day(60),
        "departure_date": _day(90),
        "invited": "no",
        "funds": "9500",
        "payer": "myself",
        "family_applying": [
            {
                "given_names": "Amadou",
                "family_name": "Diallo",
                "relationship": "spouse",
                "date_of_birth": "1983-02-01",
                "biometrics_given": "no",
            },
            {
                "given_names": "Awa",
                "family_name": "Diallo",
                "relationship": "child",
                "date_of_birth": "2015-09-10",
                "biometrics_given": "no",
            },
        ],
        "post_secondary": "no",
        "occupation": "employed",
        "tb_contact": "no",
        "medical_condition": "no",
        "overstayed": "no",
        "refused": "no",
        "previously_applied": "no",
        "criminal": "no",
        "military": "no",
        "violence_group": "no",
        "ill_treatment": "no",
    }


def pdf(padding: int) -> bytes:
    """A real, minimal one-page PDF padded with a comment to *padding* bytes."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    body = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{n} 0 obj\n".encode() + obj + b"\nendobj\n"
    body += b"%" + b"x" * padding + b"\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        body += f"{offset:010d} 00000 n \n".encode()
    body += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(body)


def _drafts(report: Report, folder: pathlib.Path) -> None:
    trv = TrvService()
    config = FrontDoorConfig(
        database_url=f"sqlite:///{folder}/bench.db",
        keyring=Keyring.generate(),
        licence_verifier=_Verifier(),
        plugin_settings={"trv": {"documents": FolderDocumentStore(folder / "documents")}},
    )
    with FrontDoor.open(config, plugins={"trv": trv}) as door:
        with door.store.unit_of_work() as uow:
            uow.accounts.add(
                ClientAccount(
                    account_id=CLIENT,
                    personal=PersonalDetails(
                        family_name="Tremblay", given_names="Marie", date_of_birth="1985-07-14"
                    ),
                    contact=ContactDetails(email="marie@example.ca"),
                    created_at=NOW,
                )
            )
            uow.commit()
        me = Actor(
            actor_id=CLIENT,
            capacity=Capacity.CLIENT,
            account_id=CLIENT,
            assurance=AssuranceLevel.MODERATE,
            auth_time=NOW,
        )
        desk = ApplicationDesk(door, trv)
        full = answers()
        view = desk.start(me, CLIENT)
        draft_id = view.draft.draft_id
        view = desk.save(me, CLIENT, draft_id, full, version=view.draft.version)
        assert not view.evaluation.missing, view.evaluation.missing
        assert not view.evaluation.problems, view.evaluation.problems
        state = {"draft": view.draft.version, "raw": 0}

        # The same bytes the draft's record holds, for the raw floor.
        with door.store.unit_of_work(write=False) as uow:
            found = uow.plugin_records.get(CLIENT, "trv", record_key(draft_id))
        assert found is not None
        data = found[1]
        with door.store.unit_of_work() as uow:
            state["raw"] = uow.plugin_records.put(
                CLIENT, "trv", "bench.raw", data, version=None, now=NOW
            )
            uow.commit()

        def save() -> None:
            state["draft"] = desk.save(
                me, CLIENT, draft_id, full, version=state["draft"]
            ).draft.version

        def resume() -> None:
            desk.open(me, CLIENT, draft_id)

        draft = desk.open(me, CLIENT, draft_id).draft
        today = NOW.date()

        def validate() -> None:
            trv.evaluate(draft, today)

        def raw_write() -> None:
            with door.store.unit_of_work() as uow:
                state["raw"] = uow.plugin_records.put(
                    CLIENT, "trv", "bench.raw", data, version=state["raw"], now=NOW
                )
                uow.commit()

        def raw_read() -> None:
            with door.store.unit_of_work(write=False) as uow:
                uow.plugin_records.get(CLIENT, "trv", "bench.raw")

        rows = measure_interleaved(
            [
                ("save the whole draft (desk)", save),
                ("raw encrypted write, same bytes (floor)", raw_write),
                ("resume the draft (desk: read, type, evaluate)", resume),
                ("raw encrypted read, same bytes (floor)", raw_read),
                ("validate the whole application", validate),
            ],
            n=300,
            warmup=20,
        )
        by = {m.name: m for m in rows}
        w = by["raw encrypted write, same bytes (floor)"]
        r = by["raw encrypted read, same bytes (floor)"]
        save_m = by["save the whole draft (desk)"]
        resume_m = by["resume the draft (desk: read, type, evaluate)"]
        validate_m = by["validate the whole application"]
        notes = {
            save_m.name: f"{ratio(save_m, w):.1f}x raw write; {len(data):,} bytes",
            # Resuming records the access durably (SEC-66): one commit, so
            # the read and the write together are the fairer floor.
            resume_m.name: f"{ratio(resume_m, r):.1f}x raw read, "
            f"{resume_m.p50_us / (r.p50_us + w.p50_us):.1f}x raw read + write",
            validate_m.name: f"{ratio(validate_m, r):.2f}x raw read",
        }
        for m in rows:
            m.note = notes.get(m.name, m.note)
            report.add(m)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _moto() -> tuple[subprocess.Popen[bytes], str] | None:
    try:
        import moto.server  # noqa: F401
    except ImportError:
        return None
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/moto-api/", timeout=1):  # noqa: S310 (loopback)
                return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.terminate()
                return None
            time.sleep(0.1)


def _uploads(report: Report, folder: pathlib.Path) -> None:
    document = pdf(MB5)
    key = os.urandom(32)
    limits = UploadLimits()
    accepted = {"application/pdf"}
    sealed_folder = SealedDocuments(FolderDocumentStore(folder / "docs"))
    plain = folder / "plain.bin"

    def upload_folder() -> None:
        kind = inspect_upload(document, accepted=accepted, limits=limits).content_type
        sealed_folder.put(key, "docs/bench/doc-1", kind, document)

    def plain_write() -> None:
        plain.write_bytes(document)

    def plain_write_fsync() -> None:
        with open(plain, "wb") as out:
            out.write(document)
            out.flush()
            os.fsync(out.fileno())

    ops = [
        ("5 MB upload to the folder adapter (judge, seal, write+fsync+rename)", upload_folder),
        ("plain file write, 5 MB (floor)", plain_write),
        ("plain file write + fsync, 5 MB (floor)", plain_write_fsync),
    ]
    moto = _moto()
    if moto is None:
        print("bench_applications: moto[server] missing; S3 adapter not measured", file=sys.stderr)
    else:
        url = moto[1]
        store = S3DocumentStore(
            "bench",
            endpoint_url=url,
            region="us-east-1",
            access_key_id="bench",
            secret_access_key="bench",  # noqa: S106 (moto accepts any)
            timeout=30.0,
        )
        store._client.create_bucket(Bucket="bench")
        sealed_s3 = SealedDocuments(store)

        def upload_s3() -> None:
            kind = inspect_upload(document, accepted=accepted, limits=limits).content_type
            sealed_s3.put(key, "docs/bench/doc-1", kind, document)

        def bare_put() -> None:
            store._client.put_object(Bucket="bench", Key="bare", Body=document)

        ops += [
            ("5 MB upload to the S3 adapter (judge, seal, put; moto on loopback)", upload_s3),
            ("bare boto3 put_object, 5 MB (peer)", bare_put),
        ]
    try:
        rows = measure_interleaved(ops, n=30, warmup=3, block=3)
    finally:
        if moto is not None:
            moto[0].terminate()
            moto[0].wait(timeout=10)
    by = {m.name: m for m in rows}
    fsynced = by["plain file write + fsync, 5 MB (floor)"]
    for m in rows:
        if m.name.startswith("5 MB upload to the folder"):
            m.note = f"{ratio(m, fsynced):.1f}x write+fsync"
        elif m.name.startswith("5 MB upload to the S3"):
            m.note = f"{ratio(m, by['bare boto3 put_object, 5 MB (peer)']):.1f}x bare put_object"
        report.add(m)


def run(report: Report) -> Measurement | None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        _drafts(report, folder)
        _uploads(report, folder)
    return None


if __name__ == "__main__":
    r = Report(title=(__doc__ or "").strip().splitlines()[0])
    run(r)
    print(r.render())
