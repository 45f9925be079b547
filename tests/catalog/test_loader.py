from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moodtune.catalog import (
    active_catalog_name,
    catalog_info,
    import_catalog,
    list_catalogs,
    load_catalog,
    loader,
    remove_catalog,
    use_catalog,
)
from moodtune.catalog.store import catalog_root
from moodtune.config import Settings
from moodtune.data import load_table
from moodtune.errors import InputError, ValidationReport
from moodtune.mood.space import QUADRANTS
from tests.catalog.fixtures import EXPORTIFY_HEADER, exportify_rows, write_csv, write_exportify


def _snapshot(settings: Settings) -> dict[str, str]:
    root = settings.data_dir
    return {
        str(p.relative_to(root)): p.read_text() if p.suffix == ".json" else str(p.stat().st_size)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


def test_imported_exportify_catalog_has_mood_columns_and_can_be_made_active(
    settings: Settings, tmp_path: Path, rng: np.random.Generator
) -> None:
    path = write_exportify(tmp_path / "road-trip.csv", rng, n=60)
    result = import_catalog(path, settings=settings)
    assert result.name == "road-trip"
    assert not result.active  # importing does not switch the active catalog
    assert active_catalog_name(settings) == "spotify_songs"
    use_catalog("road-trip", settings=settings)
    catalog = load_catalog(settings)
    assert catalog.name == "road-trip"
    tracks = catalog.tracks
    assert len(tracks) == 60
    assert tracks["mood_valence"].between(-1, 1).all()
    assert tracks["mood_arousal"].between(-1, 1).all()
    assert set(tracks["quadrant"]) <= set(QUADRANTS)
    assert catalog.mood_cluster_proba.shape == (60, len(catalog.mood_cluster_names))
    np.testing.assert_allclose(catalog.mood_cluster_proba.sum(axis=1), 1.0, atol=1e-4)
    assert set(tracks["mood_cluster"]) <= set(catalog.mood_cluster_names)
    assert catalog.scaled_features.shape == (60, len(catalog.feature_names))
    assert catalog.explicit_available
    assert [c["name"] for c in list_catalogs(settings) if c["active"]] == ["road-trip"]


def test_failed_import_changes_nothing(
    settings: Settings, tmp_path: Path, rng: np.random.Generator
) -> None:
    good = write_exportify(tmp_path / "good.csv", rng, n=40)
    import_catalog(good, name="mine", use=True, settings=settings)
    before = _snapshot(settings)
    rows = exportify_rows(40, rng)
    rows[6]["Energy"] = "loud"
    bad = write_csv(tmp_path / "bad.csv", EXPORTIFY_HEADER, rows)
    with pytest.raises(ValidationReport) as info:
        import_catalog(bad, name="mine", replace=True, strict=True, settings=settings)
    problem = info.value.problems[0]
    assert (problem.file, problem.row, problem.field, problem.value) == (
        str(bad),
        8,
        "Energy",
        "loud",
    )
    assert "row 8" in str(info.value) and "'Energy'" in str(info.value)
    with pytest.raises(InputError, match="file not found"):
        import_catalog(tmp_path / "missing.csv", name="mine", replace=True, settings=settings)
    assert _snapshot(settings) == before
    assert not [p for p in catalog_root(settings).rglob("*.part")]
    assert load_catalog(settings).name == "mine"
    assert len(load_catalog(settings).tracks) == 40


def test_existing_name_needs_replace_and_replace_swaps_content(
    settings: Settings, tmp_path: Path, rng: np.random.Generator
) -> None:
    import_catalog(write_exportify(tmp_path / "a.csv", rng, n=40), name="mix", settings=settings)
    second = write_exportify(tmp_path / "b.csv", rng, n=45)
    with pytest.raises(InputError, match="pass replace=True") as refused:
        import_catalog(second, name="mix", settings=settings)
    assert "--" not in str(refused.value)  # the library names its parameter, not a CLI flag
    result = import_catalog(second, name="mix", replace=True, settings=settings)
    assert result.replaced
    assert len(load_catalog(settings, name="mix").tracks) == 45
    assert len(list((catalog_root(settings) / "mix").glob("*-b*"))) == 1  # old version removed
    remove_catalog("mix", settings=settings)
    with pytest.raises(InputError, match="unknown catalog 'mix'"):
        load_catalog(settings, name="mix")


def test_unknown_catalog_names_are_listed_and_bad_names_refused(settings: Settings) -> None:
    with pytest.raises(InputError, match="unknown catalog") as info:
        use_catalog("nope", settings=settings)
    assert info.value.allowed == "spotify_songs"
    with pytest.raises(InputError, match="invalid catalog name"):
        import_catalog(Path("x.csv"), name="../evil", settings=settings)
    with pytest.raises(InputError, match="built-in"):
        import_catalog(Path("x.csv"), name="spotify_songs", settings=settings)


def test_derived_artefacts_are_reused_until_the_catalog_changes(
    settings: Settings, tmp_path: Path, rng: np.random.Generator
) -> None:
    import_catalog(write_exportify(tmp_path / "c.csv", rng, n=40), name="c", settings=settings)
    first = load_catalog(settings, name="c")
    stamp = (first.derived_dir / "meta.json").stat().st_mtime_ns
    loader._LOADED.clear()  # as a new process would
    again = load_catalog(settings, name="c")
    assert (again.derived_dir / "meta.json").stat().st_mtime_ns == stamp
    pd.testing.assert_frame_equal(first.tracks, again.tracks)
    np.testing.assert_array_equal(first.mood_cluster_proba, again.mood_cluster_proba)


@pytest.mark.slow
def test_default_catalog_from_the_real_data(real_settings: Settings) -> None:
    catalog = load_catalog(real_settings, name="spotify_songs")
    tracks = catalog.tracks
    raw = load_table("spotify_songs", settings=real_settings)
    assert len(tracks) == raw["track_id"].nunique() == 28_356
    assert tracks["track_id"].is_unique
    assert list(tracks.index) == list(range(len(tracks)))
    # Genres: every playlist genre a track appeared under, nothing else.
    expected = raw.groupby("track_id")["playlist_genre"].agg(lambda g: sorted(set(g)))
    got = tracks.set_index("track_id")["genres"].map(sorted)
    assert got.sort_index().equals(expected.sort_index())
    # Exclusions, counted independently from the raw table.
    first = raw.drop_duplicates("track_id")
    info = catalog_info(real_settings, name="spotify_songs")
    by_reason = info["excluded_by_reason"]
    assert by_reason["missing track name"] == first["track_name"].isna().sum()
    assert by_reason["tempo is 0"] == (first["tempo"] == 0).sum()
    assert by_reason["duration under 30 s"] == (first["duration_ms"] < 30_000).sum()
    bad = first["track_name"].isna() | first["track_artist"].isna()
    bad |= (first["tempo"] == 0) | (first["duration_ms"] < 30_000)
    assert info["excluded_tracks"] == bad.sum() == (~tracks["usable"]).sum()
    assert info["explicit"]["available"] is False and "NA" in info["explicit"]["note"]
    assert tracks["explicit"].isna().all()
    assert info["release_dates"]["coverage"] == 1.0
    assert set(info["release_dates"]["by_precision"]) == {"day", "month", "year"}
    names = catalog.mood_cluster_names
    assert len(set(names)) == len(names) >= 2
    quality = catalog.meta["mood"]["clusters"]["quality"]
    assert quality["k"] == len(names)
    assert len(quality["stability_ari"]) >= 2
    json.dumps(info, default=str)
