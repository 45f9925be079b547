"""Stored times follow commit order on SQLite: each writer takes its time under the lock.

A time taken before the writer lock let a later commit carry an earlier time than one a reader
had already seen: the learner cache then refitted the listener from their whole history (0.2 s
at 400 sessions, measured under ``moodtune bench web --workers 2``).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

import moodtune.sessions.service as service
from moodtune.sessions import (
    MoodReport,
    create_listener,
    finish_session,
    record_checkin,
    record_feedback,
)
from tests.sessions.factories import session

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)


def _database_file(engine: Engine) -> Path:
    assert engine.url.database is not None
    return Path(engine.url.database)


def test_writers_take_their_time_while_holding_the_write_lock(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = create_listener(engine)
    started = session(engine, person.id)
    clock = service.utcnow
    held: list[str] = []

    def now_under_the_lock() -> datetime:
        other = sqlite3.connect(_database_file(engine), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # refused while another writer holds the lock
            other.execute("ROLLBACK")
            held.append("free")
        except sqlite3.OperationalError as exc:
            held.append("held" if "locked" in str(exc) else str(exc))
        finally:
            other.close()
        return clock()

    monkeypatch.setattr(service, "utcnow", now_under_the_lock)
    record_checkin(engine, person.id, MoodReport(valence=0.1, arousal=0.2))
    record_feedback(engine, started.session.id, "trk-2", helped=True)
    finish_session(engine, started.session.id, MoodReport(valence=0.3, arousal=-0.2))
    assert held == ["held"] * 3
