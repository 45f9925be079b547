"""Personalised sessions: a listener's stored feedback shapes their next journey.

``start_personal_session`` is what ``moodtune session start`` does: it loads the listener's
learning data (``learning_data``, empty when they turned learning off), fits a
``PreferenceLearner`` to it, builds the journey with ``recommend.feedback.adaptive_journey``
(preference re-ranks each waypoint's candidates; a learned pace spaces the waypoints) and
records the session with the model version, the pace and what the learner knew.

The learner is a pure function of the stored history: it is fitted from it, and
``LearnerCache`` keeps that fit up to date by applying only the rows that changed since (the
closed-form updates add up to exactly a whole-history fit). Nothing about the listener is stored
beyond their history, so there is no second copy to keep in step, to export or to delete.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Engine

from moodtune.errors import InputError
from moodtune.recommend.feedback import (
    DEFAULT_PREFERENCE_WEIGHT,
    LEARNER_MODEL,
    STATE_VERSION,
    AdaptiveJourney,
    FeedbackConfig,
    ListenerPreferences,
    PreferenceLearner,
    TrackFeatures,
    adaptive_journey,
    feedback_from_records,
    sessions_from_records,
)
from moodtune.recommend.listening import listening_feedback
from moodtune.sessions.listening import listening_data
from moodtune.sessions.service import (
    MoodReport,
    OfferedTrack,
    StartedSession,
    get_listener,
    learning_data,
    learning_snapshot,
    resolve_mood,
    start_session,
)

if TYPE_CHECKING:
    from moodtune.config import Settings
    from moodtune.recommend.tracks import TrackIndex

__all__ = [
    "JOURNEY_MODEL",
    "JourneyCatalog",
    "LearnedListener",
    "LearnerCache",
    "PersonalJourney",
    "learn_listener",
    "load_journey_catalog",
    "personal_journey",
    "start_personal_session",
]

JOURNEY_MODEL = "iso-journey (beam search over TrackIndex)"


@dataclass
class JourneyCatalog:
    """What a journey needs: the track index and the learner's feature map over the same rows."""

    index: TrackIndex
    features: TrackFeatures
    name: str = "default"

    @classmethod
    def from_index(cls, index: TrackIndex, *, name: str = "default") -> JourneyCatalog:
        """The feature map is built over ``index.tracks_`` (about 0.1 s for 28k tracks)."""
        return cls(index=index, features=TrackFeatures.from_tracks(index.tracks_), name=name)


def load_journey_catalog(settings: Settings | None = None) -> JourneyCatalog:
    """The active catalog with its persisted track index (built on first use)."""
    from moodtune.catalog import load_catalog
    from moodtune.recommend.tracks import TrackIndex

    catalog = load_catalog(settings)
    index = TrackIndex.load_or_build(catalog.tracks, settings=settings)
    return JourneyCatalog.from_index(index, name=catalog.name)


@dataclass(frozen=True)
class LearnedListener:
    """What the learner knows about one listener.

    ``learner`` is None when the listener turned learning off. ``skipped_feedback`` and
    ``skipped_tracks`` count stored answers and offered tracks about tracks that are not in
    this catalog (e.g. sessions recorded from a file); they cannot inform track preferences.
    """

    listener_id: str
    consent_learning: bool
    learner: PreferenceLearner | None
    skipped_feedback: int = 0
    skipped_tracks: int = 0
    listening_tracks: int = 0  #: tracks of imported listening that informed the learner

    @property
    def personalised(self) -> bool:
        """Whether the next journey will be shaped by the listener's feedback."""
        return self.learner is not None and self.learner.has_evidence

    def preferences(self) -> ListenerPreferences | None:
        return None if self.learner is None else self.learner.preferences()

    def summary(self) -> dict[str, Any]:
        """JSON-ready: consent, counts, preferred genres (weight ± sd), pace, effectiveness."""
        out: dict[str, Any] = {
            "consent_learning": self.consent_learning,
            "personalised": self.personalised,
            "state_version": STATE_VERSION,
            "skipped_feedback": self.skipped_feedback,
            "skipped_tracks": self.skipped_tracks,
            "listening_tracks": self.listening_tracks,
        }
        prefs = self.preferences()
        if prefs is None or self.learner is None:
            return out
        out.update(
            n_feedback=prefs.n_feedback,
            n_sessions=prefs.n_sessions,
            preferred_genres=prefs.preferred_genres,
            genres={
                g: {"weight": round(w, 3), "sd": round(prefs.genre_sd[g], 3)}
                for g, w in sorted(prefs.genres.items(), key=lambda kv: -kv[1])
            },
            recommended_pace=prefs.recommended_pace,
            pace_learned=self.learner.has_pace_evidence,
            pace_evidence=round(prefs.pace_evidence, 3),
            goal_effectiveness=prefs.goal_effectiveness,
            genre_effectiveness=prefs.genre_effectiveness,
        )
        return out


@dataclass(frozen=True)
class _Fit:
    """A fitted listener and what it rests on, so a later change can be applied on top."""

    version: tuple[Any, ...]
    learned: LearnedListener
    feedback_seen: dict[Any, Any]  #: feedback id -> the ``updated_at`` already applied
    sessions_seen: frozenset[str]
    feedback_mark: datetime | None  #: latest ``updated_at`` applied
    finished_mark: datetime | None  #: latest ``finished_at`` applied


class LearnerCache:
    """Learners fitted to listeners' histories, kept up to date by applying only what changed.

    The cache asks the database one small question first (``repository.learning_version``:
    consent, count and latest change of feedback and of finished sessions). When the answer
    moved it reads only the answers given and the sessions finished since the last fit and
    applies them to a copy of the learner: a journey's cost no longer grows with the
    listener's history. It refits from the whole history when that cannot give the same
    learner: consent changed, an earlier answer was changed, a session finished out of order,
    or the counts do not add up (a row written with an older timestamp).
    """

    def __init__(self, max_listeners: int = 256) -> None:
        self.max_listeners = max_listeners
        self._entries: dict[tuple[str, int, int], _Fit] = {}
        self._lock = threading.Lock()
        self.refits = 0  #: fits from the whole history (for tests and benchmarks)
        self.updates = 0  #: incremental updates

    def forget(self, listener_id: str) -> None:
        """Drop the listener's learners (their data was deleted)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == listener_id]:
                del self._entries[key]

    def learned(
        self,
        engine: Engine,
        listener_id: str,
        features: TrackFeatures,
        *,
        config: FeedbackConfig | None = None,
    ) -> LearnedListener:
        """The listener's learner, from the cache or brought up to date."""
        learned = self._learned(engine, listener_id, features, config=config, known_only=False)
        assert learned is not None  # an unknown listener raises in the fit
        return learned

    def learned_if_known(
        self,
        engine: Engine,
        listener_id: str,
        features: TrackFeatures,
        *,
        config: FeedbackConfig | None = None,
    ) -> LearnedListener | None:
        """As :meth:`learned`, or None when no listener has the id ``listener_id``."""
        return self._learned(engine, listener_id, features, config=config, known_only=True)

    def _learned(
        self,
        engine: Engine,
        listener_id: str,
        features: TrackFeatures,
        *,
        config: FeedbackConfig | None,
        known_only: bool,
    ) -> LearnedListener | None:
        from moodtune.store import repository as repo
        from moodtune.store.engine import read_transaction

        with read_transaction(engine) as conn:
            version = repo.learning_version(conn, listener_id)
        if version is None and known_only:
            return None
        key = (listener_id, id(features), id(config))
        with self._lock:
            hit = self._entries.get(key)
        if version is not None and hit is not None and hit.version == version:
            return hit.learned
        fit = None
        if version is not None and hit is not None:
            fit = _update_fit(engine, hit, version, features)
        if fit is None:
            fit = _fit_listener(engine, listener_id, features, config=config, version=version)
            self.refits += 1
        else:
            self.updates += 1
        if version is not None:
            with self._lock:
                if key not in self._entries and len(self._entries) >= self.max_listeners:
                    self._entries.pop(next(iter(self._entries)))
                self._entries[key] = fit
        return fit.learned


def learn_listener(
    engine: Engine,
    listener: str,
    features: TrackFeatures,
    *,
    config: FeedbackConfig | None = None,
    cache: LearnerCache | None = None,
) -> LearnedListener:
    """Fit a ``PreferenceLearner`` to the listener's stored feedback and finished sessions.

    Honours consent: a listener with learning off gets ``learner=None``. Rows about tracks not
    in ``features`` are left out and counted. An unknown listener raises ``InputError``. With a
    ``cache`` the fit is reused while the listener's history is unchanged, and brought up to
    date from the rows that changed when it is not.
    """
    if cache is not None:
        learned = cache.learned_if_known(engine, listener, features, config=config)
        if learned is not None:  # ``listener`` was an id: no second read to resolve it
            return learned
        person = get_listener(engine, listener)  # a name, or unknown (raises)
        return cache.learned(engine, person.id, features, config=config)
    return _fit_listener(engine, listener, features, config=config).learned


def _usable(
    feedback_rows: list[dict[str, Any]],
    session_rows: list[dict[str, Any]],
    known: Collection[str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """The rows about tracks in this catalog, and how many offered tracks were left out."""
    usable_feedback = [r for r in feedback_rows if str(r["track_id"]) in known]
    skipped_tracks = 0
    outcomes_rows = []
    for row in session_rows:
        ids = [str(t) for t in row.get("track_ids") or []]
        kept = [t for t in ids if t in known]
        skipped_tracks += len(ids) - len(kept)
        outcomes_rows.append({**row, "track_ids": kept})
    return usable_feedback, outcomes_rows, skipped_tracks


def _fit_listener(
    engine: Engine,
    listener: str,
    features: TrackFeatures,
    *,
    config: FeedbackConfig | None = None,
    version: tuple[Any, ...] | None = None,
) -> _Fit:
    person = get_listener(engine, listener)
    version = version or ()
    if not person.consent_learning:
        return _Fit(version, LearnedListener(person.id, False, None), {}, frozenset(), None, None)
    feedback_rows, session_rows = learning_data(engine, person.id)
    known = features.known_ids
    usable_feedback, outcomes_rows, skipped_tracks = _usable(feedback_rows, session_rows, known)
    feedback = feedback_from_records(usable_feedback, source=f"listener {person.id} feedback")
    sessions = sessions_from_records(outcomes_rows, source=f"listener {person.id} sessions")
    # Imported plays and skips (history exports, playlists, Spotify): one signal per track.
    listened = [
        f for f in listening_feedback(listening_data(engine, person.id)) if f.track_id in known
    ]
    learner = PreferenceLearner.from_history(
        features, feedback=[*feedback, *listened], sessions=sessions, config=config
    )
    learned = LearnedListener(
        person.id,
        True,
        learner,
        skipped_feedback=len(feedback_rows) - len(usable_feedback),
        skipped_tracks=skipped_tracks,
        listening_tracks=len(listened),
    )
    return _Fit(
        version,
        learned,
        {r["id"]: r["updated_at"] for r in feedback_rows},
        frozenset(str(r["session_id"]) for r in session_rows),
        max((r["updated_at"] for r in feedback_rows), default=None),
        max((r["finished_at"] for r in session_rows), default=None),
    )


def _update_fit(
    engine: Engine, fit: _Fit, version: tuple[Any, ...], features: TrackFeatures
) -> _Fit | None:
    """``fit`` with the answers and sessions that changed since; None when only a refit can
    give the learner a whole-history fit would (see ``LearnerCache``)."""
    learner = fit.learned.learner
    if learner is None or not version[0] or not fit.version or not fit.version[0]:
        return None
    # the counts below are checked against the version read with the rows (one snapshot):
    # ``version`` was read before, and another worker may have written since
    read, feedback_rows, session_rows = learning_snapshot(
        engine,
        fit.learned.listener_id,
        feedback_since=fit.feedback_mark,
        finished_since=fit.finished_mark,
    )
    if read is None:
        return None
    version = read
    consent, n_feedback, _, n_finished, _, *listened = version
    if not consent:
        return None
    if listened != list(fit.version[5:]):
        return None  # an import: its plays count once per track, over the whole history
    new_feedback = []
    for row in feedback_rows:
        applied = fit.feedback_seen.get(row["id"])
        if applied is None:
            new_feedback.append(row)
        elif applied != row["updated_at"]:
            return None  # an earlier answer changed: its old evidence cannot be taken back
    new_sessions = [r for r in session_rows if str(r["session_id"]) not in fit.sessions_seen]
    if (
        len(fit.feedback_seen) + len(new_feedback) != n_feedback
        or len(fit.sessions_seen) + len(new_sessions) != n_finished
    ):
        return None  # a row came in behind the marks
    usable_feedback, outcomes_rows, skipped_tracks = _usable(
        new_feedback, new_sessions, features.known_ids
    )
    source = f"listener {fit.learned.listener_id}"
    updated = learner.copy()
    updated.observe(feedback_from_records(usable_feedback, source=f"{source} feedback"), features)
    for outcome in sessions_from_records(outcomes_rows, source=f"{source} sessions"):
        updated.observe_session(outcome, features)
    learned = LearnedListener(
        fit.learned.listener_id,
        True,
        updated,
        skipped_feedback=fit.learned.skipped_feedback + len(new_feedback) - len(usable_feedback),
        skipped_tracks=fit.learned.skipped_tracks + skipped_tracks,
        listening_tracks=fit.learned.listening_tracks,
    )
    seen = dict(fit.feedback_seen)
    seen.update((r["id"], r["updated_at"]) for r in new_feedback)
    marks_fb = [r["updated_at"] for r in new_feedback]
    marks_s = [r["finished_at"] for r in new_sessions]
    return _Fit(
        version,
        learned,
        seen,
        fit.sessions_seen | {str(r["session_id"]) for r in new_sessions},
        max([*marks_fb, *([fit.feedback_mark] if fit.feedback_mark else [])], default=None),
        max([*marks_s, *([fit.finished_mark] if fit.finished_mark else [])], default=None),
    )


@dataclass
class PersonalJourney:
    """A journey for one listener, ready to record: tracks with reasons, version, details."""

    adaptive: AdaptiveJourney
    learned: LearnedListener
    tracks: list[OfferedTrack]
    model_version: str
    target: tuple[float, float]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def personalised(self) -> bool:
        return self.adaptive.personalised

    @property
    def pace(self) -> float | None:
        return self.adaptive.pace


def _reason(
    base: str,
    *,
    liked: list[str],
    shaped: bool,
    explored: bool,
    short: bool,
    last: bool,
    evidence: str = "your feedback",
) -> str:
    if last and short:
        base = base.replace(
            "arrives at the target", "ends short of the target, at the pace that suits you"
        )
    if not shaped:
        return base
    if explored:
        return f"{base}; something different, to learn more about your taste"
    if liked:
        return f"{base}; matches what you liked: {', '.join(liked)}"
    return f"{base}; chosen over a closer track {evidence} suggests you would enjoy less"


def personal_journey(
    engine: Engine,
    listener: str,
    *,
    start: tuple[float, float],
    goal: str,
    steps: int,
    catalog: JourneyCatalog,
    explore: bool = True,
    preference_weight: float = DEFAULT_PREFERENCE_WEIGHT,
    random_state: np.random.Generator | int | None = None,
    cache: LearnerCache | None = None,
) -> PersonalJourney:
    """Build (not record) the listener's next journey; see the module docstring.

    ``explore=True`` ranks with one Thompson draw of the learner's weights and pace (the
    default: it keeps trying tracks and paces it is unsure about); ``False`` uses the
    posterior mean (reproducible).
    """
    from moodtune import __version__
    from moodtune.mood.space import MoodPoint

    learned = learn_listener(engine, listener, catalog.features, cache=cache)
    here = MoodPoint(*start)
    adaptive = adaptive_journey(
        catalog.index,
        catalog.features,
        start=here,
        goal=goal,
        steps=steps,
        learner=learned.learner,
        explore=explore,
        preference_weight=preference_weight,
        random_state=random_state,
    )
    journey = adaptive.journey
    plan = adaptive.plan
    short = plan.waypoints[-1].distance(plan.target) > 1e-6
    # Only the columns an offered track keeps (a DataFrame's to_dict over every column cost
    # more than the search).
    wanted: tuple[str, ...] = ("track_id", "reason", "name", "artists", "genres", "quadrant")
    wanted += ("waypoint_valence", "waypoint_arousal")
    n = journey.n_tracks
    columns = {c: journey.values(c) or [None] * n for c in wanted}
    rows = zip(*columns.values(), strict=True)
    records = [dict(zip(wanted, values, strict=True)) for values in rows]
    known = learned.preferences()
    # Name what the preference rests on: answers about tracks, or only finished sessions.
    evidence = (
        "your feedback" if known is not None and known.n_feedback else "how your past sessions went"
    )
    tracks = []
    for i, row in enumerate(records):
        genres = row.get("genres")
        tracks.append(
            OfferedTrack(
                track_id=str(row["track_id"]),
                reason=_reason(
                    str(row.get("reason") or "on the path to your goal"),
                    liked=adaptive.liked[i],
                    shaped=adaptive.shaped[i],
                    explored=adaptive.explored[i],
                    short=short,
                    last=i == len(records) - 1,
                    evidence=evidence,
                ),
                name=None if row.get("name") is None else str(row["name"]),
                artists=None if row.get("artists") is None else str(row["artists"]),
                genre=str(genres[0]) if genres is not None and len(genres) else None,
                mood=None if row.get("quadrant") is None else str(row["quadrant"]),
                planned_valence=float(row["waypoint_valence"]),
                planned_arousal=float(row["waypoint_arousal"]),
            )
        )
    version = f"moodtune {__version__} {JOURNEY_MODEL}"
    learning: dict[str, Any] = {
        "consent": learned.consent_learning,
        "personalised": adaptive.personalised,
    }
    if adaptive.personalised and known is not None:
        version += f" + {LEARNER_MODEL}"
        prefs = known  # the learner is the one that built the journey: read once
        learning.update(
            state_version=STATE_VERSION,
            n_feedback=prefs.n_feedback,
            n_sessions=prefs.n_sessions,
            explore=explore,
            preference_weight=preference_weight,
            preferred_genres=prefs.preferred_genres,
            tracks_shaped=int(sum(adaptive.shaped)),
            tracks_explored=int(sum(adaptive.explored)),
            skipped_feedback=learned.skipped_feedback,
        )
    details: dict[str, Any] = {
        "journey_metrics": asdict(journey.metrics),
        "notes": list(journey.notes),
        "pace": adaptive.pace,
        "pace_source": adaptive.pace_source,
        "steps": plan.steps,
        "catalog": catalog.name,
        "learning": learning,
    }
    if short:
        details["notes"].append(
            f"at your pace ({adaptive.pace:.2f} per track) {plan.steps} tracks end short of "
            "the target; ask for more tracks to arrive"
        )
    target = (plan.target.valence, plan.target.arousal)
    return PersonalJourney(adaptive, learned, tracks, version, target, details)


def start_personal_session(
    engine: Engine,
    listener: str,
    *,
    goal: str,
    before: MoodReport,
    steps: int,
    catalog: JourneyCatalog,
    explore: bool = True,
    preference_weight: float = DEFAULT_PREFERENCE_WEIGHT,
    random_state: np.random.Generator | int | None = None,
    at: datetime | None = None,
    settings: Settings | None = None,
    cache: LearnerCache | None = None,
) -> tuple[StartedSession, PersonalJourney]:
    """Build the listener's journey from their check-in and record the session (one transaction).

    Bad input (unknown listener or goal, mood out of range) raises ``InputError`` before
    anything is built or stored.
    """
    from moodtune.mood.goals import get_goal

    goal = get_goal(goal).goal.value
    valence, arousal, _ = resolve_mood(before)
    if valence is None or arousal is None:
        raise InputError("the before check-in needs a mood point", field="before")
    built = personal_journey(
        engine,
        listener,
        start=(valence, arousal),
        goal=goal,
        steps=steps,
        catalog=catalog,
        explore=explore,
        preference_weight=preference_weight,
        random_state=random_state,
        cache=cache,
    )
    started = start_session(
        engine,
        built.learned.listener_id,
        goal=goal,
        before=before,
        tracks=built.tracks,
        model_version=built.model_version,
        target=built.target,
        details=built.details,
        at=at,
        settings=settings,
    )
    return started, built
