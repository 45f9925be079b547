"""Spotify's JSON bodies read into small typed records (only the fields moodtune uses).

Bodies follow the Web API reference (``TrackObject``, the paging envelope, ``PlayHistoryObject``,
``SavedTrackObject``, ``PlaylistTrackObject`` with ``item`` and its deprecated alias
``track``). A body that lacks what the record needs raises ``ConnectorError`` naming the field:
it came from the service, so it is not the user's input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moodtune.connectors.matching import ExternalTrack
from moodtune.errors import ConnectorError

__all__ = [
    "SearchPage",
    "SpotifyPlaylist",
    "SpotifyTrack",
    "SpotifyUser",
    "parse_played_at",
    "parse_search_page",
    "parse_track",
    "parse_user",
]


@dataclass(frozen=True)
class SpotifyTrack:
    """A resolved track: what moodtune shows (link, album art, release date) and matches on."""

    id: str
    name: str
    artists: tuple[str, ...]
    album: str | None
    album_art_url: str | None  #: the largest image
    release_date: str | None  #: as Spotify gives it: YYYY, YYYY-MM or YYYY-MM-DD
    release_precision: str | None
    duration_ms: int | None
    isrc: str | None
    url: str | None  #: the open.spotify.com link
    is_playable: bool | None = None

    @property
    def uri(self) -> str:
        return f"spotify:track:{self.id}"

    def as_external(self) -> ExternalTrack:
        """The track as ``CatalogMatcher`` reads it."""
        return ExternalTrack(
            title=self.name,
            artist=", ".join(self.artists) or None,
            album=self.album,
            duration_ms=self.duration_ms,
            spotify_id=self.id,
            isrc=self.isrc,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "artists": list(self.artists), "album": self.album,
            "album_art_url": self.album_art_url, "release_date": self.release_date,
            "release_precision": self.release_precision, "duration_ms": self.duration_ms,
            "isrc": self.isrc, "url": self.url, "is_playable": self.is_playable,
        }  # fmt: skip


@dataclass(frozen=True)
class SearchPage:
    """One page of track search results."""

    query: str
    items: tuple[SpotifyTrack, ...]
    total: int
    offset: int
    limit: int
    has_next: bool


@dataclass(frozen=True)
class SpotifyUser:
    id: str
    display_name: str | None


@dataclass(frozen=True)
class SpotifyPlaylist:
    """A created playlist: its id and link; ``notes`` say what was recovered on the way
    (a write Spotify answered 5xx to although it had applied it, for one)."""

    id: str
    url: str | None
    snapshot_id: str | None = None
    notes: tuple[str, ...] = ()


def _field(body: Mapping[str, Any], key: str, what: str) -> Any:
    if not isinstance(body, Mapping) or key not in body:
        raise ConnectorError(f"Spotify sent a {what} without {key!r}")
    return body[key]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def parse_track(body: Mapping[str, Any]) -> SpotifyTrack:
    """A ``TrackObject`` (or a simplified one) as a ``SpotifyTrack``."""
    track_id = _field(body, "id", "track")
    name = _field(body, "name", "track")
    if not isinstance(track_id, str) or not isinstance(name, str):
        raise ConnectorError("Spotify sent a track whose id or name is not text")
    album: Mapping[str, Any] = body["album"] if isinstance(body.get("album"), Mapping) else {}
    images = [i for i in (album.get("images") or []) if isinstance(i, Mapping) and i.get("url")]
    images.sort(key=lambda i: -(i.get("width") or 0))
    duration = body.get("duration_ms")
    isrc = _mapping(body.get("external_ids")).get("isrc")
    return SpotifyTrack(
        id=track_id,
        name=name,
        artists=tuple(
            str(a["name"])
            for a in body.get("artists") or []
            if isinstance(a, Mapping) and "name" in a
        ),
        album=album.get("name"),
        album_art_url=images[0]["url"] if images else None,
        release_date=album.get("release_date"),
        release_precision=album.get("release_date_precision"),
        duration_ms=int(duration) if isinstance(duration, int | float) else None,
        isrc=str(isrc).upper() if isrc else None,
        url=_mapping(body.get("external_urls")).get("spotify"),
        is_playable=body.get("is_playable"),
    )


def parse_search_page(query: str, body: Mapping[str, Any]) -> SearchPage:
    """The ``{"tracks": {href, items, limit, next, offset, previous, total}}`` envelope."""
    page = _field(body, "tracks", "search answer")
    items = _field(page, "items", "search page")
    return SearchPage(
        query=query,
        items=tuple(parse_track(i) for i in items if i is not None),
        total=int(page.get("total") or 0),
        offset=int(page.get("offset") or 0),
        limit=int(page.get("limit") or len(items)),
        has_next=bool(page.get("next")),
    )


def parse_user(body: Mapping[str, Any]) -> SpotifyUser:
    user_id = _field(body, "id", "user")
    return SpotifyUser(id=str(user_id), display_name=body.get("display_name"))


def parse_played_at(text: Any) -> datetime | None:
    """A Spotify timestamp (``2026-01-05T09:00:00.123Z``) as aware UTC; None when absent."""
    if not isinstance(text, str) or not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConnectorError(f"Spotify sent an unreadable time {text!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
