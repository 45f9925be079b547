"""Reading one listener profile from CLI options or a JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from moodtune.errors import InputError

ProfileFile = Annotated[
    Path | None,
    typer.Option("--profile", help="A profile JSON file (fields as in moodtune.survey.Profile)."),
]
Anxiety = Annotated[float | None, typer.Option(help="Anxiety 0-10.")]
Depression = Annotated[float | None, typer.Option(help="Depression 0-10.")]
Insomnia = Annotated[float | None, typer.Option(help="Insomnia 0-10.")]
Ocd = Annotated[float | None, typer.Option("--ocd", help="OCD 0-10.")]
Age = Annotated[float | None, typer.Option(help="Age in years.")]
Hours = Annotated[float | None, typer.Option("--hours", help="Hours of listening per day.")]
FavGenre = Annotated[str | None, typer.Option("--fav-genre", help="Favourite genre.")]
Exploratory = Annotated[
    bool | None, typer.Option("--exploratory/--not-exploratory", help="Explores new music.")
]
Freq = Annotated[
    list[str] | None,
    typer.Option(
        "--freq",
        help="Genre frequency as GENRE=LEVEL (Never, Rarely, Sometimes, Very frequently, or 0-3); "
        "repeat for several genres.",
    ),
]


def build_profile(
    *,
    profile_file: Path | None,
    anxiety: float | None,
    depression: float | None,
    insomnia: float | None,
    ocd: float | None,
    age: float | None = None,
    hours: float | None = None,
    fav_genre: str | None = None,
    exploratory: bool | None = None,
    freq: list[str] | None = None,
) -> Any:
    """A validated ``Profile``: the file's fields, overridden by any options given."""
    from moodtune.survey.schema import profile_from_mapping

    data: dict[str, Any] = {}
    source: str | None = None  # options only: the field name says where
    if profile_file is not None:
        from moodtune.survey.schema import read_profile_answers

        source = str(profile_file)
        data.update(read_profile_answers(profile_file))
    options = {
        "anxiety": anxiety,
        "depression": depression,
        "insomnia": insomnia,
        "ocd": ocd,
        "age": age,
        "hours_per_day": hours,
        "fav_genre": fav_genre,
        "exploratory": exploratory,
    }
    data.update({k: v for k, v in options.items() if v is not None})
    if freq:
        frequencies = dict(data.get("genre_frequencies") or {})
        for item in freq:
            genre, sep, level = item.partition("=")
            if not sep or not genre.strip() or not level.strip():
                raise InputError(
                    "expected GENRE=LEVEL",
                    field="--freq",
                    value=item,
                    allowed="e.g. Rock=Sometimes",
                )
            frequencies[genre.strip()] = int(level) if level.strip().isdigit() else level.strip()
        data["genre_frequencies"] = frequencies
    return profile_from_mapping(data, source=source)
