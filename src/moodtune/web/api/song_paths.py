"""``/api/v1/song-paths``: a path of real tracks from a track you name to a mood or a track."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from moodtune import app as moodtune_app
from moodtune.web.deps import ListenerId, ServicesDep
from moodtune.web.public import PreparedJourneyPublic, SessionPublic
from moodtune.web.schemas import MoodIn, SongPathCreate

router = APIRouter(tags=["song-paths"])


@router.post("/song-paths", response_model=PreparedJourneyPublic)
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


@router.post("/song-paths/session", status_code=201, response_model=SessionPublic)
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
