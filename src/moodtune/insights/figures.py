"""Plotly figures for the insights report, each with a title, units, a reading and its numbers.

A builder takes computed results (frames, dicts) and returns a ``Figure``: the Plotly JSON
(``{"data", "layout"}``), a one-line plain reading (association, never cause), an accessible
label and the same numbers as a small table, so no figure says anything only sight can get.
Colours come from the Okabe-Ito colour-blind-safe set; no figure relies on colour alone
(markers, labels or the table carry the same distinction).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from moodtune.insights.claims import ClaimsReport
from moodtune.insights.stats import mean_ci, mean_difference, wilson_interval
from moodtune.survey.schema import EFFECTS, GENRES, SCORES, freq_column

__all__ = ["OKABE_ITO", "QUADRANT_COLOURS", "VERDICT_STYLE", "Figure"]

#: Okabe-Ito, reordered so the first colours are the most distinct; grey replaces black so a
#: trace stays visible on the dark theme.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#999999",  # grey
)
QUADRANT_COLOURS = {
    "happy/energetic": "#E69F00",
    "tense/angry": "#D55E00",
    "sad/low": "#0072B2",
    "calm/relaxed": "#009E73",
}
#: Verdict → (colour, marker symbol): shape and the word carry the verdict, colour only adds.
VERDICT_STYLE = {
    "holds": ("#009E73", "circle"),
    "does not hold": ("#D55E00", "x"),
    "cannot decide": ("#999999", "diamond-open"),
}
SCORE_LABELS = {
    "anxiety": "Anxiety",
    "depression": "Depression",
    "insomnia": "Insomnia",
    "ocd": "OCD",
}
HOUR_BINS: tuple[tuple[float, float, str], ...] = (
    (0, 1, "under 1"),
    (1, 2, "1-2"),
    (2, 4, "2-4"),
    (4, 6, "4-6"),
    (6, 8, "6-8"),
    (8, 12, "8-12"),
    (12, 25, "12+"),
)


@dataclass(frozen=True)
class Figure:
    """One figure: Plotly JSON, its reading, its accessible label and its numbers."""

    key: str
    title: str
    spec: dict[str, Any]
    reading: str
    label: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    notes: tuple[str, ...] = field(default=())


def _wrap(text: str, width: int = 40) -> str:
    """Break a long axis title into lines, so it fits a phone-width plot."""
    return "<br>".join(textwrap.wrap(text, width)) or text


def _layout(title: str, *, x: str, y: str, height: int = 380, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title, "x": 0.0, "xanchor": "left"},
        "xaxis": {"title": {"text": _wrap(x)}, "automargin": True},
        "yaxis": {"title": {"text": _wrap(y)}, "automargin": True},
        # the legend sits at the bottom of the whole figure, below the axis title, so neither
        # covers the other when a phone narrows the plot
        "margin": {"l": 64, "r": 16, "t": 64, "b": 120},
        "height": height + 64,
        "legend": {
            "orientation": "h",
            "yref": "container",
            "y": 0.0,
            "yanchor": "bottom",
            "x": 0.0,
            "xanchor": "left",
        },
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def _r(value: float, digits: int = 2) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _figure(
    key: str,
    title: str,
    data: list[dict[str, Any]],
    layout: dict[str, Any],
    reading: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    notes: Sequence[str] = (),
) -> Figure:
    return Figure(
        key=key,
        title=title,
        spec={"data": data, "layout": layout},
        reading=reading,
        label=f"{title}. {reading} The numbers are in the table below the figure.",
        columns=tuple(columns),
        rows=tuple(tuple(r) for r in rows),
        notes=tuple(notes),
    )


def _bars(
    key: str,
    title: str,
    labels: Sequence[str],
    counts: Sequence[int],
    *,
    x: str,
    y: str,
    reading: str,
    colour: str = OKABE_ITO[0],
    horizontal: bool = False,
) -> Figure:
    total = max(int(sum(counts)), 1)
    text = [f"{c} ({c / total:.0%})" for c in counts]
    trace: dict[str, Any] = {
        "type": "bar",
        "marker": {"color": colour},
        "text": text,
        "textposition": "auto",
        "hovertemplate": "%{text}<extra></extra>",
        "name": y,
    }
    if horizontal:
        trace.update(x=list(counts), y=list(labels), orientation="h")
        layout = _layout(title, x=y, y=x, height=max(260, 28 * len(labels) + 120))
        layout["yaxis"]["autorange"] = "reversed"
    else:
        trace.update(x=list(labels), y=list(counts))
        layout = _layout(title, x=x, y=y)
    layout["showlegend"] = False
    return _figure(
        key,
        title,
        [trace],
        layout,
        reading,
        (x, "respondents", "share"),
        [(lab, int(c), f"{c / total:.1%}") for lab, c in zip(labels, counts, strict=True)],
    )


# --------------------------------------------------------------------------------- survey
def age_figure(frame: pd.DataFrame) -> Figure:
    age = frame["age"].dropna()
    edges = np.arange(10, 95, 5)
    counts, _ = np.histogram(age.clip(upper=89.9), bins=edges)
    labels = [f"{a}-{a + 4}" for a in edges[:-1]]
    keep = [i for i, c in enumerate(counts) if c > 0 or 15 <= edges[i] <= 60]
    share_young = float((age < 30).mean())
    return _bars(
        "survey-age",
        "Who answered: age",
        [labels[i] for i in keep],
        [int(counts[i]) for i in keep],
        x="age (years, 5-year bands)",
        y="respondents",
        reading=f"Most respondents are young: {share_young:.0%} of {len(age)} are under 30 "
        f"(median {age.median():.0f} years), so findings speak mostly for young adults.",
    )


def hours_figure(frame: pd.DataFrame) -> Figure:
    hours = frame["hours_per_day"].dropna()
    counts = [int(((hours >= lo) & (hours < hi)).sum()) for lo, hi, _ in HOUR_BINS]
    return _bars(
        "survey-hours",
        "Who answered: hours of music per day",
        [b[2] for b in HOUR_BINS],
        counts,
        x="hours of music per day",
        y="respondents",
        reading=f"The median respondent listens {hours.median():g} hours a day; "
        f"{counts[-1]} of {len(hours)} say 12 hours or more.",
    )


def streaming_figure(frame: pd.DataFrame) -> Figure:
    counts = frame["streaming_service"].fillna("(not answered)").value_counts()
    top = counts.index[0]
    return _bars(
        "survey-streaming",
        "Who answered: main streaming service",
        [str(i) for i in counts.index],
        [int(c) for c in counts],
        x="streaming service",
        y="respondents",
        horizontal=True,
        reading=f"{top} is the main service of {counts.iloc[0] / counts.sum():.0%} of "
        f"{counts.sum()} respondents.",
    )


def while_working_figure(frame: pd.DataFrame) -> Figure:
    values = frame["while_working"]
    labels = ["yes", "no", "not answered"]
    given = values.dropna().astype(bool)
    counts = [int(given.sum()), int((~given).sum()), int(values.isna().sum())]
    answered = counts[0] + counts[1]
    return _bars(
        "survey-working",
        "Who answered: music while working or studying",
        labels,
        counts,
        x="listens while working",
        y="respondents",
        colour=OKABE_ITO[2],
        reading=f"{counts[0] / max(answered, 1):.0%} of the {answered} who answered listen "
        "while they work or study.",
    )


def genre_scores_figure(frame: pd.DataFrame) -> Figure:
    """Mean score difference, frequent listeners minus the rest, per genre and score, with CIs."""
    rows = []
    data = []
    for s_index, score in enumerate(SCORES):
        xs, lows, highs, texts = [], [], [], []
        for genre in GENRES:
            freq = frame[freq_column(genre)]
            known = freq.notna() & frame[score].notna()
            often = (freq[known] >= 2).to_numpy()
            values = frame.loc[known, score].to_numpy(dtype=float)
            diff = mean_difference(values[often], values[~often])
            xs.append(_r(diff.difference))
            lows.append(diff.difference - diff.ci_low)
            highs.append(diff.ci_high - diff.difference)
            texts.append(f"n = {diff.n_a} vs {diff.n_b}")
            rows.append(
                (
                    genre,
                    SCORE_LABELS[score],
                    _r(diff.difference),
                    _r(diff.ci_low),
                    _r(diff.ci_high),
                    diff.n_a,
                    diff.n_b,
                )
            )
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": SCORE_LABELS[score],
                "x": xs,
                "y": list(GENRES),
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": highs,
                    "arrayminus": lows,
                    "thickness": 1.5,
                },
                "marker": {
                    "color": OKABE_ITO[s_index],
                    "symbol": ("circle", "square", "diamond", "triangle-up")[s_index],
                    "size": 8,
                },
                "offsetgroup": score,
                "orientation": "h",
                "text": texts,
                "hovertemplate": "%{y} · "
                + SCORE_LABELS[score]
                + ": %{x:+.2f} points (%{text})<extra></extra>",
            }
        )
    biggest = max(rows, key=lambda r: abs(r[2] or 0.0))
    title = "Genre listening and the four scores"
    layout = _layout(
        title,
        x="difference in mean score, points on the 0-10 scale (95% CI)",
        y="genre (listens sometimes or very often vs never or rarely)",
        height=640,
        shapes=[
            {
                "type": "line",
                "x0": 0,
                "x1": 0,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": "#999999", "width": 1},
            }
        ],
    )
    layout["yaxis"]["autorange"] = "reversed"
    layout["xaxis"]["title"]["text"] = _wrap(
        layout["xaxis"]["title"]["text"].replace("<br>", " "), 26
    )
    layout["scattermode"] = "group"
    layout["scattergap"] = 0.3
    return _figure(
        "survey-genres",
        title,
        data,
        layout,
        f"The largest gap is {biggest[0]} and {biggest[1]}: frequent listeners score "
        f"{biggest[2]:+.2f} points (95% CI {biggest[3]:+.2f} to {biggest[4]:+.2f}). Most "
        "intervals cross zero; these are associations in a self-selected survey, not effects "
        "of the music, and intervals here are not corrected for the 64 comparisons.",
        ("genre", "score", "difference (points)", "CI low", "CI high", "n frequent", "n rest"),
        rows,
    )


def hours_scores_figure(frame: pd.DataFrame) -> Figure:
    data, rows = [], []
    labels = [b[2] for b in HOUR_BINS]
    for s_index, score in enumerate(SCORES):
        means, errors = [], []
        for lo, hi, label in HOUR_BINS:
            in_bin = (frame["hours_per_day"] >= lo) & (frame["hours_per_day"] < hi)
            mean, low, high, n = mean_ci(frame.loc[in_bin, score])
            means.append(_r(mean))
            errors.append(_r(high - mean) if n > 1 else None)
            rows.append((label, SCORE_LABELS[score], _r(mean), _r(low), _r(high), n))
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": SCORE_LABELS[score],
                "x": labels,
                "y": means,
                "error_y": {"type": "data", "array": errors, "thickness": 1.2},
                "line": {
                    "color": OKABE_ITO[s_index],
                    "dash": ("solid", "dash", "dot", "dashdot")[s_index],
                },
                "marker": {"symbol": ("circle", "square", "diamond", "triangle-up")[s_index]},
            }
        )
    rho = frame[["hours_per_day", *SCORES]].corr(method="spearman")["hours_per_day"]
    strongest = max(SCORES, key=lambda s: abs(float(rho[s])))
    title = "Hours of music per day and the four scores"
    return _figure(
        "survey-hours-scores",
        title,
        data,
        _layout(
            title,
            x="hours of music per day",
            y="mean score, 0-10 (95% CI)",
            yaxis={"range": [0, 10]},
        ),
        f"Scores rise only slightly with listening time (strongest Spearman rho: "
        f"{SCORE_LABELS[strongest]} {float(rho[strongest]):+.2f}); the 12+ group is small, "
        "so its interval is wide.",
        ("hours", "score", "mean", "CI low", "CI high", "n"),
        rows,
    )


def bpm_figure(frame: pd.DataFrame) -> Figure:
    bpm = frame["bpm"].dropna()
    edges = np.arange(40, 260, 10)
    counts, _ = np.histogram(bpm, bins=edges)
    labels = [f"{e}-{e + 9}" for e in edges[:-1]]
    missing = int(frame["bpm"].isna().sum())
    return _bars(
        "survey-bpm",
        "Favourite tempo",
        labels,
        [int(c) for c in counts],
        x="favourite tempo (beats per minute, 10-BPM bands)",
        y="respondents",
        colour=OKABE_ITO[4],
        reading=f"The median favourite tempo is {bpm.median():.0f} BPM (middle half "
        f"{bpm.quantile(0.25):.0f}-{bpm.quantile(0.75):.0f}); {missing} answers were blank or "
        "implausible and are left out.",
    )


def effects_figure(frame: pd.DataFrame) -> Figure:
    answered = frame["music_effects"].dropna()
    n = len(answered)
    counts = [int((answered == e).sum()) for e in EFFECTS]
    intervals = [wilson_interval(c, n) for c in counts]
    shares = [c / n for c in counts]
    colours = ["#009E73", "#999999", "#D55E00"]
    trace = {
        "type": "bar",
        "x": list(EFFECTS),
        "y": [round(100 * s, 1) for s in shares],
        "marker": {"color": colours},
        "error_y": {
            "type": "data",
            "symmetric": False,
            "array": [
                round(100 * (hi - s), 1) for (_, hi), s in zip(intervals, shares, strict=True)
            ],
            "arrayminus": [
                round(100 * (s - lo), 1) for (lo, _), s in zip(intervals, shares, strict=True)
            ],
        },
        "text": [f"{c} of {n}" for c in counts],
        "textposition": "outside",
        "hovertemplate": "%{x}: %{y:.1f}% (%{text})<extra></extra>",
    }
    title = "What respondents say music does for their mental health"
    layout = _layout(
        title,
        x="answer to 'Music effects'",
        y="share of respondents, % (95% CI)",
        yaxis={"range": [0, 100]},
    )
    layout["showlegend"] = False
    return _figure(
        "survey-effects",
        title,
        [trace],
        layout,
        f"{shares[0]:.0%} of the {n} who answered say music improves how they feel and "
        f"{shares[2]:.0%} that it makes things worse; people who joined a survey about music "
        "are likely to think well of it.",
        ("answer", "respondents", "share", "CI low", "CI high"),
        [
            (e, c, f"{s:.1%}", f"{lo:.1%}", f"{hi:.1%}")
            for e, c, s, (lo, hi) in zip(EFFECTS, counts, shares, intervals, strict=True)
        ],
    )


# --------------------------------------------------------------------------------- claims
def claims_figure(report: ClaimsReport) -> Figure:
    """Forest plot: Hedges' g with its 95% CI per claim; marker shape and colour by verdict."""
    data = []
    rows = []
    labels = [
        f"{c.claim.exposure.replace('hours_12_plus', '12+ hours')} → {c.claim.outcome}"
        for c in report.checks
    ]
    for verdict, (colour, symbol) in VERDICT_STYLE.items():
        chosen = [i for i, c in enumerate(report.checks) if c.verdict == verdict]
        if not chosen:
            continue
        checks = [report.checks[i] for i in chosen]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": verdict,
                "x": [_r(c.result.g) for c in checks],
                "y": [labels[i] for i in chosen],
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [_r(c.result.g_high - c.result.g) for c in checks],
                    "arrayminus": [_r(c.result.g - c.result.g_low) for c in checks],
                },
                "marker": {
                    "color": colour,
                    "symbol": symbol,
                    "size": 11,
                    "line": {"width": 2, "color": colour},
                },
                "text": [
                    f"claimed {'higher' if c.claim.direction > 0 else 'lower'}; "
                    f"adjusted p = {c.adjusted_p:.3g}"
                    for c in checks
                ],
                "hovertemplate": "%{y}: g = %{x:+.2f} (%{text})<extra>" + verdict + "</extra>",
            }
        )
    for label, c in zip(labels, report.checks, strict=True):
        rows.append(
            (
                label,
                "higher" if c.claim.direction > 0 else "lower",
                c.result.n_a,
                c.result.n_b,
                _r(c.result.difference),
                f"{c.result.ci_low:+.2f} to {c.result.ci_high:+.2f}",
                _r(c.result.g),
                f"{c.result.p_value:.3g}",
                f"{c.adjusted_p:.3g}",
                c.verdict,
            )
        )
    band = report.smallest_effect
    title = "The prior art's claims, checked"
    layout = _layout(
        title,
        x="standardised difference, Hedges' g (95% CI); positive = exposed group higher",
        y="claim (exposure → score)",
        height=460,
        shapes=[
            {
                "type": "rect",
                "x0": -band,
                "x1": band,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "fillcolor": "rgba(153,153,153,0.15)",
                "line": {"width": 0},
                "layer": "below",
            },
            {
                "type": "line",
                "x0": 0,
                "x1": 0,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": "#999999", "width": 1},
            },
        ],
    )
    layout["yaxis"]["autorange"] = "reversed"
    # long category labels leave a narrow plot on a phone: a narrower axis title
    layout["xaxis"]["title"]["text"] = _wrap(
        "Hedges' g, 95% CI (positive: the exposed group scores higher)", 26
    )
    counts = report.counts()
    return _figure(
        "claims-forest",
        title,
        data,
        layout,
        f"Of {len(report.checks) + len(report.descriptive)} claims, {counts['holds']} hold, "
        f"{counts['does not hold']} do not and the data cannot decide {counts['cannot decide']}"
        f" (grey band: |g| < {band:g}, too small to matter).",
        (
            "claim",
            "claimed",
            "n exposed",
            "n rest",
            "difference (points)",
            "95% CI",
            "Hedges' g",
            "p",
            f"p ({report.correction})",
            "verdict",
        ),
        rows,
    )


# ------------------------------------------------------------------------------- personas
def persona_map_figure(embedding: np.ndarray, labels: np.ndarray, names: Sequence[str]) -> Figure:
    data, rows = [], []
    symbols = ("circle", "square", "diamond", "triangle-up", "cross", "x", "star", "hexagon")
    for index, name in enumerate(names):
        members = labels == index
        points = embedding[members]
        data.append(
            {
                "type": "scattergl" if len(points) > 2000 else "scatter",
                "mode": "markers",
                "name": f"{name} ({int(members.sum())})",
                "x": [round(float(v), 3) for v in points[:, 0]],
                "y": [round(float(v), 3) for v in points[:, 1]],
                "marker": {
                    "color": OKABE_ITO[index % 8],
                    "symbol": symbols[index % 8],
                    "size": 6,
                    "opacity": 0.7,
                },
                "hoverinfo": "name",
            }
        )
        centre = points.mean(axis=0) if len(points) else np.full(2, np.nan)
        rows.append((name, int(members.sum()), _r(centre[0]), _r(centre[1])))
    title = "Listener personas on a map of the answers"
    return _figure(
        "personas-map",
        title,
        data,
        _layout(
            title,
            x="first principal component (standardised answers)",
            y="second principal component",
            height=440,
        ),
        f"{len(names)} personas; each dot is a respondent placed by the first two principal "
        "components of their standardised answers, so distance means similar answers.",
        ("persona", "respondents", "centre (PC1)", "centre (PC2)"),
        rows,
    )


def persona_profile_figure(report: dict[str, Any]) -> Figure:
    personas = report["personas"]
    variables = ("hours_per_day", *SCORES)
    names = {"hours_per_day": "hours per day", **SCORE_LABELS}
    data, rows = [], []
    for index, p in enumerate(personas):
        values = [_r(p["means"].get(v)) for v in variables]
        data.append(
            {
                "type": "bar",
                "name": f"{p['name']} (n = {p['size']})",
                "x": [names[v] for v in variables],
                "y": values,
                "marker": {
                    "color": OKABE_ITO[index % 8],
                    "pattern": {"shape": ("", "/", "x", ".", "+", "-")[index % 6]},
                },
            }
        )
        rows.append(
            (
                p["name"],
                p["size"],
                f"{p['share']:.0%}",
                *values,
                ", ".join(g["genre"] for g in p["top_genres"]),
            )
        )
    stability = report.get("stability") or {}
    title = "Persona profiles: listening time and the four scores"
    layout = _layout(title, x="variable", y="persona mean (hours, or score 0-10)")
    layout["barmode"] = "group"
    reading = (
        f"{len(personas)} personas from {report['n_respondents']} respondents; refitting on "
        f"80% subsamples recovers the same groups (mean adjusted Rand index "
        f"{stability.get('subsample_mean_ari', float('nan')):.2f}, 1 = identical)."
    )
    return _figure(
        "personas-profile",
        title,
        data,
        layout,
        reading,
        ("persona", "respondents", "share", *[names[v] for v in variables], "top genres"),
        rows,
    )


# -------------------------------------------------------------------------------- catalog
def mood_density_figure(tracks: pd.DataFrame, *, bins: int = 40) -> Figure:
    usable = tracks["usable"].to_numpy(dtype=bool)
    v = tracks["mood_valence"].to_numpy(dtype=float)[usable]
    a = tracks["mood_arousal"].to_numpy(dtype=float)[usable]
    ok = np.isfinite(v) & np.isfinite(a)
    edges = np.linspace(-1, 1, bins + 1)
    counts, _, _ = np.histogram2d(a[ok], v[ok], bins=[edges, edges])
    centres = [round(float(c), 3) for c in (edges[:-1] + edges[1:]) / 2]
    trace = {
        "type": "heatmap",
        "x": centres,
        "y": centres,
        "z": [[int(c) if c else None for c in row] for row in counts],
        "colorscale": "Cividis",
        "colorbar": {"title": {"text": "tracks"}},
        "hovertemplate": "valence %{x:.2f}, arousal %{y:.2f}: %{z} tracks<extra></extra>",
    }
    rows = []
    for name in QUADRANT_COLOURS:
        n = int((tracks.loc[usable, "quadrant"] == name).sum())
        rows.append((name, n, f"{n / max(int(ok.sum()), 1):.1%}"))
    title = "The catalog's mood map"
    layout = _layout(
        title,
        x="valence: unpleasant (-1) to pleasant (+1)",
        y="arousal: calm (-1) to energetic (+1)",
        height=460,
        xaxis={"range": [-1, 1], "constrain": "domain"},
        yaxis={"range": [-1, 1], "scaleanchor": "x", "constrain": "domain"},
    )
    top = max(rows, key=lambda r: r[1])
    return _figure(
        "catalog-map",
        title,
        [trace],
        layout,
        f"The largest share of the {int(ok.sum()):,} usable tracks sits in the {top[0]} "
        f"quadrant "
        f"({top[2]}); calm and sad music is scarce in this chart-pop catalog, so journeys "
        "toward calm have fewer tracks to choose from.",
        ("quadrant", "tracks", "share"),
        rows,
    )


def _first_genre(tracks: pd.DataFrame) -> pd.Series:
    return tracks["genres"].map(
        lambda g: str(g[0]) if isinstance(g, list | tuple | np.ndarray) and len(g) else "unknown"
    )


def composition_figure(tracks: pd.DataFrame, *, column: str) -> Figure:
    """Share of each genre's tracks per quadrant (``column="quadrant"``) or mood cluster."""
    usable = tracks[tracks["usable"].to_numpy(dtype=bool) & tracks[column].notna()]
    genre = _first_genre(usable)
    table = pd.crosstab(genre, usable[column], normalize="index")
    sizes = genre.value_counts()
    order = list(sizes.index)
    categories = (
        [c for c in QUADRANT_COLOURS if c in table.columns]
        if column == "quadrant"
        else list(usable[column].value_counts().index)
    )
    data = []
    for index, category in enumerate(categories):
        colour = QUADRANT_COLOURS.get(category, OKABE_ITO[index % 8])
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": str(category),
                "y": order,
                "x": [round(100 * float(table.loc[g, category]), 1) for g in order],
                "marker": {
                    "color": colour,
                    "pattern": {"shape": ("", "/", "x", ".", "+", "-", "|", "\\")[index % 8]},
                },
                "hovertemplate": "%{y}: %{x:.1f}% " + str(category) + "<extra></extra>",
            }
        )
    what = "quadrant" if column == "quadrant" else "mood cluster"
    title = f"Mood {what} composition per genre"
    layout = _layout(
        title,
        x=f"share of the genre's tracks, % by {what}",
        y="genre (first listed)",
        height=max(320, 40 * len(order) + 160),
        xaxis={"range": [0, 100]},
    )
    layout["barmode"] = "stack"
    layout["yaxis"]["autorange"] = "reversed"
    rows = [
        (g, int(sizes[g]), *[f"{100 * float(table.loc[g, c]):.1f}%" for c in categories])
        for g in order
    ]
    leader = {c: max(order, key=lambda g: float(table.loc[g, c])) for c in categories}
    first = categories[0]
    return _figure(
        f"catalog-{column}",
        title,
        data,
        layout,
        f"Genres differ in mood: {leader[first]} has the largest share of {first} tracks "
        f"({100 * float(table.loc[leader[first], first]):.0f}%); the mood labels come from the "
        "audio-feature model, not from listeners.",
        ("genre", "tracks", *[str(c) for c in categories]),
        rows,
    )


def mood_agreement_figure(agreement: dict[str, Any]) -> Figure:
    """Fitted mood model vs human ratings (present only once a rated model exists)."""
    pairs = agreement.get("pairs") or {}
    data = []
    for index, axis in enumerate(("valence", "arousal")):
        points = pairs.get(axis) or []
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": axis,
                "x": [round(float(p[0]), 3) for p in points],
                "y": [round(float(p[1]), 3) for p in points],
                "marker": {
                    "color": OKABE_ITO[index],
                    "symbol": ("circle", "square")[index],
                    "size": 5,
                    "opacity": 0.6,
                },
            }
        )
    rows = []
    for axis in ("valence", "arousal"):
        m = agreement.get(axis) or {}
        rows.append(
            (
                axis,
                m.get("n"),
                _r(m.get("pearson_r", float("nan"))),
                _r(m.get("mae", float("nan"))),
                _r(m.get("baseline_mae", float("nan"))),
            )
        )
    title = "Mood model against human ratings (held-out tracks)"
    layout = _layout(
        title,
        x="human rating, -1 to +1",
        y="model, -1 to +1",
        height=420,
        xaxis={"range": [-1, 1]},
        yaxis={"range": [-1, 1]},
    )
    return _figure(
        "catalog-mood-agreement",
        title,
        data,
        layout,
        str(agreement.get("reading") or "How closely the fitted model follows human ratings."),
        ("axis", "tracks", "Pearson r", "mean abs. error", "baseline mean abs. error"),
        rows,
    )


# ----------------------------------------------------------------------------- evaluation
def effect_evaluation_figure(evaluation: dict[str, Any]) -> Figure:
    """Macro-F1 of every candidate and baseline (leak-free CV) and the leaky demo's figure."""
    entries: list[tuple[str, str, dict[str, Any]]] = []
    for name, metrics in evaluation["models"].items():
        entries.append((name.replace("_", " "), "model, leak-free", metrics["macro_f1"]))
    for name, metrics in evaluation["baselines"].items():
        entries.append((f"{name} (baseline)", "trivial baseline", metrics["macro_f1"]))
    demo = evaluation.get("leaky_demo") or {}
    if demo:
        entries.append(
            ("random forest, leak-free split", "model, leak-free", demo["leak_free"]["macro_f1"])
        )
        entries.append(
            ("random forest, LEAKY protocol", "leaky (what not to do)", demo["leaky"]["macro_f1"])
        )
    colours = {
        "model, leak-free": OKABE_ITO[0],
        "trivial baseline": "#999999",
        "leaky (what not to do)": OKABE_ITO[3],
    }
    patterns = {"model, leak-free": "", "trivial baseline": ".", "leaky (what not to do)": "x"}
    data = []
    for kind, colour in colours.items():
        chosen = [e for e in entries if e[1] == kind]
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": kind,
                "y": [e[0] for e in chosen],
                "x": [_r(e[2]["mean"], 3) for e in chosen],
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [_r(e[2]["max"] - e[2]["mean"], 3) for e in chosen],
                    "arrayminus": [_r(e[2]["mean"] - e[2]["min"], 3) for e in chosen],
                },
                "marker": {"color": colour, "pattern": {"shape": patterns[kind]}},
                "hovertemplate": "%{y}: %{x:.3f}<extra></extra>",
            }
        )
    title = "Will music help? Effect prediction, honest and leaky"
    layout = _layout(
        title,
        x="macro-F1 (mean; bars: min-max over repeats), 0-1",
        y="model or baseline",
        height=420,
        xaxis={"range": [0, 1]},
    )
    layout["yaxis"]["autorange"] = "reversed"
    selected = evaluation["selected"]
    best = evaluation["models"][selected]["macro_f1"]["mean"]
    stratified = evaluation["baselines"]["stratified"]["macro_f1"]["mean"]
    leaky = demo["leaky"]["macro_f1"]["mean"] if demo else float("nan")
    return _figure(
        "evaluation-effect",
        title,
        data,
        layout,
        f"Measured without leakage the chosen model ({selected.replace('_', ' ')}) reaches "
        f"macro-F1 {best:.2f}, next to {stratified:.2f} for a stratified random guess; the leaky "
        f"protocol the prior art used reports {leaky:.2f} on the same data.",
        ("model", "kind", "macro-F1 mean", "min", "max"),
        [
            (e[0], e[1], _r(e[2]["mean"], 3), _r(e[2]["min"], 3), _r(e[2]["max"], 3))
            for e in entries
        ],
    )


def genre_evaluation_figure(result: dict[str, Any]) -> Figure:
    metrics = result["metrics"]
    k = result["protocol"]["k"]
    names = list(metrics)
    data = []
    for index, metric in enumerate((f"hit_rate_at_{k}", f"ndcg_at_{k}")):
        data.append(
            {
                "type": "bar",
                "name": metric.replace("_at_", "@").replace("_", " "),
                "x": names,
                "y": [_r(metrics[n][metric]["mean"], 3) for n in names],
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [
                        _r(metrics[n][metric]["max"] - metrics[n][metric]["mean"], 3) for n in names
                    ],
                    "arrayminus": [
                        _r(metrics[n][metric]["mean"] - metrics[n][metric]["min"], 3) for n in names
                    ],
                },
                "marker": {"color": OKABE_ITO[index], "pattern": {"shape": ("", "/")[index]}},
            }
        )
    title = "Genre recommenders against baselines"
    layout = _layout(
        title,
        x="recommender (popularity and random are baselines)",
        y="score on hidden genres, 0-1 (bars: min-max over splits)",
        yaxis={"range": [0, 1]},
    )
    layout["barmode"] = "group"
    hit = f"hit_rate_at_{k}"
    best = max(
        (n for n in names if n not in ("popularity", "random")),
        key=lambda n: metrics[n][hit]["mean"],
    )
    return _figure(
        "evaluation-genres",
        title,
        data,
        layout,
        f"The best recommender ({best}) finds a hidden favourite genre in its top {k} for "
        f"{metrics[best][hit]['mean']:.0%} of held-out respondents, against "
        f"{metrics['popularity'][hit]['mean']:.0%} for simply recommending the most popular "
        "genres.",
        ("recommender", f"hit@{k} mean", "min", "max", f"NDCG@{k} mean"),
        [
            (
                n,
                _r(metrics[n][hit]["mean"], 3),
                _r(metrics[n][hit]["min"], 3),
                _r(metrics[n][hit]["max"], 3),
                _r(metrics[n][f"ndcg_at_{k}"]["mean"], 3),
            )
            for n in names
        ],
    )


def journey_evaluation_figure(result: dict[str, Any]) -> Figure:
    groups = ("journey", "naive")
    measures = (
        ("mean distance to the planned path (mood units)", "mean_distance", "x", "y"),
        ("largest tempo jump between tracks (BPM)", "max_tempo_jump", "x2", "y2"),
    )
    data = []
    for label, key, xa, ya in measures:
        data.append(
            {
                "type": "bar",
                "x": ["moodtune journey", "naive (random from target quadrant)"],
                "y": [_r(result[f"{g}_{key}"], 3) for g in groups],
                "xaxis": xa,
                "yaxis": ya,
                "name": label,
                "marker": {"color": [OKABE_ITO[2], "#999999"], "pattern": {"shape": ["", "x"]}},
                "showlegend": False,
                "hovertemplate": "%{x}: %{y}<extra>" + label + "</extra>",
            }
        )
    title = "Mood journeys against the naive way"
    layout = _layout(title, x="", y=measures[0][0], height=400)
    layout.update(
        xaxis={
            "domain": [0, 0.45],
            "automargin": True,
            "title": {"text": "way of choosing the tracks"},
        },
        xaxis2={
            "domain": [0.55, 1],
            "anchor": "y2",
            "automargin": True,
            "title": {"text": "way of choosing the tracks"},
        },
        yaxis={"title": {"text": "distance to path (mood units)"}, "automargin": True},
        yaxis2={"title": {"text": "largest tempo jump (BPM)"}, "anchor": "x2", "automargin": True},
    )
    return _figure(
        "evaluation-journeys",
        title,
        data,
        layout,
        f"Over {result['pairs']} random start and target moods, journeys stay "
        f"{result['distance_ratio']:.0f}× closer to the planned path than random tracks from the "
        f"target's quadrant and keep tempo jumps within {result['bounds']['tempo_bpm']:g} BPM "
        f"({result['journey_bound_violations']} violations vs {result['naive_bound_violations']}"
        ").",
        ("measure", "journey", "naive"),
        [
            (
                "mean distance to planned path",
                _r(result["journey_mean_distance"], 3),
                _r(result["naive_mean_distance"], 3),
            ),
            (
                "largest tempo jump (BPM)",
                _r(result["journey_max_tempo_jump"], 1),
                _r(result["naive_max_tempo_jump"], 1),
            ),
            (
                "largest energy jump",
                _r(result["journey_max_energy_jump"], 3),
                _r(result["naive_max_energy_jump"], 3),
            ),
            (
                "journeys breaking the jump bounds",
                result["journey_bound_violations"],
                result["naive_bound_violations"],
            ),
            ("infeasible journeys", result["infeasible"], "-"),
        ],
    )


def learning_figure(summary: dict[str, Any]) -> Figure:
    per_session = pd.DataFrame(summary["per_session"])
    arms = list(dict.fromkeys(per_session["arm"]))
    data, rows = [], []
    for index, arm in enumerate(arms):
        part = per_session[per_session["arm"] == arm].sort_values("session")
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": arm.replace("_", " "),
                "x": part["session"].tolist(),
                "y": [_r(v, 3) for v in part["acceptance"]],
                "error_y": {"type": "data", "array": [_r(v, 3) for v in part["acceptance_ci"]]},
                "line": {"color": OKABE_ITO[index], "dash": ("solid", "dash", "dot")[index % 3]},
            }
        )
        for _, r in part.iterrows():
            rows.append((arm, int(r["session"]), _r(r["acceptance"], 3), _r(r["gain"], 3)))
    config = summary["config"]
    comparison = summary.get("comparison", {}).get("learning", {}).get("acceptance", {})
    title = "Learning from feedback against no learning (simulated listeners)"
    layout = _layout(
        title,
        x="session number",
        y="offers accepted, share (95% CI)",
        yaxis={"range": [0, 1]},
    )
    return _figure(
        "evaluation-learning",
        title,
        data,
        layout,
        f"With {config['n_listeners']} simulated listeners over {config['n_sessions']} sessions "
        f"({len(config['seeds'])} seed), learning accepts "
        f"{comparison.get('difference', float('nan')):+.2f} more of its offers from session "
        f"{summary.get('comparison', {}).get('from_session', '?')} on (±"
        f"{comparison.get('ci95', float('nan')):.2f}); simulated taste, not real people.",
        ("arm", "session", "acceptance", "mood gain"),
        rows,
        notes=(str(summary.get("source", "")),),
    )
