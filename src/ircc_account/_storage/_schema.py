"""
The one relational schema, shared by the SQLite and PostgreSQL adapters.

Times are stored as integer microseconds since the Unix epoch in UTC
(:class:`Instant`): exact, sortable, and identical on both databases.
Personal data never has a plaintext column: it lives in ``*_ct`` columns
(AES-256-GCM, see ``docs/data-at-rest.md``) and is found through keyed blind
indexes (``*_index``).

Each subsystem adds its tables to :data:`metadata` from its own module,
imported at the bottom of this one, and ships its own Alembic branch.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = ["Instant", "metadata"]

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

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("account_id", ID, primary_key=True),
    sa.Column("uci_index", sa.LargeBinary(32), nullable=True, unique=True),
    sa.Column("email_index", sa.LargeBinary(32), nullable=False, index=True),
    sa.Column("preferred_language", sa.String(2), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", Instant(), nullable=False),
    sa.Column("personal_ct", sa.LargeBinary(), nullable=False),
    sa.Column("contact_ct", sa.LargeBinary(), nullable=False),
    sa.Column("uci_ct", sa.LargeBinary(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
)

account_keys = sa.Table(
    "account_keys",
    metadata,
    sa.Column(
        "account_id",
        ID,
        sa.ForeignKey("accounts.account_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("kek_id", sa.String(64), nullable=False, index=True),
    sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", Instant(), nullable=False),
)

credentials = sa.Table(
    "credentials",
    metadata,
    sa.Column("issuer", sa.String(255), primary_key=True),
    sa.Column("subject", sa.String(255), primary_key=True),
    sa.Column("account_id", ID, sa.ForeignKey("accounts.account_id"), nullable=False, index=True),
    sa.Column("assurance", sa.SmallInteger(), nullable=False),
    sa.Column("linked_at", Instant(), nullable=False),
    sa.Column("last_login_at", Instant(), nullable=True),
)

legacy_files = sa.Table(
    "legacy_files",
    metadata,
    sa.Column("system", ID, primary_key=True),
    sa.Column("file_number", ID, primary_key=True),
    sa.Column("account_id", ID, sa.ForeignKey("accounts.account_id"), nullable=False, index=True),
    sa.Column("linked_at", Instant(), nullable=False),
)

items = sa.Table(
    "items",
    metadata,
    sa.Column("item_id", ID, primary_key=True),
    sa.Column("account_id", ID, sa.ForeignKey("accounts.account_id"), nullable=False, index=True),
    sa.Column("service_id", ID, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("reference", ID, nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("title_en", sa.Text(), nullable=False),
    sa.Column("title_fr", sa.Text(), nullable=False),
    sa.Column("document_ct", sa.LargeBinary(), nullable=True),
    sa.Column("created_at", Instant(), nullable=False),
    sa.Column("updated_at", Instant(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.UniqueConstraint("service_id", "reference", name="uq_items_service_reference"),
)

timeline_events = sa.Table(
    "timeline_events",
    metadata,
    sa.Column("event_id", ID, primary_key=True),
    sa.Column("item_id", ID, sa.ForeignKey("items.item_id"), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("occurred_at", Instant(), nullable=False),
    sa.Column("state", sa.String(32), nullable=True),
    sa.Column("summary_en", sa.Text(), nullable=False),
    sa.Column("summary_fr", sa.Text(), nullable=False),
    sa.Column("actor_label", sa.String(100), nullable=False),
    sa.Index("ix_timeline_events_item_time", "item_id", "occurred_at"),
)

# Each subsystem registers its tables on ``metadata`` from its own module.
from ircc_account._storage import (  # noqa: E402
    _schema_audit,  # noqa: F401
    _schema_delegation,  # noqa: F401
    _schema_identity,  # noqa: F401
)
