"""``/api/v1/mood-map``: where the catalog's tracks sit on the mood plane (a density)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from moodtune import app as moodtune_app
from moodtune.web.deps import ServicesDep
from moodtune.web.public import MapPublic

router = APIRouter(tags=["mood-map"])


@router.get("/mood-map", response_model=MapPublic)
def mood_map(services: ServicesDep) -> Any:
    """How many catalog tracks sit in each cell of the mood plane."""
    return moodtune_app.mood_map(services)
