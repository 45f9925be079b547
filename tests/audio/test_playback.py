"""A listener's own files play in the browser: whole, by byte range, and only for them."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from moodtune.app.library import STATE_FILE
from moodtune.audio.library import library_dir, local_track_id
from moodtune.audio.scan import LibraryStore, run_scan
from moodtune.config import Settings
from moodtune.web import create_app
from moodtune.web.identity import LocalIdentity


@pytest.fixture
def served(audio_files: dict[str, Path], tmp_path: Path) -> tuple[Settings, Path, str]:
    settings = Settings(data_dir=tmp_path / "data", offline=True)
    music = tmp_path / "music"
    music.mkdir()
    song = Path(shutil.copy2(audio_files["clicks.flac"], music / "clicks.flac"))
    store = LibraryStore(library_dir(settings, "mine") / STATE_FILE)
    store.set_meta("owner", "listener-a")
    run_scan(music, store, workers=1)
    (record,) = store.records()
    return settings, song, local_track_id(record["content_id"])


def _client(settings: Settings, listener: str) -> TestClient:
    LocalIdentity(settings).set(listener)
    return TestClient(create_app(settings))


def test_the_owner_gets_the_whole_file_and_any_byte_range(
    served: tuple[Settings, Path, str],
) -> None:
    settings, song, track_id = served
    client = _client(settings, "listener-a")
    url = f"/api/v1/local-tracks/{track_id}/audio"
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole.content == song.read_bytes()
    assert whole.headers["content-type"] == "audio/flac"
    assert whole.headers["accept-ranges"] == "bytes"
    assert "no-store" in whole.headers["cache-control"]
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == song.read_bytes()[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{song.stat().st_size}"
    beyond = client.get(url, headers={"Range": f"bytes={song.stat().st_size + 10}-"})
    assert beyond.status_code == 416


def test_no_one_else_can_play_it_and_a_changed_file_is_not_served(
    served: tuple[Settings, Path, str],
) -> None:
    settings, song, track_id = served
    url = f"/api/v1/local-tracks/{track_id}/audio"
    assert _client(settings, "listener-b").get(url).status_code == 404
    owner = _client(settings, "listener-a")
    assert owner.get("/api/v1/local-tracks/local-0123abcd/audio").status_code == 404
    song.write_bytes(song.read_bytes() + b"\0")  # changed since the scan
    assert owner.get(url).status_code == 404


def test_scan_with_a_listener_name_records_their_id_as_the_owner(
    audio_files: dict[str, Path], tmp_path: Path, mirror_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moodtune.app.library as library
    from moodtune.errors import NotFoundError
    from moodtune.sessions import create_listener
    from moodtune.store import open_database

    settings = Settings(data_dir=tmp_path / "data", mirror_dir=mirror_dir, offline=True)
    ada = create_listener(open_database(settings), display_name="Ada")
    music = tmp_path / "music"
    music.mkdir()
    shutil.copy2(audio_files["clicks.flac"], music / "clicks.flac")
    with pytest.raises(NotFoundError) as unknown:
        library.scan_music_folder(music, name="mine", owner="Bob", workers=1, settings=settings)
    assert unknown.value.field == "listener"
    built: list[str] = []  # the catalog step is tested elsewhere; here only the owner matters

    def build(name: str, *_: Any, **__: Any) -> SimpleNamespace:
        built.append(name)
        return SimpleNamespace(active=False)  # no catalog: nothing is placed

    monkeypatch.setattr(library, "_build_catalog", build)
    library.scan_music_folder(music, name="mine", owner="Ada", workers=1, settings=settings)
    assert built == ["mine"]
    store = LibraryStore(library_dir(settings, "mine") / STATE_FILE)
    assert store.get_meta("owner") == ada.id


def test_a_local_track_card_has_a_player_and_a_catalog_track_none() -> None:
    from types import SimpleNamespace

    import moodtune.web.account_pages  # noqa: F401  (registers the CSRF template helpers)
    from moodtune.app.views import track_view
    from moodtune.web.pages import templates

    row = {"track_id": "local-0123abcd", "name": "Clicks", "artists": "Me",
           "mood_valence": 0.2, "mood_arousal": 0.1}  # fmt: skip
    local = track_view(row)
    assert local.local_audio_url == "/api/v1/local-tracks/local-0123abcd/audio"
    catalog = track_view({**row, "track_id": "4uLU6hMCjMI75M1A2tKUQC"})
    assert catalog.local_audio_url is None and catalog.spotify_url is not None

    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(
        settings=Settings(multi_user=False))))  # fmt: skip
    card = templates.env.get_template("partials/track_card.html")
    session = SimpleNamespace(id="s1", finished_at=None)

    def render(track: object) -> str:
        t = SimpleNamespace(number=1, track=track, title="x", reason="why", feedback=None)
        return card.render(s=session, t=t, request=request, errors={}, message=None)

    html = render(local)
    assert '<audio controls preload="none" src="/api/v1/local-tracks/local-0123abcd/audio"' in html
    assert "<audio" not in render(catalog)
