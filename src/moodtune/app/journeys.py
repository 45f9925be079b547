"""Journeys: start a listener's session, swap a track, give feedback, finish, song paths.

This module owns the rules the CLI and the web used to repeat: the default length of a
journey, how minutes become tracks, which jump bounds apply, and that a session is reachable
only through its listener.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from moodtune.app.views import (
    ChangeView,
    FeedbackView,
    JourneyTrackView,
    MoodView,
    PreparedJourney,
    SessionSummary,
    SessionView,
    learning_view,
    mood_view,
    support_view,
    track_view,
)
from moodtune.errors import InputError, NotFoundError
from moodtune.mood.goals import Goal, GoalSpec, get_goal
from moodtune.mood.space import MoodPoint, parse_mood

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from moodtune.app.services import Services
    from moodtune.recommend.filters import TrackFilters
    from moodtune.recommend.journey import Journey
    from moodtune.recommend.tracks import TrackIndex
    from moodtune.sessions.history import SessionChange
    from moodtune.sessions.service import MoodReport, OfferedTrack, StartedSession
    from moodtune.store.records import FeedbackRecord, SessionRecord

__all__ = [
    "DEFAULT_JOURNEY_MINUTES",
    "DEFAULT_SESSION_TRACKS",
    "JourneyLength",
    "finish_journey",
    "give_feedback",
    "goal_choices",
    "goal_label",
    "journey_length",
    "list_journeys",
    "mood_journey",
    "prepared_view",
    "record_offered",
    "session_owner",
    "session_summary",
    "session_view",
    "song_path",
    "start_journey",
    "start_song_path",
    "swap_track",
    "track_feedback",
]

DEFAULT_SESSION_TRACKS = 8
"""Tracks in a session when the listener names neither tracks nor minutes."""
DEFAULT_JOURNEY_MINUTES = 30.0
"""Minutes of a mood-to-mood playlist when neither tracks nor minutes are given."""
MAX_JOURNEY_MINUTES = 600.0


def goal_label(goal: str | Goal) -> str:
    """The goal's name as people say it: "Calm down", "Stay with my mood"."""
    description = get_goal(goal).description
    head = description.split(":", 1)[0].strip()
    return head[:1].upper() + head[1:]


def goal_choices() -> list[tuple[str, str, str]]:
    """``(name, label, what it does)`` for every goal, in the order ``Goal`` defines."""
    out = []
    for goal in Goal:
        description = get_goal(goal).description
        what = description.split(":", 1)[1].strip() if ":" in description else description
        out.append((goal.value, goal_label(goal), what))
    return out


@dataclass(frozen=True)
class JourneyLength:
    """How long a journey should be: a number of tracks, or minutes (then tracks follow)."""

    tracks: int | None
    minutes: float | None


def journey_length(
    *, tracks: int | None, minutes: float | None, default_tracks: int | None = None
) -> JourneyLength:
    """Check the requested length; neither given: ``default_tracks`` or the default minutes."""
    from moodtune.recommend.journey import MAX_STEPS

    if tracks is not None and minutes is not None:
        raise InputError(
            "give the number of tracks or the minutes, not both",
            field="tracks",
            value=tracks,
            allowed="one of tracks, minutes",
        )
    if tracks is not None:
        if isinstance(tracks, bool) or not isinstance(tracks, int) or not 2 <= tracks <= MAX_STEPS:
            raise InputError(
                f"a journey needs between 2 and {MAX_STEPS} tracks, not {tracks!r}",
                field="tracks",
                value=tracks,
                allowed=f"2-{MAX_STEPS}",
            )
        return JourneyLength(tracks, None)
    if minutes is not None:
        if (
            isinstance(minutes, bool)
            or not isinstance(minutes, int | float)
            or not math.isfinite(minutes)
            or not 0 < minutes <= MAX_JOURNEY_MINUTES
        ):
            raise InputError(
                f"the length must be a positive number of minutes, not {minutes!r}",
                field="minutes",
                value=minutes,
                allowed=f"> 0 and at most {MAX_JOURNEY_MINUTES:g}",
            )
        return JourneyLength(None, float(minutes))
    if default_tracks is not None:
        return JourneyLength(default_tracks, None)
    return JourneyLength(None, DEFAULT_JOURNEY_MINUTES)


def _typical_track_minutes(index: TrackIndex) -> float:
    usable = index.tracks_["usable"].to_numpy(dtype=bool)
    return float(np.median(index.tracks_["duration_ms"].to_numpy()[usable]) / 60_000)


def _steps_for(index: TrackIndex, length: JourneyLength) -> int:
    from moodtune.recommend.journey import MAX_STEPS

    if length.tracks is not None:
        return length.tracks
    assert length.minutes is not None
    return int(np.clip(round(length.minutes / _typical_track_minutes(index)), 2, MAX_STEPS))


# -- mood-to-mood playlists (no listener) ------------------------------------------------------


def mood_journey(
    index: TrackIndex | Callable[[], TrackIndex],
    *,
    start: str | MoodPoint,
    to: str | MoodPoint | None = None,
    goal: str | None = None,
    tracks: int | None = None,
    minutes: float | None = None,
    max_tempo_jump: float | None = None,
    max_energy_jump: float | None = None,
    filters: TrackFilters | None = None,
    max_per_artist: int | None = 2,
) -> Journey:
    """An iso-principle playlist from ``start`` to ``to`` (or the goal's target).

    Everything is checked before the index is loaded (``index`` may be a loader) or searched:
    the moods, the goal, the length and the bounds. With a goal, its bounds apply unless a bound
    is given; with only ``to``, the defaults. A ``to`` outside the goal's target region is
    refused: the goal's constraints (tempo, energy near the end) would contradict it.
    """
    from moodtune.recommend.journey import JumpBounds, build_journey, plan_journey

    here = start if isinstance(start, MoodPoint) else parse_mood(start)
    spec = get_goal(goal) if goal else None
    if to is None and spec is None:
        raise InputError(
            "say where the journey should go: a target mood or a goal",
            field="to",
            allowed="a feeling word, 'v,a', or a goal: " + ", ".join(g.value for g in Goal),
        )
    target = (
        (to if isinstance(to, MoodPoint) else parse_mood(to))
        if to is not None
        else spec.target_for(here)  # type: ignore[union-attr]
    )
    if to is not None and spec is not None:
        aim = spec.target_for(here)
        if target.distance(aim) > spec.radius + 1e-9:
            raise InputError(
                f"the target mood ({target.valence:+.2f}, {target.arousal:+.2f}) is outside the "
                f"region the goal {spec.goal.value} aims at (within {spec.radius:g} of "
                f"({aim.valence:+.2f}, {aim.arousal:+.2f})), so their constraints contradict",
                field="to",
                value=to if isinstance(to, str) else f"{target.valence},{target.arousal}",
                allowed="a target mood or a goal, or a target inside the goal's region",
            )
    length = journey_length(tracks=tracks, minutes=minutes)
    bounds = None
    if max_tempo_jump is not None or max_energy_jump is not None or spec is None:
        default = (
            JumpBounds(spec.max_tempo_jump_bpm, spec.max_energy_jump) if spec else JumpBounds()
        )
        bounds = JumpBounds(
            tempo_bpm=max_tempo_jump if max_tempo_jump is not None else default.tempo_bpm,
            energy=max_energy_jump if max_energy_jump is not None else default.energy,
        )
    if callable(index):  # everything above is checked before the index is loaded
        index = index()
    plan = plan_journey(
        here,
        target,
        steps=length.tracks,
        minutes=length.minutes,
        track_minutes=_typical_track_minutes(index),
    )
    return build_journey(
        index, plan, filters=filters, bounds=bounds, max_per_artist=max_per_artist, goal=spec
    )


def _row_dict(index: TrackIndex, row: int) -> dict[Any, Any]:
    """Every catalog column of one row (a track page shows more than a result table)."""
    return index.tracks_.iloc[row].to_dict()


def prepared_view(index: TrackIndex, journey: Journey) -> PreparedJourney:
    """A built (unrecorded) journey as the pages and the API show it."""
    records = journey.tracks.to_dict(orient="records")
    items = []
    for number, row in enumerate(records, start=1):
        view = track_view(row)
        items.append(
            JourneyTrackView(
                number=number,
                track=view,
                track_id=view.track_id,
                title=f"{view.name} — {view.artists}" if view.artists else view.name,
                planned=mood_view(float(row["waypoint_valence"]), float(row["waypoint_arousal"])),
                reason=str(row.get("short_reason") or row.get("reason") or ""),
            )
        )
    m = journey.metrics
    return PreparedJourney(
        start=mood_view(journey.plan.start.valence, journey.plan.start.arousal),
        target=mood_view(journey.plan.target.valence, journey.plan.target.arousal),
        tracks=tuple(items),
        notes=tuple(journey.notes),
        total_minutes=round(journey.total_minutes, 1),
        max_tempo_jump=round(m.max_tempo_jump, 1),
        max_energy_jump=round(m.max_energy_jump, 3),
        tempo_bound=journey.bounds.tempo_bpm,
        energy_bound=journey.bounds.energy,
    )


def song_path(
    services: Services,
    *,
    from_track: str,
    to_track: str | None = None,
    to_mood: str | MoodPoint | None = None,
    tracks: int | None = None,
) -> PreparedJourney:
    """A path of real tracks from a track the listener names to a mood or to another track.

    The first track is the one named; with ``to_track`` the last one is too. The tracks in
    between follow the iso-principle path between their moods within the usual jump bounds;
    a jump at either named end that exceeds a bound is stated, not hidden.
    """
    from moodtune.recommend.filters import TrackFilters
    from moodtune.recommend.journey import JumpBounds, build_journey, plan_journey

    index = services.catalog.index
    if (to_track is None) == (to_mood is None):
        raise InputError(
            "a song path goes to a mood or to another track",
            field="to_track",
            allowed="one of to_track, to_mood",
        )
    length = journey_length(tracks=tracks, minutes=None, default_tracks=DEFAULT_SESSION_TRACKS)
    assert length.tracks is not None
    [first_row] = index.rows_for([from_track])
    first = _row_dict(index, first_row)
    start = MoodPoint(float(first["mood_valence"]), float(first["mood_arousal"]))
    last: dict[str, Any] | None = None
    if to_track is not None:
        [last_row] = index.rows_for([to_track])
        if last_row == first_row:
            raise InputError(
                "the path needs two different tracks", field="to_track", value=to_track
            )
        last = _row_dict(index, last_row)
        target = MoodPoint(float(last["mood_valence"]), float(last["mood_arousal"]))
    else:
        target = to_mood if isinstance(to_mood, MoodPoint) else parse_mood(str(to_mood))
    pinned = [str(first["track_id"])] + ([str(last["track_id"])] if last else [])
    bounds = JumpBounds()
    plan = plan_journey(start, target, steps=length.tracks)
    journey = build_journey(
        index, plan, bounds=bounds, filters=TrackFilters(exclude_tracks=tuple(pinned))
    )
    frame = journey.tracks.copy()
    ends = [(0, first)] + ([(len(frame) - 1, last)] if last else [])
    for position, row in ends:
        for column in frame.columns:
            if column in row:
                frame.at[frame.index[position], column] = row[column]
        frame.at[frame.index[position], "short_reason"] = "the track you chose"
        frame.at[frame.index[position], "reason"] = "the track you chose"
    journey.tracks = frame
    tempo = frame["tempo"].to_numpy(dtype=float)
    energy = frame["energy"].to_numpy(dtype=float)
    notes = list(journey.notes)
    for position, _row in ends:
        neighbour = 1 if position == 0 else position - 1
        jump_t = abs(tempo[position] - tempo[neighbour])
        jump_e = abs(energy[position] - energy[neighbour])
        if jump_t > bounds.tempo_bpm or jump_e > bounds.energy:
            which = "first" if position == 0 else "last"
            notes.append(
                f"your {which} track is {jump_t:.0f} BPM and {jump_e:.2f} energy away from its "
                f"neighbour (bounds {bounds.tempo_bpm:g} BPM, {bounds.energy:g}): no catalog "
                "track bridges it more gently"
            )
    from moodtune.recommend.journey import journey_metrics

    journey.metrics = journey_metrics(
        journey.planned_path(), journey.actual_path(), tempo, energy, bounds
    )
    journey.notes = notes
    return prepared_view(index, journey)


# -- sessions (a listener's journeys) ----------------------------------------------------------


def _feedback_view(records: Sequence[FeedbackRecord], position: int) -> FeedbackView | None:
    mine = [f for f in records if f.position == position]
    if not mine:
        return None
    f = mine[-1]
    return FeedbackView(
        thumbs=f.thumbs, helped=f.helped, played=f.played, skipped_after_s=f.skipped_after_s
    )


def _session_view(
    services: Services,
    session: SessionRecord,
    feedback: Sequence[FeedbackRecord],
    *,
    before: MoodView | None,
    after: MoodView | None,
    support: Any = None,
) -> SessionView:
    items = []
    id_to_row = services.catalog.index.id_to_row_
    for t in session.tracks:
        row = id_to_row.get(t.track_id)
        view = None if row is None else services.track_view_at(row)
        title = " — ".join(x for x in (t.name, t.artists) if x) or t.track_id
        planned = (
            None
            if t.planned_valence is None or t.planned_arousal is None
            else mood_view(t.planned_valence, t.planned_arousal)
        )
        items.append(
            JourneyTrackView(
                number=t.position + 1,
                track=view,
                track_id=t.track_id,
                title=title,
                planned=planned,
                reason=t.reason,
                feedback=_feedback_view(feedback, t.position),
            )
        )
    target = (
        None
        if session.target_valence is None or session.target_arousal is None
        else mood_view(session.target_valence, session.target_arousal)
    )
    change = None
    if before is not None and after is not None:
        from moodtune.sessions.service import mood_progress

        progress = mood_progress(
            (before.valence, before.arousal),
            (after.valence, after.arousal),
            None if target is None else (target.valence, target.arousal),
        )
        dv = round(after.valence - before.valence, 4)
        da = round(after.arousal - before.arousal, 4)
        direction = (
            "closer to"
            if progress > 0.02
            else "further from"
            if progress < -0.02
            else "about as far from"
        )
        change = ChangeView(
            delta_valence=dv,
            delta_arousal=da,
            progress=progress,
            summary=f"You moved from {before.near} to {after.near}: {direction} where you "
            f"wanted to be ({progress:+.2f}).",
        )
    details = session.details or {}
    learning = learning_view(details.get("learning"))
    return SessionView(
        id=session.id,
        goal=session.goal,
        goal_label=goal_label(session.goal),
        started_at=session.started_at,
        finished_at=session.finished_at,
        before=before,
        after=after,
        target=target,
        tracks=tuple(items),
        change=change,
        notes=tuple(str(n) for n in details.get("notes") or ()),
        personalised=learning.personalised,
        model_version=session.model_version,
        pace=details.get("pace"),
        learning=learning,
        support=support,
    )


def _checkin_mood(checkin: Any) -> MoodView | None:
    if checkin is None or checkin.valence is None or checkin.arousal is None:
        return None
    return mood_view(checkin.valence, checkin.arousal, tuple(checkin.words))


def session_view(services: Services, listener_id: str, session_id: str) -> SessionView:
    """One of the listener's sessions with its tracks, feedback and change (404 otherwise)."""
    from moodtune.store import repository as repo
    from moodtune.store.engine import read_transaction

    with read_transaction(services.engine) as conn:
        session = _own_session(conn, listener_id, session_id)
        checkins = repo.list_checkins(conn, listener_id, session_id=session.id)
        feedback = repo.list_feedback(conn, listener_id=listener_id, session_id=session.id)
    before = next((c for c in checkins if c.kind == "before"), None)
    after = next((c for c in checkins if c.kind == "after"), None)
    return _session_view(
        services, session, feedback, before=_checkin_mood(before), after=_checkin_mood(after)
    )


def list_journeys(
    services: Services, listener_id: str, *, offset: int = 0, limit: int = 20
) -> tuple[list[SessionSummary], int]:
    """The listener's sessions, newest first, one page of them, and how many there are."""
    from moodtune.sessions import listener_history

    history = listener_history(services.engine, listener_id, checkins_limit=0)
    newest = list(reversed(history.sessions))
    return [session_summary(s) for s in newest[offset : offset + limit]], len(newest)


def session_summary(change: SessionChange) -> SessionSummary:
    """One line of a listener's history: goal, when, before → after and the progress."""
    return SessionSummary(
        id=change.session_id,
        goal=change.goal,
        goal_label=goal_label(change.goal),
        started_at=change.started_at,
        finished=change.finished,
        tracks=change.tracks_offered,
        before=None if change.before is None else mood_view(*change.before),
        after=None if change.after is None else mood_view(*change.after),
        progress=change.progress,
    )


def start_journey(
    services: Services,
    listener_id: str,
    *,
    goal: str,
    mood: MoodReport,
    tracks: int | None = None,
    minutes: float | None = None,
    random_state: np.random.Generator | int | None = None,
) -> SessionView:
    """Check in, build the listener's personal journey toward ``goal``, and record it.

    Everything is validated before anything is built or stored: the goal, the mood, the
    length. With neither tracks nor minutes the session has ``DEFAULT_SESSION_TRACKS``.
    """
    from moodtune.sessions import start_personal_session
    from moodtune.sessions.service import resolve_mood

    spec = get_goal(goal)
    resolve_mood(mood)
    length = journey_length(tracks=tracks, minutes=minutes, default_tracks=DEFAULT_SESSION_TRACKS)
    steps = _steps_for(services.catalog.index, length)
    started, _built = start_personal_session(
        services.engine,
        listener_id,
        goal=spec.goal.value,
        before=mood,
        steps=steps,
        catalog=services.catalog,
        random_state=random_state,
        settings=services.settings,
        cache=services.learners,
    )
    return _started_view(services, started)


def record_offered(
    services: Services,
    listener: str,
    *,
    goal: str,
    mood: MoodReport,
    tracks: Sequence[OfferedTrack],
    model_version: str,
) -> SessionView:
    """Check in and record a session for tracks the listener chose (no journey is built).

    The goal is checked as :func:`start_journey` checks it; its target is the session's.
    """
    from moodtune.sessions.service import start_session

    spec = get_goal(goal)
    started = start_session(
        services.engine,
        listener,
        goal=spec.goal.value,
        before=mood,
        tracks=list(tracks),
        model_version=model_version,
        settings=services.settings,
    )
    return _started_view(services, started)


def start_song_path(
    services: Services, listener_id: str, path: PreparedJourney, *, mood: MoodReport
) -> SessionView:
    """Record a song path as a session (goal "stay": the path itself is the plan)."""
    from moodtune import __version__
    from moodtune.sessions.service import OfferedTrack, start_session

    offered = [
        OfferedTrack(
            track_id=t.track_id,
            reason=t.reason or "on your song path",
            name=t.track.name if t.track else None,
            artists=t.track.artists if t.track else None,
            genre=(t.track.genres[0] if t.track and t.track.genres else None),
            mood=t.track.mood.quadrant if t.track else None,
            planned_valence=t.planned.valence if t.planned else None,
            planned_arousal=t.planned.arousal if t.planned else None,
        )
        for t in path.tracks
    ]
    started = start_session(
        services.engine,
        listener_id,
        goal=Goal.STAY.value,
        before=mood,
        tracks=offered,
        model_version=f"moodtune {__version__} song path",
        target=(path.target.valence, path.target.arousal),
        details={"notes": list(path.notes), "kind": "song path"},
        settings=services.settings,
    )
    return _started_view(services, started)


def _started_view(services: Services, started: StartedSession) -> SessionView:
    """A session just started: its tracks, the check-in it began with, nothing answered yet."""
    return _session_view(
        services,
        started.session,
        (),
        before=_checkin_mood(started.before),
        after=None,
        support=support_view(started.risk),
    )


def _own_session(conn: Connection, listener_id: str, session_id: str) -> SessionRecord:
    """The listener's session; another listener's is as unknown as a missing one (404)."""
    from moodtune.store import repository as repo

    session = repo.get_session(conn, str(session_id))
    if session is None or session.listener_id != listener_id:
        raise NotFoundError(
            "unknown session", field="session", value=session_id,
            allowed="the id of one of your sessions",
        )  # fmt: skip
    return session


def _no_track(number: int, tracks: int) -> NotFoundError:
    return NotFoundError(
        f"this session has no track number {number}",
        field="number",
        value=number,
        allowed=f"1-{tracks}",
    )


def _check_number(number: int) -> None:
    if isinstance(number, bool) or not isinstance(number, int):
        raise InputError("a track number is a whole number", field="number", value=number)


def _track_at(session: SessionView, number: int) -> JourneyTrackView:
    _check_number(number)
    for t in session.tracks:
        if t.number == number:
            return t
    raise _no_track(number, len(session.tracks))


def swap_track(services: Services, listener_id: str, session_id: str, number: int) -> SessionView:
    """Replace track ``number`` by the next-best track at its waypoint within the jump bounds.

    Candidates are the tracks nearest the planned point of that track (under the goal's
    constraints), not already in the session; the first whose tempo and energy stay within
    the goal's jump bounds of both neighbours is taken.
    """
    from moodtune.recommend.filters import TrackFilters
    from moodtune.sessions.service import OfferedTrack, replace_session_track

    session = session_view(services, listener_id, session_id)
    if session.finished_at is not None:
        raise InputError("a finished session's tracks cannot change", field="session")
    current = _track_at(session, number)
    spec: GoalSpec = get_goal(session.goal)
    index = services.catalog.index
    planned = current.planned or (current.track.mood if current.track else None)
    if planned is None:
        raise InputError("this track has no planned mood to search near", field="number")
    taken = [index.id_to_row_[t.track_id] for t in session.tracks if t.track_id in index.id_to_row_]
    # As the journey builder does: the goal's hard constraints hold near its target only;
    # elsewhere on the path just its no-explicit rule.
    point = MoodPoint(planned.valence, planned.arousal)
    near_target = (
        session.target is not None
        and point.distance(MoodPoint(session.target.valence, session.target.arousal)) <= spec.radius
    )
    found = index.near_mood(
        point,
        # Wide enough that a neighbour within the jump bounds is found where fitted moods and
        # Spotify's energy part ways (40 was enough for positions that were energy itself).
        k=200,
        goal=spec if near_target else None,
        filters=None if near_target or spec.allow_explicit else TrackFilters(explicit=False),
        exclude=taken,
        max_per_artist=None,
        label=f"track {number}'s point on the path",
    )
    neighbours = [
        t.track for t in session.tracks if abs(t.number - number) == 1 and t.track is not None
    ]
    tempo_bound, energy_bound = spec.max_tempo_jump_bpm, spec.max_energy_jump
    for row in found.tracks.to_dict(orient="records"):
        tempo, energy = float(row["tempo"]), float(row["energy"])
        if all(
            (n.tempo_bpm is None or abs(tempo - n.tempo_bpm) <= tempo_bound)
            and (n.energy is None or abs(energy - n.energy) <= energy_bound)
            for n in neighbours
        ):
            view = track_view(row)
            offered = OfferedTrack(
                track_id=view.track_id,
                reason=f"swapped in: the next-best track near this point of the path that "
                f"keeps tempo within {tempo_bound:g} BPM and energy within {energy_bound:g} of "
                f"its neighbours (mood distance {float(row['distance']):.3f})",
                name=view.name,
                artists=view.artists,
                genre=view.genres[0] if view.genres else None,
                mood=view.mood.quadrant,
                planned_valence=planned.valence,
                planned_arousal=planned.arousal,
            )
            replace_session_track(
                services.engine, session.id, number - 1, offered, listener_id=listener_id
            )
            return session_view(services, listener_id, session.id)
    raise InputError(
        f"no other track near this point keeps the jumps within {tempo_bound:g} BPM and "
        f"{energy_bound:g} energy of its neighbours",
        field="number",
        value=number,
    )


def session_owner(services: Services, session_id: str) -> str:
    """The id of the listener whose session this is (``NotFoundError`` when unknown).

    For a caller that is trusted with every listener on this machine (the CLI): the web
    knows the listener from the request and never asks.
    """
    from moodtune.sessions import get_session

    return get_session(services.engine, str(session_id)).listener_id


def track_feedback(
    services: Services,
    session_id: str,
    track_id: str,
    *,
    position: int | None = None,
    listener_id: str | None = None,
    thumbs: int | None = None,
    helped: bool | None = None,
    played: bool | None = None,
    skipped_after_s: float | None = None,
) -> FeedbackRecord:
    """Record an answer about the offered track ``track_id`` (answers add up per track).

    ``position`` is the track's number as shown (from 1), needed only when the track was
    offered twice. The session must be ``listener_id``'s (by default its owner's, see
    :func:`session_owner`); :func:`give_feedback` is the same answer by track number.
    """
    from moodtune.sessions import record_feedback

    if position is not None:
        _check_number(position)
        if position < 1:
            raise InputError(
                "track numbers start at 1",
                field="position",
                value=position,
                allowed="the number shown in the session's track table",
            )
    owner = listener_id if listener_id is not None else session_owner(services, session_id)
    return record_feedback(
        services.engine,
        session_id,
        track_id,
        position=None if position is None else position - 1,
        played=played,
        skipped_after_s=skipped_after_s,
        thumbs=thumbs,
        helped=helped,
        listener_id=owner,
    )


def give_feedback(
    services: Services,
    listener_id: str,
    session_id: str,
    number: int,
    *,
    thumbs: int | None = None,
    helped: bool | None = None,
    played: bool | None = None,
    skipped_after_s: float | None = None,
) -> SessionView:
    """Record the listener's answer about track ``number`` (answers add up per track)."""
    from moodtune.sessions import record_feedback
    from moodtune.store.engine import read_transaction

    with read_transaction(services.engine) as conn:  # the track asked about, without the view
        session = _own_session(conn, listener_id, session_id)
    _check_number(number)
    track = next((t for t in session.tracks if t.position + 1 == number), None)
    if track is None:
        raise _no_track(number, len(session.tracks))
    record_feedback(
        services.engine,
        session.id,
        track.track_id,
        position=number - 1,
        thumbs=thumbs,
        helped=helped,
        played=played,
        skipped_after_s=skipped_after_s,
        listener_id=listener_id,
    )
    return session_view(services, listener_id, session.id)


def finish_journey(
    services: Services, listener_id: str, session_id: str, mood: MoodReport
) -> SessionView:
    """The second check-in: store it, end the session and show the change."""
    from moodtune.sessions import finish_session

    done = finish_session(
        services.engine, session_id, mood, listener_id=listener_id, settings=services.settings
    )
    from dataclasses import replace

    view = session_view(services, listener_id, done.session.id)
    return replace(view, support=support_view(done.risk))
