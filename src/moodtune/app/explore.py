"""Explore the catalog: search, one track, similar tracks, the catalog's mood map."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from moodtune.app.views import MapView, SimilarTracksView, SimilarTrackView, TrackView
from moodtune.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from moodtune.app.services import Services

__all__ = [
    "MAX_PAGE",
    "MAX_QUERY_CHARS",
    "get_track",
    "mood_map",
    "search_tracks",
    "similar_tracks",
]

MAX_PAGE = 100
"""The most items one page of any list holds."""
MAX_QUERY_CHARS = 200
MAP_BINS = 24


def check_page(offset: int, limit: int, *, most: int = MAX_PAGE, field: str = "limit") -> None:
    """Offsets start at 0; a page holds 1 to ``most`` (default ``MAX_PAGE``) items."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InputError("offset must be 0 or more", field="offset", value=offset, allowed=">= 0")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= most:
        raise InputError(
            f"{field} is the number of items per page", field=field, value=limit,
            allowed=f"1-{most}",
        )  # fmt: skip


def search_tracks(
    services: Services, query: str, *, offset: int = 0, limit: int = 20
) -> tuple[list[TrackView], int]:
    """Tracks whose title or artists contain every word of ``query``, most popular first."""
    check_page(offset, limit)
    words = [w for w in str(query).lower().split() if w]
    if not words:
        raise InputError("type part of a title or an artist", field="q", value=query)
    if len(query) > MAX_QUERY_CHARS:
        raise InputError(
            "the search is too long", field="q", allowed=f"at most {MAX_QUERY_CHARS} characters"
        )
    search = services.search
    mask = search.usable.copy()
    for word in words:
        mask &= np.fromiter((word in t for t in search.text), dtype=bool, count=len(search.text))
    rows = np.flatnonzero(mask)
    popularity = np.nan_to_num(search.popularity[rows], nan=-1.0)
    order = rows[np.argsort(-popularity, kind="stable")]
    page = order[offset : offset + limit]
    return [services.track_view_at(int(r)) for r in page], len(order)


def get_track(services: Services, track_id: str) -> TrackView:
    """One catalog track (404 when it is not in the active catalog)."""
    index = services.catalog.index
    row = index.id_to_row_.get(str(track_id))
    if row is None:
        raise NotFoundError(
            f"no track with this id in the catalog {services.catalog_name!r}",
            field="track_id",
            value=track_id,
        )
    return services.track_view_at(row)


def similar_tracks(services: Services, track_id: str, *, k: int = 10) -> SimilarTracksView:
    """The track and up to ``k`` tracks that sound and feel like it, each with a reason."""
    seed = get_track(services, track_id)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_PAGE:
        raise InputError(
            "k is how many similar tracks", field="k", value=k, allowed=f"1-{MAX_PAGE}"
        )
    found = services.catalog.index.similar([seed.track_id], k=k)
    assert found.rows is not None  # an answer straight from the index knows its rows
    # Cached views by row: the answer's table is never built.
    views = [services.track_view_at(int(row)) for row in found.rows]
    similar = zip(views, found.short_reasons, strict=True)
    return SimilarTracksView(seed, tuple(SimilarTrackView(t, why) for t, why in similar))


def mood_map(services: Services, *, bins: int = MAP_BINS) -> MapView:
    """Track density over the mood plane on a ``bins`` × ``bins`` grid (usable tracks only)."""
    tracks = services.catalog.index.tracks_
    usable = tracks["usable"].to_numpy(dtype=bool)
    v = tracks["mood_valence"].to_numpy(dtype=float)[usable]
    a = tracks["mood_arousal"].to_numpy(dtype=float)[usable]
    edges = np.linspace(-1.0, 1.0, bins + 1)
    counts, _, _ = np.histogram2d(a, v, bins=[edges, edges])
    notes = []
    if "synthetic" in tracks and bool(tracks["synthetic"].to_numpy(dtype=bool)[usable].any()):
        notes.append("this catalog holds synthetic rows")
    return MapView(
        valence_edges=tuple(round(float(e), 4) for e in edges),
        arousal_edges=tuple(round(float(e), 4) for e in edges),
        counts=tuple(tuple(int(c) for c in row) for row in counts),
        n_tracks=int(usable.sum()),
        catalog=services.catalog_name,
        notes=tuple(notes),
    )
