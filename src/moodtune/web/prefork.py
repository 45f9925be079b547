"""Several web workers that share one loaded copy of the models: gunicorn's pre-fork model.

The parent process prepares every model and index once (``prepare_services``), freezes the
garbage collector's view of them, and forks the workers, which serve uvicorn on the parent's
listening socket. The models' arrays and the faiss index are read-only, so the workers share
their pages with the parent copy-on-write: the second worker costs the memory it writes
(requests, caches), not a second catalog (``moodtune bench web --workers 2`` reports the
workers' proportional memory). Each worker opens its own database connections; no state is
kept in a worker except read-only caches, so any worker can continue any request.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication
from uvicorn_worker import UvicornWorker

from moodtune.config import Settings

__all__ = ["MoodtuneWorker", "serve_workers"]

WORKER_TIMEOUT_S = 60
"""Seconds a worker may miss its heartbeat before the parent replaces it (gunicorn's 30 s
default would kill a worker that is busy, not dead, on a loaded machine)."""


class MoodtuneWorker(UvicornWorker):
    """uvicorn in a gunicorn worker, with moodtune's options: uvloop and httptools when
    installed, no access log (paths hold ids), proxy headers only from trusted proxies."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config.access_log = False
        self.config.proxy_headers = bool(self.cfg.forwarded_allow_ips)


class _Prefork(BaseApplication):
    """gunicorn run from code on an app built in this process (no import string)."""

    def __init__(self, app: object, options: dict[str, object]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> object:
        return self._app


def serve_workers(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int,
    keep_alive_s: int,
    trusted_proxies: list[str],
    on_step: Callable[[str, int, int], None] | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Prepare the models here, then serve the app from ``workers`` forked processes until
    stopped (SIGINT or SIGTERM stop the workers gracefully)."""
    from threadpoolctl import threadpool_limits

    from moodtune.app.services import prepare_services
    from moodtune.store.engine import dispose_engines
    from moodtune.web import create_app

    # one native thread per request, as in a worker's lifespan, and none left running to fork
    with threadpool_limits(limits=1):
        services = prepare_services(settings, on_step=on_step)
        services.matcher  # noqa: B018 (built here once, shared by every worker)
    app = create_app(settings, services=services)
    # the workers open their own database connections: none may be inherited
    services.engine.dispose()
    dispose_engines()
    # objects made so far are never collected: the collector would otherwise write to every
    # shared object's header and copy its page into each worker
    gc.collect()
    gc.freeze()
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def when_ready(_arbiter: object) -> None:
        if on_ready is not None:
            on_ready()

    options: dict[str, object] = {
        "bind": [bind],
        "workers": workers,
        "worker_class": "moodtune.web.prefork.MoodtuneWorker",
        "preload_app": True,
        "keepalive": keep_alive_s,
        "timeout": WORKER_TIMEOUT_S,
        "graceful_timeout": 10,
        "forwarded_allow_ips": ",".join(trusted_proxies),
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "moodtune",
        "when_ready": when_ready,
    }
    _Prefork(app, options).run()
