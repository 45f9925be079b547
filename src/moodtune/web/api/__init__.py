"""The versioned JSON API under ``/api/v1``: one router per resource."""

from __future__ import annotations

from fastapi import APIRouter

from moodtune.web.api import (
    checkins,
    connectors,
    listener,
    local_audio,
    sessions,
    support,
    tracks,
)
from moodtune.web.problems import PROBLEM_RESPONSES

__all__ = ["api_router"]

api_router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
for module in (listener, checkins, sessions, tracks, support, connectors, local_audio):
    api_router.include_router(module.router)
