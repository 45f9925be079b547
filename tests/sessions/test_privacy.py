"""Export writes everything about a listener; delete removes all of it, from every table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Engine

from moodtune.sessions import (
    MoodReport,
    create_listener,
    delete_listener,
    export_listener,
    finish_session,
    record_checkin,
    record_feedback,
    record_playlist_export,
)
from moodtune.sessions.listening import ListeningEvent, UnknownListen, record_listening
from moodtune.store import accounts as account_store
from moodtune.store import make_engine, read_transaction, upgrade, write_transaction
from moodtune.store import repository as repo
from moodtune.store.records import ListenerRecord
from tests.sessions.factories import CALM_PROFILE, day, session

SECRET_NOTE = "zebra-umbrella-7731 felt heavy after the meeting"
SECRET_NAME = "Quillon Marchetti-Vasquez"
SECRET_PLAYLIST = "Moonlit Saxophone Retreat 4412"
SECRET_TRACK = "heard-on-repeat-5520"
SECRET_UNKNOWN = "Unheard Lullaby 8813"  # an imported track the catalog does not hold
SECRET_USERNAME = "quillon-4412"
SECRET_TOKEN_HASH = "f" * 20 + "token-hash-of-the-listener" + "0" * 18
SECRET_SUGGESTION = "try the harbour-lantern-6604 playlist tonight"


def _add_account(engine: Engine, person: ListenerRecord, *, username: str) -> None:
    """The account tables of migration 0004 for ``person``: account, sign-in session, token."""
    with write_transaction(engine) as conn:
        account_store.insert_account(
            conn, listener_id=person.id, username=username,
            password_hash=f"$argon2id$hash-of-{username}", at=day(0),
        )  # fmt: skip
        account_store.insert_auth_session(
            conn,
            account_store.AuthSessionRecord(f"s-{person.id[:20]}", person.id, "Firefox",
                                            day(0), day(0), day(9)),
            token_hash=f"session-hash-{person.id}",
        )  # fmt: skip
        account_store.insert_api_token(
            conn,
            account_store.ApiTokenRecord(f"t-{person.id[:20]}", person.id, f"{username} script",
                                         "mtk_abcd", day(0), None),
            token_hash=SECRET_TOKEN_HASH if username == SECRET_USERNAME else f"h-{person.id}",
        )  # fmt: skip


def _link(
    engine: Engine,
    listener: ListenerRecord,
    therapist: ListenerRecord,
    *,
    reader_name: str = "Dr Therapist",
    message: str = SECRET_NOTE[:10],
) -> None:
    """``therapist`` linked to ``listener``, having read their history and suggested a goal."""
    with write_transaction(engine) as conn:
        link = account_store.LinkRecord(f"l-{listener.id[:20]}", listener.id, None, True, day(0),
                                        None, day(7))  # fmt: skip
        account_store.insert_invite(conn, link, code_hash=f"code-{listener.id}")
        account_store.accept_invite(conn, link.id, therapist.id, day(1))
        account_store.log_access(conn, listener_id=listener.id, reader_id=therapist.id,
                                 reader_name=reader_name, what="history", at=day(1))  # fmt: skip
        account_store.insert_suggestion(conn, listener_id=listener.id, therapist_id=therapist.id,
                                        goal="focus", tracks=None, message=message,
                                        at=day(1))  # fmt: skip


def _populate(engine: Engine, *, name: str, note: str, playlist: str) -> tuple[ListenerRecord, str]:
    person = create_listener(
        engine,
        profile=CALM_PROFILE,
        display_name=name,
        goals=["calm_down"],
        country="DE",
        consent_notes=True,
    )
    record_checkin(engine, person.id, MoodReport(valence=-0.2, arousal=0.1, note=note), at=day(0))
    started = session(engine, person.id, note=note, at=day(1))
    record_feedback(engine, started.session.id, "trk-2", thumbs=1, helped=True, at=day(1, 10))
    finish_session(engine, started.session.id, MoodReport.parse("calm", note=note), at=day(1, 11))
    record_playlist_export(
        engine,
        person.id,
        name=playlist,
        format="m3u",
        track_ids=["trk-2"],
        location=f"/home/{name}/calm.m3u",
        session_id=started.session.id,
        at=day(1, 12),
    )
    heard = SECRET_TRACK if name == SECRET_NAME else "other-track"
    record_listening(
        engine,
        person.id,
        [
            ListeningEvent(
                "lastfm", "play", heard, "title_artist", played_at=day(2), ms_played=None
            ),
            ListeningEvent(
                "spotify-extended-history",
                "skip",
                heard,
                "spotify_id",
                played_at=day(2, 10),
                ms_played=9_000,
            ),
        ],
        unknown=[
            UnknownListen(
                "lastfm",
                "play",
                "not in the catalog",
                title=SECRET_UNKNOWN if name == SECRET_NAME else "other unknown",
                artists="Nobody Known",
                played_at=day(2, 11),
            )
        ],
        at=day(2, 12),
    )
    _add_account(
        engine, person,
        username=SECRET_USERNAME if name == SECRET_NAME else f"user-{person.id[:8]}",
    )  # fmt: skip
    return person, started.session.id


def test_export_holds_every_row_about_the_listener(engine: Engine) -> None:
    person, session_id = _populate(
        engine, name=SECRET_NAME, note=SECRET_NOTE, playlist=SECRET_PLAYLIST
    )
    other, _ = _populate(engine, name="Someone Else", note="other note", playlist="other mix")
    _link(engine, person, other)

    exported = export_listener(engine, person.id)
    text = json.dumps(exported)  # JSON-serialisable as is

    assert exported["listener_id"] == person.id
    tables = exported["tables"]
    assert {k: len(v) for k, v in tables.items()} == {
        "listeners": 1,
        "listening_sessions": 1,
        "session_tracks": 3,
        "mood_checkins": 3,
        "track_feedback": 1,
        "exported_playlists": 1,
        "listening_events": 2,
        "unmatched_listening": 1,
        "accounts": 1,
        "auth_sessions": 1,
        "api_tokens": 1,
        "therapist_links": 1,
        "suggestions": 1,
        "access_log": 1,
    }
    assert tables["listeners"][0]["profile"]["fav_genre"] == "Rock"
    assert {e["kind"] for e in tables["listening_events"]} == {"play", "skip"}
    assert SECRET_TRACK in text and SECRET_UNKNOWN in text
    assert tables["accounts"][0]["username"] == SECRET_USERNAME
    assert "$argon2id$" not in text and SECRET_TOKEN_HASH not in text  # never the hashes
    assert tables["access_log"][0]["reader_name"] == "Dr Therapist"
    assert tables["listening_sessions"][0]["id"] == session_id
    assert SECRET_NOTE in text and SECRET_PLAYLIST in text
    assert "other note" not in text
    assert other.id not in json.dumps(
        {
            k: v
            for k, v in tables.items()
            if k not in ("therapist_links", "suggestions", "access_log")
        }
    )


def _every_value(engine: Engine) -> list[str]:
    """Every value of every row of every table in the database, as text."""
    values: list[str] = []
    with engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                values.extend(json.dumps(v, default=str) for v in row)
    return values


def test_delete_removes_the_listener_from_every_table(engine: Engine) -> None:
    person, session_id = _populate(
        engine, name=SECRET_NAME, note=SECRET_NOTE, playlist=SECRET_PLAYLIST
    )
    other, other_session = _populate(engine, name="Someone Else", note="other", playlist="mix")
    _link(engine, person, other)  # the person's therapist
    _link(engine, other, person)  # and the person is the other's therapist
    secrets = [person.id, session_id, SECRET_NOTE, SECRET_NAME, SECRET_PLAYLIST, SECRET_TRACK,
               SECRET_USERNAME, SECRET_TOKEN_HASH, SECRET_UNKNOWN]  # fmt: skip
    assert all(any(s in v for v in _every_value(engine)) for s in secrets)  # the search works

    removed = delete_listener(engine, person.id)

    assert removed == {
        "access_log": 1,
        "suggestions": 2,
        "therapist_links": 2,
        "api_tokens": 1,
        "auth_sessions": 1,
        "accounts": 1,
        "track_feedback": 1,
        "mood_checkins": 3,
        "listening_events": 2,
        "unmatched_listening": 1,
        "exported_playlists": 1,
        "session_tracks": 3,
        "listening_sessions": 1,
        "listeners": 1,
    }
    everything = _every_value(engine)
    for secret in secrets:
        assert not any(secret in v for v in everything), f"{secret!r} is still stored"
    assert any(other.id in v for v in everything)  # the other listener is untouched
    with read_transaction(engine) as conn:  # their log keeps the read, not the reader's id
        kept = account_store.list_access(conn, other.id)
    assert [(a.reader_id, a.reader_name, a.what) for a in kept] == [(None, "Dr Therapist",
                                                                     "history")]  # fmt: skip
    with read_transaction(engine) as conn:
        assert repo.get_session(conn, other_session) is not None
        assert len(repo.list_checkins(conn, other.id)) == 3


def test_deleted_text_is_gone_from_the_sqlite_files(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    upgrade(engine)
    try:
        person, _ = _populate(engine, name=SECRET_NAME, note=SECRET_NOTE, playlist=SECRET_PLAYLIST)
        other, _ = _populate(engine, name="Someone Else", note="other", playlist="mix")
        # their therapist read their history and suggested a journey, in words of their own
        _link(engine, person, other, reader_name="Dr Ilse Brandauer-9150",
              message=SECRET_SUGGESTION)  # fmt: skip
        _link(engine, other, person, reader_name="Dr Kept-In-Their-Log")  # and the other's
        secrets = (SECRET_NOTE, SECRET_NAME, SECRET_PLAYLIST, person.id, SECRET_USERNAME,
                   SECRET_TOKEN_HASH, SECRET_SUGGESTION, "Dr Ilse Brandauer-9150",
                   SECRET_UNKNOWN, SECRET_TRACK)  # fmt: skip
        files = sorted(tmp_path.glob("db.sqlite3*"))
        assert any(SECRET_SUGGESTION.encode() in p.read_bytes() for p in files)  # it was there
        delete_listener(engine, person.id)
        raws = {p.name: p.read_bytes() for p in tmp_path.glob("db.sqlite3*")}  # db, WAL, shm
        for name, raw in raws.items():
            for secret in secrets:
                assert re.search(re.escape(secret.encode()), raw) is None, (name, secret)
        # the other listener's record of who read their data keeps the reader's name (only)
        assert any(b"Dr Kept-In-Their-Log" in raw for raw in raws.values())
    finally:
        engine.dispose()
