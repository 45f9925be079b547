"""``moodtune spark annotate`` equals the in-process catalog, row for row, however partitioned."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from moodtune.catalog.schema import BASE_COLUMNS, exclusion_reasons, validate_tracks
from moodtune.config import Settings
from moodtune.errors import InputError
from moodtune.spark.annotate import annotate_catalog, read_annotation_meta
from moodtune.spark.batches import annotate_in_process
from tests.spark.fixtures import write_parts as _write_parts

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _read_annotated(path: str) -> pd.DataFrame:
    out = pd.read_parquet(path)
    return out.sort_values(["source_file", "source_row"], kind="stable").reset_index(drop=True)


def _same_text(a: pd.Series, b: pd.Series) -> bool:
    left = a.astype(object).fillna("<none>").to_numpy()
    return bool((left == b.astype(object).fillna("<none>").to_numpy()).all())


@pytest.mark.slow
def test_spark_annotation_of_the_default_catalog_equals_the_in_process_catalog(
    default_annotated: tuple[pd.DataFrame, str], real_settings: Settings
) -> None:
    from moodtune.catalog import load_catalog

    catalog = load_catalog(real_settings)
    expected = catalog.tracks
    got, out = default_annotated
    assert len(got) == len(expected)
    assert (got["track_id"].to_numpy() == expected["track_id"].to_numpy()).all()
    for column in ("mood_valence", "mood_arousal", "mood_uncertainty"):
        np.testing.assert_allclose(got[column], expected[column], rtol=0, atol=1e-9)
    for column in ("mood_cluster", "quadrant", "exclusion_reason"):
        assert _same_text(got[column], expected[column]), column
    assert (got["usable"].to_numpy() == expected["usable"].to_numpy()).all()
    assert (got["mood_uncertain"].to_numpy() == expected["mood_uncertain"].to_numpy()).all()
    assert int((~got["usable"]).sum()) == 6  # the default catalog's six excluded tracks
    np.testing.assert_allclose(
        np.stack(list(got["mood_cluster_proba"])), catalog.mood_cluster_proba, atol=1e-6
    )
    np.testing.assert_array_equal(np.stack(list(got["scaled_features"])), catalog.scaled_features)
    meta = read_annotation_meta(out)
    assert meta["cluster_names"] == list(catalog.mood_cluster_names)
    assert meta["catalog_scaler"]["mean"] == pytest.approx(
        catalog.meta["scaler"]["mean"], abs=1e-12
    )


@pytest.mark.slow
def test_spark_similarity_vectors_are_the_track_index_vectors(
    default_annotated: tuple[pd.DataFrame, str], real_settings: Settings
) -> None:
    from moodtune.catalog import load_catalog
    from moodtune.recommend.tracks import TrackIndex

    index = TrackIndex(method="exact").fit(load_catalog(real_settings).tracks)
    got, _ = default_annotated
    np.testing.assert_array_equal(np.stack(list(got["similarity_vector"])), index.vectors_)


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    """60 plausible tracks, then four with planted faults (known reasons)."""
    rng = np.random.default_rng(7)
    n = 64
    tracks = pd.DataFrame(
        {
            "track_id": [f"t{i:03d}" for i in range(n)],
            "name": [f"Song {i}" for i in range(n)],
            "artists": [f"Artist {i % 9}" for i in range(n)],
            "album": "Album",
            "album_id": "a1",
            "popularity": rng.integers(0, 100, n).astype(float),
            "duration_ms": rng.integers(120_000, 300_000, n).astype(float),
            "release_date": "2020-01-01",
            "release_precision": "day",
            "release_year": 2020.0,
            "genres": [["pop"]] * n,
            "subgenres": [["dance pop"]] * n,
            "explicit": False,
            "danceability": rng.uniform(0.2, 0.9, n),
            "energy": rng.uniform(0.1, 1.0, n),
            "key": rng.integers(0, 12, n).astype(float),
            "loudness": rng.uniform(-20, -2, n),
            "mode": rng.integers(0, 2, n).astype(float),
            "speechiness": rng.uniform(0.02, 0.3, n),
            "acousticness": rng.uniform(0.0, 0.9, n),
            "instrumentalness": rng.uniform(0.0, 0.5, n),
            "liveness": rng.uniform(0.05, 0.4, n),
            "valence": rng.uniform(0.05, 0.95, n),
            "tempo": rng.uniform(70, 170, n),
            "synthetic": False,
        }
    )
    tracks.loc[60, "tempo"] = 0.0
    tracks.loc[61, "loudness"] = 1e308
    tracks.loc[62, "name"] = "  "
    tracks.loc[63, "duration_ms"] = 10_000.0
    return tracks


EXPECTED_REASONS = {
    "t060": "tempo is 0",
    "t061": "loudness out of range",
    "t062": "missing track name",
    "t063": "duration under 30 s",
}


def test_planted_faults_get_the_catalog_reasons_and_values_are_blanked(
    spark: SparkSession, planted: pd.DataFrame, tmp_path: Path
) -> None:
    source = _write_parts(planted, tmp_path / "in", parts=2)
    result = annotate_catalog(spark, str(source), str(tmp_path / "out"))
    got = _read_annotated(str(tmp_path / "out")).set_index("track_id")
    assert result.rows == 64 and result.usable_rows == 60
    assert got["exclusion_reason"].dropna().to_dict() == EXPECTED_REASONS
    assert exclusion_reasons(planted).dropna().tolist() == list(EXPECTED_REASONS.values())
    assert got["loudness"].isna().to_dict()["t061"]  # no model ever sees 1e308
    assert result.excluded_by_reason == {reason: 1 for reason in sorted(EXPECTED_REASONS.values())}


def test_partitioning_does_not_change_the_output(
    spark: SparkSession, planted: pd.DataFrame, tmp_path: Path
) -> None:
    outputs = []
    for parts in (1, 5):
        source = _write_parts(planted, tmp_path / f"in-{parts}", parts=parts)
        annotate_catalog(spark, str(source), str(tmp_path / f"out-{parts}"))
        outputs.append(_read_annotated(str(tmp_path / f"out-{parts}")).drop(columns="source_file"))
    one, five = outputs
    pd.testing.assert_frame_equal(
        one.drop(columns=["source_row"]).reset_index(drop=True),
        five.drop(columns=["source_row"]).reset_index(drop=True),
    )


def test_spark_equals_the_in_process_batch_path_on_a_small_catalog(
    spark: SparkSession, planted: pd.DataFrame, tmp_path: Path
) -> None:
    source = _write_parts(planted, tmp_path / "in", parts=3)
    annotate_catalog(spark, str(source), str(tmp_path / "out"))
    got = _read_annotated(str(tmp_path / "out"))
    expected, state = annotate_in_process(planted)
    np.testing.assert_allclose(got["mood_valence"], expected["mood_valence"], atol=1e-9)
    assert _same_text(got["mood_cluster"], expected["mood_cluster"])
    assert state.fit_rows == 60


def test_an_existing_output_is_refused_and_a_bad_layout_named(
    spark: SparkSession, planted: pd.DataFrame, tmp_path: Path
) -> None:
    source = _write_parts(planted, tmp_path / "in", parts=1)
    (tmp_path / "out").mkdir()
    with pytest.raises(InputError, match="already exists"):
        annotate_catalog(spark, str(source), str(tmp_path / "out"))
    broken = _write_parts(planted.drop(columns=["tempo", "name"]), tmp_path / "broken", parts=1)
    with pytest.raises(InputError, match=r"\['name', 'tempo'\] missing"):
        annotate_catalog(spark, str(broken), str(tmp_path / "never"))
    assert not (tmp_path / "never").exists()


def test_validating_a_validated_table_keeps_its_reasons(planted: pd.DataFrame) -> None:
    once = validate_tracks(planted)
    twice = validate_tracks(once)
    # Reading the blanked tempo again would say "tempo missing": the recorded reason stays.
    assert twice.loc[60, "exclusion_reason"] == "tempo is 0"
    pd.testing.assert_frame_equal(once[list(BASE_COLUMNS)], twice[list(BASE_COLUMNS)])


def test_the_cli_annotates_and_names_its_flag_when_the_output_exists(
    spark: SparkSession, planted: pd.DataFrame, tmp_path: Path
) -> None:
    import json

    from typer.testing import CliRunner

    from moodtune.cli import app

    source = _write_parts(planted, tmp_path / "in", parts=2)
    args = ["spark", "annotate", "--catalog", str(source), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["usable_rows"] == 60
    again = CliRunner().invoke(app, args)
    assert isinstance(again.exception, InputError)
    assert again.exception.field == "--replace"
