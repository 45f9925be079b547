"""Listeners and their therapists: invitations, read-only views, suggestions, the access log.

A listener invites a therapist with a one-time code; once the therapist enters it, they see the
listener's history, journeys and check-ins read-only (note text only when the listener shares
notes), and may suggest a goal the listener can accept. Revoking deletes the link, so the next
request already gets 404. Every read of a listener's data by someone else is written to the
access log in the same transaction-free step before the data is returned (a read that is not
logged does not happen), and the listener sees it in Me and in their export.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from moodtune.app.credentials import keyed_hash, new_invite_code, normalise_invite_code
from moodtune.app.views import HistoryView, MoodView, SessionView, mood_view
from moodtune.config import Settings
from moodtune.errors import InputError, NotFoundError
from moodtune.store import accounts as store
from moodtune.store import read_transaction, write_transaction
from moodtune.store import repository as repo
from moodtune.store.tables import utcnow

if TYPE_CHECKING:
    from moodtune.app.services import Services

__all__ = [
    "INVITE_DAYS",
    "AccessView",
    "ClientSummary",
    "LinkView",
    "NewInvite",
    "SuggestionView",
    "TherapistCheckIn",
    "accept_invite",
    "access_log",
    "answer_suggestion",
    "client_checkins",
    "client_history",
    "client_name",
    "client_session",
    "client_summary",
    "invite_therapist",
    "linked_clients",
    "links_of",
    "revoke_link",
    "set_link_notes",
    "suggest",
    "suggestions_for",
]

INVITE_DAYS = 7.0
"""An invitation code works once, within this many days."""
GLANCE_DAYS = 28
"""Sessions per week at a glance are counted over this many recent days."""
JOURNEY_READ = "journey "
"""The access log's entry for one journey is this followed by the start of the journey's id."""
JOURNEY_ID_CHARS = 12
"""How much of the journey's id the entry keeps (a UUID's first 12 hex digits)."""


@dataclass(frozen=True)
class LinkView:
    """A listener ↔ therapist link (``accepted`` False: the code is not used yet)."""

    id: str
    listener_id: str
    listener_name: str | None
    therapist_name: str | None
    share_notes: bool
    accepted: bool
    created_at: datetime
    accepted_at: datetime | None
    code_expires_at: datetime | None


@dataclass(frozen=True)
class NewInvite:
    """An invitation just made: ``code`` is shown this once."""

    code: str
    link: LinkView


@dataclass(frozen=True)
class ClientSummary:
    """A therapist's listener at a glance."""

    listener_id: str
    name: str
    sessions: int
    finished: int
    mean_change: float | None  #: mean before→after progress toward the goal, finished sessions
    last_change: float | None
    last_checkin_at: datetime | None
    sessions_per_week: float  #: over the last ``GLANCE_DAYS`` days
    share_notes: bool


@dataclass(frozen=True)
class TherapistCheckIn:
    """A check-in as a linked therapist sees it (``note`` only when notes are shared)."""

    id: int
    kind: str
    created_at: datetime
    mood: MoodView | None
    note: str | None


@dataclass(frozen=True)
class SuggestionView:
    id: int
    goal: str
    goal_label: str
    tracks: int | None
    message: str | None
    state: str
    created_at: datetime
    answered_at: datetime | None
    therapist_name: str | None


@dataclass(frozen=True)
class AccessView:
    """One read of your data by someone else.

    ``what`` is the entry as logged (and exported); ``label`` says it as a person reads it (a
    journey by its goal and day, not by its id), and ``journey_id`` is that journey, if it is
    still there, for a link.
    """

    reader: str
    what: str
    at: datetime
    label: str
    journey_id: str | None = None


def _link_view(record: store.LinkRecord) -> LinkView:
    return LinkView(
        id=record.id, listener_id=record.listener_id, listener_name=record.listener_name,
        therapist_name=record.therapist_name, share_notes=record.share_notes,
        accepted=record.therapist_id is not None, created_at=record.created_at,
        accepted_at=record.accepted_at, code_expires_at=record.code_expires_at,
    )  # fmt: skip


def _name(conn: Connection, listener_id: str) -> str:
    account = store.get_account(conn, listener_id=listener_id)
    person = repo.get_listener(conn, listener_id)
    if person is not None and person.display_name:
        return person.display_name
    return account.username if account is not None else listener_id[:8]


# -- the listener's side -----------------------------------------------------------------------


def invite_therapist(
    engine: Engine, settings: Settings, listener_id: str, *, share_notes: bool = False
) -> NewInvite:
    """A one-time code the listener gives their therapist (valid ``INVITE_DAYS`` days)."""
    code = new_invite_code()
    now = utcnow()
    record = store.LinkRecord(
        id=uuid.uuid4().hex, listener_id=listener_id, therapist_id=None,
        share_notes=share_notes, created_at=now, accepted_at=None,
        code_expires_at=now + timedelta(days=INVITE_DAYS),
    )  # fmt: skip
    with write_transaction(engine) as conn:
        if repo.get_listener(conn, listener_id) is None:
            raise NotFoundError("unknown listener", field="listener", value=listener_id)
        store.insert_invite(
            conn, record, code_hash=keyed_hash(settings.secret_bytes(), "invite", code)
        )
        made = store.links_of_listener(conn, listener_id)
    return NewInvite(code=code, link=_link_view(next(r for r in made if r.id == record.id)))


def links_of(engine: Engine, listener_id: str) -> list[LinkView]:
    """The listener's invitations and therapists."""
    with read_transaction(engine) as conn:
        return [_link_view(r) for r in store.links_of_listener(conn, listener_id)]


def revoke_link(engine: Engine, listener_id: str, link_id: str) -> LinkView:
    """End a therapist's access (or withdraw an unused invitation) at once."""
    with write_transaction(engine) as conn:
        removed = store.delete_link(conn, listener_id, link_id)
    if removed is None:
        raise NotFoundError("no such therapist link", field="link_id", value=link_id)
    return _link_view(removed)


def set_link_notes(engine: Engine, listener_id: str, link_id: str, *, share_notes: bool) -> None:
    """Share your check-in notes with this therapist, or stop sharing them."""
    with write_transaction(engine) as conn:
        if not store.set_link_notes(conn, listener_id, link_id, share_notes):
            raise NotFoundError("no such therapist link", field="link_id", value=link_id)


def access_log(engine: Engine, listener_id: str) -> list[AccessView]:
    """Who read what of your data, newest first; a journey named by its goal and day."""
    with read_transaction(engine) as conn:
        records = store.list_access(conn, listener_id)
        journeys = (
            repo.session_goals(conn, listener_id)
            if any(r.what.startswith(JOURNEY_READ) for r in records)
            else []
        )
    by_start = {sid[:JOURNEY_ID_CHARS]: (sid, goal, at) for sid, goal, at in journeys}
    return [_access_view(r, by_start) for r in records]


def _access_view(
    record: store.AccessRecord, journeys: dict[str, tuple[str, str, datetime]]
) -> AccessView:
    """One entry, said for a person: "journey “Calm down”, 01 Dec 2026" instead of an id."""
    from moodtune.app.journeys import goal_label

    view = AccessView(reader=record.reader_name, what=record.what, at=record.at,
                      label=record.what)  # fmt: skip
    if not record.what.startswith(JOURNEY_READ):
        return view
    found = journeys.get(record.what.removeprefix(JOURNEY_READ))
    if found is None:  # a journey that is no longer there: no id to show either
        return replace(view, label="a journey")
    journey_id, goal, started_at = found
    label = f"journey “{goal_label(goal)}”, {started_at.strftime('%d %b %Y')}"
    return replace(view, label=label, journey_id=journey_id)


def _suggestion_view(record: store.SuggestionRecord) -> SuggestionView:
    from moodtune.app.journeys import goal_label

    return SuggestionView(
        id=record.id, goal=record.goal, goal_label=goal_label(record.goal), tracks=record.tracks,
        message=record.message, state=record.state, created_at=record.created_at,
        answered_at=record.answered_at, therapist_name=record.therapist_name,
    )  # fmt: skip


def suggestions_for(engine: Engine, listener_id: str) -> list[SuggestionView]:
    """Goals your therapists suggested, newest first."""
    with read_transaction(engine) as conn:
        return [_suggestion_view(s) for s in store.list_suggestions(conn, listener_id)]


def answer_suggestion(
    engine: Engine, listener_id: str, suggestion_id: int, *, accept: bool
) -> SuggestionView:
    """Accept (then start that journey from a check-in) or decline an open suggestion."""
    with write_transaction(engine) as conn:
        found = store.answer_suggestion(
            conn, listener_id, suggestion_id, "accepted" if accept else "declined", utcnow()
        )
    if found is None:
        raise NotFoundError("no open suggestion with this id", field="suggestion_id",
                            value=suggestion_id)  # fmt: skip
    return _suggestion_view(found)


# -- the therapist's side ----------------------------------------------------------------------


def accept_invite(engine: Engine, settings: Settings, therapist_id: str, code: str) -> LinkView:
    """Use a listener's invitation code: from now on you see their data read-only."""
    digest = keyed_hash(settings.secret_bytes(), "invite", normalise_invite_code(code))
    refused = InputError(
        "this invitation code is unknown, used or expired", field="code",
        allowed="the XXXX-XXXX-XXXX code a listener made on their Account page "
        f"(it works once, within {INVITE_DAYS:.0f} days)",
    )  # fmt: skip
    with write_transaction(engine) as conn:
        invite = store.find_invite(conn, digest)
        if invite is None or invite.code_expires_at is None or invite.code_expires_at <= utcnow():
            raise refused
        if invite.listener_id == therapist_id:
            raise InputError("this is your own invitation: give it to your therapist",
                             field="code")  # fmt: skip
        if store.get_link(conn, listener_id=invite.listener_id, therapist_id=therapist_id):
            store.delete_link(conn, invite.listener_id, invite.id)  # already linked: use it up
        elif not store.accept_invite(conn, invite.id, therapist_id, utcnow()):
            raise refused
        link = store.get_link(conn, listener_id=invite.listener_id, therapist_id=therapist_id)
    assert link is not None
    return _link_view(link)


def _linked(conn: Connection, therapist_id: str, listener_id: str) -> store.LinkRecord:
    """The accepted link, or 404 as for any listener who is not yours."""
    link = store.get_link(conn, listener_id=listener_id, therapist_id=therapist_id)
    if link is None:
        raise NotFoundError("unknown listener", field="listener", value=listener_id)
    return link


def _read(engine: Engine, therapist_id: str, listener_id: str, what: str) -> store.LinkRecord:
    """Check the link and log the read, in one transaction, before anything is read."""
    with write_transaction(engine) as conn:
        link = _linked(conn, therapist_id, listener_id)
        store.log_access(
            conn, listener_id=listener_id, reader_id=therapist_id,
            reader_name=_name(conn, therapist_id), what=what, at=utcnow(),
        )  # fmt: skip
    return link


def linked_clients(services: Services, therapist_id: str) -> list[ClientSummary]:
    """The therapist's listeners with progress at a glance (each one's read is logged)."""
    with read_transaction(services.engine) as conn:
        links = store.links_of_therapist(conn, therapist_id)
    return [client_summary(services, therapist_id, link.listener_id) for link in links]


def client_summary(services: Services, therapist_id: str, listener_id: str) -> ClientSummary:
    """One linked listener at a glance: sessions, before→after change, last check-in, pace."""
    from moodtune.sessions import listener_history

    link = _read(services.engine, therapist_id, listener_id, "progress at a glance")
    # the whole history (not the history page, which holds only its newest sessions)
    history = listener_history(services.engine, listener_id, checkins_limit=1)
    changes = [s.progress for s in history.sessions if s.finished and s.progress is not None]
    now = utcnow()
    recent = [s for s in history.sessions if now - s.started_at <= timedelta(days=GLANCE_DAYS)]
    with read_transaction(services.engine) as conn:
        name = _name(conn, listener_id)
    return ClientSummary(
        listener_id=listener_id, name=name, sessions=len(history.sessions),
        finished=len(changes),
        mean_change=round(sum(changes) / len(changes), 3) if changes else None,
        last_change=round(changes[-1], 3) if changes else None,
        last_checkin_at=history.checkins[-1].created_at if history.checkins else None,
        sessions_per_week=round(len(recent) / (GLANCE_DAYS / 7), 2),
        share_notes=link.share_notes,
    )  # fmt: skip


def client_name(engine: Engine, therapist_id: str, listener_id: str) -> str:
    """A linked listener's name (404 as for anyone else when not linked)."""
    with read_transaction(engine) as conn:
        _linked(conn, therapist_id, listener_id)
        return _name(conn, listener_id)


def client_history(
    services: Services, therapist_id: str, listener_id: str, *, tz: str | None = None
) -> HistoryView:
    """A linked listener's history, read-only (its days in the reader's zone ``tz``)."""
    from moodtune.app.listeners import history_view
    from moodtune.app.zones import time_zone

    time_zone(tz)  # a bad zone is refused before the read is logged
    _read(services.engine, therapist_id, listener_id, "history")
    return history_view(services, listener_id, tz=tz)


def client_session(
    services: Services, therapist_id: str, listener_id: str, session_id: str
) -> SessionView:
    """One journey of a linked listener, read-only."""
    from moodtune.app.journeys import session_view

    what = JOURNEY_READ + session_id[:JOURNEY_ID_CHARS]
    _read(services.engine, therapist_id, listener_id, what)
    return session_view(services, listener_id, session_id)


def client_checkins(
    services: Services, therapist_id: str, listener_id: str
) -> list[TherapistCheckIn]:
    """A linked listener's check-ins, newest first; note text only if they share notes."""
    link = _read(services.engine, therapist_id, listener_id, "check-ins")
    with read_transaction(services.engine) as conn:
        found = repo.list_checkins(conn, listener_id)
    return [
        TherapistCheckIn(
            id=c.id,
            kind=c.kind,
            created_at=c.created_at,
            mood=None
            if c.valence is None or c.arousal is None
            else mood_view(c.valence, c.arousal, tuple(c.words)),
            note=c.note if link.share_notes else None,
        )
        for c in reversed(found)
    ]


def suggest(
    engine: Engine,
    therapist_id: str,
    listener_id: str,
    *,
    goal: str,
    tracks: int | None = None,
    message: str | None = None,
) -> SuggestionView:
    """Suggest a goal (and a length) to a linked listener; they may accept or decline."""
    from moodtune.app.journeys import journey_length
    from moodtune.mood.goals import get_goal

    spec = get_goal(goal)
    if tracks is not None:
        journey_length(tracks=tracks, minutes=None)  # the journeys' own bounds
    from moodtune.app.accounts import check_text

    text = (
        check_text(message, field="message", max_chars=1000, multiline=True)
        if message and message.strip()
        else None
    )
    with write_transaction(engine) as conn:
        _linked(conn, therapist_id, listener_id)
        new_id = store.insert_suggestion(
            conn, listener_id=listener_id, therapist_id=therapist_id, goal=spec.goal.value,
            tracks=tracks, message=text, at=utcnow(),
        )  # fmt: skip
        made = [s for s in store.list_suggestions(conn, listener_id) if s.id == new_id]
    return _suggestion_view(made[0])
