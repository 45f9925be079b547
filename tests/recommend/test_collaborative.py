"""Matrix factorisation on a planted two-community matrix beats popularity."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from moodtune.errors import InputError, NotFittedError
from moodtune.recommend.collaborative import (
    ImplicitMF,
    blend_scores,
    evaluate_rankers,
    popularity_scores,
    recall_at_k,
)


def _two_communities(rng: np.random.Generator):
    """60 listeners, 100 tracks: community A likes tracks 0-39, B likes 40-99 (more popular
    overall, so popularity recommends B's tracks to everyone)."""
    n_users, n_items = 60, 100
    liked = np.zeros((n_users, n_items), dtype=bool)
    liked[:20, :40] = True
    liked[20:, 40:] = True
    observed = liked & (rng.random(liked.shape) < 0.5)
    train = observed & (rng.random(liked.shape) < 0.7)
    test = observed & ~train
    return sparse.csr_matrix(train.astype(float)), test, train


def test_mf_beats_popularity_on_planted_communities(rng):
    user_items, test, train = _two_communities(rng)
    mf = ImplicitMF(factors=8, iterations=15, regularization=0.1, random_state=0).fit(user_items)
    popularity = np.broadcast_to(popularity_scores(user_items), test.shape)
    metrics = evaluate_rankers(
        {"mf": mf.scores(), "popularity": popularity}, test, candidates=~train, k=10
    )
    assert metrics["mf"]["ndcg@10"] > 1.3 * metrics["popularity"]["ndcg@10"]
    assert metrics["mf"]["recall@10"] > 1.3 * metrics["popularity"]["recall@10"]
    assert metrics["mf"]["coverage"] > metrics["popularity"]["coverage"]
    # The smaller community is where popularity fails completely and MF does not.
    minority = {
        name: evaluate_rankers({name: scores[:20]}, test[:20], candidates=~train[:20], k=10)[name][
            "ndcg@10"
        ]
        for name, scores in (("mf", mf.scores()), ("popularity", popularity))
    }
    assert minority["popularity"] == 0.0
    assert minority["mf"] > 0.1


def test_mf_must_be_fitted_and_blend_validates():
    with pytest.raises(NotFittedError):
        ImplicitMF().scores()
    a = np.arange(6.0).reshape(2, 3)
    with pytest.raises(InputError, match="weight"):
        blend_scores(a, a, weight=1.5)
    np.testing.assert_allclose(blend_scores(a, -a, weight=0.5), 0.0)


def test_recall_at_k_known_answer():
    relevant = np.array([[True, False, True, False], [False, False, False, True]])
    scores = np.array([[4.0, 3.0, 2.0, 1.0], [1.0, 2.0, 3.0, 4.0]])
    assert recall_at_k(relevant, scores, k=1) == pytest.approx((1 / 1 + 1 / 1) / 2)
    assert recall_at_k(relevant, scores, k=2) == pytest.approx((1 / 2 + 1) / 2)
