"""
Quickstart: one client account on embedded SQLite.

Creates an account, links a credential from a sign-in partner, stores a
visitor-visa application with its timeline, and reads everything back, with
personal data encrypted at rest: the storage layer alone, beneath the front
door (``docs/tutorial-portal.md`` builds a portal on the door). Run it with
``python examples/quickstart.py [DATABASE_FILE]``; ``tests/test_examples.py``
runs it.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import sys
import tempfile
import uuid

from ircc_account import AssuranceLevel, ContactDetails, Keyring, PersonalDetails
from ircc_account.identity import ClientAccount, LinkedCredential
from ircc_account.services import (
    BilingualText,
    ItemKind,
    ItemState,
    ServiceItem,
    TimelineEvent,
    TimelineKind,
)
from ircc_account.storage import open_store


def main(argv: list[str]) -> int:
    path = (
        pathlib.Path(argv[1])
        if len(argv) > 1
        else pathlib.Path(tempfile.mkdtemp()) / "quickstart.db"
    )
    now = dt.datetime.now(dt.UTC)
    # For the quickstart only: real deployments load key-encryption keys from a secret store.
    keyring = Keyring.generate()
    store = open_store(f"sqlite:///{path}", keyring=keyring)
    account_id = f"acc-{uuid.uuid4().hex[:12]}"
    item_id = f"trv-{uuid.uuid4().hex[:12]}"

    with store.unit_of_work() as uow:
        uow.accounts.add(
            ClientAccount(
                account_id=account_id,
                personal=PersonalDetails(
                    family_name="Tremblay", given_names="Marie", date_of_birth="1990-04-02"
                ),
                contact=ContactDetails(email="marie.tremblay@example.ca"),
                preferred_language="fr",
                uci="1234-5678",
                created_at=now,
            )
        )
        uow.credentials.link(
            LinkedCredential(
                account_id=account_id,
                issuer="https://signin.partner.example",
                subject="8f14e45f-ceea-467f-a0e6-9c9b2f1b5d3e",
                assurance=AssuranceLevel.MODERATE,
                linked_at=now,
            )
        )
        uow.items.add(
            ServiceItem(
                item_id=item_id,
                account_id=account_id,
                service_id="trv",
                kind=ItemKind.APPLICATION,
                reference=f"V{uuid.uuid4().int % 10**9:09d}",
                state=ItemState.ACTION_REQUIRED,
                title=BilingualText("Visitor visa", "Visa de visiteur"),
                document_number="AB123456",
                created_at=now,
                updated_at=now,
            )
        )
        uow.timeline.append(
            TimelineEvent(
                event_id=f"ev-{uuid.uuid4().hex[:12]}",
                item_id=item_id,
                kind=TimelineKind.DOCUMENT_REQUESTED,
                occurred_at=now,
                state=ItemState.ACTION_REQUIRED,
                summary=BilingualText("Biometrics requested", "Données biométriques demandées"),
            )
        )
        uow.commit()

    with store.unit_of_work(write=False) as uow:
        account = uow.accounts.find_by_uci("12345678")
        assert account is not None
        credentials = uow.credentials.for_account(account.account_id)
        items = uow.items.for_account(account.account_id)
        lang = account.preferred_language.value
        print(f"Database: {path}")
        print(
            f"Account {account.account_id}: "
            f"{account.personal.given_names} {account.personal.family_name}"
            f" (UCI {account.uci}, language {lang})"
        )
        for c in credentials:
            print(f"  credential: {c.issuer} (assurance {c.assurance.name})")
        for item in items:
            print(f"  {item.title[lang]} {item.reference}: {item.state.value}")
            for event in uow.timeline.for_item(item.item_id):
                print(f"    {event.occurred_at:%Y-%m-%d} {event.summary[lang]}")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
