"""`moodtune playlist journey`: an iso-principle playlist from how you feel to your goal."""

from __future__ import annotations

from typing import Annotated

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

app = typer.Typer(help="Playlists: iso-principle mood journeys.", no_args_is_help=True)


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
