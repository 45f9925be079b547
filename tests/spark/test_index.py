"""``moodtune spark index``: an IVF index over the annotated catalog, served memory-mapped."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from moodtune.config import Settings
from moodtune.errors import NotFoundError
from moodtune.recommend.serving_index import ServingIndex, exact_top_k
from moodtune.spark.index import build_index

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def test_exact_top_k_known_answer() -> None:
    vectors = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [0.0, 2.0]], dtype=np.float32)
    found = exact_top_k(vectors, np.array([[0.1, 0.0]]), 3, chunk=2)
    assert found.tolist() == [[0, 1, 3]]


@pytest.mark.slow
def test_the_serving_index_answers_like_the_exact_track_index(
    spark: SparkSession,
    default_annotated: tuple[pd.DataFrame, str],
    real_settings: Settings,
    tmp_path: Path,
) -> None:
    from moodtune.catalog import load_catalog
    from moodtune.recommend.tracks import TrackIndex

    annotated, path = default_annotated
    out = tmp_path / "index"
    report = build_index(spark, path, str(out), nlist=64, train_rows=5000)
    assert report.vectors == int(annotated["usable"].sum()) and report.nlist == 64
    assert report.recall_by_nprobe[report.nprobe] >= 0.95
    index = ServingIndex.load(out, nprobe=64)  # every cell: the IVF scan is exact
    tracks = load_catalog(real_settings).tracks
    exact = TrackIndex(method="exact").fit(tracks)
    for track in (tracks["track_id"].iloc[i] for i in (0, 1234, 20_000)):
        assert index.track_id(index.row_of(track)) == track
        row = exact.rows_for([track])[0]
        rows, _ = exact.exact_nearest_rows(exact.vectors_[row], 11)
        expected = {str(tracks["track_id"].iloc[r]) for r in rows if r != row}
        # Sets: tracks with equal features (a song on two albums) tie in any order.
        assert len(set(index.similar(track, 10)) & expected) >= 9
    with pytest.raises(NotFoundError):
        index.row_of("no-such-track")
