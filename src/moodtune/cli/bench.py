"""`moodtune bench` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

app = typer.Typer(
    help="Benchmarks: speed, memory and learning figures next to naive baselines.",
    no_args_is_help=True,
)


def register_top_level(root: typer.Typer) -> None:
    """Add this group's top-level commands (if any) to the root app."""


# --- tracks (owned by the "tracks+journeys" area; the bench itself is moodtune.bench.tracks) ---


@app.command("tracks")
def tracks(
    scales: str = typer.Option(
        "1,10,35", "--scales", help="Catalog scales to measure, e.g. 1,10,35 (x10/x35 synthetic)."
    ),
    quick: bool = typer.Option(False, "--quick", help="Fewer queries and journeys."),
    cold_start: bool = typer.Option(
        True, "--cold-start/--no-cold-start", help="Time new processes (warm and empty cache)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
) -> None:
    """Track queries and journeys: latency, recall, naive way, cold start, memory, scale."""
    from moodtune.bench.tracks_report import run_tracks_command

    run_tracks_command(scales=scales, quick=quick, cold_start=cold_start, as_json=as_json)


# --- learning (owned by the "learning" area; the bench itself is moodtune.bench.learning) ---


@app.command("learning")
def learning(
    listeners: int = typer.Option(100, "--listeners", help="Simulated listeners per seed."),
    sessions: int = typer.Option(20, "--sessions", help="Sessions per listener."),
    seeds: int = typer.Option(3, "--seeds", help="Independent populations (seeds 0..K-1)."),
    out: str = typer.Option("bench-out/learning", "--out", help="Directory for PNG/HTML/JSON."),
    quick: bool = typer.Option(False, "--quick", help="30 listeners, 12 sessions, 1 seed."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Simulated listeners: learning vs no learning; matrix factorisation vs popularity."""
    from moodtune.bench.learning import run_learning_command

    run_learning_command(
        listeners=listeners,
        sessions=sessions,
        seeds=seeds,
        out=out,
        quick=quick,
        as_json=as_json,
    )


# --- web (the API/web area; the bench itself is moodtune.bench.web) ---


@app.command("web")
def web(
    clients: int = typer.Option(50, "--clients", min=1, max=1000, help="Simulated clients."),
    duration: float = typer.Option(60.0, "--duration", min=1, help="Seconds of load."),
    saturation: float = typer.Option(20.0, "--saturation", min=1, help="Seconds of saturation."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="Saturation concurrency."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Whose model cache to serve from (default: yours)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the full report as JSON here."),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    users: int | None = typer.Option(
        None, "--users", min=1, max=2000,
        help="Signed-in listeners (accounts, multi-user mode on PostgreSQL) instead of clients.",
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, max=16,
        help="Server worker processes sharing the models (default: 1; with --users, 2).",
    ),
) -> None:  # fmt: skip
    """The real server under load over HTTP: latency per endpoint, journeys/s, memory."""
    if users is not None:
        _web_accounts(users=users, workers=workers or 2, duration=duration, data_dir=data_dir,
                      out=out, as_json=as_json)  # fmt: skip
        return
    from moodtune.bench.web_report import run_web_command

    run_web_command(
        clients=clients,
        duration=duration,
        saturation=saturation,
        concurrency=concurrency,
        data_dir=data_dir,
        out=out,
        as_json=as_json,
        workers=workers or 1,
    )


def _web_accounts(
    *, users: int, workers: int, duration: float, data_dir: Path | None, out: Path | None,
    as_json: bool,
) -> None:  # fmt: skip
    """``bench web --users N --workers W``: signed-in listeners on PostgreSQL (accounts area)."""
    import json

    from moodtune.bench.web_accounts import render_accounts_report, run_accounts_bench
    from moodtune.cli._common import err_console
    from moodtune.config import get_settings
    from moodtune.jsonable import to_jsonable

    settings = get_settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})

    def progress(stage: str, done: int, total: int) -> None:
        err_console.print(f"[dim]bench:[/] {stage}", highlight=False)

    report = run_accounts_bench(users=users, workers=workers, duration_s=duration,
                                settings=settings, progress=progress)  # fmt: skip
    text = json.dumps(to_jsonable(report), indent=2)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    if as_json:
        typer.echo(text)
    else:
        render_accounts_report(report)


# --- report (owned by the "insights" area; the bench itself is moodtune.bench.report) ---


@app.command("report")
def report(
    repeats: int = typer.Option(3, "--repeats", min=1, max=20, help="Warm builds to time."),
    baseline: bool = typer.Option(
        True, "--baseline/--no-baseline", help="Also time one build without the report caches."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """The whole insights report from warm caches (target: 30 s) against an uncached build."""
    from contextlib import AbstractContextManager, nullcontext

    from rich.table import Table

    from moodtune.bench.report import TARGET_SECONDS, run_report_benchmark
    from moodtune.cli._common import console, print_json

    status: AbstractContextManager[Any] = (
        nullcontext() if as_json else console.status("building the report", spinner="dots")
    )
    with status:
        bench = run_report_benchmark(repeats=repeats, baseline=baseline)
    if as_json:
        print_json(bench.to_dict())
        return
    steps = Table(title="warm build, median seconds per step", title_justify="left")
    steps.add_column("step")
    steps.add_column("seconds", justify="right")
    for name, seconds in bench.step_seconds.items():
        steps.add_row(name, f"{seconds:.2f}")
    steps.add_row("HTML (plotly.js inlined)", f"{min(bench.render_seconds):.2f}")
    console.print(steps)
    summary = Table(title="the whole report", title_justify="left")
    summary.add_column("measure")
    summary.add_column("seconds", justify="right")
    summary.add_column("vs warm", justify="right")
    warm = bench.warm_median
    summary.add_row(
        f"warm build + HTML (median of {len(bench.warm_seconds)})", f"{warm:.1f}", "1.0x"
    )
    summary.add_row("target", f"{TARGET_SECONDS:.0f}", f"{TARGET_SECONDS / warm:.1f}x")
    if bench.baseline_seconds is not None:
        summary.add_row(
            "baseline: without the report's caches",
            f"{bench.baseline_seconds:.1f}",
            f"{bench.baseline_seconds / warm:.1f}x",
        )
    summary.add_row("first build of this run (warm-up)", f"{bench.warmup_seconds:.1f}", "")
    console.print(summary)
    console.print(
        f"{bench.figures} figures, {bench.cards} model cards, {bench.html_bytes / 1e6:.1f} MB; "
        f"{'within' if warm <= TARGET_SECONDS else 'OVER'} the {TARGET_SECONDS:.0f} s target."
    )


# --- scale (the Spark area; the bench itself is moodtune.bench.scale) ---


@app.command("scale")
def scale(
    sizes: str = typer.Option("28356,1e6,10e6", "--sizes", help="Synthetic catalog sizes."),
    in_process_max: int = typer.Option(
        10_000_000, "--in-process-max", help="Largest size also annotated in process."
    ),
    spark: bool = typer.Option(
        True, "--spark/--no-spark", help="Also run the Spark side (annotation, index, MLlib)."
    ),
    plays: str = typer.Option("1e6,10e6", "--plays", help="Synthetic play counts for ALS."),
    als_iterations: int = typer.Option(10, "--als-iterations", min=1),
    work_dir: Path = typer.Option(
        Path("bench-out/scale-work"), "--work-dir", help="Where synthetic data and outputs go."
    ),
    log: Path = typer.Option(
        Path("bench-out/scale.jsonl"), "--log", help="Measurements appended here."
    ),
    from_log: Path | None = typer.Option(
        None, "--from-log", help="Render a previous run's log instead of measuring."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print results and summary as JSON."),
    serve_only: bool = typer.Option(
        False,
        "--serve-only",
        help="Only the lookups, on the index an earlier run left in --work-dir/index.",
    ),
    serve_repeats: int = typer.Option(
        1, "--serve-repeats", min=1, help="Rounds of lookup runs (each variant, fresh process)."
    ),
    vector_index: str = typer.Option(
        "",
        "--vector-index",
        help="With --serve-only and no index yet: build one of this many synthetic vectors "
        "(real vectors resampled and jittered), e.g. 10e6.",
    ),
) -> None:
    """Spark local[2] vs in-process: annotation and ALS at scale, a 10 M-track serving index."""
    from moodtune.bench.scale_report import parse_sizes, run_scale_command

    run_scale_command(
        sizes=sizes,
        in_process_max=in_process_max,
        plays=plays,
        als_iterations=als_iterations,
        work_dir=work_dir,
        log=log,
        from_log=from_log,
        as_json=as_json,
        serve_only=serve_only,
        serve_repeats=serve_repeats,
        vector_index_rows=parse_sizes(vector_index)[0] if vector_index else None,
        spark=spark,
    )


# --- audio (the local-audio area; the bench itself is moodtune.bench.audio) ---


@app.command("audio")
def audio(
    files: int = typer.Option(30, "--files", min=2, max=1000, help="Generated files."),
    seconds: float = typer.Option(60.0, "--seconds", min=10, help="Length of each file (s)."),
    baseline_files: int = typer.Option(
        5, "--baseline-files", min=1, help="Files the (slow) librosa baseline analyses."
    ),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Scan processes."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Local-audio analysis speed per core (x real time) and scan throughput, vs librosa."""
    from moodtune.bench.audio_report import run_audio_command

    run_audio_command(
        files=files,
        seconds=seconds,
        baseline_files=baseline_files,
        workers=workers,
        as_json=as_json,
    )
