"""Database engines: embedded SQLite by default, PostgreSQL when ``MOODTUNE_DATABASE_URL`` says so.

SQLite runs in WAL mode with foreign keys on, ``synchronous=FULL`` and ``secure_delete`` (so a
deleted listener's bytes are overwritten, not just unlinked). Write transactions start with
``BEGIN IMMEDIATE`` so concurrent writers queue on the busy timeout instead of failing when a
read transaction tries to upgrade to a write.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from moodtune.config import Settings, get_settings
from moodtune.errors import InputError

__all__ = [
    "SQLITE_BUSY_TIMEOUT_S",
    "begin_immediate",
    "database_url",
    "dispose_engines",
    "get_engine",
    "is_sqlite",
    "make_engine",
    "open_database",
    "read_transaction",
    "write_transaction",
]

SQLITE_BUSY_TIMEOUT_S = 60.0
"""How long a SQLite writer waits for another writer's lock before giving up."""

_SQLITE_BEGIN_OPTION = "moodtune_sqlite_begin"
_engines: dict[str, Engine] = {}
_migrated: set[str] = set()
_engines_lock = threading.Lock()


def database_url(settings: Settings | None = None) -> str:
    """The SQLAlchemy URL to use: ``settings.database_url`` or SQLite in ``data_dir``.

    ``postgresql://`` and ``postgres://`` URLs are mapped to the installed psycopg 3 driver.
    """
    settings = settings or get_settings()
    if not settings.database_url:
        return f"sqlite:///{settings.data_dir / 'moodtune.sqlite3'}"
    url = settings.database_url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if not (url.startswith("sqlite") or url.startswith("postgresql+")):
        raise InputError(
            "unsupported database URL",
            field="MOODTUNE_DATABASE_URL",
            value=url.split("@")[-1],
            allowed="sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB",
        )
    return url


def is_sqlite(bind: Engine | Connection) -> bool:
    """Whether ``bind`` talks to SQLite."""
    return bind.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """A new engine for ``url`` with moodtune's connection settings (caller disposes it)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit BEGIN would be
    # DEFERRED and would not cover DDL).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA secure_delete = ON")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(_SQLITE_BEGIN_OPTION, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def begin_immediate(conn: Connection) -> None:
    """Make the next transaction on this SQLite connection take the write lock at ``BEGIN``."""
    if is_sqlite(conn):
        conn.execution_options(**{_SQLITE_BEGIN_OPTION: "IMMEDIATE"})


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One all-or-nothing write transaction: commits on success, rolls back on any error.

    On SQLite the transaction takes the write lock up front (``BEGIN IMMEDIATE``) so that
    concurrent writers wait for each other instead of failing half-way.
    """
    with engine.connect() as conn:
        begin_immediate(conn)
        with conn.begin():
            yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction (one consistent snapshot); never commits anything."""
    with engine.connect() as conn, conn.begin() as txn:
        yield conn
        txn.rollback()


def get_engine(settings: Settings | None = None) -> Engine:
    """The process-wide engine for the configured database (not migrated: see ``open_database``)."""
    url = database_url(settings)
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = make_engine(url)
            _engines[url] = engine
        return engine


def open_database(settings: Settings | None = None) -> Engine:
    """The configured database, created and migrated to the newest schema on first use."""
    from moodtune.store.migrate import upgrade

    engine = get_engine(settings)
    key = str(engine.url)
    if key not in _migrated:
        upgrade(engine)
        _migrated.add(key)
    return engine


def dispose_engines() -> None:
    """Close every cached engine's connections (tests and long-running servers call this)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _migrated.clear()
