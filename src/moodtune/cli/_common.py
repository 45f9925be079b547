"""Shared CLI plumbing: error rendering, JSON output, the console."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console

from moodtune.errors import InputError, MoodtuneError

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
    sys.stdout.write(json.dumps(_clean(payload), indent=2, default=str) + "\n")


def _clean(value: Any) -> Any:
    import math

    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        try:
            return _clean(value.item())
        except (ValueError, TypeError):
            return value
    return value


def input_error_json(exc: InputError) -> dict[str, Any]:
    """The JSON form of an input error, for ``--json`` output."""
    return {"error": exc.as_dict()}
