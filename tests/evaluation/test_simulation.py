"""Simulated listeners: a small seeded run shows learning beats no learning without collapse."""

from __future__ import annotations

import numpy as np
import pytest

from moodtune.errors import InputError
from moodtune.evaluation.simulation import (
    SIMULATED_GOALS,
    SimulationConfig,
    gini,
    intra_list_diversity,
    make_listeners,
    prepare_catalog,
    run_simulation,
    synthetic_catalog,
)
from moodtune.mood.goals import get_goal
from moodtune.mood.space import MoodPoint
from moodtune.recommend.collaborative import temporal_evaluation
from moodtune.recommend.journey import build_journey, plan_journey


@pytest.fixture(scope="module")
def small_run():
    catalog = prepare_catalog(synthetic_catalog(1500, random_state=3))
    config = SimulationConfig(n_listeners=40, n_sessions=12, seeds=(0, 1))
    return catalog, run_simulation(catalog, config)


def test_learning_beats_no_learning_after_a_few_sessions(small_run):
    _, result = small_run
    comparison = result.comparison(from_session=5)
    acceptance = comparison["learning"]["acceptance"]
    assert acceptance["difference"] - acceptance["ci95"] > 0
    assert acceptance["seeds_better"] == acceptance["seeds"]
    assert acceptance["sessions_better"] >= acceptance["sessions"] - 1
    assert comparison["learning"]["gain"]["difference"] > 0
    # First session: the learner knows nothing yet, so every arm gets the same journeys.
    per = result.per_session().set_index(["arm", "session"])
    for arm in ("learning", "learning_greedy"):
        assert per.loc[(arm, 1), "acceptance"] == per.loc[("no_learning", 1), "acceptance"]
        assert per.loc[(arm, 1), "gain"] == per.loc[("no_learning", 1), "gain"]
    assert not result.sessions["infeasible"].any()


def test_arms_run_the_product_journey_builder_with_the_real_goals(small_run):
    catalog, result = small_run
    sessions = result.sessions
    assert set(sessions["goal"]) <= set(SIMULATED_GOALS)
    # The no-learning arm is exactly the product's unpersonalised journey for that check-in.
    first = sessions[(sessions["arm"] == "no_learning") & (sessions["seed"] == 0)].iloc[0]
    listener = make_listeners(catalog, result.config, seed=0)[int(first["listener"])]
    context = np.random.default_rng([0, int(first["listener"]), int(first["session"]), 1])
    goal = str(context.choice(listener.goals))
    before = np.clip(listener.home_mood + context.normal(0.0, 0.2, 2), -1.0, 1.0)
    start = MoodPoint(float(before[0]), float(before[1]))
    spec = get_goal(goal)
    journey = build_journey(
        catalog.index,
        plan_journey(start, spec.target_for(start), steps=result.config.n_tracks),
        goal=spec,
    )
    offers = result.offers
    offered = offers[
        (offers["arm"] == "no_learning")
        & (offers["seed"] == 0)
        & (offers["listener"] == first["listener"])
        & (offers["session"] == first["session"])
    ].sort_values("position")
    assert catalog.index.rows_for(journey.tracks["track_id"].tolist()) == offered["track"].tolist()
    # Later sessions of the learning arms are personalised; the baseline never is.
    late = sessions[sessions["session"] > 1]
    assert late.loc[late["arm"] != "no_learning", "personalised"].all()
    assert not sessions.loc[sessions["arm"] == "no_learning", "personalised"].any()


def test_learning_does_not_collapse_onto_few_tracks(small_run):
    _, result = small_run
    coverage = result.coverage().set_index("arm")
    assert coverage.loc["learning", "coverage"] >= 0.8 * coverage.loc["no_learning", "coverage"]
    assert coverage.loc["learning", "listener_unique_share"] > 0.5
    assert (
        coverage.loc["learning", "intra_list_diversity"]
        > 0.5 * coverage.loc["no_learning", "intra_list_diversity"]
    )


def test_arms_share_listeners_and_contexts(small_run):
    _, result = small_run
    s = result.sessions
    goals = s.pivot_table(
        index=["seed", "listener", "session"], columns="arm", values="goal", aggfunc="first"
    )
    assert (goals["learning"] == goals["no_learning"]).all()


def test_temporal_mf_evaluation_runs_on_the_population(small_run):
    catalog, result = small_run
    reports = temporal_evaluation(result, catalog)
    assert set(reports) == {0, 1}
    for report in reports.values():
        assert set(report.metrics) == {"mf", "content", "popularity", "blend"}
        assert report.blend_weight is not None
        assert 0.0 <= report.blend_weight <= 1.0
        assert report.details["train_sessions"][1] < report.details["test_sessions"][0]


def test_helpers_known_answers():
    assert gini(np.array([5, 5, 5, 5])) == pytest.approx(0.0)
    assert gini(np.array([0, 0, 0, 10])) == pytest.approx(0.75)
    assert intra_list_diversity(np.array([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)


def test_bad_config_and_catalog_are_rejected():
    with pytest.raises(InputError, match="n_listeners"):
        SimulationConfig(n_listeners=0)
    with pytest.raises(InputError, match="arm"):
        SimulationConfig(arms=("magic",))
    with pytest.raises(InputError, match="at least 2 tracks"):
        SimulationConfig(n_tracks=1)
    with pytest.raises(InputError, match="mood"):
        prepare_catalog(synthetic_catalog(100, random_state=0).drop(columns="mood_valence"))
