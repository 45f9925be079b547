"""The ``moodtune`` command: a thin Typer layer that parses, calls the library and renders.

Each command group lives in its own module and imports heavy libraries inside its commands,
so ``moodtune --help`` and simple commands start fast.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from moodtune.cli import (
    admin,
    audio,
    backup,
    bench,
    catalog,
    data,
    history,
    insights,
    listener,
    mood,
    playlist,
    serve,
    spotify,
    survey,
    tracks,
)
from moodtune.cli._common import handle_errors

app = typer.Typer(
    name="moodtune",
    help=(
        "moodtune: a mood-aware music-therapy recommender. "
        "Not a medical device; it does not diagnose or treat anything."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from moodtune import __version__

        typer.echo(f"moodtune {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """moodtune: a mood-aware music-therapy recommender. Not a medical device."""


app.add_typer(data.app, name="data")
app.add_typer(survey.app, name="survey")
app.add_typer(catalog.app, name="catalog")
app.add_typer(tracks.app, name="tracks")
app.add_typer(mood.app, name="mood")
app.add_typer(playlist.app, name="playlist")
app.add_typer(listener.app, name="listener")
app.add_typer(bench.app, name="bench")
app.add_typer(spotify.app, name="spotify")
app.add_typer(admin.app, name="admin")
app.add_typer(audio.app, name="audio")
survey.register_top_level(app)
listener.register_top_level(app)
# After the listener's top-level `history` command, which this group replaces: `history
# LISTENER` runs its `show` command, `history import FILE…` imports exports.
app.add_typer(history.app, name="history")
serve.register_top_level(app)
backup.register_top_level(app)
insights.register_top_level(app)


def main() -> None:
    """Console entry point: moodtune errors become a one-line message and exit code 2."""
    sys.exit(handle_errors(app))
