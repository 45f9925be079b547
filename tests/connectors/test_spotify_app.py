"""Spotify in the application layer, configured only by settings, against the fake server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from moodtune.app.services import Services
from moodtune.app.spotify import (
    FORBIDDEN_EXPORT,
    FORBIDDEN_FILL,
    export_journey_to_spotify,
    import_spotify_library,
    lookup_client,
    resolve_tracks,
    search_spotify,
    spotify_login,
    spotify_logout,
    user_client,
)
from moodtune.config import Settings
from moodtune.connectors.playlists import read_playlist
from moodtune.errors import ConnectorError, InputError
from moodtune.sessions import create_listener
from moodtune.sessions.listening import listening_data
from moodtune.store import read_transaction
from moodtune.store import repository as repo
from tests.connectors.catalog import CALM, HAPPY, SAD, TENSE, record_journey
from tests.connectors.fake_spotify import CLIENT_ID, CLIENT_SECRET, FakeSpotify, free_port


def _settings(fake: FakeSpotify, tmp_path: Path, **extra: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        offline=True,
        spotify_client_id=CLIENT_ID,
        spotify_api_base=fake.api,
        spotify_accounts_base=fake.base,
        spotify_redirect_uri=f"http://127.0.0.1:{free_port()}/callback",
        **extra,
    )


def _login(settings: Settings) -> None:
    spotify_login(settings, open_url=lambda url: requests.get(url, timeout=5), timeout_s=10)


def test_missing_settings_say_what_to_set(fake: FakeSpotify, tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match="MOODTUNE_SPOTIFY_CLIENT_ID"):
        user_client(Settings(data_dir=tmp_path, offline=True))
    settings = _settings(fake, tmp_path)
    with pytest.raises(ConnectorError, match="moodtune spotify login"):
        user_client(settings)
    with pytest.raises(ConnectorError, match="MOODTUNE_SPOTIFY_CLIENT_SECRET"):
        lookup_client(settings)


def test_a_missing_extra_says_what_to_install(
    fake: FakeSpotify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "spotipy", None)  # as if not installed
    with pytest.raises(ConnectorError, match=r'pip install "moodtune\[spotify\]"'):
        user_client(_settings(fake, tmp_path))


def test_search_shows_the_catalog_mood_or_mood_unknown(
    fake: FakeSpotify,
    tmp_path: Path,
    services: Services,
) -> None:
    settings = _settings(fake, tmp_path, spotify_client_secret=CLIENT_SECRET)
    hits, total = search_spotify(services, lookup_client(settings), "hurt")
    assert total == 1 and hits[0].catalog_track_id == SAD and hits[0].mood is not None
    assert hits[0].mood.quadrant == "sad/low"
    hits, _ = search_spotify(services, lookup_client(settings), "song 1")
    assert hits and all(h.mood is None and h.catalog_track_id is None for h in hits)


def test_tracks_resolve_with_links_art_dates_and_the_catalog_mood(
    fake: FakeSpotify, tmp_path: Path, services: Services
) -> None:
    settings = _settings(fake, tmp_path, spotify_client_secret=CLIENT_SECRET)
    hits = resolve_tracks(
        services,
        lookup_client(settings),
        [f"https://open.spotify.com/track/{TENSE}", f"spotify:track:{CALM}", "0" * 22],
    )
    assert [h.track.id for h in hits] == [TENSE, CALM]  # the unknown id is left out
    assert hits[0].track.album_art_url and hits[0].mood is not None
    assert hits[1].track.release_date == "2004-06-07" and hits[1].catalog_track_id == CALM
    with pytest.raises(InputError) as info:
        resolve_tracks(services, lookup_client(settings), ["spotify:album:x"])
    assert info.value.field == "track"


def test_library_import_stores_likes_and_recent_plays(
    fake: FakeSpotify,
    tmp_path: Path,
    services: Services,
) -> None:
    settings = _settings(fake, tmp_path)
    _login(settings)
    person = create_listener(services.engine)
    report = import_spotify_library(services, person.id, user_client(settings))
    # saved: CALM, SAD; recent: TENSE, HAPPY; playlist Focus: CALM + a track not in the catalog
    assert (report.considered, report.matched, report.likes, report.plays) == (6, 5, 4, 2)
    assert report.matched_by == {"spotify_id": 5}
    assert report.unmatched == {"not in the catalog": 1}
    stored = {
        (r["track_id"], r["kind"], r["source"]) for r in listening_data(services.engine, person.id)
    }
    assert (TENSE, "play", "spotify-recent") in stored and (
        CALM,
        "like",
        "spotify-playlist",
    ) in stored
    assert spotify_logout(settings) and not spotify_logout(settings)


def _logged_in_journey(
    fake: FakeSpotify, tmp_path: Path, services: Services, **extra: Any
) -> tuple[str, str, Any]:
    """A listener logged in to the fake, a recorded journey, and a client that never sleeps."""
    settings = _settings(fake, tmp_path, **extra)
    _login(settings)
    person = create_listener(services.engine)
    session_id = record_journey(services.engine, person.id)
    client = user_client(settings)
    client.sleep = lambda seconds: None
    return person.id, session_id, client


def _assert_saved_as_m3u8(result: Any, services: Services, person_id: str) -> None:
    """The fallback is an M3U8 of the journey's three Spotify tracks, recorded as the export."""
    assert result.fallback is not None
    back = read_playlist(result.fallback.content.encode(), name=result.fallback.filename)
    assert [e.spotify_id for e in back.entries] == [TENSE, HAPPY, CALM]
    with read_transaction(services.engine) as conn:
        assert [e.format for e in repo.list_playlist_exports(conn, person_id)] == ["m3u8"]


def test_journey_export_creates_a_private_playlist(
    fake: FakeSpotify,
    tmp_path: Path,
    services: Services,
) -> None:
    person_id, session_id, client = _logged_in_journey(fake, tmp_path, services)
    result = export_journey_to_spotify(services, person_id, session_id, client)
    assert result.fallback is None and result.url is not None and result.tracks == 3
    assert result.notes == ("track 4 (Band – Old) left out: it has no Spotify id",)
    assert fake.created[str(result.playlist_id)]["items"] == [
        f"spotify:track:{t}" for t in (TENSE, HAPPY, CALM)
    ]
    with read_transaction(services.engine) as conn:
        assert [e.format for e in repo.list_playlist_exports(conn, person_id)] == ["spotify"]


def test_a_forbidden_export_falls_back_to_a_playlist_file_saying_why(
    fake: FakeSpotify,
    tmp_path: Path,
    services: Services,
) -> None:
    person_id, session_id, client = _logged_in_journey(fake, tmp_path, services)
    fake.fail("POST", "/v1/me/playlists", 403)
    result = export_journey_to_spotify(services, person_id, session_id, client)
    assert result.url is None and result.message == FORBIDDEN_EXPORT
    assert result.fallback is not None and result.fallback.filename.endswith(".m3u8")
    _assert_saved_as_m3u8(result, services, person_id)


def test_a_playlist_spotify_will_not_fill_falls_back_and_says_it_was_created(
    fake: FakeSpotify,
    tmp_path: Path,
    services: Services,
) -> None:
    person_id, session_id, client = _logged_in_journey(fake, tmp_path, services)
    fake.fail("POST", "/v1/playlists/", 403)  # creating works; adding the tracks does not
    result = export_journey_to_spotify(services, person_id, session_id, client)
    (created,) = fake.created.values()
    assert created["items"] == []
    assert result.url is None and result.fallback is not None
    assert result.message == FORBIDDEN_FILL.format(name=created["name"])
    assert "not add its tracks" in result.message and "in your Spotify library" in result.message
    with read_transaction(services.engine) as conn:
        assert [e.format for e in repo.list_playlist_exports(conn, person_id)] == ["m3u8"]


def test_an_export_spotify_answered_502_to_although_it_added_the_tracks_says_so(
    fake: FakeSpotify,
    tmp_path: Path,
    services: Services,
) -> None:
    person_id, session_id, client = _logged_in_journey(fake, tmp_path, services)
    fake.fail("POST", "/v1/playlists/", 502, applied=True)  # added, then "Bad gateway"
    result = export_journey_to_spotify(services, person_id, session_id, client)
    assert fake.created[str(result.playlist_id)]["items"] == [
        f"spotify:track:{t}" for t in (TENSE, HAPPY, CALM)
    ]  # each once
    assert result.fallback is None and result.url is not None
    assert result.message == (
        "saved as a private Spotify playlist of 3 tracks "
        "(Spotify stumbled on the way; each track is in it once)"
    )
    assert result.notes[-1] == (
        "Spotify answered 502 Bad gateway when adding tracks 1–3, but it had added them: "
        "none was sent again"
    )


def test_an_export_spotify_keeps_failing_to_fill_falls_back_naming_the_playlist(
    fake: FakeSpotify,
    tmp_path: Path,
    services: Services,
) -> None:
    person_id, session_id, client = _logged_in_journey(
        fake, tmp_path, services, spotify_max_retries=1
    )
    fake.fail("POST", "/v1/playlists/", 503, times=10)
    result = export_journey_to_spotify(services, person_id, session_id, client)
    (created,) = fake.created.values()
    assert created["items"] == []
    assert result.url is None and result.fallback is not None
    assert result.message.startswith(
        f"Spotify kept failing while adding tracks to {created['name']!r} "
        "(Spotify answered 503 Service unavailable, 2 tries): the playlist is in your Spotify "
        "library with 0 of the journey's 3 tracks; so the journey was also saved as an M3U8"
    )
    _assert_saved_as_m3u8(result, services, person_id)


def test_an_export_whose_create_keeps_failing_says_nothing_was_made(
    fake: FakeSpotify,
    tmp_path: Path,
    services: Services,
) -> None:
    person_id, session_id, client = _logged_in_journey(
        fake, tmp_path, services, spotify_max_retries=1
    )
    fake.fail("POST", "/v1/me/playlists", 500, times=10)
    with pytest.raises(ConnectorError, match="none appeared in your library; try again later"):
        export_journey_to_spotify(services, person_id, session_id, client)
    assert fake.created == {}
    with read_transaction(services.engine) as conn:
        assert repo.list_playlist_exports(conn, person_id) == []
