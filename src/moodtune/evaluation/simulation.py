"""Simulated listeners: does learning from feedback beat the same recommender without it?

Each simulated listener has *hidden* tastes and a *hidden* mood response. They use moodtune
for many sessions: the product's own recommender builds a journey of ``n_tracks`` tracks from
their current mood towards the target of a goal from ``moodtune.mood.goals`` (with that goal's
constraints) — ``moodtune.recommend.feedback.adaptive_journey``, which is what ``moodtune
session start`` calls — the listener accepts or skips each track, sometimes gives a thumb,
marks tracks that helped, and checks in before and after. The learning arms pass the
listener's ``PreferenceLearner`` (updated from that feedback) to it; the baseline passes none
and so gets the unpersonalised journey. Both arms see the same listeners, the same starting
moods and goals (common random numbers), so their difference is the learning alone.

The simulator's assumptions (documented in docs/learning.md; none is tuned to the answer):

* **Taste.** A listener's utility for a track is ``u = √0.6·z(x·w) + √0.15·z(h·v) +
  √0.25·e`` where ``x`` are the learner's own features (genre, audio, mood position), ``w``
  the listener's hidden weights (one of ``n_archetypes`` taste communities plus an individual
  deviation), ``h`` features the learner never sees (popularity, release year, key, mode),
  ``e`` a per-listener-per-track idiosyncratic liking, and ``z`` standardises over the
  catalogue. So the learner's model can explain at most 60% of the taste variance.
* **Feedback.** A track is accepted (played through) with probability ``σ(slope·u + bias)``;
  otherwise it is skipped after U(3, 45) s. With probability ``rate_probability`` the listener
  also gives a thumb, up with probability ``σ(3u)``. An accepted track that moved their mood
  towards the target is marked "helped" with probability ``helped_probability``.
* **Mood response (iso principle).** The mood starts at the before check-in. Each accepted
  track pulls it ``entrainment`` of the way towards the track's mood position, damped when
  that step is larger than the listener's hidden ``tolerance`` (music too far from how they
  feel does not carry them); a skipped track does nothing. A journey that moves too slowly
  does not reach the target in ``n_tracks`` tracks; one that moves too fast loses the
  listener. The after check-in is the final mood plus noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from moodtune.errors import InputError
from moodtune.mood.goals import Goal, get_goal
from moodtune.mood.space import MoodPoint
from moodtune.recommend.feedback import (
    DEFAULT_PREFERENCE_WEIGHT,
    FeedbackConfig,
    PreferenceLearner,
    SessionOutcome,
    TrackFeatures,
    TrackFeedback,
    adaptive_journey,
)
from moodtune.recommend.journey import JourneyInfeasibleError
from moodtune.recommend.tracks import TrackIndex

__all__ = [
    "ARMS",
    "SIMULATED_GOALS",
    "SimulatedCatalog",
    "SimulationConfig",
    "SimulationResult",
    "gini",
    "intra_list_diversity",
    "prepare_catalog",
    "run_simulation",
    "synthetic_catalog",
]

# Arms: the recommender without learning, learning with Thompson exploration, and learning
# greedy (posterior mean, no exploration) as an ablation of exploration.
ARMS: tuple[str, ...] = ("no_learning", "learning", "learning_greedy")

# The product's goals (``moodtune.mood.goals``) that move the listener; "stay" has no target
# to move towards, so "mood improvement" (distance to the target) means nothing for it.
SIMULATED_GOALS: tuple[str, ...] = tuple(g.value for g in Goal if g is not Goal.STAY)

UNSEEN_FEATURES: tuple[str, ...] = ("popularity", "release_year", "key", "mode")


@dataclass(frozen=True)
class SimulationConfig:
    """Size of the experiment and the simulated world's parameters (see module docstring)."""

    n_listeners: int = 100
    n_sessions: int = 20
    n_tracks: int = 10
    seeds: tuple[int, ...] = (0, 1, 2)
    arms: tuple[str, ...] = ARMS
    n_archetypes: int = 4
    individual_scale: float = 0.7
    visible_share: float = 0.6
    unseen_share: float = 0.15
    accept_slope: float = 1.5
    accept_bias: float = 0.0
    rate_probability: float = 0.3
    helped_probability: float = 0.5
    entrainment: float = 0.5
    tolerance_range: tuple[float, float] = (0.1, 0.6)
    mood_noise: float = 0.05
    preference_weight: float = DEFAULT_PREFERENCE_WEIGHT
    learner: FeedbackConfig = field(default_factory=FeedbackConfig)

    def __post_init__(self) -> None:
        for name in ("n_listeners", "n_sessions", "n_tracks"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise InputError(f"{name} must be a positive integer", field=name, value=value)
        unknown = [a for a in self.arms if a not in ARMS]
        if unknown or not self.arms:
            raise InputError(
                "unknown simulation arm", field="arms", value=unknown, allowed=", ".join(ARMS)
            )
        if not self.seeds:
            raise InputError("at least one seed is needed", field="seeds")
        if self.n_tracks < 2:
            raise InputError(
                "a journey needs at least 2 tracks", field="n_tracks", value=self.n_tracks
            )


# --- catalogue ------------------------------------------------------------------------------


@dataclass
class SimulatedCatalog:
    """The usable catalogue, prepared for the simulation.

    ``index`` is the product's ``TrackIndex`` over ``tracks`` (what journeys are built from);
    ``features`` the learner's feature map over the same rows; ``mood`` has shape (n, 2)
    (valence, arousal); ``unseen`` (n, 4) are standardised features the learner never sees.
    Row ``i`` is the same track in all of them.
    """

    tracks: pd.DataFrame
    features: TrackFeatures
    mood: np.ndarray
    unseen: np.ndarray
    index: TrackIndex = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.tracks)


def prepare_catalog(tracks: pd.DataFrame) -> SimulatedCatalog:
    """Usable rows of a catalogue table (``Catalog.tracks``) ready for the simulator.

    Needs ``track_id``, ``genres``, the audio features and ``mood_valence``/``mood_arousal``
    (``name``/``artists`` default to the track id). The track index is the exact kind (faiss
    ``IndexFlatL2``, built in a fraction of a second): journeys search the mood plane with its
    k-d tree, never the audio index, so the kind does not change a journey.
    """
    missing = [c for c in ("track_id", "mood_valence", "mood_arousal") if c not in tracks]
    if missing:
        raise InputError(
            f"the catalogue lacks {missing}; the simulator needs mood positions",
            field=missing[0],
        )
    if "usable" in tracks.columns:
        tracks = tracks[tracks["usable"].fillna(False).astype(bool)]
    tracks = tracks.drop_duplicates("track_id").reset_index(drop=True)
    mood = tracks[["mood_valence", "mood_arousal"]].to_numpy(dtype=float)
    keep = np.isfinite(mood).all(axis=1)
    tracks = tracks[keep].reset_index(drop=True)
    mood = mood[keep]
    if len(tracks) < 50:
        raise InputError(
            f"the simulator needs at least 50 usable tracks with a mood position, got "
            f"{len(tracks)}",
            field="tracks",
        )
    for column in ("name", "artists"):
        if column not in tracks.columns:
            tracks[column] = tracks["track_id"].astype(str)
    unseen = np.zeros((len(tracks), len(UNSEEN_FEATURES)))
    for j, name in enumerate(UNSEEN_FEATURES):
        if name in tracks.columns:
            values = pd.to_numeric(tracks[name], errors="coerce").to_numpy(dtype=float)
            unseen[:, j] = np.nan_to_num(_standardise(values), nan=0.0)
    return SimulatedCatalog(
        tracks=tracks,
        features=TrackFeatures.from_tracks(tracks),
        mood=mood,
        unseen=unseen,
        index=TrackIndex(method="exact").fit(tracks),
    )


def synthetic_catalog(
    n_tracks: int = 2000,
    *,
    genres: Sequence[str] = ("pop", "rock", "rap", "edm", "latin", "r&b"),
    random_state: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """A synthetic catalogue for tests (never for reported figures).

    Distribution: genre uniform; each genre has its own mean for the nine audio features
    (Uniform(0.2, 0.8) on the unit-range ones), tracks scatter around it with sd 0.15
    (clipped to [0, 1]); tempo ~ N(120, 25) BPM, loudness ~ N(-8, 3) dB; mood position
    valence = 2·valence - 1, arousal = 2·energy - 1; popularity U{0..100}, year U{1970..2020};
    three tracks per artist.
    """
    rng = np.random.default_rng(random_state)
    unit: tuple[str, ...] = ("danceability", "energy", "speechiness", "acousticness")
    unit += ("instrumentalness", "liveness", "valence")
    centre = {g: rng.uniform(0.2, 0.8, size=len(unit)) for g in genres}
    genre = rng.choice(list(genres), size=n_tracks)
    values = np.stack([centre[g] for g in genre]) + rng.normal(0, 0.15, (n_tracks, len(unit)))
    values = np.clip(values, 0.0, 1.0)
    frame = pd.DataFrame(values, columns=list(unit))
    frame.insert(0, "track_id", [f"syn{i:05d}" for i in range(n_tracks)])
    frame.insert(1, "name", [f"Synthetic {i}" for i in range(n_tracks)])
    frame.insert(2, "artists", [f"Synthetic artist {i // 3}" for i in range(n_tracks)])
    frame["genres"] = [[g] for g in genre]
    frame["tempo"] = np.clip(rng.normal(120, 25, n_tracks), 50, 220)
    frame["loudness"] = np.clip(rng.normal(-8, 3, n_tracks), -30, 0)
    frame["popularity"] = rng.integers(0, 101, n_tracks)
    frame["release_year"] = rng.integers(1970, 2021, n_tracks).astype(float)
    frame["key"] = rng.integers(0, 12, n_tracks)
    frame["mode"] = rng.integers(0, 2, n_tracks)
    frame["mood_valence"] = 2 * frame["valence"] - 1
    frame["mood_arousal"] = 2 * frame["energy"] - 1
    frame["usable"] = True
    frame["synthetic"] = True
    return frame


def _standardise(values: np.ndarray) -> np.ndarray:
    sd = np.nanstd(values)
    return (values - np.nanmean(values)) / (sd if sd > 1e-12 else 1.0)


# --- listeners ------------------------------------------------------------------------------


@dataclass
class HiddenListener:
    """A simulated listener's hidden truth (the recommender never sees it)."""

    utility: np.ndarray  # (n_tracks,) standardised liking of every catalogue track
    archetype: int
    tolerance: float  # largest mood step a track may ask of them and still carry them
    home_mood: np.ndarray  # (2,) where their before check-ins tend to be
    goals: tuple[str, ...]


def make_listeners(
    catalog: SimulatedCatalog, config: SimulationConfig, *, seed: int
) -> list[HiddenListener]:
    """The hidden population for one seed (same for every arm)."""
    rng = np.random.default_rng([seed, 7919])
    x = catalog.features.matrix
    d = x.shape[1]
    n_genres = len(catalog.features.genres)
    prior_sd = np.where(np.arange(d) < n_genres, 1.0, 0.5)
    archetypes = rng.normal(0.0, 1.0, (config.n_archetypes, d)) * prior_sd
    goal_names = list(SIMULATED_GOALS)
    listeners: list[HiddenListener] = []
    for index in range(config.n_listeners):
        own = np.random.default_rng([seed, 104729, index])
        k = int(own.integers(config.n_archetypes))
        weights = archetypes[k] + config.individual_scale * own.normal(0.0, 1.0, d) * prior_sd
        unseen_weights = own.normal(0.0, 1.0, catalog.unseen.shape[1])
        utility = (
            np.sqrt(config.visible_share) * _standardise(x @ weights)
            + np.sqrt(config.unseen_share) * _standardise(catalog.unseen @ unseen_weights)
            + np.sqrt(1 - config.visible_share - config.unseen_share)
            * own.standard_normal(catalog.size)
        )
        listeners.append(
            HiddenListener(
                utility=utility,
                archetype=k,
                tolerance=float(own.uniform(*config.tolerance_range)),
                home_mood=np.array([own.uniform(-0.8, 0.1), own.uniform(-0.7, 0.7)]),
                goals=tuple(own.choice(goal_names, size=2, replace=False).tolist()),
            )
        )
    return listeners


# --- one session ----------------------------------------------------------------------------


@dataclass
class SessionLog:
    """What happened in one simulated session."""

    tracks: np.ndarray
    accepted: np.ndarray
    feedback: list[TrackFeedback]
    outcome: SessionOutcome
    gain: float


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def listen(
    listener: HiddenListener,
    catalog: SimulatedCatalog,
    tracks: np.ndarray,
    *,
    before: np.ndarray,
    target: np.ndarray,
    goal: str,
    pace: float | None,
    session_id: str,
    config: SimulationConfig,
    rng: np.random.Generator,
) -> SessionLog:
    """The hidden listener reacts to a journey: feedback per track and the after check-in."""
    u = listener.utility[tracks]
    accepted = rng.random(len(tracks)) < _sigmoid(config.accept_slope * u + config.accept_bias)
    rated = rng.random(len(tracks)) < config.rate_probability
    thumbs_up = rng.random(len(tracks)) < _sigmoid(3.0 * u)
    skip_time = rng.uniform(3.0, 45.0, len(tracks))
    marks_helped = rng.random(len(tracks)) < config.helped_probability
    mood = before.copy()
    feedback: list[TrackFeedback] = []
    for position, row in enumerate(tracks):
        helped = False
        if accepted[position]:
            delta = catalog.mood[row] - mood
            step = float(np.linalg.norm(delta))
            overshoot = max(0.0, step - listener.tolerance)
            carried = config.entrainment * np.exp(-0.5 * (overshoot / 0.1) ** 2)
            new_mood = mood + carried * delta
            closer = np.linalg.norm(mood - target) - np.linalg.norm(new_mood - target)
            helped = bool(closer > 0.02 and marks_helped[position])
            mood = new_mood
        thumb = (1 if thumbs_up[position] else -1) if rated[position] else None
        feedback.append(
            TrackFeedback(
                track_id=str(catalog.features.track_ids[row]),
                session_id=session_id,
                position=position,
                played=True,
                skipped_after_s=None if accepted[position] else float(skip_time[position]),
                thumbs=thumb,
                helped=helped or None,
            )
        )
    after = np.clip(mood + rng.normal(0.0, config.mood_noise, 2), -1.0, 1.0)
    outcome = SessionOutcome(
        session_id=session_id,
        before=(float(before[0]), float(before[1])),
        after=(float(after[0]), float(after[1])),
        goal=goal,
        target=(float(target[0]), float(target[1])),
        pace=pace,
        track_ids=tuple(f.track_id for f in feedback),
    )
    gain = float(np.linalg.norm(before - target) - np.linalg.norm(after - target))
    return SessionLog(tracks, accepted, feedback, outcome, gain)


# --- the experiment -------------------------------------------------------------------------


@dataclass
class SimulationResult:
    """Per-session records and per-offer records of a simulation run."""

    sessions: pd.DataFrame  # seed, arm, listener, session, acceptance, gain, pace, diversity
    offers: pd.DataFrame  # seed, arm, listener, session, position, track, accepted, thumbs
    catalog_size: int
    config: SimulationConfig

    def per_session(self) -> pd.DataFrame:
        """Mean and 95% CI of acceptance and mood gain per arm and session number."""
        rows = []
        for (arm, session), group in self.sessions.groupby(["arm", "session"], sort=True):
            row: dict[str, Any] = {"arm": arm, "session": int(str(session))}
            for metric in ("acceptance", "gain"):
                mean, half = _mean_ci(group[metric].to_numpy())
                row[metric] = mean
                row[f"{metric}_ci"] = half
            rows.append(row)
        return pd.DataFrame(rows)

    def comparison(self, *, from_session: int = 6) -> dict[str, Any]:
        """Learning minus no-learning from ``from_session`` on, paired by listener and seed.

        Also counts in how many of those sessions (and seeds) the learning arm's mean is
        higher: "clearly and consistently better" must hold per session and per seed.
        """
        out: dict[str, Any] = {"from_session": from_session}
        late = self.sessions[self.sessions["session"] >= from_session]
        if "no_learning" not in set(late["arm"]):
            return out
        base = late[late["arm"] == "no_learning"].set_index(["seed", "listener", "session"])
        for arm in [a for a in self.config.arms if a != "no_learning"]:
            other = late[late["arm"] == arm].set_index(["seed", "listener", "session"])
            entry: dict[str, Any] = {}
            for metric in ("acceptance", "gain"):
                diff = (other[metric] - base[metric]).groupby(level=["seed", "listener"]).mean()
                mean, half = _mean_ci(diff.to_numpy())
                by_session = (other[metric] - base[metric]).groupby(level="session").mean()
                by_seed = diff.groupby(level="seed").mean()
                entry[metric] = {
                    "difference": mean,
                    "ci95": half,
                    "sessions_better": int((by_session > 0).sum()),
                    "sessions": len(by_session),
                    "seeds_better": int((by_seed > 0).sum()),
                    "seeds": len(by_seed),
                }
            out[arm] = entry
        return out

    def coverage(self) -> pd.DataFrame:
        """Per arm: catalogue coverage, Gini of offer counts, intra-list diversity, repeats.

        Computed per seed over every offer to every listener, then averaged over seeds.
        """
        rows = []
        for arm, by_arm in self.offers.groupby("arm", sort=False):
            per_seed = []
            for _, offers in by_arm.groupby("seed"):
                counts = np.bincount(offers["track"].to_numpy(), minlength=self.catalog_size)
                per_listener = offers.groupby("listener")["track"].agg(
                    lambda t: t.nunique() / len(t)
                )
                per_seed.append(
                    {
                        "coverage": float((counts > 0).mean()),
                        "unique_tracks": int((counts > 0).sum()),
                        "gini": gini(counts),
                        "listener_unique_share": float(per_listener.mean()),
                    }
                )
            diversity = self.sessions.loc[self.sessions["arm"] == arm, "diversity"]
            row: dict[str, Any] = {"arm": arm}
            for key in per_seed[0]:
                row[key] = float(np.mean([p[key] for p in per_seed]))
            row["intra_list_diversity"] = float(diversity.mean())
            rows.append(row)
        return pd.DataFrame(rows)


def _mean_ci(values: np.ndarray) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    if len(values) == 1:
        return float(values[0]), float("nan")
    return float(values.mean()), float(1.96 * values.std(ddof=1) / np.sqrt(len(values)))


def gini(counts: np.ndarray) -> float:
    """Gini coefficient of non-negative counts (0: all equal; near 1: a few items get all)."""
    values = np.sort(np.asarray(counts, dtype=float))
    if values.sum() <= 0:
        return 0.0
    n = len(values)
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * values).sum()) / (n * values.sum()) - (n + 1) / n)


def intra_list_diversity(x: np.ndarray) -> float:
    """Mean pairwise Euclidean distance between the feature rows of one list."""
    if len(x) < 2:
        return 0.0
    diff = x[:, None, :] - x[None, :, :]
    dist = np.sqrt((diff**2).sum(axis=-1))
    n = len(x)
    return float(dist.sum() / (n * (n - 1)))


def run_simulation(
    catalog: SimulatedCatalog,
    config: SimulationConfig | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Run every arm over the same simulated listeners, sessions and seeds."""
    config = config or SimulationConfig()
    session_rows: list[dict[str, Any]] = []
    offer_frames: list[pd.DataFrame] = []
    total = len(config.seeds) * len(config.arms) * config.n_listeners
    done = 0
    for seed in config.seeds:
        listeners = make_listeners(catalog, config, seed=seed)
        for arm in config.arms:
            for index, listener in enumerate(listeners):
                rows, offers = _simulate_listener(catalog, listener, arm, index, seed, config)
                session_rows.extend(rows)
                offer_frames.append(offers)
                done += 1
                if progress is not None:
                    progress(done, total)
    return SimulationResult(
        sessions=pd.DataFrame(session_rows),
        offers=pd.concat(offer_frames, ignore_index=True),
        catalog_size=catalog.size,
        config=config,
    )


def _simulate_listener(
    catalog: SimulatedCatalog,
    listener: HiddenListener,
    arm: str,
    index: int,
    seed: int,
    config: SimulationConfig,
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    learner = PreferenceLearner(catalog.features.names, config=config.learner)
    explore = arm == "learning"
    rows: list[dict[str, Any]] = []
    offers: dict[str, list[Any]] = {
        k: []
        for k in ("position", "track", "accepted", "thumbs", "skipped_after_s", "helped", "session")
    }
    for session in range(1, config.n_sessions + 1):
        # Context and the listener's reactions share random numbers across arms.
        context = np.random.default_rng([seed, index, session, 1])
        reaction = np.random.default_rng([seed, index, session, 2])
        decision = np.random.default_rng([seed, index, session, 3, ARMS.index(arm)])
        goal = str(context.choice(listener.goals))
        before = np.clip(listener.home_mood + context.normal(0.0, 0.2, 2), -1.0, 1.0)
        start = MoodPoint(float(before[0]), float(before[1]))
        target = np.asarray(get_goal(goal).target_for(start).as_tuple())
        try:
            built = adaptive_journey(
                catalog.index,
                catalog.features,
                start=start,
                goal=goal,
                steps=config.n_tracks,
                learner=None if arm == "no_learning" else learner,
                explore=explore,
                preference_weight=config.preference_weight,
                compare=False,
                random_state=decision,
            )
        except JourneyInfeasibleError:
            # The product would refuse this journey too; the session does not happen.
            rows.append(_skipped_session(seed, arm, index, listener, session, goal))
            continue
        tracks = np.asarray(catalog.index.rows_for(built.journey.tracks["track_id"].tolist()))
        pace = built.pace
        log = listen(
            listener,
            catalog,
            tracks,
            before=before,
            target=target,
            goal=goal,
            pace=pace,
            session_id=f"{seed}-{index}-{session}",
            config=config,
            rng=reaction,
        )
        if arm != "no_learning":
            learner.observe(log.feedback, catalog.features)
            learner.observe_session(log.outcome, catalog.features)
        rows.append(
            {
                "seed": seed,
                "arm": arm,
                "listener": index,
                "archetype": listener.archetype,
                "session": session,
                "goal": goal,
                "acceptance": float(log.accepted.mean()),
                "gain": log.gain,
                "pace": pace,
                "personalised": built.personalised,
                "tolerance": listener.tolerance,
                "diversity": intra_list_diversity(catalog.features.matrix[tracks]),
                "infeasible": False,
            }
        )
        offers["session"].extend([session] * len(tracks))
        offers["position"].extend(range(len(tracks)))
        offers["track"].extend(tracks.tolist())
        offers["accepted"].extend(log.accepted.tolist())
        offers["thumbs"].extend(f.thumbs for f in log.feedback)
        offers["skipped_after_s"].extend(f.skipped_after_s for f in log.feedback)
        offers["helped"].extend(bool(f.helped) for f in log.feedback)
    frame = pd.DataFrame(offers)
    frame.insert(0, "listener", index)
    frame.insert(0, "arm", arm)
    frame.insert(0, "seed", seed)
    return rows, frame


def _skipped_session(
    seed: int, arm: str, index: int, listener: HiddenListener, session: int, goal: str
) -> dict[str, Any]:
    return {
        "seed": seed,
        "arm": arm,
        "listener": index,
        "archetype": listener.archetype,
        "session": session,
        "goal": goal,
        "acceptance": float("nan"),
        "gain": float("nan"),
        "pace": float("nan"),
        "personalised": False,
        "tolerance": listener.tolerance,
        "diversity": float("nan"),
        "infeasible": True,
    }


def quick_config(config: SimulationConfig, **changes: Any) -> SimulationConfig:
    """A copy of ``config`` with some fields changed (validated again)."""
    return replace(config, **changes)
