"""
The one relational schema, shared by the SQLite and PostgreSQL adapters.

Times are stored as integer microseconds since the Unix epoch in UTC
(:class:`Instant`): exact, sortable, and identical on both databases.
Personal data never has a plaintext column (rows from before ``0012_privacy``
keep their item references, titles and timeline summaries in clear until
:meth:`SqlStore.seal_plaintext_rows` seals them): it lives in ``*_ct`` columns
(AES-256-GCM, see ``docs/data-at-rest.md``) and is found through keyed blind
indexes (``*_index``).

These are the foundation tables. Each subsystem adds its own to the shared
:data:`metadata` from its own module (see :mod:`._schema_base`) and ships its
own Alembic branch; :mod:`._schema_all` gathers them all.
"""

from __future__ import annotations

import sqlalchemy as sa

from ircc_account._storage._schema_base import ID, Instant, metadata

__all__ = ["ID", "Instant", "metadata"]

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("account_id", ID, primary_key=True),
    # Blind indexes; both NULL once the account's personal data is erased, so
    # an erased person's UCI or email answers a lookup as an unknown one does.
    sa.Column("uci_index", sa.LargeBinary(32), nullable=True, unique=True),
    sa.Column("email_index", sa.LargeBinary(32), nullable=True, index=True),
    sa.Column("preferred_language", sa.String(2), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", Instant(), nullable=False),
    sa.Column("personal_ct", sa.LargeBinary(), nullable=False),
    sa.Column("contact_ct", sa.LargeBinary(), nullable=False),
    sa.Column("uci_ct", sa.LargeBinary(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    # Which normalization the blind indexes were computed with: NULL before
    # 0012_privacy (email case-folded), INDEX_VERSION since.
    sa.Column("index_version", sa.SmallInteger(), nullable=True),
)

#: The blind-index normalization new and re-indexed accounts carry.
INDEX_VERSION = 2

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
    # Rows written before 0012_privacy only: their reference and title in
    # clear until SqlStore.seal_plaintext_rows moves them into details_ct.
    sa.Column("reference", ID, nullable=True),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("title_en", sa.Text(), nullable=True),
    sa.Column("title_fr", sa.Text(), nullable=True),
    # The reference and the title, sealed with the account's data key.
    sa.Column("details_ct", sa.LargeBinary(), nullable=True),
    # Blind index of (service, reference): one item per reference in a
    # service. NULL once the account's personal data is erased.
    sa.Column("reference_index", sa.LargeBinary(32), nullable=True, unique=True),
    sa.Column("document_ct", sa.LargeBinary(), nullable=True),
    sa.Column("created_at", Instant(), nullable=False),
    sa.Column("updated_at", Instant(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
)

timeline_events = sa.Table(
    "timeline_events",
    metadata,
    sa.Column("event_id", ID, primary_key=True),
    sa.Column("item_id", ID, sa.ForeignKey("items.item_id"), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("occurred_at", Instant(), nullable=False),
    sa.Column("state", sa.String(32), nullable=True),
    # Rows written before 0012_privacy only, until sealed into summary_ct.
    sa.Column("summary_en", sa.Text(), nullable=True),
    sa.Column("summary_fr", sa.Text(), nullable=True),
    sa.Column("actor_label", sa.String(100), nullable=True),
    # The summary and actor label, sealed with the item's account's data key.
    sa.Column("summary_ct", sa.LargeBinary(), nullable=True),
    sa.Index("ix_timeline_events_item_time", "item_id", "occurred_at"),
)

# A service plugin's own records (drafts, answers), per client: the value
# sealed with the client's data key, bound to (plugin, client, key).
plugin_records = sa.Table(
    "plugin_records",
    metadata,
    sa.Column("account_id", ID, sa.ForeignKey("accounts.account_id"), primary_key=True),
    sa.Column("service_id", ID, primary_key=True),
    sa.Column("record_key", ID, primary_key=True),
    sa.Column("value_ct", sa.LargeBinary(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("created_at", Instant(), nullable=False),
    sa.Column("updated_at", Instant(), nullable=False),
)


def _unsealed(name: str, table: sa.Table, key: str, condition: sa.ColumnElement[bool]) -> sa.Index:
    """
    A partial index of the rows SqlStore.seal_plaintext_rows has left, so that
    looking for them (at every migrate) costs nothing once there are none.
    """
    return sa.Index(name, table.c[key], sqlite_where=condition, postgresql_where=condition)


_unsealed("ix_accounts_unindexed", accounts, "account_id", accounts.c.index_version.is_(None))
_unsealed("ix_items_unsealed", items, "item_id", items.c.details_ct.is_(None))
_unsealed(
    "ix_timeline_events_unsealed",
    timeline_events,
    "event_id",
    timeline_events.c.summary_ct.is_(None),
)
