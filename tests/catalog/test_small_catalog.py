from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moodtune.catalog import import_catalog, load_catalog
from moodtune.config import Settings
from moodtune.data.registry import load_table
from moodtune.errors import InputError


def test_small_import_is_placed_on_the_default_catalogs_mood_plane(
    real_settings: Settings, tmp_path: Path
) -> None:
    raw = load_table("spotify_songs", settings=real_settings)
    sample = raw.drop_duplicates("track_id").iloc[[0, 100, 2000, 9000, 20000]]
    path = tmp_path / "playlist.csv"
    sample.to_csv(path, index=False)

    import_catalog(path, name="tiny-playlist", settings=real_settings, replace=True)
    small = load_catalog(real_settings, name="tiny-playlist")
    default = load_catalog(real_settings)

    assert "reference" in json.dumps(small.meta)
    mine = small.tracks.set_index("track_id")[["mood_valence", "mood_arousal"]]
    theirs = default.tracks.set_index("track_id").loc[mine.index, ["mood_valence", "mood_arousal"]]
    np.testing.assert_allclose(mine.to_numpy(float), theirs.to_numpy(float), atol=1e-6)
    assert set(small.tracks["mood_cluster"]) <= set(default.mood_cluster_names)


def test_tiny_import_without_the_default_catalog_is_refused_clearly(
    tmp_path: Path, mirror_dir: Path
) -> None:
    reference = load_table(
        "spotify_songs", settings=Settings(data_dir=tmp_path / "a", mirror_dir=mirror_dir)
    )
    path = tmp_path / "five.csv"
    reference.drop_duplicates("track_id").head(5).to_csv(path, index=False)
    isolated = Settings(data_dir=tmp_path / "b", mirror_dir=tmp_path / "no-mirror", offline=True)
    with pytest.raises(InputError, match="too few to fit its own mood model"):
        import_catalog(path, name="five", settings=isolated)
    assert not any((tmp_path / "b").rglob("catalogs.json")) or "five" not in "".join(
        p.read_text() for p in (tmp_path / "b").rglob("catalogs.json")
    )


def test_an_id_less_chart_export_imports_and_links_to_spotify_ids(
    real_settings: Settings, tmp_path: Path
) -> None:
    raw = load_table("spotify_songs", settings=real_settings).drop_duplicates("track_id")
    known = raw[raw["track_name"] == "Bad Guy"].head(1)  # one listed track, one id
    assert len(known) == 1
    row = known.iloc[0]
    features = (
        "danceability,energy,key,loudness,mode,speechiness,acousticness,instrumentalness,"
        "liveness,valence,tempo"
    )
    values = ",".join(str(row[f]) for f in features.split(","))
    artist, title, duration = row["track_artist"], row["track_name"], row["duration_ms"]
    path = tmp_path / "chart.csv"
    path.write_text(
        f"Artist,Title,Year,duration_ms,Genre,{features}\n"
        f'{artist},{title},2019,{duration},"pop, electro",{values}\n'
        f"{artist.upper()},{title} (feat. Nobody),2019,{duration},dance,{values}\n"
        f"Nobody Here,Unknown Song,2001,200000,rock,{values}\n"
    )
    result = import_catalog(path, name="chart", settings=real_settings, replace=True)
    ids = set(result.catalog.tracks["track_id"])
    assert result.report.derived_ids and result.report.linked_to_default == 2
    assert result.report.duplicate_rows_merged == 1
    assert row["track_id"] in ids and len(ids) == 2
    assert any(i.startswith("local:") for i in ids)
    linked = result.catalog.tracks.set_index("track_id").loc[row["track_id"]]
    assert sorted(linked["genres"]) == ["dance", "electro", "pop"]
