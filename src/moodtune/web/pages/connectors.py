"""Pages for the connectors: upload history or playlists, connect Spotify, send a journey."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from moodtune.app.connectors import import_history, import_playlist_files
from moodtune.errors import InputError
from moodtune.web.deps import ListenerId, ServicesDep, on_network_threads
from moodtune.web.pages import page

router = APIRouter(include_in_schema=False)
#: Web logins under way (state → pending login); a few at most on one machine.
MAX_PENDING_LOGINS = 8


async def _uploads(request: Request) -> list[tuple[str, bytes]]:
    from starlette.datastructures import UploadFile

    from moodtune.web.api.connectors import read_uploads

    form = await request.form()  # parsed once per request: Starlette keeps it
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    if not files:
        raise InputError("choose at least one file to import", field="files")
    return await read_uploads(files)


def _report_page(request: Request, report: Any, *, what: str) -> Response:
    return page(request, "import_report.html", report=report, what=what, section="me")


@router.post("/me/history")
async def me_history(request: Request, listener: ListenerId, services: ServicesDep) -> Response:
    uploads = await _uploads(request)
    skip_bad = (await request.form()).get("skip_bad") in ("on", "true", "1")
    report = import_history(services, listener, uploads, skip_bad=skip_bad)
    return _report_page(request, report, what="listening history")


@router.post("/me/playlists")
async def me_playlists(request: Request, listener: ListenerId, services: ServicesDep) -> Response:
    report = import_playlist_files(services, listener, await _uploads(request))
    return _report_page(request, report, what="playlists")


@router.get("/me/spotify/connect")
def spotify_connect(request: Request, listener: ListenerId, services: ServicesDep) -> Response:
    from moodtune.app.spotify import start_web_login, web_redirect_uri

    callback = web_redirect_uri(services.settings, str(request.url_for("spotify_callback")))
    pending = start_web_login(services.settings, redirect_uri=callback)
    logins: dict[str, Any] = request.app.state.__dict__.setdefault("spotify_logins", {})
    while len(logins) >= MAX_PENDING_LOGINS:
        logins.pop(next(iter(logins)))
    logins[pending.state] = pending
    return RedirectResponse(pending.url, status_code=303)


# The routes that talk to Spotify wait on it on threads of their own (``on_network_threads``).


@router.get("/me/spotify/callback")
async def spotify_callback(
    request: Request, listener: ListenerId, services: ServicesDep
) -> Response:
    from moodtune.app.spotify import finish_web_login
    from moodtune.connectors.spotify.client import SpotifyAuthError

    logins: dict[str, Any] = request.app.state.__dict__.setdefault("spotify_logins", {})
    pending = logins.pop(request.query_params.get("state", ""), None)
    if pending is None:
        raise SpotifyAuthError("this Spotify login is unknown or has expired: connect again")
    await on_network_threads(
        request,
        partial(
            finish_web_login,
            services.settings,
            pending,
            code=request.query_params.get("code"),
            error=request.query_params.get("error"),
        ),
    )
    return RedirectResponse("/me?saved=spotify", status_code=303)


@router.post("/me/spotify/import")
async def spotify_import(request: Request, listener: ListenerId, services: ServicesDep) -> Response:
    from moodtune.app.spotify import import_spotify_library, user_client

    report = await on_network_threads(
        request,
        lambda: import_spotify_library(services, listener, user_client(services.settings)),
    )
    return _report_page(request, report, what="Spotify library")


@router.post("/journey/{session_id}/spotify")
async def journey_to_spotify(
    request: Request, session_id: str, listener: ListenerId, services: ServicesDep
) -> Response:
    from moodtune.app.spotify import export_journey_to_spotify, user_client

    result = await on_network_threads(
        request,
        partial(
            export_journey_to_spotify,
            services,
            listener,
            session_id,
            lambda: user_client(services.settings),
        ),
    )
    return page(
        request, "spotify_export.html", result=result, session_id=session_id, section="journey"
    )
