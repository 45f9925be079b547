"""TrackIndex: planted nearest neighbours, mood-point queries, filters, reasons, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moodtune.errors import DataIntegrityError, InputError, NotFittedError
from moodtune.mood.space import MoodPoint
from moodtune.recommend.filters import TrackFilters
from moodtune.recommend.tracks import TrackIndex, catalog_fingerprint
from tests.recommend.tiny_catalog import grid_catalog, make_catalog


def _planted(rng: np.random.Generator, n: int = 400) -> pd.DataFrame:
    """Random tracks plus a seed 'seed' with two planted twins 'twin1' (closest), 'twin2'."""
    rows = []
    for i in range(n):
        rows.append(
            {
                "track_id": f"t{i}",
                "mood_valence": float(rng.uniform(-1, 1)),
                "mood_arousal": float(rng.uniform(-1, 1)),
                "danceability": float(rng.uniform(0, 1)),
                "energy": float(rng.uniform(0, 1)),
                "valence": float(rng.uniform(0, 1)),
                "acousticness": float(rng.uniform(0, 1)),
                "tempo": float(rng.uniform(60, 200)),
                "loudness": float(rng.uniform(-30, -2)),
            }
        )
    seed = {
        "mood_valence": 0.31,
        "mood_arousal": -0.42,
        "danceability": 0.2,
        "energy": 0.9,
        "valence": 0.1,
        "acousticness": 0.95,
        "tempo": 181.0,
        "loudness": -25.0,
    }
    rows.append({"track_id": "seed", **seed})
    rows.append({"track_id": "twin1", **seed, "tempo": 181.5})
    rows.append({"track_id": "twin2", **seed, "tempo": 183.0, "energy": 0.88})
    return make_catalog(rows)


@pytest.mark.parametrize("method", ["hnsw", "exact"])
def test_similar_finds_planted_twins_in_order(rng: np.random.Generator, method: str) -> None:
    index = TrackIndex(method=method).fit(_planted(rng))  # type: ignore[arg-type]
    result = index.similar(["seed"], k=5)
    ids = result.tracks["track_id"].tolist()
    assert ids[:2] == ["twin1", "twin2"]
    assert "seed" not in ids
    assert len(ids) == 5
    assert result.tracks["reason"].str.contains("similar to seed 'Song seed'").all()
    assert (np.diff(result.tracks["distance"].to_numpy()) >= -1e-9).all()


def test_hnsw_matches_exact_on_small_catalog(rng: np.random.Generator) -> None:
    tracks = _planted(rng, 600)
    index = TrackIndex().fit(tracks)
    hits = 0
    for row in rng.integers(0, len(tracks), 30):
        approx, _ = index.nearest_rows(index.vectors_[row], 20)
        exact, _ = index.exact_nearest_rows(index.vectors_[row], 20)
        hits += len(set(approx.tolist()) & set(exact.tolist()))
    assert hits / (30 * 20) >= 0.95


def test_near_mood_returns_closest_tracks_by_mood() -> None:
    tracks = grid_catalog(0.2)
    index = TrackIndex().fit(tracks)
    result = index.near_mood(MoodPoint(0.5, -0.5), k=4, max_per_artist=None)
    got = result.tracks[["mood_valence", "mood_arousal"]].to_numpy()
    dist = np.sqrt(((got - [0.5, -0.5]) ** 2).sum(axis=1))
    all_dist = np.sort(np.sqrt(((index.mood_ - [0.5, -0.5]) ** 2).sum(axis=1)))
    np.testing.assert_allclose(np.sort(dist), all_dist[:4], atol=1e-9)
    assert result.tracks["reason"].str.startswith("nearest to mood point (+0.50, -0.50)").all()


def test_profile_breaks_ties_only_among_equally_close_tracks() -> None:
    base = {"mood_valence": 0.5, "mood_arousal": -0.5}
    tracks = make_catalog(
        [
            {"track_id": "fast", **base, "tempo": 170.0},
            {"track_id": "slow", **base, "tempo": 65.0},
            {"track_id": "far_slow", "mood_valence": 0.9, "mood_arousal": 0.9, "tempo": 60.0},
        ]
    )
    index = TrackIndex(method="exact").fit(tracks)
    result = index.near_mood(MoodPoint(0.5, -0.5), k=3, profile={"tempo": 60})
    assert result.tracks["track_id"].tolist() == ["slow", "fast", "far_slow"]
    # The wording is honest: the profile is a weighting, not only a tie-break.
    assert result.tracks["reason"].str.contains("also weighted towards tempo=60").all()
    assert not result.tracks["reason"].str.contains("tie-break").any()
    assert any("can reorder tracks" in e for e in result.explanations)
    assert result.tracks["short_reason"].str.match(r"^Δmood \d\.\d{3}, Δaudio \d").all()


def test_profile_term_can_outrank_a_closer_mood() -> None:
    tracks = make_catalog(
        [
            {"track_id": "closer_fast", "mood_valence": 0.5, "mood_arousal": -0.49,
             "tempo": 190.0},
            {"track_id": "slow", "mood_valence": 0.5, "mood_arousal": -0.47, "tempo": 60.0},
            {"track_id": "mid", "mood_valence": 0.0, "mood_arousal": 0.0, "tempo": 120.0},
        ]
    )  # fmt: skip
    index = TrackIndex(method="exact").fit(tracks)
    result = index.near_mood(MoodPoint(0.5, -0.5), k=2, profile={"tempo": 60})
    assert result.tracks["track_id"].tolist() == ["slow", "closer_fast"]
    distances = result.tracks["distance"].to_numpy(dtype=float)
    assert distances[0] > distances[1]


def test_filters_and_artist_cap_are_respected(rng: np.random.Generator) -> None:
    rows = []
    for i in range(120):
        rows.append(
            {
                "track_id": f"t{i}",
                "mood_valence": float(rng.uniform(-1, 1)),
                "mood_arousal": float(rng.uniform(-1, 1)),
                "artists": f"Band {i % 5}",
                "genres": ("rock",) if i % 3 == 0 else ("pop",),
                "subgenres": ("album rock",) if i % 3 == 0 else ("dance pop",),
                "popularity": int(i % 100),
                "duration_ms": 100_000 + 1000 * i,
                "instrumentalness": 0.9 if i % 2 else 0.0,
            }
        )
    tracks = make_catalog(rows)
    index = TrackIndex().fit(tracks)
    filters = TrackFilters(
        genres=("rock",),
        min_popularity=10,
        max_duration_s=300,
        instrumental=False,
        exclude_artists=("band 3",),
    )
    result = index.near_mood(MoodPoint(0.0, 0.0), k=20, filters=filters, max_per_artist=2)
    frame = result.tracks.merge(tracks[["track_id", "subgenres"]], on="track_id")
    assert len(frame) > 0
    assert frame["genres"].map(lambda g: "rock" in g).all()
    assert (frame["popularity"] >= 10).all()
    assert (frame["duration_ms"] <= 300_000).all()
    assert (frame["instrumentalness"] <= 0.5).all()
    assert not frame["artists"].eq("Band 3").any()
    assert frame["artists"].value_counts().max() <= 2
    assert frame["reason"].str.contains("genre in \\['rock'\\]").all()
    assert frame["reason"].str.contains("at most 2 per artist").all()
    # only 4 artists remain and each may appear twice: the result is short and says so
    assert len(frame) == 8
    assert any("only 8 track(s)" in n for n in result.notes)


def test_no_duplicate_songs_across_albums() -> None:
    same = {"mood_valence": 0.1, "mood_arousal": 0.1, "name": "Hit", "artists": "Star"}
    tracks = make_catalog(
        [
            {"track_id": "single", **same},
            {"track_id": "album", **same, "album": "Greatest Hits"},
            {"track_id": "other", "mood_valence": 0.2, "mood_arousal": 0.2},
        ]
    )
    index = TrackIndex(method="exact").fit(tracks)
    ids = index.near_mood(MoodPoint(0.1, 0.1), k=3).tracks["track_id"].tolist()
    assert sorted(ids) in (["other", "single"], ["album", "other"])


def test_explicit_filter_states_when_catalog_does_not_know() -> None:
    tracks = grid_catalog(0.4)
    index = TrackIndex().fit(tracks)
    result = index.near_mood(MoodPoint(0, 0), k=3, filters=TrackFilters(explicit=False))
    assert any("does not record explicit" in n for n in result.notes)
    assert (result.tracks["explicit"] == "unknown").all()


def test_explicit_filter_applies_when_known() -> None:
    tracks = make_catalog(
        [
            {"track_id": "clean", "mood_valence": 0.0, "mood_arousal": 0.1, "explicit": False},
            {"track_id": "dirty", "mood_valence": 0.0, "mood_arousal": 0.0, "explicit": True},
        ]
    )
    index = TrackIndex(method="exact").fit(tracks)
    result = index.near_mood(MoodPoint(0, 0), k=2, filters=TrackFilters(explicit=False))
    assert result.tracks["track_id"].tolist() == ["clean"]


def test_unusable_rows_are_never_recommended() -> None:
    tracks = make_catalog(
        [
            {"track_id": "bad", "mood_valence": 0.0, "mood_arousal": 0.0, "usable": False},
            {"track_id": "ok", "mood_valence": 0.5, "mood_arousal": 0.5},
        ]
    )
    index = TrackIndex().fit(tracks)
    assert index.near_mood(MoodPoint(0, 0), k=2).tracks["track_id"].tolist() == ["ok"]


def test_tight_filter_falls_back_to_exact_search(rng: np.random.Generator) -> None:
    tracks = _planted(rng, 3000)
    tracks.loc[tracks.index[:3], "genres"] = pd.Series([["jazz"]] * 3, index=tracks.index[:3])
    index = TrackIndex().fit(tracks)
    result = index.near_mood(MoodPoint(0.9, 0.9), k=5, filters=TrackFilters(genres=("jazz",)))
    assert sorted(result.tracks["track_id"]) == ["t0", "t1", "t2"]
    assert any("searched them exactly" in n for n in result.notes)
    by_genre = index.for_genres(["jazz", "pop"], MoodPoint(0.9, 0.9), k=4)
    assert any(n.startswith("genre 'jazz': 3 track(s) pass") for n in by_genre.notes)


def test_for_genres_shares_slots_and_names_genre_in_reason() -> None:
    rows = []
    for i, (v, a) in enumerate(np.random.default_rng(1).uniform(-1, 1, (200, 2))):
        rows.append(
            {
                "track_id": f"t{i}",
                "mood_valence": float(v),
                "mood_arousal": float(a),
                "genres": ("rock",) if i % 2 else ("rap",),
                "subgenres": ("hard rock",) if i % 2 else ("trap",),
            }
        )
    index = TrackIndex().fit(make_catalog(rows))
    result = index.for_genres({"Rock": 3.0, "Rap": 1.0, "Jazz": 5.0}, MoodPoint(0.5, -0.5), k=8)
    assert len(result) == 8
    reasons = result.tracks["reason"]
    assert reasons.str.contains("genre recommendation 'Rock'").sum() == 6
    assert reasons.str.contains("genre recommendation 'Rap'").sum() == 2
    assert any("Jazz" in n for n in result.notes)
    assert result.tracks["short_reason"].str.match(r"^(Rock|Rap); Δmood").all()
    assert any("slots per genre" in e and "Rock 6" in e for e in result.explanations)
    with pytest.raises(InputError, match="none of the recommended genres"):
        index.for_genres(["Jazz"], MoodPoint(0, 0))


def test_unknown_seed_id_names_the_id_and_suggests_by_title(rng: np.random.Generator) -> None:
    index = TrackIndex().fit(_planted(rng, 50))
    with pytest.raises(InputError, match="unknown track id 'nope'") as info:
        index.similar(["nope"])
    assert info.value.field == "track_id"
    with pytest.raises(InputError, match=r"tracks with that title: seed \(Song seed"):
        index.similar(["Song seed"])
    index.catalog_name = "party-mix"
    with pytest.raises(InputError, match="not in the active catalog 'party-mix'"):
        index.similar(["nope"])


def test_bad_inputs_raise_precise_errors(rng: np.random.Generator) -> None:
    index = TrackIndex().fit(_planted(rng, 50))
    with pytest.raises(InputError, match="k must be a positive"):
        index.near_mood(MoodPoint(0, 0), k=0)
    with pytest.raises(InputError, match="popularity weight must be a non-negative number, got -3"):
        index.near_mood(MoodPoint(0, 0), popularity_weight=-3)
    with pytest.raises(InputError, match="non-negative"):
        index.similar(["seed"], popularity_weight=-0.5)
    with pytest.raises(InputError, match="arousal 1.5 is outside"):
        index.near_mood(MoodPoint(0, 1.5))
    with pytest.raises(InputError, match="unknown genre"):
        index.near_mood(MoodPoint(0, 0), filters=TrackFilters(genres=("polka",)))
    with pytest.raises(InputError, match="unknown audio feature"):
        index.near_mood(MoodPoint(0, 0), profile={"bpm": 60})
    with pytest.raises(InputError, match="lacks column"):
        TrackIndex().fit(_planted(rng, 10).drop(columns=["mood_arousal"]))
    with pytest.raises(NotFittedError):
        TrackIndex().near_mood(MoodPoint(0, 0))


def test_popularity_weight_prefers_recent_popular_tracks() -> None:
    here = {"mood_valence": 0.0, "mood_arousal": 0.0}
    tracks = make_catalog(
        [
            {"track_id": "old", **here, "popularity": 80, "release_year": 1970.0},
            {"track_id": "new", **here, "popularity": 80, "release_year": 2020.0},
        ]
    )
    index = TrackIndex(method="exact").fit(tracks)
    result = index.near_mood(MoodPoint(0, 0), k=2, popularity_weight=1.0)
    assert result.tracks["track_id"].tolist() == ["new", "old"]
    assert any("weighted by release recency" in n for n in result.notes)


def test_index_persists_and_rebuilds_when_catalog_changes(tmp_path: Path) -> None:
    tracks = grid_catalog(0.3)
    built = TrackIndex.load_or_build(tracks, cache_dir=tmp_path)
    saved = list(tmp_path.rglob("index.faiss"))
    assert len(saved) == 1
    mtime = saved[0].stat().st_mtime_ns
    again = TrackIndex.load_or_build(tracks, cache_dir=tmp_path)
    assert saved[0].stat().st_mtime_ns == mtime  # loaded, not rebuilt
    point = MoodPoint(0.2, 0.2)
    assert (
        again.near_mood(point).tracks["track_id"].tolist()
        == built.near_mood(point).tracks["track_id"].tolist()
    )
    changed = tracks.copy()
    changed.loc[0, "tempo"] = 99.0
    assert catalog_fingerprint(changed) != catalog_fingerprint(tracks)
    TrackIndex.load_or_build(changed, cache_dir=tmp_path)
    assert len(list(tmp_path.rglob("index.faiss"))) == 2
    with pytest.raises(DataIntegrityError, match="built for catalog"):
        TrackIndex.load(saved[0].parent, changed)


def test_to_dict_is_json_ready(rng: np.random.Generator) -> None:
    import json

    index = TrackIndex().fit(_planted(rng, 50))
    payload = index.similar(["seed"], k=3).to_dict()
    text = json.dumps(payload, default=str)
    assert '"reason"' in text
    assert payload["query"]["seeds"] == ["seed"]


def test_goal_constraints_apply_to_mood_queries() -> None:
    from moodtune.mood.goals import get_goal

    focus = get_goal("focus")
    tracks = grid_catalog(0.1)
    tracks["speechiness"] = np.where(tracks.index % 2 == 0, 0.5, 0.05)
    index = TrackIndex().fit(tracks)
    assert focus.target is not None
    result = index.near_mood(focus.target, k=10, goal=focus)
    assert (result.tracks["tempo"].between(70, 130)).all()
    assert (result.tracks["energy"].between(0.3, 0.7)).all()
    ids = set(result.tracks["track_id"])
    assert not (set(tracks.loc[tracks["speechiness"] > 0.15, "track_id"]) & ids)
    assert result.tracks["reason"].str.contains("goal focus").all()
    assert result.query["goal"] == "focus"


def test_cli_tracks_mood_json(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    import moodtune.recommend.tracks as tracks_module
    from moodtune.cli import app

    index = TrackIndex().fit(grid_catalog(0.2))
    monkeypatch.setattr(tracks_module, "load_track_index", lambda *a, **k: index)
    result = CliRunner().invoke(app, ["tracks", "mood", "0.5,-0.5", "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert len(payload["tracks"]) == 3
    assert all(t["reason"].startswith("nearest to your mood") for t in payload["tracks"])


def test_cli_refuses_negative_popularity_weight_and_takes_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    import moodtune.recommend.tracks as tracks_module
    from moodtune.cli import app

    index = TrackIndex().fit(grid_catalog(0.2))
    monkeypatch.setattr(tracks_module, "load_track_index", lambda *a, **k: index)
    runner = CliRunner()
    bad = runner.invoke(app, ["tracks", "mood", "calm", "--popularity-weight", "-3"])
    assert bad.exit_code == 2
    assert "--popularity-weight" in bad.output
    counted = runner.invoke(app, ["tracks", "mood", "calm", "--count", "4", "--json"])
    assert counted.exit_code == 0, counted.output
    assert counted.output.count('"track_id"') == 4


def test_cli_table_is_compact_and_says_shared_things_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    import moodtune.recommend.tracks as tracks_module
    from moodtune.cli import app

    index = TrackIndex().fit(grid_catalog(0.2))
    monkeypatch.setattr(tracks_module, "load_track_index", lambda *a, **k: index)
    result = CliRunner().invoke(
        app, ["tracks", "mood", "calm", "--goal", "sleep", "-k", "5"], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    rows = [line for line in lines if line.startswith("│")]
    assert len(rows) <= 5 * 2  # at most two lines per track at 80 columns
    assert result.stdout.count("goal sleep (tempo") == 1  # the filters, said once
    assert "tie-break" not in result.stdout


def test_k_is_bounded(rng: np.random.Generator) -> None:
    from moodtune.recommend.tracks import MAX_TRACKS_PER_QUERY

    index = TrackIndex().fit(_planted(rng, 50))
    for k in (MAX_TRACKS_PER_QUERY + 1, 10**9):
        with pytest.raises(InputError, match=f"up to {MAX_TRACKS_PER_QUERY}, got {k}"):
            index.near_mood(MoodPoint(0, 0), k=k)
    assert len(index.near_mood(MoodPoint(0, 0), k=MAX_TRACKS_PER_QUERY)) > 0  # the bound is ok


def test_a_reason_says_when_a_tracks_mood_is_uncertain() -> None:
    catalog = make_catalog(
        [
            {
                "track_id": "sure",
                "mood_valence": 0.5,
                "mood_arousal": -0.5,
                "mood_uncertain": False,
            },
            {
                "track_id": "unsure",
                "mood_valence": 0.45,
                "mood_arousal": -0.5,
                "mood_uncertain": True,
            },
        ]
    )
    result = TrackIndex().fit(catalog).near_mood(MoodPoint(0.5, -0.5), k=2, max_per_artist=None)
    reasons = dict(zip(result.tracks["track_id"], result.tracks["reason"], strict=True))
    assert "its mood is uncertain" in reasons["unsure"]
    assert "uncertain" not in reasons["sure"]
    assert result.tracks.set_index("track_id")["mood_uncertain"].to_dict() == {
        "sure": False,
        "unsure": True,
    }
    # Similar-track answers say it too (of the track offered, not of the seed).
    index = TrackIndex().fit(catalog)
    (to_unsure,) = index.similar(["sure"], k=1, max_per_artist=None).tracks["reason"]
    (to_sure,) = index.similar(["unsure"], k=1, max_per_artist=None).tracks["reason"]
    assert "its mood is uncertain" in to_unsure and "uncertain" not in to_sure
