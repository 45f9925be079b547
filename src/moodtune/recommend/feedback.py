"""Learning from one listener's feedback: Bayesian preference weights with Thompson sampling.

A listener's taste is modelled as a weight vector ``w`` over track features (genre one-hot,
standardised audio features, mood position). Each piece of feedback is a noisy, weighted
observation ``reward ≈ x · w`` (thumbs up/down, an early skip, a completed play, "this helped",
and a small share of the session's mood change). With a Gaussian prior ``w ~ N(0, s0² I)`` the
posterior stays Gaussian and is updated in closed form (Bayesian linear regression), so a
handful of noisy signals moves the weights only as far as the evidence allows. Ranking with a
*sample* of the posterior instead of its mean (Thompson sampling) makes the recommender explore
tracks it is unsure about, which keeps it from collapsing onto a few safe tracks.

How fast a journey may move (``pace``: mood-plane distance per track) is learned separately
from the before/after check-ins, as a small Gaussian bandit over a grid of paces with kernel
sharing between neighbouring paces. Goal and genre effectiveness are tracked with counts.

Everything here is pure: it takes plain dataclasses (or a DataFrame) and NumPy arrays, never
SQL, and the whole state serialises to JSON (``to_json`` / ``from_json``). See docs/learning.md.

:func:`adaptive_journey` is where the learner meets the product: it builds the iso-principle
journey (``moodtune.recommend.journey``) for a goal of ``moodtune.mood.goals``, with the
learner's preference re-ranking each waypoint's candidates and its pace spacing the waypoints.
The session service and the simulated listeners both call it, so the simulation measures the
recommender listeners actually get.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable, KeysView, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from moodtune.catalog.schema import SCALED_FEATURES
from moodtune.errors import InputError

if TYPE_CHECKING:
    from moodtune.mood.space import MoodPoint
    from moodtune.recommend.journey import Journey, JourneyPlan
    from moodtune.recommend.tracks import TrackIndex

__all__ = [
    "AUDIO_PREFERENCE_FEATURES",
    "DEFAULT_PREFERENCE_WEIGHT",
    "LEARNER_MODEL",
    "STATE_VERSION",
    "AdaptiveJourney",
    "FeedbackConfig",
    "ListenerPreferences",
    "PreferenceLearner",
    "SessionOutcome",
    "TrackFeatures",
    "TrackFeedback",
    "adaptive_journey",
    "feedback_from_frame",
    "feedback_from_records",
    "feedback_reward",
    "mood_gain",
    "plan_at_pace",
    "plan_pace",
    "sessions_from_frame",
    "sessions_from_records",
]

STATE_VERSION = 1
#: Names the learner in a session's model version.
LEARNER_MODEL = f"preference-learner v{STATE_VERSION} (Bayesian linear weights, Thompson)"
#: How far preference may trade against closeness in a journey, in pool radii per reward unit
#: (see ``build_journey(preference_weight=)``): a track the listener is expected to like by one
#: thumbs-up more may sit as far from its waypoint as the farthest of the nearest candidates.
DEFAULT_PREFERENCE_WEIGHT = 1.0

# Audio features the learner weighs (standardised over the catalogue). Key and mode are left
# out: they are categorical and carry little taste signal on their own.
AUDIO_PREFERENCE_FEATURES: tuple[str, ...] = SCALED_FEATURES
MOOD_FEATURES: tuple[str, ...] = ("mood_valence", "mood_arousal")

# Plain words for a feature that raised a track's score: (when above the catalogue mean,
# when below it).
_FEATURE_WORDS: dict[str, tuple[str, str]] = {
    "danceability": ("danceable", "less danceable"),
    "energy": ("energetic", "gentle"),
    "loudness": ("loud", "quiet"),
    "speechiness": ("wordy", "few spoken words"),
    "acousticness": ("acoustic", "electronic"),
    "instrumentalness": ("instrumental", "with vocals"),
    "liveness": ("live", "studio"),
    "valence": ("bright", "dark"),
    "tempo": ("fast", "slow"),
    "mood_valence": ("pleasant mood", "sombre mood"),
    "mood_arousal": ("lively mood", "low-key mood"),
}


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackFeedback:
    """What a listener did with one offered track (one ``track_feedback`` row, without SQL).

    ``thumbs`` is +1, -1 or None; ``skipped_after_s`` is None when the track was not skipped.
    """

    track_id: str
    session_id: str = ""
    position: int = 0
    played: bool | None = True
    skipped_after_s: float | None = None
    thumbs: int | None = None
    helped: bool | None = None

    def __post_init__(self) -> None:
        if self.thumbs not in (None, 1, -1):
            raise InputError(
                "thumbs must be +1, -1 or empty",
                field="thumbs",
                value=self.thumbs,
                allowed="1, -1, None",
            )
        if self.skipped_after_s is not None and not (
            math.isfinite(self.skipped_after_s) and self.skipped_after_s >= 0
        ):
            raise InputError(
                "skipped_after_s must be a non-negative number of seconds",
                field="skipped_after_s",
                value=self.skipped_after_s,
                allowed=">= 0 or None",
            )


@dataclass(frozen=True)
class SessionOutcome:
    """One finished session: check-ins before and after, the goal, and how it was played.

    Mood points are ``(valence, arousal)`` in [-1, 1]. ``target`` is the mood the goal aimed
    at (None: improvement is measured as the valence change). ``pace`` is the mood-plane
    distance per track the journey moved with (None when unknown).
    """

    session_id: str
    before: tuple[float, float]
    after: tuple[float, float] | None
    goal: str | None = None
    target: tuple[float, float] | None = None
    pace: float | None = None
    track_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("before", "after", "target"):
            point = getattr(self, name)
            if point is None:
                continue
            if len(point) != 2 or not all(math.isfinite(v) and -1 <= v <= 1 for v in point):
                raise InputError(
                    f"session {self.session_id}: {name} must be (valence, arousal) in [-1, 1]",
                    field=name,
                    value=point,
                    allowed="two numbers in [-1, 1]",
                )
        if self.pace is not None and not (math.isfinite(self.pace) and self.pace > 0):
            raise InputError(
                f"session {self.session_id}: pace must be a positive mood-plane distance",
                field="pace",
                value=self.pace,
                allowed="> 0",
            )


def mood_gain(outcome: SessionOutcome) -> float | None:
    """How much the session helped: the reduction in distance to the target (or valence gain).

    Positive is better. None when there is no after check-in.
    """
    if outcome.after is None:
        return None
    before = np.asarray(outcome.before, dtype=float)
    after = np.asarray(outcome.after, dtype=float)
    if outcome.target is None:
        return float(after[0] - before[0])
    target = np.asarray(outcome.target, dtype=float)
    return float(np.linalg.norm(before - target) - np.linalg.norm(after - target))


_FEEDBACK_COLUMNS = ("track_id", "session_id", "position", "played", "skipped_after_s", "thumbs")


def _optional(value: Any) -> Any:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def feedback_from_frame(frame: pd.DataFrame, *, source: str = "feedback") -> list[TrackFeedback]:
    """Feedback rows (columns as the ``track_feedback`` table) as ``TrackFeedback`` records.

    Required column: ``track_id``; the others are optional. A bad value raises ``InputError``
    naming the row (1-based) and column.
    """
    if "track_id" not in frame.columns:
        raise InputError(
            "feedback needs a track_id column",
            file=source,
            field="track_id",
            allowed=", ".join(_FEEDBACK_COLUMNS),
        )
    return feedback_from_records(frame.to_dict(orient="records"), source=source)


def feedback_from_records(
    rows: Iterable[Mapping[Any, Any]], *, source: str = "feedback"
) -> list[TrackFeedback]:
    """``feedback_from_frame`` over plain row mappings (as the store returns them)."""
    records: list[TrackFeedback] = []
    for row_number, row in enumerate(rows, start=1):
        try:
            thumbs = _optional(row.get("thumbs"))
            skipped = _optional(row.get("skipped_after_s"))
            played = _optional(row.get("played", True))
            helped = _optional(row.get("helped"))
            records.append(
                TrackFeedback(
                    track_id=str(row["track_id"]),
                    session_id=str(_optional(row.get("session_id")) or ""),
                    position=int(_optional(row.get("position")) or 0),
                    played=None if played is None else bool(played),
                    skipped_after_s=None if skipped is None else float(skipped),
                    thumbs=None if thumbs is None else int(thumbs),
                    helped=None if helped is None else bool(helped),
                )
            )
        except InputError as exc:
            raise InputError(
                exc.message,
                file=source,
                row=row_number,
                field=exc.field,
                value=exc.value,
                allowed=exc.allowed,
            ) from exc
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"unreadable feedback value: {exc}", file=source, row=row_number
            ) from exc
    return records


def sessions_from_frame(frame: pd.DataFrame, *, source: str = "sessions") -> list[SessionOutcome]:
    """Session rows as ``SessionOutcome`` records.

    Columns: ``session_id``, ``before_valence``, ``before_arousal``, optional
    ``after_valence``/``after_arousal``, ``goal``, ``target_valence``/``target_arousal``,
    ``pace`` and ``track_ids`` (a list).
    """
    missing = [c for c in ("session_id", "before_valence", "before_arousal") if c not in frame]
    if missing:
        raise InputError(f"sessions need columns {missing}", file=source, field=missing[0])
    return sessions_from_records(frame.to_dict(orient="records"), source=source)


def sessions_from_records(
    rows: Iterable[Mapping[Any, Any]], *, source: str = "sessions"
) -> list[SessionOutcome]:
    """``sessions_from_frame`` over plain row mappings (as the store returns them)."""
    outcomes: list[SessionOutcome] = []
    for row_number, row in enumerate(rows, start=1):

        def point(prefix: str, row: Mapping[Any, Any] = row) -> tuple[float, float] | None:
            v = _optional(row.get(f"{prefix}_valence"))
            a = _optional(row.get(f"{prefix}_arousal"))
            return None if v is None or a is None else (float(v), float(a))

        try:
            before = point("before")
            if before is None:
                raise InputError("before check-in is missing", field="before_valence")
            pace = _optional(row.get("pace"))
            goal = _optional(row.get("goal"))
            tracks = row.get("track_ids")
            outcomes.append(
                SessionOutcome(
                    session_id=str(row["session_id"]),
                    before=before,
                    after=point("after"),
                    goal=None if goal is None else str(goal),
                    target=point("target"),
                    pace=None if pace is None else float(pace),
                    track_ids=tuple(str(t) for t in tracks) if tracks is not None else (),
                )
            )
        except InputError as exc:
            raise InputError(
                exc.message,
                file=source,
                row=row_number,
                field=exc.field,
                value=exc.value,
                allowed=exc.allowed,
            ) from exc
    return outcomes


# --- track features -------------------------------------------------------------------------


@dataclass
class TrackFeatures:
    """The feature map the learner weighs: genre one-hot, standardised audio, mood position.

    Built once over a catalogue (``from_tracks``); ``matrix`` has shape (n_tracks, n_features)
    and row ``i`` belongs to ``track_ids[i]``. The scaling (means, standard deviations) is kept
    so new tracks are transformed the same way.
    """

    track_ids: list[str]
    names: list[str]
    genres: list[str]
    matrix: np.ndarray
    means: dict[str, float]
    scales: dict[str, float]
    _row: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._row = {tid: i for i, tid in enumerate(self.track_ids)}

    @property
    def known_ids(self) -> KeysView[str]:
        """The track ids these features cover, as a set-like view (no copy: a set of the
        28k ids cost ~2 ms, made on every learner update)."""
        return self._row.keys()

    @property
    def n_features(self) -> int:
        return len(self.names)

    @property
    def audio_names(self) -> list[str]:
        return [n for n in self.names if not n.startswith("genre:")]

    @classmethod
    def from_tracks(
        cls, tracks: pd.DataFrame, *, genres: Sequence[str] | None = None
    ) -> TrackFeatures:
        """Build the feature map over ``tracks`` (catalogue columns: track_id, genres, audio
        features; mood_valence/mood_arousal when present)."""
        if "track_id" not in tracks.columns:
            raise InputError("tracks need a track_id column", field="track_id")
        genre_lists = _genre_lists(tracks)
        vocabulary = (
            list(genres) if genres is not None else sorted({g for gl in genre_lists for g in gl})
        )
        audio = [c for c in (*AUDIO_PREFERENCE_FEATURES, *MOOD_FEATURES) if c in tracks.columns]
        missing = [c for c in AUDIO_PREFERENCE_FEATURES if c not in tracks.columns]
        if missing:
            raise InputError(
                f"tracks lack audio feature columns {missing}",
                field=missing[0],
                allowed=", ".join(AUDIO_PREFERENCE_FEATURES),
            )
        means: dict[str, float] = {}
        scales: dict[str, float] = {}
        for column in audio:
            values = pd.to_numeric(tracks[column], errors="coerce").to_numpy(dtype=float)
            means[column] = float(np.nanmean(values))
            sd = float(np.nanstd(values))
            scales[column] = sd if sd > 1e-9 else 1.0
        built = cls(
            track_ids=[str(t) for t in tracks["track_id"]],
            names=[f"genre:{g}" for g in vocabulary] + audio,
            genres=vocabulary,
            matrix=np.empty((0, 0)),
            means=means,
            scales=scales,
        )
        built.matrix = built.transform(tracks)
        return built

    def transform(self, tracks: pd.DataFrame) -> np.ndarray:
        """Feature rows for ``tracks`` with this map's scaling; shape (len(tracks), n_features).

        A track in several genres gets ``1/k`` on each (so weights stay comparable); an
        unknown genre contributes nothing; a missing audio value is the catalogue mean (0).
        """
        genre_lists = _genre_lists(tracks)
        column = {g: j for j, g in enumerate(self.genres)}
        out = np.zeros((len(tracks), self.n_features))
        for i, genre_list in enumerate(genre_lists):
            known = [column[g] for g in genre_list if g in column]
            if known:
                out[i, known] = 1.0 / len(known)
        offset = len(self.genres)
        for j, name in enumerate(self.audio_names):
            if name not in tracks.columns:
                continue
            values = pd.to_numeric(tracks[name], errors="coerce").to_numpy(dtype=float)
            scaled = (values - self.means[name]) / self.scales[name]
            out[:, offset + j] = np.nan_to_num(scaled, nan=0.0)
        return out

    def rows(self, track_ids: Sequence[str]) -> np.ndarray:
        """Row indices of ``track_ids``; an unknown id raises ``InputError``."""
        out = np.empty(len(track_ids), dtype=int)
        for i, tid in enumerate(track_ids):
            row = self._row.get(str(tid))
            if row is None:
                raise InputError(
                    "feedback names a track that is not in the catalogue",
                    field="track_id",
                    value=tid,
                )
            out[i] = row
        return out

    def genre_shares(self, rows: np.ndarray) -> np.ndarray:
        """Genre one-hot block of ``rows``; shape (len(rows), n_genres)."""
        return self.matrix[rows, : len(self.genres)]


def _genre_lists(tracks: pd.DataFrame) -> list[list[str]]:
    if "genres" not in tracks.columns:
        return [[] for _ in range(len(tracks))]
    out: list[list[str]] = []
    for value in tracks["genres"]:
        if isinstance(value, str):
            out.append([value])
        elif value is None or (not hasattr(value, "__iter__") and pd.isna(value)):
            out.append([])
        else:
            out.append([str(g) for g in value])
    return out


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackConfig:
    """How feedback turns into evidence, and the priors. Defaults are explained in the docs.

    Each signal is an observation ``(reward, weight)``; ``weight`` scales its precision, so a
    weight-0.5 signal counts as half a thumbs-up.
    """

    genre_prior_variance: float = 0.25
    prior_variance: float = 0.03
    noise_variance: float = 1.0
    exploration: float = 1.0
    thumbs_weight: float = 1.0
    early_skip_s: float = 30.0
    early_skip_weight: float = 0.6
    late_skip_weight: float = 0.15
    completion_weight: float = 0.3
    helped_weight: float = 0.5
    session_credit_weight: float = 0.1
    pace_grid: tuple[float, ...] = (0.05, 0.1, 0.15, 0.2, 0.3, 0.45)
    default_pace: float = 0.15
    pace_bandwidth: float = 0.05
    pace_prior_variance: float = 0.04
    pace_prior_curvature: float = 0.05
    gain_noise_variance: float = 0.04

    def __post_init__(self) -> None:
        for name in (
            "genre_prior_variance",
            "prior_variance",
            "noise_variance",
            "pace_prior_variance",
        ):
            if not getattr(self, name) > 0:
                raise InputError(f"{name} must be positive", field=name, value=getattr(self, name))
        if self.default_pace not in self.pace_grid:
            raise InputError(
                "default_pace must be one of pace_grid",
                field="default_pace",
                value=self.default_pace,
                allowed=", ".join(map(str, self.pace_grid)),
            )


def feedback_reward(item: TrackFeedback, config: FeedbackConfig) -> tuple[float, float] | None:
    """The evidence one feedback row gives: ``(mean reward, total weight)`` or None.

    Thumbs are the strongest signal (±1); an early skip is a weaker negative; a skip late in
    the track barely counts; a completed play without thumbs is a weak positive; "this helped"
    adds a positive. Signals on one row are pooled (precision-weighted).
    """
    signals: list[tuple[float, float]] = []
    if item.thumbs is not None:
        signals.append((float(item.thumbs), config.thumbs_weight))
    if item.skipped_after_s is not None:
        early = item.skipped_after_s < config.early_skip_s
        signals.append((-1.0, config.early_skip_weight if early else config.late_skip_weight))
    elif item.played and item.thumbs is None:
        signals.append((1.0, config.completion_weight))
    if item.helped:
        signals.append((1.0, config.helped_weight))
    if not signals:
        return None
    weight = sum(w for _, w in signals)
    return sum(r * w for r, w in signals) / weight, weight


# --- outputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListenerPreferences:
    """What the learner currently believes about a listener (posterior means, with sd)."""

    genres: dict[str, float]
    genre_sd: dict[str, float]
    features: dict[str, float]
    feature_sd: dict[str, float]
    preferred_genres: list[str]
    recommended_pace: float
    pace_evidence: float
    goal_effectiveness: dict[str, dict[str, float]]
    genre_effectiveness: dict[str, dict[str, float]]
    n_feedback: int
    n_sessions: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- the learner ----------------------------------------------------------------------------


class PreferenceLearner:
    """Per-listener Bayesian linear preference model with Thompson-sampling exploration.

    Parameters
    ----------
    feature_names : sequence of str
        Names of the feature columns (``TrackFeatures.names``); the state is tied to them.
    config : FeedbackConfig, optional
        Priors and signal weights.
    """

    def __init__(
        self, feature_names: Sequence[str], *, config: FeedbackConfig | None = None
    ) -> None:
        self.feature_names = list(feature_names)
        self.config = config or FeedbackConfig()
        d = len(self.feature_names)
        # Natural parameters of the Gaussian posterior: precision and precision-weighted mean.
        is_genre = np.array([n.startswith("genre:") for n in self.feature_names], dtype=bool)
        prior = np.where(is_genre, self.config.genre_prior_variance, self.config.prior_variance)
        self.precision_ = np.diag(1.0 / prior) if d else np.zeros((0, 0))
        self.shift_ = np.zeros(d)
        self.n_feedback_ = 0
        self.n_sessions_ = 0
        grid = len(self.config.pace_grid)
        self.pace_weight_ = np.zeros(grid)
        self.pace_sum_ = np.zeros(grid)
        self.gain_count_ = 0.0
        self.gain_sum_ = 0.0
        self.goal_stats_: dict[str, list[float]] = {}
        self.genre_stats_: dict[str, list[float]] = {}
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

    # -- updates --

    def _add(self, x: np.ndarray, reward: float, weight: float) -> None:
        scale = weight / self.config.noise_variance
        self.precision_ += scale * np.outer(x, x)
        self.shift_ += scale * reward * x
        self._cache = None

    def _check_features(self, features: TrackFeatures) -> None:
        if features.names != self.feature_names:
            raise InputError(
                "track features do not match the learner's features",
                field="features",
                value=features.names[:5],
                allowed=", ".join(self.feature_names[:5]) + ", ...",
            )

    def observe(self, feedback: Iterable[TrackFeedback], features: TrackFeatures) -> None:
        """Update from per-track feedback; unknown track ids raise ``InputError``."""
        self._check_features(features)
        items = list(feedback)
        rows = features.rows([f.track_id for f in items])
        for item, row in zip(items, rows, strict=True):
            evidence = feedback_reward(item, self.config)
            if evidence is None:
                continue
            self._add(features.matrix[row], *evidence)
            self.n_feedback_ += 1

    def observe_session(self, outcome: SessionOutcome, features: TrackFeatures) -> float | None:
        """Update pace, goal and genre effectiveness (and a little track credit) from a session.

        Returns the session's mood gain (None when there is no after check-in).
        """
        self._check_features(features)
        gain = mood_gain(outcome)
        if gain is None:
            return None
        rows = features.rows(list(outcome.track_ids)) if outcome.track_ids else np.empty(0, int)
        baseline = self.gain_sum_ / (self.gain_count_ + 1.0)  # shrunk towards 0
        centred = gain - baseline
        # What improved their mood: a small reward for the tracks of better-than-usual sessions.
        credit = float(np.clip(centred / 0.3, -1.0, 1.0))
        for row in rows:
            self._add(features.matrix[row], credit, self.config.session_credit_weight)
        if outcome.pace is not None:
            grid = np.asarray(self.config.pace_grid)
            kernel = np.exp(-0.5 * ((grid - outcome.pace) / self.config.pace_bandwidth) ** 2)
            self.pace_weight_ += kernel
            self.pace_sum_ += kernel * gain
        if outcome.goal is not None:
            stats = self.goal_stats_.setdefault(outcome.goal, [0.0, 0.0, 0.0])
            _accumulate(stats, gain, 1.0)
        if len(rows):
            shares = features.genre_shares(rows).sum(axis=0)
            total = shares.sum()
            if total > 0:
                for genre, share in zip(features.genres, shares / total, strict=True):
                    if share > 0:
                        _accumulate(
                            self.genre_stats_.setdefault(genre, [0.0, 0.0, 0.0]), gain, share
                        )
        self.gain_sum_ += gain
        self.gain_count_ += 1.0
        self.n_sessions_ += 1
        return gain

    @classmethod
    def from_history(
        cls,
        features: TrackFeatures,
        *,
        feedback: Iterable[TrackFeedback] = (),
        sessions: Iterable[SessionOutcome] = (),
        config: FeedbackConfig | None = None,
    ) -> PreferenceLearner:
        """A learner fitted to a listener's whole history.

        The order of ``feedback`` does not matter; ``sessions`` are observed in the order
        given (each is credited against the mean gain of the ones before), which should be
        the order they finished, so that observing later sessions one by one continues it.
        """
        learner = cls(features.names, config=config)
        learner.observe(feedback, features)
        for outcome in sessions:
            learner.observe_session(outcome, features)
        return learner

    def copy(self) -> PreferenceLearner:
        """An independent learner in the same state (update it without touching this one)."""
        return copy.deepcopy(self)

    @property
    def has_evidence(self) -> bool:
        """Whether any feedback or finished session has moved the learner from its prior."""
        return self.n_feedback_ > 0 or self.n_sessions_ > 0

    @property
    def has_pace_evidence(self) -> bool:
        """Whether a finished session with a known pace has been observed."""
        return bool(self.pace_weight_.any())

    # -- posterior --

    def _posterior(self) -> tuple[np.ndarray, np.ndarray]:
        if self._cache is None:
            covariance = np.linalg.inv(self.precision_)
            covariance = (covariance + covariance.T) / 2
            self._cache = (covariance @ self.shift_, covariance)
        return self._cache

    @property
    def mean_(self) -> np.ndarray:
        """Posterior mean of the preference weights; shape (n_features,)."""
        return self._posterior()[0]

    @property
    def covariance_(self) -> np.ndarray:
        """Posterior covariance; shape (n_features, n_features)."""
        return self._posterior()[1]

    def sample_weights(
        self, *, random_state: np.random.Generator | int | None = None
    ) -> np.ndarray:
        """One Thompson draw of the weights (covariance scaled by ``exploration²``)."""
        rng = np.random.default_rng(random_state)
        mean, covariance = self._posterior()
        chol = np.linalg.cholesky(covariance + 1e-12 * np.eye(len(mean)))
        return mean + self.config.exploration * chol @ rng.standard_normal(len(mean))

    def score(
        self,
        x: np.ndarray,
        *,
        explore: bool = False,
        weights: np.ndarray | None = None,
        random_state: np.random.Generator | int | None = None,
    ) -> np.ndarray:
        """Preference score of feature rows ``x`` (shape (n, n_features)) in reward units.

        ``explore=True`` scores with one Thompson draw (pass ``weights`` to reuse a draw
        across calls, e.g. for every slot of one playlist).
        """
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != len(self.feature_names):
            raise InputError(
                f"feature rows must have shape (n, {len(self.feature_names)}), got {x.shape}",
                field="x",
            )
        if weights is None:
            weights = self.sample_weights(random_state=random_state) if explore else self.mean_
        return x @ weights

    def rerank(
        self,
        track_ids: Sequence[str],
        features: TrackFeatures,
        *,
        base_scores: np.ndarray | None = None,
        preference_weight: float = 1.0,
        explore: bool = False,
        random_state: np.random.Generator | int | None = None,
    ) -> list[tuple[str, float]]:
        """Candidates re-ordered by ``base_scores + preference_weight * preference``.

        ``base_scores`` (e.g. mood fit from the journey, higher is better) default to zero.
        Returns ``(track_id, combined score)`` best first.
        """
        self._check_features(features)
        rows = features.rows(track_ids)
        base = np.zeros(len(rows)) if base_scores is None else np.asarray(base_scores, float)
        if base.shape != (len(rows),):
            raise InputError(
                f"base_scores must have one value per candidate ({len(rows)}), got {base.shape}",
                field="base_scores",
            )
        pref = self.score(features.matrix[rows], explore=explore, random_state=random_state)
        combined = base + preference_weight * pref
        order = np.argsort(-combined, kind="stable")
        return [(str(track_ids[i]), float(combined[i])) for i in order]

    def explain(self, x: np.ndarray, *, top: int = 3, threshold: float = 0.1) -> list[str]:
        """Plain words for what raises the score of one track (feature row ``x``).

        The features whose contribution ``x_j * mean_j`` (posterior mean, reward units) is at
        least ``threshold`` — a tenth of a thumbs-up by default — largest first, at most
        ``top``: a genre's name (``"rock"``) or an audio word (``"acoustic"``, ``"slow"``).
        Empty when nothing the listener liked stands out.
        """
        x = np.asarray(x, dtype=float).reshape(-1)
        if x.shape != (len(self.feature_names),):
            raise InputError(
                f"a feature row must have {len(self.feature_names)} values, got {x.shape}",
                field="x",
            )
        contribution = x * self.mean_
        words: list[str] = []
        for j in np.argsort(-contribution, kind="stable"):
            if contribution[j] < threshold or len(words) >= top:
                break
            name = self.feature_names[j]
            if name.startswith("genre:"):
                words.append(name.removeprefix("genre:"))
            else:
                high, low = _FEATURE_WORDS.get(name, (f"high {name}", f"low {name}"))
                words.append(high if x[j] > 0 else low)
        return list(dict.fromkeys(words))

    # -- pace --

    def pace_posterior(self) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance of the mood gain at each pace of ``config.pace_grid``.

        The prior mean is the listener's average gain so far, lowered by
        ``pace_prior_curvature`` per squared doubling away from the default pace (moving much
        faster or slower than the iso principle suggests needs evidence), with variance
        ``pace_prior_variance``.
        """
        cfg = self.config
        grid = np.asarray(cfg.pace_grid)
        doublings = np.log2(grid / cfg.default_pace)
        average = self.gain_sum_ / self.gain_count_ if self.gain_count_ else 0.0
        prior_mean = average - cfg.pace_prior_curvature * doublings**2
        precision = 1.0 / cfg.pace_prior_variance + self.pace_weight_ / cfg.gain_noise_variance
        mean = (
            prior_mean / cfg.pace_prior_variance + self.pace_sum_ / cfg.gain_noise_variance
        ) / precision
        return mean, 1.0 / precision

    def recommended_pace(
        self, *, explore: bool = False, random_state: np.random.Generator | int | None = None
    ) -> float:
        """The pace (mood-plane distance per track) to use next.

        Without exploration: the pace with the best posterior mean gain, the default pace
        while nothing is known. With exploration: the best pace under one Thompson draw.
        """
        grid = np.asarray(self.config.pace_grid)
        mean, variance = self.pace_posterior()
        if explore:
            rng = np.random.default_rng(random_state)
            draw = mean + self.config.exploration * np.sqrt(variance) * rng.standard_normal(
                len(grid)
            )
            return float(grid[int(np.argmax(draw))])
        if not self.pace_weight_.any():
            return self.config.default_pace
        # Ties (e.g. after one session every pace looks alike) go to the pace nearest the default.
        best = np.flatnonzero(mean >= mean.max() - 1e-12)
        return float(grid[best[np.argmin(np.abs(grid[best] - self.config.default_pace))]])

    # -- reporting --

    def preferences(self, *, top_genres: int = 3) -> ListenerPreferences:
        """Adjusted preferences: genre and feature weights (with sd), pace, effectiveness."""
        mean, covariance = self._posterior()
        sd = np.sqrt(np.diag(covariance))
        genre_names = [n for n in self.feature_names if n.startswith("genre:")]
        genres = {n.removeprefix("genre:"): float(mean[i]) for i, n in enumerate(genre_names)}
        genre_sd = {n.removeprefix("genre:"): float(sd[i]) for i, n in enumerate(genre_names)}
        offset = len(genre_names)
        audio = self.feature_names[offset:]
        ranked = sorted(genres, key=lambda g: genres[g], reverse=True)
        return ListenerPreferences(
            genres=genres,
            genre_sd=genre_sd,
            features={n: float(mean[offset + j]) for j, n in enumerate(audio)},
            feature_sd={n: float(sd[offset + j]) for j, n in enumerate(audio)},
            preferred_genres=[g for g in ranked[:top_genres] if genres[g] > genre_sd[g] / 2],
            recommended_pace=self.recommended_pace(),
            pace_evidence=float(self.pace_weight_.max(initial=0.0)),
            goal_effectiveness=_summarise(self.goal_stats_),
            genre_effectiveness=_summarise(self.genre_stats_),
            n_feedback=self.n_feedback_,
            n_sessions=self.n_sessions_,
        )

    # -- persistence --

    def to_dict(self) -> dict[str, Any]:
        """The whole state as JSON-ready values (no pickle)."""
        return {
            "kind": "moodtune.PreferenceLearner",
            "version": STATE_VERSION,
            "feature_names": self.feature_names,
            "config": asdict(self.config),
            "precision": self.precision_.tolist(),
            "shift": self.shift_.tolist(),
            "n_feedback": self.n_feedback_,
            "n_sessions": self.n_sessions_,
            "pace_weight": self.pace_weight_.tolist(),
            "pace_sum": self.pace_sum_.tolist(),
            "gain_count": self.gain_count_,
            "gain_sum": self.gain_sum_,
            "goal_stats": self.goal_stats_,
            "genre_stats": self.genre_stats_,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> PreferenceLearner:
        """Rebuild a learner; a state from another version or kind raises ``InputError``."""
        if state.get("kind") != "moodtune.PreferenceLearner":
            raise InputError(
                "not a moodtune preference-learner state",
                field="kind",
                value=state.get("kind"),
                allowed="moodtune.PreferenceLearner",
            )
        if state.get("version") != STATE_VERSION:
            raise InputError(
                "preference-learner state was written by an incompatible version",
                field="version",
                value=state.get("version"),
                allowed=str(STATE_VERSION),
            )
        config_values = dict(state["config"])
        config_values["pace_grid"] = tuple(config_values["pace_grid"])
        learner = cls(state["feature_names"], config=FeedbackConfig(**config_values))
        d = len(learner.feature_names)
        learner.precision_ = np.asarray(state["precision"], dtype=float).reshape(d, d)
        learner.shift_ = np.asarray(state["shift"], dtype=float).reshape(d)
        learner.n_feedback_ = int(state["n_feedback"])
        learner.n_sessions_ = int(state["n_sessions"])
        learner.pace_weight_ = np.asarray(state["pace_weight"], dtype=float)
        learner.pace_sum_ = np.asarray(state["pace_sum"], dtype=float)
        learner.gain_count_ = float(state["gain_count"])
        learner.gain_sum_ = float(state["gain_sum"])
        learner.goal_stats_ = {k: list(map(float, v)) for k, v in state["goal_stats"].items()}
        learner.genre_stats_ = {k: list(map(float, v)) for k, v in state["genre_stats"].items()}
        return learner

    @classmethod
    def from_json(cls, text: str) -> PreferenceLearner:
        try:
            state = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"preference-learner state is not valid JSON: {exc}") from exc
        if not isinstance(state, dict):
            raise InputError("preference-learner state must be a JSON object")
        return cls.from_dict(state)


def _accumulate(stats: list[float], value: float, weight: float) -> None:
    """Running weighted count, sum and sum of squares."""
    stats[0] += weight
    stats[1] += weight * value
    stats[2] += weight * value * value


def _summarise(table: Mapping[str, list[float]]) -> dict[str, dict[str, float]]:
    """Mean gain with its count and standard error, so three data points are not over-read."""
    out: dict[str, dict[str, float]] = {}
    for name, (count, total, squares) in table.items():
        if count <= 0:
            continue
        mean = total / count
        variance = max(squares / count - mean * mean, 0.0)
        se = math.sqrt(variance / count) if count > 1 else float("nan")
        out[name] = {"count": count, "mean_gain": mean, "se": se}
    return out


# --- journeys ------------------------------------------------------------------------------


def plan_at_pace(start: MoodPoint, target: MoodPoint, *, steps: int, pace: float) -> JourneyPlan:
    """Waypoints that move on average at most ``pace`` (mood-plane distance) per track.

    The move from ``start`` to ``target`` takes ``ceil(distance / pace)`` tracks, spaced by the
    same smoothstep as :func:`moodtune.recommend.journey.plan_journey` (so single steps reach
    1.5 x the mean in the middle of the move); the remaining tracks stay at the target. When
    ``steps`` tracks are too few to arrive at this pace, the journey moves ``pace`` per track
    on average and ends short of the target: a journey that moves too fast for a listener
    loses them, and the learner only slows down when slower journeys helped this listener.
    """
    from moodtune.mood.space import MoodPoint
    from moodtune.recommend.journey import JourneyPlan, plan_journey

    if not (isinstance(pace, int | float) and math.isfinite(pace) and pace > 0):
        raise InputError(
            "pace must be a positive mood-plane distance per track",
            field="pace",
            value=pace,
            allowed="> 0",
        )
    full = plan_journey(start, target, steps=steps)  # validates start, target and steps
    distance = start.distance(target)
    if distance < 1e-9:
        return full
    moves = math.ceil(distance / pace - 1e-9)
    if moves >= steps - 1:
        reach = min(1.0, (steps - 1) * pace / distance)
        end = MoodPoint(
            float(start.valence + reach * (target.valence - start.valence)),
            float(start.arousal + reach * (target.arousal - start.arousal)),
        )
        waypoints = plan_journey(start, end, steps=steps).waypoints
    else:
        moving = plan_journey(start, target, steps=moves + 1).waypoints
        waypoints = (*moving, *([target] * (steps - 1 - moves)))
    return JourneyPlan(start=start, target=target, waypoints=tuple(waypoints))


def plan_pace(plan: JourneyPlan) -> float | None:
    """The pace a plan moves at: mean waypoint-to-waypoint distance over the tracks that move.

    None when the plan does not move (e.g. the "stay" goal).
    """
    path = plan.path()
    steps = np.sqrt((np.diff(path, axis=0) ** 2).sum(axis=1))
    moving = steps > 1e-9
    if not moving.any():
        return None
    return float(steps[moving].mean())


@dataclass
class AdaptiveJourney:
    """A journey built for one listener, and how the learner shaped it.

    ``personalised``: the learner had evidence and its preference (and, with pace evidence,
    its pace) were used. ``pace``: the plan's pace (:func:`plan_pace`), recorded so the learner
    can learn from the session. ``pace_source``: ``"learned"`` or ``"plan"`` (spread over the
    requested number of tracks). ``shaped``: per track, whether preference changed it (the
    track differs from the same plan built without preference; only when ``compare=True``).
    ``explored``: per shaped track, whether it came from exploration rather than belief (with
    ``explore``, the posterior mean does not score it above the track the unpersonalised
    journey had there).
    ``liked``: per track, words for what the listener liked about it (empty when not shaped
    or explored).
    """

    journey: Journey
    plan: JourneyPlan
    personalised: bool
    pace: float | None
    pace_source: str
    shaped: list[bool]
    liked: list[list[str]]
    explored: list[bool] = field(default_factory=list)
    weights: np.ndarray | None = None


def adaptive_journey(
    index: TrackIndex,
    features: TrackFeatures,
    *,
    start: MoodPoint,
    goal: str,
    steps: int,
    learner: PreferenceLearner | None = None,
    explore: bool = True,
    preference_weight: float = DEFAULT_PREFERENCE_WEIGHT,
    compare: bool = True,
    random_state: np.random.Generator | int | None = None,
) -> AdaptiveJourney:
    """The iso-principle journey toward ``goal`` for one listener (see the module docstring).

    Without a learner, or with one that has seen no feedback and no finished session, this is
    exactly ``build_journey(index, plan_journey(start, goal target, steps=steps), goal=spec)``:
    the unpersonalised journey. Otherwise the learner's score (one Thompson draw when
    ``explore``, else the posterior mean) re-ranks each waypoint's candidates with
    ``preference_weight``, and once it has pace evidence its recommended pace spaces the
    waypoints (:func:`plan_at_pace`). ``features`` must be the learner's feature map over
    ``index.tracks_`` (same rows, same order).
    """
    from moodtune.mood.goals import get_goal
    from moodtune.recommend.journey import (
        build_journey,
        journey_with_and_without_preference,
        plan_journey,
    )

    if len(features.track_ids) != len(index.tracks_):
        raise InputError(
            f"the feature map has {len(features.track_ids)} tracks, the index "
            f"{len(index.tracks_)}: build both from the same catalogue table",
            field="features",
        )
    spec = get_goal(goal)
    end = spec.target_for(start)
    personalised = learner is not None and learner.has_evidence
    if learner is None or not personalised:
        plan = plan_journey(start, end, steps=steps)
        journey = build_journey(index, plan, goal=spec)
        n = journey.n_tracks
        return AdaptiveJourney(
            journey,
            plan,
            False,
            plan_pace(plan),
            "plan",
            [False] * n,
            [[] for _ in range(n)],
            [False] * n,
        )
    learner._check_features(features)
    rng = np.random.default_rng(random_state)
    if learner.has_pace_evidence:
        pace = learner.recommended_pace(explore=explore, random_state=rng)
        plan, pace_source = plan_at_pace(start, end, steps=steps, pace=pace), "learned"
    else:
        plan, pace_source = plan_journey(start, end, steps=steps), "plan"
    weights = learner.sample_weights(random_state=rng) if explore else learner.mean_
    matrix = features.matrix

    def scores(rows: np.ndarray) -> np.ndarray:
        # Only the candidates the search looks at (a few hundred rows, not the catalog).
        return matrix[rows] @ weights

    plain_rows: np.ndarray | None = None
    if compare:
        # The same plan without preference too (features and index share rows).
        journey, plain_rows = journey_with_and_without_preference(
            index, plan, goal=spec, preference=scores, preference_weight=preference_weight
        )
    else:
        journey = build_journey(
            index, plan, goal=spec, preference=scores, preference_weight=preference_weight
        )
    ids = [str(t) for t in journey.values("track_id") or []]
    rows = features.rows(ids)
    shaped = [False] * len(ids)
    explored = [False] * len(ids)
    if plain_rows is not None:
        shaped = [bool(a != b) for a, b in zip(rows, plain_rows, strict=True)]
        believed = learner.score(features.matrix[rows]) - learner.score(features.matrix[plain_rows])
        explored = [explore and s and bool(b <= 0) for s, b in zip(shaped, believed, strict=True)]
    liked = [
        learner.explain(features.matrix[row]) if s and not e else []
        for row, s, e in zip(rows, shaped, explored, strict=True)
    ]
    return AdaptiveJourney(
        journey, plan, True, plan_pace(plan), pace_source, shaped, liked, explored, weights
    )
