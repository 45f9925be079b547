"""The report on the real survey and catalog: every section, figure, claim and card present."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import moodtune.mood
from moodtune.app.services import Services
from moodtune.insights.cards import effect_card, mood_card
from moodtune.insights.claims import ASSOCIATION_CLAIMS
from moodtune.insights.figures import OKABE_ITO
from moodtune.insights.html import plotly_js_path, render_body
from moodtune.insights.report import InsightsReport, build_report, mood_model_agreement
from tests.insights.conftest import TEST_OPTIONS

pytestmark = pytest.mark.slow

SECTIONS = ("survey", "claims", "personas", "catalog", "evaluation")


def test_every_section_has_titled_figures_with_readings_and_tables(
    insights_report: InsightsReport,
) -> None:
    assert tuple(s.key for s in insights_report.sections) == SECTIONS
    keys = [f.key for f in insights_report.figures]
    assert len(keys) == len(set(keys)) >= 17
    for figure in insights_report.figures:
        layout = figure.spec["layout"]
        assert layout["title"]["text"] == figure.title
        axes = [v for k, v in layout.items() if re.fullmatch(r"[xy]axis\d*", k)]
        assert axes and all(a["title"]["text"] for a in axes), figure.key
        assert figure.reading.endswith((".", ")")) and len(figure.reading) > 40
        assert figure.rows and all(len(r) == len(figure.columns) for r in figure.rows)
        json.dumps(figure.spec, allow_nan=False)  # valid JSON: no NaN reaches the browser


def test_claims_cover_the_prior_art_with_a_correction(insights_report: InsightsReport) -> None:
    claims = insights_report.claims
    assert len(claims.checks) == len(ASSOCIATION_CLAIMS) == 11
    assert claims.correction == "holm"
    for check in claims.checks:
        assert check.adjusted_p >= check.result.p_value
        assert check.result.n_a + check.result.n_b <= claims.n_respondents
        assert check.verdict in ("holds", "does not hold", "cannot decide")
    assert sum(claims.counts().values()) == 13


def test_cards_quote_the_evaluations_they_were_built_from(
    insights_report: InsightsReport, insights_services: Services
) -> None:
    cards = {c.key: c for c in insights_report.cards}
    assert set(cards) == {"effect", "personas", "mood", "genres", "learning"}
    effect = cards["effect"]
    assert effect.leaky is not None and effect.leaky.value is not None
    assert effect.leaky.value > effect.metrics[0].value  # type: ignore[operator]
    from moodtune.survey.effect import effect_evaluation

    evaluation = effect_evaluation(
        insights_services.survey, settings=insights_services.settings,
        n_repeats=TEST_OPTIONS.effect_repeats, n_splits=TEST_OPTIONS.effect_splits,
    )  # fmt: skip
    selected = evaluation["selected"]
    assert effect.metrics[0].value == evaluation["models"][selected]["macro_f1"]["mean"]
    # Change the evaluation and the card changes: nothing on it is typed in.
    evaluation["models"][selected]["macro_f1"]["mean"] = 0.123
    assert effect_card(evaluation, respondents=1).metrics[0].value == 0.123


def test_mood_card_is_honest_until_a_rated_model_exists(
    insights_report: InsightsReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    if mood_model_agreement(Services().settings) is None:
        card = next(c for c in insights_report.cards if c.key == "mood")
        assert card.status == "not yet fitted" and card.metrics == ()
        catalog = next(s for s in insights_report.sections if s.key == "catalog")
        assert any("not yet fitted" in n for n in catalog.notes)
    fake: dict[str, Any] = {
        "valence": {"n": 114, "pearson_r": 0.61, "mae": 0.21, "baseline_mae": 0.3},
        "arousal": {"n": 114, "pearson_r": 0.74, "mae": 0.18, "baseline_mae": 0.28},
        "pairs": {"valence": [(0.1, 0.2)], "arousal": [(-0.3, -0.1)]},
        "reading": "planted",
    }
    monkeypatch.setattr(moodtune.mood, "mood_model_evaluation", lambda settings: fake,
                        raising=False)  # fmt: skip
    assert mood_model_agreement(Services().settings) == fake
    card = mood_card(fake, catalog="x", tracks=10)
    assert card.status == "fitted"
    assert [m.value for m in card.metrics] == [0.61, 0.21, 0.74, 0.18]


def test_second_build_reads_the_caches(insights_services: Services) -> None:
    again = build_report(insights_services, options=TEST_OPTIONS)
    slow = ("genre evaluation", "journey evaluation", "learning simulation")
    assert all(again.timings[s] < 1.0 for s in slow), again.timings


def test_standalone_file_is_offline_with_plotly_inlined_once(
    report_file: Path, insights_report: InsightsReport
) -> None:
    html = report_file.read_text(encoding="utf-8")
    plotly = plotly_js_path().read_text(encoding="utf-8")
    assert html.count(plotly[:200]) == 1
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", html)
    assert "cdn." not in html.replace(plotly, "")
    assert html.count('data-figure-key="') == len(insights_report.figures)
    for colour in OKABE_ITO[:4]:
        assert colour in html


def test_body_carries_the_verdicts_and_every_card(insights_report: InsightsReport) -> None:
    body = str(render_body(insights_report))
    for check in insights_report.claims.checks:
        assert check.claim.claim.replace("&", "&amp;") in body
    assert body.count("data-card=") == len(insights_report.cards)
