"""``/api/v1/tracks``: search the catalog, one track, similar tracks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from moodtune import app as moodtune_app
from moodtune.app.explore import MAX_PAGE, MAX_QUERY_CHARS
from moodtune.app.views import TrackView
from moodtune.web.deps import ServicesDep
from moodtune.web.public import SimilarTracksPublic, TrackPublic, public_page
from moodtune.web.schemas import DEFAULT_LIMIT, Limit, Offset, Page

router = APIRouter(tags=["tracks"])
TrackId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/tracks", response_model=public_page(TrackPublic))
def search(
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
    offset: Offset = 0,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    """Tracks whose title or artists contain every word you type, most popular first."""
    items, total = moodtune_app.search_tracks(services, q, offset=offset, limit=limit)
    return Page[TrackView](items=items, total=total, offset=offset, limit=limit)


@router.get("/tracks/{track_id}", response_model=TrackPublic)
def track(track_id: TrackId, services: ServicesDep) -> Any:
    return moodtune_app.get_track(services, track_id)


@router.get("/tracks/{track_id}/similar", response_model=SimilarTracksPublic)
def similar(
    track_id: TrackId,
    services: ServicesDep,
    k: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 10,
) -> Any:
    """Tracks that sound and feel like this one, each with why."""
    return moodtune_app.similar_tracks(services, track_id, k=k)
