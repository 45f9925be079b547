"""The versioned JSON API under ``/api/v1``: one router per resource."""

from __future__ import annotations

from fastapi import APIRouter

from moodtune.web.api import (
    checkins,
    connectors,
    history,
    listener,
    local_audio,
    mood_map,
    sessions,
    song_paths,
    support,
    tracks,
)
from moodtune.web.problems import PROBLEM_RESPONSES

__all__ = ["api_router"]

api_router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
for module in (listener, checkins, history, sessions, tracks, mood_map, song_paths, support,
               connectors, local_audio):  # fmt: skip
    api_router.include_router(module.router)
