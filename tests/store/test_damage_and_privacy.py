"""The SQLite database: private file modes, damage refused by name, deletion with a reader."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from moodtune.errors import DatabaseDamagedError, MoodtuneError
from moodtune.sessions import create_listener, delete_listener, get_listener
from moodtune.store import checkpoint_wal, make_engine, upgrade
from moodtune.store import engine as engine_module
from tests.sessions.test_privacy import SECRET_NAME, SECRET_NOTE, _populate


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _database(path: Path) -> sa.Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def test_database_and_its_wal_and_shm_are_0600_in_a_0700_folder(
    tmp_path: Path, umask_022: None
) -> None:
    """The database, its -wal and -shm, and the writers' lock file (empty) beside it."""
    folder = tmp_path / "fresh" / "data"
    engine = _database(folder / "moodtune.sqlite3")
    try:
        create_listener(engine, display_name="Ada")
        with engine.connect() as conn:  # an open connection keeps -wal and -shm in place
            conn.execute(sa.text("SELECT 1"))
            files = sorted(folder.glob("moodtune.sqlite3*"))
            assert [p.name for p in files] == [
                "moodtune.sqlite3",
                "moodtune.sqlite3-shm",
                "moodtune.sqlite3-wal",
                "moodtune.sqlite3-writers",
            ]
            assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
            assert (folder / "moodtune.sqlite3-writers").stat().st_size == 0
        assert _mode(folder) == 0o700 and _mode(folder.parent) == 0o700
    finally:
        engine.dispose()


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "moodtune.sqlite3"
    _database(path).dispose()
    os.chmod(path, 0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o600


def _overwrite(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def _cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _wrong_format(path: Path) -> None:
    path.write_text('{"this": "is JSON, not SQLite"}\n' * 100)


def _zero_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[4096:] = bytes(len(data) - 4096)  # keep the header page, blank every other page
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_overwrite, _cut_in_half, _wrong_format, _zero_pages])
def test_a_damaged_database_is_refused_by_name_and_never_replaced(
    tmp_path: Path, damage: object
) -> None:
    path = tmp_path / "moodtune.sqlite3"
    engine = _database(path)
    for i in range(40):  # enough rows to fill several pages
        create_listener(engine, display_name=f"listener {i} " + "x" * 150)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    assert callable(damage)
    damage(path)
    damaged = path.read_bytes()
    with pytest.raises(DatabaseDamagedError) as caught:
        _database(path)
    message = str(caught.value)
    assert isinstance(caught.value, MoodtuneError)
    assert str(path) in message and "damaged" in message
    assert "move it aside" in message and f"mv {path} {path}.damaged" in message
    assert path.read_bytes() == damaged  # nothing was written over it


def test_damage_found_while_running_is_a_named_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "moodtune.sqlite3"
    engine = _database(path)
    try:
        create_listener(engine, display_name="Ada")
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()  # the pool reconnects to whatever the file now holds
        _overwrite(path)
        with pytest.raises(DatabaseDamagedError, match=re.escape(str(path))):
            get_listener(engine, "Ada")
    finally:
        engine.dispose()


def _files_hold(folder: Path, secret: str) -> list[str]:
    return [
        p.name
        for p in folder.glob("db.sqlite3*")
        if p.is_file() and secret.encode() in p.read_bytes()
    ]


def _hold_a_read(path: Path, started: threading.Event, seconds: float) -> None:
    reader = sqlite3.connect(path, timeout=60)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM listeners").fetchall()  # takes a snapshot
        started.set()
        time.sleep(seconds)
        reader.execute("COMMIT")
    finally:
        reader.close()


def test_delete_waits_for_a_concurrent_reader_and_leaves_no_bytes(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    engine = _database(path)
    try:
        person, _ = _populate(engine, name=SECRET_NAME, note=SECRET_NOTE, playlist="mix 1")
        started = threading.Event()
        reader = threading.Thread(target=_hold_a_read, args=(path, started, 1.5))
        reader.start()
        started.wait(10)
        delete_listener(engine, person.id)  # the checkpoint waits until the reader is done
        reader.join()
        for secret in (SECRET_NAME, SECRET_NOTE, person.id):
            assert _files_hold(tmp_path, secret) == [], secret
    finally:
        engine.dispose()


def test_delete_says_exactly_what_remains_when_a_reader_outlasts_the_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(engine_module, "CHECKPOINT_WAIT_S", 0.5)
    path = tmp_path / "db.sqlite3"
    engine = _database(path)
    try:
        person, _ = _populate(engine, name=SECRET_NAME, note=SECRET_NOTE, playlist="mix 1")
        started = threading.Event()
        reader = threading.Thread(target=_hold_a_read, args=(path, started, 3.0))
        reader.start()
        started.wait(10)
        with caplog.at_level(logging.WARNING, logger="moodtune.store"):
            delete_listener(engine, person.id)
        (note,) = [r.getMessage() for r in caplog.records if r.name == "moodtune.store"]
        assert f"listener {person.id} deleted, but another connection is reading" in note
        assert f"{path}-wal" in note and "page(s)" in note and "checkpoint_wal" in note
        assert _files_hold(tmp_path, SECRET_NAME)  # the note is true: copies remain for now
        reader.join()
        assert checkpoint_wal(engine).complete  # once the reader is done, they go
        for secret in (SECRET_NAME, SECRET_NOTE, person.id):
            assert _files_hold(tmp_path, secret) == [], secret
    finally:
        engine.dispose()
