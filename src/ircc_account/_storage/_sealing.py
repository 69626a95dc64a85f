"""
What the SQL repositories share: statements compiled once per dialect for
the DBAPI cursor, and JSON values sealed under an account's data key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from ircc_account._crypto import DataKey, Keyring, WrappedDataKey
from ircc_account._storage import _schema as t
from ircc_account.errors import DecryptionFailed, PersonalDataErased

__all__ = [
    "INSTANT",
    "FetchingUnit",
    "Prebuilt",
    "decode_sealed",
    "open_sealed",
    "representative_name",
    "seal",
    "seal_representative_name",
]


class FetchingUnit(Protocol):
    """
    What the repositories use of ``SqlUnitOfWork`` (named here so that the
    modules holding them need not import it).
    """

    keyring: Keyring
    connection: sa.Connection

    def execute(self, statement: sa.Executable, kind: str, **params: Any) -> sa.CursorResult[Any]:
        """Execute *statement*, translating driver errors."""
        ...

    def _fetch(self, query: Prebuilt, kind: str, **params: Any) -> Sequence[Any]:
        """Run a prebuilt SELECT on the DBAPI cursor; its rows as tuples."""
        ...

    def data_key(self, account_id: str, wrapped: WrappedDataKey | None = None) -> DataKey:
        """The account's unwrapped data key, cached for the unit."""
        ...


#: Decodes the integer a raw read returns for an Instant column.
INSTANT = t.Instant()


class Prebuilt:
    """
    A Core SELECT compiled once per dialect, for ``SqlUnitOfWork._fetch``.

    The account read path runs on the DBAPI cursor: there, SQLAlchemy's
    statement execution and Row objects cost several times the query itself.
    The SQL is still compiled from the Core statement (names from the schema,
    every value a bound parameter, passed to the driver apart from the SQL).
    Rows come back as plain tuples in the statement's column order, without
    SQLAlchemy's result processing: an :class:`~._schema.Instant` column is its
    integer, and parameters get no bind processing (use ``str`` and ``bytes``).
    """

    __slots__ = ("_by_dialect", "statement")

    def __init__(self, statement: sa.Select[Any]) -> None:
        self.statement = statement
        self._by_dialect: dict[tuple[type[Dialect], str], tuple[str, tuple[str, ...] | None]] = {}

    def bind(self, dialect: Dialect, params: dict[str, Any]) -> tuple[str, Any]:
        """
        The SQL for *dialect* and its parameters in the driver's style.
        """
        key = (type(dialect), dialect.paramstyle)
        built = self._by_dialect.get(key)
        if built is None:
            compiled = self.statement.compile(dialect=dialect)
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            built = self._by_dialect[key] = (compiled.string, order)
        sql, order = built
        return sql, params if order is None else tuple(params[name] for name in order)


def seal(
    key: DataKey, table: str, column: str, record_id: str, account_id: str, data: Any
) -> bytes:
    # ensure_ascii (the default): the payload is ASCII, so open_sealed decodes it strictly.
    payload = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return key.encrypt_field(payload, table, column, record_id, account_id)


def open_sealed(
    key: DataKey, table: str, column: str, record_id: str, account_id: str, blob: bytes
) -> Any:
    return decode_sealed(key.decrypt_field(blob, table, column, record_id, account_id))


#: json.loads's own scanner, called without its Python wrapper (what seal
#: writes has no surrounding whitespace). Stateless between calls.
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def decode_sealed(plain: bytes) -> Any:
    """
    The JSON value of a decrypted payload, exactly as ``json.loads`` gives it.

    Raises:
        DecryptionFailed: not UTF-8, or not JSON.
    """
    try:
        # A str goes straight to the C scanner; bytes would first be sniffed for UTF-16/32.
        text = plain.decode("utf-8")
        try:
            value, end = _SCAN(text, 0)
        except StopIteration:
            end = -1
        if end == len(text):
            return value
        # Whitespace around the value, or something after it: as json.loads decides.
        return json.loads(text)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError included
        raise DecryptionFailed() from None


class _KeyedUnit(Protocol):
    def data_key(self, account_id: str, wrapped: WrappedDataKey | None = None) -> DataKey:
        """The account's unwrapped data key."""
        ...


def seal_representative_name(
    uow: _KeyedUnit, representative_id: str, account_id: str, name: str
) -> bytes:
    """
    A representative's name sealed with the data key of their own login
    account (``representatives.display_name_ct``): erasing that account's
    personal data makes the name unreadable with the rest of it.
    """
    key = uow.data_key(account_id)
    return seal(key, "representatives", "display_name", representative_id, account_id, name)


def representative_name(
    uow: _KeyedUnit,
    representative_id: str,
    account_id: str,
    clear: str | None,
    sealed: bytes | None,
    wrapped: WrappedDataKey | None = None,
) -> str:
    """
    A representative's name from its row: the sealed name opened; a row
    from before ``0019_rep_names`` not sealed yet gives its clear name; once
    the login account's personal data is erased, the representative's
    identifier stands in for the name. *wrapped* is the account's wrapped
    data key when the caller read it with the row (saves a query).
    """
    if sealed is None:
        return clear if clear is not None else representative_id
    if not sealed:
        return representative_id
    try:
        key = uow.data_key(account_id, wrapped)
    except PersonalDataErased:
        return representative_id
    name = open_sealed(
        key, "representatives", "display_name", representative_id, account_id, bytes(sealed)
    )
    if not isinstance(name, str):
        raise DecryptionFailed()
    return name
