"""
Representatives' names sealed: ``display_name_ct`` holds the name sealed
with the data key of the representative's own login account, so erasing
that account makes the name unreadable with the rest of their personal data.

The clear column stays (nullable) for rows written before this revision:
sealing them needs the keyring, which migrations never have.
``SqlStore.seal_plaintext_rows`` (run by ``SqlStore.migrate``) moves them
into the sealed column.

Revision ID: 0019_rep_names
Revises: 0011_delegation_review
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError

revision = "0019_rep_names"
down_revision = "0011_delegation_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("representatives") as batch:
        batch.alter_column("display_name", existing_type=sa.String(150), nullable=True)
        batch.add_column(sa.Column("display_name_ct", sa.LargeBinary(), nullable=True))
    condition = sa.column("display_name_ct").is_(None)
    op.create_index(
        "ix_representatives_unsealed",
        "representatives",
        ["representative_id"],
        sqlite_where=condition,
        postgresql_where=condition,
    )
    # A representative whose login account was erased keeps no name in clear.
    op.execute(
        "UPDATE representatives SET display_name = NULL, display_name_ct = ''"
        " WHERE account_id NOT IN (SELECT account_id FROM account_keys)"
    )


def downgrade() -> None:
    # Without the keyring, sealed names cannot be put back in the clear
    # column the older schema requires.
    raise CommandError("0019_rep_names cannot be downgraded: its sealed names need the keyring")
