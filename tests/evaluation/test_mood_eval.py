"""Leak-free mood-model evaluation: metrics with known answers, baselines, transfer rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from moodtune.evaluation.mood import (
    BASELINE_CANDIDATE,
    CANDIDATES,
    SHIPPED_CANDIDATE,
    axis_metrics,
    compare_mood_models,
    concordance,
    release_period,
    transfer_mood_models,
)
from moodtune.mood.estimator import TrackMoodModel


def test_concordance_known_answers() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert concordance(x, x) == pytest.approx(1.0)
    assert concordance(x - 2.5, 2.5 - x) == pytest.approx(-1.0)
    assert concordance(x, -x) == pytest.approx(-2.5 / (1.25 + 1.25 + 25))
    # shifted by 1: 2·cov / (var + var + 1) = 2·1.25 / (1.25 + 1.25 + 1)
    assert concordance(x, x + 1) == pytest.approx(2.5 / 3.5)
    metrics = axis_metrics(2 * x, x)
    assert metrics["spearman"] == pytest.approx(1.0) and metrics["pearson"] == pytest.approx(1.0)
    assert metrics["r2"] == pytest.approx(1 - 30 / 5)  # residuals 1, 2, 3, 4; total 5


def test_release_periods() -> None:
    assert [release_period(y) for y in (1986, 2012, 2016, 2018, float("nan"))] == [
        "before 2010",
        "2010–2015",
        "2016",
        "2017 and later",
        None,
    ]


def _planted(rng: np.random.Generator, n: int = 120) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "valence": rng.uniform(0, 1, n),
            "mode": rng.integers(0, 2, n),
            "energy": rng.uniform(0, 1, n),
            "tempo": rng.uniform(70, 170, n),
            "loudness": rng.uniform(-20, -3, n),
            "danceability": rng.uniform(0, 1, n),
            "acousticness": rng.uniform(0, 0.5, n),
            "speechiness": rng.uniform(0, 0.2, n),
            "instrumentalness": rng.uniform(0, 0.05, n),
            "liveness": rng.uniform(0, 0.4, n),
            "genre": rng.choice(["pop", "rap", "rock"], n),
            "release_year": rng.choice([2005.0, 2012.0, 2016.0, 2017.0], n),
        }
    )
    prior = TrackMoodModel().fit(frame).predict(frame)
    noise = rng.normal(0, 0.1, (n, 2))
    frame["rated_valence"] = np.clip(
        prior[:, 0] + 0.5 * (frame["danceability"] - 0.5) + noise[:, 0], -1, 1
    )
    frame["rated_arousal"] = np.clip(prior[:, 1] + noise[:, 1], -1, 1)
    return frame


def test_the_fitted_model_beats_the_baselines_on_a_planted_correction(
    rng: np.random.Generator,
) -> None:
    data = _planted(rng)
    chosen = {k: CANDIDATES[k] for k in ("mean rating", BASELINE_CANDIDATE, SHIPPED_CANDIDATE)}
    result = compare_mood_models(data, folds=4, repeats=2, candidates=chosen)
    rows = {r["model"]: r for r in result.rows}
    assert rows["mean rating"]["baseline"] and not rows[SHIPPED_CANDIDATE]["baseline"]
    assert np.isnan(rows["mean rating"]["valence_spearman"])  # a mean ranks nothing
    assert rows["mean rating"]["valence_r2"] < 0.05
    assert (
        rows[SHIPPED_CANDIDATE]["valence_spearman"] > rows[BASELINE_CANDIDATE]["valence_spearman"]
    )
    assert rows[SHIPPED_CANDIDATE]["valence_ccc"] > 0.6
    assert rows[SHIPPED_CANDIDATE]["valence_spearman_sd"] >= 0.0


def test_transfer_holds_out_each_genre_and_period(rng: np.random.Generator) -> None:
    rows = transfer_mood_models(_planted(rng), min_group=10)
    held_out = {(r["grouping"], r["group"]) for r in rows}
    assert {("genre", "pop"), ("genre", "rap"), ("genre", "rock")} <= held_out
    assert ("release period", "2016") in held_out
    for row in rows:
        assert row["valence_gain_se"] > 0
        assert row["worse_beyond_noise"] == bool(
            row["valence_spearman_gain"] < -2 * row["valence_gain_se"]
            or row["arousal_spearman_gain"] < -2 * row["arousal_gain_se"]
        )
