"""Repository functions: all of moodtune's SQL lives here.

Every function takes an open ``Connection`` and runs inside the caller's transaction, so a
service can group several writes into one all-or-nothing unit (see
``moodtune.store.engine.write_transaction``). Functions validate nothing about meaning (the
service layer does); the database's own constraints are the last line of defence.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from moodtune.store.records import (
    CheckInRecord,
    FeedbackRecord,
    HelpedAnswer,
    ListenerRecord,
    PlaylistExportRecord,
    SessionRecord,
    SessionTrack,
    as_json_dict,
)
from moodtune.store.tables import (
    checkins,
    exported_playlists,
    feedback,
    listeners,
    listening_events,
    metadata,
    session_tracks,
    sessions,
    unmatched_listening,
)

__all__ = [
    "checkin_times",
    "clear_notes",
    "consenting_listening_rows",
    "count_checkins",
    "count_rows",
    "delete_listener_rows",
    "delete_unmatched_rows",
    "feedback_rows",
    "find_listeners_by_name",
    "get_listener",
    "get_session",
    "helped_answers",
    "insert_checkin",
    "insert_listener",
    "insert_listening_events",
    "insert_playlist_export",
    "insert_session",
    "insert_session_tracks",
    "insert_unmatched_listening",
    "list_checkins",
    "list_feedback",
    "list_listeners",
    "list_playlist_exports",
    "list_session_tracks",
    "list_sessions",
    "listener_rows",
    "listening_rows",
    "lock_listener_names",
    "mark_session_finished",
    "session_goals",
    "session_outcome_rows",
    "session_points",
    "unmatched_rows",
    "update_listener_consent",
    "upsert_feedback",
]


# The statements every journey runs (look up the listener, record the session, its check-ins
# and tracks, read it back) are built once, with bound parameters: building a statement and
# its cache key each call cost SQLAlchemy more than SQLite took to run it (the pattern of
# ``_feedback_upsert`` and ``_LEARNING_VERSION`` below).
_SELECT_LISTENER = sa.select(listeners).where(listeners.c.id == sa.bindparam("listener_id"))
_INSERT_CHECKIN = checkins.insert().returning(checkins.c.id)
_INSERT_SESSION = sessions.insert()
_INSERT_SESSION_TRACKS = session_tracks.insert()
_SELECT_SESSION = sa.select(sessions).where(sessions.c.id == sa.bindparam("session_id"))
_SELECT_SESSION_LOCKED = _SELECT_SESSION.with_for_update()
_SELECT_SESSION_TRACKS = (
    sa.select(session_tracks)
    .where(session_tracks.c.session_id == sa.bindparam("session_id"))
    .order_by(session_tracks.c.position)
)
_SELECT_SESSION_CHECKINS = sa.select(checkins).where(
    checkins.c.session_id == sa.bindparam("session_id")
)
_SELECT_SESSION_FEEDBACK = sa.select(feedback).where(
    feedback.c.session_id == sa.bindparam("session_id")
)
_SELECT_TRACK_FEEDBACK = _SELECT_SESSION_FEEDBACK.where(
    feedback.c.position == sa.bindparam("position")
)
_FINISH_SESSION = (
    sessions.update()
    .where(sessions.c.id == sa.bindparam("session_id"), sessions.c.finished_at.is_(None))
    .values(finished_at=sa.bindparam("at"))
)


# -- listeners ---------------------------------------------------------------------------------


def insert_listener(conn: Connection, record: ListenerRecord) -> None:
    """Add a listener row."""
    values = {
        "id": record.id,
        "display_name": record.display_name,
        "profile": record.profile,
        "goals": list(record.goals),
        "consent_storage": record.consent_storage,
        "consent_notes": record.consent_notes,
        "consent_learning": record.consent_learning,
        "country": record.country,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }
    conn.execute(listeners.insert().values(**values))


def _listener(row: sa.Row[Any]) -> ListenerRecord:
    return ListenerRecord(
        id=row.id,
        display_name=row.display_name,
        profile=row.profile,
        goals=tuple(row.goals or ()),
        consent_storage=bool(row.consent_storage),
        consent_notes=bool(row.consent_notes),
        consent_learning=bool(row.consent_learning),
        country=row.country,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def get_listener(conn: Connection, listener_id: str) -> ListenerRecord | None:
    """The listener with this id, or ``None``."""
    row = conn.execute(_SELECT_LISTENER, {"listener_id": listener_id}).first()
    return None if row is None else _listener(row)


def update_listener_consent(
    conn: Connection,
    listener_id: str,
    *,
    consent_notes: bool,
    consent_learning: bool,
    at: datetime,
) -> None:
    """Set the listener's consent flags."""
    conn.execute(
        listeners.update()
        .where(listeners.c.id == listener_id)
        .values(consent_notes=consent_notes, consent_learning=consent_learning, updated_at=at)
    )


def update_listener_profile(
    conn: Connection,
    listener_id: str,
    *,
    profile: dict[str, Any] | None,
    display_name: str | None,
    country: str | None,
    at: datetime,
) -> None:
    """Set the listener's survey profile, display name and country."""
    conn.execute(
        listeners.update()
        .where(listeners.c.id == listener_id)
        .values(profile=profile, display_name=display_name, country=country, updated_at=at)
    )


def clear_notes(conn: Connection, listener_id: str) -> int:
    """Erase the text of every note the listener's check-ins hold; returns how many."""
    result = conn.execute(
        checkins.update()
        .where(checkins.c.listener_id == listener_id, checkins.c.note.is_not(None))
        .values(note=None)
    )
    return int(result.rowcount)


_LISTENER_NAMES_LOCK = 0x6D74_6E61  # "mtna": any constant shared by every writer


def lock_listener_names(conn: Connection) -> None:
    """Serialise listener creation until this transaction ends (PostgreSQL advisory lock).

    Makes "is this display name free?" followed by the insert atomic across writers. SQLite
    needs nothing: a write transaction there already holds the database write lock.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LISTENER_NAMES_LOCK)))


def find_listeners_by_name(conn: Connection, name: str) -> list[ListenerRecord]:
    """Listeners whose display name is exactly ``name``."""
    rows = conn.execute(sa.select(listeners).where(listeners.c.display_name == name)).all()
    return [_listener(r) for r in rows]


def list_listeners(conn: Connection) -> list[ListenerRecord]:
    """Every listener, oldest first."""
    rows = conn.execute(sa.select(listeners).order_by(listeners.c.created_at, listeners.c.id))
    return [_listener(r) for r in rows]


# -- check-ins ---------------------------------------------------------------------------------


def insert_checkin(
    conn: Connection,
    *,
    listener_id: str,
    kind: str,
    valence: float | None,
    arousal: float | None,
    words: Sequence[str],
    note: str | None,
    created_at: datetime,
    session_id: str | None = None,
) -> CheckInRecord:
    """Add a mood check-in and return it with its id."""
    record = CheckInRecord(
        id=0,
        listener_id=listener_id,
        session_id=session_id,
        kind=kind,
        valence=valence,
        arousal=arousal,
        words=tuple(words),
        note=note,
        created_at=created_at,
    )
    values = {
        "listener_id": listener_id,
        "session_id": session_id,
        "kind": kind,
        "valence": valence,
        "arousal": arousal,
        "words": list(record.words),
        "note": note,
        "created_at": created_at,
    }
    new_id = conn.execute(_INSERT_CHECKIN, values).scalar_one()
    return replace(record, id=int(new_id))


def _checkin(row: sa.Row[Any]) -> CheckInRecord:
    return CheckInRecord(
        id=row.id,
        listener_id=row.listener_id,
        session_id=row.session_id,
        kind=row.kind,
        valence=row.valence,
        arousal=row.arousal,
        words=tuple(row.words or ()),
        note=row.note,
        created_at=row.created_at,
    )


def list_checkins(
    conn: Connection,
    listener_id: str,
    *,
    session_id: str | None = None,
    newest_first: bool = False,
    offset: int = 0,
    limit: int | None = None,
) -> list[CheckInRecord]:
    """A listener's check-ins in time order (optionally only one session's, or one page)."""
    if session_id is not None:
        # found by the (session_id, kind) index and sorted here: with the listener in the WHERE
        # or an ORDER BY on created_at, SQLite walks every check-in the listener ever made
        rows = conn.execute(_SELECT_SESSION_CHECKINS, {"session_id": session_id}).all()
        found = sorted(
            (r for r in rows if r.listener_id == listener_id),
            key=lambda r: (r.created_at, r.id),
            reverse=newest_first,
        )
        end = None if limit is None else offset + limit
        return [_checkin(r) for r in found[offset:end]]
    query = sa.select(checkins).where(checkins.c.listener_id == listener_id)
    order = (checkins.c.created_at, checkins.c.id)
    query = query.order_by(*(c.desc() for c in order) if newest_first else order)
    if offset or limit is not None:
        query = query.offset(offset).limit(limit)
    return [_checkin(r) for r in conn.execute(query).all()]


def checkin_times(
    conn: Connection, listener_id: str, *, since: datetime | None = None
) -> list[datetime]:
    """When the listener checked in (at or after ``since``), oldest first: all that streaks
    count (one column)."""
    query = sa.select(checkins.c.created_at).where(checkins.c.listener_id == listener_id)
    if since is not None:
        query = query.where(checkins.c.created_at >= since)
    query = query.order_by(checkins.c.created_at, checkins.c.id)
    return list(conn.execute(query).scalars().all())


def session_points(
    conn: Connection, listener_id: str, *, session_ids: Collection[str] | None = None
) -> dict[tuple[str, str], tuple[float | None, float | None]]:
    """The before and after mood of each of the listener's sessions (or of ``session_ids``
    among them), by (session id, kind)."""
    query = sa.select(
        checkins.c.session_id, checkins.c.kind, checkins.c.valence, checkins.c.arousal
    ).where((checkins.c.listener_id == listener_id) & checkins.c.session_id.is_not(None))
    if session_ids is not None:
        if not session_ids:
            return {}
        if len(session_ids) <= _LABELS_BY_ID_MAX:
            query = query.where(checkins.c.session_id.in_(list(session_ids)))
        wanted = set(session_ids)
        return {(r[0], r[1]): (r[2], r[3]) for r in conn.execute(query).all() if r[0] in wanted}
    return {(r[0], r[1]): (r[2], r[3]) for r in conn.execute(query).all()}


def helped_answers(conn: Connection, listener_id: str) -> list[HelpedAnswer]:
    """The listener's "this helped" answers (yes or no), oldest first."""
    query = (
        sa.select(feedback.c.session_id, feedback.c.position, feedback.c.helped)
        .where((feedback.c.listener_id == listener_id) & feedback.c.helped.is_not(None))
        .order_by(feedback.c.created_at, feedback.c.id)
    )
    return [HelpedAnswer(r[0], r[1], bool(r[2])) for r in conn.execute(query).all()]


def count_checkins(conn: Connection, listener_id: str) -> int:
    """How many check-ins the listener has."""
    return int(
        conn.execute(
            sa.select(sa.func.count()).where(checkins.c.listener_id == listener_id)
        ).scalar_one()
    )


# -- sessions ----------------------------------------------------------------------------------


def insert_session(conn: Connection, record: SessionRecord) -> None:
    """Add a session row (its tracks go in with ``insert_session_tracks``)."""
    conn.execute(
        _INSERT_SESSION,
        {
            "id": record.id,
            "listener_id": record.listener_id,
            "goal": record.goal,
            "target_valence": record.target_valence,
            "target_arousal": record.target_arousal,
            "model_version": record.model_version,
            "details": record.details,
            "safety_message_shown": record.safety_message_shown,
            "started_at": record.started_at,
            "finished_at": record.finished_at,
        },
    )


def insert_session_tracks(
    conn: Connection, session_id: str, tracks: Iterable[SessionTrack]
) -> None:
    """Add the offered tracks of a session."""
    rows = [
        {
            "session_id": session_id,
            "position": t.position,
            "track_id": t.track_id,
            "name": t.name,
            "artists": t.artists,
            "genre": t.genre,
            "mood": t.mood,
            "planned_valence": t.planned_valence,
            "planned_arousal": t.planned_arousal,
            "reason": t.reason,
        }
        for t in tracks
    ]
    if rows:
        conn.execute(_INSERT_SESSION_TRACKS, rows)


def replace_session_track(
    conn: Connection, session_id: str, track: SessionTrack, *, details: dict[str, Any] | None
) -> None:
    """Put ``track`` at its position of the session (a swap) and store the session's details."""
    conn.execute(
        session_tracks.update()
        .where(
            (session_tracks.c.session_id == session_id)
            & (session_tracks.c.position == track.position)
        )
        .values(
            track_id=track.track_id,
            name=track.name,
            artists=track.artists,
            genre=track.genre,
            mood=track.mood,
            planned_valence=track.planned_valence,
            planned_arousal=track.planned_arousal,
            reason=track.reason,
        )
    )
    conn.execute(sessions.update().where(sessions.c.id == session_id).values(details=details))


def list_session_tracks(conn: Connection, session_id: str) -> list[SessionTrack]:
    """A session's offered tracks in play order."""
    rows = conn.execute(_SELECT_SESSION_TRACKS, {"session_id": session_id})
    return [
        SessionTrack(
            position=r.position,
            track_id=r.track_id,
            reason=r.reason,
            name=r.name,
            artists=r.artists,
            genre=r.genre,
            mood=r.mood,
            planned_valence=r.planned_valence,
            planned_arousal=r.planned_arousal,
        )
        for r in rows
    ]


def _session(
    row: sa.Row[Any], tracks: Sequence[SessionTrack] = (), *, with_details: bool = True
) -> SessionRecord:
    """A session row as its record; ``with_details`` False for a read without that column
    (asked once per read: a row's ``_fields`` is rebuilt on every access)."""
    return SessionRecord(
        id=row.id,
        listener_id=row.listener_id,
        goal=row.goal,
        target_valence=row.target_valence,
        target_arousal=row.target_arousal,
        model_version=row.model_version,
        details=row.details if with_details else None,
        safety_message_shown=bool(row.safety_message_shown),
        started_at=row.started_at,
        finished_at=row.finished_at,
        tracks=tuple(tracks),
    )


def get_session(conn: Connection, session_id: str, *, lock: bool = False) -> SessionRecord | None:
    """The session with its tracks, or ``None``.

    ``lock`` holds the session row until the transaction ends (``SELECT ... FOR UPDATE`` on
    PostgreSQL; a SQLite write transaction already holds the whole database), so a check of
    ``finished_at`` stays true while the caller writes.
    """
    query = _SELECT_SESSION_LOCKED if lock else _SELECT_SESSION
    row = conn.execute(query, {"session_id": session_id}).first()
    if row is None:
        return None
    return _session(row, list_session_tracks(conn, session_id))


_SELECT_SESSION_STATES = (
    sa.select(sessions.c.id, sessions.c.finished_at.is_not(None))
    .where(sessions.c.listener_id == sa.bindparam("listener_id"))
    .order_by(sessions.c.started_at, sessions.c.id)
)


def session_states(conn: Connection, listener_id: str) -> list[tuple[str, bool]]:
    """``(id, finished)`` of each of a listener's sessions, oldest first: two narrow columns
    (no timestamps to convert), what a history that keeps finished sessions reads first."""
    rows = conn.execute(_SELECT_SESSION_STATES, {"listener_id": listener_id}).all()
    return [(r[0], bool(r[1])) for r in rows]


def list_sessions(
    conn: Connection,
    listener_id: str,
    *,
    finished_only: bool = False,
    finished_since: datetime | None = None,
    labels_only: bool = False,
    session_ids: Collection[str] | None = None,
) -> list[SessionRecord]:
    """A listener's sessions, oldest first, each with its tracks.

    ``finished_only`` keeps finished sessions, in the order they finished (the order a learner
    observes them); ``finished_since`` further keeps those finished at or after that time.
    ``labels_only`` is the light read behind summaries (history, what helped): each session
    without its ``details`` and each track with only its position, id, genre and mood.
    ``session_ids`` keeps only those of the listener's sessions (a history that keeps the
    finished ones reads only the rest).
    """
    if finished_since is not None and not labels_only and session_ids is None:
        # what a learner update asks at every journey start: a statement built once
        rows = conn.execute(
            _SELECT_FINISHED_SINCE, {"listener_id": listener_id, "since": finished_since}
        ).all()
        return _with_tracks(conn, rows)
    columns = [c for c in sessions.c if not (labels_only and c.name == "details")]
    query = sa.select(*columns).where(sessions.c.listener_id == listener_id)
    wanted = None if session_ids is None else set(session_ids)
    if wanted is not None:
        if not wanted:
            return []
        if len(wanted) <= _LABELS_BY_ID_MAX:
            query = query.where(sessions.c.id.in_(list(wanted)))
    if finished_only or finished_since is not None:
        query = query.where(sessions.c.finished_at.is_not(None))
        if finished_since is not None:
            query = query.where(sessions.c.finished_at >= finished_since)
        query = query.order_by(sessions.c.finished_at, sessions.c.id)
    else:
        query = query.order_by(sessions.c.started_at, sessions.c.id)
    rows = conn.execute(query).all()
    if wanted is not None and len(wanted) > _LABELS_BY_ID_MAX:
        rows = [r for r in rows if r.id in wanted]
    if labels_only:
        labels = _track_labels(conn, listener_id, [r.id for r in rows])
        return [_session(r, labels.get(r.id, ()), with_details=False) for r in rows]
    return _with_tracks(conn, rows)


_SELECT_FINISHED_SINCE = (
    sa.select(sessions)
    .where(
        (sessions.c.listener_id == sa.bindparam("listener_id"))
        & sessions.c.finished_at.is_not(None)
        & (sessions.c.finished_at >= sa.bindparam("since"))
    )
    .order_by(sessions.c.finished_at, sessions.c.id)
)
_SELECT_TRACKS_OF = (
    sa.select(session_tracks)
    .where(session_tracks.c.session_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(session_tracks.c.session_id, session_tracks.c.position)
)


def _with_tracks(conn: Connection, rows: Sequence[sa.Row[Any]]) -> list[SessionRecord]:
    """Session rows as records with all their tracks (one read of the tracks)."""
    by_session: dict[str, list[SessionTrack]] = {r.id: [] for r in rows}
    if by_session:
        # one fetch: iterating a result fetches (slowly) row by row
        track_rows = conn.execute(_SELECT_TRACKS_OF, {"ids": list(by_session)}).all()
        for r in track_rows:
            by_session[r.session_id].append(
                SessionTrack(
                    position=r.position,
                    track_id=r.track_id,
                    reason=r.reason,
                    name=r.name,
                    artists=r.artists,
                    genre=r.genre,
                    mood=r.mood,
                    planned_valence=r.planned_valence,
                    planned_arousal=r.planned_arousal,
                )
            )
    return [_session(r, by_session[r.id]) for r in rows]


#: Above this many sessions, their track labels are read by listener rather than by id.
_LABELS_BY_ID_MAX = 500


def _track_labels(
    conn: Connection, listener_id: str, session_ids: list[str]
) -> dict[str, tuple[SessionTrack, ...]]:
    """Position, id, genre and mood of the tracks of ``session_ids`` (of one listener)."""
    if not session_ids:
        return {}
    tc = session_tracks.c
    query = sa.select(tc.session_id, tc.position, tc.track_id, tc.genre, tc.mood)
    if len(session_ids) <= _LABELS_BY_ID_MAX:
        query = query.where(tc.session_id.in_(session_ids))
    else:
        query = query.join(sessions, sessions.c.id == tc.session_id).where(
            sessions.c.listener_id == listener_id
        )
    wanted = set(session_ids)
    out: dict[str, list[SessionTrack]] = {}
    for session_id, position, track_id, genre, mood in conn.execute(
        query.order_by(tc.session_id, tc.position)
    ).all():
        if session_id in wanted:
            out.setdefault(session_id, []).append(
                SessionTrack(
                    position=position, track_id=track_id, reason="", genre=genre, mood=mood
                )
            )
    return {k: tuple(v) for k, v in out.items()}


def session_goals(conn: Connection, listener_id: str) -> list[tuple[str, str, datetime]]:
    """``(id, goal, started_at)`` of each of a listener's sessions, oldest first: the few columns
    that name a journey to a person (no details, no tracks)."""
    query = (
        sa.select(sessions.c.id, sessions.c.goal, sessions.c.started_at)
        .where(sessions.c.listener_id == listener_id)
        .order_by(sessions.c.started_at, sessions.c.id)
    )
    return [(r.id, r.goal, r.started_at) for r in conn.execute(query).all()]


def mark_session_finished(conn: Connection, session_id: str, at: datetime) -> bool:
    """Set ``finished_at`` unless already set; ``False`` when it was already finished."""
    result = conn.execute(_FINISH_SESSION, {"session_id": session_id, "at": at})
    return result.rowcount == 1


# -- feedback ----------------------------------------------------------------------------------

_FEEDBACK_FIELDS = ("played", "skipped_after_s", "thumbs", "helped")


def _feedback(row: sa.Row[Any]) -> FeedbackRecord:
    return FeedbackRecord(
        id=row.id,
        listener_id=row.listener_id,
        session_id=row.session_id,
        position=row.position,
        track_id=row.track_id,
        played=None if row.played is None else bool(row.played),
        skipped_after_s=row.skipped_after_s,
        thumbs=row.thumbs,
        helped=None if row.helped is None else bool(row.helped),
        created_at=row.created_at,
        updated_at=row.updated_at,
        late=bool(row.late),
    )


def upsert_feedback(
    conn: Connection,
    *,
    listener_id: str,
    session_id: str,
    position: int,
    track_id: str,
    at: datetime,
    played: bool | None = None,
    skipped_after_s: float | None = None,
    thumbs: int | None = None,
    helped: bool | None = None,
    late: bool = False,
) -> FeedbackRecord:
    """Record feedback on an offered track; answers given earlier and not repeated are kept.

    ``late`` marks an answer given after the session finished (once late, always late).

    One atomic ``INSERT ... ON CONFLICT DO UPDATE``, so two writers answering about the same
    track at once cannot lose either answer's fields.
    """
    values = {
        "listener_id": listener_id,
        "session_id": session_id,
        "position": position,
        "track_id": track_id,
        "played": played,
        "skipped_after_s": skipped_after_s,
        "thumbs": thumbs,
        "helped": helped,
        "late": late,
        "created_at": at,
        "updated_at": at,
    }
    row = conn.execute(_feedback_upsert(conn.dialect.name), values).one()
    return _feedback(row)


_FEEDBACK_COLUMNS = (
    "listener_id", "session_id", "position", "track_id", *_FEEDBACK_FIELDS, "late",
    "created_at", "updated_at",
)  # fmt: skip


@functools.cache
def _feedback_upsert(dialect: str) -> Any:
    """The feedback upsert with bound parameters, built once per dialect (building it cost
    more than running it)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(feedback).values({name: sa.bindparam(name) for name in _FEEDBACK_COLUMNS})
    update: dict[str, Any] = {
        name: sa.func.coalesce(stmt.excluded[name], feedback.c[name]) for name in _FEEDBACK_FIELDS
    }
    update["updated_at"] = stmt.excluded.updated_at
    update["late"] = feedback.c.late | stmt.excluded.late
    stmt = stmt.on_conflict_do_update(index_elements=["session_id", "position"], set_=update)
    return stmt.returning(*feedback.c)


def list_feedback(
    conn: Connection,
    *,
    listener_id: str | None = None,
    session_id: str | None = None,
    position: int | None = None,
) -> list[FeedbackRecord]:
    """Feedback rows (for one listener, session and/or track position), oldest first."""
    if session_id is not None:
        # by the (session_id, position) index, filtered and sorted here (see list_checkins)
        query, params = (
            (_SELECT_SESSION_FEEDBACK, {"session_id": session_id})
            if position is None
            else (_SELECT_TRACK_FEEDBACK, {"session_id": session_id, "position": position})
        )
        found = [
            r
            for r in conn.execute(query, params).all()
            if listener_id is None or r.listener_id == listener_id
        ]
        return [_feedback(r) for r in sorted(found, key=lambda r: (r.created_at, r.id))]
    query = sa.select(feedback)
    if listener_id is not None:
        query = query.where(feedback.c.listener_id == listener_id)
    if position is not None:
        query = query.where(feedback.c.position == position)
    rows = conn.execute(query.order_by(feedback.c.created_at, feedback.c.id)).all()
    return [_feedback(r) for r in rows]


def _learning_version_query() -> sa.Select[Any]:
    """The statement behind ``learning_version``, built once: building it (three subqueries)
    cost more than running it, and a journey start asks it every time."""
    who = sa.bindparam("listener_id", type_=sa.String())
    answers = (
        sa.select(sa.func.count().label("n"), sa.func.max(feedback.c.updated_at).label("at"))
        .where(feedback.c.listener_id == who)
        .subquery()
    )
    finished = (
        sa.select(sa.func.count().label("n"), sa.func.max(sessions.c.finished_at).label("at"))
        .where((sessions.c.listener_id == who) & sessions.c.finished_at.is_not(None))
        .subquery()
    )
    listened = (
        sa.select(
            sa.func.count().label("n"), sa.func.max(listening_events.c.imported_at).label("at")
        )
        .where(listening_events.c.listener_id == who)
        .subquery()
    )
    # one round trip
    return (
        sa.select(
            listeners.c.consent_learning,
            answers.c.n,
            answers.c.at,
            finished.c.n,
            finished.c.at,
            listened.c.n,
            listened.c.at,
        )
        .select_from(
            listeners.join(answers, sa.true()).join(finished, sa.true()).join(listened, sa.true())
        )
        .where(listeners.c.id == who)
    )


_LEARNING_VERSION = _learning_version_query()


def learning_version(conn: Connection, listener_id: str) -> tuple[Any, ...] | None:
    """What the learner of ``listener_id`` rests on, in a few numbers (None: no such listener).

    Consent to learning, the count and latest change of their feedback, the count and latest
    end of their finished sessions, and the count and latest import of their listening
    events: when none of these moved, a learner fitted to their
    history is still the one a refit would give (unfinished sessions teach it nothing).
    """
    row = conn.execute(_LEARNING_VERSION, {"listener_id": listener_id}).first()
    if row is None:
        return None
    return (bool(row[0]), int(row[1]), row[2], int(row[3]), row[4], int(row[5]), row[6])


def feedback_rows(
    conn: Connection,
    *,
    listener_id: str | None = None,
    updated_since: datetime | None = None,
) -> list[dict[str, Any]]:
    """Feedback as plain dicts with the columns of ``track_feedback`` plus the session's goal
    and the offered track's genre and mood (for ``recommend.feedback.feedback_from_frame``).

    ``updated_since`` keeps only answers given or changed at or after that time (what an
    incremental learner update reads).
    """
    if listener_id is not None and updated_since is not None:  # every journey start's update
        rows = conn.execute(
            _FEEDBACK_ROWS_SINCE, {"listener_id": listener_id, "since": updated_since}
        ).all()
        return [dict(r._mapping) for r in rows]
    query = _FEEDBACK_ROWS
    if listener_id is not None:
        query = query.where(feedback.c.listener_id == listener_id)
    if updated_since is not None:
        query = query.where(feedback.c.updated_at >= updated_since)
    return [dict(r._mapping) for r in conn.execute(query).all()]


_FEEDBACK_ROWS = (
    sa.select(*feedback.c, sessions.c.goal, session_tracks.c.genre, session_tracks.c.mood)
    .join(sessions, sessions.c.id == feedback.c.session_id)
    .join(
        session_tracks,
        (session_tracks.c.session_id == feedback.c.session_id)
        & (session_tracks.c.position == feedback.c.position),
    )
    .order_by(feedback.c.created_at, feedback.c.id)
)
_FEEDBACK_ROWS_SINCE = _FEEDBACK_ROWS.where(
    (feedback.c.listener_id == sa.bindparam("listener_id"))
    & (feedback.c.updated_at >= sa.bindparam("since"))
)
_SELECT_POINTS_OF = sa.select(
    checkins.c.session_id, checkins.c.kind, checkins.c.valence, checkins.c.arousal
).where(checkins.c.session_id.in_(sa.bindparam("ids", expanding=True)))


def session_outcome_rows(
    conn: Connection,
    *,
    listener_id: str | None = None,
    finished_only: bool = False,
    finished_since: datetime | None = None,
) -> list[dict[str, Any]]:
    """One dict per session: before/after points, goal, target, pace and track ids.

    Columns as ``recommend.feedback.sessions_from_frame`` reads them; ``pace`` comes from the
    session's ``details`` when the journey recorded it. Unfinished sessions have no after point.
    For one listener, ``finished_only`` / ``finished_since`` select as ``list_sessions`` does.
    """
    records = (
        list_sessions(conn, listener_id, finished_only=finished_only, finished_since=finished_since)
        if listener_id is not None
        else [
            s
            for lid in conn.execute(sa.select(listeners.c.id).order_by(listeners.c.id)).scalars()
            for s in list_sessions(conn, lid)
        ]
    )
    points: dict[tuple[str, str], tuple[float | None, float | None]] = {}
    ids = [s.id for s in records]
    if ids:
        for row in conn.execute(_SELECT_POINTS_OF, {"ids": ids}).all():
            points[(row.session_id, row.kind)] = (row.valence, row.arousal)
    out = []
    for s in records:
        before = points.get((s.id, "before"), (None, None))
        after = points.get((s.id, "after"), (None, None))
        pace = (s.details or {}).get("pace")
        out.append(
            {
                "session_id": s.id,
                "listener_id": s.listener_id,
                "goal": s.goal,
                "before_valence": before[0],
                "before_arousal": before[1],
                "after_valence": after[0],
                "after_arousal": after[1],
                "target_valence": s.target_valence,
                "target_arousal": s.target_arousal,
                "pace": pace if isinstance(pace, int | float) else None,
                "track_ids": [t.track_id for t in s.tracks],
                "model_version": s.model_version,
                "started_at": s.started_at,
                "finished_at": s.finished_at,
            }
        )
    return out


# -- exported playlists ------------------------------------------------------------------------


def insert_playlist_export(
    conn: Connection,
    *,
    listener_id: str,
    name: str,
    format: str,
    track_ids: Sequence[str],
    created_at: datetime,
    location: str | None = None,
    session_id: str | None = None,
) -> PlaylistExportRecord:
    """Remember that a playlist was exported."""
    record = PlaylistExportRecord(
        id=0,
        listener_id=listener_id,
        session_id=session_id,
        name=name,
        format=format,
        location=location,
        track_ids=tuple(track_ids),
        created_at=created_at,
    )
    values = {k: v for k, v in as_json_dict(record).items() if k != "id"}
    values["created_at"] = created_at
    new_id = conn.execute(
        exported_playlists.insert().values(**values).returning(exported_playlists.c.id)
    ).scalar_one()
    return replace(record, id=int(new_id))


def list_playlist_exports(conn: Connection, listener_id: str) -> list[PlaylistExportRecord]:
    """A listener's exported playlists, oldest first."""
    rows = conn.execute(
        sa.select(exported_playlists)
        .where(exported_playlists.c.listener_id == listener_id)
        .order_by(exported_playlists.c.created_at, exported_playlists.c.id)
    )
    return [
        PlaylistExportRecord(
            id=r.id,
            listener_id=r.listener_id,
            session_id=r.session_id,
            name=r.name,
            format=r.format,
            location=r.location,
            track_ids=tuple(r.track_ids or ()),
            created_at=r.created_at,
        )
        for r in rows
    ]


# -- imported listening ------------------------------------------------------------------------


def insert_listening_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``listening_events`` rows; rows whose ``(listener_id, fingerprint)`` is already
    stored are left out. Returns how many were new."""
    return _insert_new_by_fingerprint(conn, listening_events, rows)


def _insert_new_by_fingerprint(
    conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> int:
    """Insert rows of a table unique on ``(listener_id, fingerprint)``, skipping stored ones."""
    if not rows:
        return 0
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    added = 0
    # well under SQLite's bound-parameter limit (16 columns x 50 rows)
    size = max(1, 800 // len(rows[0]))
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        stmt = (
            insert(table)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=["listener_id", "fingerprint"])
            .returning(table.c.id)
        )
        added += len(conn.execute(stmt).all())  # rowcount is not reliable here on every driver
    return added


def insert_unmatched_listening(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``unmatched_listening`` rows ("mood unknown"); already stored ones are left out.
    Returns how many were new."""
    return _insert_new_by_fingerprint(conn, unmatched_listening, rows)


def unmatched_rows(conn: Connection, listener_id: str) -> list[dict[str, Any]]:
    """The listener's stored "mood unknown" plays, skips and likes, oldest first."""
    query = (
        sa.select(unmatched_listening)
        .where(unmatched_listening.c.listener_id == listener_id)
        .order_by(unmatched_listening.c.played_at, unmatched_listening.c.id)
    )
    return [dict(r._mapping) for r in conn.execute(query)]


def delete_unmatched_rows(conn: Connection, listener_id: str, ids: Sequence[int]) -> int:
    """Delete some of the listener's "mood unknown" rows (once they are placed in the catalog)."""
    deleted = 0
    for start in range(0, len(ids), 500):
        stmt = unmatched_listening.delete().where(
            unmatched_listening.c.listener_id == listener_id,
            unmatched_listening.c.id.in_(list(ids[start : start + 500])),
        )
        deleted += conn.execute(stmt).rowcount
    return deleted


def listening_rows(conn: Connection, *, listener_id: str | None = None) -> list[dict[str, Any]]:
    """Imported plays, skips and likes (oldest first) of one listener, or of everyone."""
    query = sa.select(
        listening_events.c.listener_id,
        listening_events.c.source,
        listening_events.c.kind,
        listening_events.c.track_id,
        listening_events.c.played_at,
        listening_events.c.ms_played,
    ).order_by(listening_events.c.played_at, listening_events.c.id)
    if listener_id is not None:
        query = query.where(listening_events.c.listener_id == listener_id)
    return [dict(r._mapping) for r in conn.execute(query)]


def consenting_listening_rows(conn: Connection) -> list[dict[str, Any]]:
    """``listening_rows`` of every listener who allows learning (the collaborative model's)."""
    allowed = set(
        conn.execute(sa.select(listeners.c.id).where(listeners.c.consent_learning)).scalars()
    )
    return [r for r in listening_rows(conn) if r["listener_id"] in allowed]


# -- whole-listener operations -----------------------------------------------------------------


def _listener_scoped_queries(listener_id: str) -> dict[str, sa.Select[Any]]:
    session_ids = sa.select(sessions.c.id).where(sessions.c.listener_id == listener_id)
    return {
        "listeners": sa.select(listeners).where(listeners.c.id == listener_id),
        "listening_sessions": sa.select(sessions)
        .where(sessions.c.listener_id == listener_id)
        .order_by(sessions.c.started_at, sessions.c.id),
        "session_tracks": sa.select(session_tracks)
        .where(session_tracks.c.session_id.in_(session_ids))
        .order_by(session_tracks.c.session_id, session_tracks.c.position),
        "mood_checkins": sa.select(checkins)
        .where(checkins.c.listener_id == listener_id)
        .order_by(checkins.c.created_at, checkins.c.id),
        "track_feedback": sa.select(feedback)
        .where(feedback.c.listener_id == listener_id)
        .order_by(feedback.c.created_at, feedback.c.id),
        "exported_playlists": sa.select(exported_playlists)
        .where(exported_playlists.c.listener_id == listener_id)
        .order_by(exported_playlists.c.created_at, exported_playlists.c.id),
        "listening_events": sa.select(listening_events)
        .where(listening_events.c.listener_id == listener_id)
        .order_by(listening_events.c.played_at, listening_events.c.id),
        "unmatched_listening": sa.select(unmatched_listening)
        .where(unmatched_listening.c.listener_id == listener_id)
        .order_by(unmatched_listening.c.played_at, unmatched_listening.c.id),
        **_account_scoped_queries(listener_id),
    }


#: Columns never exported: keyed hashes of secrets (they would only help someone guess them).
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "reset_token_hash", "code_hash"})
#: Tables that hold nobody's rows: failed sign-ins under keyed hashes, pruned after the window.
UNOWNED_TABLES = frozenset({"sign_in_failures"})


def _account_scoped_queries(listener_id: str) -> dict[str, sa.Select[Any]]:
    """The account tables (migration 0004), without secret hashes; links and suggestions where
    the listener is either side, the access log of reads of their data."""
    from moodtune.store import tables as t

    def public(table: sa.Table) -> list[sa.Column[Any]]:
        return [c for c in table.columns if c.name not in SECRET_COLUMNS]

    def either(table: sa.Table) -> sa.ColumnElement[bool]:
        return (table.c.listener_id == listener_id) | (table.c.therapist_id == listener_id)

    return {
        "accounts": sa.select(*public(t.accounts)).where(t.accounts.c.listener_id == listener_id),
        "auth_sessions": sa.select(*public(t.auth_sessions))
        .where(t.auth_sessions.c.listener_id == listener_id)
        .order_by(t.auth_sessions.c.created_at, t.auth_sessions.c.id),
        "api_tokens": sa.select(*public(t.api_tokens))
        .where(t.api_tokens.c.listener_id == listener_id)
        .order_by(t.api_tokens.c.created_at, t.api_tokens.c.id),
        "therapist_links": sa.select(*public(t.therapist_links))
        .where(either(t.therapist_links))
        .order_by(t.therapist_links.c.created_at, t.therapist_links.c.id),
        "suggestions": sa.select(t.suggestions)
        .where(either(t.suggestions))
        .order_by(t.suggestions.c.created_at, t.suggestions.c.id),
        "access_log": sa.select(t.access_log)
        .where(t.access_log.c.listener_id == listener_id)
        .order_by(t.access_log.c.at, t.access_log.c.id),
    }


def listener_rows(conn: Connection, listener_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every stored row that belongs to the listener, table by table (for export)."""
    queries = _listener_scoped_queries(listener_id)
    missing = set(metadata.tables) - set(queries) - UNOWNED_TABLES
    assert not missing, f"export does not cover tables {sorted(missing)}"
    return {name: [dict(r._mapping) for r in conn.execute(q)] for name, q in queries.items()}


def delete_listener_rows(conn: Connection, listener_id: str) -> dict[str, int]:
    """Delete everything stored about the listener; returns rows deleted per table.

    Children go first, explicitly, rather than trusting ``ON DELETE CASCADE`` alone, so the
    counts are exact and a database with foreign keys switched off is cleaned just the same.
    """
    from moodtune.store import tables as t

    session_ids = sa.select(sessions.c.id).where(sessions.c.listener_id == listener_id)
    statements: list[tuple[str, sa.Delete]] = [
        ("access_log", t.access_log.delete().where(t.access_log.c.listener_id == listener_id)),
        (
            "suggestions",
            t.suggestions.delete().where(
                (t.suggestions.c.listener_id == listener_id)
                | (t.suggestions.c.therapist_id == listener_id)
            ),
        ),
        (
            "therapist_links",
            t.therapist_links.delete().where(
                (t.therapist_links.c.listener_id == listener_id)
                | (t.therapist_links.c.therapist_id == listener_id)
            ),
        ),
        ("api_tokens", t.api_tokens.delete().where(t.api_tokens.c.listener_id == listener_id)),
        (
            "auth_sessions",
            t.auth_sessions.delete().where(t.auth_sessions.c.listener_id == listener_id),
        ),
        ("accounts", t.accounts.delete().where(t.accounts.c.listener_id == listener_id)),
        ("track_feedback", feedback.delete().where(feedback.c.listener_id == listener_id)),
        ("mood_checkins", checkins.delete().where(checkins.c.listener_id == listener_id)),
        (
            "listening_events",
            listening_events.delete().where(listening_events.c.listener_id == listener_id),
        ),
        (
            "unmatched_listening",
            unmatched_listening.delete().where(unmatched_listening.c.listener_id == listener_id),
        ),
        (
            "exported_playlists",
            exported_playlists.delete().where(exported_playlists.c.listener_id == listener_id),
        ),
        (
            "session_tracks",
            session_tracks.delete().where(session_tracks.c.session_id.in_(session_ids)),
        ),
        ("listening_sessions", sessions.delete().where(sessions.c.listener_id == listener_id)),
        ("listeners", listeners.delete().where(listeners.c.id == listener_id)),
    ]
    # the reads this listener made of others' data stay in their logs, without the reader's id
    conn.execute(
        t.access_log.update().where(t.access_log.c.reader_id == listener_id).values(reader_id=None)
    )
    missing = set(metadata.tables) - {name for name, _ in statements} - UNOWNED_TABLES
    assert not missing, f"delete does not cover tables {sorted(missing)}"
    return {name: conn.execute(stmt).rowcount for name, stmt in statements}


def count_rows(conn: Connection) -> dict[str, int]:
    """Row counts of every moodtune table."""
    return {
        name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
        for name, table in metadata.tables.items()
    }
