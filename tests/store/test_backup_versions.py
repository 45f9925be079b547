"""Restore and schema versions on both databases: a backup's revision is read back (SQLite
file or pg_dump archive), a newer one is refused with the data untouched, an older one is
upgraded to head."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from moodtune.errors import DataIntegrityError, InputError
from moodtune.sessions import create_listener
from moodtune.store import read_transaction, write_transaction
from moodtune.store.backup import backup_database, backup_info, restore_database
from moodtune.store.migrate import downgrade, head_revision, upgrade


def _names(engine: Engine) -> list[str]:
    with read_transaction(engine) as conn:
        return sorted(conn.execute(sa.text("SELECT display_name FROM listeners")).scalars())


def _revision(engine: Engine) -> str:
    with read_transaction(engine) as conn:
        return str(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar())


def test_a_newer_backup_is_refused_and_nothing_changes(engine: Engine, tmp_path: Path) -> None:
    create_listener(engine, display_name="Before")
    with write_transaction(engine) as conn:  # as a newer moodtune would leave it
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    newer = backup_database(engine, tmp_path / "newer.backup")
    assert newer.revision == "9999_future"
    assert backup_info(tmp_path / "newer.backup").kind == engine.dialect.name
    with write_transaction(engine) as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": head_revision()})
    create_listener(engine, display_name="After")
    with pytest.raises(InputError, match="newer than this moodtune") as caught:
        restore_database(engine, tmp_path / "newer.backup", overwrite=True)
    assert caught.value.file == str(tmp_path / "newer.backup")
    assert _names(engine) == ["After", "Before"]  # refused before anything was touched
    assert _revision(engine) == head_revision()


def test_an_older_backup_is_upgraded_on_restore_on_both_databases(
    engine: Engine, tmp_path: Path
) -> None:
    create_listener(engine, display_name="From 0003")
    downgrade(engine, "0003")  # a database written before accounts existed
    old = backup_database(engine, tmp_path / "old.backup")
    assert old.revision == "0003"
    upgrade(engine)
    create_listener(engine, display_name="Later")
    restored = restore_database(engine, tmp_path / "old.backup", overwrite=True)
    assert restored.revision == "0003"
    assert _revision(engine) == head_revision()
    assert _names(engine) == ["From 0003"]  # the backup's data, at the newest schema
    with read_transaction(engine) as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar() == 0


def test_a_damaged_backup_is_refused_and_nothing_changes(engine: Engine, tmp_path: Path) -> None:
    create_listener(engine, display_name="Kept")
    backup = backup_database(engine, tmp_path / "whole.backup")
    data = backup.path.read_bytes()
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(data[: len(data) // 2])
    create_listener(engine, display_name="Since")
    with pytest.raises((InputError, DataIntegrityError)) as caught:
        restore_database(engine, damaged, overwrite=True)
    assert str(damaged) in str(caught.value) or "backup" in str(caught.value)
    assert _names(engine) == ["Kept", "Since"]
    assert _revision(engine) == head_revision()
