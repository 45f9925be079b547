"""Rendering of ``moodtune bench scale``: tables from :mod:`moodtune.bench.scale`'s measurements."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from moodtune.bench.scale import crossover, growth_exponent, linear_fit

__all__ = ["parse_sizes", "read_log", "render_scale_report", "run_scale_command", "summarise"]

P99_TARGET_MS = 2.0
RECALL_TARGET = 0.95


def parse_sizes(text: str) -> list[int]:
    """``"28356,1e6,10e6"`` -> [28356, 1000000, 10000000]."""
    from moodtune.errors import InputError

    sizes = []
    for part in text.split(","):
        try:
            value = int(float(part.strip()))
        except ValueError:
            raise InputError(
                "not a size", field="sizes", value=part, allowed="e.g. 28356,1e6,10e6"
            ) from None
        if value < 1:
            raise InputError("sizes must be positive", field="sizes", value=value)
        sizes.append(value)
    return sizes


def read_log(path: Path) -> list[dict[str, Any]]:
    """The measurements a run appended to ``path`` (JSON lines)."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Crossover, growth exponents, ALS ratios and serving targets from the measurements."""
    ok = [r for r in results if "error" not in r]
    local = {r["size"]: r for r in ok if r["kind"] == "annotate-in-process"}
    spark = {r["size"]: r for r in ok if r["kind"] == "annotate-spark"}
    both = sorted(set(local) & set(spark))
    serve = _last_query(ok, "served")
    return {
        "crossover": crossover(
            both, [local[s]["wall_seconds"] for s in both], [spark[s]["wall_seconds"] for s in both]
        ),
        # From 1 M rows up: below that the fixed costs (start-up, the cluster fit) dominate.
        "growth_exponent": {
            "in_process": growth_exponent(*_from_1m(local)),
            "spark": growth_exponent(*_from_1m(spark)),
        },
        "linear_fit": {
            "in_process": linear_fit(*_from_1m(local)),
            "spark": linear_fit(*_from_1m(spark)),
        },
        "crossover_extrapolated_rows": _extrapolated_crossover(
            linear_fit(*_from_1m(local)), linear_fit(*_from_1m(spark))
        ),
        "serving_targets": None
        if serve is None
        else {
            "p99_ms": serve["p99_ms"],
            "p99_ok": serve["p99_ms"] <= P99_TARGET_MS,
            "recall_at_20": serve["recall_at_20"],
            "recall_ok": serve["recall_at_20"] >= RECALL_TARGET,
        },
        "serving_baseline": _last_query(ok, "on-disk-lists"),
        "errors": [r for r in results if "error" in r],
    }


def _from_1m(measured: dict[int, dict[str, Any]]) -> tuple[list[int], list[float]]:
    sizes = [s for s in sorted(measured) if s >= 1_000_000]
    return sizes, [measured[s]["wall_seconds"] for s in sizes]


def _extrapolated_crossover(
    local: dict[str, float] | None, spark: dict[str, float] | None
) -> float | None:
    """Where the two straight lines cross (an extrapolation, labelled as one)."""
    if local is None or spark is None or local["us_per_row"] <= spark["us_per_row"]:
        return None
    gap = spark["fixed_seconds"] - local["fixed_seconds"]
    return gap / ((local["us_per_row"] - spark["us_per_row"]) / 1e6)


def _last(results: list[dict[str, Any]], kinds: tuple[str, ...]) -> dict[str, Any] | None:
    """The latest successful measurement of one of ``kinds`` ("serve" is an older run's build
    and queries in one process)."""
    found = [r for r in results if r["kind"] in kinds and "error" not in r]
    return found[-1] if found else None


def _variant(entry: dict[str, Any]) -> str:
    """A query run's variant; runs from before variants existed opened the index the old way."""
    return str(entry.get("variant", "on-disk-lists"))


def _last_query(results: list[dict[str, Any]], variant: str) -> dict[str, Any] | None:
    """The latest successful lookup measurement of ``variant`` (see ``QUERY_VARIANTS``)."""
    found = [
        r
        for r in results
        if r["kind"] in ("query", "serve") and "error" not in r and _variant(r) == variant
    ]
    return found[-1] if found else None


def _f(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def render_scale_report(results: list[dict[str, Any]]) -> None:
    """Print the annotation, ALS and serving tables and the summary."""
    from rich.table import Table

    from moodtune.cli._common import console

    summary = summarise(results)
    by = {(r["kind"], r.get("size", r.get("plays"))): r for r in results if "error" not in r}
    sizes = sorted({r["size"] for r in results if r["kind"].startswith("annotate")})
    table = Table(
        title="annotate (synthetic tracks; wall s incl. process and Spark start)",
        title_justify="left",
    )
    for column in (
        "tracks",
        "in-process s",
        "rows/s",
        "peak MB",
        "Spark local[2] s",
        "rows/s",
        "peak MB",
        "Spark / in-process",
    ):
        table.add_column(column, justify="right")
    for size in sizes:
        a, b = by.get(("annotate-in-process", size)), by.get(("annotate-spark", size))
        ratio = b["wall_seconds"] / a["wall_seconds"] if a and b else None
        table.add_row(
            f"{size:,}",
            _f(a and a["wall_seconds"]),
            _f(a and size / a["wall_seconds"], 0),
            _f(a and a["peak_rss_mb"], 0),
            _f(b and b["wall_seconds"]),
            _f(b and size / b["wall_seconds"], 0),
            _f(b and b["peak_rss_mb"], 0),
            "-" if ratio is None else f"{ratio:.2f}x",
        )
    if sizes:
        console.print(table)
    growth, fit = summary["growth_exponent"], summary["linear_fit"]
    cross = summary["crossover"]
    for name, label in (("in_process", "in-process"), ("spark", "Spark local[2]")):
        if fit[name]:
            console.print(
                f"{label} from 1 M rows: wall ~ {fit[name]['fixed_seconds']:.0f} s + "
                f"{fit[name]['us_per_row']:.1f} us/row; growth exponent "
                f"{_f(growth[name], 2)} (log wall / log size; 1 = linear)"
            )
    if cross["first_faster_at"]:
        console.print(f"Spark first faster at {cross['first_faster_at']:,} tracks (measured)")
    elif sizes:
        console.print("Spark local[2] was not faster at any size measured both ways")
    if summary["crossover_extrapolated_rows"]:
        console.print(
            "the straight lines cross at ~"
            f"{summary['crossover_extrapolated_rows'] / 1e6:.1f} M tracks (extrapolated)"
        )
    plays = sorted({r["plays"] for r in results if r["kind"].startswith("als")})
    if plays:
        als = Table(
            title="ALS fit (synthetic plays, fit window of the temporal split)",
            title_justify="left",
        )
        for column in (
            "plays",
            "pairs",
            "implicit s",
            "peak MB",
            "MLlib s",
            "peak MB",
            "MLlib / implicit",
        ):
            als.add_column(column, justify="right")
        for n in plays:
            a, b = by.get(("als-in-process", n)), by.get(("als-spark", n))
            als.add_row(
                f"{n:,}",
                "-" if not a else f"{a['nnz']:,}",
                _f(a and a["wall_seconds"]),
                _f(a and a["peak_rss_mb"], 0),
                _f(b and b["wall_seconds"]),
                _f(b and b["peak_rss_mb"], 0),
                f"{b['wall_seconds'] / a['wall_seconds']:.1f}x" if a and b else "-",
            )
        console.print(als)
    build = _last(results, ("index", "serve"))
    if build:
        seconds = build.get("build_seconds", build.get("wall_seconds", 0.0))
        source = "synthetic vectors" if build.get("source") == "vectors" else "the Spark output"
        peak = f", peak {build['peak_rss_mb']:,.0f} MB" if "peak_rss_mb" in build else ""
        console.print(
            f"serving index: {build['vectors']:,} vectors from {source}, IVF nlist "
            f"{build['nlist']:,}, nprobe {build['nprobe']} (recall@20 by nprobe at build: "
            f"{build['recall_by_nprobe']}), built in {seconds:.0f} s{peak}"
        )
    runs = [r for r in results if r["kind"] in ("query", "serve") and "error" not in r]
    if runs:
        console.print(_lookup_table(runs))
    serve = summary["serving_targets"]
    if serve:
        console.print(
            f"target (served, back to back): p99 {serve['p99_ms']:.2f} ms "
            f"({'ok' if serve['p99_ok'] else 'OVER'} the {P99_TARGET_MS} ms target), "
            f"recall@20 {serve['recall_at_20']:.3f} "
            f"({'ok' if serve['recall_ok'] else 'UNDER'} {RECALL_TARGET})"
        )
    for error in summary["errors"]:
        what = error.get("size", error.get("plays"))
        console.print(f"[red]failed:[/] {error['kind']} {what}: {error['error']}")


def _lookup_table(runs: list[dict[str, Any]]) -> Any:
    """One row per lookup run: start-up, cold and warm tails, where the tail came from, memory."""
    from rich.table import Table

    table = Table(
        title="similar-track lookups (top 20, one thread; ms; blocked/preempted: context switches "
        "per lookup; all figures in --json)",
        title_justify="left",
    )
    for column in (
        "variant",
        "warm s",
        "cold p99",
        "p50",
        "p99",
        "CPU p99",
        "blocked",
        "preempted",
        "paced p99",
        "recall@20",
        "RSS / index MB",
        "load avg",
    ):
        table.add_column(column, justify="right")
    for r in runs:
        closed = r.get("closed_loop", {})
        paced = r.get("paced")
        table.add_row(
            _variant(r),
            _f(r.get("warm_seconds"), 2),
            _f(r.get("cold", {}).get("p99_ms"), 2),
            _f(r["p50_ms"], 2),
            _f(r["p99_ms"], 2),
            _f(r.get("cpu_p99_ms"), 2),
            _f(closed.get("voluntary_switches_per_lookup"), 3),
            _f(closed.get("preempted_per_lookup"), 3),
            "-" if not paced else f"{paced['p99_ms']:.2f} @{paced['rate_per_s']:.0f}/s",
            _f(r["recall_at_20"], 3),
            f"{r['rss_mb_after_queries']:,.0f} / {_f(r.get('mapped_index_mb_after_queries'), 0)}",
            " ".join(
                f"{x:.1f}"
                for x in r.get("load_average_during", [r.get("load_average_before", 0.0)])
            ),
        )
    return table


def run_scale_command(
    *,
    sizes: str,
    in_process_max: int,
    plays: str,
    als_iterations: int,
    work_dir: Path,
    log: Path,
    from_log: Path | None,
    as_json: bool,
    serve_only: bool = False,
    serve_repeats: int = 1,
    vector_index_rows: int | None = None,
    spark: bool = True,
) -> None:
    """Measure (or read a previous run's log) and render."""
    from moodtune.bench.scale import run_scale_bench
    from moodtune.cli._common import console, print_json

    if from_log is not None:
        results = read_log(from_log)
    else:
        results = run_scale_bench(
            sizes=parse_sizes(sizes),
            in_process_max=in_process_max,
            plays=parse_sizes(plays) if plays else [],
            als_iterations=als_iterations,
            work_dir=work_dir,
            log=log,
            serve_only=serve_only,
            serve_repeats=serve_repeats,
            vector_index_rows=vector_index_rows,
            spark=spark,
            progress=None if as_json else lambda line: console.print(line, highlight=False),
        )
    if as_json:
        print_json({"results": results, "summary": summarise(results)})
        return
    render_scale_report(results)
