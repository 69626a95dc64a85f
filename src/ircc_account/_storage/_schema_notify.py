"""
The notifications outbox (the ``notify`` branch, ``i16n_notify_outbox``):
identifiers only, never a recipient's address or name.

Each row is one notification owed for one audited change, written in the
change's own unit of work (SEC-85) by the outbox's audit observer, and
delivered later by the delivery worker, which resolves and decrypts the
recipients only when it sends (``docs/services/notifications.md``).
"""

from __future__ import annotations

import sqlalchemy as sa

from ircc_account._storage._schema_base import ID, metadata

__all__ = ["notify_outbox"]

notify_outbox = sa.Table(
    "notify_outbox",
    metadata,
    sa.Column("message_id", ID, primary_key=True),
    # Derived from the audit entry's id: one message per audited change, ever.
    sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("client_id", ID, nullable=False),
    sa.Column("service_id", ID, nullable=True),
    sa.Column("item_id", ID, nullable=True),
    sa.Column("grant_id", ID, nullable=True),
    sa.Column("entry_id", ID, nullable=False),
    # Microseconds since the epoch, UTC.
    sa.Column("created_at", sa.BigInteger(), nullable=False),
    # pending, retrying, sent, dead_lettered, skipped.
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    # When the row is next due; while claimed, the end of the worker's lease.
    sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
    # A code ("http_429", "connection", "erased"), never a response body.
    sa.Column("last_error", sa.String(32), nullable=True),
    # The recipients (account ids) already sent to, comma-separated.
    sa.Column("sent_to", sa.Text(), nullable=False),
    sa.Column("updated_at", sa.BigInteger(), nullable=False),
    sa.Index("ix_notify_outbox_due", "state", "next_attempt_at"),
    sa.Index("ix_notify_outbox_grant", "grant_id"),
)
