"""`moodtune serve`: the web app on this machine (the main job)."""

from __future__ import annotations

from typing import Annotated

import typer

from moodtune.cli._common import err_console


def register_top_level(root: typer.Typer) -> None:
    root.command("serve", help="Start the moodtune web app (http://127.0.0.1:8000).")(serve)


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8000,
) -> None:
    """Start the web app. Pages load at once; a first start prepares the models meanwhile."""
    import ipaddress

    import uvicorn

    from moodtune.errors import InputError
    from moodtune.web import create_app

    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise InputError(
            "without accounts moodtune serves only this machine",
            field="--host",
            value=host,
            allowed="a loopback address such as 127.0.0.1 (accounts for other addresses "
            "are not built yet)",
        )

    def on_step(step: str, number: int, total: int) -> None:
        err_console.print(f"[dim]moodtune:[/] preparing {number}/{total}: {step}", highlight=False)

    app = create_app(on_step=on_step)
    shown = f"[{host}]" if ":" in host else host
    err_console.print(
        f"[bold]moodtune is running at http://{shown}:{port}[/] (Ctrl+C stops it). "
        "Not a medical device; your data stays on this machine.",
        highlight=False,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
