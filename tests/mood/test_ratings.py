"""The artist + title join of human ratings to catalog tracks: matched, ambiguous, unmatched."""

from __future__ import annotations

import pandas as pd
import pytest

from moodtune.config import Settings
from moodtune.mood.ratings import load_pmemo_ratings, match_ratings, rated_default_tracks

FEATURES = {
    "danceability": 0.5,
    "energy": 0.6,
    "key": 1,
    "loudness": -6.0,
    "mode": 1,
    "speechiness": 0.05,
    "acousticness": 0.1,
    "instrumentalness": 0.0,
    "liveness": 0.1,
    "valence": 0.5,
    "tempo": 120.0,
    "duration_ms": 200_000,
}


def _track(track_id: str, artists: str, name: str, genre: str = "pop", **changes: float) -> dict:
    return {
        "track_id": track_id,
        "artists": artists,
        "name": name,
        "genres": [genre],
        "release_year": 2016,
        "usable": True,
        **{**FEATURES, **changes},
    }


TRACKS = pd.DataFrame(
    [
        _track("a1", "Alan Walker", "Faded"),
        _track("a2", "Alan Walker", "Faded - Radio Edit", valence=0.53, genre="edm"),
        _track("a3", "Alan Walker", "Faded - Tiesto Remix", energy=0.9),
        _track("b1", "Bon Jovi", "Livin' On A Prayer", valence=0.72),
        _track("b2", "Bon Jovi", "Livin' On A Prayer - 2004 Remaster", valence=0.85),
        _track("c1", "Drake", "Controlla", tempo=92.0),
        _track("c2", "Drake", "Controlla", tempo=123.0),
    ]
)
RATINGS = pd.DataFrame(
    {
        "song_id": [1, 2, 3, 4, 5],
        "artist": ["Alan Walker", "Bon Jovi", "Drake", "Nobody", "alan walker"],
        "title": ["Faded", "Livin on a Prayer", "Controlla", "Nothing", "Faded (feat. X)"],
        "valence": [-0.2, 0.5, 0.1, 0.0, -0.4],
        "arousal": [0.3, 0.6, 0.2, 0.0, 0.1],
    }
)


def test_agreeing_copies_match_disagreeing_ones_are_reported_not_guessed() -> None:
    joined = match_ratings(RATINGS, TRACKS)
    assert joined.matched["match_key"].tolist() == ["alan walker|faded"]
    row = joined.matched.iloc[0]
    assert row["track_ids"] == ["a1", "a2"]  # the remix is another recording
    assert row["song_ids"] == [1, 5] and joined.duplicate_songs == 1
    assert row["rated_valence"] == pytest.approx(-0.3)  # the duplicate songs' mean
    assert row["valence"] == pytest.approx(0.515)  # the copies' median feature
    assert row["genre"] in ("pop", "edm") and row["release_year"] == 2016
    ambiguous = {a["match_key"]: a for a in joined.ambiguous}
    assert set(ambiguous) == {"bon jovi|livin on a prayer", "drake|controlla"}
    assert {c["track_id"] for c in ambiguous["drake|controlla"]["candidates"]} == {"c1", "c2"}
    assert [u["match_key"] for u in joined.unmatched] == ["nobody|nothing"]
    summary = joined.summary()
    assert (summary["matched_songs"], summary["ambiguous_songs"], summary["unmatched_songs"]) == (
        2,
        2,
        1,
    )


def test_unusable_catalog_tracks_are_not_candidates() -> None:
    tracks = TRACKS.assign(usable=[False, True, True, True, True, True, True])
    joined = match_ratings(RATINGS, tracks)
    assert joined.matched.iloc[0]["track_ids"] == ["a2"]


@pytest.mark.slow
def test_pmemo_joins_the_default_catalog(real_settings: Settings) -> None:
    ratings = load_pmemo_ratings(settings=real_settings)
    assert len(ratings) == 767
    assert ratings[["valence", "arousal"]].abs().max().max() <= 1.0
    summary = rated_default_tracks(settings=real_settings).summary()
    assert summary["matched_songs"] == 260 and summary["matched_rows"] == 258
    assert summary["ambiguous_songs"] == 13 and summary["matched_catalog_tracks"] == 401
