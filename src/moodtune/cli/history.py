"""`moodtune history import`: listening history exports (Spotify, Last.fm, ListenBrainz)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from moodtune.cli import listener as listener_cli
from moodtune.cli._common import console, print_json

if TYPE_CHECKING:
    from moodtune.app.connectors import ImportReport
    from moodtune.app.services import Services


class _HistoryGroup(TyperGroup):
    """``history LISTENER`` still shows a listener's history (the ``show`` command); ``history
    import FILE…`` imports exports. Anything that is not a subcommand goes to ``show``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] != "--help":
            args = ["show", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_HistoryGroup,
    help="How you have been (history LISTENER), and importing listening-history exports "
    "(Spotify, Last.fm, ListenBrainz).",
    no_args_is_help=True,
)
app.command("show", help="How you have been: check-ins, sessions, what helped.")(
    listener_cli.history
)

ListenerOption = Annotated[
    str, typer.Option("--listener", help="Listener id (or a unique display name).")
]
FilesArg = Annotated[
    list[Path], typer.Argument(help="Files to import.", exists=True, dir_okay=False)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def services_for_cli() -> Services:
    """Services over the user's database and the active catalog (loaded when first needed)."""
    from moodtune.app import Services
    from moodtune.sessions import load_journey_catalog
    from moodtune.store import open_database

    return Services(engine=open_database(), catalog_loader=load_journey_catalog)


def render_import_report(report: ImportReport, *, as_json: bool) -> None:
    """The import report: per file, then what matched, how, and why the rest did not."""
    from rich.table import Table

    if as_json:
        print_json(report.to_dict())
        return
    table = Table(title="Imported", show_lines=False)
    for column in ("file", "layout", "records", "tracks", "not music"):
        table.add_column(
            column, justify="right" if column in ("records", "tracks", "not music") else "left"
        )
    for f in report.files:
        table.add_row(f.file, f.layout, str(f.records), str(f.tracks), str(f.not_music))
    console.print(table)
    console.print(report.summary, highlight=False)
    if report.matched_by:
        console.print(
            "Matched by: "
            + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.matched_by.items()),
            highlight=False,
        )
    if report.unmatched_examples:
        console.print(
            "Most played of those not in the catalog (their mood is unknown, so they stay out of "
            "journeys): " + "; ".join(f"{u.track} ×{u.count}" for u in report.unmatched_examples),
            highlight=False,
        )
    for bad in report.bad_records:
        console.print(f"Left out: {bad}", highlight=False)
    for note in report.notes:
        console.print(f"[dim]{note}[/]", highlight=False)


SkipBadOption = Annotated[
    bool,
    typer.Option(
        "--skip-bad",
        help="Import the good records and list each malformed one (file, record, field); "
        "without it a malformed record stops the whole import.",
    ),
]


@app.command("import")
def import_command(
    listener: ListenerOption,
    files: FilesArg,
    as_json: JsonOption = False,
    skip_bad: SkipBadOption = False,
) -> None:
    """Import history files for a listener; plays and skips then shape their journeys."""
    from moodtune.app.connectors import import_history

    report = import_history(
        services_for_cli(),
        listener,
        [(str(path), path.read_bytes()) for path in files],
        skip_bad=skip_bad,
    )
    render_import_report(report, as_json=as_json)


@app.command("unknown")
def unknown_command(
    listener: ListenerOption,
    place: Annotated[
        bool,
        typer.Option(
            "--place",
            help="Match them against the active catalog again and move those it now holds "
            "into your listening (after the catalog grew, e.g. by analysing local audio).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Imported tracks whose mood is unknown (not in the catalog): kept out of journeys."""
    from dataclasses import asdict

    from moodtune.app.connectors import mood_unknown, place_mood_unknown

    services = services_for_cli()
    placed = place_mood_unknown(services, listener) if place else None
    tracks = mood_unknown(services, listener)
    if as_json:
        print_json(
            {
                "placed": None if placed is None else placed.added,
                "mood_unknown": [asdict(t) for t in tracks],
            }
        )
        return
    if placed is not None:
        console.print(f"Placed {placed.added} plays the catalog now holds.", highlight=False)
    console.print(f"{len(tracks)} tracks of mood unknown.", highlight=False)
    for t in tracks:
        console.print(
            f"{t.label}: {t.plays} plays, {t.skips} skips, {t.likes} likes ({t.reason})",
            highlight=False,
        )
