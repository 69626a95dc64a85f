"""
Fixtures for the built-in application services: a front door on SQLite and
PostgreSQL with the visitor visa and passport renewal services (fresh
instances, documents sealed in a folder), a frozen clock, clients, a
licensed consultant with a grant, and files to upload (real JPEG, PNG and PDF
bytes, made here).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from PIL import Image

from ircc_account import (
    Actor,
    AssuranceLevel,
    Capacity,
    ContactDetails,
    FrontDoor,
    FrontDoorConfig,
    FrozenClock,
    Keyring,
    PersonalDetails,
)
from ircc_account.builtin.applications import ApplicationDesk, FolderDocumentStore
from ircc_account.builtin.passport import PassportRenewalService
from ircc_account.builtin.trv import TrvService
from ircc_account.delegation import Licence
from ircc_account.identity import ClientAccount
from tests.door.conftest import Verifier

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
_ids = itertools.count(1)


@attrs.define
class Portal:
    """A front door with both application services, their desks, and the clock."""

    door: FrontDoor
    clock: FrozenClock
    trv: TrvService
    passport: PassportRenewalService
    trv_desk: ApplicationDesk
    passport_desk: ApplicationDesk
    documents: pathlib.Path

    def client(self, *, born: str = "1985-07-14") -> Actor:
        """A new client account, signed in now at moderate assurance."""
        n = next(_ids)
        account_id = f"client-{n}"
        with self.door.store.unit_of_work() as uow:
            uow.accounts.add(
                ClientAccount(
                    account_id=account_id,
                    personal=PersonalDetails(
                        family_name="Tremblay", given_names="Marie", date_of_birth=born
                    ),
                    contact=ContactDetails(email=f"marie{n}@example.ca"),
                    created_at=self.clock.now(),
                )
            )
            uow.commit()
        return self.fresh(
            Actor(actor_id=account_id, capacity=Capacity.CLIENT, account_id=account_id)
        )

    def fresh(self, actor: Actor) -> Actor:
        """*actor* as just signed in again (a fresh login, moderate assurance)."""
        return attrs.evolve(actor, assurance=AssuranceLevel.MODERATE, auth_time=self.clock.now())

    def consultant(
        self, *, for_client: Actor | None = None, scopes: tuple[str, ...] = ("view_status", "act")
    ) -> Actor:
        """A licensed consultant (their own account), appointed by *for_client* if given."""
        own = self.client()
        rep = self.door.onboarding.register_representative(
            own,
            kind="consultant",
            display_name="Jean Roy, RCIC",
            licence=Licence(body="cicc", number=f"R{500000 + next(_ids)}", expires_on="2030-12-31"),
        )
        actor = self.fresh(
            Actor(
                actor_id=rep.representative_id,
                capacity=Capacity.REPRESENTATIVE,
                account_id=own.account_id,
                representative_id=rep.representative_id,
            )
        )
        if for_client is not None:
            self.door.grants.give(
                self.fresh(for_client),
                grantee_id=rep.representative_id,
                scopes=list(scopes),
                coverage="account",
            )
        return actor


@pytest.fixture
def portal(database_url: str, tmp_path: pathlib.Path) -> Iterator[Portal]:
    """A front door with both services, documents in a folder, and a frozen clock."""
    clock = FrozenClock(START)
    trv, passport = TrvService(), PassportRenewalService()
    documents = tmp_path / "documents"
    store = FolderDocumentStore(documents)
    config = FrontDoorConfig(
        database_url=database_url,
        keyring=Keyring.generate(),
        licence_verifier=Verifier(),
        clock=clock,
        plugin_deadline=10.0,
        plugin_settings={"trv": {"documents": store}, "passport-renewal": {"documents": store}},
    )
    with FrontDoor.open(config, plugins={"trv": trv, "passport-renewal": passport}) as door:
        yield Portal(
            door=door,
            clock=clock,
            trv=trv,
            passport=passport,
            trv_desk=ApplicationDesk(door, trv),
            passport_desk=ApplicationDesk(door, passport),
            documents=documents,
        )


def jpeg(width: int = 420, height: int = 540, *, colour: bool = True, quality: int = 90) -> bytes:
    """A real JPEG photo: a face-coloured oval on a light background."""
    image = Image.new("RGB", (width, height), (235, 235, 230))
    pixels = image.load()
    assert pixels is not None
    for y in range(height // 5, height * 4 // 5):
        for x in range(width // 4, width * 3 // 4, 2):
            pixels[x, y] = (200, 150, 120)
    if not colour:
        image = image.convert("L")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def png(width: int = 64, height: int = 64) -> bytes:
    """A real PNG image."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def pdf(pages: int = 1, padding: int = 0) -> bytes:
    """A real, minimal PDF (header, objects, cross-reference table, trailer)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages)).encode()
    objects.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(pages).encode() + b" >>")
    for _ in range(pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")
    body = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{n} 0 obj\n".encode() + obj + b"\nendobj\n"
    if padding:
        body += b"%" + b"x" * padding + b"\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        body += f"{offset:010d} 00000 n \n".encode()
    body += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(body)


def trv_answers(**changes: Any) -> dict[str, Any]:
    """A complete, eligible visitor visa application's answers, as a form sends them."""
    answers: dict[str, Any] = {
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
        "marital_status": "single",
        "native_language": "Wolof",
        "official_languages": "french",
        "previous_biometrics": "no",
        "passport_number": "A1234567",
        "passport_country": "SN",
        "passport_issued": "2022-01-10",
        "passport_expires": "2032-01-09",
        "has_national_id": "no",
        "mailing_address": "12 rue Carnot\nDakar",
        "residential_same": "yes",
        "phone": "+221 33 123 4567",
        "email": "marie@example.sn",
        "purpose": "family_visit",
        "arrival_date": "2026-06-01",
        "departure_date": "2026-06-30",
        "invited": "no",
        "funds": "4500",
        "payer": "myself",
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
    answers.update(changes)
    return answers


TRV_DOCUMENTS: dict[str, Callable[[], bytes]] = {
    "passport": pdf,
    "photo": jpeg,
    "funds": pdf,
    "purpose": pdf,
}


def passport_answers(**changes: Any) -> dict[str, Any]:
    """A complete, eligible adult passport renewal's answers, as a form sends them."""
    answers: dict[str, Any] = {
        "date_of_birth": "1985-07-14",
        "previous_issued": "2017-05-01",
        "previous_validity": "ten_years",
        "lost_stolen_damaged": "no",
        "in_possession": "yes",
        "name_changed": "no",
        "family_name": "Tremblay",
        "given_names": "Marie",
        "sex": "female",
        "birth_city": "Montréal",
        "birth_country": "CA",
        "height_cm": "168",
        "eye_colour": "brown",
        "previous_number": "AB123456",
        "previous_expires": "2027-05-01",
        "address": "100 rue Sainte-Catherine\nMontréal QC H2X 1Z4",
        "phone": "514-555-0199",
        "email": "marie@example.ca",
        "new_validity": "ten_years",
    }
    answers.update(changes)
    return answers
