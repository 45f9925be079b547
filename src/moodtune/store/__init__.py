"""Persistence: SQLAlchemy engine, schema, Alembic migrations and repository functions.

The embedded default is SQLite in ``Settings.data_dir``; ``MOODTUNE_DATABASE_URL`` selects
PostgreSQL. ``open_database()`` creates and migrates the database on first use. Only the
repository functions (``moodtune.store.repository``) issue SQL.
"""

from __future__ import annotations

from sqlalchemy import Engine

from moodtune.store.engine import (
    WalCheckpoint,
    checkpoint_wal,
    database_url,
    dispose_engines,
    get_engine,
    make_engine,
    open_database,
    read_transaction,
    single_read,
    write_transaction,
)
from moodtune.store.records import (
    CheckInRecord,
    FeedbackRecord,
    ListenerRecord,
    PlaylistExportRecord,
    SessionRecord,
    SessionTrack,
)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (Alembic is imported only when needed)."""
    from moodtune.store import migrate

    migrate.upgrade(engine, revision)


def current_revision(engine: Engine) -> str | None:
    """The migration revision the database is at (``None`` when empty)."""
    from moodtune.store import migrate

    return migrate.current_revision(engine)


def head_revision() -> str:
    """The newest migration revision this package ships."""
    from moodtune.store import migrate

    return migrate.head_revision()


__all__ = [
    "CheckInRecord",
    "FeedbackRecord",
    "ListenerRecord",
    "PlaylistExportRecord",
    "SessionRecord",
    "SessionTrack",
    "WalCheckpoint",
    "checkpoint_wal",
    "current_revision",
    "database_url",
    "dispose_engines",
    "get_engine",
    "head_revision",
    "make_engine",
    "open_database",
    "read_transaction",
    "single_read",
    "upgrade",
    "write_transaction",
]
