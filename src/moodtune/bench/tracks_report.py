"""Rendering of ``moodtune bench tracks``: a Rich progress bar while it runs, then tables."""

from __future__ import annotations

from typing import Any

from moodtune.bench.tracks import run_tracks_bench

__all__ = ["parse_scales", "render_report", "run_tracks_command"]


def parse_scales(text: str) -> list[int]:
    """``"1,10,35"`` -> ``[1, 10, 35]`` (each a whole number from 1 to 100)."""
    from moodtune.errors import InputError

    scales = []
    for part in text.split(","):
        part = part.strip().lower().removeprefix("x")
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 100:
            raise InputError(
                "bad scale",
                field="--scales",
                value=part,
                allowed="whole numbers 1-100, e.g. 1,10,35",
            )
        scales.append(int(part))
    if not scales:
        raise InputError("no scale given", field="--scales", allowed="e.g. 1,10,35")
    return sorted(set(scales))


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def targets_table(targets: list[dict[str, Any]], *, digits: int) -> Any:
    """Every benchmark's closing table: each target, its goal, what was measured, pass/fail."""
    from rich.table import Table

    table = Table(title="Targets")
    for col in ("target", "goal", "measured", "result"):
        table.add_column(col)
    for t in targets:
        verdict = "[green]PASS[/]" if t["pass"] else "[red]FAIL[/]"
        table.add_row(t["target"], t["goal"], _fmt(t["measured"], digits), verdict)
    return table


def render_report(report: dict[str, Any]) -> None:
    """Print the benchmark report as Rich tables."""
    from rich.table import Table

    from moodtune.cli._common import console

    table = Table(title="moodtune bench tracks: top-20 queries (ms, in-process)")
    for col in ("scale", "tracks (synthetic)", "query", "p50", "p99", "recall@20",
                "naive p50", "naive p99", "speed-up p50", "speed-up p99", "RSS MB"):  # fmt: skip
        table.add_column(col, justify="right")
    for s in report["scales"]:
        for kind, name in (("similar", "similar (HNSW)"), ("mood", "mood point (k-d tree)")):
            q, naive = s[kind], s[f"naive_{kind}"]
            table.add_row(
                f"x{s['scale']}",
                f"{s['tracks']:,} ({s['synthetic_tracks']:,})",
                name,
                _fmt(q["p50_ms"]),
                _fmt(q["p99_ms"]),
                _fmt(q["recall_at_20"]),
                _fmt(naive["p50_ms"], 2),
                _fmt(naive["p99_ms"], 2),
                f"{q['speedup_p50']:.0f}x",
                f"{q['speedup_p99']:.0f}x",
                f"{s['rss_mb']:.0f}",
            )
        answers = (
            ("similar_full", "similar + reasons"),
            ("similar_table", "similar + reasons + table"),
            ("mood_full", "mood + reasons"),
            ("mood_table", "mood + reasons + table"),
        )
        for kind, name in answers:
            q = s.get(kind)
            if q is None:  # a report from before answer tables were built on demand
                continue
            table.add_row(f"x{s['scale']}", "", name, _fmt(q["p50_ms"]), _fmt(q["p99_ms"]),
                          "", "", "", "", "", "")  # fmt: skip
        j = s["journey"]
        table.add_row(f"x{s['scale']}", "", "20-track journey", _fmt(j["p50_ms"], 2),
                      _fmt(j["p99_ms"], 2), "", "", "", "", "", "")  # fmt: skip
    console.print(table)

    ev = Table(title="Journeys vs naive baseline (random tracks from the target quadrant)")
    for col in ("scale", "pairs", "journey mean dist", "naive mean dist", "ratio",
                "journey max BPM / energy jump", "naive max BPM / energy jump",
                "bound", "violations", "infeasible"):  # fmt: skip
        ev.add_column(col, justify="right")
    for s in report["scales"]:
        e = s["evaluation"]
        ev.add_row(
            f"x{s['scale']}",
            str(e["pairs"]),
            _fmt(e["journey_mean_distance"]),
            _fmt(e["naive_mean_distance"]),
            f"{e['distance_ratio']:.1f}x",
            f"{_fmt(e['journey_max_tempo_jump'], 1)} / {_fmt(e['journey_max_energy_jump'], 2)}",
            f"{_fmt(e['naive_max_tempo_jump'], 1)} / {_fmt(e['naive_max_energy_jump'], 2)}",
            f"{e['bounds']['tempo_bpm']:g} BPM / {e['bounds']['energy']:g}",
            f"{e['journey_bound_violations']} (naive {e['naive_bound_violations']})",
            str(e["infeasible"]),
        )
    console.print(ev)

    cold = report.get("cold_start")
    if cold:
        ct = Table(
            title=f"Cold start: new process to first answer ({cold['command']}); warm = median of 3"
        )
        for col in ("cache", "seconds", "peak RSS MB", "ok"):
            ct.add_column(col, justify="right")
        for key in ("warm", "cold"):
            c = cold[key]
            ct.add_row(key, _fmt(c["seconds"], 2), _fmt(c["peak_rss_mb"], 0), str(c["ok"]))
        console.print(ct)

    console.print(targets_table(report["targets"], digits=3))
    machine = report["machine"]
    console.print(
        f"[dim]{machine['cpus']} CPUs, Python {machine['python']}, faiss {machine['faiss']}, "
        f"load average at start {machine['load_average']}. Synthetic rows are labelled "
        "synthetic=True; the x1 row is the real catalog only.[/]",
        highlight=False,
    )


def run_tracks_command(*, scales: str, quick: bool, cold_start: bool, as_json: bool) -> None:
    """The ``moodtune bench tracks`` command body: run with a progress bar, then print."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from moodtune.cli._common import err_console, print_json

    wanted = parse_scales(scales)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        report = run_tracks_bench(
            scales=wanted, quick=quick, cold_start=cold_start, progress=progress
        )
    if as_json:
        print_json(report)
    else:
        render_report(report)
