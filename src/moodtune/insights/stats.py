"""The statistics behind the insights report: pure functions over NumPy arrays.

Every interval is two-sided. Means use Welch's t (no equal-variance assumption), standardised
differences use Hedges' g with its large-sample standard error, shares use Wilson's score
interval, and a family of p-values is adjusted by Holm (family-wise error) or
Benjamini-Hochberg (false discovery rate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from moodtune.errors import InputError

__all__ = [
    "CORRECTIONS",
    "Difference",
    "Verdict",
    "adjust_p_values",
    "benjamini_hochberg",
    "decide",
    "holm",
    "mean_ci",
    "mean_difference",
    "wilson_interval",
]

Verdict = Literal["holds", "does not hold", "cannot decide"]
CORRECTIONS: tuple[str, ...] = ("holm", "bh")


def _finite(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    return array[np.isfinite(array)]


@dataclass(frozen=True)
class Difference:
    """Mean of group ``a`` minus mean of group ``b``, with Welch's test and Hedges' g.

    ``difference`` and its interval are in the outcome's own units; ``g`` is the standardised
    difference (pooled SD, small-sample corrected) with an approximate interval.
    """

    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    g: float
    g_low: float
    g_high: float
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mean_difference(a: ArrayLike, b: ArrayLike, *, confidence: float = 0.95) -> Difference:
    """Welch's two-sample comparison of means (NaNs dropped) with Hedges' g.

    Parameters
    ----------
    a, b
        1-D samples of the outcome; each needs at least two finite values.
    confidence
        Coverage of both intervals, in (0, 1).
    """
    if not 0.0 < confidence < 1.0:
        raise InputError(
            "confidence must lie strictly between 0 and 1", field="confidence", value=confidence
        )
    x, y = _finite(a, "a"), _finite(b, "b")
    if len(x) < 2 or len(y) < 2:
        raise InputError(
            "each group needs at least two values",
            field="a" if len(x) < 2 else "b",
            value=min(len(x), len(y)),
            allowed="2 or more finite values per group",
        )
    n_a, n_b = len(x), len(y)
    var_a, var_b = float(x.var(ddof=1)), float(y.var(ddof=1))
    diff = float(x.mean() - y.mean())
    se = math.sqrt(var_a / n_a + var_b / n_b)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    if se == 0.0:
        low = high = diff
        p = 1.0 if diff == 0.0 else 0.0
    else:
        dof = (var_a / n_a + var_b / n_b) ** 2 / (
            (var_a / n_a) ** 2 / (n_a - 1) + (var_b / n_b) ** 2 / (n_b - 1)
        )
        t_crit = float(stats.t.ppf(0.5 + confidence / 2, dof))
        low, high = diff - t_crit * se, diff + t_crit * se
        p = float(2 * stats.t.sf(abs(diff) / se, dof))
    pooled = math.sqrt(((n_a - 1) * var_a + (n_b - 1) * var_b) / (n_a + n_b - 2))
    correction = 1.0 - 3.0 / (4.0 * (n_a + n_b) - 9.0)
    g = diff / pooled * correction if pooled > 0 else 0.0
    g_se = math.sqrt((n_a + n_b) / (n_a * n_b) + g**2 / (2.0 * (n_a + n_b)))
    return Difference(
        n_a=n_a,
        n_b=n_b,
        mean_a=float(x.mean()),
        mean_b=float(y.mean()),
        difference=diff,
        ci_low=float(low),
        ci_high=float(high),
        p_value=p,
        g=float(g),
        g_low=float(g - z * g_se),
        g_high=float(g + z * g_se),
        confidence=confidence,
    )


def mean_ci(values: ArrayLike, *, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """(mean, low, high, n) with a t interval; NaNs dropped; one value gives a point interval."""
    x = _finite(values, "values")
    n = len(x)
    if n == 0:
        return (math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return (mean, mean, mean, 1)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * float(x.std(ddof=1)) / math.sqrt(n)
    return (mean, mean - half, mean + half, n)


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a share ``successes / n`` (``(nan, nan)`` when ``n`` is 0)."""
    if n < 0 or not 0 <= successes <= max(n, 0):
        raise InputError(
            "successes must lie between 0 and n", field="successes", value=(successes, n)
        )
    if n == 0:
        return (math.nan, math.nan)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    share = successes / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _p_array(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1 or ((p < 0) | (p > 1) | ~np.isfinite(p)).any():
        raise InputError("p-values must be a 1-D list of numbers in [0, 1]", field="p_values")
    return p


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (controls the family-wise error rate)."""
    p = _p_array(p_values)
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(scaled, 1.0)
    return adjusted


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (controls the false discovery rate)."""
    p = _p_array(p_values)
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def adjust_p_values(p_values: Sequence[float] | np.ndarray, *, method: str = "holm") -> np.ndarray:
    """Adjust a family of p-values by ``method`` ("holm" or "bh")."""
    if method == "holm":
        return holm(p_values)
    if method == "bh":
        return benjamini_hochberg(p_values)
    raise InputError(
        "unknown correction", field="correction", value=method, allowed=", ".join(CORRECTIONS)
    )


def decide(
    *,
    direction: int,
    g: float,
    g_low: float,
    g_high: float,
    adjusted_p: float,
    alpha: float = 0.05,
    smallest_effect: float = 0.2,
) -> Verdict:
    """The verdict on a directional claim, from its standardised effect and adjusted p-value.

    * **holds**: the adjusted p-value is below ``alpha`` and the effect points the claimed way;
    * **does not hold**: the effect is significant the other way, or the interval rules out an
      effect of ``smallest_effect`` (in SD units) or more in the claimed direction;
    * **cannot decide**: otherwise (the interval holds both no effect and a meaningful one).

    ``direction`` is +1 when the claim says group ``a`` scores higher, −1 when lower.
    """
    if direction not in (-1, 1):
        raise InputError("direction must be +1 or -1", field="direction", value=direction)
    toward = g * direction
    if adjusted_p < alpha:
        return "holds" if toward > 0 else "does not hold"
    furthest_toward = max(g_low * direction, g_high * direction)
    if furthest_toward < smallest_effect:
        return "does not hold"
    return "cannot decide"
