"""Plotly figures as plain JSON (``{"data", "layout"}``): the page renders them with plotly.js.

Each builder also returns a one-line plain reading and the text alternative the template shows
beside the plot, so no figure carries information that only sight can get.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moodtune.app.views import HistoryView, MapView, PersonaView, PreparedJourney, SessionView

__all__ = ["Figure", "history_figure", "journey_figure", "map_figure", "persona_figure"]

MOOD_COLOURS = {
    "happy": "#E69F00",
    "tense": "#D55E00",
    "sad": "#0072B2",
    "calm": "#009E73",
    "neutral": "#999999",
}
_AXES = {
    "xaxis": {
        "range": [-1.05, 1.05],
        "title": {"text": "unpleasant \u2190 valence \u2192 pleasant"},
        "zeroline": True,
        "fixedrange": True,
        "constrain": "domain",
    },
    "yaxis": {
        "range": [-1.05, 1.05],
        "title": {"text": "calm \u2190 arousal \u2192 energetic"},
        "zeroline": True,
        "fixedrange": True,
        "scaleanchor": "x",
        "constrain": "domain",
    },
}
_TINTS = (
    (-1, 0, 0, 1, "rgba(213,94,0,0.08)"),
    (0, 0, 1, 1, "rgba(230,159,0,0.08)"),
    (-1, -1, 0, 0, "rgba(0,114,178,0.08)"),
    (0, -1, 1, 0, "rgba(0,158,115,0.08)"),
)


@dataclass(frozen=True)
class Figure:
    """A figure, its one-line reading (shown beneath) and its accessible label."""

    spec: dict[str, Any]
    reading: str
    label: str


def _plane_layout(height: int = 420) -> dict[str, Any]:
    return {
        **{k: dict(v) for k, v in _AXES.items()},
        "shapes": [
            {
                "type": "rect",
                "x0": x0,
                "y0": y0,
                "x1": x1,
                "y1": y1,
                "fillcolor": colour,
                "line": {"width": 0},
                "layer": "below",
            }
            for x0, y0, x1, y1, colour in _TINTS
        ],
        "margin": {"l": 56, "r": 16, "t": 16, "b": 56},
        "showlegend": False,
        "height": height,
    }


def journey_figure(journey: SessionView | PreparedJourney, *, current: int | None = None) -> Figure:
    """Planned path dashed, chosen tracks as numbered dots in order, start and target marked."""
    tracks = [t for t in journey.tracks if t.track is not None]
    planned = [t.planned for t in journey.tracks if t.planned is not None]
    start = journey.before if isinstance(journey, SessionView) else journey.start
    target = journey.target
    data: list[dict[str, Any]] = []
    if planned:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "planned path",
                "hoverinfo": "skip",
                "x": [p.valence for p in planned],
                "y": [p.arousal for p in planned],
                "line": {"dash": "dash", "color": "#999999", "width": 2},
            }
        )
    if tracks:
        sizes = [20 if t.number == current else 14 for t in tracks]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers+text",
                "name": "your tracks",
                "x": [t.track.mood.valence for t in tracks if t.track],
                "y": [t.track.mood.arousal for t in tracks if t.track],
                "text": [str(t.number) for t in tracks],
                "textposition": "top center",
                "customdata": [t.title for t in tracks],
                "hovertemplate": "%{text}. %{customdata}<extra></extra>",
                "marker": {
                    "size": sizes,
                    "color": [MOOD_COLOURS[t.track.mood.mood] for t in tracks if t.track],
                    "line": {
                        "width": [3 if t.number == current else 0 for t in tracks],
                        "color": "#1d2127",
                    },
                },
                "line": {"color": "#737980", "width": 1.5},
            }
        )
    marks = []
    if start is not None:
        marks.append(
            ("start: " + start.near, start.valence, start.arousal, "circle-open", "bottom center")
        )
    if target is not None:
        marks.append(
            ("target: " + target.near, target.valence, target.arousal, "star", "top center")
        )
    after = journey.after if isinstance(journey, SessionView) else None
    if after is not None:  # below, so it never sits on the target's label
        marks.append(
            ("after: " + after.near, after.valence, after.arousal, "diamond", "bottom center")
        )
    if marks:
        data.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": "start and target",
                "x": [m[1] for m in marks],
                "y": [m[2] for m in marks],
                "text": [m[0] for m in marks],
                "textposition": [m[4] for m in marks],
                "marker": {
                    "symbol": [m[3] for m in marks],
                    "size": 16,
                    "color": "#51575f",
                    "line": {"width": 2},
                },
            }
        )
    n = len(journey.tracks)
    where_from = start.near if start is not None else "where you were"
    where_to = target.near if target is not None else "your goal"
    reading = f"{n} tracks from {where_from} toward {where_to}"
    if after is not None and start is not None:
        reading += f"; afterwards you checked in near {after.near}"
    label = f"Journey on the mood plane: {reading}. Planned path dashed, tracks numbered in order."
    return Figure({"data": data, "layout": _plane_layout()}, reading + ".", label)


def map_figure(view: MapView) -> Figure:
    """Track density as a heatmap over the plane (a scatter of 28,000 points is unreadable)."""
    centres_v = [
        round((a + b) / 2, 4)
        for a, b in zip(view.valence_edges, view.valence_edges[1:], strict=False)
    ]
    centres_a = [
        round((a + b) / 2, 4)
        for a, b in zip(view.arousal_edges, view.arousal_edges[1:], strict=False)
    ]
    flat = [(c, i, j) for i, row in enumerate(view.counts) for j, c in enumerate(row)]
    busiest = max(flat)
    layout = _plane_layout(440)
    layout["shapes"] = []
    spec = {
        "data": [
            {
                "type": "heatmap",
                "x": centres_v,
                "y": centres_a,
                "z": [list(row) for row in view.counts],
                "colorscale": [
                    [0, "rgba(0,114,178,0.0)"],
                    [0.05, "rgba(0,114,178,0.25)"],
                    [1, "rgba(0,114,178,1)"],
                ],
                # no colour bar: beside a square plane it sits far off; the reading says it
                "showscale": False,
                "hovertemplate": "valence %{x:.2f}, arousal %{y:.2f}: %{z} tracks<extra></extra>",
            }
        ],
        "layout": {**layout, "showlegend": False},
    }
    reading = (
        f"{view.n_tracks:,} tracks; the busiest cell, around valence "
        f"{centres_v[busiest[2]]:+.2f} and arousal {centres_a[busiest[1]]:+.2f}, holds "
        f"{busiest[0]} of them (darker cells hold more tracks). Click a cell to start a "
        "journey from that mood."
    )
    return Figure(spec, reading, f"Mood map of the catalog {view.catalog}: {reading}")


def history_figure(history: HistoryView) -> Figure | None:
    """Valence and arousal of every check-in over time, as two lines."""
    points = [c for c in history.checkins if c.mood is not None]
    if not points:
        return None
    x = [c.created_at.isoformat() for c in points]
    spec = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "valence (pleasant +)",
                "x": x,
                "y": [c.mood.valence for c in points if c.mood],
                "line": {"color": "#0072B2"},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "arousal (energetic +)",
                "x": x,
                "y": [c.mood.arousal for c in points if c.mood],
                "line": {"color": "#D55E00", "dash": "dot"},
                "marker": {"symbol": "square"},
            },
        ],
        "layout": {
            "yaxis": {"range": [-1.05, 1.05], "title": {"text": "mood (\u22121 to 1)"}},
            "xaxis": {"title": {"text": "check-in time"}},
            "legend": {"orientation": "h", "y": 1.15, "x": 0},  # above: clear of the axis title
            "margin": {"l": 56, "r": 16, "t": 40, "b": 56},
            "height": 340,
        },
    }
    first, last = points[0].mood, points[-1].mood
    assert first is not None and last is not None
    reading = (
        f"{len(points)} check-ins: valence from {first.valence:+.2f} to {last.valence:+.2f}, "
        f"arousal from {first.arousal:+.2f} to {last.arousal:+.2f}."
    )
    return Figure(spec, reading, "Mood over time. " + reading)


def persona_figure(embedding: Any, labels: Any, names: list[str], persona: PersonaView) -> Figure:
    """Survey respondents on the persona map, coloured by persona, you marked with a star."""
    palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
    data: list[dict[str, Any]] = []
    for index, name in enumerate(names):
        members = labels == index
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{name} (n={int(members.sum())})",
                "x": [round(float(v), 3) for v in embedding[members, 0]],
                "y": [round(float(v), 3) for v in embedding[members, 1]],
                "marker": {"size": 6, "opacity": 0.5, "color": palette[index % len(palette)]},
                "hoverinfo": "name",
            }
        )
    data.append(
        {
            "type": "scatter",
            "mode": "markers+text",
            "name": "you",
            "x": [persona.x],
            "y": [persona.y],
            "text": ["you"],
            "textposition": "top center",
            "marker": {"size": 18, "symbol": "star", "color": "#1d2127"},
        }
    )
    spec = {
        "data": data,
        "layout": {
            "xaxis": {"title": {"text": "map axis 1 (PCA of survey answers)"}, "zeroline": False},
            "yaxis": {"title": {"text": "map axis 2"}, "zeroline": False},
            "margin": {"l": 56, "r": 16, "t": 16, "b": 56},
            "legend": {"orientation": "h", "y": -0.25},
            "height": 380,
        },
    }
    reading = (
        f"You sit among the {persona.n_respondents} survey respondents nearest the "
        f"'{persona.persona}' group."
    )
    return Figure(spec, reading, "Persona map. " + reading)
