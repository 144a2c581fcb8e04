"""Alembic's environment for the app database: always run from code (appdb.migrate), which
passes an open connection already inside the transaction that holds the migration lock."""

from __future__ import annotations

from alembic import context

from appdb.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run the app database's migrations through appdb (AppDb.upgrade or any `northstar` "
        "command), not the alembic command line"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite alters tables by copying them; batch mode does that
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
