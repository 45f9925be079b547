"""Migrations: the only way the schema is made; an old database with data upgrades intact."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from importlib import resources

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from moodtune.config import Settings
from moodtune.errors import InputError
from moodtune.store import repository as repo
from moodtune.store.engine import database_url, make_engine, open_database, read_transaction
from moodtune.store.migrate import MIGRATIONS, current_revision, downgrade, head_revision, upgrade
from moodtune.store.tables import metadata


def test_fresh_database_migrates_to_head_and_matches_the_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision() == "0006"
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), metadata
            )
        assert diff == []
        upgrade(engine)  # already at head: a no-op
        assert current_revision(engine) == "0006"
    finally:
        engine.dispose()


def _naive(ts: str) -> datetime:
    return datetime.fromisoformat(ts)


def test_old_database_with_data_upgrades_and_keeps_it(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as conn:  # written with the 0001 schema, as an old release did
            conn.execute(
                sa.text(
                    "INSERT INTO listeners (id, display_name, profile, goals, consent_storage,"
                    " consent_notes, consent_learning, created_at, updated_at) VALUES"
                    " ('L1', 'Old Timer', :profile, :goals, TRUE, TRUE, FALSE, :t, :t)"
                ),
                {
                    "profile": '{"anxiety": 4.0, "depression": 2.0, "insomnia": 1.0, "ocd": 0.0}',
                    "goals": '["calm_down"]',
                    "t": _naive("2025-03-01T10:00:00"),
                },
            )
            conn.execute(
                sa.text(
                    "INSERT INTO listening_sessions (id, listener_id, goal, target_valence,"
                    " target_arousal, model_version, details, safety_message_shown, started_at,"
                    " finished_at) VALUES ('S1', 'L1', 'calm_down', 0.5, -0.5, 'journey-0.0.9',"
                    " NULL, FALSE, :t0, :t1)"
                ),
                {"t0": _naive("2025-03-01T10:05:00"), "t1": _naive("2025-03-01T10:40:00")},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO mood_checkins (listener_id, session_id, kind, valence, arousal,"
                    " mood_words, note, created_at) VALUES"
                    " ('L1', 'S1', 'before', -0.4, 0.5, ' Tense, anxious,,', 'long day', :t0),"
                    " ('L1', 'S1', 'after', 0.3, -0.2, 'calm', NULL, :t1),"
                    " ('L1', NULL, 'standalone', 0.1, 0.1, NULL, NULL, :t1)"
                ),
                {"t0": _naive("2025-03-01T10:05:00"), "t1": _naive("2025-03-01T10:40:00")},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO session_tracks (session_id, position, track_id, genre, mood,"
                    " reason) VALUES ('S1', 0, 'trk-a', 'rock', 'tense/angry', 'matches you'),"
                    " ('S1', 1, 'trk-b', 'lofi', 'calm/relaxed', 'towards calm')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO track_feedback (listener_id, session_id, position, track_id,"
                    " played, skipped_after_s, thumbs, helped, created_at, updated_at) VALUES"
                    " ('L1', 'S1', 1, 'trk-b', TRUE, NULL, 1, TRUE, :t, :t)"
                ),
                {"t": _naive("2025-03-01T10:41:00")},
            )

        upgrade(engine)

        assert current_revision(engine) == "0006"
        with read_transaction(engine) as conn:
            listener = repo.get_listener(conn, "L1")
            assert listener is not None
            assert listener.display_name == "Old Timer"
            assert listener.country is None  # new column, unknown for old rows
            assert listener.profile == {
                "anxiety": 4.0,
                "depression": 2.0,
                "insomnia": 1.0,
                "ocd": 0.0,
            }
            assert listener.created_at == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
            words = {c.kind: c.words for c in repo.list_checkins(conn, "L1")}
            assert words == {"before": ("tense", "anxious"), "after": ("calm",), "standalone": ()}
            session = repo.get_session(conn, "S1")
            assert session is not None
            assert [t.track_id for t in session.tracks] == ["trk-a", "trk-b"]
            (fb,) = repo.list_feedback(conn, listener_id="L1")
            assert (fb.track_id, fb.thumbs, fb.helped) == ("trk-b", 1, True)
            assert fb.late is False  # 0003: answers from before it are not late
        with engine.begin() as conn:  # the table 0002 added works with the old rows
            repo.insert_playlist_export(
                conn,
                listener_id="L1",
                session_id="S1",
                name="calm mix",
                format="m3u",
                track_ids=["trk-a", "trk-b"],
                created_at=datetime(2025, 3, 2, tzinfo=UTC),
            )

        downgrade(engine, "0001")  # and back again: words survive the round trip
        with engine.connect() as conn:
            text = conn.execute(
                sa.text("SELECT mood_words FROM mood_checkins WHERE kind = 'before'")
            ).scalar_one()
        assert text == "tense,anxious"
        upgrade(engine)
        with read_transaction(engine) as conn:
            before = [c for c in repo.list_checkins(conn, "L1") if c.kind == "before"]
            assert before[0].words == ("tense", "anxious")
    finally:
        engine.dispose()


def test_concurrent_first_starts_migrate_once(db_url: str) -> None:
    engines = [make_engine(db_url) for _ in range(4)]
    errors: list[BaseException] = []

    def start(engine: sa.Engine) -> None:
        try:
            upgrade(engine)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert current_revision(engines[0]) == "0006"
        with engines[0].connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        for e in engines:
            e.dispose()


def test_migrations_ship_inside_the_package() -> None:
    package, _, folder = MIGRATIONS.partition(":")
    root = resources.files(package) / folder
    assert (root / "env.py").is_file()
    assert (root / "script.py.mako").is_file()
    names = sorted(p.name for p in (root / "versions").iterdir() if p.name.endswith(".py"))
    assert names[:3] == [
        "0001_initial.py",
        "0002_country_exports_words.py",
        "0003_late_feedback.py",
    ]


def test_open_database_creates_embedded_sqlite_on_first_use(settings: Settings) -> None:
    from moodtune.store.engine import dispose_engines

    path = settings.data_dir / "moodtune.sqlite3"
    assert not path.exists()
    engine = open_database(settings)
    try:
        assert path.is_file()
        assert current_revision(engine) == "0006"
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    finally:
        dispose_engines()


def test_database_url_choices(settings: Settings) -> None:
    assert database_url(settings) == f"sqlite:///{settings.data_dir / 'moodtune.sqlite3'}"
    pg = settings.model_copy(update={"database_url": "postgresql://u@127.0.0.1:5/db"})
    assert database_url(pg) == "postgresql+psycopg://u@127.0.0.1:5/db"
    bad = settings.model_copy(update={"database_url": "mysql://u:secret@host/db"})
    with pytest.raises(InputError, match="unsupported database URL") as info:
        database_url(bad)
    assert "secret" not in str(info.value)
