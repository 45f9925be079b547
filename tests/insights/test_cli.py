"""`moodtune report`, `moodtune models` and `moodtune bench report`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moodtune.bench.report import TARGET_SECONDS, run_report_benchmark
from moodtune.cli import app
from moodtune.config import Settings
from moodtune.insights.report import InsightsReport
from tests.insights.conftest import TEST_OPTIONS

pytestmark = pytest.mark.slow


@pytest.fixture
def built(insights_report: InsightsReport, monkeypatch: pytest.MonkeyPatch) -> InsightsReport:
    monkeypatch.setattr("moodtune.cli.insights._build", lambda quiet=False: insights_report)
    return insights_report


def test_report_writes_one_offline_file(built: InsightsReport, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "r.html"
    result = CliRunner().invoke(app, ["report", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and out.read_text(encoding="utf-8").startswith("<!doctype html>")
    said = " ".join(result.output.split())
    assert f"{len(built.figures)} figures" in said and f"{len(built.cards)} model cards" in said


def test_report_refuses_a_directory(built: InsightsReport, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--output", str(tmp_path)])
    assert result.exit_code != 0


def test_models_lists_every_card(built: InsightsReport) -> None:
    result = CliRunner().invoke(app, ["models", "--json"])
    assert result.exit_code == 0, result.output
    cards = json.loads(result.output)
    assert [c["key"] for c in cards] == ["effect", "personas", "mood", "genres", "learning"]
    text = " ".join(CliRunner().invoke(app, ["models"]).output.split())
    for card in built.cards:
        assert f"{card.name} ({card.status})" in text


def test_bench_report_measures_warm_builds_and_the_baseline(
    real_settings: Settings, insights_report: InsightsReport
) -> None:
    bench = run_report_benchmark(repeats=1, settings=real_settings, options=TEST_OPTIONS)
    summary = bench.to_dict()
    # a benchmark reports its target, it does not gate the suite on a loaded machine
    assert summary["warm_median_seconds"] > 0
    assert summary["within_target"] == (bench.warm_median <= TARGET_SECONDS)
    assert bench.baseline_seconds is not None and bench.figures == len(insights_report.figures)
