"""`moodtune report` (the insights report as one offline HTML file) and `moodtune models`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from moodtune.insights.report import InsightsReport

__all__ = ["register_top_level"]


def _build(quiet: bool = False) -> InsightsReport:
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from moodtune.cli._common import console
    from moodtune.insights.report import build_report

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
        disable=quiet,
    ) as progress:
        task = progress.add_task("building the report", total=None)
        return build_report(on_step=lambda s: progress.update(task, description=s))


def report(
    output: Path = typer.Option(
        Path("insights.html"), "--output", "-o", help="The HTML file to write."
    ),
) -> None:
    """Write the insights report: one self-contained HTML file that works offline."""
    from moodtune.cli._common import console
    from moodtune.errors import InputError
    from moodtune.insights.html import render_standalone

    if output.exists() and output.is_dir():
        raise InputError(
            "the output is a directory",
            field="output",
            value=str(output),
            allowed="a file path, e.g. insights.html",
        )
    built = _build()
    html = render_standalone(built)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(html, encoding="utf-8")
    counts = built.claims.counts()
    console.print(
        f"wrote {output} ({len(html) / 1e6:.1f} MB, {len(built.figures)} figures, "
        f"{len(built.cards)} model cards). Prior-art claims: {counts['holds']} hold, "
        f"{counts['does not hold']} do not, {counts['cannot decide']} cannot be decided."
    )


def models(
    as_json: bool = typer.Option(False, "--json", help="Print the cards as JSON."),
) -> None:
    """List the model cards, every figure computed now (from the warm caches where they exist)."""
    from rich.table import Table

    from moodtune.cli._common import console, print_json

    built = _build(quiet=as_json)
    if as_json:
        print_json([card.to_dict() for card in built.cards])
        return
    for card in built.cards:
        table = Table(expand=False)
        table.add_column("metric")
        table.add_column("value", justify="right")
        table.add_column("spread")
        table.add_column("baseline")
        rows = [*card.metrics, *([card.leaky] if card.leaky else [])]
        for m in rows:
            base = (
                f"{m.baseline}: {m.baseline_value:.3f}"
                if m.baseline and m.baseline_value is not None
                else (m.baseline or "")
            )
            value = "–" if m.value is None else f"{m.value:.3f}"
            table.add_row(m.name, value, m.spread, base)
        console.print(f"[bold]{card.name}[/] ({card.status})", highlight=False)
        console.print(card.summary, highlight=False)
        if rows:
            console.print(table)
        else:
            console.print("[bold]not yet fitted[/]: no measured figures.", highlight=False)
        console.print(f"intended use: {' '.join(card.intended_use)}", highlight=False)
        console.print(f"not for: {' '.join(card.misuse)}\n", highlight=False)


def register_top_level(root: typer.Typer) -> None:
    """Add `report` and `models` to the root app."""
    root.command("report")(report)
    root.command("models")(models)
