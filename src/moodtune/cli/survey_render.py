"""Terminal rendering of the survey report, persona assignments and effect predictions."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table


def _pm(figure: dict[str, Any]) -> str:
    """``mean ± std [min–max]`` of a figure with a spread over repeats."""
    return (
        f"{figure['mean']:.3f} ± {figure.get('std', 0.0):.3f} "
        f"[{figure.get('min', figure['mean']):.3f}–{figure.get('max', figure['mean']):.3f}]"
    )


def _short(figure: dict[str, Any]) -> str:
    """``mean ± std`` (the range is in ``--json``)."""
    return f"{figure['mean']:.3f}±{figure.get('std', 0.0):.3f}"


def render_survey_report(report: dict[str, Any], console: Console) -> None:
    """The whole ``moodtune survey report`` as readable tables."""
    survey = report["survey"]
    cleaning = survey["cleaning"]
    console.rule("[bold]moodtune survey report")
    console.print(
        f"Survey: {survey['source']}: {survey['respondents']} respondents, "
        f"{survey['labelled']} answered 'Music effects'."
    )
    console.print(
        f"Cleaned on purpose: {len(cleaning['bpm_set_missing'])} implausible BPM answers set "
        f"missing; missing answers by column: {cleaning['missing_by_column']}."
    )
    _render_personas(report["personas"], console)
    _render_effect(report["effect"], console)
    _render_genres(report["genres"], console)
    console.print(
        Panel(
            "moodtune is not a medical device and does not diagnose. Every figure above was "
            f"computed by this run: {report['commands']['this report']}",
            style="dim",
        )
    )


def _render_personas(personas: dict[str, Any], console: Console) -> None:
    selection = personas["k_selection"]
    stability = personas["stability"]
    console.rule("Listener personas")
    ks = Table(title="Choosing k (shown, not hard-coded)")
    ks.add_column("k", justify="right")
    ks.add_column("silhouette (KMeans)", justify="right")
    ks.add_column("BIC (Gaussian mixture)", justify="right")
    for k, sil, bic in zip(
        selection["k_values"], selection["silhouette"], selection["gmm_bic"], strict=True
    ):
        mark = " ←" if k == selection["chosen_k"] else ""
        ks.add_row(f"{k}{mark}", f"{sil:.4f}", f"{bic:,.0f}")
    console.print(ks)
    console.print(
        f"Chosen k = {selection['chosen_k']} by {selection['chosen_by']}; "
        f"{selection.get('structure', '')}. Stability across {stability['seeds']} seeds: "
        f"mean ARI {stability['mean_ari']:.3f} (min {stability['min_ari']:.3f}); on 80% "
        f"subsamples mean ARI {stability.get('subsample_mean_ari', float('nan')):.3f}. "
        "Map: PCA, axes explain "
        + ", ".join(f"{v:.0%}" for v in personas["map"]["explained_variance_ratio"])
        + " of the variance."
    )
    table = Table(title="Personas (named from their centroids by rule)")
    for column in ("persona", "n", "anx/dep/ins/ocd", "hours", "top genres", "Improve/No/Worsen"):
        table.add_column(column, overflow="fold")
    for persona in personas["personas"]:
        means = persona["means"]
        effects = persona["music_effects"]
        table.add_row(
            persona["name"],
            f"{persona['size']} ({persona['share']:.0%})",
            "/".join(f"{means[s]:.1f}" for s in ("anxiety", "depression", "insomnia", "ocd")),
            f"{means['hours_per_day']:.1f}",
            ", ".join(g["genre"] for g in persona["top_genres"]),
            " / ".join(f"{effects[e]['share']:.0%}" for e in ("Improve", "No effect", "Worsen"))
            + f" (n={effects['labelled']})",
        )
    console.print(table)


def _render_effect(effect: dict[str, Any], console: Console) -> None:
    protocol = effect["protocol"]
    console.rule("Will music help? Effect prediction, leak-free")
    console.print(
        f"{protocol['n_repeats']}×{protocol['n_splits']} repeated stratified k-fold on "
        f"{protocol['n_rows']} labelled respondents {protocol['class_counts']}; "
        "imputation, scaling and any oversampling fitted inside each training fold."
    )
    table = Table(title="Leak-free figures (mean ± std over repeats; ranges in --json)")
    table.add_column("model", overflow="fold")
    for column in ("macro-F1", "bal.acc", "logloss", "Brier", "recall I/N/W"):
        table.add_column(column, no_wrap=True)
    rows = [(name, figures, False) for name, figures in effect["models"].items()]
    rows += [(f"base: {name}", figures, True) for name, figures in effect["baselines"].items()]
    for name, figures, is_baseline in rows:
        recall = figures["per_class_recall"]
        table.add_row(
            f"[dim]{name}[/]" if is_baseline else name,
            _short(figures["macro_f1"]),
            _short(figures["balanced_accuracy"]),
            f"{figures['log_loss']['mean']:.3f}",
            f"{figures['brier']['mean']:.3f}",
            " ".join(f"{recall[c]['mean']:.2f}" for c in ("Improve", "No effect", "Worsen")),
        )
    console.print(table)
    console.print(
        f"Selected: [bold]{effect['selected']}[/] ({effect['selection_rule']}). "
        f"{effect['verdict']['sentence']}"
    )
    leaky = effect.get("leaky_demo")
    if leaky:
        demo = Table(
            title="[red]DEMONSTRATION OF WHAT NOT TO DO[/]: the prior art's leaky protocol"
        )
        demo.add_column("protocol")
        demo.add_column("macro-F1")
        demo.add_column("accuracy")
        demo.add_column("test rows with a near-copy in training")
        for key in ("leaky", "leak_free"):
            part = leaky[key]
            demo.add_row(
                leaky["protocol"][key],
                _pm(part["macro_f1"]),
                _pm(part["accuracy"]),
                f"{part['test_rows_with_copy_in_training']['mean']:.0%}",
            )
        console.print(demo)
        console.print(
            f"The leak overstates macro-F1 by {leaky['overstatement']['macro_f1']:+.3f}. "
            f"{leaky['warning']}."
        )


def _render_genres(genres: dict[str, Any], console: Console) -> None:
    protocol = genres["protocol"]
    console.rule("Genre recommendations, offline evaluation")
    console.print(
        f"{protocol['n_repeats']} random splits, {protocol['test_respondents_per_split']} held-out "
        f"respondents each, {protocol['hide_fraction']:.0%} of each one's genre answers hidden; "
        f"target: {protocol['target']}."
    )
    table = Table(title=f"Recovering hidden genres (k={protocol['k']})")
    for column in ("recommender", f"hit-rate@{protocol['k']}", f"NDCG@{protocol['k']}", "vs pop."):
        table.add_column(column)
    for name, figures in genres["metrics"].items():
        ratio = genres["vs_popularity"].get(name, {}).get(f"ndcg_at_{protocol['k']}")
        ratio_text = f"{ratio:.2f}×" if isinstance(ratio, int | float) else "-"
        table.add_row(
            name,
            _pm(figures[f"hit_rate_at_{protocol['k']}"]),
            _pm(figures[f"ndcg_at_{protocol['k']}"]),
            ratio_text,
        )
    console.print(table)
    weights = genres["hybrid"]["content_weight"]
    console.print(
        "Hybrid content weight chosen on validation inside training, per split: "
        f"{weights['values']} (mean {weights['mean']:.2f})."
    )


def render_assignment(assignment: dict[str, Any], console: Console) -> None:
    """One person's persona, memberships and map position."""
    console.print(f"Persona: [bold]{assignment['persona']}[/]")
    table = Table(title="Membership probabilities")
    table.add_column("persona")
    table.add_column("probability", justify="right")
    for name, p in sorted(assignment["probabilities"].items(), key=lambda kv: -kv[1]):
        table.add_row(name, f"{p:.0%}")
    console.print(table)
    details = assignment.get("details", {})
    variance = details.get("map_explained_variance") or []
    axes = ", ".join(f"{v:.0%}" for v in variance)
    console.print(
        f"Map position: x={assignment['x']:.2f}, y={assignment['y']:.2f}"
        + (f" (PCA; the two axes explain {axes} of the variance)" if axes else "")
    )
    nearest = assignment.get("nearest") or []
    if nearest:
        table = Table(title="Most similar survey respondents")
        for column in ("respondent row", "distance", "persona", "music effect"):
            table.add_column(column)
        for person in nearest:
            table.add_row(
                str(person["row"]),
                f"{person['distance']:.2f}",
                str(person["persona"]),
                str(person["music_effect"] or "not answered"),
            )
        console.print(table)
    if details.get("note"):
        console.print(f"[dim]{details['note']}[/]")
    if assignment.get("cold_start"):
        console.print("[yellow]You gave no genre answers: the persona rests on your scores.[/]")


def render_effect(prediction: dict[str, Any], console: Console) -> None:
    """The answer to "will music help?" with its evidence."""
    table = Table(title="Will music help? (estimated from survey respondents like you)")
    table.add_column("outcome")
    table.add_column("probability", justify="right")
    for label, p in prediction["probabilities"].items():
        table.add_row(label, f"{p:.0%}")
    console.print(table)
    f1 = prediction["leak_free_macro_f1"]
    baselines = ", ".join(
        f"{name} {fig['mean']:.3f}" for name, fig in prediction["baselines_macro_f1"].items()
    )
    console.print(
        f"Model: {prediction['model']}; leak-free macro-F1 {_pm(f1)} vs baselines {baselines}."
    )
    style = "yellow" if prediction["evidence_is_weak"] else "green"
    console.print(f"[{style}]{prediction['message']}[/]")
    console.print("[dim]moodtune is not a medical device and does not diagnose.[/]")
