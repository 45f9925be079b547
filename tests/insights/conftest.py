"""One insights report on the real data, built once per test worker with a small protocol."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodtune.app.services import Services
from moodtune.config import Settings
from moodtune.insights.html import render_standalone
from moodtune.insights.report import InsightsReport, ReportOptions, build_report

#: Small enough for a test run, with every section present.
TEST_OPTIONS = ReportOptions(
    effect_repeats=1,
    effect_splits=3,
    genre_repeats=1,
    journey_pairs=10,
    learning_listeners=4,
    learning_sessions=4,
    learning_seeds=1,
)


@pytest.fixture(scope="session")
def insights_services(real_settings: Settings) -> Services:
    return Services(real_settings)


@pytest.fixture(scope="session")
def insights_report(insights_services: Services) -> InsightsReport:
    return build_report(insights_services, options=TEST_OPTIONS)


@pytest.fixture(scope="session")
def report_file(insights_report: InsightsReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("insights") / "report.html"
    path.write_text(render_standalone(insights_report), encoding="utf-8")
    return path
