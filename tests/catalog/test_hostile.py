"""Hostile catalog files: extreme numbers, a failing import, an oversized file."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from moodtune.catalog import import_catalog, importers, load_catalog, loader
from moodtune.config import Settings
from moodtune.errors import InputError
from moodtune.recommend.tracks import TrackIndex
from tests.catalog.fixtures import EXPORTIFY_HEADER, exportify_rows, write_csv


def _tree(settings: Settings) -> list[str]:
    root = settings.data_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def test_extreme_numbers_make_rows_unusable_by_reason_and_reach_no_model(
    settings: Settings, tmp_path: Path, rng: np.random.Generator
) -> None:
    rows = exportify_rows(600, rng)
    for row in rows[:5]:
        row["Valence"] = "1e308"
    rows[5]["Tempo"] = "1e308"
    rows[6]["Tempo"] = "-1e308"
    rows[7]["Loudness"] = "-1e308"
    rows[8]["Energy"] = "inf"
    rows[9]["Acousticness"] = "-inf"
    rows[10]["Duration (ms)"] = "1e308"
    rows[11]["Popularity"] = "1e308"
    path = write_csv(tmp_path / "hostile.csv", EXPORTIFY_HEADER, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warnings anywhere on the way
        result = import_catalog(path, name="hostile", settings=settings)
        TrackIndex.load_or_build(result.catalog.tracks, settings=settings)
    assert result.report.excluded == {
        "valence out of range": 5,
        "tempo out of range": 2,
        "loudness out of range": 1,
        "energy not finite": 1,
        "acousticness not finite": 1,
        "duration over 24 h": 1,
        "popularity out of range": 1,
    }
    tracks = result.catalog.tracks
    assert not tracks.loc[:11, "usable"].any() and tracks.loc[12:, "usable"].all()
    numbers = tracks[["valence", "tempo", "loudness", "energy", "acousticness"]].to_numpy(float)
    assert not np.isinf(numbers).any() and np.nanmax(np.abs(numbers)) <= 300
    assert np.isfinite(result.catalog.scaled_features).all()
    problems = [str(p) for p in result.report.problems]
    assert any("row 10" in p and "'inf' is not a finite number" in p for p in problems)
    assert any("row 2" in p and "'1e308' is out of range" in p for p in problems)


def test_a_failed_import_leaves_no_folder_behind(
    settings: Settings, tmp_path: Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "fails.csv", EXPORTIFY_HEADER, exportify_rows(600, rng))
    before = _tree(settings)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the mood model failed")

    monkeypatch.setattr(loader, "_build_derived", broken)
    with pytest.raises(RuntimeError, match="mood model failed"):
        import_catalog(path, name="fails", settings=settings)
    after = [p for p in _tree(settings) if not p.endswith(".lock")]
    assert after == [p for p in before if not p.endswith(".lock")] or after == [
        "parquet",
        "parquet/catalogs",
    ]
    assert not (settings.parquet_dir / "catalogs" / "fails").exists()
    with pytest.raises(InputError, match="unknown catalog 'fails'"):
        load_catalog(settings, name="fails")


def test_an_oversized_track_file_is_refused_before_parsing(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importers, "MAX_TRACK_FILE_BYTES", 1024)
    path = tmp_path / "huge.csv"
    path.write_text("Track URI,Track Name\n" + "x,y\n" * 1000)
    with pytest.raises(InputError, match=r"over the 0 MiB limit|over the .* limit") as caught:
        import_catalog(path, name="huge", settings=settings)
    assert str(path) in str(caught.value)
    assert not (settings.parquet_dir / "catalogs" / "huge").exists()


def test_semicolon_and_utf16_exports_are_read_and_other_encodings_named(tmp_path: Path) -> None:
    from moodtune.catalog.importers import read_track_file

    semi = tmp_path / "semi.csv"
    semi.write_text("track_id;name;artists\nx1;Song;Artist\n", encoding="utf-8")
    frame, first_row = read_track_file(semi)
    assert list(frame.columns) == ["track_id", "name", "artists"] and first_row == 2
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("track_id,name,artists\nx1,Söng,Artist\n".encode("utf-16"))
    assert read_track_file(utf16)[0].loc[0, "name"] == "Söng"
    latin = tmp_path / "latin.csv"
    latin.write_bytes("track_id,name\nx1,S\xf6ng\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text") as info:
        read_track_file(latin)
    assert info.value.file == str(latin)
