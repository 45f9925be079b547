"""Iso-principle journeys over a grid of tracks: the path is followed, jumps stay bounded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moodtune.errors import InputError
from moodtune.mood.space import MoodPoint
from moodtune.recommend.filters import TrackFilters
from moodtune.recommend.journey import (
    JourneyInfeasibleError,
    JumpBounds,
    build_journey,
    evaluate_journeys,
    journey_metrics,
    journey_with_and_without_preference,
    plan_journey,
)
from moodtune.recommend.tracks import TrackIndex
from tests.recommend.tiny_catalog import grid_catalog, make_catalog


@pytest.fixture(scope="module")
def grid_index() -> TrackIndex:
    return TrackIndex().fit(grid_catalog(0.1))


def test_plan_starts_at_check_in_and_ends_at_goal() -> None:
    sad, calm = MoodPoint(-0.6, -0.3), MoodPoint(0.5, -0.5)
    plan = plan_journey(sad, calm, steps=10)
    assert plan.steps == 10
    assert plan.waypoints[0] == sad
    assert plan.waypoints[-1] == calm
    path = plan.path()
    # on the segment, monotone in valence, small steps near both ends (iso: match first)
    assert (np.diff(path[:, 0]) >= 0).all()
    steps = np.sqrt((np.diff(path, axis=0) ** 2).sum(axis=1))
    assert steps[0] < steps[len(steps) // 2] > steps[-1]
    cross = (path[:, 0] - sad.valence) * (calm.arousal - sad.arousal) - (
        path[:, 1] - sad.arousal
    ) * (calm.valence - sad.valence)
    np.testing.assert_allclose(cross, 0, atol=1e-9)


def test_plan_from_minutes() -> None:
    plan = plan_journey(MoodPoint(0, 0), MoodPoint(0.5, 0.5), minutes=30, track_minutes=3.0)
    assert plan.steps == 10
    assert plan.minutes == 30


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "give the number of tracks"),
        ({"steps": 1}, "between 2 and 200"),
        ({"steps": 5, "minutes": 10}, "not both"),
        ({"minutes": -3}, "minutes must be a positive"),
    ],
)
def test_plan_rejects_bad_lengths(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(InputError, match=match):
        plan_journey(MoodPoint(0, 0), MoodPoint(0.5, 0.5), **kwargs)  # type: ignore[arg-type]


def test_plan_rejects_non_points() -> None:
    with pytest.raises(InputError, match="start must be a MoodPoint"):
        plan_journey((0.1, 0.2), MoodPoint(0, 0), steps=3)  # type: ignore[arg-type]


def test_journey_over_grid_follows_the_path(grid_index: TrackIndex) -> None:
    plan = plan_journey(MoodPoint(-0.7, 0.7), MoodPoint(0.6, -0.6), steps=12)
    journey = build_journey(grid_index, plan, max_per_artist=1)
    assert len(journey.tracks) == 12
    # grid spacing 0.1: the nearest grid track is never more than 0.071 away
    assert journey.metrics.mean_waypoint_distance < 0.06
    assert journey.metrics.max_waypoint_distance < 0.08
    assert journey.metrics.within_bounds
    assert journey.tracks["track_id"].is_unique
    assert journey.tracks["reason"].str.contains("nearest to waypoint").all()
    reasons = journey.tracks["reason"].tolist()
    assert "starts at your check-in mood" in reasons[0]
    assert "arrives at the target" in reasons[-1]
    np.testing.assert_allclose(journey.planned_path(), plan.path())
    assert journey.actual_path().shape == (12, 2)


def test_jump_bound_is_never_exceeded_even_when_path_is_steep() -> None:
    # Tempo rises 150 BPM along arousal: a 3-track journey from bottom to top cannot follow
    # the path within a 20 BPM bound, so it must deviate or refuse, never jump.
    tracks = grid_catalog(0.1)
    tracks["tempo"] = 100 + 75 * tracks["mood_arousal"]
    index = TrackIndex().fit(tracks)
    bounds = JumpBounds(tempo_bpm=20, energy=1.0)
    plan = plan_journey(MoodPoint(0, -0.9), MoodPoint(0, 0.9), steps=3)
    short = build_journey(index, plan, bounds=bounds)  # deviates from the path instead
    assert np.abs(np.diff(short.tracks["tempo"])).max() <= 20
    assert short.metrics.max_waypoint_distance > 0.3
    longer = build_journey(
        index, plan_journey(MoodPoint(0, -0.9), MoodPoint(0, 0.9), steps=20), bounds=bounds
    )
    assert np.abs(np.diff(longer.tracks["tempo"])).max() <= 20
    assert longer.metrics.within_bounds


def test_infeasible_journey_raises_a_clear_error() -> None:
    tracks = make_catalog(
        [
            {"track_id": "slow", "mood_valence": 0.0, "mood_arousal": -0.9, "tempo": 60.0},
            {"track_id": "fast", "mood_valence": 0.0, "mood_arousal": 0.9, "tempo": 180.0},
        ]
    )
    index = TrackIndex(method="exact").fit(tracks)
    plan = plan_journey(MoodPoint(0, -0.9), MoodPoint(0, 0.9), steps=2)
    with pytest.raises(JourneyInfeasibleError, match="within 20 BPM"):
        build_journey(index, plan)


def test_journey_respects_filters_and_artist_cap(grid_index: TrackIndex) -> None:
    plan = plan_journey(MoodPoint(-0.5, -0.5), MoodPoint(0.5, 0.5), steps=8)
    banned = str(grid_index.near_mood(MoodPoint(0.5, 0.5), k=1).tracks["artists"].iat[0])
    journey = build_journey(
        grid_index, plan, filters=TrackFilters(exclude_artists=(banned,)), max_per_artist=1
    )
    assert banned not in set(journey.tracks["artists"])
    assert journey.tracks["artists"].is_unique
    assert journey.tracks["reason"].str.contains("excluding artists").all()


def test_empty_filter_result_is_an_error(grid_index: TrackIndex) -> None:
    plan = plan_journey(MoodPoint(0, 0), MoodPoint(0.5, 0.5), steps=3)
    with pytest.raises(JourneyInfeasibleError, match="no track passes the filters"):
        build_journey(grid_index, plan, filters=TrackFilters(min_popularity=99))


def test_journey_metrics_measure_jumps() -> None:
    planned = np.array([[0.0, 0.0], [0.5, 0.5]])
    actual = np.array([[0.0, 0.1], [0.5, 0.5]])
    m = journey_metrics(planned, actual, np.array([100, 130.0]), np.array([0.5, 0.6]), JumpBounds())
    assert m.mean_waypoint_distance == pytest.approx(0.05)
    assert m.max_tempo_jump == pytest.approx(30)
    assert m.max_energy_jump == pytest.approx(0.1)
    assert not m.within_bounds


def test_evaluation_beats_naive_baseline_and_keeps_bounds(grid_index: TrackIndex) -> None:
    result = evaluate_journeys(grid_index, pairs=15, steps=10, random_state=3)
    assert result.infeasible == 0
    assert result.journey_bound_violations == 0
    assert result.journey_max_tempo_jump <= result.bounds.tempo_bpm
    assert result.naive_mean_distance > 3 * result.journey_mean_distance
    assert result.to_dict()["distance_ratio"] > 3


def test_bad_bounds_are_rejected() -> None:
    with pytest.raises(InputError, match="jump bound must be a positive"):
        JumpBounds(tempo_bpm=0)


def test_sleep_goal_applies_its_constraints_near_the_target() -> None:
    from moodtune.mood.goals import get_goal

    sleep = get_goal("sleep")
    tracks = grid_catalog(0.1)
    # tempo 70 BPM (inside the sleep range) only for the lowest-energy tracks
    tracks["tempo"] = 80 + 40 * tracks["mood_arousal"]
    tracks["energy"] = (tracks["mood_arousal"] + 1) / 2
    index = TrackIndex().fit(tracks)
    assert sleep.target is not None
    plan = plan_journey(MoodPoint(-0.5, 0.3), sleep.target, steps=12)
    journey = build_journey(index, plan, goal=sleep)
    assert journey.bounds == JumpBounds(sleep.max_tempo_jump_bpm, sleep.max_energy_jump)
    assert journey.metrics.within_bounds
    arriving = [
        i for i, wp in enumerate(plan.waypoints) if wp.distance(sleep.target) <= sleep.radius
    ]
    assert arriving
    end = journey.tracks.iloc[arriving]
    assert (end["tempo"].between(50, 90)).all()
    assert (end["energy"] <= 0.4).all()
    assert end["reason"].str.contains("goal sleep").all()
    assert journey.query["goal"] == "sleep"
    # the catalog has no explicit flags: the no-explicit rule is stated, not silently skipped
    assert any("does not record explicit" in n for n in journey.notes)


def test_preference_hook_reranks_candidates_and_changes_nothing_when_unused(
    grid_index: TrackIndex,
) -> None:
    plan = plan_journey(MoodPoint(-0.6, 0.6), MoodPoint(0.5, -0.5), steps=10)
    plain = build_journey(grid_index, plan)
    rows = np.arange(len(grid_index.tracks_))
    # A neutral preference leaves the journey exactly as it was.
    neutral = build_journey(grid_index, plan, preference=np.zeros(len(rows)))
    assert neutral.tracks["track_id"].tolist() == plain.tracks["track_id"].tolist()
    assert "preference" not in plain.tracks and (neutral.tracks["preference"] == 0).all()
    # Liking high-valence tracks pulls each pick up the valence axis, within the nearest pool.
    bright = grid_index.tracks_["mood_valence"].to_numpy() * 2.0
    liked = build_journey(grid_index, plan, preference=bright)
    shift = liked.actual_path()[:, 0] - plain.actual_path()[:, 0]
    assert (shift >= -1e-9).all() and shift.sum() > 0.2
    assert liked.metrics.within_bounds
    assert liked.metrics.max_waypoint_distance < 0.25  # still near the path
    assert liked.query["preference_weight"] == 1.0
    # A callable over rows is the same hook; weight 0 switches it off.
    as_function = build_journey(grid_index, plan, preference=lambda r: bright[r])
    assert as_function.tracks["track_id"].tolist() == liked.tracks["track_id"].tolist()
    off = build_journey(grid_index, plan, preference=bright, preference_weight=0.0)
    assert off.tracks["track_id"].tolist() == plain.tracks["track_id"].tolist()


@pytest.mark.parametrize("goal_name", [None, "sleep", "energise"])
def test_the_pair_is_the_preferred_build_and_the_plain_rows(
    grid_index: TrackIndex, goal_name: str | None
) -> None:
    from moodtune.mood.goals import get_goal

    goal = None if goal_name is None else get_goal(goal_name)
    start = MoodPoint(-0.6, 0.6)
    plan = plan_journey(start, goal.target_for(start) if goal else MoodPoint(0.5, -0.5), steps=9)
    bright = grid_index.tracks_["mood_valence"].to_numpy() * 2.0
    liked, plain_rows = journey_with_and_without_preference(
        grid_index, plan, goal=goal, preference=bright
    )
    alone = build_journey(grid_index, plan, goal=goal, preference=bright)
    plain = build_journey(grid_index, plan, goal=goal)
    pd.testing.assert_frame_equal(liked.tracks, alone.tracks)
    assert liked.notes == alone.notes
    ids = grid_index.tracks_["track_id"].to_numpy()
    assert ids[plain_rows].tolist() == plain.tracks["track_id"].tolist()
    assert ids[plain_rows].tolist() != liked.tracks["track_id"].tolist()  # preference moved


def test_bad_preference_is_rejected(grid_index: TrackIndex) -> None:
    plan = plan_journey(MoodPoint(0, 0), MoodPoint(0.5, 0.5), steps=4)
    with pytest.raises(InputError, match="shape"):
        build_journey(grid_index, plan, preference=np.zeros(3))
    with pytest.raises(InputError, match="preference_weight"):
        build_journey(
            grid_index, plan, preference=np.zeros(len(grid_index.tracks_)), preference_weight=-1
        )
    with pytest.raises(InputError, match="finite"):
        build_journey(grid_index, plan, preference=np.full(len(grid_index.tracks_), np.nan))
    with pytest.raises(InputError, match="returned shape"):
        build_journey(grid_index, plan, preference=lambda r: np.zeros(1))


def test_cli_playlist_journey_json_and_errors(
    grid_index: TrackIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    import moodtune.recommend.tracks as tracks_module
    from moodtune.cli import app

    monkeypatch.setattr(tracks_module, "load_track_index", lambda *a, **k: grid_index)
    runner = CliRunner()
    result = runner.invoke(
        app, ["playlist", "journey", "--from", "sad", "--to", "calm", "--tracks", "8", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["steps"] == 8
    assert len(payload["tracks"]) == 8
    assert payload["metrics"]["within_bounds"]
    assert len(payload["planned_path"]) == len(payload["actual_path"]) == 8
    bad = runner.invoke(app, ["playlist", "journey", "--from", "sad"])
    assert bad.exit_code != 0
    assert "say where the journey should go" in str(bad.exception)
    assert "field '--to'" in str(bad.exception)  # named by the option typed
    journey = ["playlist", "journey", "--from", "sad", "--to", "calm"]
    negative = runner.invoke(app, [*journey, "--tracks", "-1"])
    assert negative.exit_code != 0
    assert isinstance(negative.exception, InputError)
    assert negative.exception.field == "--tracks"
    assert negative.exception.value == -1 and "not -1" in str(negative.exception)
    both = runner.invoke(app, [*journey, "--tracks", "5", "--minutes", "20"])
    assert isinstance(both.exception, InputError) and "not both" in str(both.exception)
    zero = runner.invoke(app, [*journey, "--minutes", "0"])
    assert isinstance(zero.exception, InputError) and zero.exception.field == "--minutes"


def test_minutes_are_met_with_the_real_track_durations() -> None:
    tracks = grid_catalog(0.1)
    tracks["duration_ms"] = 120_000  # two-minute tracks; the plan assumes 3.5 min each
    index = TrackIndex().fit(tracks)
    plan = plan_journey(MoodPoint(-0.6, -0.3), MoodPoint(0.5, -0.5), minutes=30)
    assert plan.steps == 9  # round(30 / 3.5): 18 min of these tracks
    journey = build_journey(index, plan)
    assert abs(journey.total_minutes - 30) <= 2.0  # within one track
    assert journey.plan.steps == len(journey.tracks) == 15
    assert journey.plan.minutes == 30


def test_a_gap_that_remains_is_stated() -> None:
    tracks = grid_catalog(0.1)
    tracks["duration_ms"] = 600_000  # ten-minute tracks: 2 tracks at least, 20 min
    index = TrackIndex().fit(tracks)
    plan = plan_journey(MoodPoint(-0.6, -0.3), MoodPoint(0.5, -0.5), minutes=5)
    journey = build_journey(index, plan)
    assert journey.plan.steps == 2
    assert any("5 min asked: 2 tracks make 20.0 min, 15.0 min over" in n for n in journey.notes)
    short = build_journey(index, plan_journey(MoodPoint(0, 0), MoodPoint(0.5, 0.5), steps=4))
    assert not any("asked" in n for n in short.notes)  # a track count was asked: no note


def test_an_uncertain_track_loses_the_last_waypoint_to_a_confident_one_nearly_as_close() -> None:
    catalog = grid_catalog(0.1)
    # At the target (0.5, 0.5): the exact track is uncertain; a confident one is 0.03 away.
    target_id = "g+0.50+0.50"
    catalog["mood_uncertain"] = catalog["track_id"] == target_id
    catalog = pd.concat(
        [
            catalog,
            make_catalog(
                [
                    {
                        "track_id": "confident",
                        "mood_valence": 0.53,
                        "mood_arousal": 0.5,
                        "valence": 0.76,
                        "energy": 0.75,
                        "tempo": 145.0,
                        "mood_uncertain": False,
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    index = TrackIndex().fit(catalog)
    journey = build_journey(
        index, plan_journey(MoodPoint(-0.5, -0.5), MoodPoint(0.5, 0.5), steps=6)
    )
    last = journey.tracks.iloc[-1]
    assert last["track_id"] == "confident"
    assert "uncertain" not in last["reason"]
    # Without the flag the exact track wins, and where an uncertain track is played the
    # reason says so.
    catalog["mood_uncertain"] = False
    plain = build_journey(
        TrackIndex().fit(catalog), plan_journey(MoodPoint(-0.5, -0.5), MoodPoint(0.5, 0.5), steps=6)
    )
    assert plain.tracks.iloc[-1]["track_id"] == target_id
    catalog["mood_uncertain"] = True
    flagged = build_journey(
        TrackIndex().fit(catalog), plan_journey(MoodPoint(-0.5, -0.5), MoodPoint(0.5, 0.5), steps=6)
    )
    assert all("its mood is uncertain" in r for r in flagged.tracks["reason"])
    assert flagged.tracks["mood_uncertain"].all()


def test_a_journey_reads_its_columns_without_building_its_table(grid_index: TrackIndex) -> None:
    plan = plan_journey(MoodPoint(-0.6, 0.6), MoodPoint(0.5, -0.5), steps=7)
    lazy = build_journey(grid_index, plan, preference=lambda r: np.ones(len(r)))
    built = build_journey(grid_index, plan, preference=lambda r: np.ones(len(r)))
    table = built.tracks
    assert lazy._frame is None and lazy.n_tracks == built.n_tracks == 7
    np.testing.assert_allclose(lazy.actual_path(), built.actual_path())
    assert lazy.total_minutes == pytest.approx(built.total_minutes)
    for column in table.columns:
        assert lazy.values(column) == table[column].tolist(), column
    assert lazy.values("no such column") is None
    assert lazy._frame is None  # nothing above built it
    pd.testing.assert_frame_equal(lazy.tracks, table)
