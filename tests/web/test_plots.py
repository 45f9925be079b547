"""The history figures as pure functions of a hand-made history view, with known answers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from moodtune.app.views import GroupView, HistoryView, SessionSummary, StreaksView, mood_view
from moodtune.web import plots


def summary(
    number: int,
    before: tuple[float, float] | None,
    after: tuple[float, float] | None,
    progress: float | None,
) -> SessionSummary:
    return SessionSummary(
        id=f"s{number}",
        goal="calm_down",
        goal_label="Calm down",
        started_at=datetime(2026, 3, 1, 9, tzinfo=UTC) + timedelta(days=number),
        finished=after is not None,
        tracks=6,
        before=None if before is None else mood_view(*before),
        after=None if after is None else mood_view(*after),
        progress=progress,
    )


def group(name: str, n: int, mean: float | None, *, kind: str = "goal") -> GroupView:
    return GroupView(
        kind=kind, name=name, n=n, mean_progress=mean, helped=0, rated=0, too_few=n < 5
    )


def history(*sessions: SessionSummary) -> HistoryView:
    return HistoryView(
        checkins=(),
        sessions=sessions,
        by_goal=(),
        by_genre=(),
        by_mood=(),
        streaks=StreaksView(current=0, longest=0, days_with_checkins=0),
        min_sessions=5,
        too_early=True,
        sessions_total=len(sessions),
        sessions_limit=50,
    )


def test_before_after_draws_one_arrow_per_finished_journey() -> None:
    view = history(
        summary(1, (-0.5, 0.6), (0.1, -0.2), 0.7),  # closer
        summary(2, (0.2, 0.1), (0.1, 0.4), -0.3),  # further
        summary(3, (-0.4, 0.5), None, None),  # not finished: no arrow
        summary(4, (-0.6, 0.2), (-0.2, 0.0), 0.4),  # closer
    )
    figure = plots.before_after_figure(view)
    assert figure is not None
    closer, further = figure.spec["data"]
    assert closer["name"] == "closer to your target" and further["name"] == "no closer"
    # each arrow is before, after, then a gap; the arrowhead sits on the after point
    assert closer["x"] == [-0.5, 0.1, None, -0.6, -0.2, None]
    assert closer["y"] == [0.6, -0.2, None, 0.2, 0.0, None]
    assert closer["marker"]["symbol"][:2] == ["circle-open", "arrow"]
    assert further["x"] == [0.2, 0.1, None] and further["line"]["dash"] == "dot"
    assert figure.reading.startswith("3 finished journeys")
    assert "2 of them brought you closer" in figure.reading
    assert figure.label.endswith(figure.reading)
    json.dumps(figure.spec)  # what the page embeds


def test_before_after_keeps_the_latest_arrows_and_needs_a_finished_journey() -> None:
    assert plots.before_after_figure(history(summary(1, (0.1, 0.1), None, None))) is None
    many = [summary(i, (0.0, 0.0), (0.1, 0.0), 0.1) for i in range(plots.BEFORE_AFTER_ARROWS + 7)]
    figure = plots.before_after_figure(history(*many))
    assert figure is not None
    (trace,) = figure.spec["data"]
    assert len(trace["x"]) == 3 * plots.BEFORE_AFTER_ARROWS
    assert trace["text"][0].startswith(many[7].started_at.strftime("%d %b"))  # oldest 7 left off


def test_helped_bars_carry_their_counts() -> None:
    groups = (
        group("Calm down", 8, 0.42),
        group("Focus", 5, -0.1),
        group("Stay", 2, 0.9),  # too few: last, and says so
        group("Lift me up", 0, None),  # only rated tracks, no measured journey: no bar
    )
    figure = plots.helped_figure(groups, title="By goal")
    assert figure is not None
    (bars,) = figure.spec["data"]
    assert bars["type"] == "bar" and bars["orientation"] == "h"
    assert bars["y"] == ["Calm down", "Focus", "Stay"]
    assert bars["x"] == [0.42, -0.1, 0.9]
    assert bars["text"] == ["n = 8", "n = 5", "n = 2"]
    assert bars["customdata"] == ["", "", ", too few to tell"]
    assert bars["marker"]["pattern"]["shape"] == ["", "", "/"]  # too few: hatched
    assert figure.reading == (
        "By goal: Calm down moved you most, +0.42 toward your target on average over 8 journeys."
    )
    assert plots.helped_figure((group("Stay", 0, None),), title="By goal") is None


def test_helped_bars_are_capped_and_music_moods_keep_their_colours() -> None:
    groups = tuple(group(f"genre {i}", 6, 0.5 - i / 100, kind="genre") for i in range(30))
    figure = plots.helped_figure(groups, title="By genre")
    assert figure is not None
    assert len(figure.spec["data"][0]["y"]) == plots.HELPED_BARS
    moods = (
        group("calm/relaxed", 6, 0.3, kind="mood"),
        group("sad/low", 5, 0.1, kind="mood"),
        group("unknown", 5, 0.0, kind="mood"),
    )
    figure = plots.helped_figure(moods, title="By mood of the music")
    assert figure is not None
    assert figure.spec["data"][0]["marker"]["color"] == ["#009E73", "#0072B2", "#0072B2"]


def test_streaks_calendar_ticks_the_days_with_a_check_in() -> None:
    today = date(2026, 3, 4)  # a Wednesday
    streaks = StreaksView(
        current=1,
        longest=3,
        days_with_checkins=5,
        as_of=today,
        recent_days=(
            date(2026, 1, 1),  # before the calendar's first Monday (12 January): not shown
            date(2026, 1, 12),
            date(2026, 2, 20),
            date(2026, 2, 21),
            date(2026, 3, 4),
        ),
    )
    figure = plots.streaks_figure(streaks)
    assert figure is not None
    (cells,) = figure.spec["data"]
    assert cells["y"][0] == "week of 12 Jan" and cells["y"][-1] == "this week"
    assert len(cells["y"]) == plots.CALENDAR_WEEKS and cells["x"][0] == "Mon"
    ticked = {(r, c) for r, row in enumerate(cells["text"]) for c, t in enumerate(row) if t}
    assert ticked == {(0, 0), (5, 4), (5, 5), (7, 2)}  # Mon 12 Jan, Fri + Sat 20/21 Feb, today
    assert sum(v for row in cells["z"] for v in row if v) == 4
    # Thursday to Sunday of this week are still to come: no square
    assert cells["z"][-1] == [0, 0, 1, None, None, None, None]
    assert figure.reading == (
        "You checked in on 4 days of the last 8 weeks. "
        "Days in a row with a check-in: 1 now, 3 at most."
    )
    assert figure.rows[0] == ("this week", "1", "Wed")
    assert figure.rows[2] == ("week of 16 Feb", "2", "Fri, Sat")
    assert figure.rows[-1] == ("week of 12 Jan", "1", "Mon")
    json.dumps(figure.spec)


def test_streaks_calendar_says_when_there_is_no_current_run() -> None:
    figure = plots.streaks_figure(
        StreaksView(current=0, longest=2, days_with_checkins=2, as_of=date(2026, 3, 4))
    )
    assert figure is not None
    assert figure.reading.endswith("No check-in yesterday or today; your longest run was 2 days.")
    assert plots.streaks_figure(StreaksView(current=0, longest=0, days_with_checkins=0)) is None


def test_the_journey_figure_draws_the_planned_and_the_actual_path(
    client: Any, services: Any
) -> None:
    """On a real journey: the planned waypoints dashed, the chosen tracks in order at their
    moods, and start, target and the after check-in marked."""
    from moodtune import app as moodtune_app
    from moodtune.web.plots import journey_figure

    listener = client.post("/api/v1/listener", json={"display_name": "Plot"}).json()["id"]
    made = client.post("/api/v1/sessions", json={
        "goal": "calm_down", "mood": {"valence": -0.5, "arousal": 0.6}, "tracks": 6,
    }).json()  # fmt: skip
    client.post(f"/api/v1/sessions/{made['id']}/finish", json={"valence": 0.2, "arousal": -0.3})
    view = moodtune_app.session_view(services, listener, made["id"])
    figure = journey_figure(view, current=2)
    traces = {t["name"]: t for t in figure.spec["data"]}
    planned = traces["planned path"]
    assert planned["line"]["dash"] == "dash"
    assert list(zip(planned["x"], planned["y"], strict=True)) == [
        (t.planned.valence, t.planned.arousal) for t in view.tracks if t.planned is not None
    ]
    chosen = traces["your tracks"]
    assert chosen["text"] == [str(n) for n in range(1, 7)]
    assert list(zip(chosen["x"], chosen["y"], strict=True)) == [
        (t.track.mood.valence, t.track.mood.arousal) for t in view.tracks if t.track
    ]
    assert chosen["marker"]["size"][1] == 20 and chosen["marker"]["size"][0] == 14  # current
    marks = traces["start and target"]["text"]
    assert [m.split(":")[0] for m in marks] == ["start", "target", "after"]
    assert (traces["start and target"]["x"][0], traces["start and target"]["y"][0]) == (-0.5, 0.6)
    assert (traces["start and target"]["x"][2], traces["start and target"]["y"][2]) == (0.2, -0.3)
    assert figure.reading.startswith("6 tracks from ")
    assert "afterwards you checked in" in figure.reading
