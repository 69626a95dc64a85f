"""
The SQL store: one adapter over SQLAlchemy Core for SQLite and PostgreSQL.

Personal data is sealed per field with the account's data key, which lives
wrapped by the keyring's key-encryption key in ``account_keys``. Unwrapped
data keys are cached for one unit of work only, so destroying a key row
(crypto-shredding) takes effect for every later unit at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from types import TracebackType
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from ircc_account._crypto import DataKey, Keyring, WrappedDataKey
from ircc_account._model import (
    AccountStatus,
    AssuranceLevel,
    ClientAccount,
    ContactDetails,
    Language,
    LinkedCredential,
    LinkedLegacyFile,
    PersonalDetails,
)
from ircc_account._model import _validate as v
from ircc_account._storage import _schema as t
from ircc_account._storage import _schema_identity as ti
from ircc_account._storage._sealing import INSTANT, Prebuilt, open_sealed, seal
from ircc_account._storage._sql_items import _Items, _PluginRecords, _Timeline
from ircc_account._storage.ports import SignIn
from ircc_account.errors import (
    Conflict,
    NotFound,
    PersonalDataErased,
    StorageUnavailable,
    UnitRolledBack,
)

__all__ = ["SqlUnitOfWork"]

_log = logging.getLogger("ircc_account.storage")

# Statements built once: building a WHERE clause per call costs more than running it.
_SELECT_KEY = sa.select(t.account_keys.c.kek_id, t.account_keys.c.wrapped_key).where(
    t.account_keys.c.account_id == sa.bindparam("account_id")
)
_SELECT_ACCOUNT_ID = sa.select(t.accounts.c.account_id).where(
    t.accounts.c.account_id == sa.bindparam("account_id")
)


# An account with its wrapped key in one round trip (NULL key: erased), in
# the column order _Accounts._from_row unpacks.
_ACCOUNT_WITH_KEY = sa.select(
    t.accounts.c.account_id,
    t.accounts.c.preferred_language,
    t.accounts.c.status,
    t.accounts.c.created_at,
    t.accounts.c.personal_ct,
    t.accounts.c.contact_ct,
    t.accounts.c.uci_ct,
    t.account_keys.c.kek_id,
    t.account_keys.c.wrapped_key,
).select_from(t.accounts.outerjoin(t.account_keys))
_SELECT_ACCOUNT = Prebuilt(
    _ACCOUNT_WITH_KEY.where(t.accounts.c.account_id == sa.bindparam("account_id"))
)
_SELECT_ACCOUNT_BY_UCI = Prebuilt(
    _ACCOUNT_WITH_KEY.where(t.accounts.c.uci_index == sa.bindparam("index"))
)
_SELECT_ACCOUNTS_BY_EMAIL = Prebuilt(
    _ACCOUNT_WITH_KEY.where(t.accounts.c.email_index == sa.bindparam("index")).order_by(
        t.accounts.c.created_at
    )
)
_SELECT_STATUS = sa.select(t.accounts.c.status).where(
    t.accounts.c.account_id == sa.bindparam("account_id")
)
# A login's one read: the credential, its account's status and wrapped key.
_SIGN_IN = (
    sa.select(
        t.credentials.c.account_id,
        t.accounts.c.status,
        t.account_keys.c.kek_id,
        t.account_keys.c.wrapped_key,
    )
    .select_from(
        t.credentials.join(t.accounts).outerjoin(
            t.account_keys, t.account_keys.c.account_id == t.accounts.c.account_id
        )
    )
    .where(
        t.credentials.c.issuer == sa.bindparam("issuer"),
        t.credentials.c.subject == sa.bindparam("subject"),
    )
)
# The recorded assurance only ever rises. (An UPDATE's bind names must not be
# column names, hence the prefix.)
_RECORD_LOGIN = (
    t.credentials.update()
    .where(
        t.credentials.c.issuer == sa.bindparam("b_issuer"),
        t.credentials.c.subject == sa.bindparam("b_subject"),
    )
    .values(
        last_login_at=sa.bindparam("b_at"),
        assurance=sa.case(
            (
                t.credentials.c.assurance < sa.bindparam("b_assurance"),
                sa.bindparam("b_assurance"),
            ),
            else_=t.credentials.c.assurance,
        ),
    )
)


class SqlUnitOfWork:
    """
    A unit of work over one SQLAlchemy connection and transaction.

    Subsystem repositories (delegation, audit, identity) are built over
    :attr:`connection`, so their rows commit in the same transaction.

    Attributes:
        connection: The open connection (inside a transaction).
        keyring: Key-encryption keys and the blind-index key.
        accounts, credentials, legacy_files, items, timeline, plugin_records:
            The repositories.
    """

    def __init__(self, engine: sa.Engine, keyring: Keyring, *, write: bool) -> None:
        self._engine = engine
        self._write = write
        self.keyring = keyring
        self._callbacks: list[Callable[[], None]] = []
        self._rollback_callbacks: list[Callable[[], None]] = []
        self._data_keys: dict[str, DataKey] = {}
        self._done = False
        self.connection: sa.Connection
        self.accounts = _Accounts(self)
        self.credentials = _Credentials(self)
        self.legacy_files = _LegacyFiles(self)
        self.items = _Items(self)
        self.timeline = _Timeline(self)
        self.plugin_records = _PluginRecords(self)

    # --- transaction ---------------------------------------------------------

    def __enter__(self) -> SqlUnitOfWork:
        try:
            connection = self._engine.connect()
        except sa_exc.OperationalError as e:
            raise StorageUnavailable() from e
        try:
            self._transaction = connection.execution_options(ircc_write=self._write).begin()
        except BaseException as e:
            # A BEGIN that failed (SQLite busy past its timeout) must not keep
            # the connection out of the pool until garbage collection.
            connection.close()
            if isinstance(e, sa_exc.OperationalError):
                raise StorageUnavailable() from e
            raise
        self.connection = connection
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._done:
                self.rollback()
        finally:
            self._data_keys.clear()
            self.connection.close()

    def commit(self) -> None:
        """
        Commit; returns only once the database reports the commit durable.

        Raises:
            StorageUnavailable: the database failed or stayed locked.
            Conflict: a deferred constraint failed at commit.
            UnitRolledBack: the unit was already rolled back or committed.
        """
        if self._done or not self._transaction.is_active:
            raise UnitRolledBack()
        with translate_errors("unit of work"):
            self._transaction.commit()
        self._done = True
        self._rollback_callbacks.clear()
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        """
        Discard every change made in this unit, then run the
        :meth:`on_rollback` callbacks (each once).
        """
        if self._transaction.is_active:
            self._transaction.rollback()
        self._done = True
        self._callbacks.clear()
        callbacks, self._rollback_callbacks = self._rollback_callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                # A callback must never hide why the unit rolled back.
                _log.exception("a rollback callback failed")

    def on_commit(self, callback: Callable[[], None]) -> None:
        """
        Run *callback* after a successful commit, in registration order.
        """
        self._callbacks.append(callback)

    def on_rollback(self, callback: Callable[[], None]) -> None:
        """
        Run *callback* once this unit is rolled back (explicitly, by leaving
        the ``with`` block uncommitted, or after a failed commit), when its
        transaction no longer holds any lock. Dropped when the unit commits.
        """
        self._rollback_callbacks.append(callback)

    # --- helpers for repositories ----------------------------------------------

    def execute(self, statement: sa.Executable, kind: str, **params: Any) -> sa.CursorResult[Any]:
        """
        Execute *statement*, translating driver errors into ours.
        """
        with translate_errors(kind):
            return self.connection.execute(statement, params or None)

    def _fetch(self, query: Prebuilt, kind: str, **params: Any) -> Sequence[Any]:
        """
        Run a prebuilt SELECT on the DBAPI cursor, in this unit's transaction;
        its rows as tuples. Driver errors are translated as for :meth:`execute`.
        """
        connection = self.connection
        dialect = connection.dialect
        sql, args = query.bind(dialect, params)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql, args)
            return cursor.fetchall()
        except dialect.loaded_dbapi.Error as e:
            self._driver_failed(e, sql, cursor, kind)
        finally:
            cursor.close()

    def _driver_failed(self, e: Any, sql: str, cursor: Any, kind: str) -> NoReturn:
        connection = self.connection
        dialect = connection.dialect
        error = sa_exc.DBAPIError.instance(
            sql, None, e, dialect.loaded_dbapi.Error, hide_parameters=True, dialect=dialect
        )
        # As SQLAlchemy does: a connection found lost is never pooled again.
        if dialect.is_disconnect(e, connection.connection.dbapi_connection, cursor):
            connection.invalidate(e)
        with translate_errors(kind):
            raise error from e

    def data_key(self, account_id: str, wrapped: WrappedDataKey | None = None) -> DataKey:
        """
        The account's unwrapped data key, cached for this unit only.

        Args:
            account_id: The account.
            wrapped: The wrapped key if the caller already read it (saves a query).

        Raises:
            NotFound: no such account.
            PersonalDataErased: the key was destroyed.
        """
        key = self._data_keys.get(account_id)
        if key is None:
            if wrapped is None:
                row = self.execute(_SELECT_KEY, "account key", account_id=account_id).first()
                if row is None:
                    exists = self.execute(
                        _SELECT_ACCOUNT_ID, "account", account_id=account_id
                    ).first()
                    if exists is None:
                        raise NotFound(kind="account")
                    raise PersonalDataErased()
                wrapped = WrappedDataKey(kek_id=row.kek_id, blob=row.wrapped_key)
            key = self.keyring.unwrap(wrapped, account_id)
            self._data_keys[account_id] = key
        return key

    def new_data_key(self, account_id: str) -> tuple[DataKey, WrappedDataKey]:
        """
        Create a data key for a new account; :meth:`store_data_key` saves it.
        """
        return self.keyring.new_data_key(account_id)

    def store_data_key(
        self, account_id: str, key: DataKey, wrapped: WrappedDataKey, now: dt.datetime
    ) -> None:
        """
        Save a wrapped data key (after the account row it belongs to).
        """
        self.execute(
            t.account_keys.insert().values(
                account_id=account_id,
                kek_id=wrapped.kek_id,
                wrapped_key=wrapped.blob,
                created_at=now,
            ),
            "account key",
        )
        self._data_keys[account_id] = key


@contextmanager
def translate_errors(kind: str) -> Iterator[None]:
    """
    Turn driver exceptions into :class:`Conflict` or :class:`StorageUnavailable`.
    """
    try:
        yield
    except sa_exc.IntegrityError as e:
        if _is_foreign_key_error(e):
            raise NotFound(kind=kind) from None
        raise Conflict(kind=kind) from None
    except sa_exc.OperationalError as e:
        if _sqlstate(e) == "40001":
            raise Conflict(kind=kind) from None
        raise StorageUnavailable() from e
    except sa_exc.DBAPIError as e:
        if _sqlstate(e) in ("40001", "40P01"):
            raise Conflict(kind=kind) from None
        raise StorageUnavailable() from e


def _sqlstate(e: sa_exc.DBAPIError) -> str | None:
    return getattr(e.orig, "sqlstate", None)


def _is_foreign_key_error(e: sa_exc.IntegrityError) -> bool:
    state = _sqlstate(e)
    if state is not None:
        return bool(state == "23503")
    return "FOREIGN KEY" in str(e.orig)


class _Accounts:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def _row_values(self, account: ClientAccount, key: DataKey) -> dict[str, Any]:
        a = account
        ring = self._uow.keyring
        return {
            "uci_index": None if a.uci is None else ring.blind_index("uci", a.uci),
            "email_index": ring.blind_index("email", a.contact.email),
            "index_version": t.INDEX_VERSION,
            "preferred_language": a.preferred_language.value,
            "status": a.status.value,
            "personal_ct": seal(
                key,
                "accounts",
                "personal",
                a.account_id,
                a.account_id,
                {
                    "family_name": a.personal.family_name,
                    "given_names": a.personal.given_names,
                    "date_of_birth": a.personal.date_of_birth.isoformat(),
                },
            ),
            "contact_ct": seal(
                key,
                "accounts",
                "contact",
                a.account_id,
                a.account_id,
                {
                    "email": a.contact.email,
                    "phone": a.contact.phone,
                    "mailing_address": a.contact.mailing_address,
                },
            ),
            "uci_ct": None
            if a.uci is None
            else seal(key, "accounts", "uci", a.account_id, a.account_id, a.uci),
        }

    def add(self, account: ClientAccount) -> None:
        key, wrapped = self._uow.new_data_key(account.account_id)
        self._uow.execute(
            t.accounts.insert().values(
                account_id=account.account_id,
                created_at=account.created_at,
                version=1,
                **self._row_values(account, key),
            ),
            "account",
        )
        self._uow.store_data_key(account.account_id, key, wrapped, account.created_at)

    def _exists(self, account_id: str) -> bool:
        row = self._uow.execute(_SELECT_ACCOUNT_ID, "account", account_id=account_id).first()
        return row is not None

    def _from_row(self, row: Sequence[Any]) -> ClientAccount:
        """
        An account from a row of :data:`_ACCOUNT_WITH_KEY` (a DBAPI tuple).
        """
        (account_id, language, status, created_at, personal_ct, contact_ct, uci_ct,
         kek_id, wrapped_key) = row  # fmt: skip
        if wrapped_key is None:
            raise PersonalDataErased()
        key = self._uow.data_key(account_id, WrappedDataKey(kek_id=kek_id, blob=wrapped_key))
        personal = open_sealed(key, "accounts", "personal", account_id, account_id, personal_ct)
        contact = open_sealed(key, "accounts", "contact", account_id, account_id, contact_ct)
        uci = (
            None
            if uci_ct is None
            else open_sealed(key, "accounts", "uci", account_id, account_id, uci_ct)
        )
        created = INSTANT.process_result_value(created_at, self._uow.connection.dialect)
        account = _sealed_account(account_id, language, status, created, personal, contact, uci)
        if account is None:
            account = ClientAccount(
                account_id=account_id,
                personal=PersonalDetails(**personal),
                contact=ContactDetails(**contact),
                preferred_language=language,
                uci=uci,
                status=status,
                created_at=created,
            )
        return account

    def get(self, account_id: str) -> ClientAccount:
        rows = self._uow._fetch(_SELECT_ACCOUNT, "account", account_id=account_id)
        if not rows:
            raise NotFound(kind="account")
        return self._from_row(rows[0])

    def find_by_uci(self, uci: str) -> ClientAccount | None:
        index = self._uow.keyring.blind_index("uci", v.uci(uci))
        rows = self._uow._fetch(_SELECT_ACCOUNT_BY_UCI, "account", index=index)
        # Erasure clears the index; a row erased before it did (its key
        # gone) answers as an unknown UCI does, never PersonalDataErased.
        live = [r for r in rows if r[-1] is not None]
        return self._from_row(live[0]) if live else None

    def find_by_email(self, email: str) -> Sequence[ClientAccount]:
        index = self._uow.keyring.blind_index("email", v.email(email))
        rows = self._uow._fetch(_SELECT_ACCOUNTS_BY_EMAIL, "account", index=index)
        return [self._from_row(r) for r in rows if r[-1] is not None]

    def update(self, account: ClientAccount) -> None:
        key = self._uow.data_key(account.account_id)
        result = self._uow.execute(
            t.accounts.update()
            .where(t.accounts.c.account_id == account.account_id)
            .values(version=t.accounts.c.version + 1, **self._row_values(account, key)),
            "account",
        )
        if result.rowcount != 1:
            raise NotFound(kind="account")

    def erase_personal_data(self, account_id: str) -> None:
        if not self._exists(account_id):
            raise NotFound(kind="account")
        uow = self._uow
        # The account's legacy-claim counters: its own, and its UCI's (read
        # while the key still opens it; an account erased before has none).
        claim_keys = [ti.claim_attempt_key(uow.keyring, account_id=account_id)]
        with suppress(PersonalDataErased):
            uci = self.get(account_id).uci
            if uci is not None:
                claim_keys.append(ti.claim_attempt_key(uow.keyring, uci=uci))
        uow.execute(
            ti.identity_claim_attempts.delete().where(
                ti.identity_claim_attempts.c.key_hash.in_(claim_keys)
            ),
            "claim attempts",
        )
        # Crypto-shredding: every field sealed with this key is unreadable.
        uow.execute(
            t.account_keys.delete().where(t.account_keys.c.account_id == account_id),
            "account key",
        )
        # No lookup finds the person any more, and they may register again.
        uow.execute(
            t.accounts.update()
            .where(t.accounts.c.account_id == account_id)
            .values(
                status=AccountStatus.DISABLED.value,
                uci_index=None,
                email_index=None,
                version=t.accounts.c.version + 1,
            ),
            "account",
        )
        for table in (t.credentials, t.legacy_files, t.plugin_records):
            uow.execute(table.delete().where(table.c.account_id == account_id), "account")
        # A live session keeps its row, so its next request is refused and
        # recorded once (SEC-38), but not the credential's issuer, subject
        # and provider session id, which would link the erased account to
        # the person's login; its tokens were sealed with the destroyed key.
        s = ti.identity_sessions.c
        uow.execute(
            ti.identity_sessions.update()
            .where(s.account_id == account_id)
            .values(
                issuer=None,
                subject=None,
                provider_sid=None,
                pending_issuer=None,
                pending_subject=None,
                pending_sid=None,
                tokens_ct=None,
            ),
            "session",
        )
        uow.items.erase(account_id)
        uow._data_keys.pop(account_id, None)

    def status(self, account_id: str) -> AccountStatus | None:
        value = self._uow.execute(_SELECT_STATUS, "account", account_id=account_id).scalar()
        return None if value is None else AccountStatus(value)


# --- the account read's construction of what the store sealed --------------------------

_PERSONAL_KEYS = frozenset(("family_name", "given_names", "date_of_birth"))
_CONTACT_KEYS = frozenset(("email", "phone", "mailing_address"))
_STR_OR_NONE = (str, type(None))
_LANGUAGES = {m.value: m for m in Language}
_STATUSES = {m.value: m for m in AccountStatus}
_new = object.__new__
_set = object.__setattr__


def _sealed_account(
    account_id: str,
    language: Any,
    status: Any,
    created_at: Any,
    personal: Any,
    contact: Any,
    uci: Any,
) -> ClientAccount | None:
    """
    The account, built without re-running the converters on what the store
    sealed; ``None`` if the decrypted values are not shaped as
    :meth:`_Accounts._row_values` writes them (the caller then builds the
    account through the validating constructors, as for any other input).

    Why this is safe: *personal*, *contact* and *uci* were decrypted under the
    account's own data key, with associated data naming this table, column
    and account id, and AES-GCM authenticated them. Those contexts are sealed
    by :meth:`_Accounts._row_values` only, from a :class:`ClientAccount` whose
    converters had already validated and normalized every value, and the
    converters are idempotent: run again, they return what they are given
    (``tests/storage/test_account_read.py`` checks, with hypothesis, that this
    builds what the constructors build). A value altered, forged or moved
    from another row or column does not decrypt; an older ciphertext of the
    same field was validated when it was written too. What is not sealed is
    validated as the constructor would: the account id, language, status and
    creation time. Tightening a validator therefore needs a migration that
    re-validates stored accounts, since this path does not re-check them.
    """
    if not (
        type(personal) is dict
        and personal.keys() == _PERSONAL_KEYS
        and type(contact) is dict
        and contact.keys() == _CONTACT_KEYS
    ):
        return None
    family_name = personal["family_name"]
    given_names = personal["given_names"]
    born = personal["date_of_birth"]
    email = contact["email"]
    phone = contact["phone"]
    address = contact["mailing_address"]
    if not (
        type(family_name) is str
        and type(given_names) in _STR_OR_NONE
        and type(born) is str
        and type(email) is str
        and type(phone) in _STR_OR_NONE
        and type(address) in _STR_OR_NONE
        and type(uci) in _STR_OR_NONE
    ):
        return None
    try:
        date_of_birth = dt.date.fromisoformat(born)
    except ValueError:
        return None
    p = _new(PersonalDetails)
    _set(p, "family_name", family_name)
    _set(p, "given_names", given_names)
    _set(p, "date_of_birth", date_of_birth)
    c = _new(ContactDetails)
    _set(c, "email", email)
    _set(c, "phone", phone)
    _set(c, "mailing_address", address)
    preferred_language = _LANGUAGES.get(language)
    if preferred_language is None:
        preferred_language = v.choice("preferred_language", Language, language)
    account_status = _STATUSES.get(status)
    if account_status is None:
        account_status = v.choice("status", AccountStatus, status)
    a = _new(ClientAccount)
    _set(a, "account_id", v.identifier("account_id", account_id))
    _set(a, "personal", p)
    _set(a, "contact", c)
    _set(a, "preferred_language", preferred_language)
    _set(a, "uci", uci)
    _set(a, "status", account_status)
    _set(a, "created_at", v.instant("created_at", created_at))
    return a


class _Credentials:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    @staticmethod
    def _from_row(row: Any) -> LinkedCredential:
        return LinkedCredential(
            account_id=row.account_id,
            issuer=row.issuer,
            subject=row.subject,
            assurance=AssuranceLevel(row.assurance),
            linked_at=row.linked_at,
            last_login_at=row.last_login_at,
        )

    def link(self, credential: LinkedCredential) -> None:
        c = credential
        self._uow.execute(
            t.credentials.insert().values(
                issuer=c.issuer,
                subject=c.subject,
                account_id=c.account_id,
                assurance=int(c.assurance),
                linked_at=c.linked_at,
                last_login_at=c.last_login_at,
            ),
            "credential",
        )

    def find(self, issuer: str, subject: str) -> LinkedCredential | None:
        row = self._uow.execute(
            sa.select(t.credentials).where(
                t.credentials.c.issuer == issuer, t.credentials.c.subject == subject
            ),
            "credential",
        ).first()
        return None if row is None else self._from_row(row)

    def for_account(self, account_id: str) -> Sequence[LinkedCredential]:
        rows = self._uow.execute(
            sa.select(t.credentials)
            .where(t.credentials.c.account_id == account_id)
            .order_by(t.credentials.c.linked_at),
            "credential",
        ).all()
        return [self._from_row(r) for r in rows]

    def record_login(
        self, issuer: str, subject: str, *, at: dt.datetime, assurance: AssuranceLevel
    ) -> None:
        result = self._uow.execute(
            _RECORD_LOGIN,
            "credential",
            b_issuer=issuer,
            b_subject=subject,
            b_at=at,
            b_assurance=int(assurance),
        )
        if result.rowcount != 1:
            raise NotFound(kind="credential")

    def sign_in(
        self, issuer: str, subject: str, *, at: dt.datetime, assurance: AssuranceLevel
    ) -> SignIn | None:
        row = self._uow.execute(_SIGN_IN, "credential", issuer=issuer, subject=subject).first()
        if row is None:
            return None
        if row.status != AccountStatus.ACTIVE.value:
            return SignIn(account_id=row.account_id, active=False)
        self.record_login(issuer, subject, at=at, assurance=assurance)
        if row.wrapped_key is not None:
            # Prime the unit's key cache: the caller seals with it next.
            self._uow.data_key(
                row.account_id, WrappedDataKey(kek_id=row.kek_id, blob=row.wrapped_key)
            )
        return SignIn(account_id=row.account_id, active=True)

    def unlink(self, issuer: str, subject: str) -> None:
        c = t.credentials.c
        result = self._uow.execute(
            t.credentials.delete().where(c.issuer == issuer, c.subject == subject), "credential"
        )
        if result.rowcount != 1:
            raise NotFound(kind="credential")


class _LegacyFiles:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def link(self, legacy_file: LinkedLegacyFile) -> None:
        f = legacy_file
        self._uow.execute(
            t.legacy_files.insert().values(
                system=f.system,
                file_number=f.file_number,
                account_id=f.account_id,
                linked_at=f.linked_at,
            ),
            "legacy file",
        )

    def find(self, system: str, file_number: str) -> LinkedLegacyFile | None:
        c = t.legacy_files.c
        row = self._uow.execute(
            sa.select(t.legacy_files).where(c.system == system, c.file_number == file_number),
            "legacy file",
        ).first()
        return None if row is None else LinkedLegacyFile(**row._mapping)

    def for_account(self, account_id: str) -> Sequence[LinkedLegacyFile]:
        c = t.legacy_files.c
        rows = self._uow.execute(
            sa.select(t.legacy_files).where(c.account_id == account_id).order_by(c.linked_at),
            "legacy file",
        ).all()
        return [LinkedLegacyFile(**r._mapping) for r in rows]
