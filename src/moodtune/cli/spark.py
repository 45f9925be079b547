"""`moodtune spark` commands: the batch jobs of :mod:`moodtune.spark` (needs ``moodtune[spark]``).

Each command runs in ``local[N]`` by default (``--master``); under ``spark-submit`` pass
``--master ""`` to keep the cluster's master.
"""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(
    help="Batch jobs on Apache Spark: annotate a catalog, train ALS, build the serving index.",
    no_args_is_help=True,
)

_MASTER = typer.Option(
    "local[2]", "--master", help='Spark master; "" keeps the one spark-submit set.'
)


def _master(value: str) -> str | None:
    return value or None


@app.command("annotate")
def annotate(
    catalog: str = typer.Option(..., "--catalog", help="Input Parquet (file or folder of parts)."),
    out: str = typer.Option(..., "--out", help="Output folder (partitioned Parquet)."),
    replace: bool = typer.Option(False, "--replace", help="Replace an existing output."),
    master: str = _MASTER,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Validate, place on the mood plane, cluster and scale every track of a catalog."""
    from moodtune.cli._common import console, option_names, print_json
    from moodtune.spark.annotate import annotate_catalog
    from moodtune.spark.session import spark_session

    with (
        option_names(replace="--replace", out="--out"),
        spark_session(master=_master(master)) as spark,
    ):
        result = annotate_catalog(spark, catalog, out, replace=replace)
    if as_json:
        print_json(result.to_dict())
        return
    console.print(
        f"annotated {result.rows:,} tracks ({result.usable_rows:,} usable) into {result.out} "
        f"in {result.seconds['total']:.1f} s; clusters: {', '.join(result.cluster_names)}"
    )
    for reason, count in result.excluded_by_reason.items():
        console.print(f"  excluded: {reason} x{count:,}")


@app.command("export-plays")
def export_plays(
    out: Path = typer.Option(..., "--out", help="Parquet file to write the plays to."),
    replace: bool = typer.Option(False, "--replace", help="Replace an existing file."),
) -> None:
    """Write the plays of listeners who consented to learning (the input of train-cf)."""
    from moodtune.cli._common import console, option_names
    from moodtune.spark.cf import export_plays as run

    with option_names(replace="--replace", out="--out"):
        done = run(str(out), replace=replace)
    console.print(f"{done.plays:,} plays of {done.listeners:,} listeners -> {done.out}")


@app.command("train-cf")
def train_cf(
    plays: str = typer.Option(
        ..., "--plays", help="Plays (Parquet or .csv): listener, track, session, accepted, thumbs."
    ),
    out: str = typer.Option(..., "--out", help="Output folder for the factors."),
    factors: int = typer.Option(32, "--factors", min=1),
    iterations: int = typer.Option(20, "--iterations", min=1),
    regularization: float = typer.Option(0.05, "--regularization", min=0.0),
    alpha: float = typer.Option(10.0, "--alpha", min=0.0),
    seed: int = typer.Option(0, "--seed"),
    replace: bool = typer.Option(False, "--replace", help="Replace an existing output."),
    master: str = _MASTER,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Implicit-feedback ALS (MLlib), scored on the temporal split's test sessions."""
    from moodtune.cli._common import console, option_names, print_json
    from moodtune.spark.cf import AlsParams
    from moodtune.spark.cf import train_cf as run
    from moodtune.spark.session import spark_session

    params = AlsParams(
        factors=factors,
        iterations=iterations,
        regularization=regularization,
        alpha=alpha,
        random_state=seed,
    )
    with (
        option_names(replace="--replace", out="--out"),
        spark_session(master=_master(master)) as spark,
    ):
        result = run(spark, plays, out, params=params, replace=replace)
    if as_json:
        print_json(result.to_dict())
        return
    console.print(
        f"{result.listeners:,} listeners x {result.tracks:,} tracks, {result.interactions:,} "
        f"training pairs (sessions {result.split.fit[0]}-{result.split.fit[1]}); "
        f"test sessions {result.split.test[0]}-{result.split.test[1]}, "
        f"{result.evaluated_listeners:,} listeners scored"
    )
    for name, metrics in result.metrics.items():
        figures = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items())
        console.print(f"  {name}: {figures}")
    console.print(f"factors -> {result.out} ({result.seconds['total']:.1f} s)")


@app.command("index")
def index(
    annotated: str = typer.Option(..., "--annotated", help="Output of `moodtune spark annotate`."),
    out: str = typer.Option(..., "--out", help="Folder for the serving index."),
    nlist: int | None = typer.Option(
        None, "--nlist", min=1, help="IVF cells (default ~4 sqrt(n))."
    ),
    recall: float = typer.Option(
        0.95, "--recall", min=0.0, max=1.0, help="recall@20 nprobe must reach."
    ),
    replace: bool = typer.Option(False, "--replace", help="Replace an existing index."),
    master: str = _MASTER,
    as_json: bool = typer.Option(False, "--json", help="Print the build report as JSON."),
) -> None:
    """Build the memory-mapped serving index (faiss IVF) of an annotated catalog."""
    from moodtune.cli._common import console, option_names, print_json
    from moodtune.spark.index import build_index
    from moodtune.spark.session import spark_session

    with option_names(replace="--replace"), spark_session(master=_master(master)) as spark:
        report = build_index(
            spark, annotated, out, nlist=nlist, target_recall=recall, replace=replace
        )
    if as_json:
        print_json(report.__dict__)
        return
    curve = ", ".join(f"{p}: {r:.3f}" for p, r in report.recall_by_nprobe.items())
    console.print(
        f"{report.vectors:,} vectors in {report.nlist:,} cells (trained on {report.train_rows:,}); "
        f"nprobe {report.nprobe} (recall@20 by nprobe: {curve}) -> {out}"
    )
