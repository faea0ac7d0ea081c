"""Alembic's environment: migrations run only through bot.store.migrate, on the connection it passes in
`config.attributes["connection"]` (already inside a transaction and holding the migration lock)."""

from __future__ import annotations

from alembic import context

from bot.store.migrate import include_name
from bot.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run the migrations with `trolyso db upgrade` (bot.store.migrate), not the alembic command")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite alters a table by copying it: batch operations do that for later migrations (and autogenerate)
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,  # Rasa's tracker store tables (bot.store.migrate.FOREIGN_TABLES)
)
with context.begin_transaction():
    context.run_migrations()
