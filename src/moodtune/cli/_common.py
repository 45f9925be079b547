"""Shared CLI plumbing: error rendering, JSON output, the console."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

from moodtune.errors import InputError, MoodtuneError, ValidationReport
from moodtune.jsonable import to_jsonable

console = Console()
err_console = Console(stderr=True)


def handle_errors(app: Callable[..., Any]) -> int:
    """Run the Typer app and turn every expected failure into a message and an exit code.

    Usage errors are Typer's own (message and exit code 2). A ``MoodtuneError`` or a file that
    cannot be read or written prints one line naming what is wrong (exit code 2), as JSON on
    stdout too when ``--json`` was asked for. Anything else is a bug and keeps its traceback.
    """
    try:
        app()  # standalone: Typer reports usage errors and aborts itself and raises SystemExit
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except MoodtuneError as exc:
        return _report(exc, exc.as_dict() if isinstance(exc, InputError) else {"message": str(exc)})
    except OSError as exc:
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        message = f"{exc.strerror or exc}{where}"
        return _report(message, {"message": message, "file": getattr(exc, "filename", None)})
    except UnicodeDecodeError as exc:
        message = f"a file is not UTF-8 text: {exc.reason} at byte {exc.start}"
        return _report(message, {"message": message})
    return 0


def _report(error: object, payload: dict[str, Any]) -> int:
    err_console.print(f"[bold red]error:[/] {error}", highlight=False, markup=True)
    if "--json" in sys.argv[1:]:
        print_json({"error": payload})
    return 2


@contextmanager
def option_names(**flags: str) -> Iterator[None]:
    """Report library errors under the option the user typed: ``option_names(steps="--tracks")``.

    The library names its fields (``steps``, ``position``); the CLI knows which flag set them.
    """
    try:
        yield
    except ValidationReport:
        raise
    except InputError as exc:
        if exc.field not in flags:
            raise
        raise type(exc)(
            exc.message,
            file=exc.file,
            row=exc.row,
            field=flags[exc.field],
            value=exc.value,
            allowed=exc.allowed,
        ) from None


def print_json(payload: Any) -> None:
    """Write ``payload`` as JSON to stdout (NaN becomes null)."""
    sys.stdout.write(json.dumps(to_jsonable(payload), indent=2, default=str) + "\n")


def show_support(risk: Any) -> None:
    """Print the support message of a ``RiskAssessment`` when it signals risk."""
    from rich.panel import Panel

    if risk.at_risk:
        console.print(Panel(risk.message, title="Support is available", border_style="yellow"))
