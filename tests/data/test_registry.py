from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from moodtune.config import Settings
from moodtune.data import fetch, load_table
from moodtune.data.registry import dataset_info, get_dataset
from moodtune.errors import DataIntegrityError, InputError


def test_fetch_copies_verified_mirror_file_into_cache(settings: Settings) -> None:
    path = fetch("mxmh_survey", settings=settings)
    assert path.parent == settings.cache_dir
    assert path.read_bytes() == (settings.mirror_dir / "mxmh_survey_results.csv").read_bytes()  # type: ignore[operator]


def test_load_table_builds_parquet_once(settings: Settings) -> None:
    frame = load_table("mxmh_survey", settings=settings)
    assert frame.shape == (736, 33)
    parquets = list(settings.parquet_dir.glob("mxmh_survey-*.parquet"))
    assert len(parquets) == 1
    mtime = parquets[0].stat().st_mtime_ns
    again = load_table("mxmh_survey", settings=settings)
    assert again.equals(frame)
    assert parquets[0].stat().st_mtime_ns == mtime


def test_truncated_mirror_file_is_refused_with_the_check_named(
    tmp_path: Path, mirror_dir: Path
) -> None:
    bad_mirror = tmp_path / "mirror"
    bad_mirror.mkdir()
    data = (mirror_dir / "mxmh_survey_results.csv").read_bytes()
    (bad_mirror / "mxmh_survey_results.csv").write_bytes(data[: len(data) // 2])
    settings = Settings(data_dir=tmp_path / "d", mirror_dir=bad_mirror, offline=True)
    with pytest.raises(DataIntegrityError, match=r"mxmh_survey_results\.csv: sha256 check failed"):
        fetch("mxmh_survey", settings=settings)
    assert not (settings.cache_dir / "mxmh_survey_results.csv").exists()


def test_corrupted_cache_is_replaced_from_mirror(settings: Settings) -> None:
    path = fetch("mxmh_survey", settings=settings)
    path.write_bytes(b"garbage")
    again = fetch("mxmh_survey", settings=settings)
    assert again.stat().st_size == 172563


def test_offline_without_mirror_names_file_and_mirror(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", mirror_dir=tmp_path / "empty", offline=True)
    with pytest.raises(DataIntegrityError, match="mxmh_survey_results.csv"):
        fetch("mxmh_survey", settings=settings)


def test_download_failure_is_reported_not_network_error(tmp_path: Path) -> None:
    # Not offline: pooch tries the URL, the test guard refuses the connection.
    settings = Settings(data_dir=tmp_path / "d", mirror_dir=None, offline=False)
    with pytest.raises(DataIntegrityError, match="downloading https://"):
        fetch("mxmh_survey", settings=settings)


def test_unknown_dataset_lists_known_names() -> None:
    with pytest.raises(InputError, match="spotify_songs"):
        get_dataset("nope")


def test_spotify_songs_content_check(real_settings: Settings) -> None:
    frame = load_table("spotify_songs", settings=real_settings)
    assert len(frame) == 32833
    assert frame["track_id"].nunique() == 28356


def test_info_reports_licence(settings: Settings) -> None:
    fetch("mxmh_survey", settings=settings)
    info = dataset_info("mxmh_survey", settings=settings)
    assert info.cached_path is not None
    assert info.licence_text is not None and "CC0" in info.licence_text


def test_content_check_rejects_wrong_header(tmp_path: Path, mirror_dir: Path) -> None:
    dataset = get_dataset("mxmh_survey")
    import pandas as pd

    frame = pd.read_csv(mirror_dir / "mxmh_survey_results.csv").drop(columns=["BPM"])
    with pytest.raises(DataIntegrityError, match="missing \\['BPM'\\]"):
        dataset.content_check(frame, source="x.csv")
    shutil.rmtree(tmp_path, ignore_errors=True)
