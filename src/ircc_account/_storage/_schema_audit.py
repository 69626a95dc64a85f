"""
Tables of the audit subsystem, on the shared :data:`~ircc_account._storage._schema.metadata`.

* ``audit_entries``: the append-only log, one hash chain per partition (a
  client's id, or ``~system`` for entries about no client), keyed by
  (partition, seq), which is also how a client's entries are read (no
  other index but the entry id's). Update and delete are refused by
  triggers (SEC-63).
* ``audit_heads``: each partition's current head, updated in the same
  transaction as the entries; its row lock serializes appends to one chain
  (SEC-89). A cache: verification never trusts it.
* ``audit_checkpoints`` and ``audit_checkpoint_heads``: signed checkpoints
  (append-only) and the partition heads that changed since the previous one.
* ``audit_checkpointed``: the heads the latest checkpoint covered, so the next
  one writes only what changed. A cache as well.

Its Alembic migrations form the ``audit`` branch off ``0001_foundation``;
``0011a_audit_append`` adds the PostgreSQL function ``ircc_audit_append``,
which appends a batch in one call (one round trip).
"""

from __future__ import annotations

import sqlalchemy as sa

from ircc_account._storage._schema_base import ID, Instant, metadata

__all__ = [
    "PARTITION",
    "audit_checkpoint_heads",
    "audit_checkpointed",
    "audit_checkpoints",
    "audit_entries",
    "audit_heads",
    "metadata",
]

#: A partition id: a client id (``ID``) or ``~system``.
PARTITION = sa.String(130)
HASH = sa.LargeBinary(32)

audit_entries = sa.Table(
    "audit_entries",
    metadata,
    sa.Column("partition", PARTITION, primary_key=True),
    sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("entry_id", sa.String(64), nullable=False, unique=True),
    sa.Column("format", sa.SmallInteger(), nullable=False),
    sa.Column("occurred_at", Instant(), nullable=False),
    sa.Column("actor_id", ID, nullable=False),
    sa.Column("capacity", sa.String(16), nullable=False),
    sa.Column("action", ID, nullable=False),
    sa.Column("client_id", ID, nullable=True),
    sa.Column("item_id", ID, nullable=True),
    sa.Column("service_id", ID, nullable=True),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("grant_id", ID, nullable=True),
    sa.Column("organisation_id", ID, nullable=True),
    sa.Column("on_behalf_of", ID, nullable=True),
    sa.Column("correlation_id", ID, nullable=True),
    sa.Column("source_ip", sa.String(45), nullable=True),
    sa.Column("prev_hash", HASH, nullable=False),
    sa.Column("entry_hash", HASH, nullable=False),
    sa.CheckConstraint("seq >= 1", name="seq_positive"),
    sqlite_with_rowid=False,
)

audit_heads = sa.Table(
    "audit_heads",
    metadata,
    sa.Column("partition", PARTITION, primary_key=True),
    sa.Column("seq", sa.BigInteger(), nullable=False),
    sa.Column("head_hash", HASH, nullable=False),
    sa.Column("head_time", sa.BigInteger(), nullable=False),
)

audit_checkpoints = sa.Table(
    "audit_checkpoints",
    metadata,
    sa.Column("checkpoint_no", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("format", sa.SmallInteger(), nullable=False),
    sa.Column("created_at", sa.BigInteger(), nullable=False),
    sa.Column("partitions", sa.BigInteger(), nullable=False),
    sa.Column("entries", sa.BigInteger(), nullable=False),
    sa.Column("root", HASH, nullable=False),
    sa.Column("key_id", ID, nullable=False),
    sa.Column("signature", sa.LargeBinary(64), nullable=False),
)

audit_checkpoint_heads = sa.Table(
    "audit_checkpoint_heads",
    metadata,
    sa.Column("checkpoint_no", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("partition", PARTITION, primary_key=True),
    sa.Column("seq", sa.BigInteger(), nullable=False),
    sa.Column("head_hash", HASH, nullable=False),
    sa.Index("ix_audit_checkpoint_heads_partition", "partition", "checkpoint_no"),
)

audit_checkpointed = sa.Table(
    "audit_checkpointed",
    metadata,
    sa.Column("partition", PARTITION, primary_key=True),
    sa.Column("seq", sa.BigInteger(), nullable=False),
    sa.Column("head_hash", HASH, nullable=False),
)
