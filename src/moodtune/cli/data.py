"""`moodtune data fetch|info`: the public datasets moodtune uses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moodtune.cli._common import console, print_json

app = typer.Typer(help="Public datasets: fetch, verify, cache; show where from and licence.")

NameArg = Annotated[
    list[str] | None, typer.Argument(help="Dataset names (default: all registered datasets).")
]


@app.command("fetch")
def fetch_command(names: NameArg = None) -> None:
    """Fetch, verify and convert datasets to the Parquet cache."""
    from moodtune.data import REGISTRY, load_table

    for name in names or list(REGISTRY):
        frame = load_table(name)
        console.print(f"[green]ok[/] {name}: {len(frame):,} rows verified and cached")


@app.command("info")
def info_command(
    names: NameArg = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    licence: Annotated[bool, typer.Option("--licence", help="Print each licence note.")] = False,
) -> None:
    """Show what is cached, where it comes from, and its licence."""
    from dataclasses import asdict

    from rich.table import Table

    from moodtune.data import REGISTRY, dataset_info

    infos = [dataset_info(n) for n in names or list(REGISTRY)]
    if as_json:
        print_json(
            [{**asdict(i), "licence_text": i.licence_text if licence else None} for i in infos]
        )
        return
    table = Table(title="moodtune datasets", title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("cached", no_wrap=True)
    table.add_column("source", no_wrap=True, overflow="ellipsis")
    for i in infos:
        cached = "yes" if (i.parquet_path or i.cached_path) else "[yellow]no[/]"
        source = f"mirror {Path(i.mirror_path).name}" if i.mirror_path else i.url
        table.add_row(i.name, cached, source)
    console.print(table)
    for i in infos:
        console.print(
            f"{i.name}: {i.description}", highlight=False, no_wrap=True, overflow="ellipsis"
        )
    console.print("paths, public URLs and licence files: --json; licence texts: --licence")
    if licence:
        for i in infos:
            console.rule(i.name)
            console.print(i.licence_text or "(licence note not found in the mirror)", markup=False)
