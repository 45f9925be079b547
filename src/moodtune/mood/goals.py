"""Listening goals as target regions of the mood plane, with constraints on the tracks.

A goal says where a journey should end (``target``) and what tracks suit it (``GoalSpec``).
The constraints are data for the journey planner to apply, not a medical prescription: the
thresholds are moodtune's choices, informed by common advice in the music-and-sleep and
music-therapy literature (e.g. slow, quiet, instrumental music for sleep: Trahan et al. 2018,
"The music that helps people sleep and the reasons they believe it works", PLOS ONE 13(11);
the iso-principle of starting where the listener is: Altshuler 1948, Heiderscheit & Madson
2015). They are not validated on outcomes here.

======== =============================== =============================================
goal     target                          constraints
======== =============================== =============================================
calm_down (0.45, -0.45), radius 0.25      tempo slowing to 60-110 BPM, energy <= 0.6,
                                          no explicit lyrics
lift_mood (0.6, arousal kept near the     no constraints on tempo; valence rising
          listener's, in [-0.1, 0.4])
focus    (0.3, 0.1), radius 0.25          steady 70-130 BPM, energy 0.3-0.7, instrumental
                                          preferred, speechiness <= 0.15, no explicit
sleep    (0.15, -0.75), radius 0.2        tempo slowing to 50-90 BPM, energy <= 0.4,
                                          instrumental preferred, no explicit lyrics
energise (0.5, 0.6), radius 0.25          tempo rising to 110-180 BPM, energy >= 0.6
stay     the listener's own point         none (mood-matching, "sit with it")
======== =============================== =============================================
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

import numpy as np

from moodtune.errors import InputError
from moodtune.mood.space import MoodPoint

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GOALS", "Goal", "GoalSpec", "get_goal", "target"]


class Goal(StrEnum):
    """What the listener wants from the playlist."""

    CALM_DOWN = "calm_down"
    LIFT_MOOD = "lift_mood"
    FOCUS = "focus"
    SLEEP = "sleep"
    ENERGISE = "energise"
    STAY = "stay"


TempoTrend = Literal["slowing", "rising", "steady", "any"]


@dataclass(frozen=True)
class GoalSpec:
    """A goal's target region and the constraints on its tracks (``None``: no constraint).

    ``tempo_range`` (BPM) and the energy bounds apply to the *end* of a journey (the tracks
    near the target); ``tempo_trend`` says how tempo should move along the way;
    ``max_tempo_jump_bpm`` / ``max_energy_jump`` bound the change between consecutive tracks.
    ``prefer_instrumental`` is a preference (rank instrumental tracks first), not a filter.
    ``allow_explicit=False`` excludes tracks flagged explicit; where a catalog has no explicit
    flag (all NA) the filter cannot be applied and the caller must say so.
    """

    goal: Goal
    description: str
    target: MoodPoint | None  # None: the target is the listener's current point
    radius: float
    tempo_range: tuple[float, float] | None = None
    tempo_trend: TempoTrend = "any"
    min_energy: float | None = None
    max_energy: float | None = None
    max_speechiness: float | None = None
    prefer_instrumental: bool = False
    allow_explicit: bool = True
    max_tempo_jump_bpm: float = 20.0
    max_energy_jump: float = 0.25
    rationale: str = ""

    def constraint_mask(self, tracks: pd.DataFrame) -> np.ndarray:
        """Boolean mask of tracks meeting the hard constraints (tempo, energy, speech, explicit).

        Missing values fail a constraint on that column; NA ``explicit`` passes (unknown).
        """
        mask = np.ones(len(tracks), dtype=bool)
        if self.tempo_range is not None:
            tempo = tracks["tempo"].to_numpy(dtype=float)
            mask &= (tempo >= self.tempo_range[0]) & (tempo <= self.tempo_range[1])
        energy = tracks["energy"].to_numpy(dtype=float)
        if self.min_energy is not None:
            mask &= energy >= self.min_energy
        if self.max_energy is not None:
            mask &= energy <= self.max_energy
        if self.max_speechiness is not None:
            mask &= tracks["speechiness"].to_numpy(dtype=float) <= self.max_speechiness
        if not self.allow_explicit and "explicit" in tracks:
            explicit = tracks["explicit"].astype("boolean")
            mask &= ~explicit.fillna(False).to_numpy(dtype=bool)
        return mask

    def target_for(self, current: MoodPoint) -> MoodPoint:
        """Where a journey starting at ``current`` should end."""
        return target(self.goal, current)


GOALS: dict[Goal, GoalSpec] = {
    Goal.CALM_DOWN: GoalSpec(
        goal=Goal.CALM_DOWN,
        description="calm down: from tense or agitated towards calm and relaxed",
        target=MoodPoint(0.45, -0.45),
        radius=0.25,
        tempo_range=(60.0, 110.0),
        tempo_trend="slowing",
        max_energy=0.6,
        allow_explicit=False,
        rationale="lower arousal through slower, softer tracks; pleasant valence",
    ),
    Goal.LIFT_MOOD: GoalSpec(
        goal=Goal.LIFT_MOOD,
        description="lift my mood: towards pleasant, without forcing high energy",
        target=None,
        radius=0.25,
        rationale=(
            "valence rises to 0.6 while arousal stays near the listener's own (kept in "
            "[-0.1, 0.4]), so a tired or sad listener is not jolted into loud music"
        ),
    ),
    Goal.FOCUS: GoalSpec(
        goal=Goal.FOCUS,
        description="focus: steady, moderate, mostly instrumental",
        target=MoodPoint(0.3, 0.1),
        radius=0.25,
        tempo_range=(70.0, 130.0),
        tempo_trend="steady",
        min_energy=0.3,
        max_energy=0.7,
        max_speechiness=0.15,
        prefer_instrumental=True,
        allow_explicit=False,
        max_tempo_jump_bpm=15.0,
        max_energy_jump=0.2,
        rationale="moderate arousal, few words, no sudden changes",
    ),
    Goal.SLEEP: GoalSpec(
        goal=Goal.SLEEP,
        description="sleep: wind down to slow, quiet, instrumental",
        target=MoodPoint(0.15, -0.75),
        radius=0.2,
        tempo_range=(50.0, 90.0),
        tempo_trend="slowing",
        max_energy=0.4,
        prefer_instrumental=True,
        allow_explicit=False,
        max_tempo_jump_bpm=12.0,
        max_energy_jump=0.15,
        rationale="low arousal, slowing tempo, instrumental preferred (Trahan et al. 2018)",
    ),
    Goal.ENERGISE: GoalSpec(
        goal=Goal.ENERGISE,
        description="energise: towards upbeat and energetic",
        target=MoodPoint(0.5, 0.6),
        radius=0.25,
        tempo_range=(110.0, 180.0),
        tempo_trend="rising",
        min_energy=0.6,
        rationale="arousal and valence rise together",
    ),
    Goal.STAY: GoalSpec(
        goal=Goal.STAY,
        description="stay with my mood: tracks that match how I feel now",
        target=None,
        radius=0.2,
        max_tempo_jump_bpm=15.0,
        rationale="mood-matching (the first step of the iso-principle) with no movement",
    ),
}


def get_goal(goal: str | Goal) -> GoalSpec:
    """The spec of ``goal`` (a ``Goal`` or its name, e.g. ``"calm_down"`` or ``"calm-down"``)."""
    if isinstance(goal, Goal):
        return GOALS[goal]
    key = str(goal).strip().lower().replace("-", "_").replace(" ", "_")
    aliases = {"energize": "energise", "calm": "calm_down", "lift": "lift_mood"}
    key = aliases.get(key, key)
    try:
        return GOALS[Goal(key)]
    except ValueError:
        raise InputError(
            f"unknown goal {goal!r}",
            field="goal",
            value=goal,
            allowed=", ".join(g.value for g in Goal),
        ) from None


def target(goal: str | Goal, current: MoodPoint) -> MoodPoint:
    """The point a journey for ``goal`` starting at ``current`` should reach."""
    spec = get_goal(goal)
    if spec.goal is Goal.STAY:
        return current
    if spec.goal is Goal.LIFT_MOOD:
        return MoodPoint(0.6, float(np.clip(current.arousal, -0.1, 0.4)))
    assert spec.target is not None
    return spec.target
