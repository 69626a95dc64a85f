"""
What every table module shares: the metadata, its naming convention, and
the column types (:class:`Instant`, ``ID``).

The foundation tables (:mod:`._schema`) and each subsystem's tables
(``_schema_audit``, ``_schema_delegation``, ``_schema_identity``) register on
:data:`metadata` from their own modules; :mod:`._schema_all` imports them all
for migrations and schema checks.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = ["ID", "Instant", "metadata", "naming_convention"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=naming_convention)


class Instant(sa.types.TypeDecorator[dt.datetime]):
    """
    A timezone-aware datetime stored as microseconds since the epoch (UTC).
    """

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are never stored")
        delta = value - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds

    def process_result_value(self, value: int | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return _EPOCH + dt.timedelta(microseconds=value)


ID = sa.String(128)
