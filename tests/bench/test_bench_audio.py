"""`moodtune bench audio` measures what it says, on a tiny folder (the figures are not judged)."""

from __future__ import annotations

import pytest

pytest.importorskip("librosa", reason='the audio bench needs `pip install "moodtune[audio]"`')


def test_the_audio_bench_measures_analysis_baseline_and_both_scans() -> None:
    from moodtune.bench.audio import run_audio_benchmark

    bench = run_audio_benchmark(files=3, seconds=12.0, baseline_files=1, workers=2)
    report = bench.to_dict()
    assert bench.files == 3 and bench.window_seconds == 12.0
    assert len(bench.per_file_cpu_ms) == 3 and all(ms > 0 for ms in bench.per_file_cpu_ms)
    assert bench.per_core_realtime == pytest.approx(36.0 / (sum(bench.per_file_cpu_ms) / 1000))
    assert bench.baseline_realtime > 0 and bench.scan_files_per_second > 0
    assert report["speedup_over_baseline"] == pytest.approx(
        bench.per_core_realtime / bench.baseline_realtime
    )
    assert [t["pass"] for t in report["targets"]] == [
        bench.per_core_realtime >= 50,
        bench.per_core_realtime >= 300,
    ]
    assert len(bench.load_before) == 3
