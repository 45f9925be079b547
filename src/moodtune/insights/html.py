"""The insights report as HTML: the body the web page wraps, and one self-contained file.

The standalone file inlines the site's stylesheet, plotly.js (once) and the site's figure
script, so it opens offline from disk with no CDN and no request.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from moodtune.insights.figures import Figure
from moodtune.insights.report import InsightsReport

__all__ = ["plotly_js_path", "render_body", "render_standalone"]

HERE = Path(__file__).resolve().parent
WEB_STATIC = HERE.parent / "web" / "static"
TITLE = "What the data says"


def plotly_js_path() -> Path:
    """The plotly.js bundled with the plotly Python package (the one the web app serves)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _figure_json(figure: Figure) -> Markup:
    """The figure's JSON, safe inside ``<script type="application/json">``."""
    text = json.dumps(figure.spec, separators=(",", ":"), allow_nan=False)
    return Markup(text.replace("</", "<\\/"))


def _metric(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _inline(text: str) -> Markup:
    """Text for inside a ``<script>`` or ``<style>`` element (no early close tag)."""
    return Markup(text.replace("</script", "<\\/script").replace("</style", "<\\/style"))


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["figure_json"] = _figure_json
    env.filters["metric"] = _metric
    return env


def _claims_summary(report: InsightsReport) -> list[dict[str, str]]:
    by_claim: dict[str, list[str]] = {}
    for check in report.claims.checks:
        by_claim.setdefault(check.claim.claim, []).append(
            f"{check.claim.exposure.replace('hours_12_plus', '12+ hours')} → "
            f"{check.claim.outcome}: {check.verdict} (g = {check.result.g:+.2f}, "
            f"n = {check.result.n_a} vs {check.result.n_b})"
        )
    out = [{"verdict": "; ".join(parts), "text": claim} for claim, parts in by_claim.items()]
    out += [{"verdict": d.verdict, "text": d.claim} for d in report.claims.descriptive]
    return out


def render_body(report: InsightsReport, *, title: str = TITLE) -> Markup:
    """The report's content (no ``<html>``), for the web page to place in its layout."""
    html = (
        _environment()
        .get_template("_body.html")
        .render(report=report, title=title, claims_summary=_claims_summary(report))
    )
    return Markup(html)


def render_standalone(report: InsightsReport, *, title: str = TITLE) -> str:
    """One self-contained HTML document: styles, plotly.js and figures inlined, no requests."""
    from moodtune.safety import NOT_A_MEDICAL_DEVICE

    return (
        _environment()
        .get_template("report.html")
        .render(
            title=title,
            body=render_body(report, title=title),
            css=_inline((WEB_STATIC / "css" / "moodtune.css").read_text(encoding="utf-8")),
            plotly_js=_inline(plotly_js_path().read_text(encoding="utf-8")),
            app_js=_inline((WEB_STATIC / "js" / "app.js").read_text(encoding="utf-8")),
            disclaimer=NOT_A_MEDICAL_DEVICE,
        )
    )
