"""``moodtune bench learning``: learning from feedback vs the same recommender without it.

Runs the simulated-listener experiment (``moodtune.evaluation.simulation``) on the real
catalogue, then the collaborative-filtering evaluation (``moodtune.recommend.collaborative``)
on the simulated population, and renders a table, a PNG and an HTML plot and a JSON summary.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from moodtune.evaluation.simulation import (
    SimulatedCatalog,
    SimulationConfig,
    SimulationResult,
    prepare_catalog,
    run_simulation,
)
from moodtune.recommend.collaborative import RankingReport, temporal_evaluation

__all__ = ["LearningBenchmark", "json_ready", "run_learning_benchmark", "save_json", "save_plots"]


@dataclass
class LearningBenchmark:
    """Everything the bench measured."""

    result: SimulationResult
    per_session: pd.DataFrame
    comparison: dict[str, Any]
    coverage: pd.DataFrame
    ranking: dict[int, RankingReport]
    ranking_mean: pd.DataFrame
    catalog_name: str
    catalog_size: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        config = asdict(self.result.config)
        return {
            "catalog": {"name": self.catalog_name, "usable_tracks": self.catalog_size},
            "config": config,
            "per_session": self.per_session.to_dict(orient="records"),
            "comparison": self.comparison,
            "coverage": self.coverage.to_dict(orient="records"),
            "ranking": {
                "mean_over_seeds": self.ranking_mean.reset_index().to_dict(orient="records"),
                "per_seed": {
                    str(seed): {
                        "metrics": report.metrics,
                        "blend_weight": report.blend_weight,
                        "validation_ndcg": {str(w): v for w, v in report.validation.items()},
                        "details": report.details,
                    }
                    for seed, report in self.ranking.items()
                },
            },
            "seconds": self.seconds,
        }


def run_learning_benchmark(
    config: SimulationConfig,
    *,
    catalog: SimulatedCatalog | None = None,
    catalog_name: str = "default",
    ranking_arm: str = "no_learning",
    progress: Callable[[int, int], None] | None = None,
) -> LearningBenchmark:
    """Run the simulation and the temporal MF evaluation (on ``load_catalog()`` by default)."""
    started = time.perf_counter()
    if catalog is None:
        from moodtune.catalog import load_catalog

        loaded = load_catalog()
        catalog_name = loaded.name
        catalog = prepare_catalog(loaded.tracks)
    result = run_simulation(catalog, config, progress=progress)
    arm = ranking_arm if ranking_arm in config.arms else config.arms[0]
    ranking = temporal_evaluation(result, catalog, arm=arm)
    frames = [pd.DataFrame(report.metrics).T.assign(seed=seed) for seed, report in ranking.items()]
    ranking_mean = pd.concat(frames).groupby(level=0).mean(numeric_only=True).drop(columns="seed")
    ranking_mean["blend_weight"] = np.nan
    ranking_mean.loc["blend", "blend_weight"] = float(
        np.mean([r.blend_weight for r in ranking.values() if r.blend_weight is not None])
    )
    return LearningBenchmark(
        result=result,
        per_session=result.per_session(),
        comparison=result.comparison(from_session=min(6, config.n_sessions)),
        coverage=result.coverage(),
        ranking=ranking,
        ranking_mean=ranking_mean.reindex(["popularity", "content", "mf", "blend"]),
        catalog_name=catalog_name,
        catalog_size=catalog.size,
        seconds=time.perf_counter() - started,
    )


_LABELS = {
    "no_learning": "no learning",
    "learning": "learning (Thompson)",
    "learning_greedy": "learning (greedy)",
}


def save_plots(bench: LearningBenchmark, out_dir: Path) -> dict[str, Path]:
    """Acceptance and mood gain per session (mean ± 95% CI) as PNG and HTML."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    out_dir.mkdir(parents=True, exist_ok=True)
    data = bench.per_session
    titles = {"acceptance": "acceptance rate", "gain": "mood improvement (distance to target)"}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric in zip(axes, titles, strict=True):
        for arm, group in data.groupby("arm", sort=False):
            x = group["session"].to_numpy()
            y = group[metric].to_numpy()
            ci = group[f"{metric}_ci"].to_numpy()
            ax.plot(x, y, marker="o", ms=3, label=_LABELS.get(str(arm), str(arm)))
            ax.fill_between(x, y - ci, y + ci, alpha=0.2)
        ax.set_xlabel("session")
        ax.set_title(titles[metric])
        ax.grid(alpha=0.3)
    axes[0].legend()
    cfg = bench.result.config
    fig.suptitle(
        f"{cfg.n_listeners} simulated listeners x {len(cfg.seeds)} seeds, "
        f"catalogue '{bench.catalog_name}' ({bench.catalog_size} tracks)"
    )
    fig.tight_layout()
    png = out_dir / "learning.png"
    fig.savefig(png, dpi=120)
    plt.close(fig)

    pfig = make_subplots(rows=1, cols=2, subplot_titles=list(titles.values()))
    for col, metric in enumerate(titles, start=1):
        for arm, group in data.groupby("arm", sort=False):
            pfig.add_trace(
                go.Scatter(
                    x=group["session"],
                    y=group[metric],
                    error_y={"type": "data", "array": group[f"{metric}_ci"], "visible": True},
                    name=_LABELS.get(str(arm), str(arm)),
                    legendgroup=str(arm),
                    showlegend=col == 1,
                ),
                row=1,
                col=col,
            )
    pfig.update_xaxes(title_text="session")
    html = out_dir / "learning.html"
    pfig.write_html(html, include_plotlyjs=True, full_html=True)
    return {"png": png, "html": html}


def save_json(bench: LearningBenchmark, path: Path) -> Path:
    """The benchmark summary as JSON (NaN as null)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json_ready(bench.to_dict()), indent=2, default=str))
    return path


def json_ready(value: Any) -> Any:
    """Nested values with NaN/inf as None, tuples as lists and numpy scalars as Python."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _fmt(mean: float, ci: float) -> str:
    return f"{mean:.3f} ± {ci:.3f}" if np.isfinite(ci) else f"{mean:.3f}"


def render_tables(bench: LearningBenchmark) -> list[Any]:
    """Rich tables: per-session comparison, coverage/diversity, ranking (MF vs popularity)."""
    from rich.table import Table

    cfg = bench.result.config
    arms = [a for a in cfg.arms if a in set(bench.per_session["arm"])]
    per_session = Table(
        title=(
            f"Per session: acceptance and mood improvement (mean ± 95% CI over "
            f"{cfg.n_listeners} listeners x {len(cfg.seeds)} seeds)"
        )
    )
    per_session.add_column("session", justify="right")
    for arm in arms:
        per_session.add_column(f"accept {_LABELS.get(arm, arm)}", justify="right")
    for arm in arms:
        per_session.add_column(f"gain {_LABELS.get(arm, arm)}", justify="right")
    cell: dict[tuple[str, int], dict[Any, Any]] = {
        (str(r["arm"]), int(r["session"])): r for r in bench.per_session.to_dict(orient="records")
    }
    for session in range(1, cfg.n_sessions + 1):
        cells = [str(session)]
        for metric in ("acceptance", "gain"):
            for arm in arms:
                values = cell[(arm, session)]
                cells.append(_fmt(float(values[metric]), float(values[f"{metric}_ci"])))
        per_session.add_row(*cells)

    summary = Table(
        title=f"Learning minus no learning, sessions {bench.comparison['from_session']}+ "
        "(paired by listener; sessions/seeds where learning is ahead)"
    )
    for column in ("arm", "metric", "difference ± 95% CI", "sessions ahead", "seeds ahead"):
        summary.add_column(column)
    for arm in arms:
        entry = bench.comparison.get(arm)
        if not entry:
            continue
        for metric in ("acceptance", "gain"):
            e = entry[metric]
            summary.add_row(
                _LABELS.get(arm, arm),
                metric,
                _fmt(e["difference"], e["ci95"]),
                f"{e['sessions_better']}/{e['sessions']}",
                f"{e['seeds_better']}/{e['seeds']}",
            )

    coverage = Table(title=f"Coverage and diversity (catalogue: {bench.catalog_size} tracks)")
    for column in (
        "arm",
        "coverage",
        "unique tracks",
        "Gini",
        "intra-list diversity",
        "unique share per listener",
    ):
        coverage.add_column(column, justify="right")
    for cov in bench.coverage.to_dict(orient="records"):
        coverage.add_row(
            _LABELS.get(str(cov["arm"]), str(cov["arm"])),
            f"{cov['coverage']:.3f}",
            f"{cov['unique_tracks']:.0f}",
            f"{cov['gini']:.3f}",
            f"{cov['intra_list_diversity']:.3f}",
            f"{cov['listener_unique_share']:.3f}",
        )

    details = next(iter(bench.ranking.values())).details
    ranking = Table(
        title=(
            "Collaborative signal, temporal split (train sessions "
            f"{details['train_sessions'][0]}-{details['train_sessions'][1]}, validate "
            f"{details['validation_sessions'][0]}-{details['validation_sessions'][1]}, test "
            f"{details['test_sessions'][0]}-{details['test_sessions'][1]}; mean over seeds)"
        )
    )
    for column in ("ranker", "NDCG@10", "recall@10", "coverage", "blend weight (MF share)"):
        ranking.add_column(column, justify="right")
    means: dict[str, dict[str, float]] = bench.ranking_mean.to_dict(orient="index")  # type: ignore[assignment]
    for name, rank in means.items():
        ranking.add_row(
            str(name),
            f"{rank['ndcg@10']:.4f}",
            f"{rank['recall@10']:.4f}",
            f"{rank['coverage']:.4f}",
            "" if not np.isfinite(rank["blend_weight"]) else f"{rank['blend_weight']:.2f}",
        )
    ratio = Table(title="Ratio to popularity (same run)")
    ratio.add_column("ranker")
    ratio.add_column("NDCG@10 / popularity", justify="right")
    pop = means["popularity"]["ndcg@10"]
    for name, rank in means.items():
        if name == "popularity":
            continue
        value = rank["ndcg@10"] / pop if pop > 0 else float("inf")
        ratio.add_row(str(name), f"{value:.1f}x")
    return [per_session, summary, coverage, ranking, ratio]


def run_learning_command(
    *,
    listeners: int,
    sessions: int,
    seeds: int,
    out: str,
    quick: bool,
    as_json: bool,
) -> LearningBenchmark:
    """What ``moodtune bench learning`` does: run, print the tables, save PNG/HTML/JSON."""
    from rich.progress import Progress

    from moodtune.cli._common import console, print_json
    from moodtune.errors import InputError

    if quick:
        listeners, sessions, seeds = min(listeners, 30), min(sessions, 12), 1
    if seeds < 1:
        raise InputError("--seeds must be at least 1", field="seeds", value=seeds)
    if sessions < 3:
        raise InputError(
            "--sessions must be at least 3 (train, validation and test windows)",
            field="sessions",
            value=sessions,
        )
    config = SimulationConfig(n_listeners=listeners, n_sessions=sessions, seeds=tuple(range(seeds)))
    with Progress(console=console, transient=True, disable=as_json) as progress:
        task = progress.add_task("simulating listeners", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        bench = run_learning_benchmark(config, progress=advance)
    out_dir = Path(out)
    paths = save_plots(bench, out_dir)
    paths["json"] = save_json(bench, out_dir / "learning.json")
    if as_json:
        print_json({**json_ready(bench.to_dict()), "files": {k: str(v) for k, v in paths.items()}})
        return bench
    for table in render_tables(bench):
        console.print(table)
    console.print(
        f"saved {paths['png']}, {paths['html']} and {paths['json']} "
        f"({bench.seconds:.0f} s; catalogue '{bench.catalog_name}')"
    )
    return bench
