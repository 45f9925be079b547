"""`moodtune serve`: the web app on this machine (the main job), or for several people."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from moodtune.cli._common import err_console

KEEP_ALIVE_S = 75
"""Seconds an idle HTTP connection stays open (uvicorn's default is 5). A listener pauses
between steps, and a proxy in front (nginx and cloud load balancers keep idle upstream
connections 60 s) reuses its connection: a server that closes first races the next request,
which then fails with a reset connection (``moodtune bench web --users``: 10 % of requests on
a loaded machine). Longer than the usual proxies' 60 s, so they close first."""


def register_top_level(root: typer.Typer) -> None:
    root.command("serve", help="Start the moodtune web app (http://127.0.0.1:8000).")(serve)


def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. Any non-loopback address turns accounts on "
            "(multi-user mode, which needs MOODTUNE_SECRET_KEY).",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, max=64,
            help="Worker processes. More than 1: the models are prepared first, then shared "
            "by the forked workers (POSIX systems).",
        ),
    ] = 1,
) -> None:  # fmt: skip
    """Start the web app. Pages load at once; a first start prepares the models meanwhile."""
    import uvicorn

    from moodtune.config import get_settings, is_loopback_host
    from moodtune.errors import InputError
    from moodtune.web import create_app

    settings = get_settings()
    if not is_loopback_host(host) and not settings.multi_user:
        os.environ["MOODTUNE_MULTI_USER"] = "true"  # worker processes read the same settings
        get_settings.cache_clear()
        settings = get_settings()
    if settings.multi_user and (why := settings.multi_user_problem()) is not None:
        if not is_loopback_host(host):
            where = "on " + host
        elif settings.behind_tls or settings.trusted_proxy_list:
            where = "behind a proxy (MOODTUNE_BEHIND_TLS or MOODTUNE_TRUSTED_PROXIES is set)"
        else:
            where = "with MOODTUNE_MULTI_USER=true"
        raise InputError(
            f"serving {where} requires accounts, and {why}", field="MOODTUNE_SECRET_KEY"
        )
    proxies = settings.trusted_proxy_list
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,  # the access log would hold paths with ids; tokens never appear
        "timeout_keep_alive": KEEP_ALIVE_S,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": ",".join(proxies) or None,
    }
    shown = f"[{host}]" if ":" in host else host
    mode = (
        "accounts on: everyone signs in"
        if settings.multi_user
        else "one local listener; your data stays on this machine"
    )

    def on_step(step: str, number: int, total: int) -> None:
        err_console.print(f"[dim]moodtune:[/] preparing {number}/{total}: {step}", highlight=False)

    def on_ready() -> None:
        err_console.print(
            f"[bold]moodtune is running at http://{shown}:{port}[/] (Ctrl+C stops it; {mode}). "
            "Not a medical device.",
            highlight=False,
        )

    if workers > 1:
        from moodtune.web.prefork import serve_workers

        err_console.print(
            f"moodtune prepares its models once, then starts {workers} workers that share them.",
            highlight=False,
        )
        serve_workers(settings, host=host, port=port, workers=workers, options=options,
                      on_step=on_step, on_ready=on_ready)  # fmt: skip
        return

    app = create_app(settings, on_step=on_step)
    on_ready()
    uvicorn.run(app, **options)
