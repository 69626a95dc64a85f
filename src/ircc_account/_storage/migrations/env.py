"""
Alembic environment for ircc_account's schema.

Migrations run only programmatically (``Store.migrate()`` or
``ircc-account db upgrade``), on a connection the store hands over in
``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from ircc_account._storage._schema_all import metadata

VERSION_TABLE = "ircc_schema_version"

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
