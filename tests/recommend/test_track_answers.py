"""Answers assembled from columns prepared at fit time are the catalog's rows, dtypes and all;
pools searched for many points at once are the pools searched one point at a time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moodtune.mood.goals import get_goal
from moodtune.mood.space import MoodPoint
from moodtune.recommend.filters import TrackFilters
from moodtune.recommend.journey import build_journey, plan_journey
from moodtune.recommend.tracks import TrackIndex, goal_outcome
from tests.recommend.tiny_catalog import grid_catalog

ANSWER_COLUMNS = [
    "track_id",
    "name",
    "artists",
    "genres",
    "mood_valence",
    "mood_arousal",
    "quadrant",
    "tempo",
    "energy",
    "instrumentalness",
    "popularity",
    "duration_ms",
    "explicit",
    "synthetic",
]


def _object_catalog() -> pd.DataFrame:
    """A catalog whose text columns are plain Python objects and that records no explicit."""
    tracks = grid_catalog(0.2).drop(columns=["explicit"])
    return tracks.astype({"track_id": object, "name": object, "artists": object})


@pytest.mark.parametrize("make", [lambda: grid_catalog(0.2), _object_catalog])
def test_result_rows_are_the_catalog_rows_with_their_dtypes(make: object) -> None:
    tracks = make()  # type: ignore[operator]
    index = TrackIndex(method="exact").fit(tracks)
    rows = [7, 0, 42, 7, 3]
    shown = [c for c in ANSWER_COLUMNS if c in tracks.columns]
    expected = tracks.iloc[rows][shown].reset_index(drop=True)
    pd.testing.assert_frame_equal(index.result_rows(rows), expected, check_exact=True)
    empty = index.result_rows([])
    assert list(empty.columns) == shown
    assert list(empty.dtypes) == list(expected.dtypes)


def test_object_text_columns_stay_objects_in_every_answer() -> None:
    tracks = _object_catalog()
    index = TrackIndex(method="exact").fit(tracks)
    answers = [
        index.similar([str(tracks["track_id"].iat[5])], k=4).tracks,
        index.near_mood(MoodPoint(0.1, -0.3), k=4).tracks,
        build_journey(
            index, plan_journey(MoodPoint(-0.4, 0.4), MoodPoint(0.4, -0.4), steps=5)
        ).tracks,
    ]
    for frame in answers:
        for column in ("track_id", "name", "artists"):
            assert frame[column].dtype == object, column


def test_explicit_unknown_keeps_its_place_after_the_scores() -> None:
    index = TrackIndex(method="exact").fit(_object_catalog())
    tracks = index.near_mood(MoodPoint(0.2, 0.2), k=3, filters=TrackFilters(explicit=False)).tracks
    assert list(tracks.columns[-5:]) == ["distance", "score", "explicit", "reason", "short_reason"]
    assert (tracks["explicit"] == "unknown").all()


@pytest.mark.parametrize("max_per_artist", [None, 1])
@pytest.mark.parametrize("profile", [None, {"tempo": 90.0, "energy": 0.3}])
def test_mood_pools_are_mood_pool_at_each_point(
    rng: np.random.Generator, max_per_artist: int | None, profile: dict[str, float] | None
) -> None:
    tracks = grid_catalog(0.05)  # 1,681 tracks: enough for the index to supply every pool
    # Neighbouring rows are two versions of one song; 40 artists share the plane.
    tracks["name"] = [f"Song {i // 2}" for i in range(len(tracks))]
    tracks["artists"] = [f"Artist {i // 2 % 40}" for i in range(len(tracks))]
    tracks["explicit"] = [i % 3 == 0 for i in range(len(tracks))]  # one version of some songs
    index = TrackIndex(method="exact").fit(tracks)
    points = rng.uniform(-1, 1, size=(12, 2))
    plain = index.filter_outcome(None)
    picky = index.filter_outcome(TrackFilters(min_popularity=60))  # nothing passes: exact scan
    goal = goal_outcome(tracks, None, get_goal("sleep"))
    # a third of the tracks fail: most first fetches hold some of them, yet enough pass
    some = index.filter_outcome(TrackFilters(explicit=False))
    outcomes = [plain, some, goal, plain, picky, some, goal, None, plain, some, goal, plain]
    notes: list[str] = []
    pools = index.mood_pools(
        points,
        k=10,
        outcomes=outcomes,
        profile=profile,
        max_per_artist=max_per_artist,
        notes=notes,
    )
    one_by_one_notes: list[str] = []
    for (v, a), outcome, pool in zip(points.tolist(), outcomes, pools, strict=True):
        alone = index.mood_pool(
            v,
            a,
            k=10,
            outcome=outcome,
            profile=profile,
            max_per_artist=max_per_artist,
            notes=one_by_one_notes,
        )
        assert pool[0] == alone[0]
        assert pool[1] == alone[1]
    assert notes == one_by_one_notes


def test_an_answer_knows_its_rows_and_builds_its_table_once() -> None:
    tracks = grid_catalog(0.1)
    index = TrackIndex(method="exact").fit(tracks)
    seed = str(tracks["track_id"].iloc[0])
    for answer in (
        index.similar([seed], k=12),
        index.near_mood(MoodPoint(0.3, -0.2), k=12),
    ):
        assert answer.rows is not None and len(answer) == len(answer.rows) == 12
        table = answer.tracks
        assert answer.tracks is table  # built once
        ids = index.tracks_["track_id"].to_numpy()[answer.rows].tolist()
        assert table["track_id"].tolist() == ids
        assert table["short_reason"].tolist() == list(answer.short_reasons)
        assert table["rank"].tolist() == list(range(1, 13))
