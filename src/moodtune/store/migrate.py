"""Run the Alembic migrations shipped inside the package (no ``alembic.ini`` needed).

The whole upgrade is one transaction. Concurrent first starts are safe: on PostgreSQL an
advisory lock serialises them, on SQLite ``BEGIN IMMEDIATE`` does; the second process then sees
the schema already at head and does nothing.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from moodtune.errors import DataIntegrityError
from moodtune.store.engine import begin_immediate, is_sqlite, read_transaction

__all__ = [
    "MIGRATIONS",
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "upgrade",
]

MIGRATIONS = "moodtune.store:migrations"
"""Alembic ``script_location`` as a package resource, so it works from an installed wheel."""

_ADVISORY_LOCK_KEY = 0x6D6F6F64  # "mood"


def alembic_config() -> Config:
    """An Alembic ``Config`` pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return config


def head_revision() -> str:
    """The newest revision the package ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    with read_transaction(engine) as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` in one transaction."""
    _run(engine, revision, up=True)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to ``revision`` in one transaction (development use)."""
    _run(engine, revision, up=False)


def _run(engine: Engine, revision: str, *, up: bool) -> None:
    config = alembic_config()
    with engine.connect() as conn:
        sqlite = is_sqlite(conn)
        if sqlite:
            # SQLite rebuilds a table to change it, and DROP TABLE with foreign keys on would
            # cascade-delete the children. The documented procedure: keys off (only possible
            # outside a transaction), change, check every key, keys back on.
            _set_sqlite_foreign_keys(conn, on=False)
            begin_immediate(conn)
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
                    )
                config.attributes["connection"] = conn
                if up:
                    command.upgrade(config, revision)
                else:
                    command.downgrade(config, revision)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise DataIntegrityError(
                            f"migration to {revision} would break {len(broken)} foreign key(s), "
                            f"first: {tuple(broken[0])}; nothing was changed"
                        )
        finally:
            if sqlite:
                _set_sqlite_foreign_keys(conn, on=True)


def _set_sqlite_foreign_keys(conn: Connection, *, on: bool) -> None:
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    if driver.execute("PRAGMA foreign_keys").fetchone()[0] != int(on):
        conn.invalidate()  # never hand a connection with keys off back to the pool
        raise DataIntegrityError("could not switch SQLite foreign keys back on")
