"""
The status tracker's processing-time histograms (the ``status`` branch,
``0014_status``): department-wide counts, no client data.

Each row counts the items of one program whose decision fell in one 30-day
period, by how long they took from entering a phase at an office to the
decision, in one duration bin. The built-in status tracker adds to them on
every decision and reads the last few periods to estimate an item's time
left, so an estimate never scans the history (``docs/services/status.md``).
"""

from __future__ import annotations

import sqlalchemy as sa

from ircc_account._storage._schema_base import ID, metadata

__all__ = ["status_time_bins"]

status_time_bins = sa.Table(
    "status_time_bins",
    metadata,
    sa.Column("program", ID, primary_key=True),
    sa.Column("phase", sa.String(32), primary_key=True),
    sa.Column("office", ID, primary_key=True),
    # Days since the epoch // 30 of the decision.
    sa.Column("period", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("bin", sa.SmallInteger(), primary_key=True, autoincrement=False),
    sa.Column("count", sa.BigInteger(), nullable=False),
)
