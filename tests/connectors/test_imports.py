"""Importing history and playlists for a listener: matched, stored once, learnt from, reported."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from moodtune.app.connectors import (
    UnmatchedExample,
    export_journey_playlist,
    import_history,
    import_playlist_files,
    journey_playlist,
)
from moodtune.app.services import Services
from moodtune.connectors.playlists import read_playlist
from moodtune.errors import InputError, NotFoundError
from moodtune.recommend.collaborative import ImplicitMF
from moodtune.recommend.listening import listening_feedback, listening_interactions
from moodtune.sessions import create_listener, set_consent
from moodtune.sessions.listening import consenting_listening_data, listening_data
from moodtune.sessions.personal import learn_listener
from moodtune.store import read_transaction
from moodtune.store import repository as repo
from tests.connectors.catalog import CALM, HAPPY, SAD, TENSE, record_journey
from tests.connectors.test_history import EXTENDED

SCROBBLES = (
    b"Johnny Cash,American IV,Hurt,05 Jan 2024 21:04\n"
    b"Johnny Cash,American IV,Hurt,05 Jan 2024 21:09\n"
    b"The Killers,Hot Fuss,Mr. Brightside - 2004 Remaster,06 Jan 2024 08:00\n"
    b"Nobody Known,Unknown,Song Nobody Has,06 Jan 2024 09:00\n"
)


def test_history_import_matches_stores_once_and_reports_why_not(services: Services) -> None:
    person = create_listener(services.engine)
    files = [("endsong.json", json.dumps(EXTENDED).encode()), ("scrobbles.csv", SCROBBLES)]
    report = import_history(services, person.id, files)
    assert [f.records for f in report.files] == [3, 4]
    assert report.files[0].not_music == 1
    assert report.considered == 6 and report.matched == 5
    assert report.matched_by == {"spotify_id": 2, "title_artist": 3}
    assert report.unmatched == {"not in the catalog": 1}
    assert report.unmatched_examples == (UnmatchedExample("Nobody Known – Song Nobody Has", 1),)
    assert (report.plays, report.skips, report.added, report.already_stored) == (5, 1, 5, 0)
    assert "5 of 6 matched" in report.summary

    again = import_history(services, person.id, files)
    assert (again.added, again.already_stored) == (0, 5)
    rows = listening_data(services.engine, person.id)
    assert sorted((r["track_id"], r["kind"]) for r in rows) == sorted(
        [(CALM, "play"), (SAD, "skip"), (SAD, "play"), (SAD, "play"), (TENSE, "play")]
    )
    with read_transaction(services.engine) as conn:
        stored = repo.listener_rows(conn, person.id)["listening_events"]
    assert not any("203.0.113.7" in json.dumps(r, default=str) for r in stored)


def test_a_malformed_file_stores_nothing(services: Services) -> None:
    person = create_listener(services.engine)
    with pytest.raises(InputError) as info:
        import_history(services, person.id, [("good.csv", SCROBBLES), ("bad.json", b"[{]")])
    assert info.value.file == "bad.json"
    assert listening_data(services.engine, person.id) == []


def test_imported_listening_moves_the_learner_and_honours_consent(services: Services) -> None:
    person = create_listener(services.engine)
    features = services.catalog.features
    before = learn_listener(services.engine, person.id, features, cache=services.learners)
    assert not before.personalised
    import_history(services, person.id, [("s.csv", SCROBBLES)])
    after = learn_listener(services.engine, person.id, features, cache=services.learners)
    assert after.personalised and after.listening_tracks == 2  # Hurt and Mr. Brightside, once
    assert after.learner is not None and after.learner.n_feedback_ == 2
    liked = features.matrix[features.rows([SAD])[0]]
    unheard = features.matrix[features.rows([HAPPY])[0]]
    mean = after.learner.mean_
    assert liked @ mean > unheard @ mean
    set_consent(services.engine, person.id, learning=False)
    assert listening_data(services.engine, person.id) == []
    assert consenting_listening_data(services.engine) == []


def test_skips_outweigh_plays_only_when_they_are_more() -> None:
    rows: list[dict[str, Any]] = [
        {"track_id": "a", "kind": "skip", "ms_played": 5_000},
        {"track_id": "a", "kind": "skip", "ms_played": 9_000},
        {"track_id": "a", "kind": "play", "ms_played": 200_000},
        {"track_id": "b", "kind": "skip", "ms_played": 5_000},
        {"track_id": "b", "kind": "like", "ms_played": None},
    ]
    a, b = listening_feedback(rows)
    assert (a.track_id, a.skipped_after_s) == ("a", 7.0)
    assert (b.track_id, b.skipped_after_s, b.played) == ("b", None, True)


def test_listening_feeds_the_matrix_factorisation() -> None:
    # Listeners 0-2 play a, b together; listener 3 plays only a: MF should rank b next for 3.
    tracks = ["a", "b", "c", "d"]
    rows = [
        {"listener_id": f"p{i}", "track_id": t, "kind": "play"}
        for i in range(3)
        for t in ("a", "b")
    ] + [
        {"listener_id": "p3", "track_id": "a", "kind": "play"},
        {"listener_id": "p3", "track_id": "a", "kind": "play"},
        {"listener_id": "p4", "track_id": "c", "kind": "play"},
        {"listener_id": "p4", "track_id": "d", "kind": "skip"},
        {"listener_id": "elsewhere", "track_id": "a", "kind": "play"},
    ]
    listeners = ["p0", "p1", "p2", "p3", "p4"]
    matrix = listening_interactions(rows, listeners=listeners, track_ids=tracks)
    assert matrix.shape == (5, 4)
    assert matrix[3, 0] == pytest.approx(math.log1p(2))
    assert matrix[4, 3] == 0  # a skip is no positive interaction
    scores = ImplicitMF(factors=2, iterations=15, random_state=0).fit(matrix).scores([3])[0]
    assert scores[1] > scores[2] and scores[1] > scores[3]


def test_playlist_files_import_as_likes(services: Services) -> None:
    person = create_listener(services.engine)
    m3u = (
        "#EXTM3U\n#EXTINF:480,Marconi Union - Weightless\n/music/weightless.flac\n"
        f"#EXTINF:200,Someone - Else\nspotify:track:{HAPPY}\n#EXTINF:10,Nobody - Nothing\n/x.mp3\n"
    ).encode()
    report = import_playlist_files(services, person.id, [("mine.m3u8", m3u), ("again.m3u8", m3u)])
    assert (report.considered, report.matched, report.likes) == (6, 4, 6)
    assert (report.added, report.already_stored, report.repeated) == (2, 0, 2)
    assert "2 repeated in the files" in report.summary
    assert report.matched_by == {"title_artist": 2, "spotify_id": 2}


@pytest.mark.parametrize("fmt", ["m3u8", "xspf", "csv", "json"])
def test_a_journey_downloads_as_every_format_and_reads_back(services: Services, fmt: str) -> None:
    person = create_listener(services.engine)
    session_id = record_journey(services.engine, person.id)
    download = export_journey_playlist(services, person.id, session_id, fmt, locations="auto")
    assert download.filename.endswith(f".{fmt}")
    back = read_playlist(download.content.encode(), name=download.filename)
    if fmt in ("m3u8", "xspf"):  # they must point at every track: the old one has nothing
        assert download.tracks == 3 and download.notes == (
            "track 4 (Band – Old) left out: it has no local file or Spotify id to point at",
        )
        assert [e.spotify_id for e in back.entries] == [TENSE, HAPPY, CALM]
    else:
        assert download.tracks == 4 and download.notes == ()
        assert [e.spotify_id for e in back.entries] == [TENSE, HAPPY, CALM, None]
        assert back.entries[3].track_id == "gone-from-catalog"
    with read_transaction(services.engine) as conn:
        exports = repo.list_playlist_exports(conn, person.id)
    assert [e.format for e in exports] == [fmt]


def test_journey_export_refuses_an_empty_file_and_other_listeners(
    services: Services,
) -> None:
    person = create_listener(services.engine)
    session_id = record_journey(services.engine, person.id)
    with pytest.raises(InputError) as info:  # the catalog tracks have no local files
        export_journey_playlist(services, person.id, session_id, "m3u8", locations="path")
    assert info.value.field == "format"
    playlist = journey_playlist(services, person.id, session_id)
    assert playlist.entries[3].title == "Old" and playlist.entries[0].title == "Mr. Brightside"
    other = create_listener(services.engine)
    with pytest.raises(NotFoundError):
        journey_playlist(services, other.id, session_id)
