"""Backups under write load hold every acknowledged write; restores refuse what they should."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from moodtune.errors import InputError
from moodtune.sessions import MoodReport, create_listener, record_checkin
from moodtune.store import make_engine, read_transaction, upgrade
from moodtune.store.backup import backup_database, backup_info, restore_database
from moodtune.store.migrate import downgrade, head_revision


def _fresh_like(engine: Engine, request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    """An empty database of the same kind as ``engine`` (the restore target)."""
    if engine.dialect.name == "sqlite":
        return make_engine(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    server = request.getfixturevalue("postgres_server")
    return make_engine(server.create_database())


def _checkin_ids(engine: Engine) -> set[int]:
    with read_transaction(engine) as conn:
        return set(conn.execute(sa.text("SELECT id FROM mood_checkins")).scalars())


def test_a_backup_under_write_load_holds_every_acknowledged_write(
    engine: Engine, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    person = create_listener(engine, display_name="Writer")
    acknowledged: list[int] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            while not stop.is_set():
                made = record_checkin(engine, person.id, MoodReport(valence=0.1, arousal=0.2))
                acknowledged.append(made.checkin.id)  # the commit returned: acknowledged
        except BaseException as exc:  # reported below, never swallowed
            errors.append(exc)

    writers = [threading.Thread(target=write) for _ in range(2)]
    for w in writers:
        w.start()
    while len(acknowledged) < 30:
        stop.wait(0.01)
    before = set(acknowledged)  # every write acknowledged before the backup starts
    info = backup_database(engine, tmp_path / "moodtune.backup")
    stop.set()
    for w in writers:
        w.join()
    assert not errors
    assert (
        info.revision == head_revision()
        and (tmp_path / "moodtune.backup").stat().st_mode & 0o077 == 0
    )

    target = _fresh_like(engine, request, tmp_path)
    try:
        restore_database(target, tmp_path / "moodtune.backup")
        restored = _checkin_ids(target)
        assert before <= restored  # nothing acknowledged before the backup is lost
        assert restored <= set(acknowledged)  # and nothing half-written appears
        with read_transaction(target) as conn:
            assert conn.execute(sa.text("SELECT display_name FROM listeners")).scalar() == "Writer"
    finally:
        target.dispose()


def test_restore_asks_before_overwriting_and_refuses_a_newer_schema(
    engine: Engine, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    create_listener(engine, display_name="Kept")
    backup = tmp_path / "b.backup"
    backup_database(engine, backup)
    with pytest.raises(InputError, match="already holds listeners") as caught:
        restore_database(engine, backup)
    assert caught.value.field == "overwrite"  # the library's parameter, not a CLI flag
    assert "--yes" not in str(caught.value)
    restore_database(engine, backup, overwrite=True)  # confirmed
    if engine.dialect.name != "sqlite":
        return
    import sqlite3

    newer = tmp_path / "newer.backup"
    newer.write_bytes(backup.read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(InputError, match="newer than this moodtune"):
        restore_database(engine, newer, overwrite=True)
    (tmp_path / "junk").write_text("hello")
    with pytest.raises(InputError, match="not a moodtune backup"):
        backup_info(tmp_path / "junk")


def test_an_older_backup_is_upgraded_on_restore(tmp_path: Path) -> None:
    old = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(old)
    create_listener(old, display_name="From 0003")
    downgrade(old, "0003")  # a database written before accounts existed
    backup = backup_database(old, tmp_path / "old.backup")
    old.dispose()
    assert backup.revision == "0003"
    target = make_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    try:
        restore_database(target, tmp_path / "old.backup")
        with read_transaction(target) as conn:
            assert (
                conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
                == head_revision()
            )
            assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar() == 0
            assert (
                conn.execute(sa.text("SELECT display_name FROM listeners")).scalar() == "From 0003"
            )
    finally:
        target.dispose()


def test_backup_and_restore_commands(settings: Any, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from moodtune.cli import app
    from moodtune.store import dispose_engines, open_database

    try:
        create_listener(open_database(), display_name="Cli")
        runner = CliRunner()
        made = runner.invoke(app, ["backup", str(tmp_path / "cli.backup")])
        assert made.exit_code == 0, made.output
        declined = runner.invoke(app, ["restore", str(tmp_path / "cli.backup")], input="n\n")
        assert declined.exit_code != 0 and "Replace everything" in declined.output
        assert isinstance(declined.exception, InputError)
        assert declined.exception.field == "--yes"  # the CLI names its own flag
        assert "overwrite=True" not in str(declined.exception)
        done = runner.invoke(app, ["restore", str(tmp_path / "cli.backup")], input="y\n")
        assert done.exit_code == 0, done.output
    finally:
        dispose_engines()
