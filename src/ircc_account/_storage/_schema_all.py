"""
The whole schema: the foundation tables and every subsystem's, on one
:data:`metadata` (for migrations and the schema-matches-metadata check).
"""

from __future__ import annotations

from ircc_account._storage import (
    _schema,
    _schema_audit,
    _schema_delegation,
    _schema_identity,
    _schema_notify,
    _schema_status,
)
from ircc_account._storage._schema_base import metadata

__all__ = ["metadata"]

#: The modules whose tables are on :data:`metadata`.
TABLE_MODULES = (
    _schema,
    _schema_audit,
    _schema_delegation,
    _schema_identity,
    _schema_notify,
    _schema_status,
)
