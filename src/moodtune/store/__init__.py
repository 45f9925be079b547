"""Persistence: SQLAlchemy engine, schema, Alembic migrations and repository functions.

The embedded default is SQLite in ``Settings.data_dir``; ``MOODTUNE_DATABASE_URL`` selects
PostgreSQL. ``open_database()`` creates and migrates the database on first use. Only the
repository functions (``moodtune.store.repository``) issue SQL.
"""

from __future__ import annotations

from moodtune.store.engine import (
    database_url,
    dispose_engines,
    get_engine,
    make_engine,
    open_database,
    read_transaction,
    write_transaction,
)
from moodtune.store.migrate import current_revision, head_revision, upgrade
from moodtune.store.records import (
    CheckInRecord,
    FeedbackRecord,
    ListenerRecord,
    PlaylistExportRecord,
    SessionRecord,
    SessionTrack,
)

__all__ = [
    "CheckInRecord",
    "FeedbackRecord",
    "ListenerRecord",
    "PlaylistExportRecord",
    "SessionRecord",
    "SessionTrack",
    "current_revision",
    "database_url",
    "dispose_engines",
    "get_engine",
    "head_revision",
    "make_engine",
    "open_database",
    "read_transaction",
    "upgrade",
    "write_transaction",
]
