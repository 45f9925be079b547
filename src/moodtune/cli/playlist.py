"""`moodtune playlist journey`: an iso-principle playlist from how you feel to your goal."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, cast

import typer

from moodtune.cli._common import console, option_names, print_json
from moodtune.cli.tracks import (
    ExcludeArtistOption,
    ExcludeTrackOption,
    ExplicitOption,
    GenreOption,
    InstrumentalOption,
    JsonOption,
    MaxDurationOption,
    MaxPerArtistOption,
    MaxPopularityOption,
    MinDurationOption,
    MinPopularityOption,
    build_filters,
    render_tracks,
)

app = typer.Typer(
    help="Playlists: iso-principle mood journeys; playlist files out and in.",
    no_args_is_help=True,
)


def register_top_level(root: typer.Typer) -> None:
    """Add this group's top-level commands (if any) to the root app."""


@app.command("journey")
def journey_command(
    start: Annotated[
        str,
        typer.Option("--from", help="How you feel now: a word (sad, tense, ...) or 'v,a'."),
    ],
    to: Annotated[
        str | None,
        typer.Option("--to", help="Where you want to be: a word or 'v,a' (or use --goal)."),
    ] = None,
    goal: Annotated[
        str | None,
        typer.Option(
            "--goal",
            help="calm_down | lift_mood | focus | sleep | energise | stay: the target (unless "
            "--to is given) plus the goal's constraints.",
        ),
    ] = None,
    minutes: Annotated[
        float | None, typer.Option("--minutes", help="Length in minutes (default 30).")
    ] = None,
    tracks: Annotated[
        int | None, typer.Option("--tracks", help="Number of tracks (instead of --minutes).")
    ] = None,
    max_tempo_jump: Annotated[
        float | None,
        typer.Option(
            "--max-tempo-jump",
            help="Largest BPM change between tracks (default 20, or the goal's).",
        ),
    ] = None,
    max_energy_jump: Annotated[
        float | None,
        typer.Option(
            "--max-energy-jump",
            help="Largest energy change between tracks (default 0.2, or the goal's).",
        ),
    ] = None,
    genre: GenreOption = None,
    explicit: ExplicitOption = "allow",
    min_duration: MinDurationOption = None,
    max_duration: MaxDurationOption = None,
    min_popularity: MinPopularityOption = None,
    max_popularity: MaxPopularityOption = None,
    instrumental: InstrumentalOption = "any",
    exclude_artist: ExcludeArtistOption = None,
    exclude_track: ExcludeTrackOption = None,
    max_per_artist: MaxPerArtistOption = 2,
    as_json: JsonOption = False,
) -> None:
    """Start where you are and move, track by track, to where you want to be."""
    from moodtune.app import mood_journey
    from moodtune.mood.goals import get_goal
    from moodtune.mood.space import describe_point, parse_mood
    from moodtune.recommend.tracks import load_track_index

    with option_names(
        start="--from", to="--to", goal="--goal", tracks="--tracks", minutes="--minutes",
        steps="--tracks", tempo_bpm="--max-tempo-jump", energy="--max-energy-jump",
    ):  # fmt: skip
        here = parse_mood(start)
        spec = get_goal(goal) if goal else None
        filters = build_filters(
            genre=genre, explicit=explicit, min_duration=min_duration, max_duration=max_duration,
            min_popularity=min_popularity, max_popularity=max_popularity,
            instrumental=instrumental, exclude_artist=exclude_artist, exclude_track=exclude_track,
        )  # fmt: skip
        journey = mood_journey(
            load_track_index,
            start=here,
            to=to,
            goal=goal,
            tracks=tracks,
            minutes=minutes,
            max_tempo_jump=max_tempo_jump,
            max_energy_jump=max_energy_jump,
            filters=filters,
            max_per_artist=max_per_artist,
        )
    plan = journey.plan
    target = plan.target
    if as_json:
        print_json(journey.to_dict())
        return
    m = journey.metrics
    render_tracks(
        f"Journey from {describe_point(here)} to {describe_point(target)}"
        + (f" — goal {spec.goal.value}" if spec else ""),
        journey.tracks,
        journey.notes,
        position="position",
        explanations=journey.explanations,
    )
    console.print(
        f"{journey.plan.steps} tracks, {journey.total_minutes:.1f} min"
        + (f" ({plan.minutes:g} asked)" if plan.minutes is not None else "")
        + f". Mean distance from the planned "
        f"path {m.mean_waypoint_distance:.3f} (largest {m.max_waypoint_distance:.3f}); largest "
        f"jumps: {m.max_tempo_jump:.0f} BPM (bound {journey.bounds.tempo_bpm:g}), energy "
        f"{m.max_energy_jump:.2f} (bound {journey.bounds.energy:g}), mood {m.max_mood_jump:.3f}.",
        highlight=False,
    )


def write_private(out: Path, content: str) -> None:
    """Write ``content`` to ``out`` readable only by its owner ('-': standard output)."""
    if str(out) == "-":
        typer.echo(content, nl=False)
        return
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)


@app.command("export")
def export_command(
    session: Annotated[str, typer.Argument(help="Session id of one of the listener's journeys.")],
    listener: Annotated[str, typer.Option("--listener", help="Listener id (or unique name).")],
    fmt: Annotated[str, typer.Option("--format", help="m3u8 | xspf | csv | json")] = "m3u8",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="File to write ('-': standard output; default: a name from "
            "the journey in the current folder).",
        ),
    ] = None,
    locations: Annotated[
        str,
        typer.Option(
            "--locations",
            help="What M3U8/XSPF point at: auto (local file, else Spotify URI) | path | spotify",
        ),
    ] = "auto",
) -> None:
    """Write a journey as a playlist file for another player."""
    from moodtune.app.connectors import export_journey_playlist
    from moodtune.cli.history import services_for_cli
    from moodtune.connectors.playlists import Locations
    from moodtune.errors import InputError

    if locations not in ("auto", "path", "spotify"):
        raise InputError(
            "unknown --locations",
            field="--locations",
            value=locations,
            allowed="auto, path, spotify",
        )
    with option_names(format="--format", session="SESSION"):
        download = export_journey_playlist(
            services_for_cli(),
            listener,
            session,
            fmt,
            locations=cast(Locations, locations),
        )
    target = out if out is not None else Path(download.filename)
    write_private(target, download.content)
    for note in download.notes:
        console.print(f"[yellow]{note}[/]", highlight=False)
    if str(target) != "-":
        console.print(f"Wrote {download.tracks} tracks to {target}.", highlight=False)


@app.command("import")
def import_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="M3U8, XSPF, CSV or JSON playlists.", exists=True, dir_okay=False),
    ],
    listener: Annotated[str, typer.Option("--listener", help="Listener id (or unique name).")],
    as_json: JsonOption = False,
) -> None:
    """Import playlists as tracks the listener likes (matched to the catalog)."""
    from moodtune.app.connectors import import_playlist_files
    from moodtune.cli.history import render_import_report, services_for_cli

    report = import_playlist_files(
        services_for_cli(), listener, [(str(p), p.read_bytes()) for p in files]
    )
    render_import_report(report, as_json=as_json)
