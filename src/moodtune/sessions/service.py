"""The listener service: listeners, mood check-ins, listening sessions and feedback.

Each public function validates its input completely *before* opening a write transaction, and
every write that belongs together (a session, its before check-in and its track list; an after
check-in and the session's end) is one transaction. Bad input raises ``InputError`` naming the
field, the value and what is allowed, and leaves the database unchanged.

Privacy: free-text notes are screened for risk language in memory and stored only when the
listener consented to keeping notes (``consent_notes``).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, Engine

from moodtune.config import Settings
from moodtune.errors import InputError, NotFoundError
from moodtune.jsonable import to_jsonable
from moodtune.mood.goals import Goal, get_goal
from moodtune.safety import RiskAssessment, assess_risk, check_country_code
from moodtune.store import repository as repo
from moodtune.store.engine import is_sqlite, read_transaction, write_transaction
from moodtune.store.records import (
    CheckInRecord,
    FeedbackRecord,
    ListenerRecord,
    PlaylistExportRecord,
    SessionRecord,
    SessionTrack,
)
from moodtune.store.tables import utcnow

if TYPE_CHECKING:
    from moodtune.survey.schema import Profile

__all__ = [
    "GOALS",
    "LATE_FEEDBACK_WINDOW",
    "MAX_NOTE_CHARS",
    "CheckInResult",
    "FinishedSession",
    "MoodReport",
    "OfferedTrack",
    "StartedSession",
    "checkins_page",
    "create_listener",
    "delete_listener",
    "export_listener",
    "finish_session",
    "get_listener",
    "get_session",
    "learning_data",
    "learning_snapshot",
    "list_checkins",
    "list_feedback",
    "list_sessions",
    "listener_profile",
    "listener_risk",
    "mood_progress",
    "record_checkin",
    "record_feedback",
    "record_playlist_export",
    "replace_session_track",
    "resolve_listener",
    "resolve_mood",
    "set_consent",
    "start_session",
    "update_profile",
]

GOALS: tuple[str, ...] = tuple(g.value for g in Goal)
"""Session goals: the names ``moodtune.mood.goals.Goal`` defines (one source)."""

MAX_NOTE_CHARS = 5000
LATE_FEEDBACK_WINDOW = timedelta(hours=24)
"""How long after a session finished its tracks may still be rated (people rate after
listening); such answers are stored marked ``late``."""
MAX_WORDS = 20
EXPORT_FORMAT: Final = "moodtune-listener-export"
EXPORT_FORMAT_VERSION: Final = 1


# -- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoodReport:
    """How a listener says they feel: coordinates and/or feeling words, plus an optional note.

    When only words are given the point is the mean of the words' positions on the plane.
    """

    valence: float | None = None
    arousal: float | None = None
    words: tuple[str, ...] = ()
    note: str | None = None

    @classmethod
    def parse(cls, mood: str | None, *, note: str | None = None) -> MoodReport:
        """From CLI text: ``"sad"``, ``"tired, anxious"`` or ``"-0.4,0.2"``."""
        from moodtune.mood.space import parse_mood

        if mood is None or not mood.strip():
            return cls(note=note)
        try:
            point = parse_mood(mood)
        except InputError:
            words = tuple(w.strip() for w in re.split(r"[,;/]", mood) if w.strip())
            if len(words) < 2 or any(ch.isdigit() for ch in mood):
                raise
            return cls(words=words, note=note)
        if any(ch.isdigit() for ch in mood):
            return cls(valence=point.valence, arousal=point.arousal, note=note)
        return cls(words=(mood.strip(),), note=note)


@dataclass(frozen=True)
class OfferedTrack:
    """A track to offer in a session, with the reason it was chosen (shown to the listener)."""

    track_id: str
    reason: str
    name: str | None = None
    artists: str | None = None
    genre: str | None = None
    mood: str | None = None
    planned_valence: float | None = None
    planned_arousal: float | None = None


@dataclass(frozen=True)
class CheckInResult:
    """A stored check-in and the risk screen of its note."""

    checkin: CheckInRecord
    risk: RiskAssessment


@dataclass(frozen=True)
class StartedSession:
    """A started session: its record (with tracks), the before check-in, and the risk screen.

    When ``risk.at_risk`` the caller must show ``risk.message`` together with the tracks.
    """

    session: SessionRecord
    before: CheckInRecord
    risk: RiskAssessment


@dataclass(frozen=True)
class FinishedSession:
    """A finished session with its before/after check-ins and the change between them."""

    session: SessionRecord
    before: CheckInRecord | None
    after: CheckInRecord
    risk: RiskAssessment
    change: dict[str, float | None] = field(default_factory=dict)


# -- validation helpers ------------------------------------------------------------------------


def _now(at: datetime | None) -> datetime:
    """``at`` (checked), or now. Writers take it inside their write transaction: on SQLite one
    writer at a time holds the lock, so stored times follow commit order and a reader that
    remembers the latest time it read (``LearnerCache``, ``CheckInDays``) misses no row
    committed after it (a time taken before the lock let a later commit carry an earlier
    time, which forced a learner refit from the whole history, ~0.2 s at 400 sessions)."""
    if at is None:
        return utcnow()
    if at.tzinfo is None:
        raise InputError(
            "time must include a timezone",
            field="at",
            value=at,
            allowed="e.g. 2026-01-31T08:00+00:00",
        )
    return at


def _check_goal(goal: str) -> str:
    """The goal's canonical name; every spelling ``get_goal`` accepts ("energize") works."""
    return get_goal(goal).goal.value


def _check_note(note: str | None) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str):
        raise InputError("a note must be text", field="note", value=note)
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise InputError(
            f"note is {len(note)} characters long",
            field="note",
            allowed=f"at most {MAX_NOTE_CHARS}",
        )
    return note or None


def _check_axis(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(
            f"{name} must be a finite number", field=name, value=value, allowed="[-1, 1]"
        )
    if not -1.0 <= float(value) <= 1.0:
        raise InputError(
            f"{name} {value:g} is outside the mood plane",
            field=name,
            value=value,
            allowed="[-1, 1]",
        )
    return float(value)


def resolve_mood(report: MoodReport) -> tuple[float | None, float | None, tuple[str, ...]]:
    """Validated ``(valence, arousal, words)``; words alone give their mean position."""
    valence = _check_axis("valence", report.valence)
    arousal = _check_axis("arousal", report.arousal)
    if (valence is None) != (arousal is None):
        missing = "arousal" if arousal is None else "valence"
        raise InputError(
            "a mood point needs both valence and arousal", field=missing, allowed="[-1, 1]"
        )
    if len(report.words) > MAX_WORDS:
        raise InputError(
            f"{len(report.words)} feeling words", field="words", allowed=f"at most {MAX_WORDS}"
        )
    words: list[str] = []
    points = []
    if report.words:
        from moodtune.mood.space import parse_mood

        for raw in report.words:
            word = re.sub(r"[\s_-]+", " ", str(raw).strip().lower())
            point = parse_mood(word)  # raises InputError listing the known words
            words.append(word)
            points.append(point)
    if valence is None and points:
        valence = round(sum(p.valence for p in points) / len(points), 4)
        arousal = round(sum(p.arousal for p in points) / len(points), 4)
    if valence is None and not words:
        raise InputError(
            "a check-in needs a mood: feeling words or valence and arousal",
            field="mood",
            allowed="a feeling word (e.g. 'calm') or 'valence,arousal' in [-1, 1]",
        )
    return valence, arousal, tuple(words)


def _check_country(country: str | None) -> str | None:
    if country is None or not country.strip():
        return None
    return check_country_code(country)


def _profile_dict(profile: Profile | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if profile is None:
        return None
    from moodtune.survey.schema import Profile, profile_from_mapping

    if isinstance(profile, Profile):
        return profile.model_dump(mode="json")
    if not isinstance(profile, Mapping):
        raise InputError(
            "a profile must be a JSON object", field="profile", value=type(profile).__name__
        )
    return profile_from_mapping(profile, source="profile").model_dump(mode="json")


def _profile_scores(listener: ListenerRecord) -> tuple[float | None, float | None]:
    profile = listener.profile or {}
    return profile.get("depression"), profile.get("anxiety")


# -- listeners ---------------------------------------------------------------------------------


def resolve_listener(conn: Connection, ref: str) -> ListenerRecord:
    if not isinstance(ref, str) or not ref.strip():
        raise InputError("a listener id or name is needed", field="listener", value=ref)
    found = repo.get_listener(conn, ref.strip())
    if found is not None:
        return found
    named = repo.find_listeners_by_name(conn, ref.strip())
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise InputError(
            f"{len(named)} listeners are named {ref!r}",
            field="listener",
            value=ref,
            allowed="one of their ids: " + ", ".join(r.id for r in named),
        )
    raise NotFoundError(
        "unknown listener",
        field="listener",
        value=ref,
        allowed="a listener's id or display name",
    )


def create_listener(
    engine: Engine,
    *,
    profile: Profile | Mapping[str, Any] | None = None,
    goals: Sequence[str] = (),
    display_name: str | None = None,
    country: str | None = None,
    consent_storage: bool = True,
    consent_notes: bool = False,
    consent_learning: bool = True,
    at: datetime | None = None,
) -> ListenerRecord:
    """Store a new listener; returns the record with its new id.

    ``consent_storage`` must be True: moodtune stores nothing about a person without it.
    Notes are kept only when ``consent_notes`` is given (opt-in); feedback personalises
    suggestions unless ``consent_learning`` is False. ``set_consent`` changes both later.
    A display name already used by another listener is refused (commands accept the name in
    place of the id); the check runs inside the write transaction, under a lock on PostgreSQL.
    """
    if not consent_storage:
        raise InputError(
            "moodtune keeps a listener's data only with their consent to local storage",
            field="consent_storage",
            value=False,
            allowed="True",
        )
    if display_name is not None and not display_name.strip():
        raise InputError(
            "a name cannot be empty", field="display_name", value=display_name,
            allowed="some text, or no name at all",
        )  # fmt: skip
    profile_json = _profile_dict(profile)
    checked_goals = tuple(dict.fromkeys(_check_goal(g) for g in goals))
    name = display_name.strip() if display_name else None
    if name is not None and len(name) > 200:
        raise InputError("name is too long", field="display_name", allowed="at most 200 characters")
    now = _now(at)
    record = ListenerRecord(
        id=uuid.uuid4().hex,
        display_name=name or None,
        profile=profile_json,
        goals=checked_goals,
        consent_storage=True,
        consent_notes=bool(consent_notes),
        consent_learning=bool(consent_learning),
        country=_check_country(country),
        created_at=now,
        updated_at=now,
    )
    with write_transaction(engine) as conn:
        if record.display_name is not None:
            repo.lock_listener_names(conn)
            _refuse_taken_name(conn, record.display_name)
        repo.insert_listener(conn, record)
    return record


def _refuse_taken_name(conn: Connection, name: str) -> None:
    """A display name must stay unique: commands accept it in place of the id."""
    taken = repo.find_listeners_by_name(conn, name)
    if taken:
        raise InputError(
            f"a listener named {name!r} already exists (id {taken[0].id})",
            field="display_name",
            value=name,
            allowed=f"a name no other listener has (e.g. '{name} 2' or '{name} B'), or the "
            f"existing listener's id {taken[0].id}",
        )


def set_consent(
    engine: Engine,
    listener: str,
    *,
    keep_notes: bool | None = None,
    learning: bool | None = None,
    at: datetime | None = None,
) -> tuple[ListenerRecord, int]:
    """Change what the listener consents to; returns ``(updated record, notes erased)``.

    Withdrawing consent to notes erases the text of every note already stored (one
    transaction); the check-ins themselves stay. ``None`` leaves a flag as it is.
    """
    if keep_notes is None and learning is None:
        raise InputError(
            "nothing to change",
            field="consent",
            allowed="keep_notes and/or learning",
        )
    with write_transaction(engine) as conn:
        when = _now(at)  # under the writer lock: see _now
        person = resolve_listener(conn, listener)
        updated = replace(
            person,
            consent_notes=person.consent_notes if keep_notes is None else bool(keep_notes),
            consent_learning=person.consent_learning if learning is None else bool(learning),
            updated_at=when,
        )
        repo.update_listener_consent(
            conn,
            person.id,
            consent_notes=updated.consent_notes,
            consent_learning=updated.consent_learning,
            at=when,
        )
        erased = 0 if updated.consent_notes else repo.clear_notes(conn, person.id)
    return updated, erased


def get_listener(engine: Engine, listener: str) -> ListenerRecord:
    """A listener by id (or by display name when that is unique); ``InputError`` if unknown."""
    with read_transaction(engine) as conn:
        return resolve_listener(conn, listener)


def listener_profile(listener: ListenerRecord) -> Profile | None:
    """The listener's survey profile as a validated ``Profile`` (None if they gave none)."""
    if listener.profile is None:
        return None
    from moodtune.survey.schema import profile_from_mapping

    return profile_from_mapping(listener.profile, source=f"listener {listener.id}")


def listener_risk(
    listener: ListenerRecord, *, note: str | None = None, settings: Settings | None = None
) -> RiskAssessment:
    """The risk screen for this listener's profile scores and an optional note."""
    depression, anxiety = _profile_scores(listener)
    return assess_risk(
        depression=depression,
        anxiety=anxiety,
        note=note,
        country=listener.country,
        settings=settings,
    )


# -- check-ins ---------------------------------------------------------------------------------


def record_checkin(
    engine: Engine,
    listener: str,
    mood: MoodReport,
    *,
    at: datetime | None = None,
    settings: Settings | None = None,
) -> CheckInResult:
    """Store a standalone mood check-in and screen its note."""
    valence, arousal, words = resolve_mood(mood)
    note = _check_note(mood.note)
    with write_transaction(engine) as conn:
        when = _now(at)  # under the writer lock: see _now
        person = resolve_listener(conn, listener)
        stored = repo.insert_checkin(
            conn,
            listener_id=person.id,
            kind="standalone",
            valence=valence,
            arousal=arousal,
            words=words,
            note=note if person.consent_notes else None,
            created_at=when,
        )
    risk = assess_risk(note=note, country=person.country, settings=settings)
    return CheckInResult(checkin=stored, risk=risk)


# -- sessions ----------------------------------------------------------------------------------


def _check_tracks(tracks: Iterable[OfferedTrack | SessionTrack]) -> list[SessionTrack]:
    checked: list[SessionTrack] = []
    for position, track in enumerate(tracks):
        where = f"tracks[{position}]"
        track_id = getattr(track, "track_id", None)
        if not isinstance(track_id, str) or not track_id.strip() or len(track_id) > 64:
            raise InputError(
                "track_id must be non-empty text",
                field=f"{where}.track_id",
                value=track_id,
                allowed="1-64 characters",
            )
        reason = getattr(track, "reason", None)
        if not isinstance(reason, str) or not reason.strip():
            raise InputError(
                "every offered track needs a reason shown to the listener",
                field=f"{where}.reason",
                value=reason,
            )
        planned_v = _check_axis(f"{where}.planned_valence", track.planned_valence)
        planned_a = _check_axis(f"{where}.planned_arousal", track.planned_arousal)
        checked.append(
            SessionTrack(
                position=position,
                track_id=track_id.strip(),
                reason=reason.strip(),
                name=track.name,
                artists=track.artists,
                genre=track.genre,
                mood=track.mood,
                planned_valence=planned_v,
                planned_arousal=planned_a,
            )
        )
    if not checked:
        raise InputError("a session needs at least one track", field="tracks", value=0)
    return checked


def _target_for(goal: str, valence: float, arousal: float) -> tuple[float, float]:
    from moodtune.mood.goals import target
    from moodtune.mood.space import MoodPoint

    point = target(goal, MoodPoint(valence, arousal))
    return (point.valence, point.arousal)


def start_session(
    engine: Engine,
    listener: str,
    *,
    goal: str,
    before: MoodReport,
    tracks: Iterable[OfferedTrack | SessionTrack],
    model_version: str,
    target: tuple[float, float] | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
    settings: Settings | None = None,
) -> StartedSession:
    """Record a session: the before check-in, the goal, the offered tracks and the model version.

    All of it is one transaction. ``target`` is the mood the journey aims at (default: from
    ``moodtune.mood.goals.target``). The risk screen covers the listener's survey scores and
    the before note; when it fires the caller must show its message with the tracks.
    """
    goal = _check_goal(goal)
    valence, arousal, words = resolve_mood(before)
    if valence is None or arousal is None:
        raise InputError("the before check-in needs a mood point", field="before")
    note = _check_note(before.note)
    offered = _check_tracks(tracks)
    if not isinstance(model_version, str) or not model_version.strip():
        raise InputError(
            "model_version must name the model that chose the tracks", field="model_version"
        )
    if target is None:
        target = _target_for(goal, valence, arousal)
    else:
        target = (
            _check_axis("target.valence", target[0]) or 0.0,
            _check_axis("target.arousal", target[1]) or 0.0,
        )
    with write_transaction(engine) as conn:
        when = _now(at)  # under the writer lock: see _now
        person = resolve_listener(conn, listener)
        risk = listener_risk(person, note=note, settings=settings)
        session = SessionRecord(
            id=uuid.uuid4().hex,
            listener_id=person.id,
            goal=goal,
            target_valence=None if target is None else target[0],
            target_arousal=None if target is None else target[1],
            model_version=model_version.strip()[:200],
            details=dict(details) if details else None,
            safety_message_shown=risk.at_risk,
            started_at=when,
            finished_at=None,
            tracks=tuple(offered),
        )
        repo.insert_session(conn, session)
        stored_before = repo.insert_checkin(
            conn,
            listener_id=person.id,
            session_id=session.id,
            kind="before",
            valence=valence,
            arousal=arousal,
            words=words,
            note=note if person.consent_notes else None,
            created_at=when,
        )
        repo.insert_session_tracks(conn, session.id, offered)
    return StartedSession(session=session, before=stored_before, risk=risk)


def get_session(
    engine: Engine, session_id: str, *, listener_id: str | None = None
) -> SessionRecord:
    """A session with its tracks; ``NotFoundError`` if unknown (or not ``listener_id``'s)."""
    with read_transaction(engine) as conn:
        return _require_session(conn, session_id, listener_id=listener_id)


def list_sessions(engine: Engine, listener_id: str) -> list[SessionRecord]:
    """The listener's sessions, oldest first, with their tracks."""
    with read_transaction(engine) as conn:
        person = resolve_listener(conn, listener_id)
        return repo.list_sessions(conn, person.id)


def list_checkins(engine: Engine, listener_id: str) -> list[CheckInRecord]:
    """The listener's check-ins, oldest first."""
    with read_transaction(engine) as conn:
        person = resolve_listener(conn, listener_id)
        return repo.list_checkins(conn, person.id)


def checkins_page(
    engine: Engine, listener_id: str, *, offset: int = 0, limit: int = 20
) -> tuple[list[CheckInRecord], int]:
    """One page of the listener's check-ins, newest first, and how many there are."""
    with read_transaction(engine) as conn:
        person = resolve_listener(conn, listener_id)
        page = repo.list_checkins(conn, person.id, newest_first=True, offset=offset, limit=limit)
        return page, repo.count_checkins(conn, person.id)


def list_feedback(engine: Engine, session_id: str, *, listener_id: str) -> list[FeedbackRecord]:
    """The feedback given in one of the listener's sessions."""
    with read_transaction(engine) as conn:
        session = _require_session(conn, session_id, listener_id=listener_id)
        return repo.list_feedback(conn, listener_id=listener_id, session_id=session.id)


def update_profile(
    engine: Engine,
    listener: str,
    profile: Profile | Mapping[str, Any] | None,
    *,
    display_name: str | None = None,
    country: str | None = None,
    at: datetime | None = None,
) -> ListenerRecord:
    """Replace the listener's survey profile (the survey can be completed later)."""
    profile_json = _profile_dict(profile)
    name = display_name.strip() if display_name else None
    if name is not None and len(name) > 200:
        raise InputError("name is too long", field="display_name", allowed="at most 200 characters")
    checked_country = _check_country(country)
    with write_transaction(engine) as conn:
        when = _now(at)  # under the writer lock: see _now
        person = resolve_listener(conn, listener)
        if name is not None and name != person.display_name:
            repo.lock_listener_names(conn)
            _refuse_taken_name(conn, name)
        updated = replace(
            person,
            profile=profile_json,
            display_name=name if name is not None else person.display_name,
            country=checked_country if country is not None else person.country,
            updated_at=when,
        )
        repo.update_listener_profile(
            conn,
            person.id,
            profile=updated.profile,
            display_name=updated.display_name,
            country=updated.country,
            at=when,
        )
    return updated


def replace_session_track(
    engine: Engine,
    session_id: str,
    position: int,
    track: OfferedTrack,
    *,
    listener_id: str,
    at: datetime | None = None,
) -> SessionRecord:
    """Swap the track at ``position`` (0-based) of an open session for another one.

    Refused for a finished session and for a track that already has feedback (the answer
    belongs to the track that was heard). The swap is remembered in the session's details.
    """
    [checked] = _check_tracks([track])
    with write_transaction(engine) as conn:
        when = _now(at)  # under the writer lock: see _now
        session = _require_session(conn, session_id, lock=True, listener_id=listener_id)
        if session.finished_at is not None:
            raise InputError(
                "a finished session's tracks cannot change", field="session", value=session_id
            )
        current = next((t for t in session.tracks if t.position == position), None)
        if current is None:
            raise NotFoundError(
                f"session has no track at position {position}",
                field="position",
                value=position,
                allowed=f"0-{len(session.tracks) - 1}",
            )
        if any(t.track_id == checked.track_id for t in session.tracks):
            raise InputError(
                "that track is already in this session",
                field="track_id",
                value=checked.track_id,
            )
        if repo.list_feedback(
            conn, listener_id=listener_id, session_id=session.id, position=position
        ):
            raise InputError(
                "this track already has your feedback, so it stays",
                field="position",
                value=position,
            )
        new = replace(checked, position=position)
        details = dict(session.details or {})
        swaps = list(details.get("swaps") or [])
        swaps.append(
            {"position": position, "from": current.track_id, "to": new.track_id, "at": when}
        )
        details["swaps"] = to_jsonable(swaps)
        repo.replace_session_track(conn, session.id, new, details=details)
    tracks = tuple(new if t.position == position else t for t in session.tracks)
    return replace(session, tracks=tracks, details=details)


def _require_session(
    conn: Connection, session_id: str, *, lock: bool = False, listener_id: str | None = None
) -> SessionRecord:
    """The session, or ``NotFoundError``; with ``listener_id``, only that listener's session.

    Another listener's session is reported exactly as a missing one (ownership check).
    """
    found = (
        repo.get_session(conn, session_id.strip(), lock=lock)
        if isinstance(session_id, str)
        else None
    )
    if found is None or (listener_id is not None and found.listener_id != listener_id):
        raise NotFoundError(
            "unknown session",
            field="session",
            value=session_id,
            allowed="the id of one of this listener's sessions",
        )
    return found


def _change(
    session: SessionRecord, before: CheckInRecord | None, after: CheckInRecord
) -> dict[str, float | None]:
    if before is None or before.valence is None or after.valence is None:
        return {"valence": None, "arousal": None, "progress": None}
    assert before.arousal is not None and after.arousal is not None
    return {
        "valence": round(after.valence - before.valence, 4),
        "arousal": round(after.arousal - before.arousal, 4),
        "progress": mood_progress(
            (before.valence, before.arousal),
            (after.valence, after.arousal),
            None
            if session.target_valence is None or session.target_arousal is None
            else (session.target_valence, session.target_arousal),
        ),
    }


def mood_progress(
    before: tuple[float, float], after: tuple[float, float], target: tuple[float, float] | None
) -> float:
    """How far a session moved the listener toward its target (positive = closer).

    The reduction in mood-plane distance to ``target``; without a target, the valence gain.
    Same definition as ``moodtune.recommend.feedback.mood_gain``.
    """
    if target is None:
        return round(after[0] - before[0], 4)
    dist_before = math.hypot(before[0] - target[0], before[1] - target[1])
    dist_after = math.hypot(after[0] - target[0], after[1] - target[1])
    return round(dist_before - dist_after, 4)


def finish_session(
    engine: Engine,
    session_id: str,
    after: MoodReport,
    *,
    listener_id: str | None = None,
    at: datetime | None = None,
    settings: Settings | None = None,
) -> FinishedSession:
    """Record the after check-in and end the session (one transaction)."""
    valence, arousal, words = resolve_mood(after)
    note = _check_note(after.note)
    with write_transaction(engine) as conn:
        when = _now(at)  # under the writer lock: see _now
        session = _require_session(conn, session_id, listener_id=listener_id)
        if session.finished_at is not None:
            raise InputError(
                f"session already finished at {session.finished_at.isoformat()}",
                field="session",
                value=session_id,
            )
        if when < session.started_at:
            raise InputError(
                "a session cannot finish before it started",
                field="at",
                value=when.isoformat(),
                allowed=f"after {session.started_at.isoformat()}",
            )
        person = resolve_listener(conn, session.listener_id)
        stored_after = repo.insert_checkin(
            conn,
            listener_id=person.id,
            session_id=session.id,
            kind="after",
            valence=valence,
            arousal=arousal,
            words=words,
            note=note if person.consent_notes else None,
            created_at=when,
        )
        if not repo.mark_session_finished(conn, session.id, when):  # lost a race: roll back
            raise InputError("session already finished", field="session", value=session_id)
        before = next(
            (
                c
                for c in repo.list_checkins(conn, person.id, session_id=session.id)
                if c.kind == "before"
            ),
            None,
        )
    finished = replace(session, finished_at=when)
    risk = assess_risk(note=note, country=person.country, settings=settings)
    return FinishedSession(
        session=finished,
        before=before,
        after=stored_after,
        risk=risk,
        change=_change(finished, before, stored_after),
    )


# -- feedback ----------------------------------------------------------------------------------


def _check_feedback_values(
    *,
    played: bool | None,
    skipped_after_s: float | None,
    thumbs: int | None,
    helped: bool | None,
) -> None:
    if played is None and skipped_after_s is None and thumbs is None and helped is None:
        raise InputError(
            "no feedback given",
            field="feedback",
            allowed="at least one of played, skipped_after_s, thumbs, helped",
        )
    if thumbs is not None and (isinstance(thumbs, bool) or thumbs not in (-1, 1)):
        raise InputError(
            "thumbs must be up (+1) or down (-1)", field="thumbs", value=thumbs, allowed="-1, 1"
        )
    if skipped_after_s is not None and (
        isinstance(skipped_after_s, bool)
        or not isinstance(skipped_after_s, int | float)
        or not math.isfinite(skipped_after_s)
        or skipped_after_s < 0
        or skipped_after_s > 24 * 3600
    ):
        raise InputError(
            "skipped_after_s must be the seconds listened before skipping",
            field="skipped_after_s",
            value=skipped_after_s,
            allowed="0 to 86400",
        )
    for name, value in (("played", played), ("helped", helped)):
        if value is not None and not isinstance(value, bool):
            raise InputError(f"{name} must be true or false", field=name, value=value)


def record_feedback(
    engine: Engine,
    session_id: str,
    track_id: str,
    *,
    position: int | None = None,
    played: bool | None = None,
    skipped_after_s: float | None = None,
    thumbs: int | None = None,
    helped: bool | None = None,
    listener_id: str | None = None,
    at: datetime | None = None,
) -> FeedbackRecord:
    """Record feedback on a track offered in an open session (answers accumulate per track).

    ``position`` (0-based, as stored; the CLI shows and takes it as a number from 1) is needed
    only when the session offered the same track twice. People often rate after listening, so
    feedback up to ``LATE_FEEDBACK_WINDOW`` after a session finished is kept, marked ``late``
    (the session's outcome, its after check-in, is already recorded); later answers are refused.
    The check holds the session row, so it cannot race ``finish_session``.
    """
    _check_feedback_values(
        played=played, skipped_after_s=skipped_after_s, thumbs=thumbs, helped=helped
    )
    with write_transaction(engine) as conn:
        when = _now(at)  # under the writer lock: see _now
        session = _require_session(conn, session_id, lock=True, listener_id=listener_id)
        late = session.finished_at is not None
        if session.finished_at is not None and when - session.finished_at > LATE_FEEDBACK_WINDOW:
            hours = LATE_FEEDBACK_WINDOW.total_seconds() / 3600
            raise InputError(
                f"session {session.id} finished at {session.finished_at:%Y-%m-%d %H:%M} UTC; "
                f"feedback is taken while a session is open and up to {hours:g} hours after",
                field="session",
                value=session_id,
                allowed=f"feedback within {hours:g} hours of finishing (start a new session to "
                "rate more tracks)",
            )
        matches = [t for t in session.tracks if t.track_id == track_id]
        if position is not None:
            matches = [t for t in matches if t.position == position]
        if not matches:
            # Tracks are named by their number as shown to the listener: position + 1.
            offered = ", ".join(f"#{t.position + 1} {t.track_id}" for t in session.tracks[:12])
            raise InputError(
                f"track {track_id!r} was not offered in session {session.id}"
                + (f" as track #{position + 1}" if position is not None else ""),
                field="track_id",
                value=track_id,
                allowed=f"a track it offered: {offered}"
                + (" ..." if len(session.tracks) > 12 else ""),
            )
        if len(matches) > 1:
            raise InputError(
                f"track {track_id!r} was offered {len(matches)} times in this session, as "
                + " and ".join(f"#{t.position + 1}" for t in matches),
                field="position",
                allowed="which one, by the number shown: "
                + " or ".join(str(t.position + 1) for t in matches)
                + " (position = number - 1)",
            )
        return repo.upsert_feedback(
            conn,
            listener_id=session.listener_id,
            session_id=session.id,
            position=matches[0].position,
            track_id=track_id,
            at=when,
            played=played,
            skipped_after_s=None if skipped_after_s is None else float(skipped_after_s),
            thumbs=thumbs,
            helped=helped,
            late=late,
        )


def learning_data(
    engine: Engine,
    listener: str,
    *,
    feedback_since: datetime | None = None,
    finished_since: datetime | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(feedback rows, finished-session outcome rows)`` for personalising, honouring consent.

    Sessions come in the order they finished (the order a learner observes them); unfinished
    ones teach a learner nothing and are left out. ``feedback_since`` / ``finished_since``
    keep only rows changed or finished at or after those times (an incremental update).
    A listener who switched learning off (``consent_learning=False``) gets two empty lists:
    their history is kept for them to see, but not used to adapt recommendations.
    """
    with read_transaction(engine) as conn:
        person = resolve_listener(conn, listener)
        return _learning_rows(conn, person, feedback_since, finished_since)


def learning_snapshot(
    engine: Engine,
    listener_id: str,
    *,
    feedback_since: datetime | None = None,
    finished_since: datetime | None = None,
) -> tuple[tuple[Any, ...] | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """:func:`learning_data` of the listener with id ``listener_id`` together with their
    ``repository.learning_version``, read in one transaction (one snapshot on SQLite), so an
    incremental update checks its counts against what it read, not against a version read
    before another worker's write. ``(None, [], [])`` when no listener has that id."""
    with read_transaction(engine) as conn:
        version = repo.learning_version(conn, listener_id)
        if version is None:
            return None, [], []
        person = resolve_listener(conn, listener_id)
        return (version, *_learning_rows(conn, person, feedback_since, finished_since))


def _learning_rows(
    conn: Connection,
    person: ListenerRecord,
    feedback_since: datetime | None,
    finished_since: datetime | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if not person.consent_learning:
        return [], []
    return (
        repo.feedback_rows(conn, listener_id=person.id, updated_since=feedback_since),
        repo.session_outcome_rows(
            conn, listener_id=person.id, finished_only=True, finished_since=finished_since
        ),
    )


# -- exported playlists ------------------------------------------------------------------------


def record_playlist_export(
    engine: Engine,
    listener: str,
    *,
    name: str,
    format: str,
    track_ids: Sequence[str],
    location: str | None = None,
    session_id: str | None = None,
    at: datetime | None = None,
) -> PlaylistExportRecord:
    """Remember that the listener exported a playlist (kept with their data; deleted with it)."""
    if not name or not name.strip():
        raise InputError("a playlist needs a name", field="name", value=name)
    if not format or not format.strip():
        raise InputError(
            "a playlist needs a format",
            field="format",
            value=format,
            allowed="m3u, csv, json, spotify",
        )
    ids = [str(t) for t in track_ids]
    if not ids:
        raise InputError("a playlist needs at least one track", field="track_ids", value=0)
    with write_transaction(engine) as conn:
        when = _now(at)  # under the writer lock: see _now
        person = resolve_listener(conn, listener)
        if session_id is not None:
            session = _require_session(conn, session_id)
            if session.listener_id != person.id:
                raise InputError(
                    "that session belongs to another listener", field="session_id", value=session_id
                )
        return repo.insert_playlist_export(
            conn,
            listener_id=person.id,
            name=name.strip(),
            format=format.strip().lower(),
            track_ids=ids,
            location=location,
            session_id=session_id,
            created_at=when,
        )


# -- export and delete -------------------------------------------------------------------------


def export_listener(engine: Engine, listener: str) -> dict[str, Any]:
    """Everything stored about the listener, table by table, as a JSON-ready dict."""
    from moodtune import __version__

    with read_transaction(engine) as conn:
        person = resolve_listener(conn, listener)
        tables = repo.listener_rows(conn, person.id)
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "moodtune_version": __version__,
        "exported_at": utcnow().isoformat(),
        "listener_id": person.id,
        "tables": {name: [to_jsonable(dict(row)) for row in rows] for name, rows in tables.items()},
    }


def delete_listener(engine: Engine, listener: str) -> dict[str, int]:
    """Delete everything stored about the listener; returns rows removed per table.

    On SQLite the write-ahead log is then checkpointed and truncated (waiting for concurrent
    readers, see ``store.checkpoint_wal``), and ``secure_delete`` has overwritten the freed
    pages, so the deleted text is gone from the files too. If a reader outlasts the wait, a
    warning on the ``moodtune.store`` logger says exactly what remains.
    """
    with write_transaction(engine) as conn:
        person = resolve_listener(conn, listener)
        counts = repo.delete_listener_rows(conn, person.id)
    from moodtune.sessions.history import forget_listener  # (history imports this module)

    forget_listener(person.id)
    if is_sqlite(engine):
        from moodtune.store.engine import checkpoint_wal, logger

        purge = checkpoint_wal(engine)
        if not purge.complete:
            logger.warning("moodtune: listener %s deleted, but %s", person.id, purge.remaining)
    return counts
