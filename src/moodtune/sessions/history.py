"""How a listener has been: check-ins over time, change per session, what helped, streaks.

Every "what helped" figure carries its count ``n`` and a plain ``too_few`` flag when fewer than
``min_sessions`` sessions stand behind it: with three sessions a mean change is an anecdote,
not a pattern, and the CLI says so.
"""

from __future__ import annotations

import itertools
import statistics
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, tzinfo
from types import MappingProxyType
from typing import Any

from sqlalchemy import Engine

from moodtune.sessions.service import mood_progress, resolve_listener
from moodtune.store import repository as repo
from moodtune.store.engine import read_transaction
from moodtune.store.records import (
    CheckInRecord,
    HelpedAnswer,
    SessionRecord,
    SessionTrack,
    as_json_dict,
)

__all__ = [
    "MIN_SESSIONS",
    "GroupEffect",
    "History",
    "SessionChange",
    "Streaks",
    "listener_history",
    "session_changes",
    "streaks",
    "summarise_groups",
]

MIN_SESSIONS = 5
"""Below this many finished sessions a group's mean change is flagged ``too_few``."""


@dataclass(frozen=True)
class SessionChange:
    """One session's before/after check-ins and how far it moved the listener toward its target."""

    session_id: str
    goal: str
    started_at: datetime
    finished: bool
    before: tuple[float, float] | None
    after: tuple[float, float] | None
    target: tuple[float, float] | None
    delta_valence: float | None
    delta_arousal: float | None
    progress: float | None
    tracks_offered: int
    tracks_helped: int
    tracks_rated_helped: int
    genres: tuple[str, ...]
    moods: tuple[str, ...]


@dataclass(frozen=True)
class GroupEffect:
    """The mean effect of the sessions in one group (a goal, a genre or a music mood).

    ``n`` counts finished sessions with both check-ins; ``mean_progress`` is the mean reduction
    in distance to the target; ``helped``/``rated`` count tracks of this group marked "this
    helped" out of those answered. ``too_few`` is True when ``n < min_sessions``.
    """

    kind: str
    name: str
    n: int
    mean_progress: float | None
    mean_delta_valence: float | None
    mean_delta_arousal: float | None
    helped: int
    rated: int
    too_few: bool


@dataclass(frozen=True)
class Streaks:
    """Consecutive calendar days with at least one check-in (in the listener's time zone)."""

    current: int
    longest: int
    last_day: date | None
    days_with_checkins: int


@dataclass(frozen=True)
class History:
    """Everything ``moodtune history`` shows."""

    listener_id: str
    checkins: tuple[CheckInRecord, ...]
    checkins_total: int
    sessions: tuple[SessionChange, ...]
    by_goal: tuple[GroupEffect, ...]
    by_genre: tuple[GroupEffect, ...]
    by_mood: tuple[GroupEffect, ...]
    streaks: Streaks
    min_sessions: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "listener_id": self.listener_id,
            "min_sessions": self.min_sessions,
            "checkins_total": self.checkins_total,
            "checkins": [as_json_dict(c) for c in self.checkins],
            "sessions": [
                {**asdict(s), "started_at": s.started_at.isoformat()} for s in self.sessions
            ],
            "by_goal": [asdict(g) for g in self.by_goal],
            "by_genre": [asdict(g) for g in self.by_genre],
            "by_mood": [asdict(g) for g in self.by_mood],
            "streaks": {
                **asdict(self.streaks),
                "last_day": None
                if self.streaks.last_day is None
                else self.streaks.last_day.isoformat(),
            },
        }


def session_changes(
    sessions: list[SessionRecord],
    points: Mapping[tuple[str, str], tuple[float | None, float | None]],
    answers: Sequence[HelpedAnswer],
) -> list[SessionChange]:
    """Each session's before/after points, change and per-track "helped" counts.

    ``points`` holds the sessions' check-ins by ``(session id, "before" | "after")``
    (``repository.session_points``); ``answers`` the "this helped" answers.
    """
    helped: dict[str, list[bool]] = defaultdict(list)
    for f in answers:
        helped[f.session_id].append(f.helped)
    out = []
    for s in sessions:
        before = _point(points.get((s.id, "before")))
        after = _point(points.get((s.id, "after")))
        target = (
            None
            if s.target_valence is None or s.target_arousal is None
            else (s.target_valence, s.target_arousal)
        )
        delta_v = delta_a = progress = None
        if before is not None and after is not None:
            delta_v = round(after[0] - before[0], 4)
            delta_a = round(after[1] - before[1], 4)
            progress = mood_progress(before, after, target)
        out.append(
            SessionChange(
                session_id=s.id,
                goal=s.goal,
                started_at=s.started_at,
                finished=s.finished_at is not None,
                before=before,
                after=after,
                target=target,
                delta_valence=delta_v,
                delta_arousal=delta_a,
                progress=progress,
                tracks_offered=len(s.tracks),
                tracks_helped=sum(helped.get(s.id, [])),
                tracks_rated_helped=len(helped.get(s.id, [])),
                genres=tuple(sorted({t.genre for t in s.tracks if t.genre})),
                moods=tuple(sorted({t.mood for t in s.tracks if t.mood})),
            )
        )
    return out


def _point(
    point: tuple[float | None, float | None] | None,
) -> tuple[float, float] | None:
    if point is None or point[0] is None or point[1] is None:
        return None
    return (point[0], point[1])


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def index_tracks(sessions: list[SessionRecord]) -> dict[tuple[str, int], SessionTrack]:
    """Every offered track by ``(session id, position)``: how feedback names its track."""
    return {(s.id, t.position): t for s in sessions for t in s.tracks}


def summarise_groups(
    changes: list[SessionChange],
    sessions: list[SessionRecord],
    answers: Sequence[HelpedAnswer],
    *,
    kind: str,
    min_sessions: int = MIN_SESSIONS,
    track_index: Mapping[tuple[str, int], SessionTrack] | None = None,
) -> list[GroupEffect]:
    """Mean session effect per goal, genre or music mood (``kind``), best first.

    A session counts toward every genre (or mood) among its tracks; per-track "helped" answers
    count toward the track's own genre (or mood). Groups with too few sessions come last.
    """
    if kind not in ("goal", "genre", "mood"):
        raise ValueError(f"kind must be goal, genre or mood, not {kind!r}")
    tracks = track_index if track_index is not None else index_tracks(sessions)
    members: dict[str, list[SessionChange]] = defaultdict(list)
    for c in changes:
        names = (c.goal,) if kind == "goal" else c.genres if kind == "genre" else c.moods
        for name in names:
            members[name].append(c)
    helped: dict[str, list[bool]] = defaultdict(list)
    goal_of = {s.id: s.goal for s in sessions}
    for f in answers:
        track = tracks.get((f.session_id, f.position))
        label: str | None
        if kind == "goal":
            label = goal_of.get(f.session_id)
        else:
            label = None if track is None else track.genre if kind == "genre" else track.mood
        if label:
            helped[label].append(f.helped)
            members.setdefault(label, [])
    effects = []
    for name, group in members.items():
        measured = [c for c in group if c.progress is not None]
        effects.append(
            GroupEffect(
                kind=kind,
                name=name,
                n=len(measured),
                mean_progress=_mean([c.progress for c in measured if c.progress is not None]),
                mean_delta_valence=_mean(
                    [c.delta_valence for c in measured if c.delta_valence is not None]
                ),
                mean_delta_arousal=_mean(
                    [c.delta_arousal for c in measured if c.delta_arousal is not None]
                ),
                helped=sum(helped.get(name, [])),
                rated=len(helped.get(name, [])),
                too_few=len(measured) < min_sessions,
            )
        )
    effects.sort(
        key=lambda e: (
            e.too_few,
            -(e.mean_progress if e.mean_progress is not None else float("-inf")),
            -e.n,
            e.name,
        )
    )
    return effects


def streaks(
    times: Iterable[datetime], *, today: date | None = None, tz: tzinfo | None = None
) -> Streaks:
    """Current and longest runs of consecutive days with a check-in.

    Days are calendar days in ``tz`` (default: this machine's local zone). The current streak
    counts back from ``today``, or from yesterday when there is no check-in today yet (so a
    streak does not read 0 every morning).
    """
    days = sorted({t.astimezone(tz).date() for t in times})
    if not days:
        return Streaks(current=0, longest=0, last_day=None, days_with_checkins=0)
    longest = run = 1
    for prev, day in itertools.pairwise(days):
        run = run + 1 if day - prev == timedelta(days=1) else 1
        longest = max(longest, run)
    today = today or datetime.now(tz).date()
    present = set(days)
    cursor = today if today in present else today - timedelta(days=1)
    current = 0
    while cursor in present:
        current += 1
        cursor -= timedelta(days=1)
    return Streaks(
        current=current, longest=longest, last_day=days[-1], days_with_checkins=len(days)
    )


class FinishedTrackLabels:
    """The track labels of finished sessions, kept between history reads (bounded).

    A finished session's tracks never change (a swap is refused once it is finished), so a
    history read takes them from here and reads only new or unfinished sessions' tracks: the
    history page then costs one row per session instead of one per track. Process-local and
    safe with several workers: it only ever holds what the database said about a finished
    session, and the session list itself is always read fresh.
    """

    def __init__(self, max_sessions: int = 20_000) -> None:
        self.max_sessions = max_sessions
        self._labels: dict[str, tuple[SessionTrack, ...]] = {}
        self._lock = threading.Lock()

    def view(self) -> Mapping[str, tuple[SessionTrack, ...]]:
        """A read-only live view (single lookups are atomic; no copy per read)."""
        return MappingProxyType(self._labels)

    def keep(self, sessions: list[SessionRecord]) -> None:
        """Remember the tracks of the finished ones among ``sessions``."""
        finished = {s.id: s.tracks for s in sessions if s.finished_at is not None}
        with self._lock:
            if len(self._labels) + len(finished) > self.max_sessions:
                self._labels.clear()  # bounded; the next read refills what it needs
            self._labels.update(finished)


FINISHED_TRACK_LABELS = FinishedTrackLabels()


def listener_history(
    engine: Engine,
    listener: str,
    *,
    min_sessions: int = MIN_SESSIONS,
    today: date | None = None,
    tz: tzinfo | None = None,
    checkins_limit: int | None = None,
) -> History:
    """The listener's whole history with per-group effects and streaks (one read snapshot).

    The summaries always count everything, from narrow reads (one column per check-in for
    the streaks, the sessions' own check-ins, the "helped" answers); ``checkins`` holds the
    latest ``checkins_limit`` check-in records (all with None) and ``checkins_total`` counts them.
    """
    with read_transaction(engine) as conn:
        person = resolve_listener(conn, listener)
        if checkins_limit is None:  # every record: its times are the streaks' times
            checkins = repo.list_checkins(conn, person.id)
            times = [c.created_at for c in checkins]
        else:
            times = repo.checkin_times(conn, person.id)
            checkins = repo.list_checkins(conn, person.id, newest_first=True, limit=checkins_limit)
            checkins.reverse()
        points = repo.session_points(conn, person.id)
        sessions = repo.list_sessions(
            conn, person.id, labels_only=True, known_labels=FINISHED_TRACK_LABELS.view()
        )
        answers = repo.helped_answers(conn, person.id)
    FINISHED_TRACK_LABELS.keep(sessions)
    changes = session_changes(sessions, points, answers)
    index = index_tracks(sessions)
    groups = {
        kind: tuple(
            summarise_groups(
                changes,
                sessions,
                answers,
                kind=kind,
                min_sessions=min_sessions,
                track_index=index,
            )
        )
        for kind in ("goal", "genre", "mood")
    }
    return History(
        listener_id=person.id,
        checkins=tuple(checkins),
        checkins_total=len(times),
        sessions=tuple(changes),
        by_goal=groups["goal"],
        by_genre=groups["genre"],
        by_mood=groups["mood"],
        streaks=streaks(times, today=today, tz=tz),
        min_sessions=min_sessions,
    )
