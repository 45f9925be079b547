"""The report in the real headless Chromium: it renders, logs no error, and passes axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from moodtune.insights.report import InsightsReport

pytestmark = pytest.mark.slow

pytest.importorskip("playwright.sync_api")

ALL_RENDERED = (
    "document.querySelectorAll('div.plot[data-rendered]').length === "
    "document.querySelectorAll('div.plot[data-figure]').length"
)


@pytest.fixture(scope="module")
def opened(browser: Any, report_file: Path) -> Iterator[tuple[Any, list[str], list[str]]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report_file.as_uri())
    page.wait_for_function(ALL_RENDERED, timeout=60_000)
    yield page, problems, requests
    page.close()


def test_every_figure_renders_without_console_errors(
    opened: tuple[Any, list[str], list[str]], insights_report: InsightsReport
) -> None:
    page, problems, requests = opened
    rendered = page.eval_on_selector_all(
        "div.plot[data-rendered]", "els => els.map(e => e.dataset.figureKey)"
    )
    assert rendered == [f.key for f in insights_report.figures]
    # every plot drew its SVG with at least one trace
    drawn = page.eval_on_selector_all(
        "div.plot[data-rendered]", "els => els.filter(e => e.querySelector('.main-svg')).length"
    )
    assert drawn == len(insights_report.figures)
    assert problems == []
    assert [u for u in requests if not u.startswith("file:")] == []  # works offline


def test_report_passes_axe_core(opened: tuple[Any, list[str], list[str]]) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page, _, _ = opened
    page.eval_on_selector_all("details", "els => els.forEach(d => d.open = true)")
    result = Axe().run(page)
    assert result.violations_count == 0, result.generate_report()


def test_dark_theme_renders_too(browser: Any, report_file: Path) -> None:
    page = browser.new_page(color_scheme="dark")
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(report_file.as_uri())
    page.wait_for_function(ALL_RENDERED, timeout=60_000)
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    page.close()
    assert problems == []
    assert result.violations_count == 0, result.generate_report()
