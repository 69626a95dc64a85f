"""
Audit: the append-only, hash-chained log, partition heads and signed checkpoints.

Append-only (SEC-63) is enforced in the database: SQLite triggers and a
PostgreSQL trigger function refuse UPDATE and DELETE on ``audit_entries``,
``audit_checkpoints`` and ``audit_checkpoint_heads``. (The application role
owns its tables, so REVOKE would not bind it.)

Revision ID: 0003_audit
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_audit"
down_revision = "0001_foundation"
branch_labels = ("audit",)
depends_on = None

ID = sa.String(128)
PARTITION = sa.String(130)
HASH = sa.LargeBinary(32)
INSTANT = sa.BigInteger()

APPEND_ONLY = ("audit_entries", "audit_checkpoints", "audit_checkpoint_heads")


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("partition", PARTITION, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("format", sa.SmallInteger(), nullable=False),
        sa.Column("occurred_at", INSTANT, nullable=False),
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
        sa.PrimaryKeyConstraint("partition", "seq", name="pk_audit_entries"),
        sa.UniqueConstraint("entry_id", name="uq_audit_entries_entry_id"),
        sa.CheckConstraint("seq >= 1", name="ck_audit_entries_seq_positive"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_audit_entries_client_time", "audit_entries", ["client_id", "occurred_at"])
    op.create_table(
        "audit_heads",
        sa.Column("partition", PARTITION, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", HASH, nullable=False),
        sa.Column("head_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("partition", name="pk_audit_heads"),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("checkpoint_no", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("format", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("partitions", sa.BigInteger(), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("root", HASH, nullable=False),
        sa.Column("key_id", ID, nullable=False),
        sa.Column("signature", sa.LargeBinary(64), nullable=False),
        sa.PrimaryKeyConstraint("checkpoint_no", name="pk_audit_checkpoints"),
    )
    op.create_table(
        "audit_checkpoint_heads",
        sa.Column("checkpoint_no", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("partition", PARTITION, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", HASH, nullable=False),
        sa.PrimaryKeyConstraint("checkpoint_no", "partition", name="pk_audit_checkpoint_heads"),
    )
    op.create_index(
        "ix_audit_checkpoint_heads_partition",
        "audit_checkpoint_heads",
        ["partition", "checkpoint_no"],
    )
    op.create_table(
        "audit_checkpointed",
        sa.Column("partition", PARTITION, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", HASH, nullable=False),
        sa.PrimaryKeyConstraint("partition", name="pk_audit_checkpointed"),
    )
    _append_only_triggers()


def _append_only_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        return
    op.execute(
        "CREATE FUNCTION ircc_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME "
        "USING ERRCODE = 'insufficient_privilege'; END $$"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION ircc_audit_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ircc_audit_append_only()")
    for table in (
        "audit_checkpointed",
        "audit_checkpoint_heads",
        "audit_checkpoints",
        "audit_heads",
        "audit_entries",
    ):
        op.drop_table(table)
