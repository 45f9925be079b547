"""Backups that are consistent while the app serves, and restores that never surprise.

- SQLite: the online backup API copies the database page by page under a read snapshot, so
  every write committed before the copy started is in it and none is half in it. The backup is
  itself a SQLite database (0600).
- PostgreSQL: ``pg_dump --format=custom`` (one snapshot transaction), restored with
  ``pg_restore --clean``.

Either way the schema version is the ``alembic_version`` inside the backup. ``restore`` refuses a
backup from a newer moodtune, upgrades an older one after restoring, refuses to restore one
kind of database into the other, and overwrites a database that holds data only when told to.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from moodtune.artefacts import PRIVATE_FILE_MODE
from moodtune.errors import DataIntegrityError, InputError
from moodtune.store.engine import is_sqlite

__all__ = ["BackupInfo", "backup_database", "backup_info", "restore_database"]

Kind = Literal["sqlite", "postgresql"]
_SQLITE_HEADER = b"SQLite format 3\x00"
_PGDUMP_HEADER = b"PGDMP"
PG_TIMEOUT_S = 600


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds: which database kind, at which schema revision, its size."""

    path: Path
    kind: Kind
    revision: str | None
    size_bytes: int


def _known_revisions() -> list[str]:
    """The migration revisions this moodtune ships, oldest first."""
    from moodtune.store.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _pg_tool(name: str) -> str:
    from moodtune.store.pgcluster import find_pg_bin

    return str(find_pg_bin() / name)


def _pg_url(engine: Engine) -> str:
    """The engine's URL as libpq takes it (no SQLAlchemy driver suffix), password included."""
    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    return str(url.set(drivername="postgresql").render_as_string(hide_password=False))


def _private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    os.fchmod(fd, PRIVATE_FILE_MODE)
    os.close(fd)


def backup_database(engine: Engine, path: Path) -> BackupInfo:
    """Write a consistent snapshot of the database to ``path`` (0600; replaced if it exists)."""
    tmp = path.with_name(path.name + ".partial")
    _private_file(tmp)
    try:
        if is_sqlite(engine):
            source = sqlite3.connect(str(engine.url.database), timeout=60)
            target = sqlite3.connect(str(tmp))
            try:
                source.backup(target)  # one consistent snapshot, pages copied under a read lock
                target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                target.close()
                source.close()
        else:
            subprocess.run(
                [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(tmp),
                 "--dbname", _pg_url(engine)],
                check=True, capture_output=True, timeout=PG_TIMEOUT_S,
            )  # fmt: skip
        os.replace(tmp, path)
    except subprocess.CalledProcessError as exc:
        tmp.unlink(missing_ok=True)
        raise DataIntegrityError(f"pg_dump failed: {exc.stderr.decode(errors='replace')}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return backup_info(path)


def backup_info(path: Path) -> BackupInfo:
    """Read a backup's kind and schema revision without restoring it."""
    if not path.is_file():
        raise InputError("no such backup file", file=str(path))
    with path.open("rb") as handle:
        head = handle.read(len(_SQLITE_HEADER))
    size = path.stat().st_size
    if head == _SQLITE_HEADER:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            row = None
        finally:
            connection.close()
        return BackupInfo(path, "sqlite", None if row is None else str(row[0]), size)
    if head.startswith(_PGDUMP_HEADER):
        read = subprocess.run(
            [_pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-",
             str(path)],
            capture_output=True, timeout=PG_TIMEOUT_S, text=True,
        )  # fmt: skip
        if read.returncode != 0:
            raise InputError(
                f"the backup is damaged or incomplete: {read.stderr.strip()[-500:]}",
                file=str(path), allowed="a whole archive written by `moodtune backup`",
            )  # fmt: skip
        listing = read.stdout
        found = re.search(r"COPY [\w.]*alembic_version .*?FROM stdin;\n(\w+)\n", listing)
        return BackupInfo(path, "postgresql", found.group(1) if found else None, size)
    raise InputError(
        "not a moodtune backup", file=str(path),
        allowed="a file written by `moodtune backup` (a SQLite database or a pg_dump archive)",
    )  # fmt: skip


def _holds_data(engine: Engine) -> bool:
    import sqlalchemy as sa

    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        if "listeners" not in names:
            return False
        return bool(conn.execute(sa.text("SELECT count(*) FROM listeners")).scalar_one())


def restore_database(engine: Engine, path: Path, *, overwrite: bool = False) -> BackupInfo:
    """Replace the database with the backup at ``path``, then migrate it to this version.

    Refuses a backup whose schema is newer than this moodtune knows, a backup of the other
    database kind, and (unless ``overwrite``) a target database that already holds listeners.
    """
    from moodtune.store.migrate import upgrade

    info = backup_info(path)
    known = _known_revisions()
    if info.revision is None or info.revision not in known:
        raise InputError(
            f"the backup's schema revision {info.revision!r} is newer than this moodtune knows "
            "(or it is not a moodtune database): restore it with the moodtune that wrote it",
            file=str(path), allowed=f"revisions {known[0]}..{known[-1]}",
        )  # fmt: skip
    target: Kind = "sqlite" if is_sqlite(engine) else "postgresql"
    if info.kind != target:
        raise InputError(
            f"this is a {info.kind} backup and the configured database is {target}",
            file=str(path), field="MOODTUNE_DATABASE_URL",
        )  # fmt: skip
    if not overwrite and _holds_data(engine):
        raise InputError(
            "the configured database already holds listeners; restoring would replace them",
            field="overwrite", allowed="overwrite=True to confirm the overwrite",
        )  # fmt: skip
    engine.dispose()
    if target == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        dest = sqlite3.connect(str(engine.url.database), timeout=60)
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
    else:
        _restore_postgres(engine, path)
    upgrade(engine)  # an older backup gains the newer tables and columns
    return info


def _restore_postgres(engine: Engine, path: Path) -> None:
    """Replace every table with the archive's, in one transaction: any error rolls it all
    back and the database is as it was.

    ``pg_restore --clean`` drops only what the archive holds, so an older backup (without the
    accounts tables) could not drop ``listeners`` while the newer tables' foreign keys still
    pointed at it. So the archive is turned into SQL and run by ``psql`` after dropping this
    database's own tables, all inside ``--single-transaction``.
    """
    import sqlalchemy as sa

    with engine.connect() as conn:
        quote = conn.dialect.identifier_preparer.quote
        drops = "".join(
            f"DROP TABLE IF EXISTS {quote(name)} CASCADE;\n"
            for name in sa.inspect(conn).get_table_names()
        )
    engine.dispose()
    try:
        script = subprocess.run(
            [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(path)],
            check=True, capture_output=True, timeout=PG_TIMEOUT_S,
        ).stdout  # fmt: skip
    except subprocess.CalledProcessError as exc:
        raise DataIntegrityError(
            f"pg_restore could not read the backup: {exc.stderr.decode(errors='replace')[-2000:]}"
        ) from None
    done = subprocess.run(
        [_pg_tool("psql"), "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1",
         "--single-transaction", "--dbname", _pg_url(engine), "--file=-"],
        input=drops.encode() + script, capture_output=True, timeout=PG_TIMEOUT_S,
    )  # fmt: skip
    if done.returncode != 0:
        raise DataIntegrityError(
            "the restore failed and was rolled back (the database is unchanged): "
            f"{done.stderr.decode(errors='replace')[-2000:]}"
        )
