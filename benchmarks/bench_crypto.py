"""
Data at rest: one account record sealed and opened, against bare AES-GCM

The record (names, date of birth, contact, address, passport number) is
serialized to JSON once, outside the timing. Our path adds the version byte,
the length-prefixed associated data (table, column, record id, account id) and
the nonce draw through the injected Randomness. The floor is ``AESGCM.encrypt``
plus ``decrypt`` of the same bytes with a fixed key, a fresh ``os.urandom``
nonce and no associated data, measured in the same run.
"""

from __future__ import annotations

import json
import os

from _harness import Report, measure, ratio
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ircc_account._crypto import FieldContext, Keyring

EMAIL = "marie.tremblay@example.ca"
RECORD = {
    "family_name": "Tremblay-Nguyễn",
    "given_names": "Marie Élise",
    "date_of_birth": "1990-04-02",
    "email": EMAIL,
    "phone": "+1 613 555 0100",
    "address": {
        "line1": "365 avenue Laurier Ouest",
        "line2": "Bureau 1200",
        "city": "Ottawa",
        "province": "ON",
        "postal_code": "K1A 1L1",
        "country": "CA",
    },
    "passport_number": "AB123456",
}


def run(report: Report) -> None:
    payload = json.dumps(RECORD, separators=(",", ":"), sort_keys=True).encode()
    ring = Keyring.generate()
    key, wrapped = ring.new_data_key("acc-1")
    ctx = FieldContext(
        table="accounts", column="personal_ct", record_id="acc-1", account_id="acc-1"
    )

    raw = AESGCM(os.urandom(32))

    def floor() -> bytes:
        nonce = os.urandom(12)
        return raw.decrypt(nonce, raw.encrypt(nonce, payload, None), None)

    def ours() -> bytes:
        return key.decrypt(key.encrypt(payload, ctx), ctx)

    assert ours() == floor() == payload
    n = 20_000
    base = report.add(
        measure(f"AESGCM encrypt+decrypt, {len(payload)} B (floor)", floor, n=n, warmup=1000)
    )
    m = report.add(measure("DataKey.encrypt+decrypt, one account record", ours, n=n, warmup=1000))
    m.note = f"{ratio(m, base):.2f}× floor"

    u = report.add(measure("Keyring.unwrap (data key)", lambda: ring.unwrap(wrapped, "acc-1"), n=n))
    u.note = f"{ratio(u, base):.2f}× floor"
    b = report.add(
        measure("Keyring.blind_index('email')", lambda: ring.blind_index("email", EMAIL), n=n)
    )
    b.note = f"{ratio(b, base):.2f}× floor"
