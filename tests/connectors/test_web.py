"""The web additions: journey downloads, history/playlist uploads, Spotify connect and export."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from fastapi.testclient import TestClient

from moodtune.app.services import Services
from moodtune.config import Settings
from moodtune.connectors.playlists import read_playlist
from moodtune.errors import InputError
from moodtune.sessions import JourneyCatalog
from moodtune.web import create_app
from tests.connectors.catalog import CALM, HAPPY, TENSE, record_journey
from tests.connectors.fake_spotify import CLIENT_ID, FakeSpotify
from tests.connectors.test_imports import SCROBBLES


@pytest.fixture
def web(
    engine: Any, tiny: JourneyCatalog, fake: FakeSpotify, tmp_path: Path
) -> Iterator[tuple[TestClient, Services]]:
    settings = Settings(
        data_dir=tmp_path / "web",
        offline=True,
        spotify_client_id=CLIENT_ID,
        spotify_api_base=fake.api,
        spotify_accounts_base=fake.base,
        spotify_redirect_uri="http://testserver/me/spotify/callback",
    )
    services = Services(settings, engine=engine, catalog_loader=lambda: tiny)
    with TestClient(create_app(settings, services=services)) as client:
        response = client.post("/api/v1/listener", json={"display_name": "Ana"})
        assert response.status_code == 201, response.text
        yield client, services


def _listener(client: TestClient) -> str:
    return str(client.get("/api/v1/listener").json()["listener"]["id"])


def test_journey_downloads_in_every_format(web: tuple[TestClient, Services]) -> None:
    client, services = web
    session_id = record_journey(services.engine, _listener(client))
    page = client.get(f"/journey/{session_id}").text
    for fmt in ("m3u8", "xspf", "csv", "json"):
        assert f"/api/v1/sessions/{session_id}/playlist?format={fmt}" in page
        response = client.get(f"/api/v1/sessions/{session_id}/playlist", params={"format": fmt})
        assert response.status_code == 200, response.text
        assert response.headers["content-disposition"].startswith("attachment; filename=")
        back = read_playlist(response.content, name=f"j.{fmt}")
        assert back.entries[0].spotify_id == TENSE
    m3u = client.get(f"/api/v1/sessions/{session_id}/playlist", params={"format": "m3u8"})
    assert "left out" in m3u.headers["x-moodtune-notes"]
    assert (
        client.get(f"/api/v1/sessions/{session_id}/playlist", params={"format": "pls"}).status_code
        == 422
    )
    assert client.get("/api/v1/sessions/nope/playlist").status_code == 404


def test_history_upload_answers_the_import_report(web: tuple[TestClient, Services]) -> None:
    client, _ = web
    files = [("files", ("scrobbles.csv", SCROBBLES, "text/csv"))]
    report = client.post("/api/v1/listening-history", files=files).json()
    assert (report["matched"], report["considered"]) == (3, 4)
    assert report["unmatched_examples"] == [{"track": "Nobody Known – Song Nobody Has", "count": 1}]
    page = client.post("/me/history", files=files)
    assert page.status_code == 200 and "3 of 4 matched the catalog" in page.text
    assert "0 new (3 already stored)" in page.text and "Mood unknown" in page.text
    bad = client.post(
        "/api/v1/listening-history", files=[("files", ("x.json", b"[{]", "application/json"))]
    )
    assert bad.status_code == 422 and "x.json" in bad.text
    playlists = client.post(
        "/me/playlists",
        files=[("files", ("mine.m3u8", f"spotify:track:{CALM}\n".encode(), "audio/x-mpegurl"))],
    )
    assert "1 of 1 matched" in playlists.text
    xspf = (
        '<?xml version="1.0"?><playlist xmlns="http://xspf.org/ns/0/" version="1"><trackList>'
        f"<track><location>spotify:track:{HAPPY}</location></track>"
        "<track><title>Nothing</title><creator>Nobody</creator></track></trackList></playlist>"
    )
    api = client.post(
        "/api/v1/playlists/import",
        files=[("files", ("mix.xspf", xspf.encode(), "application/xspf+xml"))],
    )
    assert api.status_code == 201, api.text
    assert (api.json()["matched"], api.json()["likes"]) == (1, 2)
    assert api.json()["unmatched"] == {"not in the catalog": 1}


def test_spotify_connect_import_and_export_from_the_web(
    web: tuple[TestClient, Services], fake: FakeSpotify
) -> None:
    client, services = web
    connect = client.get("/me/spotify/connect", follow_redirects=False)
    assert connect.status_code == 303 and connect.headers["location"].startswith(
        fake.base + "authorize"
    )
    back = requests.get(connect.headers["location"], allow_redirects=False, timeout=5)
    callback = urlparse(back.headers["location"])
    assert callback.path == "/me/spotify/callback" and "code" in parse_qs(callback.query)
    done = client.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/me?saved=spotify"
    assert client.get("/me/spotify/callback?state=forged&code=x").status_code == 422

    imported = client.post("/me/spotify/import")
    assert imported.status_code == 200 and "Imported Spotify library" in imported.text

    session_id = record_journey(services.engine, _listener(client))
    sent = client.post(f"/journey/{session_id}/spotify")
    assert "Saved to Spotify" in sent.text and "Open the playlist in Spotify" in sent.text
    fake.fail("POST", "/v1/me/playlists", 403)
    refused = client.post(f"/journey/{session_id}/spotify")
    assert "Saved as a playlist file" in refused.text and "11 Feb 2026" in refused.text
    assert "playlist?format=m3u8&amp;locations=spotify" in refused.text
    assert (
        HAPPY
        in client.get(
            f"/api/v1/sessions/{session_id}/playlist",
            params={"format": "m3u8", "locations": "spotify"},
        ).text
    )


def _settings(tmp_path: Path, fake: FakeSpotify, **extra: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "web",
        offline=True,
        spotify_api_base=fake.api,
        spotify_accounts_base=fake.base,
        **extra,
    )


def _client(settings: Settings, services: Services, base_url: str) -> TestClient:
    return TestClient(create_app(settings, services=services), base_url=base_url)


def test_web_connect_uses_its_own_loopback_callback_when_no_redirect_is_set(
    engine: Any, tiny: JourneyCatalog, fake: FakeSpotify, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, fake, spotify_client_id=CLIENT_ID)
    assert settings.spotify_redirect_uri == "http://127.0.0.1:8888/callback"  # the CLI's default
    services = Services(settings, engine=engine, catalog_loader=lambda: tiny)
    with _client(settings, services, "http://127.0.0.1:8000") as client:
        assert client.post("/api/v1/listener", json={"display_name": "Bo"}).status_code == 201
        connect = client.get("/me/spotify/connect", follow_redirects=False)
        asked = parse_qs(urlparse(connect.headers["location"]).query)
        assert asked["redirect_uri"] == ["http://127.0.0.1:8000/me/spotify/callback"]
        back = requests.get(connect.headers["location"], allow_redirects=False, timeout=5)
        callback = urlparse(back.headers["location"])
        assert (callback.hostname, callback.port) == ("127.0.0.1", 8000)
        # The token exchange repeats the same redirect (the fake refuses a different one).
        done = client.get(f"{callback.path}?{callback.query}", follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/me?saved=spotify"
        assert "Connected to Spotify" in client.get("/me").text
    with _client(settings, services, "http://testserver") as client:  # not a loopback address
        refused = client.get("/me/spotify/connect", follow_redirects=False)
        assert refused.status_code >= 400 and "MOODTUNE_SPOTIFY_REDIRECT_URI" in refused.text
        assert "location" not in refused.headers


def test_save_to_spotify_shows_only_when_spotify_is_configured(
    engine: Any,
    tiny: JourneyCatalog,
    fake: FakeSpotify,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moodtune.app.spotify import spotify_setup_hint

    bare = _settings(tmp_path, fake)
    services = Services(bare, engine=engine, catalog_loader=lambda: tiny)
    with _client(bare, services, "http://127.0.0.1:8000") as client:
        assert client.post("/api/v1/listener", json={"display_name": "Di"}).status_code == 201
        session_id = record_journey(services.engine, _listener(client))
        page = client.get(f"/journey/{session_id}").text
    assert "Save to my Spotify" not in page and f"/journey/{session_id}/spotify" not in page
    assert "set MOODTUNE_SPOTIFY_CLIENT_ID" in page
    assert f"/api/v1/sessions/{session_id}/playlist?format=m3u8" in page

    configured = _settings(tmp_path, fake, spotify_client_id=CLIENT_ID)
    assert spotify_setup_hint(configured) is None
    monkeypatch.setitem(__import__("sys").modules, "spotipy", None)  # the extra not installed
    hint = spotify_setup_hint(configured)
    assert hint is not None and 'pip install "moodtune[spotify]"' in hint


def test_journey_page_with_spotify_configured_offers_it(web: tuple[TestClient, Services]) -> None:
    client, services = web
    session_id = record_journey(services.engine, _listener(client))
    page = client.get(f"/journey/{session_id}").text
    assert "Save to my Spotify" in page and "MOODTUNE_SPOTIFY_CLIENT_ID" not in page


def test_me_page_lists_mood_unknown_tracks(web: tuple[TestClient, Services]) -> None:
    client, _ = web
    client.post("/me/history", files=[("files", ("scrobbles.csv", SCROBBLES, "text/csv"))])
    me = client.get("/me").text
    assert "Mood unknown" in me and "Nobody Known – Song Nobody Has" in me and "1 plays" in me


def test_a_request_waiting_on_spotify_leaves_the_request_thread_free(
    engine: Any, tiny: JourneyCatalog, fake: FakeSpotify, tmp_path: Path, monkeypatch: Any
) -> None:
    """With one request thread (SQLite's default), an import stuck on Spotify waits on the
    network threads: the pages still answer meanwhile."""
    import threading

    from moodtune.app import spotify as app_spotify
    from moodtune.web.app import request_threads

    settings = _settings(tmp_path, fake, spotify_client_id=CLIENT_ID)
    assert settings.request_threads is None and request_threads(settings) == 1
    entered, release = threading.Event(), threading.Event()

    def stuck_import(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(30)
        raise InputError("Spotify answered at last")

    monkeypatch.setattr(app_spotify, "import_spotify_library", stuck_import)
    monkeypatch.setattr(app_spotify, "user_client", lambda settings: None)
    services = Services(settings, engine=engine, catalog_loader=lambda: tiny)
    answers: dict[str, int] = {}

    def ask(name: str, method: str, path: str) -> threading.Thread:
        def run() -> None:
            answers[name] = client.request(method, path).status_code

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        return thread

    with _client(settings, services, "http://testserver") as client:
        assert client.post("/api/v1/listener", json={"display_name": "Ana"}).status_code == 201
        waiting = ask("import", "POST", "/me/spotify/import")
        try:
            assert entered.wait(10)
            ask("history", "GET", "/history").join(10)  # needs the one request thread
            assert answers.get("history") == 200 and "import" not in answers
        finally:
            release.set()
            waiting.join(10)
    assert answers["import"] == 422


def test_request_threads_follow_the_database() -> None:
    from moodtune.web.app import request_threads

    assert request_threads(Settings(database_url="")) == 1
    cores = request_threads(Settings(database_url="postgresql://u@localhost/db"))
    assert cores == (os.cpu_count() or 1) + 1
    assert request_threads(Settings(database_url="", request_threads=4)) == 4
