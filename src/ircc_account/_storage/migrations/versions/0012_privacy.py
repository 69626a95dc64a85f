"""
Privacy: item references, titles and timeline summaries sealed; blind
indexes that erasure clears; the blind-index normalization version.

The clear columns stay (nullable) for rows written before this revision:
sealing them needs the keyring, which migrations never have.
``SqlStore.seal_plaintext_rows`` (run by ``SqlStore.migrate``) moves them
into the sealed columns and re-indexes emails. Already-erased accounts lose
their blind indexes here.

Revision ID: 0012_privacy
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError

revision = "0012_privacy"
down_revision = "0001_foundation"
branch_labels = ("privacy",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column("email_index", existing_type=sa.LargeBinary(32), nullable=True)
        batch.add_column(sa.Column("index_version", sa.SmallInteger(), nullable=True))
    with op.batch_alter_table("items") as batch:
        batch.drop_constraint("uq_items_service_reference", type_="unique")
        batch.alter_column("reference", existing_type=sa.String(128), nullable=True)
        batch.alter_column("title_en", existing_type=sa.Text(), nullable=True)
        batch.alter_column("title_fr", existing_type=sa.Text(), nullable=True)
        batch.add_column(sa.Column("details_ct", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("reference_index", sa.LargeBinary(32), nullable=True))
        batch.create_unique_constraint("uq_items_reference_index", ["reference_index"])
    with op.batch_alter_table("timeline_events") as batch:
        batch.alter_column("summary_en", existing_type=sa.Text(), nullable=True)
        batch.alter_column("summary_fr", existing_type=sa.Text(), nullable=True)
        batch.alter_column("actor_label", existing_type=sa.String(100), nullable=True)
        batch.add_column(sa.Column("summary_ct", sa.LargeBinary(), nullable=True))
    # What SqlStore.seal_plaintext_rows looks for, at every migrate: partial
    # indexes, empty once it is done.
    for name, table, key, column in (
        ("ix_accounts_unindexed", "accounts", "account_id", "index_version"),
        ("ix_items_unsealed", "items", "item_id", "details_ct"),
        ("ix_timeline_events_unsealed", "timeline_events", "event_id", "summary_ct"),
    ):
        condition = sa.column(column).is_(None)
        op.create_index(name, table, [key], sqlite_where=condition, postgresql_where=condition)
    # An account whose data key is gone was erased: nothing may find it by
    # its UCI or email any more, and its items' clear text goes too.
    op.execute(
        "UPDATE accounts SET uci_index = NULL, email_index = NULL "
        "WHERE account_id NOT IN (SELECT account_id FROM account_keys)"
    )
    op.execute(
        "UPDATE timeline_events SET summary_en = NULL, summary_fr = NULL, actor_label = NULL "
        "WHERE item_id IN (SELECT item_id FROM items "
        "WHERE account_id NOT IN (SELECT account_id FROM account_keys))"
    )
    op.execute(
        "UPDATE items SET reference = NULL, title_en = NULL, title_fr = NULL "
        "WHERE account_id NOT IN (SELECT account_id FROM account_keys)"
    )


def downgrade() -> None:
    # Without the keyring, sealed references, titles and summaries cannot be
    # put back in the clear columns the older schema requires.
    raise CommandError("0012_privacy cannot be downgraded: its sealed data needs the keyring")
