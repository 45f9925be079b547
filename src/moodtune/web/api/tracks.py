"""``/api/v1/tracks``: search the catalog, one track, similar tracks, the mood map, song paths."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from moodtune import app as moodtune_app
from moodtune.app.explore import MAX_PAGE, MAX_QUERY_CHARS
from moodtune.app.views import MapView, PreparedJourney, SessionView, TrackView
from moodtune.web.deps import ListenerId, ServicesDep
from moodtune.web.schemas import DEFAULT_LIMIT, Limit, MoodIn, Offset, Page, SongPathCreate

router = APIRouter(tags=["tracks"])
TrackId = Annotated[str, Path(min_length=1, max_length=64)]


class SimilarTrack(BaseModel):
    track: TrackView
    reason: str


class SimilarTracks(BaseModel):
    seed: TrackView
    similar: list[SimilarTrack]


@router.get("/tracks", response_model=Page[TrackView])
def search(
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
    offset: Offset = 0,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    """Tracks whose title or artists contain every word you type, most popular first."""
    items, total = moodtune_app.search_tracks(services, q, offset=offset, limit=limit)
    return Page[TrackView](items=items, total=total, offset=offset, limit=limit)


@router.get("/tracks/{track_id}", response_model=TrackView)
def track(track_id: TrackId, services: ServicesDep) -> Any:
    return moodtune_app.get_track(services, track_id)


@router.get("/tracks/{track_id}/similar", response_model=SimilarTracks)
def similar(
    track_id: TrackId,
    services: ServicesDep,
    k: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 10,
) -> Any:
    """Tracks that sound and feel like this one, each with why."""
    seed, found = moodtune_app.similar_tracks(services, track_id, k=k)
    return SimilarTracks(seed=seed, similar=[SimilarTrack(track=t, reason=r) for t, r in found])


@router.get("/mood-map", response_model=MapView)
def mood_map(services: ServicesDep) -> Any:
    """How many catalog tracks sit in each cell of the mood plane."""
    return moodtune_app.mood_map(services)


@router.post("/song-paths", response_model=PreparedJourney)
def song_path(body: SongPathCreate, services: ServicesDep) -> Any:
    """A path of real tracks from a track you name to a mood or to another track."""
    return moodtune_app.song_path(
        services,
        from_track=body.from_track,
        to_track=body.to_track,
        to_mood=body.to_mood,
        tracks=body.tracks,
    )


class SongPathStart(SongPathCreate):
    mood: MoodIn


@router.post("/song-paths/session", status_code=201, response_model=SessionView)
def start_song_path(body: SongPathStart, listener: ListenerId, services: ServicesDep) -> Any:
    """Build a song path and start it as a session (with your check-in)."""
    path = moodtune_app.song_path(
        services,
        from_track=body.from_track,
        to_track=body.to_track,
        to_mood=body.to_mood,
        tracks=body.tracks,
    )
    return moodtune_app.start_song_path(services, listener, path, mood=body.mood.report())
