"""Smoke test: the track benchmark runs on a tiny catalog and reports every figure."""

from __future__ import annotations

import numpy as np
import pytest

from moodtune.bench.tracks import make_scaled_catalog, run_tracks_bench
from moodtune.bench.tracks_report import parse_scales, render_report
from moodtune.errors import InputError
from tests.recommend.tiny_catalog import grid_catalog


def test_bench_runs_on_tiny_catalog_and_reports_all_keys() -> None:
    tracks = grid_catalog(0.1)
    report = run_tracks_bench(
        scales=(1, 2), quick=True, tracks=tracks, cold_start=False, in_process=True
    )
    assert [s["scale"] for s in report["scales"]] == [1, 2]
    for s in report["scales"]:
        for key in ("similar", "mood", "similar_full", "similar_table", "mood_full", "mood_table",
                    "journey"):  # fmt: skip
            assert {"p50_ms", "p99_ms"} <= set(s[key])
        for key in ("similar", "mood"):
            assert {"recall_at_20", "speedup_p50", "speedup_p99"} <= set(s[key])
        assert s["rss_mb"] > 0
        assert s["evaluation"]["journey_bound_violations"] == 0
    assert report["scales"][1]["synthetic_tracks"] == len(tracks)
    names = {t["target"] for t in report["targets"]}
    assert "similar query p99 (x1)" in names
    assert "20-track journey p99 (x1)" in names
    assert "similar full answer p99 (x1)" in names
    render_report(report)  # renders without error


def test_scaled_catalog_is_labelled_synthetic_and_stays_in_range() -> None:
    tracks = grid_catalog(0.2)
    scaled = make_scaled_catalog(tracks, 3, random_state=1)
    assert len(scaled) == 3 * len(tracks)
    assert scaled["synthetic"].sum() == 2 * len(tracks)
    assert not scaled.loc[~scaled["synthetic"], "track_id"].str.startswith("synthetic").any()
    fake = scaled[scaled["synthetic"]]
    assert fake["track_id"].is_unique
    assert fake["name"].str.startswith("Synthetic ").all()
    assert fake["mood_valence"].between(-1, 1).all()
    assert fake["energy"].between(tracks["energy"].min(), tracks["energy"].max()).all()
    assert np.isin(fake["quadrant"], tracks["quadrant"].unique()).all()


def test_parse_scales() -> None:
    assert parse_scales("35, x1,10") == [1, 10, 35]
    with pytest.raises(InputError, match="bad scale"):
        parse_scales("1,ten")
