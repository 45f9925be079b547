"""The web app's Insights page serves the same content as the report file."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from moodtune.app.services import Services
from moodtune.insights.report import InsightsReport
from moodtune.insights.service import report_for
from moodtune.web.app import create_app
from tests.insights.conftest import TEST_OPTIONS

pytestmark = pytest.mark.slow


def test_insights_page_serves_the_report(
    insights_services: Services, insights_report: InsightsReport
) -> None:
    # The page builds with the default (slower) protocol; a test run starts it with the small one.
    report_for(insights_services, options=TEST_OPTIONS)
    app = create_app(insights_services.settings, services=insights_services)
    with TestClient(app) as client:
        deadline = time.monotonic() + 120
        while True:
            response = client.get("/insights")
            assert response.status_code == 200
            if "data-figure-key" in response.text or time.monotonic() > deadline:
                break
            assert "Now computing" in response.text  # progress, refreshing itself
            time.sleep(1)
        html = response.text
        assert html.count('data-figure-key="') == len(insights_report.figures)
        assert "/static-vendor/plotly.min.js" in html
        assert html.count("data-card=") == len(insights_report.cards)
        assert 'href="/insights"' in client.get("/explore").text
