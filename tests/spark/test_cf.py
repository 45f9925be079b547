"""``moodtune spark train-cf``: MLlib ALS scores like the in-process ``implicit`` model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from moodtune.evaluation.simulation import (
    SimulationConfig,
    prepare_catalog,
    run_simulation,
    synthetic_catalog,
)
from moodtune.evaluation.splits import temporal_split
from moodtune.recommend.collaborative import ImplicitMF, mf_temporal_metrics
from moodtune.recommend.factors import load_factors
from moodtune.spark.cf import AlsParams, train_cf

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LISTENERS, SESSIONS = 60, 15
ITERATIONS = 10  # both models, fewer than the default 20: the test's budget


def test_mllib_ndcg_is_within_the_spread_of_the_in_process_model(
    spark: SparkSession, tmp_path: Path
) -> None:
    catalog = prepare_catalog(synthetic_catalog(1500, random_state=3))
    config = SimulationConfig(
        n_listeners=LISTENERS, n_sessions=SESSIONS, seeds=(0,), arms=("no_learning",)
    )
    offers = run_simulation(catalog, config).offers
    split = temporal_split(SESSIONS)
    in_process = [
        mf_temporal_metrics(
            offers,
            n_listeners=LISTENERS,
            n_items=catalog.size,
            split=split,
            mf=ImplicitMF(iterations=ITERATIONS, random_state=seed),
        )
        for seed in range(5)
    ]
    ndcg = np.array([m["mf"]["ndcg@10"] for m in in_process])
    popularity = in_process[0]["popularity"]["ndcg@10"]
    plays = tmp_path / "plays.parquet"
    offers[["listener", "track", "session", "accepted", "thumbs"]].to_parquet(plays, index=False)
    result = train_cf(
        spark, str(plays), str(tmp_path / "cf"), params=AlsParams(iterations=ITERATIONS)
    )
    spark_ndcg = result.metrics["mf"]["ndcg@10"]
    assert ndcg.min() <= spark_ndcg <= ndcg.max(), (spark_ndcg, ndcg)
    assert result.metrics["popularity"]["ndcg@10"] == pytest.approx(popularity, abs=0.02)
    assert result.split == split and result.evaluated_listeners <= LISTENERS

    factors = load_factors(tmp_path / "cf")
    # Factors exist for who and what played through in the fit window.
    assert factors.user_factors.shape[1] == factors.item_factors.shape[1] == 32
    assert factors.user_factors.shape[0] <= result.listeners
    assert 0 < factors.item_factors.shape[0] <= result.tracks
    known = factors.scores(factors.listener_ids[0])
    assert known.known and known.scores.shape == (len(factors.track_ids),)
    cold = factors.scores("nobody")
    assert not cold.known and not cold.scores.any()
