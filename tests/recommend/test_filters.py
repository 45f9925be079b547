"""Filters, artist diversity and release-recency-weighted popularity."""

from __future__ import annotations

import numpy as np
import pytest

from moodtune.errors import InputError
from moodtune.recommend.filters import (
    TrackFilters,
    apply_filters,
    artist_keys,
    diversify,
    duplicate_keys,
    recency_weighted_popularity,
)
from tests.recommend.tiny_catalog import make_catalog


def _tracks():
    return make_catalog(
        [
            {"track_id": "a", "mood_valence": 0, "mood_arousal": 0, "artists": "X, Y",
             "popularity": 10, "duration_ms": 60_000, "genres": ("rock",),
             "subgenres": ("hard rock",), "instrumentalness": 0.9, "explicit": True},
            {"track_id": "b", "mood_valence": 0, "mood_arousal": 0, "artists": "Z",
             "popularity": 50, "duration_ms": 200_000, "genres": ("pop",),
             "subgenres": ("dance pop",), "explicit": False},
            {"track_id": "c", "mood_valence": 0, "mood_arousal": 0, "artists": "Y",
             "popularity": 90, "duration_ms": 400_000, "genres": ("pop",),
             "subgenres": ("electropop",), "usable": False, "explicit": False},
        ]
    )  # fmt: skip


def _ids(tracks, filters: TrackFilters) -> list[str]:
    return tracks["track_id"][apply_filters(tracks, filters).mask].tolist()


def test_each_filter() -> None:
    t = _tracks()
    assert _ids(t, TrackFilters()) == ["a", "b"]  # unusable c left out
    assert _ids(t, TrackFilters(include_unusable=True)) == ["a", "b", "c"]
    assert _ids(t, TrackFilters(genres=("ROCK",))) == ["a"]
    assert _ids(t, TrackFilters(genres=("dance pop",))) == ["b"]  # subgenres count
    assert _ids(t, TrackFilters(explicit=False)) == ["b"]
    assert _ids(t, TrackFilters(explicit=True)) == ["a"]
    assert _ids(t, TrackFilters(min_duration_s=100)) == ["b"]
    assert _ids(t, TrackFilters(max_duration_s=100)) == ["a"]
    assert _ids(t, TrackFilters(min_popularity=20, max_popularity=60)) == ["b"]
    assert _ids(t, TrackFilters(instrumental=True)) == ["a"]
    assert _ids(t, TrackFilters(instrumental=False)) == ["b"]
    assert _ids(t, TrackFilters(exclude_artists=("y",))) == ["b"]  # second credited artist
    assert _ids(t, TrackFilters(exclude_tracks=("b",))) == ["a"]


def test_applied_filters_are_described() -> None:
    outcome = apply_filters(_tracks(), TrackFilters(genres=("pop",), min_popularity=5))
    assert outcome.applied == ["genre in ['pop']", "popularity 5-100"]
    assert outcome.count == 1


def test_unknown_explicit_is_stated_not_hidden() -> None:
    t = _tracks()
    t["explicit"] = t["explicit"].astype("boolean")
    t.loc[:, "explicit"] = None
    outcome = apply_filters(t, TrackFilters(explicit=False))
    assert outcome.explicit_unknown
    assert outcome.count == 2
    assert "does not record explicit lyrics" in outcome.notes[0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_popularity": 120}, "popularity bound out of range"),
        ({"min_popularity": 60, "max_popularity": 10}, "greater than max_popularity"),
        ({"min_duration_s": -1}, "non-negative number of seconds"),
        ({"genres": ()}, "empty genre filter"),
    ],
)
def test_bad_filters_rejected(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        TrackFilters(**kwargs)  # type: ignore[arg-type]


def test_unknown_genre_lists_allowed_ones() -> None:
    with pytest.raises(InputError, match="unknown genre") as info:
        apply_filters(_tracks(), TrackFilters(genres=("polka",)))
    assert info.value.allowed is not None
    assert "dance pop" in info.value.allowed


def test_merged_takes_the_tighter_bounds() -> None:
    a = TrackFilters(min_popularity=10, max_duration_s=300, exclude_artists=("x",))
    b = TrackFilters(min_popularity=30, explicit=False, exclude_artists=("y",))
    m = a.merged(b)
    assert m.min_popularity == 30
    assert m.max_duration_s == 300
    assert m.explicit is False
    assert m.exclude_artists == ("x", "y")


def test_diversify_caps_artists_and_drops_duplicate_songs() -> None:
    t = make_catalog(
        [
            {"track_id": "1", "mood_valence": 0, "mood_arousal": 0, "name": "A", "artists": "P"},
            {"track_id": "2", "mood_valence": 0, "mood_arousal": 0, "name": "A", "artists": "P"},
            {"track_id": "3", "mood_valence": 0, "mood_arousal": 0, "name": "B", "artists": "P"},
            {"track_id": "4", "mood_valence": 0, "mood_arousal": 0, "name": "C", "artists": "P"},
            {"track_id": "5", "mood_valence": 0, "mood_arousal": 0, "name": "D", "artists": "Q"},
        ]
    )
    kept = diversify(
        [0, 1, 2, 3, 4],
        artist_codes=artist_keys(t),
        duplicate_codes=duplicate_keys(t),
        k=10,
        max_per_artist=2,
    )
    assert kept == [0, 2, 4]
    with pytest.raises(InputError, match="max_per_artist"):
        diversify([0], artist_codes=artist_keys(t), duplicate_codes=duplicate_keys(t), k=1,
                  max_per_artist=0)  # fmt: skip


def test_recency_weighted_popularity_formula() -> None:
    t = make_catalog(
        [
            {"track_id": "new", "mood_valence": 0, "mood_arousal": 0, "popularity": 80,
             "release_year": 2020.0},
            {"track_id": "old", "mood_valence": 0, "mood_arousal": 0, "popularity": 80,
             "release_year": 2010.0},
            {"track_id": "undated", "mood_valence": 0, "mood_arousal": 0, "popularity": 80,
             "release_year": np.nan},
        ]
    )  # fmt: skip
    scores = recency_weighted_popularity(t, half_life_years=10)
    assert scores.recency_known
    assert scores.reference_year == 2020
    np.testing.assert_allclose(scores.scores, [0.8, 0.4, 0.8 * 0.5**0.5])
    assert "undated" in scores.statement


def test_recency_without_dates_says_so() -> None:
    t = _tracks()
    t["release_year"] = np.nan
    scores = recency_weighted_popularity(t)
    assert not scores.recency_known
    assert "no release dates" in scores.statement
    np.testing.assert_allclose(scores.scores, [0.1, 0.5, 0.9])
