"""`moodtune catalog` commands: import, info, list, use, remove."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from moodtune.cli._common import console, option_names, print_json

app = typer.Typer(
    help="Track catalogs: import, describe and choose the active one.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def register_top_level(root: typer.Typer) -> None:
    """Add this group's top-level commands (if any) to the root app."""


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV (.csv, .csv.gz, .tsv) or Parquet file.")],
    name: Annotated[
        str | None, typer.Option("--name", help="Catalog name (default: from the file name).")
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Map a file column to a catalog field: 'SOURCE=FIELD' (repeatable), "
            "e.g. --map 'Song=name'.",
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an existing catalog of that name.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Refuse the file if any row has a problem.")
    ] = False,
    use: Annotated[bool, typer.Option("--use", help="Make it the active catalog.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Add a catalog from a CSV or Parquet file (Exportify, Kaggle, TidyTuesday or mapped)."""
    from moodtune.catalog import import_catalog, parse_mapping

    with option_names(
        {"mapping={FIELD: 'FILE COLUMN'}": "--map 'FILE COLUMN=FIELD'"},
        name="--name",
        mapping="--map",
        replace="--replace",
        strict="--strict",
    ):
        result = import_catalog(
            file,
            name=name,
            mapping=parse_mapping(mapping),
            replace=replace,
            strict=strict,
            use=use,
        )
    summary = {
        "name": result.name,
        "replaced": result.replaced,
        "active": result.active,
        "cluster_names": list(result.catalog.mood_cluster_names),
        **result.report.as_dict(),
    }
    if as_json:
        print_json(summary)
        return
    _render_import(summary)


def _render_import(summary: dict[str, Any]) -> None:
    from rich.table import Table

    verb = "replaced" if summary["replaced"] else "imported"
    console.print(
        f"[bold]{verb}[/] catalog [cyan]{summary['name']}[/] from {summary['file']} "
        f"(layout: {summary['layout']})"
    )
    console.print(
        f"{summary['rows_read']} rows read -> {summary['tracks']} tracks "
        f"({summary['usable_tracks']} usable); {summary['duplicate_rows_merged']} repeated rows "
        "merged"
    )
    if summary["derived_ids"]:
        console.print(
            "no track id column: ids derived from artist + title (+ duration); "
            f"{summary['linked_to_default']} rows linked to their default-catalog (Spotify) id, "
            f"{summary['ambiguous_links']} with several candidates kept local ids"
        )
    table = Table("what", "rows", title="skipped or excluded, and why")
    for reason, count in summary["skipped"].items():
        table.add_row(f"skipped: {reason}", str(count))
    for reason, count in summary["excluded"].items():
        table.add_row(f"kept, not recommendable: {reason}", str(count))
    if table.row_count:
        console.print(table)
    if summary["problems"]:
        console.print(f"{summary['problem_count']} problem(s), first {len(summary['problems'])}:")
        for p in summary["problems"]:
            console.print(
                f"  row {p['row']}, column {p['field']!r}: {p['message']}"
                + (f" (allowed: {p['allowed']})" if p["allowed"] else ""),
                highlight=False,
                markup=False,
            )
    console.print(f"release dates known for {summary['release_date_coverage']:.1%} of tracks")
    if not summary["explicit_available"]:
        console.print("no explicit-lyrics flag in this file: explicit is NA")
    console.print("mood clusters: " + ", ".join(summary["cluster_names"]))
    if not summary["active"]:
        console.print(f"use it with: moodtune catalog use {summary['name']}")


@app.command("info")
def info_command(
    name: Annotated[
        str | None, typer.Argument(help="Catalog name (default: the active one).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Size, genres, excluded rows by reason, release dates, explicit flag, moods, cache."""
    from moodtune.catalog import catalog_info

    info = catalog_info(name=name)
    if as_json:
        print_json(info)
        return
    _render_info(info)


def _render_info(info: dict[str, Any]) -> None:
    from rich.table import Table

    active = " (active)" if info["active"] else ""
    source = info["source"].get("description") or info["source"].get("source_file")
    console.print(f"[bold]catalog {info['name']}[/]{active}: {source}")
    console.print(
        f"{info['tracks']:,} tracks, {info['usable_tracks']:,} usable, "
        f"{info['excluded_tracks']:,} kept out of recommendations"
        + (f"; {info['source_rows']:,} source rows" if info["source_rows"] else "")
    )
    if info["excluded_by_reason"]:
        table = Table(
            "reason", "tracks", title="excluded tracks by reason (a track may have several)"
        )
        for reason, count in info["excluded_by_reason"].items():
            table.add_row(reason, str(count))
        console.print(table)
    genres = ", ".join(f"{g} {n:,}" for g, n in info["genres"].items()) or "none"
    console.print(
        f"genres: {genres}; {info['subgenre_count']} subgenres; "
        f"{info['tracks_in_several_genres']:,} tracks in several genres"
    )
    dates = info["release_dates"]
    precision = ", ".join(f"{k} {v:,}" for k, v in dates["by_precision"].items())
    console.print(
        f"release dates: {dates['coverage']:.1%} known ({precision})"
        + _year_range(dates["year_range"]),
        highlight=False,
    )
    explicit = info["explicit"]
    console.print(
        f"explicit flag: {explicit['explicit_tracks']:,} explicit tracks"
        if explicit["available"]
        else f"explicit flag: not available - {explicit['note']}"
    )
    moods = info["moods"]
    quadrants = ", ".join(f"{k} {v:,}" for k, v in moods["quadrants"].items())
    console.print(f"quadrants (usable tracks): {quadrants}")
    quality = moods["cluster_quality"]
    table = Table("mood cluster", "tracks", title=f"mood clusters (k={quality['k']} by BIC)")
    for cluster, count in moods["clusters"].items():
        table.add_row(cluster, f"{count:,}")
    console.print(table)
    ari = quality.get("stability_ari_mean")
    console.print(
        "cluster quality: stability ARI across seeds "
        + (f"{ari:.2f} (min {quality['stability_ari_min']:.2f})" if ari is not None else "n/a")
        + f", silhouette {quality['silhouette']:.3f} (separation; not an accuracy)"
    )
    for what, path in info["cache"].items():
        console.print(f"cache {what}: {path}", highlight=False)


def _year_range(years: Any) -> str:
    """``[1957.0, 2020.0]`` as "; years 1957–2020" (nothing when unknown)."""
    if not years or any(y is None for y in years):
        return ""
    low, high = (round(float(y)) for y in years)
    return f"; years {low}" if low == high else f"; years {low}–{high}"


@app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """The available catalogs; the active one is marked."""
    from moodtune.catalog import list_catalogs

    rows = list_catalogs()
    if as_json:
        print_json(rows)
        return
    for row in rows:
        mark = "*" if row["active"] else " "
        console.print(f"{mark} {row['name']}  ({row['source']})", highlight=False)


@app.command("use")
def use_command(name: Annotated[str, typer.Argument(help="Catalog to make active.")]) -> None:
    """Switch the active catalog (used by the tracks and playlist commands)."""
    from moodtune.catalog import use_catalog

    use_catalog(name)
    console.print(f"active catalog: {name}")


@app.command("remove")
def remove_command(
    name: Annotated[str, typer.Argument(help="Imported catalog to delete.")],
) -> None:
    """Delete an imported catalog (the default one cannot be removed)."""
    from moodtune.catalog import remove_catalog

    remove_catalog(name)
    console.print(f"removed catalog {name}")
