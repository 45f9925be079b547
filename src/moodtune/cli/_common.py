"""Shared CLI plumbing: error rendering, JSON output, the console."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console

from moodtune.errors import InputError, MoodtuneError
from moodtune.jsonable import to_jsonable

console = Console()
err_console = Console(stderr=True)


def handle_errors(app: Callable[..., Any]) -> int:
    """Run the Typer app; a ``MoodtuneError`` prints its message (never a traceback)."""
    try:
        app(standalone_mode=False)
    except MoodtuneError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        return 2
    except SystemExit as exc:
        return int(exc.code or 0)
    except Exception as exc:  # click's own usage errors
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            return 1
        raise
    return 0


def print_json(payload: Any) -> None:
    """Write ``payload`` as JSON to stdout (NaN becomes null)."""
    sys.stdout.write(json.dumps(to_jsonable(payload), indent=2, default=str) + "\n")


def input_error_json(exc: InputError) -> dict[str, Any]:
    """The JSON form of an input error, for ``--json`` output."""
    return {"error": exc.as_dict()}
