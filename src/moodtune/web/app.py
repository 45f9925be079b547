"""The app factory: pages, the API, static files, error pages, security headers, start-up."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from moodtune.app.services import Services
from moodtune.config import Settings, get_settings
from moodtune.errors import InputError
from moodtune.web.auth import SignInRequired, guard_request
from moodtune.web.deps import NoListenerYet, NotReady
from moodtune.web.identity import LocalIdentity
from moodtune.web.problems import install_problem_handlers
from moodtune.web.state import Readiness
from moodtune.web.warmup import warm_up

__all__ = ["create_app"]

HERE = Path(__file__).parent


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


#: Requests waiting on another service (Spotify) at once, beside the request threads.
NETWORK_THREADS = 4


def request_threads(settings: Settings) -> int:
    """How many requests a worker computes at once: ``settings.request_threads``, or 1 on
    SQLite (its queries run here under the interpreter lock: a second thread only contends for
    it) and cores + 1 on PostgreSQL (its round trips release the lock)."""
    if settings.request_threads is not None:
        return settings.request_threads
    from moodtune.store.engine import database_url

    if database_url(settings).startswith("sqlite"):
        return 1
    return (os.cpu_count() or 1) + 1


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    on_step: Callable[[str, int, int], None] | None = None,
) -> FastAPI:
    """The moodtune web app. Without ``services`` they are prepared in the background at start.

    Pages load at once; those that need the models show what is being prepared until ready.
    """
    settings = settings or get_settings()
    if settings.multi_user and (why := settings.multi_user_problem()) is not None:
        raise InputError(f"moodtune with accounts cannot start: {why}", field="MOODTUNE_SECRET_KEY")
    readiness = Readiness(
        settings=settings,
        services=services,
        on_step=on_step,
        warm_up=lambda prepared: warm_up(app, prepared),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from threadpoolctl import threadpool_limits

        # A server answers many small requests at once: native thread pools (BLAS, OpenMP)
        # would only spin against each other and the event loop, so requests run on one
        # native thread each (measured: a journey costs ~20 % less CPU).
        limits = threadpool_limits(limits=1)
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = request_threads(settings)
        app.state.network_limiter = anyio.CapacityLimiter(NETWORK_THREADS)
        if readiness.services is None:
            # Start preparing just after the server starts listening, so the first page does
            # not wait behind the model loading for the interpreter lock.
            asyncio.get_running_loop().call_later(0.3, readiness.start)
        try:
            yield
        finally:
            limits.restore_original_limits()

    from moodtune import __version__
    from moodtune.web.pages import data_place

    app = FastAPI(
        title="moodtune",
        version=__version__,
        summary="Mood-aware music-therapy recommender: check in, get a journey of real tracks.",
        description="Not a medical device. Everything stays on "
        f"{data_place(settings).where}. Errors are "
        "`application/problem+json` (RFC 9457) whose `detail` and `errors` name the field.",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # /api/v1/docs is our own page (web/api_docs.py): Swagger UI needs a CDN
        redoc_url=None,
        # every route, present and future: accounts and CSRF in multi-user mode (web/auth.py)
        dependencies=[Depends(guard_request)],
    )
    app.state.settings = settings
    app.state.readiness = readiness
    app.state.identity = LocalIdentity(settings)

    from moodtune.web import pages
    from moodtune.web.api import api_router

    install_problem_handlers(app, pages.render_error)

    @app.exception_handler(NoListenerYet)
    async def _welcome(request: Request, exc: NoListenerYet) -> Response:
        return RedirectResponse("/welcome", status_code=303)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/signin?next={quote(exc.next_path, safe='/')}", status_code=303)

    @app.exception_handler(NotReady)
    async def _preparing(request: Request, exc: NotReady) -> Response:
        return pages.render_preparing(request)

    from moodtune.web.guard import Guard

    app.add_middleware(Guard, settings=settings)

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/static-vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(
            _plotly_js(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, object]:
        return {
            "ready": readiness.ready,
            "step": readiness.step,
            "number": readiness.number,
            "total": readiness.total,
            "error": readiness.error,
        }

    from moodtune.web import account_pages
    from moodtune.web.api import accounts as accounts_api
    from moodtune.web.api import therapists as therapists_api

    app.include_router(api_router)
    app.include_router(accounts_api.router)
    app.include_router(therapists_api.router)
    app.include_router(pages.router)
    from moodtune.web.pages import connectors as connector_pages

    app.include_router(connector_pages.router)
    app.include_router(account_pages.router)
    return app
