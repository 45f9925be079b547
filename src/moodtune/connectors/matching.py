"""Who an outside track is in the catalog: Spotify id, then ISRC, then normalised title + artist.

Playlist files, listening-history exports and Spotify all name tracks their own way. Each
reader turns a row into an :class:`ExternalTrack`; :class:`CatalogMatcher` finds the catalog
row it is, trying the strongest evidence first:

1. the Spotify track id (``spotify:track:ID``, an ``open.spotify.com/track/ID`` link or a bare
   22-character id) equal to a catalog ``track_id``;
2. the ISRC, when both sides have one (the catalog only when it has an ``isrc`` column);
3. ``catalog.identity.match_key`` of artist and title (remaster/feat. suffixes folded away).

A track that none of these finds is *unmatched*: its mood is unknown, so it never enters a
journey, and the result says why (``reason``), for the import report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from moodtune.catalog.identity import match_key

__all__ = [
    "MATCH_METHODS",
    "CatalogMatcher",
    "ExternalTrack",
    "TrackMatch",
    "spotify_track_id",
]

MATCH_METHODS = ("spotify_id", "isrc", "title_artist")

_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")
_SPOTIFY_REF = re.compile(
    r"^(?:spotify:track:|https?://open\.spotify\.com/(?:intl-[a-z]{2}/)?track/)"
    r"([0-9A-Za-z]{22})(?:[?#].*)?$"
)


def spotify_track_id(text: str | None) -> str | None:
    """The 22-character id in a Spotify track URI, link or bare id; None when it is none."""
    if text is None:
        return None
    value = str(text).strip()
    if _SPOTIFY_ID.fullmatch(value):
        return value
    found = _SPOTIFY_REF.match(value)
    return found.group(1) if found else None


@dataclass(frozen=True)
class ExternalTrack:
    """A track as an outside source names it. Every field but one identifier may be missing.

    ``path`` is a local file location (M3U8/XSPF entries), kept so an exported file points at
    the same file again.
    """

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    duration_ms: int | None = None
    spotify_id: str | None = None
    isrc: str | None = None
    path: str | None = None

    @property
    def label(self) -> str:
        """How the track is named in a report: "Artist – Title", or its id."""
        if self.title and self.artist:
            return f"{self.artist} – {self.title}"
        return self.title or self.spotify_id or self.isrc or self.path or "(no name)"


@dataclass(frozen=True)
class TrackMatch:
    """The catalog track an ``ExternalTrack`` is (``track_id``), how it was found, or why not."""

    track: ExternalTrack
    track_id: str | None
    method: str | None  #: one of ``MATCH_METHODS``; None when unmatched
    reason: str | None = None  #: why it is unmatched (None when matched)

    @property
    def matched(self) -> bool:
        return self.track_id is not None


class CatalogMatcher:
    """Look-up tables over one catalog (``Catalog.tracks`` layout), built once.

    Only usable rows are matched (an unusable row has no trustworthy mood). Among several
    rows with the same title + artist key the first one (catalog order) is taken, as the
    catalog's own de-duplication does.
    """

    def __init__(self, tracks: pd.DataFrame) -> None:
        usable = tracks["usable"].astype(bool) if "usable" in tracks else True
        rows = tracks[usable] if not isinstance(usable, bool) else tracks
        self._ids = set(rows["track_id"].astype(str))
        self._isrc: dict[str, str] = {}
        if "isrc" in rows:
            for isrc, tid in zip(rows["isrc"], rows["track_id"], strict=True):
                if isinstance(isrc, str) and isrc.strip():
                    self._isrc.setdefault(isrc.strip().upper(), str(tid))
        self._keys: dict[str, str] = {}
        for artist, title, tid in zip(rows["artists"], rows["name"], rows["track_id"], strict=True):
            if isinstance(artist, str) and isinstance(title, str):
                self._keys.setdefault(match_key(artist, title), str(tid))
        self._tracks = rows.reset_index(drop=True)
        self._position = {str(tid): i for i, tid in enumerate(self._tracks["track_id"])}

    def __contains__(self, track_id: object) -> bool:
        return track_id in self._ids

    def row(self, track_id: str) -> Mapping[str, Any]:
        """The catalog row of a matched ``track_id``."""
        return {str(k): v for k, v in self._tracks.iloc[self._position[track_id]].items()}

    def match(self, track: ExternalTrack) -> TrackMatch:
        """The catalog track ``track`` is, trying Spotify id, ISRC, then title + artist."""
        if track.spotify_id and track.spotify_id in self._ids:
            return TrackMatch(track, track.spotify_id, "spotify_id")
        if track.isrc and (found := self._isrc.get(track.isrc.strip().upper())):
            return TrackMatch(track, found, "isrc")
        if track.title and track.artist:
            key = match_key(track.artist, track.title)
            if found := self._keys.get(key):
                return TrackMatch(track, found, "title_artist")
            return TrackMatch(track, None, None, "not in the catalog")
        if track.spotify_id:
            return TrackMatch(track, None, None, "Spotify id not in the catalog")
        return TrackMatch(track, None, None, "no title and artist to match on")

    def match_all(self, tracks: Iterable[ExternalTrack]) -> list[TrackMatch]:
        """``match`` for each track, in order."""
        return [self.match(t) for t in tracks]
