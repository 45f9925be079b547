"""Alembic environment: runs on the connection handed over by ``moodtune.store.migrate``.

The caller owns the transaction (so the whole upgrade is one all-or-nothing unit, on PostgreSQL
behind an advisory lock and on SQLite behind ``BEGIN IMMEDIATE``); this file only configures
the migration context. Offline (``--sql``) mode is supported for reviewing the DDL.
"""

from __future__ import annotations

from alembic import context

from moodtune.store.tables import metadata

config = context.config


def run_offline() -> None:
    """Emit the DDL as SQL text instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on ``config.attributes["connection"]``."""
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "moodtune migrations run through moodtune.store.migrate.upgrade(), "
            "which provides the connection"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
