"""Imported listening kept for a listener: matched plays, skips and likes, and "mood unknown".

The connectors (history exports, playlist files, Spotify) match what they read to the catalog;
this module stores the matched events in ``listening_events`` and the unmatched ones in
``unmatched_listening`` (never anything an export says about devices or places). Matched events
are read back for the learner and the collaborative model; unmatched ones only for the
listener's own "mood unknown" list, and are moved to ``listening_events`` once the catalog
holds them (``place_unknown_listening``) — they never reach a journey or the learner before.
Listening stored here is exported and deleted with the rest of the listener's data
(``export_listener`` / ``delete_listener`` cover every table).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from moodtune.catalog.identity import match_key
from moodtune.errors import InputError
from moodtune.sessions.service import _now, resolve_listener
from moodtune.store import repository as repo
from moodtune.store.engine import read_transaction, write_transaction
from moodtune.store.tables import LISTENING_KINDS

__all__ = [
    "ListeningEvent",
    "MoodUnknownTrack",
    "StoredListening",
    "UnknownListen",
    "consenting_listening_data",
    "listening_data",
    "mood_unknown_tracks",
    "place_unknown_listening",
    "record_listening",
    "unknown_listening",
]


@dataclass(frozen=True)
class ListeningEvent:
    """One matched play, skip or like, ready to store.

    ``played_at`` is None for likes without a time (a track on a playlist file); ``matched_by``
    is how the catalog track was found (``connectors.matching.MATCH_METHODS``).
    """

    source: str
    kind: str
    track_id: str
    matched_by: str
    played_at: datetime | None = None
    ms_played: int | None = None

    def __post_init__(self) -> None:
        _check_event(self.kind, self.played_at, self.ms_played)

    @property
    def fingerprint(self) -> str:
        """The same for the same event in any import, so importing a file twice adds nothing."""
        when = "" if self.played_at is None else self.played_at.isoformat()
        ms = "" if self.ms_played is None else str(self.ms_played)
        text = f"{self.source}|{self.kind}|{self.track_id}|{when}|{ms}"
        return hashlib.sha256(text.encode()).hexdigest()


def _check_event(kind: str, played_at: datetime | None, ms_played: int | None) -> None:
    if kind not in LISTENING_KINDS:
        raise InputError(
            "unknown listening kind", field="kind", value=kind, allowed=", ".join(LISTENING_KINDS)
        )
    if played_at is not None and played_at.tzinfo is None:
        raise InputError("played_at must include a timezone", field="played_at")
    if ms_played is not None and ms_played < 0:
        raise InputError("ms_played must not be negative", field="ms_played")


def _clip(text: str | None, size: int) -> str | None:
    value = (text or "").strip()
    return value[:size] or None


@dataclass(frozen=True)
class UnknownListen:
    """One play, skip or like of a track the catalog does not hold: its mood is unknown.

    Only what names the track is kept (title, artists, album, Spotify id, ISRC, duration) and
    why it did not match; an export's device and place fields never reach this class.
    """

    source: str
    kind: str
    reason: str
    title: str | None = None
    artists: str | None = None
    album: str | None = None
    spotify_id: str | None = None  #: the 22-character id (stored as a ``spotify:track:`` URI)
    isrc: str | None = None
    duration_ms: int | None = None
    played_at: datetime | None = None
    ms_played: int | None = None

    def __post_init__(self) -> None:
        _check_event(self.kind, self.played_at, self.ms_played)

    @property
    def track_key(self) -> str:
        """Groups the plays of one track: normalised artist + title (the catalog's own
        ``match_key``), else the Spotify id or ISRC."""
        if self.title and self.artists:
            text = "key|" + match_key(self.artists, self.title)
        elif self.spotify_id:
            text = "spotify|" + self.spotify_id
        elif self.isrc:
            text = "isrc|" + self.isrc.strip().upper()
        else:
            text = "name|" + (self.title or self.album or "")
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def fingerprint(self) -> str:
        """The same for the same play in any import, so importing a file twice adds nothing."""
        when = "" if self.played_at is None else self.played_at.isoformat()
        ms = "" if self.ms_played is None else str(self.ms_played)
        text = f"{self.source}|{self.kind}|{self.track_key}|{when}|{ms}"
        return hashlib.sha256(text.encode()).hexdigest()

    def row(self, listener_id: str, imported_at: datetime) -> dict[str, Any]:
        """The ``unmatched_listening`` row (text clipped to the column sizes)."""
        return {
            "listener_id": listener_id,
            "source": self.source,
            "kind": self.kind,
            "track_key": self.track_key,
            "title": _clip(self.title, 500),
            "artists": _clip(self.artists, 500),
            "album": _clip(self.album, 500),
            "spotify_uri": f"spotify:track:{self.spotify_id}" if self.spotify_id else None,
            "isrc": _clip(self.isrc, 16),
            "duration_ms": self.duration_ms,
            "reason": self.reason[:60],
            "played_at": self.played_at,
            "ms_played": self.ms_played,
            "fingerprint": self.fingerprint,
            "imported_at": imported_at,
        }


@dataclass(frozen=True)
class MoodUnknownTrack:
    """One track of the listener's "mood unknown" list, with how often they played it."""

    track_key: str
    title: str | None
    artists: str | None
    album: str | None
    spotify_uri: str | None
    isrc: str | None
    reason: str
    plays: int
    skips: int
    likes: int

    @property
    def label(self) -> str:
        if self.title and self.artists:
            return f"{self.artists} – {self.title}"
        return self.title or self.spotify_uri or self.isrc or "(no name)"

    @property
    def listens(self) -> int:
        return self.plays + self.skips + self.likes


@dataclass(frozen=True)
class StoredListening:
    """What storing did: events new to the database, and those it already held."""

    listener_id: str
    added: int
    already_stored: int
    repeated: int = 0  #: the same event more than once in this import (kept once)
    unknown_added: int = 0  #: "mood unknown" plays new to the database


def record_listening(
    engine: Engine,
    listener: str,
    events: Sequence[ListeningEvent],
    *,
    unknown: Sequence[UnknownListen] = (),
    at: datetime | None = None,
) -> StoredListening:
    """Store the listener's matched events and their "mood unknown" plays in one transaction;
    repeats are left out."""
    when = _now(at)
    unique = {e.fingerprint: e for e in events}
    unknown_rows = {u.fingerprint: u for u in unknown}
    with write_transaction(engine) as conn:
        person = resolve_listener(conn, listener)
        unknown_added = repo.insert_unmatched_listening(
            conn, [u.row(person.id, when) for u in unknown_rows.values()]
        )
        added = repo.insert_listening_events(conn, _event_rows(person.id, unique, when))
    return StoredListening(
        person.id, added, len(unique) - added, len(events) - len(unique), unknown_added
    )


def _event_rows(
    listener_id: str, events: dict[str, ListeningEvent], imported_at: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "listener_id": listener_id,
            "source": e.source,
            "kind": e.kind,
            "track_id": e.track_id,
            "matched_by": e.matched_by,
            "played_at": e.played_at,
            "ms_played": e.ms_played,
            "fingerprint": fingerprint,
            "imported_at": imported_at,
        }
        for fingerprint, e in events.items()
    ]


def unknown_listening(engine: Engine, listener: str) -> list[dict[str, Any]]:
    """The listener's stored "mood unknown" rows, oldest first (whatever their consent: these
    are shown to the listener, never used for learning)."""
    with read_transaction(engine) as conn:
        person = resolve_listener(conn, listener)
        return repo.unmatched_rows(conn, person.id)


def mood_unknown_tracks(
    engine: Engine, listener: str, *, limit: int | None = None
) -> list[MoodUnknownTrack]:
    """The listener's "mood unknown" tracks, most listened first: one entry per track with its
    play, skip and like counts."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in unknown_listening(engine, listener):
        groups.setdefault(row["track_key"], []).append(row)
    tracks = [_unknown_track(key, rows) for key, rows in groups.items()]
    tracks.sort(key=lambda t: (-t.listens, t.label.casefold()))
    return tracks if limit is None else tracks[:limit]


def _unknown_track(key: str, rows: Sequence[dict[str, Any]]) -> MoodUnknownTrack:
    def first(column: str) -> Any:
        return next((r[column] for r in rows if r[column]), None)

    kinds = [r["kind"] for r in rows]
    return MoodUnknownTrack(
        track_key=key,
        title=first("title"),
        artists=first("artists"),
        album=first("album"),
        spotify_uri=first("spotify_uri"),
        isrc=first("isrc"),
        reason=rows[-1]["reason"],
        plays=kinds.count("play"),
        skips=kinds.count("skip"),
        likes=kinds.count("like"),
    )


def place_unknown_listening(
    engine: Engine,
    listener: str,
    placed: dict[int, tuple[str, str]],
    *,
    at: datetime | None = None,
) -> StoredListening:
    """Move "mood unknown" rows the catalog now holds into ``listening_events``, in one
    transaction. ``placed`` maps an ``unmatched_listening`` id to ``(track_id, matched_by)``;
    from then on the plays count like any matched play (and a re-import matches them directly)."""
    when = _now(at)
    with write_transaction(engine) as conn:
        person = resolve_listener(conn, listener)
        rows = {r["id"]: r for r in repo.unmatched_rows(conn, person.id) if r["id"] in placed}
        events = [
            ListeningEvent(
                source=r["source"],
                kind=r["kind"],
                track_id=placed[i][0],
                matched_by=placed[i][1],
                played_at=r["played_at"],
                ms_played=r["ms_played"],
            )
            for i, r in rows.items()
        ]
        unique = {e.fingerprint: e for e in events}
        added = repo.insert_listening_events(conn, _event_rows(person.id, unique, when))
        repo.delete_unmatched_rows(conn, person.id, list(rows))
    return StoredListening(person.id, added, len(unique) - added, len(events) - len(unique))


def listening_data(engine: Engine, listener: str) -> list[dict[str, Any]]:
    """The listener's stored events for learning; empty when they turned learning off."""
    with read_transaction(engine) as conn:
        person = resolve_listener(conn, listener)
        if not person.consent_learning:
            return []
        return repo.listening_rows(conn, listener_id=person.id)


def consenting_listening_data(engine: Engine) -> list[dict[str, Any]]:
    """Every stored event of every listener who allows learning (for the collaborative model)."""
    with read_transaction(engine) as conn:
        return repo.consenting_listening_rows(conn)
