"""Reliability: concurrent writers lose nothing; a writer killed mid-transaction leaves no trace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from moodtune.sessions import MoodReport, create_listener, record_checkin, record_feedback
from moodtune.store import make_engine, read_transaction
from moodtune.store import repository as repo
from tests.sessions.factories import session

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _python(code: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_threads_writing_at_once_lose_nothing(engine: Engine) -> None:
    people = [create_listener(engine) for _ in range(2)]
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(25):
                record_checkin(
                    engine,
                    people[worker % 2].id,
                    MoodReport(valence=round(worker / 10, 2), arousal=round(i / 100, 2)),
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with read_transaction(engine) as conn:
        stored = [c for p in people for c in repo.list_checkins(conn, p.id)]
    assert len(stored) == 8 * 25
    assert {(c.valence, c.arousal) for c in stored} == {
        (round(w / 10, 2), round(i / 100, 2)) for w in range(8) for i in range(25)
    }


def test_concurrent_answers_about_one_track_are_all_kept(engine: Engine) -> None:
    person = create_listener(engine)
    started = session(engine, person.id)
    answers = [{"played": True}, {"thumbs": 1}, {"helped": True}, {"skipped_after_s": 30.0}]
    errors: list[BaseException] = []

    def answer(kwargs: dict[str, object]) -> None:
        try:
            record_feedback(engine, started.session.id, "trk-2", **kwargs)  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=answer, args=(a,)) for a in answers for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with read_transaction(engine) as conn:
        (row,) = repo.list_feedback(conn, session_id=started.session.id)
    assert (row.played, row.thumbs, row.helped, row.skipped_after_s) == (True, 1, True, 30.0)


def test_processes_writing_at_once_lose_nothing(engine: Engine) -> None:
    person = create_listener(engine)
    code = """
        import sys
        from moodtune.sessions import MoodReport, record_checkin
        from moodtune.store import make_engine
        engine = make_engine(sys.argv[1])
        worker = int(sys.argv[3])
        for i in range(50):
            record_checkin(engine, sys.argv[2], MoodReport(valence=worker / 10, arousal=i / 100))
        print("done", flush=True)
    """
    env = {**os.environ, "PYTHONPATH": SRC}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), _url(engine), person.id, str(w)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for w in range(4)
    ]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out.strip() == "done"
    with read_transaction(engine) as conn:
        stored = repo.list_checkins(conn, person.id)
    assert len(stored) == 4 * 50
    assert len({(c.valence, c.arousal) for c in stored}) == 200


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_writer_processes_take_turns_on_the_lock_file_beside_the_database(
    tmp_path: Path,
) -> None:
    """A write transaction holds ``<database>-writers`` (flock) for its whole length, and a
    forked process (a web worker) opens its own descriptor instead of sharing the parent's."""
    import fcntl

    from moodtune.store import upgrade, write_transaction
    from moodtune.store.engine import WRITER_LOCK_SUFFIX, _sqlite_writer

    engine = make_engine(f"sqlite:///{tmp_path / 'moodtune.sqlite3'}")
    upgrade(engine)
    lock_file = tmp_path / f"moodtune.sqlite3{WRITER_LOCK_SUFFIX}"
    probe = """
        import fcntl, os, sys
        fd = os.open(sys.argv[1], os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            print("free")
        except BlockingIOError:
            print("held")
    """

    def other_process() -> str:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(probe), str(lock_file)],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return done.stdout.strip()

    with write_transaction(engine) as conn:
        conn.execute(sa.text("SELECT 1"))
        assert lock_file.is_file() and (lock_file.stat().st_mode & 0o777) == 0o600
        assert other_process() == "held"
        lock = _sqlite_writer(engine)
        pid = os.fork()
        if pid == 0:  # the forked child: its own descriptor meets the parent's lock
            code = 3
            try:
                fd = lock._file()
                assert fd is not None
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                code = 1  # got it: the parent's descriptor was shared
            except BlockingIOError:
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 0
    assert other_process() == "free"
    engine.dispose()


def _assert_consistent(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        # every session is whole: its before check-in and all three tracks, or nothing at all
        rows = conn.execute(
            sa.text(
                "SELECT s.id,"
                " (SELECT count(*) FROM session_tracks t WHERE t.session_id = s.id),"
                " (SELECT count(*) FROM mood_checkins c WHERE c.session_id = s.id)"
                " FROM listening_sessions s"
            )
        ).all()
    assert all((tracks, checkins) == (3, 1) for _, tracks, checkins in rows), rows


def test_a_process_killed_inside_a_session_write_leaves_nothing_half_written(
    engine: Engine,
) -> None:
    person = create_listener(engine)
    kept = session(engine, person.id)
    with read_transaction(engine) as conn:
        before = repo.count_rows(conn)
    proc = _python(
        f"""
        import time
        from moodtune.sessions import MoodReport, OfferedTrack, start_session
        from moodtune.store import make_engine
        from moodtune.store import repository as repo
        real = repo.insert_session_tracks
        def stall(conn, session_id, tracks):
            real(conn, session_id, tracks)  # session, before check-in and tracks written ...
            print("IN-TRANSACTION", session_id, flush=True)
            time.sleep(120)  # ... but not committed when the process dies
        repo.insert_session_tracks = stall
        start_session(
            make_engine({_url(engine)!r}), {person.id!r}, goal="sleep",
            before=MoodReport(valence=0.1, arousal=0.5),
            tracks=[OfferedTrack(track_id=f"k{{i}}", reason="r") for i in range(3)],
            model_version="killed",
        )
        """
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("IN-TRANSACTION"), proc.stderr.read() if proc.stderr else line
    doomed = line.split()[1]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    fresh = make_engine(_url(engine))
    try:
        _assert_consistent(fresh)
        with read_transaction(fresh) as conn:
            assert repo.get_session(conn, doomed) is None
            assert repo.count_rows(conn) == before
            assert repo.get_session(conn, kept.session.id) is not None
        session(fresh, person.id)  # and the database takes new writes
    finally:
        fresh.dispose()


def test_a_writer_killed_at_a_random_moment_leaves_only_whole_sessions(engine: Engine) -> None:
    person = create_listener(engine)
    proc = _python(
        f"""
        from moodtune.sessions import MoodReport, OfferedTrack, start_session
        from moodtune.store import make_engine
        engine = make_engine({_url(engine)!r})
        while True:
            started = start_session(
                engine, {person.id!r}, goal="focus",
                before=MoodReport(valence=0.2, arousal=0.1),
                tracks=[OfferedTrack(track_id=f"t{{i}}", reason="r") for i in range(3)],
                model_version="loop",
            )
            print(started.session.id, flush=True)
        """
    )
    assert proc.stdout is not None
    acknowledged = [proc.stdout.readline().strip() for _ in range(5)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert all(acknowledged), proc.stderr.read() if proc.stderr else acknowledged

    _assert_consistent(engine)
    with read_transaction(engine) as conn:
        stored = {s.id for s in repo.list_sessions(conn, person.id)}
    assert set(acknowledged) <= stored  # every committed session survived the kill


def test_racing_creates_with_one_name_make_exactly_one_listener(engine: Engine) -> None:
    from moodtune.errors import InputError

    made: list[str] = []
    refused: list[InputError] = []
    other: list[BaseException] = []
    barrier = threading.Barrier(6)

    def create() -> None:
        barrier.wait()
        try:
            made.append(create_listener(engine, display_name="Kim").id)
        except InputError as exc:
            refused.append(exc)
        except BaseException as exc:
            other.append(exc)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert other == []
    assert len(made) == 1 and len(refused) == 5
    with read_transaction(engine) as conn:
        assert [r.id for r in repo.find_listeners_by_name(conn, "Kim")] == made


@pytest.mark.postgres
@pytest.mark.parametrize("idle", [True, False], ids=["idle", "just-used"])
def test_a_pooled_connection_the_server_closed_is_pinged_only_after_sitting_idle(
    postgres_server: Any, monkeypatch: pytest.MonkeyPatch, idle: bool
) -> None:
    """The pool pings a connection only when it sat idle past ``IDLE_PING_S`` (a closed one is
    then replaced unseen); one used a moment ago is handed out without the extra round trip,
    so a connection the server closed since fails that once, and the pool starts afresh."""
    import psycopg

    from moodtune.store import engine as engine_module

    url = postgres_server.create_database()
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            first = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with psycopg.connect(host="127.0.0.1", port=postgres_server.port, user="postgres",
                             dbname="postgres", autocommit=True) as admin:  # fmt: skip
            admin.execute("SELECT pg_terminate_backend(%s)", (first,))
        monkeypatch.setattr(engine_module, "IDLE_PING_S", 0.0 if idle else 3600.0)
        if not idle:
            with pytest.raises(sa.exc.OperationalError), eng.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        with eng.connect() as conn:
            again = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        assert again != first
    finally:
        eng.dispose()
        postgres_server.drop_database(url)
