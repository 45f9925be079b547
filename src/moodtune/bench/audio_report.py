"""Rendering of ``moodtune bench audio``: a status line while it runs, then tables."""

from __future__ import annotations

import statistics
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from moodtune.bench.audio import AudioBenchmark, run_audio_benchmark

__all__ = ["render_audio_report", "run_audio_command"]


def run_audio_command(
    *, files: int, seconds: float, baseline_files: int, workers: int | None, as_json: bool
) -> None:
    """Run the benchmark and print it (JSON or tables)."""
    from moodtune.cli._common import console, print_json

    status: AbstractContextManager[Any] = (
        nullcontext() if as_json else console.status("generating files and measuring")
    )
    with status:
        bench = run_audio_benchmark(
            files=files, seconds=seconds, baseline_files=baseline_files, workers=workers
        )
    if as_json:
        print_json(bench.to_dict())
        return
    render_audio_report(bench)


def render_audio_report(bench: AudioBenchmark) -> None:
    """Print the figures, the baseline and their ratio, then the targets."""
    from rich.table import Table

    from moodtune.bench.tracks_report import targets_table
    from moodtune.cli._common import console

    console.print(
        f"{bench.files} generated files of {bench.file_seconds:.0f} s, "
        f"{bench.window_seconds:.0f}-s windows; {bench.cores} cores; load average "
        f"{', '.join(f'{x:.2f}' for x in bench.load_before)} before, "
        f"{', '.join(f'{x:.2f}' for x in bench.load_after)} after"
    )
    table = Table(title="analysis per core (one process, one thread)", title_justify="left")
    for column in ("measure", "median CPU ms / file", "x real time", "vs baseline"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    ours = statistics.median(bench.per_file_cpu_ms)
    base = statistics.median(bench.baseline_per_file_ms)
    table.add_row(
        "moodtune: decode 30-s window + features + mood",
        f"{ours:.0f}",
        f"{bench.per_core_realtime:.0f}",
        f"{bench.per_core_realtime / bench.baseline_realtime:.1f}x",
    )
    table.add_row(
        "  the same per wall second (shared machine)",
        f"{statistics.median(bench.per_file_ms):.0f}",
        f"{bench.wall_realtime:.0f}",
        "",
    )
    table.add_row(
        f"baseline: librosa load whole file + beat_track + chroma_cqt ({bench.baseline_files})",
        f"{base:.0f}",
        f"{bench.baseline_realtime:.1f}",
        "1.0x",
    )
    table.add_row(
        "context: librosa beat_track alone on the window",
        "",
        f"{bench.beat_track_realtime:.0f}",
        "",
    )
    for suffix, ms in bench.by_format_ms.items():
        table.add_row(
            f"  moodtune, {suffix} files",
            f"{ms:.0f}",
            f"{bench.window_seconds / ms * 1000:.0f}",
            "",
        )
    table.add_row("first file of the process (imports, model; not in the figure)",
                  f"{bench.warmup_seconds * 1000:.0f}", "", "")  # fmt: skip
    console.print(table)
    scan = Table(title="scan throughput (run_scan over the folder)", title_justify="left")
    for column in ("workers", "seconds", "files/s", "x real time", "vs 1 worker"):
        scan.add_column(column, justify="right")
    scan.add_row(
        str(bench.scan_workers),
        f"{bench.scan_seconds:.1f}",
        f"{bench.scan_files_per_second:.1f}",
        f"{bench.scan_realtime:.0f}",
        f"{bench.scan_single_seconds / bench.scan_seconds:.2f}x",
    )
    scan.add_row(
        "1",
        f"{bench.scan_single_seconds:.1f}",
        f"{bench.scan_single_files_per_second:.1f}",
        f"{bench.window_seconds * bench.files / bench.scan_single_seconds:.0f}",
        "1.00x",
    )
    console.print(scan)
    console.print(targets_table(bench.targets(), digits=0))
