"""Connectors in the application layer: playlist files, listening-history imports.

What a person does: download a journey as a playlist file; bring in their own playlists and
their listening history (Spotify, Last.fm, ListenBrainz) so moodtune learns what they play and
skip. Every import is matched to the active catalog and answered with an :class:`ImportReport`
that says how much matched, how, and why the rest did not. Spotify's own calls are in
``moodtune.app.spotify``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from moodtune.connectors.history import HISTORY_LAYOUTS, BadRecord, HistoryFile, read_history
from moodtune.connectors.matching import (
    CatalogMatcher,
    ExternalTrack,
    TrackMatch,
    spotify_track_id,
)
from moodtune.connectors.playlists import (
    MEDIA_TYPES,
    Locations,
    Playlist,
    PlaylistEntry,
    entry_from_catalog_row,
    has_location,
    read_playlist,
    write_playlist,
)
from moodtune.errors import InputError, NotFoundError
from moodtune.sessions.listening import (
    ListeningEvent,
    MoodUnknownTrack,
    StoredListening,
    UnknownListen,
    mood_unknown_tracks,
    place_unknown_listening,
    record_listening,
    unknown_listening,
)

if TYPE_CHECKING:
    from moodtune.app.services import Services

__all__ = [
    "FileSummary",
    "ImportReport",
    "ListenedTrack",
    "PlaylistDownload",
    "UnmatchedExample",
    "catalog_matcher",
    "export_journey_playlist",
    "import_history",
    "import_playlist_files",
    "journey_playlist",
    "listening_report",
    "mood_unknown",
    "place_mood_unknown",
    "playlist_download",
]

#: How many of the most frequent unmatched tracks a report names.
REPORT_EXAMPLES = 10


@dataclass(frozen=True)
class PlaylistDownload:
    """A playlist file ready to save or serve."""

    filename: str
    media_type: str
    content: str
    tracks: int
    playlist_name: str = ""
    track_ids: tuple[str, ...] = ()  #: catalog ids of the tracks written
    notes: tuple[str, ...] = ()  #: tracks left out, and why


@dataclass(frozen=True)
class FileSummary:
    """One imported file: its layout and what it held."""

    file: str
    layout: str
    records: int
    tracks: int  #: plays (history) or entries (playlists) read
    not_music: int = 0


@dataclass(frozen=True)
class UnmatchedExample:
    """A track of the files that is not in the catalog, and how often it came up."""

    track: str  #: as the file names it ("artist – title")
    count: int


@dataclass(frozen=True)
class ImportReport:
    """What an import did: how many tracks matched the catalog, by which evidence, and why the
    rest did not (unmatched tracks have no known mood and stay out of journeys)."""

    listener_id: str
    files: tuple[FileSummary, ...]
    considered: int  #: plays, skips or likes read from the files
    matched: int
    matched_by: dict[str, int]
    unmatched: dict[str, int]  #: reason → count
    unmatched_examples: tuple[UnmatchedExample, ...]  #: the most frequent unmatched tracks
    plays: int
    skips: int
    likes: int
    added: int  #: events new to the database
    already_stored: int
    repeated: int = 0  #: events that appeared more than once in these files (kept once)
    notes: tuple[str, ...] = field(default_factory=tuple)
    unknown_added: int = 0  #: unmatched ("mood unknown") plays new to the database
    bad_records: tuple[BadRecord, ...] = ()  #: records left out by ``skip_bad``

    @property
    def match_rate(self) -> float:
        return self.matched / self.considered if self.considered else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the match rate and the one-line summary."""
        return {**asdict(self), "match_rate": self.match_rate, "summary": self.summary}

    @property
    def summary(self) -> str:
        """One sentence for the CLI and the page."""
        why = ", ".join(f"{n} {reason}" for reason, n in sorted(self.unmatched.items()))
        return (
            f"{self.matched} of {self.considered} matched the catalog ({self.match_rate:.0%})"
            + (f"; unmatched: {why}" if why else "")
            + f". Stored {self.added} new ({self.already_stored} already stored"
            + (f", {self.repeated} repeated in the files" if self.repeated else "")
            + ")"
            + (
                f"; kept {self.unknown_added} new unmatched as mood unknown"
                if self.unknown_added
                else ""
            )
            + (
                f"; left out {len(self.bad_records)} malformed record"
                + ("s" if len(self.bad_records) != 1 else "")
                if self.bad_records
                else ""
            )
            + "."
        )


def catalog_matcher(services: Services) -> CatalogMatcher:
    """The matcher over the active catalog (``Services.matcher``, built once)."""
    return services.matcher


# -- playlist files out ------------------------------------------------------------------------


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return slug[:60] or "playlist"


def journey_playlist(services: Services, listener_id: str, session_id: str) -> Playlist:
    """One of the listener's journeys as a playlist (404 for another listener's session).

    A track of a scanned library the listener owns (``audio scan --listener``) carries its
    file's path, so M3U8 and XSPF point at it; nobody else's paths are ever written.
    """
    from moodtune.app.journeys import goal_label
    from moodtune.store import repository as repo
    from moodtune.store.engine import read_transaction

    listener_id = _require_listener(services, listener_id)
    with read_transaction(services.engine) as conn:
        session = repo.get_session(conn, str(session_id))
    if session is None or session.listener_id != listener_id:
        raise NotFoundError(
            "unknown session",
            field="session",
            value=session_id,
            allowed="the id of one of your sessions",
        )
    matcher = catalog_matcher(services)
    entries = []
    for track in session.tracks:
        if track.track_id in matcher:
            entries.append(entry_from_catalog_row(matcher.row(track.track_id)))
        else:  # no longer in the active catalog: what the session recorded
            entries.append(
                entry_from_catalog_row(
                    {"track_id": track.track_id, "name": track.name, "artists": track.artists}
                )
            )
    entries = _with_local_paths(services, listener_id, entries)
    name = f"moodtune – {goal_label(session.goal)} – {session.started_at:%Y-%m-%d %H:%M}"
    return Playlist(name=name, entries=tuple(entries))


def _with_local_paths(
    services: Services, listener_id: str, entries: list[PlaylistEntry]
) -> list[PlaylistEntry]:
    """``entries`` with the file path of each local track of the listener's own libraries."""
    from moodtune.app.library import owned_track_paths
    from moodtune.audio.library import LOCAL_ID_PREFIX

    if not any(e.track_id and e.track_id.startswith(LOCAL_ID_PREFIX) for e in entries):
        return entries
    paths = owned_track_paths(listener_id, settings=services.settings)
    out = []
    for entry in entries:
        path = paths.get(entry.track_id or "")
        out.append(replace(entry, path=path) if path and not entry.path else entry)
    return out


def export_journey_playlist(
    services: Services,
    listener_id: str,
    session_id: str,
    fmt: str,
    *,
    locations: Locations = "auto",
    record: bool = True,
) -> PlaylistDownload:
    """A journey as a playlist file (``EXPORT_FORMATS``); remembered with the listener's data.

    M3U8 and XSPF must point at each track: a track with neither a local file nor a Spotify id
    (with ``locations``) is left out of those two, and a note says so.
    """
    from moodtune.sessions import record_playlist_export

    listener_id = _require_listener(services, listener_id)
    download = playlist_download(
        journey_playlist(services, listener_id, session_id), fmt, locations=locations
    )
    if record:
        record_playlist_export(
            services.engine,
            listener_id,
            name=download.playlist_name,
            format=download.filename.rsplit(".", 1)[1],
            track_ids=download.track_ids,
            location=download.filename,
            session_id=session_id,
        )
    return download


def playlist_download(
    playlist: Playlist, fmt: str, *, locations: Locations = "auto"
) -> PlaylistDownload:
    """Any playlist as a file, leaving out of M3U8/XSPF what they cannot point at."""
    kind = fmt.lower().lstrip(".")
    kind = "m3u8" if kind == "m3u" else kind
    entries = playlist.entries
    notes: list[str] = []
    if kind in ("m3u8", "xspf"):
        kept = []
        for number, entry in enumerate(entries, start=1):
            if has_location(entry, locations):
                kept.append(entry)
            else:
                notes.append(
                    f"track {number} ({entry.label}) left out: it has no local file or Spotify id"
                    " to point at"
                )
        entries = tuple(kept)
    if not entries:
        raise InputError(
            "no track of this playlist can be written as " + kind,
            field="format",
            value=fmt,
            allowed="csv or json, which need no location",
        )
    content = write_playlist(replace(playlist, entries=entries), kind, locations=locations)
    return PlaylistDownload(
        filename=f"{_slug(playlist.name)}.{kind}",
        media_type=MEDIA_TYPES[kind],
        content=content,
        tracks=len(entries),
        playlist_name=playlist.name,
        track_ids=tuple(e.track_id for e in entries if e.track_id),
        notes=tuple(notes),
    )


# -- imports -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListenedTrack:
    """A read item before matching: the track, and the event it becomes once matched."""

    track: ExternalTrack
    source: str
    kind: str
    played_at: Any = None
    ms_played: int | None = None


def listening_report(
    services: Services,
    listener_id: str,
    items: Sequence[ListenedTrack],
    files: Sequence[FileSummary],
    *,
    notes: Sequence[str] = (),
    bad_records: Sequence[BadRecord] = (),
) -> ImportReport:
    """Match read items to the catalog, store the matched ones (the rest as "mood unknown"),
    and report."""
    matcher = catalog_matcher(services)
    cache: dict[ExternalTrack, TrackMatch] = {}
    events: list[ListeningEvent] = []
    unknown: list[UnknownListen] = []
    unmatched: Counter[str] = Counter()
    examples: Counter[str] = Counter()
    methods: Counter[str] = Counter()
    for item in items:
        found = cache.get(item.track)
        if found is None:
            found = cache[item.track] = matcher.match(item.track)
        if found.track_id is None or found.method is None:
            reason = found.reason or "not in the catalog"
            unmatched[reason] += 1
            examples[item.track.label] += 1
            unknown.append(_unknown(item, reason))
            continue
        methods[found.method] += 1
        events.append(
            ListeningEvent(
                source=item.source,
                kind=item.kind,
                track_id=found.track_id,
                matched_by=found.method,
                played_at=item.played_at,
                ms_played=item.ms_played,
            )
        )
    stored = (
        record_listening(services.engine, listener_id, events, unknown=unknown)
        if events or unknown
        else StoredListening(listener_id, 0, 0)
    )
    kinds = Counter(i.kind for i in items)
    return ImportReport(
        listener_id=stored.listener_id,
        files=tuple(files),
        considered=len(items),
        matched=len(events),
        matched_by=dict(methods),
        unmatched=dict(unmatched),
        unmatched_examples=tuple(
            UnmatchedExample(label, n) for label, n in examples.most_common(REPORT_EXAMPLES)
        ),
        plays=kinds["play"],
        skips=kinds["skip"],
        likes=kinds["like"],
        added=stored.added,
        already_stored=stored.already_stored,
        repeated=stored.repeated,
        notes=tuple(notes),
        unknown_added=stored.unknown_added,
        bad_records=tuple(bad_records),
    )


def _unknown(item: ListenedTrack, reason: str) -> UnknownListen:
    """A read item the catalog does not hold, as it is kept ("mood unknown")."""
    t = item.track
    return UnknownListen(
        source=item.source,
        kind=item.kind,
        reason=reason,
        title=t.title,
        artists=t.artist,
        album=t.album,
        spotify_id=spotify_track_id(t.spotify_id),
        isrc=t.isrc,
        duration_ms=t.duration_ms,
        played_at=item.played_at,
        ms_played=item.ms_played,
    )


def mood_unknown(
    services: Services, listener_id: str, *, limit: int | None = None
) -> list[MoodUnknownTrack]:
    """The listener's imported tracks the catalog does not hold, most listened first. Their
    mood is unknown, so no journey offers them; they are listed so the listener sees them."""
    person = _require_listener(services, listener_id)
    return mood_unknown_tracks(services.engine, person, limit=limit)


def place_mood_unknown(services: Services, listener_id: str) -> StoredListening:
    """Match the listener's "mood unknown" plays against the active catalog again and move the
    ones it now holds into their listening (for example after local audio analysis added
    their tracks to the catalog). Returns how many events that added."""
    person = _require_listener(services, listener_id)
    matcher = catalog_matcher(services)
    placed: dict[int, tuple[str, str]] = {}
    for row in unknown_listening(services.engine, person):
        found = matcher.match(
            ExternalTrack(
                title=row["title"],
                artist=row["artists"],
                album=row["album"],
                duration_ms=row["duration_ms"],
                spotify_id=spotify_track_id(row["spotify_uri"]),
                isrc=row["isrc"],
            )
        )
        if found.track_id is not None and found.method is not None:
            placed[row["id"]] = (found.track_id, found.method)
    if not placed:
        return StoredListening(person, 0, 0)
    return place_unknown_listening(services.engine, person, placed)


def _require_listener(services: Services, listener_id: str) -> str:
    from moodtune.sessions import get_listener

    return get_listener(services.engine, listener_id).id


def import_history(
    services: Services,
    listener_id: str,
    files: Iterable[tuple[str, bytes]],
    *,
    skip_bad: bool = False,
) -> ImportReport:
    """Import listening-history exports (``(file name, bytes)`` each) for the listener.

    Every file is read before anything is stored, so by default a malformed record stores
    nothing; its ``InputError`` names the file, the record and the field. With ``skip_bad``
    the good records are imported and each bad one is listed in the report
    (``bad_records``); a file that is not an export at all still fails the import.
    """
    person = _require_listener(services, listener_id)
    read: list[HistoryFile] = [
        read_history(data, name=name, skip_bad=skip_bad) for name, data in files
    ]
    if not read:
        raise InputError("no files to import", field="files")
    items = [
        ListenedTrack(
            listen.track,
            listen.source,
            "skip" if listen.skipped else "play",
            listen.played_at,
            listen.ms_played,
        )
        for history in read
        for listen in history.listens
    ]
    summaries = [
        FileSummary(h.file, HISTORY_LAYOUTS[h.layout], h.records, len(h.listens), h.not_music)
        for h in read
    ]
    notes = [
        f"{h.file}: {h.not_music} podcast or other non-music rows left out"
        for h in read
        if h.not_music
    ]
    bad = [b for h in read for b in h.bad]
    return listening_report(services, person, items, summaries, notes=notes, bad_records=bad)


def import_playlist_files(
    services: Services, listener_id: str, files: Iterable[tuple[str, bytes]]
) -> ImportReport:
    """Import playlists (M3U8, XSPF, CSV, JSON) as likes: a track on a listener's playlist is
    one they chose."""
    person = _require_listener(services, listener_id)
    playlists = [(name, read_playlist(data, name=name)) for name, data in files]
    if not playlists:
        raise InputError("no files to import", field="files")
    items = [
        ListenedTrack(_as_track(entry), "playlist-file", "like")
        for _, playlist in playlists
        for entry in playlist.entries
    ]
    summaries = [
        FileSummary(name, f"playlist {p.name!r}", len(p.entries), len(p.entries))
        for name, p in playlists
    ]
    return listening_report(services, person, items, summaries)


def _as_track(entry: PlaylistEntry) -> ExternalTrack:
    # A catalog id written by moodtune's own CSV/JSON is as good as a Spotify id when equal.
    spotify = entry.spotify_id or entry.track_id
    return ExternalTrack(
        title=entry.title,
        artist=entry.artist,
        album=entry.album,
        duration_ms=entry.duration_ms,
        spotify_id=spotify,
        isrc=entry.isrc,
        path=entry.path,
    )
