"""
Alembic environment for ircc_account's schema.

Migrations run only programmatically (``Store.migrate()`` or
``ircc-account db upgrade``), on a connection the store hands over in
``config.attributes["connection"]``; ``config.attributes["on_version_apply"]``
optionally holds callbacks run after each revision (progress reports).
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
    on_version_apply=context.config.attributes.get("on_version_apply", ()),
)
with context.begin_transaction():
    context.run_migrations()
