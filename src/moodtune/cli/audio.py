"""`moodtune audio` commands: scan a music folder into a catalog; analyse one file."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from moodtune.cli._common import console, err_console, option_names, print_json

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console
    from rich.progress import Progress, Task, TaskID
    from rich.text import Text

    from moodtune.audio.scan import FileAnalysis

app = typer.Typer(
    help='Your own music files (the audio extra: pip install "moodtune\\[audio]").',
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def register_top_level(root: typer.Typer) -> None:
    """Add this group's top-level commands (if any) to the root app."""


class RichScanProgress:
    """A Rich progress bar with files/s and an ETA, and a line for each file that failed."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def start(self, total: int) -> None:
        self.task = self.progress.add_task("analysing", total=total)

    def advance(self, analysis: FileAnalysis) -> None:
        if not analysis.ok:
            self.progress.console.print(
                f"[yellow]skipped[/] {analysis.path}: {analysis.problem}: {analysis.reason}",
                highlight=False,
                markup=True,
            )
        if self.task is not None:
            self.progress.advance(self.task)


def _files_per_second_column() -> Any:
    from rich.progress import ProgressColumn
    from rich.text import Text

    class FilesPerSecond(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("- files/s" if speed is None else f"{speed:.1f} files/s")

    return FilesPerSecond()


def scan_progress(
    console: Console, *, disable: bool = False, get_time: Callable[[], float] | None = None
) -> Progress:
    """The scan's progress display: files done of all, files/s, the ETA and the time taken."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _files_per_second_column(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=disable,
        get_time=get_time,
    )


@app.command("scan")
def scan(
    folder: Annotated[Path, typer.Argument(help="The folder of music files (searched deeply).")],
    name: Annotated[
        str | None, typer.Option("--name", help="Catalog name (default: from the folder name).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Processes (default: every core).")
    ] = None,
    write_tags: Annotated[
        bool,
        typer.Option("--write-tags", help="Write mood and tempo into the files' tags."),
    ] = False,
    use: Annotated[bool, typer.Option("--use", help="Make it the active catalog.")] = False,
    listener: Annotated[
        str | None,
        typer.Option(
            "--listener",
            help="Whose library (id or unique name): only they can play it in the web app.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Analyse new and changed files under FOLDER; the library becomes catalog NAME."""
    from moodtune.app.library import scan_music_folder

    with (
        scan_progress(err_console, disable=as_json) as progress,
        option_names(dir="FOLDER", name="--name", listener="--listener"),
    ):
        result = scan_music_folder(
            folder,
            name=name,
            workers=workers,
            write_tags=write_tags,
            use=use,
            owner=listener,
            progress=RichScanProgress(progress),
        )
    if as_json:
        print_json(asdict(result))
        return
    _render_scan(result)


def _render_scan(result: Any) -> None:
    from rich.table import Table

    outcome = result.outcome
    speed = outcome.audio_seconds / outcome.wall_seconds if outcome.wall_seconds else 0.0
    console.print(
        f"[bold]scanned[/] {result.root} -> library [cyan]{result.name}[/] "
        f"({outcome.workers} worker(s), {outcome.wall_seconds:.1f} s)",
        highlight=False,
    )
    table = Table(show_header=False, box=None)
    table.add_row("analysed now", str(outcome.analysed))
    table.add_row("unchanged (not read)", str(outcome.unchanged))
    table.add_row("changed stat, same content", str(outcome.same_content))
    table.add_row("removed from the library", str(outcome.removed))
    table.add_row("failed now", str(outcome.failed))
    table.add_row("not audio (ignored)", str(outcome.other_files))
    table.add_row("audio analysed", f"{outcome.audio_seconds:.0f} s ({speed:.0f}x real time)")
    table.add_row("tracks in the catalog", f"{result.tracks} ({result.usable_tracks} usable)")
    table.add_row("uncertain mood (flagged)", str(result.uncertain_tracks))
    if result.tags_written or result.tag_failures:
        table.add_row("tags written", str(result.tags_written))
    if result.placed_plays is not None:
        table.add_row("plays of yours placed (were mood unknown)", str(result.placed_plays))
    console.print(table)
    for failed in [*result.failed, *result.tag_failures]:
        console.print(
            f"[yellow]not analysed[/] {failed.path}: {failed.problem}: {failed.reason}",
            highlight=False,
        )
    if result.catalog_built:
        hint = "active" if result.active else f"use it with: moodtune catalog use {result.name}"
        console.print(f"catalog [cyan]{result.name}[/] is ready ({hint})", highlight=False)
    else:
        console.print("no file could be analysed: no catalog was built")


@app.command("analyse")
def analyse(
    file: Annotated[Path, typer.Argument(help="One audio file.")],
    as_json: JsonOption = False,
) -> None:
    """Measure one file's features and place it on the mood plane (nothing is stored)."""
    from rich.table import Table

    from moodtune.audio.decode import require_audio_extra
    from moodtune.audio.scan import analyse_file
    from moodtune.errors import InputError

    require_audio_extra()
    if not file.is_file():
        raise InputError("file not found", file=str(file))
    result = analyse_file(str(file.resolve()))
    if as_json:
        print_json(result.as_dict())
        return
    if not result.ok:
        raise InputError(f"{result.problem}: {result.reason}", file=str(file))
    table = Table(title=str(file), title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in {**result.features, **result.columns}.items():
        table.add_row(key, f"{value:.3f}" if isinstance(value, float) else str(value))
    place = result.placement
    table.add_row("mood valence", f"{place['valence']:+.2f} ± {place['sd'][0]:.2f}")
    table.add_row("mood arousal", f"{place['arousal']:+.2f} ± {place['sd'][1]:.2f}")
    table.add_row("uncertain", "yes" if place["uncertain"] else "no")
    console.print(table)
