"""Shared CLI plumbing: error rendering, JSON output, the console."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping
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
    except InputError as exc:
        shown = as_cli_error(exc, {})
        return _report(shown, shown.as_dict())
    except MoodtuneError as exc:
        return _report(exc, {"message": str(exc)})
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


#: Library parameters the CLI spells the same way in every command, as the user types them:
#: a library message that says "pass replace=True" reads "pass --replace" on the terminal.
CLI_PHRASES: dict[str, str] = {"replace=True": "--replace"}


def as_cli_error(
    exc: InputError, flags: Mapping[str, str], phrases: Mapping[str, str] | None = None
) -> InputError:
    """``exc`` as the CLI shows it: the field a flag set is named by that flag, and a message
    that names a library parameter (``replace=True``) names the option instead.

    ``flags`` maps library parameters to options (``{"steps": "--tracks"}``); a boolean
    parameter's ``param=True`` in the message or in ``allowed`` becomes its flag. ``phrases``
    are further literal replacements (``{"mapping={...}": "--map ..."}``). A ``ValidationReport``
    and an error that needs no change are returned as they are.
    """
    if isinstance(exc, ValidationReport):
        return exc
    replacements = {**CLI_PHRASES, **{f"{p}=True": f for p, f in flags.items()}, **(phrases or {})}

    def spell(text: str | None) -> str | None:
        if text is None:
            return None
        for library, cli in replacements.items():
            text = text.replace(library, cli)
        return text

    message, allowed = spell(exc.message), spell(exc.allowed)
    field = flags.get(exc.field, exc.field) if exc.field is not None else None
    if (message, allowed, field) == (exc.message, exc.allowed, exc.field):
        return exc
    return type(exc)(
        message or "",
        file=exc.file,
        row=exc.row,
        field=field,
        value=exc.value,
        allowed=allowed,
    )


@contextmanager
def option_names(phrases: Mapping[str, str] | None = None, /, **flags: str) -> Iterator[None]:
    """Report library errors under the option the user typed: ``option_names(steps="--tracks")``.

    The library names its fields (``steps``, ``position``) and parameters (``replace=True``);
    the CLI knows which flag set them (see :func:`as_cli_error`; ``phrases`` are literal
    replacements in the message).
    """
    try:
        yield
    except InputError as exc:
        shown = as_cli_error(exc, flags, phrases)
        if shown is exc:
            raise
        raise shown from None


def print_json(payload: Any) -> None:
    """Write ``payload`` as JSON to stdout (NaN becomes null)."""
    sys.stdout.write(json.dumps(to_jsonable(payload), indent=2, default=str) + "\n")


def show_support(risk: Any) -> None:
    """Print the support message of a ``RiskAssessment`` when it signals risk."""
    from rich.panel import Panel

    if risk.at_risk:
        console.print(Panel(risk.message, title="Support is available", border_style="yellow"))
