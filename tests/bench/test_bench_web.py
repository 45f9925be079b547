"""Smoke test: the web benchmark runs the real server in a tiny configuration (no timings)."""

from __future__ import annotations

import pytest

from moodtune.app.services import Services
from moodtune.bench.web import JOURNEY, PAGES, run_web_bench
from moodtune.bench.web_report import render_report
from moodtune.config import Settings


@pytest.mark.slow
def test_web_bench_runs_and_reports_every_figure(
    real_settings: Settings, prepared: Services
) -> None:
    report = run_web_bench(
        clients=2,
        duration_s=3,
        saturation_s=2,
        concurrency=2,
        think=(0.05, 0.2),
        in_process_flows=2,
        in_process_saturation=2,
        settings=real_settings,
    )
    load = report["load"]
    assert load["errors"] == 0, load["error_examples"]
    assert load["journeys"] + load["refused"] >= 1
    for label in (JOURNEY, *PAGES):
        assert {"p50_ms", "p95_ms", "p99_ms"} <= set(load["endpoints"][label])
    assert report["saturation"]["journeys_per_s"] > 0
    assert report["in_process"]["flows"]["endpoints"][JOURNEY]["n"] >= 1
    assert report["server"]["peak_rss_mb"] > 0
    assert {t["target"] for t in report["targets"]} >= {"journey p99 under load"}
    render_report(report)
