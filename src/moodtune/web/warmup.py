"""Build at start what the web stack otherwise builds on the first request that needs it.

FastAPI (0.165) builds each included router's route table lazily, pydantic adapters for every
route's parameters and answer included, on the first request that reaches it: ~0.4 s here,
which the first person to open a page waited for, in every worker. Jinja2 compiles each
template on its first render. Done once before the workers fork (or while the models load),
the work is shared and the first page answers like the rest. So are the first calls that
import or set up a library (spotipy for the Me page's Spotify status, scikit-learn's
prediction path of the survey models: ~0.3 s on the first Me page) and the catalog columns
that track views read (~30 ms on the first journey, and a copy per worker).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI

from moodtune.app.services import Services

__all__ = ["warm_up"]

logger = logging.getLogger("moodtune.web")

#: A path under each prefix the routers are included with: matching a path that no route has
#: walks, and so builds, every route table on the way.
_NOWHERE = ("/moodtune-warm-up", "/api/v1/moodtune-warm-up")


def warm_up(app: FastAPI, services: Services | None = None) -> None:
    """Compile every template and build every route table of ``app`` (no handler runs); with
    ``services``, pass one survey answer through the survey models (nothing is stored).

    Only an optimisation, so never a reason not to start: a failure is logged and the first
    requests build what it would have."""
    try:
        _warm_up(app, services)
    except Exception:
        logger.warning("moodtune: the start-up warm-up failed (serving anyway)", exc_info=True)


def _warm_up(app: FastAPI, services: Services | None) -> None:
    import contextlib

    from moodtune.web.pages import templates

    for name in templates.env.list_templates(extensions=["html"]):
        templates.env.get_template(name)
    asyncio.run(_route_everything(app))
    with contextlib.suppress(ImportError):  # an optional extra
        import spotipy  # noqa: F401
    if services is not None:
        from moodtune.app.listeners import profile_insights
        from moodtune.survey.schema import Profile

        profile_insights(services, Profile(anxiety=5, depression=5, insomnia=5, ocd=5))
        if len(services.catalog.index.tracks_):
            services.track_view_at(0)  # the track views' columns, shared by the workers


async def _route_everything(app: FastAPI) -> None:
    for path in _NOWHERE:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "OPTIONS",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [],
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", 0),
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            return None

        # the router alone: no middleware, no dependency, no handler (the answer is a 404)
        await app.router(scope, receive, send)
