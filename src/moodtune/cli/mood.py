"""`moodtune mood fit|evaluate`: the track mood model fitted to human ratings, and its scores."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from moodtune.cli._common import console, print_json

app = typer.Typer(help="The track mood model: fit it to human ratings (PMEmo), evaluate it.")


@app.command("fit")
def fit_command(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the model (default: the package's default)."),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; fail unless the fit equals the shipped file."),
    ] = False,
) -> None:
    """Fit the mood model to PMEmo's ratings and write it as JSON (no pickle)."""
    from moodtune.mood.fitted import (
        REFIT_RTOL,
        default_model_path,
        fit_default_model,
        model_json,
        same_model_json,
    )

    model, joined = fit_default_model()
    text = model_json(model)
    target = out or default_model_path()
    summary = joined.summary()
    console.print(
        f"fitted on {summary['matched_rows']} rated songs ({summary['matched_songs']} of "
        f"{summary['rated_songs']} PMEmo songs matched a catalog track; "
        f"{summary['ambiguous_songs']} ambiguous, left out); alpha = "
        f"{model.alpha_[0]:g} (valence), {model.alpha_[1]:g} (arousal)"
    )
    if check:
        shipped = target.read_text() if target.exists() else None
        if shipped == text:
            verdict = "identical"
        elif shipped is not None and same_model_json(shipped, text):
            verdict = f"identical up to float rounding (relative {REFIT_RTOL:g})"
        else:
            verdict = "DIFFERS"
        console.print(f"{target}: {verdict}")
        raise typer.Exit(1 if verdict == "DIFFERS" else 0)
    target.write_text(text)
    console.print(f"[green]wrote[/] {target}")


def _comparison_table(rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title="Track mood models against PMEmo ratings (out-of-fold)")
    table.add_column("model")
    for axis in ("valence", "arousal"):
        for metric in ("ρ", "r", "R²", "CCC"):
            table.add_column(f"{axis[0]} {metric}", justify="right")
    for row in rows:
        cells = [row["model"] + (" (baseline)" if row["baseline"] else "")]
        for axis in ("valence", "arousal"):
            for metric in ("spearman", "pearson", "r2", "ccc"):
                value, sd = row[f"{axis}_{metric}"], row[f"{axis}_{metric}_sd"]
                cells.append("–" if value != value else f"{value:.2f}±{sd:.2f}")
        table.add_row(*cells)
    return table


def _transfer_table(rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title="Transfer: held-out groups, shipped model vs Spotify valence / energy")
    for column in (
        "held out",
        "songs",
        "v ρ base→model",
        "gain ± se",
        "a ρ base→model",
        "gain ± se",
        "worse?",
    ):
        table.add_column(column, justify="right" if column != "held out" else "left")
    for row in rows:
        cells = [f"{row['grouping']}: {row['group']}", str(row["songs"])]
        for axis in ("valence", "arousal"):
            cells.append(
                f"{row[f'{axis}_baseline_spearman']:.2f}→{row[f'{axis}_model_spearman']:.2f}"
            )
            cells.append(f"{row[f'{axis}_spearman_gain']:+.2f}±{row[f'{axis}_gain_se']:.2f}")
        cells.append("yes" if row["worse_beyond_noise"] else "no")
        table.add_row(*cells)
    return table


@app.command("evaluate")
def evaluate_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    repeats: Annotated[
        int, typer.Option("--repeats", min=1, max=50, help="Repeats of 5-fold cross-validation.")
    ] = 5,
) -> None:
    """Compare mood models on PMEmo (nested CV, baselines) and check how they transfer."""
    from moodtune.evaluation.mood import compare_mood_models, transfer_mood_models
    from moodtune.mood.ratings import rated_default_tracks

    joined = rated_default_tracks()
    comparison = compare_mood_models(joined.matched, repeats=repeats)
    transfer = transfer_mood_models(joined.matched)
    join = joined.summary()
    if as_json:
        print_json({"join": join, "comparison": comparison.to_dict(), "transfer": transfer})
        return
    console.print(
        f"{join['matched_songs']} of {join['rated_songs']} PMEmo songs matched a catalog track "
        f"({join['matched_rows']} rows after merging {join['duplicate_songs_merged']} duplicate "
        f"songs; {join['ambiguous_songs']} ambiguous and {join['unmatched_songs']} unmatched "
        f"left out); {comparison.repeats} × {comparison.folds}-fold cross-validation, mean ± sd "
        "over repeats"
    )
    console.print(_comparison_table(comparison.rows))
    console.print(_transfer_table(transfer))
