from __future__ import annotations

import pandas as pd
import pytest

from moodtune.errors import InputError
from moodtune.mood.goals import GOALS, Goal, get_goal, target
from moodtune.mood.space import MoodPoint, parse_mood


def test_every_goal_has_a_spec_and_a_target_inside_the_plane() -> None:
    assert {g.value for g in GOALS} == {
        "calm_down",
        "lift_mood",
        "focus",
        "sleep",
        "energise",
        "stay",
    }
    for goal in Goal:
        point = target(goal, parse_mood("sad"))
        assert -1 <= point.valence <= 1 and -1 <= point.arousal <= 1


def test_targets_point_where_the_goal_says() -> None:
    sad = parse_mood("sad")
    assert target("calm_down", parse_mood("stressed")).quadrant == "calm/relaxed"
    assert target("sleep", sad).arousal < -0.5
    assert target("energise", sad).quadrant == "happy/energetic"
    assert target("stay", sad) == sad
    lifted = target("lift_mood", parse_mood("tired"))
    assert lifted.valence > 0.5 and lifted.arousal <= 0.0  # not jolted into high energy


def test_sleep_constraints_are_data() -> None:
    spec = get_goal("sleep")
    assert spec.tempo_trend == "slowing"
    assert spec.prefer_instrumental and not spec.allow_explicit
    assert spec.max_energy is not None and spec.max_energy <= 0.5
    assert spec.tempo_range is not None and spec.tempo_range[1] <= 90


def test_constraint_mask_applies_tempo_energy_and_explicit() -> None:
    tracks = pd.DataFrame(
        {
            "tempo": [70.0, 140.0, 75.0, 72.0],
            "energy": [0.2, 0.2, 0.9, 0.3],
            "speechiness": [0.05] * 4,
            "explicit": pd.array([False, False, False, True], dtype="boolean"),
        }
    )
    assert get_goal("sleep").constraint_mask(tracks).tolist() == [True, False, False, False]
    unknown = tracks.assign(explicit=pd.array([pd.NA] * 4, dtype="boolean"))
    assert get_goal("sleep").constraint_mask(unknown).tolist() == [True, False, False, True]
    assert get_goal("stay").constraint_mask(tracks).all()


def test_goal_names_are_forgiving_and_unknown_ones_listed() -> None:
    assert get_goal("Calm-Down").goal is Goal.CALM_DOWN
    assert get_goal("energize").goal is Goal.ENERGISE
    with pytest.raises(InputError, match="unknown goal 'party'") as info:
        get_goal("party")
    assert "sleep" in (info.value.allowed or "")
    assert GOALS[Goal.FOCUS].target_for(MoodPoint(0, 0)) == GOALS[Goal.FOCUS].target
