"""`moodtune tracks similar|mood`: tracks like given ones, or near a mood (and a goal)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from moodtune.cli._common import console, print_json, show_support
from moodtune.cli._profile import (
    Age,
    Anxiety,
    Depression,
    Exploratory,
    FavGenre,
    Freq,
    Hours,
    Insomnia,
    Ocd,
    ProfileFile,
)

if TYPE_CHECKING:
    from moodtune.recommend.filters import TrackFilters

app = typer.Typer(
    help="Track recommendations: similar tracks, tracks near a mood or a goal.",
    no_args_is_help=True,
)


def register_top_level(root: typer.Typer) -> None:
    """Add this group's top-level commands (if any) to the root app."""


# Filter options, shared with `moodtune playlist journey`.
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
GenreOption = Annotated[
    list[str] | None,
    typer.Option("--genre", help="Only this genre or subgenre (repeatable), e.g. rock."),
]
ExplicitOption = Annotated[
    str,
    typer.Option(
        "--explicit",
        help="allow | exclude | only. When the catalog does not record explicit lyrics, "
        "'exclude' cannot be applied and the output says so.",
    ),
]
MinDurationOption = Annotated[
    float | None, typer.Option("--min-duration", help="Shortest track, seconds.")
]
MaxDurationOption = Annotated[
    float | None, typer.Option("--max-duration", help="Longest track, seconds.")
]
MinPopularityOption = Annotated[
    int | None, typer.Option("--min-popularity", help="Lowest Spotify popularity (0-100).")
]
MaxPopularityOption = Annotated[
    int | None, typer.Option("--max-popularity", help="Highest Spotify popularity (0-100).")
]
InstrumentalOption = Annotated[
    str,
    typer.Option("--instrumental", help="any | yes | no (instrumentalness above 0.5 or not)."),
]
ExcludeArtistOption = Annotated[
    list[str] | None, typer.Option("--exclude-artist", help="Leave out an artist (repeatable).")
]
ExcludeTrackOption = Annotated[
    list[str] | None, typer.Option("--exclude-track", help="Leave out a track id (repeatable).")
]
MaxPerArtistOption = Annotated[
    int, typer.Option("--max-per-artist", help="At most this many tracks by one artist.")
]
# The library's bound (MAX_TRACKS_PER_QUERY), checked by Typer before anything is loaded.
CountOption = Annotated[
    int, typer.Option("--count", "-k", min=1, max=500, help="How many tracks (1-500).")
]
PopularityWeightOption = Annotated[
    float,
    typer.Option(
        "--popularity-weight",
        min=0.0,
        help="Prefer popular recent releases: score = distance - weight x recency-weighted "
        "popularity (0 = off).",
    ),
]


def build_filters(
    *,
    genre: list[str] | None,
    explicit: str,
    min_duration: float | None,
    max_duration: float | None,
    min_popularity: int | None,
    max_popularity: int | None,
    instrumental: str,
    exclude_artist: list[str] | None,
    exclude_track: list[str] | None,
) -> TrackFilters:
    """Turn the command-line filter options into ``TrackFilters`` (precise errors)."""
    from moodtune.errors import InputError
    from moodtune.recommend.filters import TrackFilters

    explicit_map = {"allow": None, "exclude": False, "only": True}
    if explicit.lower() not in explicit_map:
        raise InputError(
            "unknown --explicit choice", field="--explicit", value=explicit,
            allowed="allow, exclude, only",
        )  # fmt: skip
    instrumental_map = {"any": None, "yes": True, "no": False}
    if instrumental.lower() not in instrumental_map:
        raise InputError(
            "unknown --instrumental choice", field="--instrumental", value=instrumental,
            allowed="any, yes, no",
        )  # fmt: skip
    return TrackFilters(
        genres=tuple(genre) if genre else None,
        explicit=explicit_map[explicit.lower()],
        min_duration_s=min_duration,
        max_duration_s=max_duration,
        min_popularity=min_popularity,
        max_popularity=max_popularity,
        instrumental=instrumental_map[instrumental.lower()],
        exclude_artists=tuple(exclude_artist or ()),
        exclude_tracks=tuple(exclude_track or ()),
    )


def render_tracks(
    title: str,
    frame: Any,
    notes: list[str],
    *,
    position: str = "rank",
    explanations: list[str] | None = None,
) -> None:
    """A Rich table of tracks with a short reason each; shared explanations and notes below.

    The full per-track reasons are in ``--json``. Below 110 columns the genres and energy
    columns are dropped, below 90 the track id line too, so each track stays on a line or two.
    """
    from rich.table import Table

    width = console.width
    columns = [position, "track", "artists", "genres", "v", "a", "BPM", "energy", "reason"]
    if width < 110:
        columns = [c for c in columns if c not in ("genres", "energy")]
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in ("v", "a", "BPM", position))
    for row in frame.itertuples(index=False):
        synthetic = " [magenta](synthetic)[/]" if getattr(row, "synthetic", False) else ""
        track_id = "" if width < 90 else f"\n[dim]{row.track_id}[/]"
        cells = {
            position: str(getattr(row, position)),
            "track": f"{row.name}{synthetic}{track_id}",
            "artists": str(row.artists),
            "genres": ", ".join(row.genres) if hasattr(row, "genres") else "",
            "v": f"{row.mood_valence:+.2f}",
            "a": f"{row.mood_arousal:+.2f}",
            "BPM": f"{row.tempo:.0f}",
            "energy": f"{row.energy:.2f}",
            "reason": str(getattr(row, "short_reason", row.reason)),
        }
        table.add_row(*(cells[c] for c in columns))
    console.print(table)
    for text in explanations or []:
        console.print(f"[dim]·[/] {text}", highlight=False)
    for note in notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    console.print("[dim]full reasons per track: --json[/]")


@app.command("similar")
def similar_command(
    track_ids: Annotated[list[str], typer.Argument(help="Seed track id(s) from the catalog.")],
    k: CountOption = 20,
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
    popularity_weight: PopularityWeightOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Tracks that sound like the seed tracks (audio features and mood)."""
    from moodtune.recommend.tracks import load_track_index

    filters = build_filters(
        genre=genre, explicit=explicit, min_duration=min_duration, max_duration=max_duration,
        min_popularity=min_popularity, max_popularity=max_popularity,
        instrumental=instrumental, exclude_artist=exclude_artist, exclude_track=exclude_track,
    )  # fmt: skip
    index = load_track_index()
    result = index.similar(
        track_ids,
        k=k,
        filters=filters,
        max_per_artist=max_per_artist,
        popularity_weight=popularity_weight,
    )
    if as_json:
        print_json(result.to_dict())
        return
    render_tracks(
        f"Tracks similar to {', '.join(track_ids)}",
        result.tracks,
        result.notes,
        explanations=result.explanations,
    )


@app.command("mood")
def mood_command(
    mood: Annotated[
        str,
        typer.Argument(help="How you feel: a word (sad, calm, ...) or 'valence,arousal'."),
    ],
    goal: Annotated[
        str | None,
        typer.Option(
            "--goal",
            help="calm_down | lift_mood | focus | sleep | energise | stay: search near the "
            "goal's target from your mood, with the goal's constraints.",
        ),
    ] = None,
    genres: Annotated[
        str | None,
        typer.Option(
            "--genres",
            help="Recommended genres, best first, comma-separated (e.g. from "
            "`moodtune recommend`): the tracks are shared between them.",
        ),
    ] = None,
    k: CountOption = 20,
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
    popularity_weight: PopularityWeightOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Tracks near a mood (or near where a goal leads from that mood)."""
    from moodtune.mood.goals import get_goal
    from moodtune.mood.space import describe_point, parse_mood
    from moodtune.recommend.tracks import load_track_index

    point = parse_mood(mood)
    spec = get_goal(goal) if goal else None
    target = spec.target_for(point) if spec is not None else point
    label = (
        f"goal {spec.goal.value} target ({target.valence:+.2f}, {target.arousal:+.2f})"
        if spec is not None
        else f"your mood ({target.valence:+.2f}, {target.arousal:+.2f})"
    )
    filters = build_filters(
        genre=genre, explicit=explicit, min_duration=min_duration, max_duration=max_duration,
        min_popularity=min_popularity, max_popularity=max_popularity,
        instrumental=instrumental, exclude_artist=exclude_artist, exclude_track=exclude_track,
    )  # fmt: skip
    index = load_track_index()
    if genres:
        names = [g.strip() for g in genres.split(",") if g.strip()]
        result = index.for_genres(
            names,
            target,
            k=k,
            filters=filters,
            max_per_artist=max_per_artist,
            popularity_weight=popularity_weight,
            label=label,
            goal=spec,
        )
    else:
        result = index.near_mood(
            target,
            k=k,
            filters=filters,
            max_per_artist=max_per_artist,
            popularity_weight=popularity_weight,
            label=label,
            goal=spec,
        )
    if as_json:
        print_json({"mood": {"valence": point.valence, "arousal": point.arousal},
                    **result.to_dict()})  # fmt: skip
        return
    render_tracks(
        f"Tracks near {describe_point(target)}",
        result.tracks,
        result.notes,
        explanations=result.explanations,
    )


@app.command("for-profile")
def for_profile_command(
    mood: Annotated[
        str,
        typer.Option("--mood", help="How you feel: a word (sad, calm, ...) or 'valence,arousal'."),
    ],
    profile_file: ProfileFile = None,
    anxiety: Anxiety = None,
    depression: Depression = None,
    insomnia: Insomnia = None,
    ocd: Ocd = None,
    age: Age = None,
    hours: Hours = None,
    fav_genre: FavGenre = None,
    exploratory: Exploratory = None,
    freq: Freq = None,
    goal: Annotated[
        str | None,
        typer.Option("--goal", help="calm_down | lift_mood | focus | sleep | energise | stay."),
    ] = None,
    method: Annotated[
        str, typer.Option(help="Genre recommender: hybrid, content, collaborative, popularity.")
    ] = "hybrid",
    k: CountOption = 20,
    explicit: ExplicitOption = "allow",
    instrumental: InstrumentalOption = "any",
    exclude_artist: ExcludeArtistOption = None,
    max_per_artist: MaxPerArtistOption = 2,
    as_json: JsonOption = False,
) -> None:
    """Tracks that fit your survey profile's genre recommendations, near your goal's mood."""
    from moodtune.app.listeners import profile_support
    from moodtune.cli._profile import build_profile
    from moodtune.mood.space import describe_point, parse_mood
    from moodtune.recommend.genres import load_or_fit_genre_recommender
    from moodtune.recommend.profile_tracks import tracks_for_profile
    from moodtune.recommend.tracks import load_track_index

    profile = build_profile(
        profile_file=profile_file, anxiety=anxiety, depression=depression, insomnia=insomnia,
        ocd=ocd, age=age, hours=hours, fav_genre=fav_genre, exploratory=exploratory, freq=freq,
    )  # fmt: skip
    filters = build_filters(
        genre=None, explicit=explicit, min_duration=None, max_duration=None,
        min_popularity=None, max_popularity=None, instrumental=instrumental,
        exclude_artist=exclude_artist, exclude_track=None,
    )  # fmt: skip
    result = tracks_for_profile(
        profile,
        index=load_track_index(),
        recommender=load_or_fit_genre_recommender(method),
        mood=parse_mood(mood),
        goal=goal,
        k=k,
        filters=filters,
        max_per_artist=max_per_artist,
    )
    support = profile_support(profile)
    if as_json:
        print_json({**result.to_dict(), "safety": support.to_dict()})
        return
    show_support(support)
    genres = ", ".join(f"{g} → {label}" for g, label in result.catalog_genres.items())
    console.print(f"Your genre recommendations in this catalog: {genres or 'none'}")
    payload = result.to_dict()
    if result.tracks is not None:
        render_tracks(
            f"Tracks for your profile near {describe_point(result.point)}",
            result.tracks.tracks,
            payload["notes"],
            explanations=result.tracks.explanations,
        )
