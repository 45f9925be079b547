"""`moodtune bench report`: how long the whole insights report takes from warm caches.

Measures, in one run: a warm-up build (fills any empty cache), ``repeats`` warm builds with the
HTML rendering, and - as the baseline - one build without the report's own caches (the genre,
journey and learning evaluations recomputed, as a report without caching would). Renders
nothing: the CLI prints the table.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from moodtune.config import Settings
from moodtune.insights.report import InsightsReport, ReportOptions

__all__ = ["TARGET_SECONDS", "ReportBenchmark", "run_report_benchmark"]

#: The issue's target for a whole report from warm caches.
TARGET_SECONDS = 30.0


@dataclass
class ReportBenchmark:
    """Seconds per warm build (and per step), the uncached baseline, and the file's size."""

    warm_seconds: list[float]
    render_seconds: list[float]
    step_seconds: dict[str, float]
    warmup_seconds: float
    baseline_seconds: float | None
    html_bytes: int
    figures: int
    cards: int
    claims: dict[str, int] = field(default_factory=dict)

    @property
    def warm_median(self) -> float:
        """Median seconds for one whole report (build + HTML) from warm caches."""
        totals = [b + r for b, r in zip(self.warm_seconds, self.render_seconds, strict=True)]
        return statistics.median(totals)

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "warm_median_seconds": self.warm_median,
            "target_seconds": TARGET_SECONDS,
            "within_target": self.warm_median <= TARGET_SECONDS,
            "baseline_ratio": (self.baseline_seconds / self.warm_median)
            if self.baseline_seconds
            else None,
        }


def run_report_benchmark(
    *,
    repeats: int = 3,
    baseline: bool = True,
    settings: Settings | None = None,
    options: ReportOptions | None = None,
) -> ReportBenchmark:
    """Build the report ``repeats`` times from warm caches (after one warm-up build)."""
    from moodtune.app.services import Services
    from moodtune.insights.html import render_standalone
    from moodtune.insights.report import build_report as _build

    def build_report(services: Services, *, use_cache: bool = True) -> InsightsReport:
        return _build(services, options=options, use_cache=use_cache)

    started = time.perf_counter()
    warm_report = build_report(Services(settings))
    render_standalone(warm_report)
    warmup = time.perf_counter() - started
    builds, renders, steps = [], [], []
    html = ""
    for _ in range(max(1, repeats)):
        # A fresh Services each time: the survey, models and catalog are loaded from their
        # caches, as a new `moodtune report` process would.
        started = time.perf_counter()
        built = build_report(Services(settings))
        middle = time.perf_counter()
        html = render_standalone(built)
        renders.append(time.perf_counter() - middle)
        builds.append(middle - started)
        steps.append(built.timings)
    baseline_seconds = None
    if baseline:
        started = time.perf_counter()
        render_standalone(build_report(Services(settings), use_cache=False))
        baseline_seconds = time.perf_counter() - started
    return ReportBenchmark(
        warm_seconds=builds,
        render_seconds=renders,
        step_seconds={k: statistics.median(s[k] for s in steps) for k in steps[0]},
        warmup_seconds=warmup,
        baseline_seconds=baseline_seconds,
        html_bytes=len(html.encode()),
        figures=len(built.figures),
        cards=len(built.cards),
        claims=built.claims.counts(),
    )
