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
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, Engine

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
    "RECENT_DAYS",
    "GroupEffect",
    "History",
    "SessionChange",
    "Streaks",
    "forget_listener",
    "listener_history",
    "session_changes",
    "streaks",
    "streaks_of_days",
    "summarise_groups",
]

MIN_SESSIONS = 5
"""Below this many finished sessions a group's mean change is flagged ``too_few``."""
RECENT_DAYS = 63
"""How many days back (today included) :class:`Streaks` lists the days with a check-in: nine
weeks, so a calendar of the last eight whole weeks is covered whichever weekday it starts on."""


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
    #: the day the streaks were counted on ("today" in the time zone)
    as_of: date | None = None
    #: the days with a check-in among the ``RECENT_DAYS`` up to ``as_of``, oldest first
    recent_days: tuple[date, ...] = ()


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
                "as_of": None if self.streaks.as_of is None else self.streaks.as_of.isoformat(),
                "recent_days": [d.isoformat() for d in self.streaks.recent_days],
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


def index_tracks(sessions: Sequence[SessionRecord]) -> dict[tuple[str, int], SessionTrack]:
    """Every offered track by ``(session id, position)``: how feedback names its track."""
    return {(s.id, t.position): t for s in sessions for t in s.tracks}


def summarise_groups(
    changes: Sequence[SessionChange],
    sessions: Sequence[SessionRecord],
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
    goal_of = {c.session_id: c.goal for c in changes}
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
    return streaks_of_days({t.astimezone(tz).date() for t in times}, today=today, tz=tz)


def streaks_of_days(
    checkin_days: Iterable[date], *, today: date | None = None, tz: tzinfo | None = None
) -> Streaks:
    """:func:`streaks` from the calendar days (in ``tz``) that have a check-in."""
    days = sorted(set(checkin_days))
    today = today or datetime.now(tz).date()
    if not days:
        return Streaks(current=0, longest=0, last_day=None, days_with_checkins=0, as_of=today)
    longest = run = 1
    for prev, day in itertools.pairwise(days):
        run = run + 1 if day - prev == timedelta(days=1) else 1
        longest = max(longest, run)
    first_recent = today - timedelta(days=RECENT_DAYS - 1)
    present = set(days)
    cursor = today if today in present else today - timedelta(days=1)
    current = 0
    while cursor in present:
        current += 1
        cursor -= timedelta(days=1)
    return Streaks(
        current=current,
        longest=longest,
        last_day=days[-1],
        days_with_checkins=len(days),
        as_of=today,
        recent_days=tuple(d for d in days if first_recent <= d <= today),
    )


@dataclass(frozen=True)
class KeptSession:
    """What a history read keeps of a finished session: its change and its track labels."""

    listener_id: str
    change: SessionChange
    tracks: tuple[SessionTrack, ...]


class FinishedSessions:
    """The history facts of finished sessions, kept between history reads (bounded).

    A finished session's goal, target, tracks and before/after check-ins never change (a swap
    is refused once it is finished; the after check-in is written with the finish), so a
    history read computes its change once and afterwards reads of it only its id and state;
    its "helped" counts are recounted on every read (late answers may still arrive). A
    listener's history page then costs two narrow columns per session instead of a row, its
    timestamps, its tracks and its check-ins. Process-local and safe with several workers: it
    only holds what the database said about a finished session, and the session list itself
    is always read fresh.
    """

    def __init__(self, max_sessions: int = 20_000) -> None:
        self.max_sessions = max_sessions
        self._kept: dict[str, KeptSession] = {}
        self._lock = threading.Lock()

    def view(self) -> Mapping[str, KeptSession]:
        """A read-only live view (single lookups are atomic; no copy per read)."""
        return MappingProxyType(self._kept)

    def keep(self, kept: Mapping[str, KeptSession]) -> None:
        """Remember these finished sessions."""
        if not kept:
            return
        with self._lock:
            if len(self._kept) + len(kept) > self.max_sessions:
                self._kept.clear()  # bounded; the next read refills what it needs
            self._kept.update(kept)

    def forget(self, listener_id: str) -> None:
        """Forget the listener's sessions (their data was deleted)."""
        with self._lock:
            for session_id in [k for k, v in self._kept.items() if v.listener_id == listener_id]:
                del self._kept[session_id]

    def clear(self) -> None:
        """Forget everything (the next read computes every session again)."""
        with self._lock:
            self._kept.clear()


FINISHED_SESSIONS = FinishedSessions()


@dataclass(frozen=True)
class _Days:
    count: int  # check-ins counted
    last: datetime | None  # the latest check-in time counted
    at_last: int  # how many of them have exactly that time
    days: frozenset[date]


class CheckInDays:
    """Per listener, the calendar days that have a check-in, kept between history reads.

    Check-ins are never edited, so a read asks only for those at or after the latest one it
    counted, and the listener's count: when the count adds up the days are exact; when it does
    not (a check-in committed with an earlier time than one already counted, or a deletion)
    every time is read again. Bounded; process-local and safe with several workers.
    """

    def __init__(self, max_listeners: int = 1024) -> None:
        self.max_listeners = max_listeners
        self._kept: dict[tuple[str, tzinfo | None], _Days] = {}
        self._lock = threading.Lock()
        self.full_reads = 0  #: reads of every check-in time (for tests)

    def days(self, conn: Connection, listener_id: str, tz: tzinfo | None) -> tuple[set[date], int]:
        """The listener's check-in days in ``tz`` and how many check-ins there are."""
        key = (listener_id, tz)
        with self._lock:
            kept = self._kept.get(key)
        total = repo.count_checkins(conn, listener_id)
        entry: _Days | None = None
        if kept is not None and kept.last is not None:
            times = repo.checkin_times(conn, listener_id, since=kept.last)
            new = [t for t in times if t > kept.last]
            at_last = len(times) - len(new)
            if kept.count + len(new) == total and at_last == kept.at_last:
                last = new[-1] if new else kept.last
                entry = _Days(
                    count=total,
                    last=last,
                    at_last=sum(1 for t in times if t == last),
                    days=kept.days | {t.astimezone(tz).date() for t in new},
                )
        elif kept is not None and kept.count == total == 0:
            entry = kept
        if entry is None:
            self.full_reads += 1
            times = repo.checkin_times(conn, listener_id)
            latest = times[-1] if times else None
            entry = _Days(
                count=len(times),
                last=latest,
                at_last=sum(1 for t in times if t == latest),
                days=frozenset(t.astimezone(tz).date() for t in times),
            )
            if entry.count != total:  # written meanwhile (PostgreSQL read committed)
                return set(entry.days), entry.count
        with self._lock:
            if key not in self._kept and len(self._kept) >= self.max_listeners:
                self._kept.pop(next(iter(self._kept)))
            self._kept[key] = entry
        return set(entry.days), entry.count

    def forget(self, listener_id: str) -> None:
        """Forget the listener's days (their data was deleted)."""
        with self._lock:
            for key in [k for k in self._kept if k[0] == listener_id]:
                del self._kept[key]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._kept.clear()


CHECKIN_DAYS = CheckInDays()


def forget_listener(listener_id: str) -> None:
    """Drop what this process keeps between history reads about a deleted listener (another
    worker's copies are never read again: only sessions the database lists are looked up,
    and they age out of their bounded caches)."""
    FINISHED_SESSIONS.forget(listener_id)
    CHECKIN_DAYS.forget(listener_id)


def _in_order(
    states: Sequence[tuple[str, bool]],
    known: Mapping[str, KeptSession],
    fresh: Mapping[str, SessionChange],
    answers: Sequence[HelpedAnswer],
) -> list[SessionChange]:
    """Every session's change in ``states`` order: kept ones with their "helped" counts
    recounted from ``answers`` (a late answer changes them), the rest as just computed."""
    counts: dict[str, list[int]] = {}
    for f in answers:
        count = counts.setdefault(f.session_id, [0, 0])
        count[0] += f.helped
        count[1] += 1
    out = []
    for session_id, _ in states:
        kept = known.get(session_id)
        if kept is None:
            if (change := fresh.get(session_id)) is not None:
                out.append(change)
            continue
        change = kept.change
        helped, rated = counts.get(session_id, (0, 0))
        if (change.tracks_helped, change.tracks_rated_helped) != (helped, rated):
            change = replace(change, tracks_helped=helped, tracks_rated_helped=rated)
        out.append(change)
    return out


def _answered_tracks(
    answers: Sequence[HelpedAnswer], tracks_of: Mapping[str, Sequence[SessionTrack]]
) -> dict[tuple[str, int], SessionTrack]:
    """The offered track of each answer by ``(session id, position)`` (only those answered)."""
    index: dict[tuple[str, int], SessionTrack] = {}
    for f in answers:
        tracks = tracks_of.get(f.session_id, ())
        for track in tracks:
            if track.position == f.position:
                index[(f.session_id, f.position)] = track
                break
    return index


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
            days = {c.created_at.astimezone(tz).date() for c in checkins}
            n_checkins = len(checkins)
        else:
            days, n_checkins = CHECKIN_DAYS.days(conn, person.id, tz)
            checkins = repo.list_checkins(conn, person.id, newest_first=True, limit=checkins_limit)
            checkins.reverse()
        states = repo.session_states(conn, person.id)
        kept_view = FINISHED_SESSIONS.view()
        known: dict[str, KeptSession] = {}
        for session_id, finished in states:  # one lookup each: another thread may update it
            if finished and (kept := kept_view.get(session_id)) is not None:
                known[session_id] = kept
        fresh = repo.list_sessions(
            conn,
            person.id,
            labels_only=True,
            session_ids=[session_id for session_id, _ in states if session_id not in known],
        )
        # after the session rows: a row read as finished has its after check-in here
        points = repo.session_points(conn, person.id, session_ids=[s.id for s in fresh])
        answers = repo.helped_answers(conn, person.id)
    fresh_changes = {c.session_id: c for c in session_changes(fresh, points, answers)}
    FINISHED_SESSIONS.keep(
        {
            s.id: KeptSession(listener_id=person.id, change=fresh_changes[s.id], tracks=s.tracks)
            for s in fresh
            if s.finished_at is not None
        }
    )
    changes = _in_order(states, known, fresh_changes, answers)
    tracks_of = {**{k: v.tracks for k, v in known.items()}, **{s.id: s.tracks for s in fresh}}
    index = _answered_tracks(answers, tracks_of)
    groups = {
        kind: tuple(
            summarise_groups(
                changes, (), answers, kind=kind, min_sessions=min_sessions, track_index=index
            )
        )
        for kind in ("goal", "genre", "mood")
    }
    return History(
        listener_id=person.id,
        checkins=tuple(checkins),
        checkins_total=n_checkins,
        sessions=tuple(changes),
        by_goal=groups["goal"],
        by_genre=groups["genre"],
        by_mood=groups["mood"],
        streaks=streaks_of_days(days, today=today, tz=tz),
        min_sessions=min_sessions,
    )
