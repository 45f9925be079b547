"""`moodtune survey report`, `moodtune persona`, `moodtune effect`, `moodtune recommend genres`."""

from __future__ import annotations

from typing import Annotated, Any

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
    build_profile,
)

app = typer.Typer(help="The listener survey: personas, effect model, genre recommenders.")
recommend_app = typer.Typer(help="Recommendations for a listener profile.", no_args_is_help=True)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def register_top_level(root: typer.Typer) -> None:
    """Add ``persona``, ``effect`` and the ``recommend`` group to the root app."""
    root.command("persona")(persona_command)
    root.command("effect")(effect_command)
    root.add_typer(recommend_app, name="recommend")
    recommend_app.command("genres")(recommend_genres_command)


def _progress() -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@app.command("report")
def report_command(
    as_json: AsJson = False,
    repeats: Annotated[int, typer.Option(min=1, help="Repeats of the cross-validation.")] = 5,
    splits: Annotated[int, typer.Option(min=2, help="Folds per repeat.")] = 5,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Personas, honest effect-model evaluation and genre-recommender evaluation."""
    from moodtune.app.reports import survey_report

    with _progress() as bar:

        def track(description: str) -> Any:
            task = bar.add_task(description, total=None)
            return lambda done, total: bar.update(task, completed=done, total=total)

        report = survey_report(repeats=repeats, splits=splits, seed=seed, progress=track)
    if as_json:
        print_json(report)
    else:
        from moodtune.cli.survey_render import render_survey_report

        render_survey_report(report, console)


@app.command("clean")
def clean_command(
    path: Annotated[str | None, typer.Argument(help="A survey export (default: MxMH).")] = None,
    as_json: AsJson = False,
) -> None:
    """Validate a survey export and show what the loader cleaned (and why)."""
    from moodtune.survey.schema import load_survey

    survey = load_survey(path)
    summary = {"source": survey.source, **survey.report.as_dict()}
    if as_json:
        print_json(summary)
        return
    console.print(f"[green]valid[/]: {survey.source}, {len(survey.frame)} rows")
    missing = summary["missing_by_column"]
    console.print(
        "missing answers: "
        + (", ".join(f"{column} {n}" for column, n in missing.items()) if missing else "none")
    )
    for item in summary["bpm_set_missing"]:
        console.print(f"row {item['row']}: BPM {item['value']:g} is implausible, set missing")
    for before, after in summary["genre_respellings"].items():
        console.print(f"genre spelling {before!r} read as {after!r}")
    console.print(f"rows without 'Music effects': {summary['rows_without_music_effects']}")


def persona_command(
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
    as_json: AsJson = False,
    map_html: Annotated[
        str | None, typer.Option("--map-html", help="Also write the 2-D persona map as HTML.")
    ] = None,
) -> None:
    """Place a listener among the survey respondents: persona, memberships, map position."""
    from moodtune.survey.personas import assign_persona, load_or_fit_personas, persona_map_figure

    profile = build_profile(
        profile_file=profile_file,
        anxiety=anxiety,
        depression=depression,
        insomnia=insomnia,
        ocd=ocd,
        age=age,
        hours=hours,
        fav_genre=fav_genre,
        exploratory=exploratory,
        freq=freq,
    )
    from moodtune.app.listeners import profile_support

    support = profile_support(profile)
    model = load_or_fit_personas()
    assignment = assign_persona(profile, model)
    if map_html:
        persona_map_figure(model, assignment=assignment, html_path=map_html)
    if as_json:
        print_json({**assignment.as_dict(), "safety": support.to_dict()})
        return
    show_support(support)
    from moodtune.cli.survey_render import render_assignment

    render_assignment(assignment.as_dict(), console)
    if map_html:
        console.print(f"map written to {map_html}")


def effect_command(
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
    as_json: AsJson = False,
) -> None:
    """Will music help? Calibrated probabilities with the honest evaluation behind them."""
    from moodtune.app import Services, effect_estimate

    profile = build_profile(
        profile_file=profile_file,
        anxiety=anxiety,
        depression=depression,
        insomnia=insomnia,
        ocd=ocd,
        age=age,
        hours=hours,
        fav_genre=fav_genre,
        exploratory=exploratory,
        freq=freq,
    )
    with _progress() as bar:
        task = bar.add_task("loading or training the effect model", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        estimate = effect_estimate(Services(), profile, progress=advance)
    support = estimate.support
    if as_json:
        print_json({**estimate.prediction.as_dict(), "safety": support.to_dict()})
        return
    show_support(support)
    from moodtune.cli.survey_render import render_effect

    render_effect(estimate.prediction.as_dict(), console)


def recommend_genres_command(
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
    method: Annotated[
        str, typer.Option(help="hybrid, content, collaborative or popularity.")
    ] = "hybrid",
    n: Annotated[int, typer.Option("-n", min=1, max=16, help="How many genres.")] = 3,
    include_liked: Annotated[
        bool, typer.Option(help="Also recommend genres you already listen to very frequently.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Recommend survey genres for a listener, each with the data behind it."""
    from moodtune.app import Services, genre_suggestions

    profile = build_profile(
        profile_file=profile_file,
        anxiety=anxiety,
        depression=depression,
        insomnia=insomnia,
        ocd=ocd,
        age=age,
        hours=hours,
        fav_genre=fav_genre,
        exploratory=exploratory,
        freq=freq,
    )
    suggested = genre_suggestions(
        Services(), profile, method=method, n=n, include_liked=include_liked
    )
    recs, support = suggested.recommendations, suggested.support
    if as_json:
        print_json(
            {
                "method": method,
                "recommendations": [r.as_dict() for r in recs],
                "safety": support.to_dict(),
            }
        )
        return
    show_support(support)
    from rich.table import Table

    table = Table(title=f"Genre recommendations ({method})")
    table.add_column("#", justify="right")
    table.add_column("genre")
    table.add_column("score", justify="right")
    table.add_column("why", overflow="fold")
    for i, rec in enumerate(recs, 1):
        table.add_row(str(i), rec.item, f"{rec.score:.3f}", rec.reason)
    console.print(table)
    if recs and recs[0].fallback:
        console.print(
            "[yellow]You gave no genre answers, so these are a fallback "
            f"({recs[0].fallback}); answer the genre questions for personal recommendations.[/]"
        )
