"""The scan: incremental, parallel, resumable; bad files reported; the library is a catalog."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from moodtune.audio.library import LOCAL_ID_PREFIX
from moodtune.audio.scan import FileAnalysis, LibraryStore, analyse_file, run_scan
from moodtune.config import Settings

GOOD = ["clicks.flac", "major.ogg", "minor.mp3", "drums.opus", "drums.wav"]
BAD = {
    "silent.flac": "silent",
    "short.wav": "too short",
    "truncated.flac": "truncated",
    "corrupt.mp3": "corrupt",
    "song.m4a": "unsupported",
}


@pytest.fixture
def library(audio_files: dict[str, Path], tmp_path: Path) -> Path:
    root = tmp_path / "music"
    (root / "album").mkdir(parents=True)
    for name in [*GOOD, *BAD]:
        target = root / ("album" if name.startswith("drums") else "") / name
        shutil.copy2(audio_files[name], target)
    (root / "cover.jpg").write_bytes(b"not audio")
    (root / ".hidden.mp3").write_bytes(b"skipped")
    return root


def test_a_scan_analyses_the_good_files_and_reports_every_bad_one(
    library: Path, tmp_path: Path
) -> None:
    store = LibraryStore(tmp_path / "state" / "scan.sqlite3")
    outcome = run_scan(library, store, workers=2)
    assert (outcome.analysed, outcome.failed, outcome.other_files) == (5, 5, 1)
    assert outcome.audio_seconds == pytest.approx(150.0, abs=1.0)
    records = {Path(r["path"]).name: r for r in store.records()}
    assert set(records) == set(GOOD) | set(BAD)
    for name, problem in BAD.items():
        assert records[name]["problem"] == problem and records[name]["reason"]
    assert records["clicks.flac"]["columns"]["tempo"] == pytest.approx(120, rel=0.02)
    assert oct(os.stat(store.path).st_mode & 0o777) == "0o600"


def test_a_rescan_reads_only_new_or_changed_files_and_drops_removed_ones(
    library: Path, tmp_path: Path
) -> None:
    store = LibraryStore(tmp_path / "scan.sqlite3")
    run_scan(library, store, workers=1)
    again = run_scan(library, store, workers=1)
    assert (again.analysed, again.failed, again.same_content, again.unchanged) == (0, 0, 0, 10)

    os.utime(library / "clicks.flac", ns=(1, 1))  # touched: the content is the same
    shutil.copy2(library / "album" / "drums.wav", library / "new.wav")
    (library / "minor.mp3").unlink()
    changed = run_scan(library, store, workers=1)
    assert (changed.analysed, changed.same_content, changed.removed) == (1, 1, 1)
    paths = {Path(r["path"]).name for r in store.records()}
    assert "minor.mp3" not in paths and "new.wav" in paths


def test_an_interrupted_scan_keeps_what_it_did_and_resumes(library: Path, tmp_path: Path) -> None:
    store = LibraryStore(tmp_path / "scan.sqlite3")
    seen: list[FileAnalysis] = []

    def stop_after_three(analysis: FileAnalysis) -> None:
        seen.append(analysis)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_scan(library, store, workers=2, on_result=stop_after_three)
    kept = {r["path"] for r in store.records()}
    assert len(kept) >= 3 and {a.path for a in seen} <= kept
    resumed = run_scan(library, store, workers=2)
    assert resumed.analysed + resumed.failed == 10 - len(kept)
    assert resumed.unchanged == len(kept)


def test_the_scanned_library_is_a_catalog_and_tags_go_in_on_request(
    library: Path, real_settings: Settings, tmp_path: Path
) -> None:
    from moodtune.app.library import library_files, scan_music_folder
    from moodtune.audio.tags import audio_payload_digest, read_mood_tags
    from moodtune.catalog import list_catalogs, load_catalog

    name = f"audio-{tmp_path.name.lower()}"[:60].rstrip("-_")
    frames = audio_payload_digest(library / "clicks.flac")
    result = scan_music_folder(
        library, name=name, workers=2, write_tags=True, settings=real_settings
    )
    assert result.catalog_built and result.usable_tracks == 5
    assert {Path(f.path).name for f in result.failed} == set(BAD)
    assert result.tags_written == 5
    assert name in {row["name"] for row in list_catalogs(real_settings)}

    catalog = load_catalog(real_settings, name=name)
    tracks = catalog.tracks.set_index("track_id")
    files = library_files(name, settings=real_settings)
    assert set(files) == set(tracks.index)
    clicks = next(i for i, p in files.items() if p.endswith("clicks.flac"))
    assert tracks.loc[clicks, "tempo"] == pytest.approx(120, rel=0.02)
    assert tracks[["mood_valence", "mood_arousal"]].notna().all().all()
    # Its tracks make a journey like any catalog's (the synthetic files share one artist).
    from moodtune.app.journeys import mood_journey
    from moodtune.mood.space import MoodPoint
    from moodtune.recommend.tracks import TrackIndex

    by_arousal = tracks[tracks["usable"].astype(bool)].sort_values("mood_arousal")
    valence, arousal = by_arousal["mood_valence"], by_arousal["mood_arousal"]
    journey = mood_journey(
        TrackIndex(method="exact").fit(catalog.tracks),
        start=MoodPoint(float(valence.iloc[0]), float(arousal.iloc[0])),
        to=MoodPoint(float(valence.iloc[-1]), float(arousal.iloc[-1])),
        tracks=3,
        max_per_artist=None,
        max_tempo_jump=200.0,  # the synthetic files are far apart in tempo and energy
        max_energy_jump=1.0,
    )
    chosen = journey.values("track_id") or []
    assert len(set(chosen)) == 3 and set(chosen) <= set(files)  # three of the listener's files
    tags = {k.lower(): v for k, v in read_mood_tags(files[clicks]).items()}
    assert float(tags["moodtune_valence"]) == pytest.approx(
        tracks.loc[clicks, "mood_valence"], abs=1e-3
    )
    assert audio_payload_digest(library / "clicks.flac") == frames

    # The tag write changed the files' bytes, not their audio: nothing is analysed again,
    # the track ids stay, and the tags are not written twice.
    again = scan_music_folder(library, name=name, write_tags=True, settings=real_settings)
    assert (again.outcome.analysed, again.tags_written) == (0, 0)
    assert set(library_files(name, settings=real_settings)) == set(tracks.index)


def test_the_scan_state_is_private_whatever_the_umask(library: Path, tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        store = LibraryStore(tmp_path / "private" / "scan.sqlite3")
        run_scan(library, store, workers=1, on_result=lambda _: None)
    finally:
        os.umask(previous)
    for path in (tmp_path / "private").iterdir():
        assert oct(os.stat(path).st_mode & 0o777) == "0o600", path
    assert oct(os.stat(tmp_path / "private").st_mode & 0o777) == "0o700"


def _crash_on_major(path: str, **kwargs: Any) -> FileAnalysis:
    """``analyse_file``, except that the worker dies on major.ogg, as on a decoder segfault."""
    if path.endswith("major.ogg"):
        os._exit(3)
    return analyse_file(path, **kwargs)


def test_a_file_that_kills_its_worker_is_named_and_the_rest_is_kept(
    library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moodtune.audio.scan as scan

    monkeypatch.setattr(scan, "analyse_file", _crash_on_major)  # sent to workers by name
    store = LibraryStore(tmp_path / "scan.sqlite3")
    outcome = run_scan(library, store, workers=2)
    records = {Path(r["path"]).name: r for r in store.records()}
    assert [Path(p).name for p in outcome.crashed] == ["major.ogg"]
    assert records["major.ogg"]["problem"] == "corrupt"
    assert "crashed" in records["major.ogg"]["reason"]
    assert set(records) == set(GOOD) | set(BAD)
    assert all(records[name]["ok"] for name in GOOD if name != "major.ogg")


def test_a_missing_audio_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from moodtune.audio.decode import require_audio_extra
    from moodtune.errors import InputError

    monkeypatch.setitem(sys.modules, "mutagen", None)  # an import of it now fails
    with pytest.raises(InputError, match="mutagen") as caught:
        require_audio_extra()
    assert caught.value.allowed == 'pip install "moodtune[audio]"'


def test_a_file_gone_before_its_turn_is_reported_not_fatal(library: Path) -> None:
    gone = analyse_file(str(library / "no-such-file.flac"))
    assert (gone.ok, gone.problem) == (False, "unreadable")
    assert "No such file" in str(gone.reason)


def test_scanning_the_owners_library_places_their_mood_unknown_plays(
    audio_files: dict[str, Path], settings: Settings, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from mutagen.flac import FLAC

    from moodtune.app.connectors import mood_unknown
    from moodtune.app.library import scan_music_folder
    from moodtune.app.services import Services
    from moodtune.sessions import create_listener
    from moodtune.sessions.listening import UnknownListen, listening_data, record_listening
    from moodtune.store import open_database

    music = tmp_path / "own"
    music.mkdir()
    song = Path(shutil.copy2(audio_files["clicks.flac"], music / "harbour.flac"))
    tags = FLAC(song)
    tags["title"], tags["artist"] = "Quiet Harbour", "Nils Unheard"
    tags.save()
    engine = open_database(settings)
    kim = create_listener(engine, display_name="Kim")
    plays = [
        UnknownListen(source="listenbrainz", kind="play", reason="no catalog match",
                      title=title, artists=artist, played_at=datetime(2024, 3, d, tzinfo=UTC))
        for d, (title, artist) in enumerate(
            [("Quiet Harbour", "Nils Unheard"), ("quiet harbour", "NILS UNHEARD"),
             ("Elsewhere", "Someone Else")], start=1
        )
    ]  # fmt: skip
    assert record_listening(engine, kim.id, [], unknown=plays).unknown_added == 3

    kept = scan_music_folder(music, name="kims-music", workers=1, owner="Kim", settings=settings)
    assert kept.placed_plays is None  # not the active catalog: nothing to place against
    assert len(mood_unknown(Services(settings), kim.id)) == 2

    placed = scan_music_folder(
        music, name="kims-music", workers=1, use=True, owner="Kim", settings=settings
    )
    assert placed.active and placed.placed_plays == 2  # both spellings of her file's tags
    left = mood_unknown(Services(settings), kim.id)
    assert [t.title for t in left] == ["Elsewhere"]
    (track_id,) = {row["track_id"] for row in listening_data(engine, kim.id)}
    assert track_id.startswith(LOCAL_ID_PREFIX)
