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
from typing import Any, Protocol, runtime_checkable

import attrs
import sqlalchemy as sa

from ircc_account._crypto import DataKey, Keyring, WrappedDataKey
from ircc_account._model import (
    AccountStatus,
    AssuranceLevel,
    AuditEntry,
    ClientAccount,
    LinkedCredential,
    LinkedLegacyFile,
    ServiceItem,
    TimelineEvent,
)
from ircc_account._model._services import PluginRecord

__all__ = [
    "AccountRepository",
    "AuditSink",
    "CredentialRepository",
    "ItemRepository",
    "LegacyFileRepository",
    "PluginRecordRepository",
    "SignIn",
    "SqlStorage",
    "SqlUnit",
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

    def status(self, account_id: str) -> AccountStatus | None:
        """
        Whether an account may be used, without reading (or decrypting) anything
        else; ``None`` if there is no such account.
        """
        ...

    def find_by_uci(self, uci: str) -> ClientAccount | None:
        """
        The account holding *uci* (any accepted spelling), through the blind
        index; ``None`` for a UCI nobody holds, and alike for an erased person's.
        """
        ...

    def find_by_email(self, email: str) -> Sequence[ClientAccount]:
        """
        Accounts whose contact email is *email* (ASCII letters in any case; see
        ``docs/data-at-rest.md``), through the blind index; none for an
        erased person's.
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
        Erase the account's personal data: destroy its data key
        (crypto-shredding: every sealed field becomes unreadable), clear its
        blind indexes (UCI, email, item references: a lookup then answers as
        for a value nobody holds), and delete its credential links, legacy
        file claims and plugin records, so the person can register again,
        and its (and its UCI's) failed legacy-claim counters.
        The account row (id, status ``disabled``) stays, as do ids elsewhere.

        Raises:
            NotFound: no such account.
        """
        ...


@attrs.frozen(kw_only=True)
class SignIn:
    """
    What a login with a linked credential opens: see :meth:`CredentialRepository.sign_in`.

    Attributes:
        account_id: The account the credential is linked to.
        active: Whether that account may be used; a disabled account's login
            is not recorded.
    """

    account_id: str
    active: bool


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

    def sign_in(
        self, issuer: str, subject: str, *, at: dt.datetime, assurance: AssuranceLevel
    ) -> SignIn | None:
        """
        Look up the account a login opens and, if it is active, record the
        login as :meth:`record_login` does (the assurance only rises).

        This is the login hot path: one read finds the credential, its
        account's status and the account's wrapped data key, and the unit's
        data-key cache is primed from it, so sealing the session's tokens
        afterwards needs no query. With the update, two statements in all.

        Args:
            issuer: The credential's issuer.
            subject: Its subject at that issuer.
            at: When the login completed.
            assurance: The assurance of this login.

        Returns:
            The account and whether it is active, or ``None`` when the
            credential is linked to no account.

        Raises:
            NotFound: the credential was unlinked between the read and the update.
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


class PluginRecordRepository(Protocol):
    """
    Each service plugin's own records per client (``ctx.records``): values
    as bytes, sealed with the client's data key and bound to (plugin,
    client, key). The service gate encodes, decodes and limits them.
    """

    def get(self, account_id: str, service_id: str, key: str) -> tuple[PluginRecord, bytes] | None:
        """
        The record (its ``value`` unset) and its value's bytes, or ``None``.

        Raises:
            PersonalDataErased: the client's data key is gone.
        """
        ...

    def list(self, account_id: str, service_id: str) -> Sequence[tuple[PluginRecord, bytes]]:
        """
        Every record of the plugin for the client, by key.
        """
        ...

    def list_many(
        self, account_ids: Sequence[str], service_id: str, *, prefix: str = ""
    ) -> dict[str, Sequence[tuple[PluginRecord, bytes]]]:
        """
        The plugin's records (whose key starts with *prefix*) for each of
        many clients, by client and key, in one statement per 500 clients
        (a list across an office's clients, not one round trip per client).
        A client with no such record, or whose personal data was erased, is
        not in the answer.
        """
        ...

    def count(self, account_id: str, service_id: str) -> int:
        """
        How many records the plugin keeps for the client.
        """
        ...

    def put(
        self,
        account_id: str,
        service_id: str,
        key: str,
        value: bytes,
        *,
        version: int | None,
        now: dt.datetime,
    ) -> int:
        """
        Create the record (*version* ``None``) or replace it at *version*;
        returns the new version.

        Raises:
            Conflict: it exists (creating), or is no longer at *version*.
            NotFound: replacing a record that does not exist.
            PersonalDataErased: the client's data key is gone.
        """
        ...

    def delete(self, account_id: str, service_id: str, key: str, *, version: int | None) -> bool:
        """
        Delete the record (only at *version*, when given); whether it existed.

        Raises:
            Conflict: it is no longer at *version*.
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

    @property
    def plugin_records(self) -> PluginRecordRepository:
        """Service plugins' own records."""
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

    def on_rollback(self, callback: Callable[[], None]) -> None:
        """
        Run *callback* after the unit is rolled back (explicitly, or by leaving
        the ``with`` block without committing), once its transaction is over.

        This is how a refusal recorded in a unit survives the caller's
        rollback: the record is written again in a transaction of its own.
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


class SqlUnit(UnitOfWork, Protocol):
    """
    A unit of work over one SQL transaction: what the SQL-backed subsystems
    (identity, delegation, audit) build their own repositories on, so their
    rows commit in the same transaction as the business change.
    """

    @property
    def connection(self) -> sa.Connection:
        """The open connection, inside the unit's transaction."""
        ...

    def execute(self, statement: sa.Executable, kind: str, **params: Any) -> sa.CursorResult[Any]:
        """
        Execute *statement* in the unit's transaction, translating driver
        errors into the library's (*kind* names what was being stored).
        """
        ...

    def data_key(self, account_id: str, wrapped: WrappedDataKey | None = None) -> DataKey:
        """
        The account's unwrapped data key, cached for this unit only.

        Raises:
            NotFound: no such account.
            PersonalDataErased: the key was destroyed.
        """
        ...

    def __enter__(self) -> SqlUnit: ...


class SqlStorage(Store, Protocol):
    """
    A :class:`Store` over a SQL database (``SqliteStore``, ``PostgresStore``).
    """

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (for the audit verifier's read-only scans)."""
        ...

    @property
    def keyring(self) -> Keyring:
        """Key-encryption keys and the blind-index key."""
        ...

    def unit_of_work(self, *, write: bool = True) -> SqlUnit:
        """
        Start a unit of work; ``write=False`` for a read-only one.
        """
        ...


@runtime_checkable
class AuditSink(Protocol):
    """
    Where identity, delegation and the service gates record what they did, in
    the caller's unit of work (:class:`ircc_account.audit.AuditLog` fits).
    """

    def append(
        self,
        uow: SqlUnit,
        entry: AuditEntry,
        *,
        on_behalf_of: str | None = None,
        keep: bool = False,
    ) -> object:
        """
        Record *entry* so it commits or rolls back with *uow* (SEC-70).

        Args:
            uow: The caller's unit of work.
            entry: What was done or decided.
            on_behalf_of: For a plugin actor, the id of the actor it acts for.
            keep: For a refusal: record it even if *uow* rolls back (written
                again on its own once the unit's transaction is over), so a
                caller's rollback never erases the record of a refused attempt.
        """
        ...

    def append_now(self, entry: AuditEntry, *, on_behalf_of: str | None = None) -> object:
        """
        Record *entry* in a transaction of its own; returns once it is durable.
        """
        ...
