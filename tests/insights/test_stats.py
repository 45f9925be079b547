"""Known answers for the report's statistics, on data small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from moodtune.errors import InputError
from moodtune.insights.claims import AssociationClaim, check_claims
from moodtune.insights.stats import (
    adjust_p_values,
    benjamini_hochberg,
    decide,
    holm,
    mean_ci,
    mean_difference,
    wilson_interval,
)


def test_mean_difference_matches_hand_computation() -> None:
    a = [1.0, 2.0, 3.0, 4.0]  # mean 2.5, variance 5/3
    b = [2.0, 4.0, 6.0]  # mean 4, variance 4
    result = mean_difference(a, b)
    assert result.difference == pytest.approx(-1.5)
    se = math.sqrt((5 / 3) / 4 + 4 / 3)
    dof = ((5 / 3) / 4 + 4 / 3) ** 2 / (((5 / 3) / 4) ** 2 / 3 + (4 / 3) ** 2 / 2)
    half = scipy_stats.t.ppf(0.975, dof) * se
    assert (result.ci_low, result.ci_high) == pytest.approx((-1.5 - half, -1.5 + half))
    assert result.p_value == pytest.approx(scipy_stats.ttest_ind(a, b, equal_var=False).pvalue)
    pooled = math.sqrt((3 * 5 / 3 + 2 * 4) / 5)
    assert result.g == pytest.approx(-1.5 / pooled * (1 - 3 / (4 * 7 - 9)))
    assert result.g_low < result.g < result.g_high
    assert (result.n_a, result.n_b) == (4, 3)


def test_mean_difference_drops_missing_values_and_refuses_tiny_groups() -> None:
    assert mean_difference([1.0, np.nan, 3.0], [2.0, 2.0]).n_a == 2
    with pytest.raises(InputError, match="at least two"):
        mean_difference([1.0], [1.0, 2.0])


def test_holm_and_bh_known_answers() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert benjamini_hochberg(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert adjust_p_values([0.5, 0.9], method="holm") == pytest.approx([1.0, 1.0])
    with pytest.raises(InputError, match="unknown correction"):
        adjust_p_values(p, method="bonferonni")


def test_wilson_interval_and_mean_ci_known_answers() -> None:
    low, high = wilson_interval(5, 10)
    assert (low, high) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))  # nothing to estimate
    mean, lo, hi, n = mean_ci([1.0, 2.0, 3.0])
    assert (mean, n) == (2.0, 3)
    assert hi - mean == pytest.approx(scipy_stats.t.ppf(0.975, 2) / math.sqrt(3))
    assert lo == pytest.approx(4.0 - hi)


@pytest.mark.parametrize(
    ("g", "low", "high", "p", "direction", "expected"),
    [
        (0.5, 0.3, 0.7, 0.001, +1, "holds"),
        (-0.5, -0.7, -0.3, 0.001, +1, "does not hold"),  # significant the other way
        (0.02, -0.1, 0.14, 0.8, +1, "does not hold"),  # rules out g >= 0.2
        (0.2, -0.3, 0.7, 0.4, +1, "cannot decide"),
        (-0.3, -0.8, 0.2, 0.3, -1, "cannot decide"),
        (-0.4, -0.6, -0.2, 0.01, -1, "holds"),
    ],
)
def test_decide(g: float, low: float, high: float, p: float, direction: int, expected: str) -> None:
    assert decide(direction=direction, g=g, g_low=low, g_high=high, adjusted_p=p) == expected


def _planted_survey(rng: np.random.Generator, n: int = 400) -> pd.DataFrame:
    """Latin listeners score 3 points lower on anxiety; Rock has no link with depression."""
    latin = rng.integers(0, 4, n).astype(float)
    rock = rng.integers(0, 4, n).astype(float)
    anxiety = np.clip(6.0 - 3.0 * (latin >= 2) + rng.normal(0, 1, n), 0, 10)
    depression = np.clip(5.0 + rng.normal(0, 1, n), 0, 10)
    hours = np.where(np.arange(n) < 3, 14.0, 2.0)  # only three heavy listeners
    return pd.DataFrame(
        {
            "freq_latin": latin,
            "freq_rock": rock,
            "anxiety": anxiety,
            "depression": depression,
            "hours_per_day": hours,
            "age": rng.uniform(18, 60, n),
            "fav_genre": np.array(["Rock", "Pop", "Rock", "Pop", "Jazz"] * (n // 5))[:n],
            "streaming_service": "Spotify",
        }
    )


def test_planted_claims_get_the_planted_verdicts(rng: np.random.Generator) -> None:
    frame = _planted_survey(rng)
    claims = (
        AssociationClaim("latin", "test", "Latin: lower anxiety", "Latin", "anxiety", -1),
        AssociationClaim("rock", "test", "Rock: higher depression", "Rock", "depression", +1),
        AssociationClaim("hours", "test", "12+ h: higher", "hours_12_plus", "depression", +1),
    )
    report = check_claims(frame, claims=claims)
    verdicts = {c.claim.key: c.verdict for c in report.checks}
    assert verdicts == {"latin": "holds", "rock": "does not hold", "hours": "cannot decide"}
    latin = report.checks[0]
    assert latin.result.difference == pytest.approx(-3.0, abs=0.3)
    assert latin.age_adjusted["difference"] == pytest.approx(-3.0, abs=0.3)
    assert latin.adjusted_p == pytest.approx(min(1.0, 3 * latin.result.p_value))
    assert report.counts()["holds"] >= 1
    assert "Holm" in report.rule
