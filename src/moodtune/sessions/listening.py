"""Imported listening kept for a listener: matched plays, skips and likes.

The connectors (history exports, playlist files, Spotify) match what they read to the catalog;
this module stores the matched events in ``listening_events`` (never the unmatched ones, and
never anything an export says about devices or places) and reads them back for the learner
and the collaborative model. Listening stored here is exported and deleted with the rest of
the listener's data (``export_listener`` / ``delete_listener`` cover every table).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from moodtune.errors import InputError
from moodtune.sessions.service import _now, resolve_listener
from moodtune.store import repository as repo
from moodtune.store.engine import read_transaction, write_transaction
from moodtune.store.tables import LISTENING_KINDS, listeners

__all__ = [
    "ListeningEvent",
    "StoredListening",
    "consenting_listening_data",
    "listening_data",
    "record_listening",
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
        if self.kind not in LISTENING_KINDS:
            raise InputError(
                "unknown listening kind",
                field="kind",
                value=self.kind,
                allowed=", ".join(LISTENING_KINDS),
            )
        if self.played_at is not None and self.played_at.tzinfo is None:
            raise InputError("played_at must include a timezone", field="played_at")
        if self.ms_played is not None and self.ms_played < 0:
            raise InputError("ms_played must not be negative", field="ms_played")

    @property
    def fingerprint(self) -> str:
        """The same for the same event in any import, so importing a file twice adds nothing."""
        when = "" if self.played_at is None else self.played_at.isoformat()
        ms = "" if self.ms_played is None else str(self.ms_played)
        text = f"{self.source}|{self.kind}|{self.track_id}|{when}|{ms}"
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class StoredListening:
    """What storing did: events new to the database, and those it already held."""

    listener_id: str
    added: int
    already_stored: int
    repeated: int = 0  #: the same event more than once in this import (kept once)


def record_listening(
    engine: Engine,
    listener: str,
    events: Sequence[ListeningEvent],
    *,
    at: datetime | None = None,
) -> StoredListening:
    """Store the listener's matched events in one transaction; repeats are left out."""
    when = _now(at)
    unique = {e.fingerprint: e for e in events}
    with write_transaction(engine) as conn:
        person = resolve_listener(conn, listener)
        rows: list[dict[str, Any]] = [
            {
                "listener_id": person.id,
                "source": e.source,
                "kind": e.kind,
                "track_id": e.track_id,
                "matched_by": e.matched_by,
                "played_at": e.played_at,
                "ms_played": e.ms_played,
                "fingerprint": fingerprint,
                "imported_at": when,
            }
            for fingerprint, e in unique.items()
        ]
        added = repo.insert_listening_events(conn, rows)
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
        allowed = set(
            conn.execute(sa.select(listeners.c.id).where(listeners.c.consent_learning)).scalars()
        )
        return [r for r in repo.listening_rows(conn) if r["listener_id"] in allowed]
