"""`moodtune bench` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="bench commands", no_args_is_help=True)


def register_top_level(root: typer.Typer) -> None:
    """Add this group's top-level commands (if any) to the root app."""
