"""Typed results of the application layer: what the CLI prints and the web shows.

Plain frozen dataclasses; the web API serves them as its response schemas (FastAPI turns a
dataclass into a Pydantic model), so one definition serves the CLI, the pages and the API.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from typing import Any

from moodtune.audio.library import LOCAL_ID_PREFIX
from moodtune.mood.space import FEELINGS, MoodPoint, nearest_feeling, quadrant
from moodtune.safety import NOT_A_MEDICAL_DEVICE, RiskAssessment
from moodtune.survey.schema import Profile

__all__ = [
    "TRACK_VIEW_COLUMNS",
    "ChangeView",
    "CheckInView",
    "EffectView",
    "FeedbackView",
    "GenreView",
    "GroupView",
    "HistoryView",
    "JourneyTrackView",
    "LearningView",
    "ListenerView",
    "MapView",
    "MeView",
    "MoodView",
    "PersonaView",
    "PreparedJourney",
    "ResourceView",
    "SessionSummary",
    "SessionView",
    "SimilarTrackView",
    "SimilarTracksView",
    "StreaksView",
    "SupportView",
    "TrackView",
    "learning_view",
    "mood_view",
    "support_view",
]

_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")


@dataclass(frozen=True)
class MoodView:
    """A point of the mood plane, with its quadrant and the nearest feeling word."""

    valence: float
    arousal: float
    quadrant: str
    mood: str  #: the colour group of the nearest word: happy, tense, sad, calm or neutral
    near: str  #: the nearest named feeling
    words: tuple[str, ...] = ()
    description: str = ""


def mood_view(valence: float, arousal: float, words: tuple[str, ...] = ()) -> MoodView:
    """Describe ``(valence, arousal)`` in words, as the pad's live region does."""
    return _mood_view(float(valence), float(arousal), tuple(words))


@functools.lru_cache(maxsize=16_384)
def _mood_view(valence: float, arousal: float, words: tuple[str, ...]) -> MoodView:
    """Memoised: a history page describes the same stored points on every visit (the view is
    frozen, so sharing one is safe)."""
    point = MoodPoint(valence, arousal)
    near = nearest_feeling(point)
    where = quadrant(point.valence, point.arousal)
    pleasant = "pleasant" if point.valence >= 0 else "unpleasant"
    energy = "energetic" if point.arousal >= 0 else "calm"
    text = f"{pleasant} {abs(point.valence):.2f}, {energy} {abs(point.arousal):.2f} — near {near}"
    if len(words) > 1:
        text = (
            f"{' and '.join(words)} together: {pleasant} {abs(point.valence):.2f}, "
            f"{energy} {abs(point.arousal):.2f} ({where}); the single word closest to that "
            f"mix is {near}"
        )
    # The chip's colour follows the word it shows (a point near a quadrant's edge can be
    # nearest a word of the next quadrant); "neutral" has its own grey.
    word_point = FEELINGS[near]
    colour = (
        "neutral"
        if near == "neutral"
        else quadrant(word_point.valence, word_point.arousal).split("/")[0]
    )
    return MoodView(
        valence=round(point.valence, 4),
        arousal=round(point.arousal, 4),
        quadrant=where,
        mood=colour,
        near=near,
        words=tuple(words),
        description=text,
    )


@dataclass(frozen=True)
class ResourceView:
    name: str
    contact: str
    note: str = ""


@dataclass(frozen=True)
class SupportView:
    """The risk screen's answer: when ``at_risk``, show this before any music."""

    at_risk: bool
    message: str
    emergency: str | None
    resources: tuple[ResourceView, ...]
    reasons: tuple[str, ...]
    country: str
    disclaimer: str = NOT_A_MEDICAL_DEVICE

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the same keys as ``RiskAssessment.to_dict``)."""
        out = asdict(self)
        out["reasons"] = list(self.reasons)
        out["resources"] = [asdict(r) for r in self.resources]
        return out


def support_view(risk: RiskAssessment) -> SupportView:
    res = risk.resources
    return SupportView(
        at_risk=risk.at_risk,
        message=risk.message,
        emergency=res.emergency if res else None,
        resources=tuple(
            ResourceView(r.name, r.contact, r.note) for r in (res.lines if res else ())
        ),
        reasons=tuple(risk.reasons),
        country=risk.country,
    )


@dataclass(frozen=True)
class TrackView:
    """One catalog track as a listener sees it."""

    track_id: str
    name: str
    artists: str
    album: str | None
    genres: tuple[str, ...]
    mood: MoodView
    tempo_bpm: float | None
    energy: float | None
    duration_s: float | None
    popularity: float | None
    release_year: int | None
    spotify_url: str | None
    spotify_embed_url: str | None
    #: For a track from the listener's own files: where the browser plays it (owner only).
    local_audio_url: str | None = None


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


TRACK_VIEW_COLUMNS: tuple[str, ...] = (
    "track_id",
    "name",
    "artists",
    "album",
    "genres",
    "mood_valence",
    "mood_arousal",
    "tempo",
    "energy",
    "duration_ms",
    "popularity",
    "release_year",
)
"""The catalog columns :func:`track_view` reads (a caller may pass a row with only these)."""


def track_view(row: Mapping[Any, Any]) -> TrackView:
    """A ``TrackView`` from one catalog row (a dict of the catalog's columns; only
    :data:`TRACK_VIEW_COLUMNS` are read)."""
    track_id = str(row["track_id"])
    spotify = bool(_SPOTIFY_ID.fullmatch(track_id))
    genres = row.get("genres")
    duration = _num(row.get("duration_ms"))
    year = _num(row.get("release_year"))
    return TrackView(
        track_id=track_id,
        name=str(row.get("name") or track_id),
        artists=str(row.get("artists") or ""),
        album=None if row.get("album") is None else str(row.get("album")),
        genres=tuple(str(g) for g in genres) if genres is not None else (),
        mood=mood_view(float(row["mood_valence"]), float(row["mood_arousal"])),
        tempo_bpm=_num(row.get("tempo")),
        energy=_num(row.get("energy")),
        duration_s=None if duration is None else round(duration / 1000, 1),
        popularity=_num(row.get("popularity")),
        release_year=None if year is None else int(year),
        spotify_url=f"https://open.spotify.com/track/{track_id}" if spotify else None,
        spotify_embed_url=f"https://open.spotify.com/embed/track/{track_id}" if spotify else None,
        local_audio_url=(
            f"/api/v1/local-tracks/{track_id}/audio"
            if track_id.startswith(LOCAL_ID_PREFIX)
            else None
        ),
    )


@dataclass(frozen=True)
class SimilarTrackView:
    """A track that sounds and feels like the seed, and why (what they share)."""

    track: TrackView
    reason: str


@dataclass(frozen=True)
class SimilarTracksView:
    """The seed track and the tracks most like it, nearest first."""

    seed: TrackView
    similar: tuple[SimilarTrackView, ...]


@dataclass(frozen=True)
class FeedbackView:
    thumbs: int | None
    helped: bool | None
    played: bool | None
    skipped_after_s: float | None


@dataclass(frozen=True)
class JourneyTrackView:
    """One track of a journey: its number as shown (1-based), the track, the plan and why."""

    number: int
    track: TrackView | None  #: None when the track is no longer in the active catalog
    track_id: str
    title: str
    planned: MoodView | None
    reason: str
    feedback: FeedbackView | None = None


@dataclass(frozen=True)
class ChangeView:
    """How the mood moved over a session: before → after, and toward the target."""

    delta_valence: float
    delta_arousal: float
    progress: float  #: reduction in distance to the target (positive = closer)
    summary: str


@dataclass(frozen=True)
class LearningView:
    """What the learner knew when it built a journey, as stored with the session: whether the
    listener allows learning, and, for a personalised journey, the evidence and what it chose."""

    consent: bool | None = None  #: None: stored before consent was recorded with journeys
    personalised: bool = False
    n_feedback: int = 0  #: answers the learner had
    n_sessions: int = 0  #: finished sessions it had
    tracks_shaped: int = 0  #: tracks chosen for this listener rather than by the mood path alone
    tracks_explored: int = 0  #: of those, chosen to learn more (exploration)
    preferred_genres: tuple[str, ...] = ()
    explore: bool | None = None
    preference_weight: float | None = None
    skipped_feedback: int = 0  #: answers left out (unknown or inconsistent tracks)
    state_version: int | None = None


def learning_view(stored: Mapping[str, Any] | None) -> LearningView:
    """The stored ``details["learning"]`` of a session as a :class:`LearningView` (keys a later
    version added are ignored, so an older moodtune can still read the session)."""
    if not stored:
        return LearningView()
    known = {f.name for f in fields(LearningView)}
    values = {k: v for k, v in stored.items() if k in known}
    if "preferred_genres" in values:
        values["preferred_genres"] = tuple(str(g) for g in values["preferred_genres"] or ())
    return LearningView(**values)


@dataclass(frozen=True)
class SessionView:
    """A listening session (a journey), as shown on the journey page."""

    id: str
    goal: str
    goal_label: str
    started_at: datetime
    finished_at: datetime | None
    before: MoodView | None
    after: MoodView | None
    target: MoodView | None
    tracks: tuple[JourneyTrackView, ...]
    change: ChangeView | None
    notes: tuple[str, ...]
    personalised: bool
    model_version: str
    pace: float | None = None  #: mood-plane distance per track the journey moves at
    learning: LearningView = field(default_factory=LearningView)  #: what the learner knew
    support: SupportView | None = None  #: the risk screen, when this answer ran one


@dataclass(frozen=True)
class SessionSummary:
    id: str
    goal: str
    goal_label: str
    started_at: datetime
    finished: bool
    tracks: int
    before: MoodView | None
    after: MoodView | None
    progress: float | None


@dataclass(frozen=True)
class PreparedJourney:
    """A journey that is shown but not recorded (a preview, or a song path)."""

    start: MoodView
    target: MoodView
    tracks: tuple[JourneyTrackView, ...]
    notes: tuple[str, ...]
    total_minutes: float
    max_tempo_jump: float
    max_energy_jump: float
    tempo_bound: float
    energy_bound: float


@dataclass(frozen=True)
class CheckInView:
    id: int
    kind: str
    created_at: datetime
    mood: MoodView | None
    note_kept: bool
    support: SupportView


@dataclass(frozen=True)
class ListenerView:
    """The listener as stored: name, whether they answered the survey, consent."""

    id: str
    display_name: str | None
    has_profile: bool
    profile: Profile | None  #: the survey answers (validated), None before the survey
    consent_notes: bool
    consent_learning: bool
    country: str | None
    created_at: datetime
    #: the risk screen of the survey scores: crisis resources first when it fires
    support: SupportView | None = None


@dataclass(frozen=True)
class PersonaView:
    persona: str
    probabilities: dict[str, float]
    x: float
    y: float
    cold_start: bool
    imputed_fields: tuple[str, ...]
    n_respondents: int
    structure_note: str


@dataclass(frozen=True)
class GenreView:
    genre: str
    score: float
    reason: str
    cold_start: bool


@dataclass(frozen=True)
class EffectView:
    probabilities: dict[str, float]
    most_likely: str
    evidence_is_weak: bool
    message: str
    model_macro_f1: float
    baseline_macro_f1: float
    n_train: int


@dataclass(frozen=True)
class MeView:
    """Everything the Me page shows: persona, genres, the effect estimate, consent, support."""

    listener: ListenerView
    persona: PersonaView | None
    genres: tuple[GenreView, ...]
    effect: EffectView | None
    support: SupportView
    survey_missing: bool


@dataclass(frozen=True)
class GroupView:
    kind: str
    name: str
    n: int
    mean_progress: float | None
    helped: int
    rated: int
    too_few: bool


@dataclass(frozen=True)
class StreaksView:
    """Runs of consecutive days with a check-in, and which recent days had one."""

    current: int
    longest: int
    days_with_checkins: int
    #: the day the streaks were counted on (the listener's "today")
    as_of: date | None = None
    #: days with a check-in in the last nine weeks up to ``as_of``, oldest first
    recent_days: tuple[date, ...] = ()


@dataclass(frozen=True)
class HistoryView:
    """The history page: the latest check-ins and one page of sessions, aggregates over all.

    ``checkins`` are the latest ``checkins_shown`` of ``checkins_total`` (oldest first);
    ``sessions`` the page ``sessions_offset`` .. ``+ sessions_limit`` counted from the newest
    (oldest first within the page) of ``sessions_total``. Groups and streaks use everything.
    """

    checkins: tuple[CheckInView, ...]
    sessions: tuple[SessionSummary, ...]
    by_goal: tuple[GroupView, ...]
    by_genre: tuple[GroupView, ...]
    by_mood: tuple[GroupView, ...]
    streaks: StreaksView
    min_sessions: int
    too_early: bool
    checkins_total: int = 0
    sessions_total: int = 0
    sessions_offset: int = 0
    sessions_limit: int = 0
    time_zone: str | None = None  #: the IANA zone whose days the streaks count (None: server's)

    @property
    def older_sessions(self) -> bool:
        """Whether sessions older than this page exist."""
        return self.sessions_offset + len(self.sessions) < self.sessions_total


@dataclass(frozen=True)
class MapView:
    """The catalog's mood map: track density on a grid over the plane (not a scatter)."""

    valence_edges: tuple[float, ...]
    arousal_edges: tuple[float, ...]
    counts: tuple[tuple[int, ...], ...]  #: counts[i][j]: arousal bin i, valence bin j
    n_tracks: int
    catalog: str
    notes: tuple[str, ...] = field(default_factory=tuple)
