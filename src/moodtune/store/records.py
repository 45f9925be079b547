"""Plain, immutable rows as the repository functions return them (no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

__all__ = [
    "CheckInRecord",
    "FeedbackRecord",
    "HelpedAnswer",
    "ListenerRecord",
    "PlaylistExportRecord",
    "SessionRecord",
    "SessionTrack",
    "as_json_dict",
]


def as_json_dict(record: Any) -> dict[str, Any]:
    """A record as a JSON-ready dict (datetimes in ISO 8601 with offset, tuples as lists)."""
    out: dict[str, Any] = {}
    for key, value in asdict(record).items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out


@dataclass(frozen=True)
class ListenerRecord:
    """A listener: their survey profile (JSON of ``moodtune.survey.Profile``), goals and consent."""

    id: str
    display_name: str | None
    profile: dict[str, Any] | None
    goals: tuple[str, ...]
    consent_storage: bool
    consent_notes: bool
    consent_learning: bool
    country: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CheckInRecord:
    """One mood check-in: a point on the valence-arousal plane and/or feeling words."""

    id: int
    listener_id: str
    session_id: str | None
    kind: str
    valence: float | None
    arousal: float | None
    words: tuple[str, ...]
    note: str | None
    created_at: datetime


@dataclass(frozen=True)
class SessionTrack:
    """One track offered in a session, in play order, with why it was chosen."""

    position: int
    track_id: str
    reason: str
    name: str | None = None
    artists: str | None = None
    genre: str | None = None
    mood: str | None = None
    planned_valence: float | None = None
    planned_arousal: float | None = None


@dataclass(frozen=True)
class SessionRecord:
    """A listening session: the goal, the target mood and which model made the track list."""

    id: str
    listener_id: str
    goal: str
    target_valence: float | None
    target_arousal: float | None
    model_version: str
    details: dict[str, Any] | None
    safety_message_shown: bool
    started_at: datetime
    finished_at: datetime | None
    tracks: tuple[SessionTrack, ...] = field(default=())


@dataclass(frozen=True)
class FeedbackRecord:
    """What a listener said about one offered track (``None`` = not answered)."""

    id: int
    listener_id: str
    session_id: str
    position: int
    track_id: str
    played: bool | None
    skipped_after_s: float | None
    thumbs: int | None
    helped: bool | None
    created_at: datetime
    updated_at: datetime
    late: bool = False  #: given after the session finished (within the documented window)


class HelpedAnswer(NamedTuple):
    """A "this helped" answer on one offered track: all that what-helped summaries read."""

    session_id: str
    position: int
    helped: bool


@dataclass(frozen=True)
class PlaylistExportRecord:
    """A playlist the listener saved to a file or sent to a service."""

    id: int
    listener_id: str
    session_id: str | None
    name: str
    format: str
    location: str | None
    track_ids: tuple[str, ...]
    created_at: datetime
