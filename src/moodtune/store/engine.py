"""Database engines: embedded SQLite by default, PostgreSQL when ``MOODTUNE_DATABASE_URL`` says so.

SQLite runs in WAL mode with foreign keys on, ``synchronous=FULL`` and ``secure_delete`` (so a
deleted listener's bytes are overwritten, not just unlinked). Write transactions start with
``BEGIN IMMEDIATE`` so concurrent writers queue on the busy timeout instead of failing when a
read transaction tries to upgrade to a write.

The database file is created 0600 in a 0700 folder (its ``-wal`` and ``-shm`` files take the
database file's mode), and checked before use: a file that is not a SQLite database or fails
``PRAGMA quick_check`` raises ``DatabaseDamagedError`` naming it, and is never replaced by a
fresh database.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from moodtune.artefacts import PRIVATE_FILE_MODE, private_dir
from moodtune.config import Settings, get_settings
from moodtune.errors import DatabaseDamagedError, InputError

try:
    import fcntl
except ImportError:  # Windows: processes meet at SQLite's busy timeout instead
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "SQLITE_BUSY_TIMEOUT_S",
    "WalCheckpoint",
    "begin_immediate",
    "check_sqlite_file",
    "checkpoint_wal",
    "database_url",
    "dispose_engines",
    "get_engine",
    "is_sqlite",
    "make_engine",
    "open_database",
    "read_transaction",
    "single_read",
    "write_transaction",
]

SQLITE_BUSY_TIMEOUT_S = 60.0
"""How long a SQLite writer waits for another writer's lock before giving up."""

IDLE_PING_S = 10.0
"""A pooled server connection unused for longer is pinged before it is handed out (a server
restart or an idle timeout may have closed it); one used more recently is handed out as is.
SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip for every
transaction, which under load is one more wait for PostgreSQL to be scheduled (py-spy on
``moodtune bench web --users``: 8 % of the workers' request time)."""

logger = logging.getLogger("moodtune.store")

_SQLITE_BEGIN_OPTION = "moodtune_sqlite_begin"
_SQLITE_HEADER = b"SQLite format 3\x00"
_DAMAGE_MESSAGES = ("file is not a database", "database disk image is malformed")
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
        engine = create_engine(url, **kwargs)
        if "pool_pre_ping" not in kwargs:
            _ping_when_idle(engine)
        return engine

    if parsed.database and parsed.database != ":memory:":
        _prepare_sqlite_file(Path(parsed.database))
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    event.listen(engine, "handle_error", _sqlite_on_error)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it sat idle past ``IDLE_PING_S``; a dead
    one invalidates the pool (as ``pool_pre_ping`` does), so the caller gets a fresh one."""

    def checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["moodtune_idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("moodtune_idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_S:
            return  # fresh, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise sa_exc.InvalidatePoolError(f"idle connection was closed: {exc}") from exc
            raise

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


def _prepare_sqlite_file(path: Path) -> None:
    """Create the database file 0600 (SQLite gives ``-wal``/``-shm`` the same mode), or check
    an existing one is an undamaged SQLite database and make it owner-only."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        check_sqlite_file(path)
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            with contextlib.suppress(FileNotFoundError, PermissionError):
                os.chmod(name, PRIVATE_FILE_MODE)
        return
    os.fchmod(fd, PRIVATE_FILE_MODE)  # O_CREAT's mode is masked by the umask
    os.close(fd)


def check_sqlite_file(path: Path) -> None:
    """Raise ``DatabaseDamagedError`` unless ``path`` is an empty file or a SQLite database
    that passes ``PRAGMA quick_check`` (it reads every page: milliseconds for a personal
    database)."""
    with path.open("rb") as handle:
        header = handle.read(len(_SQLITE_HEADER))
    if not header:
        if Path(f"{path}-wal").exists() and Path(f"{path}-wal").stat().st_size:
            raise DatabaseDamagedError(path, "the file is empty but its write-ahead log is not")
        return  # an empty file is a database that was never written
    if header != _SQLITE_HEADER:
        raise DatabaseDamagedError(path, "the file does not start with the SQLite header")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise DatabaseDamagedError(path, f"SQLite cannot open it: {exc}") from None
    try:
        rows = connection.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise DatabaseDamagedError(path, f"quick_check failed: {exc}") from None
    finally:
        connection.close()
    if rows != [("ok",)]:
        raise DatabaseDamagedError(path, f"quick_check found: {rows[0][0]}")


def _sqlite_on_error(context: Any) -> None:
    """Turn SQLite's "not a database" / "malformed" into ``DatabaseDamagedError``."""
    original = context.original_exception
    if isinstance(original, sqlite3.DatabaseError) and str(original) in _DAMAGE_MESSAGES:
        database = context.engine.url.database if context.engine is not None else None
        raise DatabaseDamagedError(database or "(the SQLite database)", str(original)) from (
            context.sqlalchemy_exception
        )


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


WRITER_LOCK_SUFFIX = "-writers"
"""A SQLite database's writer lock file sits beside it (``moodtune.sqlite3-writers``, empty):
the processes that write to the database take turns on it (``flock``)."""


class _WriterLock:
    """Writers to one SQLite database take turns: the threads of a process on a lock, the
    processes (web workers, a CLI beside the server) on ``flock`` of a file beside the database.

    SQLite's own busy handler polls with sleeps of up to 100 ms, so a waiting writer would
    sleep long after the lock came free (measured: a tenth of a loaded server's time went
    there); a blocked ``flock`` wakes when it is released. The file is opened once per process
    (a forked worker opens its own: an inherited descriptor would share the parent's lock).
    """

    def __init__(self, path: Path | None) -> None:
        self._thread_lock = threading.RLock()
        self._path = path
        self._fd: int | None = None
        self._pid = 0
        self._depth = 0

    def _file(self) -> int | None:
        if self._path is None or fcntl is None:
            return None
        if self._pid != os.getpid():
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._fd)  # the parent's copy: its lock is the parent's
            self._fd = None
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
            except OSError as exc:  # e.g. a read-only folder: SQLite's busy timeout still holds
                logger.debug("no writer lock file %s (%s)", self._path, exc)
                return None
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock:
            fd = self._file() if self._depth == 0 else None
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)


_sqlite_writers: dict[str, _WriterLock] = {}
_sqlite_writers_lock = threading.Lock()


def _sqlite_writer(engine: Engine) -> _WriterLock:
    """The lock the writers to one SQLite database take turns on (see ``_WriterLock``)."""
    key = str(engine.url)
    with _sqlite_writers_lock:
        lock = _sqlite_writers.get(key)
        if lock is None:
            database = engine.url.database
            on_disk = (
                bool(database) and database != ":memory:" and not str(database).startswith("file:")
            )
            path = Path(f"{database}{WRITER_LOCK_SUFFIX}") if on_disk else None
            lock = _sqlite_writers[key] = _WriterLock(path)
        return lock


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One all-or-nothing write transaction: commits on success, rolls back on any error.

    On SQLite the transaction takes the write lock up front (``BEGIN IMMEDIATE``) so that
    concurrent writers wait for each other instead of failing half-way. Writers in this
    process, and the processes that share the database file, first queue on a lock of their
    own (``_WriterLock``), which wakes a waiting writer as soon as the lock is free.
    """
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn, conn.begin():
            yield conn
        return
    with _sqlite_writer(engine).held(), engine.connect() as conn:
        begin_immediate(conn)
        with conn.begin():
            yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction (one consistent snapshot); never commits anything."""
    with engine.connect() as conn, conn.begin() as txn:
        yield conn
        txn.rollback()


@contextmanager
def single_read(engine: Engine) -> Iterator[Connection]:
    """A connection for one read statement, which is consistent on its own: on PostgreSQL in
    autocommit, so no ``BEGIN`` and ``ROLLBACK`` round trips around it (the session lookup of
    every signed-in request); on SQLite a ``read_transaction``."""
    if engine.dialect.name == "sqlite":
        with read_transaction(engine) as conn:
            yield conn
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


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


@dataclass(frozen=True)
class WalCheckpoint:
    """The outcome of :func:`checkpoint_wal`: whether the write-ahead log was emptied."""

    complete: bool
    wal_file: str
    wal_frames: int  # pages in the log when the last attempt ran
    checkpointed_frames: int  # of those, copied back into the database file
    waited_s: float

    @property
    def remaining(self) -> str:
        """What is left, in words ("" when complete)."""
        if self.complete:
            return ""
        return (
            f"another connection is reading the database, so after {self.waited_s:.0f} s "
            f"{self.wal_frames - self.checkpointed_frames} of {self.wal_frames} page(s) in the "
            f"write-ahead log {self.wal_file} are not yet copied back, and old copies of the "
            "deleted rows stay in the database file and that log until it finishes reading "
            "and a checkpoint runs (call moodtune.store.checkpoint_wal again)"
        )


#: How long a checkpoint after a deletion waits for concurrent readers to finish.
CHECKPOINT_WAIT_S = 30.0


def checkpoint_wal(engine: Engine, *, wait_s: float | None = None) -> WalCheckpoint:
    """Copy SQLite's write-ahead log into the database file and truncate it to zero bytes.

    Retries while other connections read (each try waits up to 0.25 s on them) for at most
    ``wait_s`` (default ``CHECKPOINT_WAIT_S``). With ``secure_delete`` on, a complete
    checkpoint leaves no copy of deleted rows in either file.
    """
    wait_s = CHECKPOINT_WAIT_S if wait_s is None else wait_s
    wal_file = f"{engine.url.database}-wal"
    started = time.monotonic()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA busy_timeout = 250")
        try:
            while True:
                busy, frames, done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                waited = time.monotonic() - started
                if not busy or waited >= wait_s:
                    break
                time.sleep(0.05)
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            cursor.close()
    finally:
        raw.close()
    return WalCheckpoint(
        complete=not busy,
        wal_file=wal_file,
        wal_frames=max(int(frames), 0),
        checkpointed_frames=max(int(done), 0),
        waited_s=waited,
    )
