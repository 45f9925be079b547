"""The prior art's findings about the survey, restated as testable claims and checked.

Each association claim compares two groups of respondents on one 0-10 score: people who listen
to a genre *Sometimes* or *Very frequently* against people who listen *Never* or *Rarely*
(or 12+ hours a day against fewer). The effect is Welch's mean difference in score points with
Hedges' g; the family of p-values is corrected (Holm by default) before any verdict; the verdict
rule is ``stats.decide``. An age-adjusted difference (least squares on group and age) is shown
beside it because age is the obvious confounder: younger respondents listen to more EDM and
Hip hop and report more anxiety. The survey is cross-sectional and self-selected, so a claim
that holds is an association, never an effect of the music.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from moodtune.errors import InputError
from moodtune.insights.stats import (
    Difference,
    Verdict,
    adjust_p_values,
    decide,
    mean_difference,
    wilson_interval,
)
from moodtune.survey.schema import freq_column

__all__ = [
    "ASSOCIATION_CLAIMS",
    "DESCRIPTIVE_CLAIMS",
    "AssociationClaim",
    "ClaimCheck",
    "ClaimsReport",
    "DescriptiveCheck",
    "check_claims",
]

#: Frequency codes counted as "listens to the genre" (Sometimes = 2, Very frequently = 3).
FREQUENT_FROM = 2
HEAVY_HOURS = 12.0


@dataclass(frozen=True)
class AssociationClaim:
    """A directional claim: ``exposure`` group scores higher (+1) or lower (-1) on ``outcome``."""

    key: str
    source: str
    claim: str
    exposure: str  # a survey genre, or "hours_12_plus"
    outcome: str  # one of SCORES
    direction: int

    @property
    def groups(self) -> tuple[str, str]:
        if self.exposure == "hours_12_plus":
            return ("12+ hours a day", "under 12 hours")
        return (f"{self.exposure}: sometimes or very often", f"{self.exposure}: never or rarely")


_SOURCE = "001-ai-music-therapy.md"


def _genre_claims(
    genres: tuple[str, ...], outcomes: tuple[str, ...], direction: int, text: str
) -> tuple[AssociationClaim, ...]:
    return tuple(
        AssociationClaim(
            key=f"{g.lower().replace(' ', '_')}-{o}",
            source=_SOURCE,
            claim=text,
            exposure=g,
            outcome=o,
            direction=direction,
        )
        for g in genres
        for o in outcomes
    )


#: What the prior art stated, split into one test per genre and score it named.
ASSOCIATION_CLAIMS: tuple[AssociationClaim, ...] = (
    *_genre_claims(
        ("Latin", "Gospel"), ("anxiety",), -1, "Latin & Gospel music are linked to lower anxiety"
    ),
    *_genre_claims(
        ("Rock", "Hip hop", "EDM"),
        ("anxiety", "depression"),
        +1,
        "Rock, Hip-Hop and EDM are associated with higher anxiety and depression",
    ),
    *_genre_claims(
        ("Classical",), ("depression",), -1, "Classical music listeners report lower depression"
    ),
    *(
        AssociationClaim(
            key=f"hours_12_plus-{o}",
            source=_SOURCE,
            claim="Excessive music listening (12+ hours) correlates with higher anxiety and "
            "depression",
            exposure="hours_12_plus",
            outcome=o,
            direction=+1,
        )
        for o in ("anxiety", "depression")
    ),
)

DESCRIPTIVE_CLAIMS: tuple[tuple[str, str], ...] = (
    ("rock_pop_most_preferred", "Rock & Pop are the most preferred genres"),
    ("spotify_dominates", "Spotify dominates as the most-used platform"),
)


@dataclass(frozen=True)
class ClaimCheck:
    """One association claim checked: the groups, the effect, the correction and the verdict."""

    claim: AssociationClaim
    groups: tuple[str, str]
    result: Difference
    adjusted_p: float
    age_adjusted: dict[str, float]
    verdict: Verdict
    reading: str

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self.claim),
            "groups": list(self.groups),
            **self.result.to_dict(),
            "adjusted_p": self.adjusted_p,
            "age_adjusted": self.age_adjusted,
            "verdict": self.verdict,
            "reading": self.reading,
        }


@dataclass(frozen=True)
class DescriptiveCheck:
    """A claim about shares (no p-value, outside the corrected family): shares with intervals."""

    key: str
    source: str
    claim: str
    shares: list[dict[str, Any]]
    verdict: Verdict
    reading: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ClaimsReport:
    """Every claim checked, with the rule that produced the verdicts."""

    checks: list[ClaimCheck]
    descriptive: list[DescriptiveCheck]
    correction: str
    alpha: float
    smallest_effect: float
    n_respondents: int
    rule: str = field(default="")

    def counts(self) -> dict[str, int]:
        verdicts = [c.verdict for c in self.checks] + [d.verdict for d in self.descriptive]
        return {v: verdicts.count(v) for v in ("holds", "does not hold", "cannot decide")}

    def to_dict(self) -> dict[str, Any]:
        return {
            "correction": self.correction,
            "alpha": self.alpha,
            "smallest_effect_g": self.smallest_effect,
            "n_respondents": self.n_respondents,
            "rule": self.rule,
            "counts": self.counts(),
            "associations": [c.to_dict() for c in self.checks],
            "descriptive": [d.to_dict() for d in self.descriptive],
        }


def _exposed(frame: pd.DataFrame, claim: AssociationClaim) -> pd.Series:
    """True / False per respondent (NaN where the exposure was not answered)."""
    if claim.exposure == "hours_12_plus":
        hours = frame["hours_per_day"]
        return (hours >= HEAVY_HOURS).where(hours.notna())
    values = frame[freq_column(claim.exposure)]
    return (values >= FREQUENT_FROM).where(values.notna())


def age_adjusted_difference(
    outcome: np.ndarray, exposed: np.ndarray, age: np.ndarray, *, confidence: float = 0.95
) -> dict[str, float]:
    """The group coefficient of ``outcome ~ 1 + exposed + age`` by least squares, with a t CI."""
    ok = np.isfinite(outcome) & np.isfinite(exposed) & np.isfinite(age)
    y = outcome[ok]
    design = np.column_stack([np.ones(ok.sum()), exposed[ok], age[ok]])
    n, k = design.shape
    if n <= k or np.linalg.matrix_rank(design) < k:
        return {"difference": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": int(n)}
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    sigma2 = float(residual @ residual) / (n - k)
    cov = sigma2 * np.linalg.inv(design.T @ design)
    se = math.sqrt(float(cov[1, 1]))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - k)) * se
    return {
        "difference": float(coef[1]),
        "ci_low": float(coef[1] - half),
        "ci_high": float(coef[1] + half),
        "n": int(n),
    }


def _reading(check: AssociationClaim, result: Difference, verdict: Verdict, p: float) -> str:
    a, b = check.groups
    word = "higher" if result.difference > 0 else "lower"
    return (
        f"{a} ({result.n_a} people) scored {abs(result.difference):.2f} points {word} on "
        f"{check.outcome} than {b} ({result.n_b}); 95% CI {result.ci_low:+.2f} to "
        f"{result.ci_high:+.2f}, g = {result.g:+.2f}, adjusted p = {p:.3g}: {verdict}."
    )


def _share_rows(values: pd.Series) -> list[dict[str, Any]]:
    answered = values.dropna().astype(str)
    n = len(answered)
    rows = []
    for name, count in answered.value_counts().items():
        low, high = wilson_interval(int(count), n)
        rows.append(
            {
                "value": str(name),
                "n": int(count),
                "of": n,
                "share": count / n,
                "low": low,
                "high": high,
            }
        )
    return rows


def _rock_pop(frame: pd.DataFrame) -> DescriptiveCheck:
    rows = _share_rows(frame["fav_genre"])
    top = {r["value"] for r in rows[:2]}
    named = [r for r in rows if r["value"] in ("Rock", "Pop")]
    others = [r for r in rows if r["value"] not in ("Rock", "Pop")]
    weakest = min(r["low"] for r in named)
    best_other = max(
        others,
        key=lambda r: r["share"],
        default={"value": "none", "share": 0.0, "high": 0.0, "low": 0.0},
    )
    verdict: Verdict
    if top == {"Rock", "Pop"} and weakest > best_other["high"]:
        verdict = "holds"
    elif any(o["low"] > min(r["high"] for r in named) for o in others):
        verdict = "does not hold"
    else:
        verdict = "cannot decide"
    shares = ", ".join(f"{r['value']} {r['share']:.0%}" for r in rows[:3])
    return DescriptiveCheck(
        key="rock_pop_most_preferred",
        source=_SOURCE,
        claim=DESCRIPTIVE_CLAIMS[0][1],
        shares=rows,
        verdict=verdict,
        reading=f"Favourite genre among {rows[0]['of']} people: {shares}; "
        f"the next genre is {best_other['value']} ({best_other['share']:.0%}): {verdict}.",
    )


def _spotify(frame: pd.DataFrame) -> DescriptiveCheck:
    rows = _share_rows(frame["streaming_service"])
    spotify = next((r for r in rows if r["value"] == "Spotify"), None)
    verdict: Verdict
    if spotify is None:
        verdict = "does not hold"
        reading = "Nobody named Spotify: does not hold."
    else:
        second = next(
            (r for r in rows if r["value"] != "Spotify"),
            {"value": "no other service", "share": 0.0, "low": 0.0, "high": 0.0},
        )
        if spotify["low"] > 0.5 and spotify["low"] > second["high"]:
            verdict = "holds"
        elif spotify["high"] < 0.5 or second["low"] > spotify["high"]:
            verdict = "does not hold"
        else:
            verdict = "cannot decide"
        reading = (
            f"Spotify is the main service of {spotify['share']:.0%} of {spotify['of']} people "
            f"(95% CI {spotify['low']:.0%}-{spotify['high']:.0%}); next is {second['value']} "
            f"({second['share']:.0%}): {verdict}."
        )
    return DescriptiveCheck(
        key="spotify_dominates",
        source=_SOURCE,
        claim=DESCRIPTIVE_CLAIMS[1][1],
        shares=rows,
        verdict=verdict,
        reading=reading,
    )


def check_claims(
    frame: pd.DataFrame,
    *,
    claims: tuple[AssociationClaim, ...] = ASSOCIATION_CLAIMS,
    correction: str = "holm",
    alpha: float = 0.05,
    smallest_effect: float = 0.2,
    descriptive: bool = True,
) -> ClaimsReport:
    """Test every claim on a clean survey frame and give each a verdict.

    Parameters
    ----------
    frame
        ``load_survey().frame`` (or a frame with the same columns).
    correction
        "holm" (family-wise error, the default) or "bh" (false discovery rate), applied to the
        association claims together.
    alpha
        Significance level after the correction.
    smallest_effect
        The smallest standardised difference (Hedges' g) worth calling an association; an
        interval that excludes it in the claimed direction means "does not hold".
    """
    if not claims:
        raise InputError("no claims to check", field="claims")
    results: list[tuple[AssociationClaim, Difference, dict[str, float]]] = []
    for claim in claims:
        exposed = _exposed(frame, claim)
        outcome = frame[claim.outcome].astype(float)
        known = exposed.notna() & outcome.notna()
        flags = exposed[known].astype(bool).to_numpy()
        values = outcome[known].to_numpy(dtype=float)
        diff = mean_difference(values[flags], values[~flags])
        adjusted = age_adjusted_difference(
            outcome.to_numpy(dtype=float),
            exposed.astype(float).to_numpy(dtype=float),
            frame["age"].to_numpy(dtype=float),
        )
        results.append((claim, diff, adjusted))
    p_adjusted = adjust_p_values([r[1].p_value for r in results], method=correction)
    checks = []
    for (claim, diff, adjusted), p in zip(results, p_adjusted, strict=True):
        verdict = decide(
            direction=claim.direction,
            g=diff.g,
            g_low=diff.g_low,
            g_high=diff.g_high,
            adjusted_p=float(p),
            alpha=alpha,
            smallest_effect=smallest_effect,
        )
        checks.append(
            ClaimCheck(
                claim=claim,
                groups=claim.groups,
                result=diff,
                adjusted_p=float(p),
                age_adjusted=adjusted,
                verdict=verdict,
                reading=_reading(claim, diff, verdict, float(p)),
            )
        )
    name = {"holm": "Holm", "bh": "Benjamini-Hochberg"}.get(correction, correction)
    rule = (
        f"{len(checks)} association tests (Welch's t) corrected together by {name}. Holds: "
        f"adjusted p < {alpha:g} in the claimed direction. Does not hold: significant the other "
        f"way, or the 95% interval of Hedges' g excludes {smallest_effect:g} SD in the claimed "
        "direction. Otherwise: cannot decide. Shares use Wilson 95% intervals."
    )
    return ClaimsReport(
        checks=checks,
        descriptive=[_rock_pop(frame), _spotify(frame)] if descriptive else [],
        correction=correction,
        alpha=alpha,
        smallest_effect=smallest_effect,
        n_respondents=len(frame),
        rule=rule,
    )
