"""
Tables of the delegation subsystem, on the shared :data:`~ircc_account._storage._schema.metadata`.

Its Alembic migrations form the ``delegation`` branch off ``0001_foundation``.
"""

from __future__ import annotations

from ircc_account._storage._schema import metadata

__all__ = ["metadata"]
