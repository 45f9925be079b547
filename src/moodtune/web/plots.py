"""Plotly figures as plain JSON (``{"data", "layout"}``): the page renders them with plotly.js.

Each builder also returns a one-line plain reading and the text alternative the template shows
beside the plot, so no figure carries information that only sight can get.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from typing import Any

from moodtune.app.views import (
    GroupView,
    HistoryView,
    MapView,
    PersonaView,
    PreparedJourney,
    SessionSummary,
    SessionView,
    StreaksView,
)
from moodtune.app.zones import in_zone, time_zone

__all__ = [
    "Figure",
    "before_after_figure",
    "helped_figure",
    "history_figure",
    "journey_figure",
    "map_figure",
    "persona_figure",
    "streaks_figure",
]

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
    #: the rows of its text alternative, when the view has no table of its own to show
    rows: tuple[tuple[str, ...], ...] = ()


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
    zone = time_zone(history.time_zone)  # plotly shows times as written: the listener's
    x = [in_zone(c.created_at, zone).replace(tzinfo=None).isoformat() for c in points]
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


#: Most arrows a before → after figure draws (a history page holds 50 journeys): more hide
#: one another; the list beside it and the older pages have the rest.
BEFORE_AFTER_ARROWS = 50
#: Most bars a "what helped" figure draws (best first, as the view orders them).
HELPED_BARS = 12
#: Whole weeks a streak calendar shows, the current one last.
CALENDAR_WEEKS = 8
_TOWARD = "#009E73"
_AWAY = "#737980"
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _arrows(
    sessions: Sequence[SessionSummary],
    *,
    name: str,
    colour: str,
    dash: str,
    zone: tzinfo | None = None,
) -> dict[str, Any]:
    """One trace of before → after arrows: segments split by gaps, an arrowhead at the after."""
    x: list[float | None] = []
    y: list[float | None] = []
    text: list[str] = []
    symbols: list[str] = []
    for s in sessions:
        assert s.before is not None and s.after is not None and s.progress is not None
        when = in_zone(s.started_at, zone).strftime("%d %b %H:%M")
        x += [s.before.valence, s.after.valence, None]
        y += [s.before.arousal, s.after.arousal, None]
        text += [
            f"{when} {s.goal_label}: before, near {s.before.near}",
            f"{when} {s.goal_label}: after, near {s.after.near} ({s.progress:+.2f})",
            "",
        ]
        symbols += ["circle-open", "arrow", "circle"]
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": x,
        "y": y,
        "text": text,
        "hoverinfo": "text",
        "connectgaps": False,
        "line": {"color": colour, "width": 2, "dash": dash},
        "marker": {"symbol": symbols, "size": 12, "color": colour, "angleref": "previous"},
    }


def before_after_figure(history: HistoryView) -> Figure | None:
    """Each finished journey of the page as an arrow on the plane, from before to after.

    Journeys that moved the listener toward their target are solid green, the others dotted
    grey (the legend says which is which, so colour is never alone). At most
    ``BEFORE_AFTER_ARROWS`` of the page's latest journeys; None when none is finished.
    """
    done = [
        s
        for s in history.sessions
        if s.finished and s.before is not None and s.after is not None and s.progress is not None
    ][-BEFORE_AFTER_ARROWS:]
    if not done:
        return None
    toward = [s for s in done if s.progress is not None and s.progress > 0]
    other = [s for s in done if s.progress is not None and s.progress <= 0]
    data = []
    zone = time_zone(history.time_zone)
    if toward:
        data.append(
            _arrows(toward, name="closer to your target", colour=_TOWARD, dash="solid", zone=zone)
        )
    if other:
        data.append(_arrows(other, name="no closer", colour=_AWAY, dash="dot", zone=zone))
    layout = _plane_layout(460)
    layout["showlegend"] = True
    layout["legend"] = {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}
    layout["margin"] = {**layout["margin"], "t": 40}
    n = len(done)
    reading = (
        f"{n} finished journey{'s' if n != 1 else ''}, each an arrow from how you felt before "
        f"(open circle) to how you felt after (arrowhead); {len(toward)} of them brought you "
        "closer to your target."
    )
    label = "Before and after each journey on the mood plane. " + reading
    return Figure({"data": data, "layout": layout}, reading, label)


def helped_figure(groups: Sequence[GroupView], *, title: str) -> Figure | None:
    """Mean move toward the target per group, as horizontal bars with ``n`` on each bar.

    ``groups`` as the view orders them (best first, too few last); at most ``HELPED_BARS``.
    Groups with too few journeys are hatched (the note beneath and the table say so in words).
    None when no group has a measured journey.
    """
    shown = [g for g in groups if g.mean_progress is not None][:HELPED_BARS]
    if not shown:
        return None
    values = [g.mean_progress or 0.0 for g in shown]
    reach = max(0.25, max(abs(v) for v in values) * 1.6)  # room for the text past the bar end
    colours = [  # a music mood is named "calm/relaxed": its colour group comes first
        MOOD_COLOURS.get(g.name.split("/")[0], "#0072B2") if g.kind == "mood" else "#0072B2"
        for g in shown
    ]
    spec = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": title,
                "x": values,
                "y": [g.name for g in shown],
                "text": [f"n = {g.n}" for g in shown],  # short: it fits beside a bar on a phone
                "textposition": "outside",
                "cliponaxis": False,
                "customdata": [", too few to tell" if g.too_few else "" for g in shown],
                "hovertemplate": "%{y}: %{x:+.2f} toward the target, %{text}%{customdata}"
                "<extra></extra>",
                "marker": {
                    "color": colours,
                    "pattern": {"shape": ["/" if g.too_few else "" for g in shown]},
                },
            }
        ],
        "layout": {
            "xaxis": {
                "range": [-reach, reach],
                "title": {"text": "mean move toward the target"},  # phones: short
                "zeroline": True,
                "fixedrange": True,
            },
            "yaxis": {"autorange": "reversed", "automargin": True, "fixedrange": True},
            "margin": {"l": 16, "r": 16, "t": 8, "b": 56},
            "showlegend": False,
            "height": 90 + 34 * len(shown),
        },
    }
    best = shown[0]
    reading = (
        f"{title}: {best.name} moved you most, {best.mean_progress:+.2f} toward your target "
        f"on average over {best.n} journey{'s' if best.n != 1 else ''}"
        + (" (too few to tell)." if best.too_few else ".")
    )
    return Figure(spec, reading, f"What helped, {title.lower()}. " + reading)


def streaks_figure(streaks: StreaksView) -> Figure | None:
    """The last ``CALENDAR_WEEKS`` weeks as a calendar, a ticked square for each day with a
    check-in; the reading states the current and the longest run in words.

    Rows are weeks (the current one last), columns weekdays from Monday; days after ``as_of``
    stay empty.
    None without an ``as_of`` day.
    """
    today = streaks.as_of
    if today is None:
        return None
    first = today - timedelta(days=today.weekday() + 7 * (CALENDAR_WEEKS - 1))
    present = set(streaks.recent_days)
    weeks = [first + timedelta(days=7 * w) for w in range(CALENDAR_WEEKS)]
    names = ["week of " + w.strftime("%d %b") for w in weeks[:-1]] + ["this week"]
    z: list[list[int | None]] = []
    ticks: list[list[str]] = []
    hover: list[list[str]] = []
    for week in weeks:
        days = [week + timedelta(days=weekday) for weekday in range(7)]
        z.append([None if d > today else int(d in present) for d in days])
        ticks.append(["\u2713" if d in present else "" for d in days])
        hover.append(
            [
                d.strftime("%a %d %b") + (": checked in" if d in present else ": no check-in")
                for d in days
            ]
        )
    rows = tuple(
        (
            name,
            str(sum(tick == "\u2713" for tick in week_ticks)),
            ", ".join(day for day, tick in zip(_WEEKDAYS, week_ticks, strict=True) if tick) or "–",
        )
        for name, week_ticks in reversed(list(zip(names, ticks, strict=True)))
    )
    spec = {
        "data": [
            {
                "type": "heatmap",
                "x": list(_WEEKDAYS),
                "y": names,
                "z": z,
                "zmin": 0,
                "zmax": 1,
                "text": ticks,
                "texttemplate": "%{text}",
                "textfont": {"color": "#ffffff", "size": 14},
                "customdata": hover,
                "hovertemplate": "%{customdata}<extra></extra>",
                "colorscale": [[0, "rgba(153,153,153,0.22)"], [1, _TOWARD]],
                "showscale": False,
                "xgap": 3,
                "ygap": 3,
            }
        ],
        "layout": {
            "xaxis": {"side": "top", "fixedrange": True, "showgrid": False, "constrain": "domain"},
            "yaxis": {
                "autorange": "reversed",  # a calendar: the oldest week on top
                "automargin": True,
                "fixedrange": True,
                "showgrid": False,
                "scaleanchor": "x",
                "constrain": "domain",
            },
            "margin": {"l": 16, "r": 16, "t": 32, "b": 8},
            "showlegend": False,
            "height": 60 + 36 * CALENDAR_WEEKS,
        },
    }
    shown = sum(1 for d in present if first <= d <= today)
    longest = f"{streaks.longest} day{'s' if streaks.longest != 1 else ''}"
    reading = (
        f"You checked in on {shown} day{'s' if shown != 1 else ''} of the last "
        f"{CALENDAR_WEEKS} weeks. "
        + (
            f"Days in a row with a check-in: {streaks.current} now, {streaks.longest} at most."
            if streaks.current
            else f"No check-in yesterday or today; your longest run was {longest}."
        )
    )
    label = (
        f"Calendar of the last {CALENDAR_WEEKS} weeks, one square per day, ticked where you "
        "checked in. " + reading
    )
    return Figure(spec, reading, label, rows=rows)


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
