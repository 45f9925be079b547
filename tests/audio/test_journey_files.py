"""A journey over a listener's own files downloads as a playlist that points at those files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from moodtune.app.connectors import export_journey_playlist
from moodtune.app.library import STATE_FILE, owned_track_paths
from moodtune.app.services import Services
from moodtune.audio.library import library_dir, local_track_id
from moodtune.audio.scan import LibraryStore, run_scan
from moodtune.config import Settings
from moodtune.connectors.playlists import read_playlist
from moodtune.recommend.tracks import TrackIndex
from moodtune.sessions import JourneyCatalog, OfferedTrack, create_listener
from moodtune.sessions.service import MoodReport, start_session
from tests.connectors.catalog import CALM, connector_catalog
from tests.recommend.tiny_catalog import make_catalog


def _journey(services: Services, listener: str, tracks: list[str]) -> str:
    started = start_session(
        services.engine, listener, goal="calm_down",
        before=MoodReport(valence=-0.2, arousal=0.8),
        tracks=[OfferedTrack(track_id=t, reason="step") for t in tracks], model_version="test",
    )  # fmt: skip
    return started.session.id


@pytest.fixture
def own_library(
    audio_files: dict[str, Path], tmp_path: Path, engine: Any
) -> tuple[Services, str, str, Path]:
    """Ada's library of one file, scanned as hers, and a catalog holding it beside CALM."""
    settings = Settings(data_dir=tmp_path / "data", offline=True)
    ada = create_listener(engine, display_name="Ada")
    music = tmp_path / "music"
    music.mkdir()
    song = Path(shutil.copy2(audio_files["clicks.flac"], music / "clicks.flac"))
    store = LibraryStore(library_dir(settings, "mine") / STATE_FILE)
    store.set_meta("owner", ada.id)
    run_scan(music, store, workers=1)
    (record,) = store.records()
    store.close()
    track = local_track_id(record["content_id"])
    frame = make_catalog(
        [{"track_id": track, "name": "Clicks", "artists": "Ada", "mood_valence": 0.1,
          "mood_arousal": -0.2, "duration_ms": 40_000}]
    )  # fmt: skip
    import pandas as pd

    catalog = JourneyCatalog.from_index(
        TrackIndex(method="exact").fit(pd.concat([connector_catalog(), frame], ignore_index=True)),
        name="mine",
    )
    services = Services(settings, engine=engine, catalog_loader=lambda: catalog)
    return services, ada.id, track, song


@pytest.mark.parametrize("fmt", ["m3u8", "xspf"])
def test_the_owners_journey_points_at_their_file(
    own_library: tuple[Services, str, str, Path], fmt: str
) -> None:
    services, ada, track, song = own_library
    session_id = _journey(services, ada, [track, CALM])
    download = export_journey_playlist(services, ada, session_id, fmt)
    assert (download.tracks, download.notes) == (2, ())
    back = read_playlist(download.content.encode(), name=download.filename)
    assert [e.path for e in back.entries] == [str(song), None]
    assert back.entries[1].spotify_id == CALM
    only_files = export_journey_playlist(services, ada, session_id, fmt, locations="path")
    assert only_files.tracks == 1 and "left out" in only_files.notes[0]


def test_nobody_elses_paths_are_written(own_library: tuple[Services, str, str, Path]) -> None:
    services, ada, track, song = own_library
    bob = create_listener(services.engine, display_name="Bob").id
    assert owned_track_paths(bob, settings=services.settings) == {}
    assert owned_track_paths(ada, settings=services.settings) == {track: str(song)}
    session_id = _journey(services, bob, [track, CALM])
    download = export_journey_playlist(services, bob, session_id, "m3u8")
    assert download.tracks == 1 and "no local file" in download.notes[0]
    assert str(song) not in download.content and "clicks" not in download.content
