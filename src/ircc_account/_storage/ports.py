"""
Storage ports: what the rest of the library needs from a store.

Everything a request changes goes through one :class:`UnitOfWork`: the
business change, its audit entry and any outbox row commit together or not
at all (SEC-85). Leaving the ``with`` block without :meth:`UnitOfWork.commit`
rolls back.

Repositories hand out domain values (:mod:`ircc_account._model`), decrypted;
they never expose ciphertext, key material or database handles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ircc_account._model import (
    AssuranceLevel,
    AuditEntry,
    ClientAccount,
    LinkedCredential,
    LinkedLegacyFile,
    ServiceItem,
    TimelineEvent,
)

if TYPE_CHECKING:
    from ircc_account._storage._sql import SqlUnitOfWork

__all__ = [
    "AccountRepository",
    "AuditSink",
    "CredentialRepository",
    "ItemRepository",
    "LegacyFileRepository",
    "Store",
    "TimelineRepository",
    "UnitOfWork",
]


class AccountRepository(Protocol):
    """
    Client accounts, with personal data encrypted under a per-account data key.
    """

    def add(self, account: ClientAccount) -> None:
        """
        Store a new account and create its data key.

        Raises:
            Conflict: the id or the UCI is already taken.
        """
        ...

    def get(self, account_id: str) -> ClientAccount:
        """
        Read an account and decrypt its personal data.

        Raises:
            NotFound: no such account.
            PersonalDataErased: its data key was destroyed.
        """
        ...

    def find_by_uci(self, uci: str) -> ClientAccount | None:
        """
        The account holding *uci* (any accepted spelling), through the blind index.
        """
        ...

    def find_by_email(self, email: str) -> Sequence[ClientAccount]:
        """
        Accounts whose contact email is *email* (case-insensitive), through the blind index.
        """
        ...

    def update(self, account: ClientAccount) -> None:
        """
        Replace an account's details (language, contact, names, UCI, status).

        Raises:
            NotFound: no such account.
            Conflict: the new UCI belongs to another account.
        """
        ...

    def erase_personal_data(self, account_id: str) -> None:
        """
        Destroy the account's data key (crypto-shredding): its personal data becomes unreadable.
        """
        ...


class CredentialRepository(Protocol):
    """
    Logins at credential providers, keyed by (issuer, subject).
    """

    def link(self, credential: LinkedCredential) -> None:
        """
        Link a credential to its account.

        Raises:
            Conflict: (issuer, subject) is already linked.
        """
        ...

    def find(self, issuer: str, subject: str) -> LinkedCredential | None:
        """
        The credential for (issuer, subject), if linked.
        """
        ...

    def for_account(self, account_id: str) -> Sequence[LinkedCredential]:
        """
        Every credential linked to an account, oldest first.
        """
        ...

    def record_login(
        self, issuer: str, subject: str, *, at: dt.datetime, assurance: AssuranceLevel
    ) -> None:
        """
        Note a successful login, raising the recorded assurance if it was higher.

        Raises:
            NotFound: the credential is not linked.
        """
        ...

    def unlink(self, issuer: str, subject: str) -> None:
        """
        Remove a credential link.

        Raises:
            NotFound: it was not linked.
        """
        ...


class LegacyFileRepository(Protocol):
    """
    Paper and old-portal files claimed into accounts.
    """

    def link(self, legacy_file: LinkedLegacyFile) -> None:
        """
        Record a claimed file.

        Raises:
            Conflict: the file is already claimed.
        """
        ...

    def find(self, system: str, file_number: str) -> LinkedLegacyFile | None:
        """
        The claim on a file, if any.
        """
        ...

    def for_account(self, account_id: str) -> Sequence[LinkedLegacyFile]:
        """
        The files an account has claimed.
        """
        ...


class ItemRepository(Protocol):
    """
    Applications and cases that services hold for clients.
    """

    def add(self, item: ServiceItem) -> None:
        """
        Store a new item.

        Raises:
            Conflict: the id, or (service, reference), is taken.
            NotFound: the account does not exist.
        """
        ...

    def get(self, item_id: str) -> ServiceItem:
        """
        Read one item.

        Raises:
            NotFound: no such item.
        """
        ...

    def for_account(
        self, account_id: str, *, service_id: str | None = None
    ) -> Sequence[ServiceItem]:
        """
        An account's items, newest first, optionally of one service.
        """
        ...

    def find_by_reference(self, service_id: str, reference: str) -> ServiceItem | None:
        """
        The item a service knows by *reference*, if any.
        """
        ...

    def update(self, item: ServiceItem) -> ServiceItem:
        """
        Save a changed item if nobody changed it since it was read.

        Returns the stored item with its version bumped.

        Raises:
            Conflict: ``item.version`` is no longer current.
            NotFound: no such item.
        """
        ...


class TimelineRepository(Protocol):
    """
    The events on items' timelines.
    """

    def append(self, event: TimelineEvent) -> None:
        """
        Add an event.

        Raises:
            Conflict: the event id is taken.
            NotFound: the item does not exist.
        """
        ...

    def for_item(self, item_id: str) -> Sequence[TimelineEvent]:
        """
        An item's events, oldest first.
        """
        ...


class UnitOfWork(Protocol):
    """
    One atomic transaction over every repository.
    """

    @property
    def accounts(self) -> AccountRepository:
        """Client accounts."""
        ...

    @property
    def credentials(self) -> CredentialRepository:
        """Linked credentials."""
        ...

    @property
    def legacy_files(self) -> LegacyFileRepository:
        """Claimed legacy files."""
        ...

    @property
    def items(self) -> ItemRepository:
        """Applications and cases."""
        ...

    @property
    def timeline(self) -> TimelineRepository:
        """Items' timelines."""
        ...

    def commit(self) -> None:
        """
        Make every change durable; returns only once it is (SEC-87).
        """
        ...

    def rollback(self) -> None:
        """
        Discard every change made in this unit.
        """
        ...

    def on_commit(self, callback: Callable[[], None]) -> None:
        """
        Run *callback* after a successful commit (notifications, cache invalidation).
        """
        ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class Store(Protocol):
    """
    A place accounts and everything about them are kept.
    """

    def unit_of_work(self, *, write: bool = True) -> UnitOfWork:
        """
        Start a unit of work; ``write=False`` for a read-only one.
        """
        ...

    def migrate(self) -> None:
        """
        Bring the schema to the version this library needs.
        """
        ...

    def close(self) -> None:
        """
        Release every connection.
        """
        ...


@runtime_checkable
class AuditSink(Protocol):
    """
    Where identity, delegation and the service gates record what they did, in
    the caller's unit of work (:class:`ircc_account.audit.AuditLog` fits).
    """

    def append(
        self, uow: SqlUnitOfWork, entry: AuditEntry, *, on_behalf_of: str | None = None
    ) -> object:
        """
        Record *entry* so it commits or rolls back with *uow* (SEC-70).

        Args:
            uow: The caller's unit of work.
            entry: What was done or decided.
            on_behalf_of: For a plugin actor, the id of the actor it acts for.
        """
        ...
