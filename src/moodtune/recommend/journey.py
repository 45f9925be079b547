"""Iso-principle journeys: start where the listener is and move, track by track, to the goal.

The iso principle of music therapy: first match the listener's current mood, then change the
music gradually towards the desired one. :func:`plan_journey` lays waypoints on the straight
segment from the check-in mood to the target in the valence-arousal plane, spaced by a
smoothstep curve (``s = 3t^2 - 2t^3``) so the first tracks stay close to where the listener is
and the last ones settle at the goal. :func:`build_journey` then picks one track per waypoint
with a beam search that

* keeps every consecutive pair within :class:`JumpBounds` (tempo in BPM, Spotify energy) —
  a hard constraint: a journey that cannot keep it is refused with an error, never returned;
* minimises the summed mood distance to the waypoints, plus a small penalty for the size of
  each jump (so smaller steps win among equally close tracks);
* never repeats a song and allows at most ``max_per_artist`` tracks by one artist;
* at the waypoints where the position matters most (the last one, and those inside a goal's
  region) adds ``UNCERTAIN_MOOD_PENALTY`` to the cost of a track whose fitted mood is
  uncertain, so a confident track wins unless the uncertain one is that much closer.

An optional ``preference`` hook (a listener's learned score per track, e.g. from
``moodtune.recommend.feedback.PreferenceLearner``) re-ranks each waypoint's candidates: it is
blended with the mood-distance cost with a documented weight, and without it nothing changes.

:func:`evaluate_journeys` compares journeys with a naive baseline (random tracks from the
target's quadrant) over many random start/target pairs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from moodtune.errors import InputError, MoodtuneError, check_is_fitted
from moodtune.mood.space import MoodPoint, quadrant
from moodtune.recommend.filters import FilterOutcome, TrackFilters
from moodtune.recommend.tracks import (
    TrackIndex,
    frame_from_columns,
    goal_profile,
    uncertain_clause,
)

if TYPE_CHECKING:
    from moodtune.mood.goals import GoalSpec

__all__ = [
    "DEFAULT_TRACK_MINUTES",
    "MAX_STEPS",
    "MINUTES_REFITS",
    "Journey",
    "JourneyEvaluation",
    "JourneyInfeasibleError",
    "JourneyMetrics",
    "JourneyPlan",
    "JumpBounds",
    "PreferenceScores",
    "build_journey",
    "evaluate_journeys",
    "journey_metrics",
    "journey_with_and_without_preference",
    "plan_journey",
]

#: Typical track length used to turn minutes into a number of tracks (a catalog's median
#: usable duration is used instead when a catalog is at hand).
DEFAULT_TRACK_MINUTES = 3.5
MAX_STEPS = 200
#: How many times a minutes-based journey's track count is corrected to the real durations.
MINUTES_REFITS = 3

#: A listener's preference for tracks, higher is better (reward units: about +1 for a track
#: they will like, -1 for one they will skip): an array over the index's catalog rows, shape
#: ``(len(index.tracks_),)``, or a function from an array of catalog rows to their scores.
PreferenceScores = np.ndarray | Callable[[np.ndarray], np.ndarray]


class JourneyInfeasibleError(MoodtuneError):
    """No sequence of tracks satisfies the jump bounds and filters for this journey."""


@dataclass(frozen=True)
class JumpBounds:
    """The largest change allowed between consecutive tracks.

    ``tempo_bpm``: absolute tempo difference in beats per minute (no half/double-time
    equivalence). ``energy``: difference of Spotify energy (0-1). Defaults: 20 BPM (about
    two-thirds of the catalog's tempo standard deviation) and 0.2 energy (about one standard
    deviation) — large enough to move across the plane in 20 tracks, small enough that no
    transition is abrupt.
    """

    tempo_bpm: float = 20.0
    energy: float = 0.2

    def __post_init__(self) -> None:
        for name in ("tempo_bpm", "energy"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise InputError(
                    "jump bound must be a positive number", field=name, value=value, allowed="> 0"
                )


@dataclass(frozen=True)
class JourneyPlan:
    """Where the journey should be at each track: ``waypoints[i]`` for the i-th track."""

    start: MoodPoint
    target: MoodPoint
    waypoints: tuple[MoodPoint, ...]
    minutes: float | None = None
    track_minutes: float = DEFAULT_TRACK_MINUTES

    @property
    def steps(self) -> int:
        """Number of tracks."""
        return len(self.waypoints)

    def path(self) -> np.ndarray:
        """Waypoints as an array of shape ``(steps, 2)``: (valence, arousal)."""
        return np.array([(w.valence, w.arousal) for w in self.waypoints])


#: Extra cost (in mood-distance units) of an uncertain-mood track at the waypoints that matter.
UNCERTAIN_MOOD_PENALTY = 0.05


def plan_journey(
    start: MoodPoint,
    target: MoodPoint,
    *,
    steps: int | None = None,
    minutes: float | None = None,
    track_minutes: float = DEFAULT_TRACK_MINUTES,
) -> JourneyPlan:
    """Waypoints from ``start`` to ``target``: one per track, smoothstep-spaced on a line.

    Give ``steps`` (number of tracks, 2-200) or ``minutes`` (then ``round(minutes /
    track_minutes)`` tracks, at least 2). The first waypoint is ``start`` and the last is
    ``target``.
    """
    for name, point in (("start", start), ("target", target)):
        if not isinstance(point, MoodPoint):
            raise InputError(
                f"{name} must be a MoodPoint, got {point!r}",
                field=name,
                value=point,
                allowed="MoodPoint(valence, arousal) with both in [-1, 1]",
            )
    if steps is None and minutes is None:
        raise InputError("give the number of tracks (steps) or the minutes", field="steps")
    if steps is not None and minutes is not None:
        raise InputError("give steps or minutes, not both", field="steps", value=steps)
    if not (math.isfinite(track_minutes) and track_minutes > 0):
        raise InputError(
            "track_minutes must be positive", field="track_minutes", value=track_minutes
        )
    if minutes is not None:
        if not (isinstance(minutes, int | float) and math.isfinite(minutes) and minutes > 0):
            raise InputError(
                f"minutes must be a positive number, got {minutes!r}",
                field="minutes",
                value=minutes,
                allowed="> 0",
            )
        steps = max(2, round(minutes / track_minutes))
    assert steps is not None
    if not isinstance(steps, int | np.integer) or not 2 <= steps <= MAX_STEPS:
        raise InputError(
            f"a journey needs between 2 and {MAX_STEPS} tracks, got {steps!r}",
            field="steps",
            value=steps,
            allowed=f"2-{MAX_STEPS}",
        )
    t = np.linspace(0.0, 1.0, int(steps))
    s = 3 * t**2 - 2 * t**3
    # Python floats and min/max, not np.clip per coordinate: the same values, a tenth of the
    # cost (a journey plans two or three times).
    inner = tuple(
        MoodPoint(
            min(max((1 - f) * start.valence + f * target.valence, -1.0), 1.0),
            min(max((1 - f) * start.arousal + f * target.arousal, -1.0), 1.0),
        )
        for f in s[1:-1].tolist()
    )
    waypoints = (start, *inner, target)
    return JourneyPlan(
        start=start,
        target=target,
        waypoints=waypoints,
        minutes=minutes,
        track_minutes=track_minutes,
    )


@dataclass(frozen=True)
class JourneyMetrics:
    """How closely a sequence of tracks follows its planned path, and its largest jumps."""

    mean_waypoint_distance: float
    max_waypoint_distance: float
    max_tempo_jump: float
    max_energy_jump: float
    max_mood_jump: float
    within_bounds: bool


def journey_metrics(
    planned: np.ndarray,
    actual: np.ndarray,
    tempo: np.ndarray,
    energy: np.ndarray,
    bounds: JumpBounds,
) -> JourneyMetrics:
    """Metrics of a track sequence: ``planned``/``actual`` are ``(n, 2)`` mood paths."""
    dist = np.sqrt(((np.asarray(planned) - np.asarray(actual)) ** 2).sum(axis=1))
    tempo_jump = np.abs(np.diff(tempo)) if len(tempo) > 1 else np.zeros(1)
    energy_jump = np.abs(np.diff(energy)) if len(energy) > 1 else np.zeros(1)
    mood_jump = (
        np.sqrt((np.diff(actual, axis=0) ** 2).sum(axis=1)) if len(actual) > 1 else np.zeros(1)
    )
    return JourneyMetrics(
        mean_waypoint_distance=float(dist.mean()),
        max_waypoint_distance=float(dist.max()),
        max_tempo_jump=float(tempo_jump.max()),
        max_energy_jump=float(energy_jump.max()),
        max_mood_jump=float(mood_jump.max()),
        within_bounds=bool(
            tempo_jump.max() <= bounds.tempo_bpm + 1e-9
            and energy_jump.max() <= bounds.energy + 1e-9
        ),
    )


@dataclass
class Journey:
    """A built journey: the plan, the chosen tracks (one per waypoint) and its metrics.

    ``tracks`` is the answer table (one row per track, in order). It is built from the
    journey's columns on first read: :meth:`values` reads one column without building it, so
    a caller that needs a few columns (recording a session) never pays for a DataFrame.
    """

    plan: JourneyPlan
    metrics: JourneyMetrics
    bounds: JumpBounds
    notes: list[str] = field(default_factory=list)
    query: dict[str, Any] = field(default_factory=dict)
    #: What every track's reason shares (the path, the filters), said once.
    explanations: list[str] = field(default_factory=list)
    _columns: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _length: int = field(default=0, repr=False, compare=False)
    _frame: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def tracks(self) -> pd.DataFrame:
        """The chosen tracks as a table (built once, on first use)."""
        if self._frame is None:
            self._frame = frame_from_columns(self._columns, self._length)
            self._columns = {}
        return self._frame

    @tracks.setter
    def tracks(self, frame: pd.DataFrame) -> None:
        self._frame, self._columns = frame, {}

    @property
    def n_tracks(self) -> int:
        """How many tracks the journey has."""
        return len(self._frame) if self._frame is not None else self._length

    def values(self, column: str) -> list[Any] | None:
        """One column's values as a list (None when there is no such column), read from the
        table when it is built, else straight from the journey's columns."""
        if self._frame is not None:
            return self._frame[column].tolist() if column in self._frame.columns else None
        values = self._columns.get(column)
        if values is None:
            return None
        return values.tolist() if hasattr(values, "tolist") else list(values)

    def planned_path(self) -> np.ndarray:
        """The waypoints, shape ``(steps, 2)``."""
        return self.plan.path()

    def actual_path(self) -> np.ndarray:
        """Where the chosen tracks sit in the plane, shape ``(steps, 2)``."""
        if self._frame is None:
            return np.column_stack(
                [
                    np.asarray(self._columns["mood_valence"], dtype=float),
                    np.asarray(self._columns["mood_arousal"], dtype=float),
                ]
            ).reshape(self._length, 2)
        return self.tracks[["mood_valence", "mood_arousal"]].to_numpy(dtype=float)

    @property
    def total_minutes(self) -> float:
        """Summed duration of the chosen tracks."""
        if self._frame is None:
            return float(np.asarray(self._columns["duration_ms"], dtype=float).sum() / 60_000)
        return float(self.tracks["duration_ms"].sum() / 60_000)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form for ``--json`` and library callers."""
        records = self.tracks.astype(object).where(self.tracks.notna(), None)
        return {
            "query": self.query,
            "start": asdict(self.plan.start),
            "target": asdict(self.plan.target),
            "steps": self.plan.steps,
            "minutes_requested": self.plan.minutes,
            "total_minutes": round(self.total_minutes, 2),
            "bounds": asdict(self.bounds),
            "metrics": asdict(self.metrics),
            "planned_path": self.planned_path().round(4).tolist(),
            "actual_path": self.actual_path().round(4).tolist(),
            "notes": self.notes,
            "explanations": self.explanations,
            "tracks": [
                {k: (list(v) if isinstance(v, np.ndarray | tuple) else v) for k, v in r.items()}
                for r in records.to_dict(orient="records")
            ],
        }


def build_journey(
    index: TrackIndex,
    plan: JourneyPlan,
    *,
    filters: TrackFilters | None = None,
    profile: Mapping[str, float] | None = None,
    bounds: JumpBounds | None = None,
    max_per_artist: int | None = 2,
    candidates: int = 24,
    beam_width: int = 12,
    jump_penalty: float = 0.02,
    trend_penalty: float = 0.05,
    goal: GoalSpec | None = None,
    label: str | None = None,
    preference: PreferenceScores | None = None,
    preference_weight: float = 1.0,
) -> Journey:
    """Choose one track per waypoint of ``plan`` (see the module docstring).

    When the plan was made from ``minutes``, its track count came from a typical track length;
    the real durations of the chosen tracks decide: the count is corrected (at most
    :data:`MINUTES_REFITS` times) until the total is within one mean track length of the
    minutes asked for, and any gap that remains is stated in the notes.

    Parameters
    ----------
    index
        A fitted :class:`TrackIndex` over the catalog.
    filters, profile
        Which tracks may be used, and an audio profile weighted into each waypoint's ranking
        (e.g. a goal's ``{"tempo": 70, "instrumentalness": 0.9}``).
    bounds
        The largest tempo and energy change between consecutive tracks (hard constraint).
    candidates, beam_width
        Tracks considered per waypoint (widened x4, twice, when no sequence within the bounds
        is found) and sequences kept per step.
    jump_penalty
        Cost per unit of (tempo jump / bound + energy jump / bound) / 2, added to the mood
        distance; small, so closeness to the path comes first.
    trend_penalty
        Cost per unit of (tempo change against the goal's tempo trend / tempo bound): a
        "slowing" goal is charged for every rise in tempo, "rising" for every fall, "steady"
        for any change.
    goal
        A ``moodtune.mood.goals.GoalSpec``: its jump bounds (unless ``bounds`` is given), its
        tempo trend, its no-explicit rule on every track, its hard constraints (tempo range,
        energy, speechiness) on the tracks within ``goal.radius`` of the target, and its
        preferred audio profile (unless ``profile`` is given).
    preference
        The listener's score per track (:data:`PreferenceScores`; None: no personalisation).
        It re-ranks each waypoint's candidates, which are still the tracks nearest the
        waypoint, so preference never pulls a track from elsewhere in the plane.
    preference_weight
        How far preference may trade against closeness: a candidate's cost is lowered by
        ``preference_weight x r x score``, where ``r`` is the mood distance of the farthest
        candidate in that waypoint's pool. So a track scoring one reward unit higher may sit
        up to ``preference_weight`` pool radii farther from its waypoint (the radius adapts to
        how dense the catalog is there). The chosen tracks' scores are returned in the
        ``preference`` column.

    Raises
    ------
    JourneyInfeasibleError
        When no sequence keeps every jump within ``bounds`` under these filters.
    """
    options: dict[str, Any] = {
        "filters": filters,
        "profile": profile,
        "bounds": bounds,
        "max_per_artist": max_per_artist,
        "candidates": candidates,
        "beam_width": beam_width,
        "jump_penalty": jump_penalty,
        "trend_penalty": trend_penalty,
        "goal": goal,
        "label": label,
        "preference": preference,
        "preference_weight": preference_weight,
    }
    journey = _build_journey(index, plan, **options)
    if plan.minutes is None:
        return journey
    asked = plan.minutes
    for _refit in range(MINUTES_REFITS):
        mean = journey.total_minutes / journey.plan.steps
        gap = asked - journey.total_minutes
        steps = int(np.clip(journey.plan.steps + round(gap / mean), 2, MAX_STEPS))
        if abs(gap) <= mean or steps == journey.plan.steps:
            break
        refit = plan_journey(plan.start, plan.target, steps=steps)
        refit = replace(refit, minutes=asked, track_minutes=plan.track_minutes)
        try:
            journey = _build_journey(index, refit, **options)
        except JourneyInfeasibleError:
            break  # keep the journey that could be built
    gap = asked - journey.total_minutes
    if abs(gap) >= 0.5:
        journey.notes.append(
            f"{asked:g} min asked: {journey.plan.steps} tracks make {journey.total_minutes:.1f} "
            f"min, {abs(gap):.1f} min {'short' if gap > 0 else 'over'} (whole tracks only)"
        )
    return journey


def _build_journey(
    index: TrackIndex,
    plan: JourneyPlan,
    *,
    filters: TrackFilters | None = None,
    profile: Mapping[str, float] | None = None,
    bounds: JumpBounds | None = None,
    max_per_artist: int | None = 2,
    candidates: int = 24,
    beam_width: int = 12,
    jump_penalty: float = 0.02,
    trend_penalty: float = 0.05,
    goal: GoalSpec | None = None,
    label: str | None = None,
    preference: PreferenceScores | None = None,
    preference_weight: float = 1.0,
    pools_memo: dict[int, Any] | None = None,
) -> Journey:
    """One build of :func:`build_journey` for ``plan`` as given."""
    chosen, bounds, step_outcomes, notes, score_rows = _choose(
        index,
        plan,
        filters=filters,
        profile=profile,
        bounds=bounds,
        max_per_artist=max_per_artist,
        candidates=candidates,
        beam_width=beam_width,
        jump_penalty=jump_penalty,
        trend_penalty=trend_penalty,
        goal=goal,
        preference=preference,
        preference_weight=preference_weight,
        pools_memo=pools_memo,
    )
    journey = _assemble(
        index, plan, chosen, bounds, step_outcomes, notes, label, max_per_artist, goal
    )
    if score_rows is not None:
        journey._columns["preference"] = score_rows(np.asarray(chosen, dtype=np.int64))
        journey.query["preference_weight"] = preference_weight
    return journey


def journey_with_and_without_preference(
    index: TrackIndex,
    plan: JourneyPlan,
    *,
    preference: PreferenceScores,
    preference_weight: float = 1.0,
    **options: Any,
) -> tuple[Journey, np.ndarray]:
    """The journey for ``plan`` as given with ``preference``, and the catalog rows the same
    plan gives without it: what preference changed, at little more than one build's cost.

    Both searches share each waypoint's candidates (preference only re-ranks them) and the
    second assembles no answer table. No ``minutes`` correction: ``plan`` is built as given.
    ``options`` are :func:`build_journey`'s.
    """
    memo: dict[int, Any] = {}
    journey = _build_journey(
        index,
        plan,
        preference=preference,
        preference_weight=preference_weight,
        pools_memo=memo,
        **options,
    )
    options.pop("label", None)
    chosen, *_ = _choose(index, plan, pools_memo=memo, **options)
    return journey, np.asarray(chosen, dtype=np.int64)


def _choose(
    index: TrackIndex,
    plan: JourneyPlan,
    *,
    filters: TrackFilters | None = None,
    profile: Mapping[str, float] | None = None,
    bounds: JumpBounds | None = None,
    max_per_artist: int | None = 2,
    candidates: int = 24,
    beam_width: int = 12,
    jump_penalty: float = 0.02,
    trend_penalty: float = 0.05,
    goal: GoalSpec | None = None,
    preference: PreferenceScores | None = None,
    preference_weight: float = 1.0,
    pools_memo: dict[int, Any] | None = None,
) -> tuple[
    list[int], JumpBounds, list[FilterOutcome], list[str], Callable[[np.ndarray], np.ndarray] | None
]:
    """The beam search of one build: chosen rows, bounds, per-step filters, notes, scorer."""
    check_is_fitted(index, "index_")
    if bounds is None:
        bounds = (
            JumpBounds(tempo_bpm=goal.max_tempo_jump_bpm, energy=goal.max_energy_jump)
            if goal is not None
            else JumpBounds()
        )
    if goal is not None and profile is None:
        profile = goal_profile(goal) or None
    if candidates < 1 or beam_width < 1:
        raise InputError(
            "candidates and beam_width must be at least 1",
            field="candidates" if candidates < 1 else "beam_width",
            value=min(candidates, beam_width),
        )
    score_rows = _preference_scorer(index, preference, preference_weight)
    if goal is not None and not goal.allow_explicit:
        filters = (filters or TrackFilters()).merged(TrackFilters(explicit=False))
    outcome = index.filter_outcome(filters)
    if outcome.count == 0:
        raise JourneyInfeasibleError(
            "no track passes the filters (" + ", ".join(outcome.applied) + "): nothing to play"
        )
    step_outcomes = [outcome] * plan.steps
    notes = list(outcome.notes)
    arriving: list[int] = []
    if goal is not None:
        near_goal = index.goal_filter_outcome(filters, goal)
        end = plan.target
        arriving = [i for i, wp in enumerate(plan.waypoints) if wp.distance(end) <= goal.radius]
        if near_goal.count == 0:
            notes.append(
                f"no track meets {near_goal.applied[-1]}: the goal's constraints were not applied"
            )
        else:
            for i in arriving:
                step_outcomes[i] = near_goal
    tempo, energy = index.tempo_, index.energy_
    confident_steps = sorted({plan.steps - 1, *arriving})
    chosen: list[int] | None = None
    failed_at = 0
    pool = candidates
    for _attempt in range(3):
        chosen, failed_at = _beam_search(
            index,
            plan,
            outcomes=step_outcomes,
            trend=goal.tempo_trend if goal is not None else "any",
            trend_penalty=trend_penalty,
            profile=profile,
            bounds=bounds,
            tempo=tempo,
            energy=energy,
            max_per_artist=max_per_artist,
            candidates=pool,
            beam_width=beam_width,
            jump_penalty=jump_penalty,
            notes=notes,
            preference=score_rows,
            preference_weight=preference_weight,
            confident_steps=confident_steps,
            pools_memo=pools_memo,
        )
        if chosen is not None:
            break
        pool *= 4
    if chosen is None:
        wp = plan.waypoints[failed_at]
        raise JourneyInfeasibleError(
            f"no sequence of tracks keeps every jump within {bounds.tempo_bpm:g} BPM and "
            f"{bounds.energy:g} energy: stuck at track {failed_at + 1} of {plan.steps} "
            f"(waypoint v={wp.valence:+.2f}, a={wp.arousal:+.2f}) with the "
            f"{outcome.count:,} tracks that pass the filters; allow larger jumps, more tracks "
            "or fewer filters"
        )
    return chosen, bounds, step_outcomes, notes, score_rows


def _preference_scorer(
    index: TrackIndex, preference: PreferenceScores | None, weight: float
) -> Callable[[np.ndarray], np.ndarray] | None:
    """The preference hook as one function of catalog rows (validated), or None."""
    if preference is None:
        return None
    if not (isinstance(weight, int | float) and math.isfinite(weight) and weight >= 0):
        raise InputError(
            "preference_weight must be a non-negative number",
            field="preference_weight",
            value=weight,
            allowed=">= 0",
        )
    if callable(preference):
        scorer = preference

        def score(rows: np.ndarray) -> np.ndarray:
            values = np.asarray(scorer(rows), dtype=float)
            if values.shape != rows.shape:
                raise InputError(
                    f"the preference function returned shape {values.shape} for {rows.shape} rows",
                    field="preference",
                    allowed="one score per row",
                )
            return values

        return score
    table = np.asarray(preference, dtype=float)
    if table.shape != (len(index.tracks_),):
        raise InputError(
            f"preference scores have shape {table.shape}, the catalog has "
            f"{len(index.tracks_)} rows",
            field="preference",
            allowed=f"an array of shape ({len(index.tracks_)},) or a function of rows",
        )
    if not np.isfinite(table[index.usable_rows_]).all():
        raise InputError(
            "preference scores must be finite for every usable track",
            field="preference",
            allowed="finite numbers",
        )
    return lambda rows: table[rows]


@dataclass(frozen=True)
class _Candidates:
    """Each waypoint's candidates and all the search needs about them that preference does
    not change, so the searches with and without preference over one plan share them.

    ``ok[i]``, ``jump[i]`` and ``against[i]`` are ``(len(pools[i]), len(pools[i + 1]))``: the
    move from a candidate of step ``i`` to one of step ``i + 1`` keeps the jump bounds; its
    cost ``jump_penalty x jump``; its cost ``trend_penalty x tempo change against the goal's
    trend / tempo bound`` (``against`` is None for trend "any").
    """

    pools: list[np.ndarray]  #: catalog rows per step
    dists: list[np.ndarray]  #: their mood distances to the step's waypoint
    base: list[np.ndarray]  #: mood distance + tie-break profile distance (the local cost)
    songs: list[np.ndarray]
    artists: list[np.ndarray]
    reachable: list[np.ndarray]  #: candidates from which the end can still be reached
    ok: np.ndarray | list[np.ndarray]
    jump: np.ndarray | list[np.ndarray]
    against: np.ndarray | list[np.ndarray] | None


def _candidates(
    index: TrackIndex,
    plan: JourneyPlan,
    *,
    outcomes: list[FilterOutcome],
    trend: str,
    trend_penalty: float,
    profile: Mapping[str, float] | None,
    bounds: JumpBounds,
    tempo: np.ndarray,
    energy: np.ndarray,
    candidates: int,
    jump_penalty: float,
    notes: list[str],
) -> tuple[_Candidates | None, int]:
    """The candidates of one search (see :class:`_Candidates`), or (None, index of the step
    that has none or from which the end cannot be reached)."""
    found = index.mood_pools(
        plan.path(),
        k=candidates,
        outcomes=outcomes,
        profile=profile,
        max_per_artist=None,
        notes=notes,
    )
    for step, (rows_list, _) in enumerate(found):
        if not rows_list:
            return None, step
    pools: list[np.ndarray]
    base: list[np.ndarray]
    dists: list[np.ndarray] | np.ndarray
    if len({len(rows_list) for rows_list, _ in found}) == 1:
        # Pools of one size (the usual case): score them all at once.
        stacked = np.array([rows_list for rows_list, _ in found], dtype=np.int64)
        ties = index._profile_distance(stacked, profile) * index.tie_weight
        dists = np.array([[dist_of[r] for r in rows_list] for rows_list, dist_of in found])
        pools = list(stacked)
        base = list(dists + ties)
    else:
        dists = [np.array([dist_of[r] for r in rows_list]) for rows_list, dist_of in found]
        pools = [np.asarray(rows_list, dtype=np.int64) for rows_list, _ in found]
        base = [
            d + index._profile_distance(rows, profile) * index.tie_weight
            for d, rows in zip(dists, pools, strict=True)
        ]
    pool_tempo = [tempo[p] for p in pools]
    pool_energy = [energy[p] for p in pools]
    # Every move from one step's candidates to the next's: (steps - 1, here, next).
    change: np.ndarray | list[np.ndarray]
    d_energy: np.ndarray | list[np.ndarray]
    if isinstance(dists, np.ndarray) and len(pools) > 1:
        tempo_grid, energy_grid = np.array(pool_tempo), np.array(pool_energy)
        change = tempo_grid[1:, None, :] - tempo_grid[:-1, :, None]
        d_energy = np.abs(energy_grid[1:, None, :] - energy_grid[:-1, :, None])
    else:
        change = [
            pool_tempo[i + 1][None, :] - pool_tempo[i][:, None] for i in range(len(pools) - 1)
        ]
        d_energy = [
            np.abs(pool_energy[i + 1][None, :] - pool_energy[i][:, None])
            for i in range(len(pools) - 1)
        ]

    def each(f: Callable[..., np.ndarray], *grids: Any) -> np.ndarray | list[np.ndarray]:
        """``f`` over the moves: at once on a grid, step by step on a list."""
        if isinstance(grids[0], np.ndarray):
            return f(*grids)
        return [f(*parts) for parts in zip(*grids, strict=True)]

    d_tempo = each(np.abs, change)
    ok = each(lambda t, e: (t <= bounds.tempo_bpm) & (e <= bounds.energy), d_tempo, d_energy)
    jump = each(
        lambda t, e: jump_penalty * ((t / bounds.tempo_bpm + e / bounds.energy) / 2),
        d_tempo,
        d_energy,
    )
    against: np.ndarray | list[np.ndarray] | None = None
    if trend != "any":
        if trend == "slowing":
            moved = each(lambda c: np.maximum(c, 0.0), change)
        elif trend == "rising":
            moved = each(lambda c: np.maximum(-c, 0.0), change)
        else:  # steady
            moved = d_tempo
        against = each(lambda a: trend_penalty * a / bounds.tempo_bpm, moved)
    # Backward pass (lookahead): keep only candidates from which the end can still be reached
    # within the jump bounds, so the forward search never walks into a dead end (e.g. a tempo
    # too far above a sleep goal's range to come down in time).
    reachable: list[np.ndarray] = [np.ones(len(p), dtype=bool) for p in pools]
    for step in range(len(pools) - 2, -1, -1):
        reachable[step] = np.asarray((ok[step] & reachable[step + 1][None, :]).any(axis=1))
        if not reachable[step].any():
            return None, step + 1
    songs, artists = index.duplicate_codes_, index.artist_codes_
    return (
        _Candidates(
            pools=pools,
            dists=list(dists),
            base=base,
            songs=[songs[p] for p in pools],
            artists=[artists[p] for p in pools],
            reachable=reachable,
            ok=ok,
            jump=jump,
            against=against,
        ),
        0,
    )


def _beam_search(
    index: TrackIndex,
    plan: JourneyPlan,
    *,
    outcomes: list[FilterOutcome],
    trend: str,
    trend_penalty: float,
    profile: Mapping[str, float] | None,
    bounds: JumpBounds,
    tempo: np.ndarray,
    energy: np.ndarray,
    max_per_artist: int | None,
    candidates: int,
    beam_width: int,
    jump_penalty: float,
    notes: list[str],
    preference: Callable[[np.ndarray], np.ndarray] | None = None,
    preference_weight: float = 0.0,
    confident_steps: list[int] | tuple[int, ...] = (),
    pools_memo: dict[int, Any] | None = None,
) -> tuple[list[int] | None, int]:
    """One beam search; returns (rows, 0) or (None, index of the step that had no way on).

    ``pools_memo`` keeps each pool size's candidates (:func:`_candidates`) for another search
    over the same plan and options in which only the preference differs.
    """
    found = None if pools_memo is None else pools_memo.get(candidates)
    if found is None:
        found = _candidates(
            index,
            plan,
            outcomes=outcomes,
            trend=trend,
            trend_penalty=trend_penalty,
            profile=profile,
            bounds=bounds,
            tempo=tempo,
            energy=energy,
            candidates=candidates,
            jump_penalty=jump_penalty,
            notes=notes,
        )
        if pools_memo is not None:
            pools_memo[candidates] = found
    pool, failed_at = found
    if pool is None:
        return None, failed_at
    locals_ = list(pool.base)
    if preference is not None:
        locals_ = [
            local - preference_weight * float(d.max()) * preference(rows)
            for local, d, rows in zip(locals_, pool.dists, pool.pools, strict=True)
        ]
    uncertain = index.mood_uncertain_
    for step in confident_steps:
        locals_[step] = locals_[step] + UNCERTAIN_MOOD_PENALTY * uncertain[pool.pools[step]]
    n_steps = len(pool.pools)
    beam_cost = np.zeros(1)
    # Each beam's path, and the songs and artists along it, filled in step by step (one
    # gather and one column write per step, rather than building new arrays).
    beam_paths = np.zeros((1, n_steps), dtype=np.int64)
    beam_songs = np.zeros((1, n_steps), dtype=index.duplicate_codes_.dtype)
    beam_artists = np.zeros((1, n_steps), dtype=index.artist_codes_.dtype)
    last = np.zeros(1, dtype=np.int64)  #: each beam's last candidate, in its step's pool
    for step in range(n_steps):
        keep = pool.reachable[step]
        rows, local = pool.pools[step], locals_[step]
        row_songs, row_artists = pool.songs[step], pool.artists[step]
        kept: np.ndarray | None = None
        if not keep.all():
            kept = np.flatnonzero(keep)
            rows, local = rows[kept], local[kept]
            row_songs, row_artists = row_songs[kept], row_artists[kept]
        if step == 0:
            cost = beam_cost[:, None] + local[None, :]
            feasible = np.ones_like(cost, dtype=bool)
        else:
            # The moves from each beam's last track to this step's candidates.
            moves = last if kept is None else np.ix_(last, kept)
            feasible = pool.ok[step - 1][moves]
            cost = beam_cost[:, None] + local[None, :] + pool.jump[step - 1][moves]
            if pool.against is not None:
                cost = cost + pool.against[step - 1][moves]
            # no song twice, at most max_per_artist per artist: (beams, path, candidates)
            songs_so_far, artists_so_far = beam_songs[:, :step], beam_artists[:, :step]
            feasible &= ~(songs_so_far[:, :, None] == row_songs[None, None, :]).any(axis=1)
            if max_per_artist is not None:
                same = artists_so_far[:, :, None] == row_artists[None, None, :]
                feasible &= same.sum(axis=1) < max_per_artist
        if not feasible.any():
            return None, step
        flat = np.where(feasible, cost, np.inf).ravel()
        n_keep = min(beam_width, int(feasible.sum()))
        best = np.argpartition(flat, n_keep - 1)[:n_keep]
        best = best[np.argsort(flat[best], kind="stable")]
        b_idx, c_idx = np.divmod(best, len(rows))
        beam_paths, beam_songs, beam_artists = (
            beam_paths[b_idx],
            beam_songs[b_idx],
            beam_artists[b_idx],
        )
        beam_paths[:, step] = rows[c_idx]
        beam_songs[:, step] = row_songs[c_idx]
        beam_artists[:, step] = row_artists[c_idx]
        last = c_idx if kept is None else kept[c_idx]
        beam_cost = flat[best]
    return [int(r) for r in beam_paths[0]], 0


def _assemble(
    index: TrackIndex,
    plan: JourneyPlan,
    rows: list[int],
    bounds: JumpBounds,
    outcomes: list[FilterOutcome],
    notes: list[str],
    label: str | None,
    max_per_artist: int | None,
    goal: GoalSpec | None,
) -> Journey:
    answer = index.result_columns(rows)
    planned = plan.path()
    actual = np.column_stack(
        [
            np.asarray(answer["mood_valence"], dtype=float),
            np.asarray(answer["mood_arousal"], dtype=float),
        ]
    )
    tempo = np.asarray(answer["tempo"], dtype=float)
    energy = np.asarray(answer["energy"], dtype=float)
    distance = np.sqrt(((planned - actual) ** 2).sum(axis=1))
    n = len(rows)
    columns: dict[str, Any] = {
        "position": np.arange(1, n + 1),
        "waypoint_valence": planned[:, 0].round(4),
        "waypoint_arousal": planned[:, 1].round(4),
        **answer,
        "waypoint_distance": distance,
        "tempo_jump": np.concatenate([[0.0], np.diff(tempo)]),
        "energy_jump": np.concatenate([[0.0], np.diff(energy)]),
    }
    explicit_unknown = outcomes[0].explicit_unknown
    if explicit_unknown:
        # Keep the column where an assignment would put it; its value is set below.
        columns.setdefault("explicit", distance)
    cap = [f"at most {max_per_artist} per artist"] if max_per_artist is not None else []
    reasons = []
    short = []
    # Python floats: formatting NumPy scalars one by one would cost more than the search.
    tempo_list, energy_list, distance_list = tempo.tolist(), energy.tolist(), distance.tolist()
    uncertain_list = index.mood_uncertain_[np.asarray(rows, dtype=np.int64)].tolist()
    for i in range(n):
        filt = [*outcomes[i].applied, *cap]
        filt_text = ("; filters: " + ", ".join(filt)) if filt else ""
        wp = plan.waypoints[i]
        step = (
            "starts at your check-in mood"
            if i == 0
            else ("arrives at the target" if i == n - 1 else "moves along the path")
        )
        jump = (
            ""
            if i == 0
            else f"; change from previous: {tempo_list[i] - tempo_list[i - 1]:+.0f} BPM, "
            f"{energy_list[i] - energy_list[i - 1]:+.2f} energy"
        )
        reasons.append(
            f"nearest to waypoint {i + 1}/{n} (v={wp.valence:+.2f}, "
            f"a={wp.arousal:+.2f}), mood distance {distance_list[i]:.3f}; "
            f"{step}{jump}{filt_text}" + uncertain_clause(bool(uncertain_list[i]))
        )
        short.append(
            f"waypoint {i + 1}/{n}, Δmood {distance_list[i]:.2f}"
            + ("" if i == 0 else f"; {tempo_list[i] - tempo_list[i - 1]:+.0f} BPM")
        )
    columns["reason"] = reasons
    columns["short_reason"] = short
    if explicit_unknown:
        columns["explicit"] = ["unknown"] * n
    shared = list(dict.fromkeys(", ".join([*o.applied, *cap]) for o in outcomes))
    explanations = [
        "one track per waypoint on the path from your check-in mood to the target; "
        "Δmood: distance from the track's mood to its waypoint",
        *(f"filters: {text}" for text in shared if text),
    ]
    metrics = journey_metrics(planned, actual, tempo, energy, bounds)
    return Journey(
        plan=plan,
        _columns=columns,
        _length=n,
        metrics=metrics,
        bounds=bounds,
        notes=list(dict.fromkeys(notes)),
        explanations=explanations,
        query={
            "label": label,
            "goal": goal.goal.value if goal is not None else None,
            "max_per_artist": max_per_artist,
            "filters": [*outcomes[0].applied, *cap],
        },
    )


# ---------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class JourneyEvaluation:
    """Journeys vs the naive baseline over random start/target pairs (means over pairs)."""

    pairs: int
    steps: int
    journey_mean_distance: float
    naive_mean_distance: float
    journey_max_tempo_jump: float
    journey_max_energy_jump: float
    naive_max_tempo_jump: float
    naive_max_energy_jump: float
    journey_bound_violations: int
    naive_bound_violations: int
    infeasible: int
    bounds: JumpBounds
    journey_ms: tuple[float, ...] = ()

    @property
    def distance_ratio(self) -> float:
        """Naive mean waypoint distance / journey mean waypoint distance (higher is better)."""
        return self.naive_mean_distance / max(self.journey_mean_distance, 1e-12)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (timings summarised)."""
        out = asdict(self)
        times = np.asarray(self.journey_ms)
        out["journey_ms"] = (
            {"p50": float(np.percentile(times, 50)), "p99": float(np.percentile(times, 99))}
            if len(times)
            else None
        )
        out["distance_ratio"] = self.distance_ratio
        return out


def evaluate_journeys(
    index: TrackIndex,
    *,
    pairs: int = 200,
    steps: int = 20,
    bounds: JumpBounds | None = None,
    filters: TrackFilters | None = None,
    random_state: int | np.random.Generator | None = 0,
) -> JourneyEvaluation:
    """Build journeys between random start/target points and compare with the naive way.

    Start and target are drawn uniformly from [-0.8, 0.8]^2. The naive baseline plays
    ``steps`` random usable tracks from the target's quadrant (what the prior art did); both
    are scored against the same planned waypoints. Journeys that cannot keep the bounds are
    counted in ``infeasible`` (never returned as if they had).
    """
    check_is_fitted(index, "index_")
    bounds = bounds or JumpBounds()
    rng = np.random.default_rng(random_state)
    usable = index.usable_rows_
    quads = np.array([quadrant(v, a) for v, a in index.mood_[usable]], dtype=object)
    tempo, energy = index.tempo_, index.energy_
    j_dist: list[float] = []
    n_dist: list[float] = []
    j_tempo: list[float] = []
    j_energy: list[float] = []
    n_tempo: list[float] = []
    n_energy: list[float] = []
    j_viol = n_viol = infeasible = 0
    times: list[float] = []
    for _ in range(pairs):
        start = MoodPoint(*rng.uniform(-0.8, 0.8, 2).round(3).tolist())
        target = MoodPoint(*rng.uniform(-0.8, 0.8, 2).round(3).tolist())
        plan = plan_journey(start, target, steps=steps)
        planned = plan.path()
        try:
            t0 = time.perf_counter()
            journey = build_journey(index, plan, filters=filters, bounds=bounds)
            times.append((time.perf_counter() - t0) * 1000)
        except JourneyInfeasibleError:
            infeasible += 1
        else:
            m = journey.metrics
            j_dist.append(m.mean_waypoint_distance)
            j_tempo.append(m.max_tempo_jump)
            j_energy.append(m.max_energy_jump)
            j_viol += not m.within_bounds
        pool = usable[quads == target.quadrant]
        if len(pool) == 0:
            pool = usable
        picks = rng.choice(pool, size=steps, replace=len(pool) < steps)
        naive = journey_metrics(planned, index.mood_[picks], tempo[picks], energy[picks], bounds)
        n_dist.append(naive.mean_waypoint_distance)
        n_tempo.append(naive.max_tempo_jump)
        n_energy.append(naive.max_energy_jump)
        n_viol += not naive.within_bounds
    return JourneyEvaluation(
        pairs=pairs,
        steps=steps,
        journey_mean_distance=float(np.mean(j_dist)) if j_dist else float("nan"),
        naive_mean_distance=float(np.mean(n_dist)),
        journey_max_tempo_jump=float(np.max(j_tempo)) if j_tempo else float("nan"),
        journey_max_energy_jump=float(np.max(j_energy)) if j_energy else float("nan"),
        naive_max_tempo_jump=float(np.max(n_tempo)),
        naive_max_energy_jump=float(np.max(n_energy)),
        journey_bound_violations=j_viol,
        naive_bound_violations=n_viol,
        infeasible=infeasible,
        bounds=bounds,
        journey_ms=tuple(times),
    )
