"""Collaborative signal across listeners: implicit-feedback matrix factorisation, blended.

Once many listeners use moodtune, what similar listeners accepted says something about a
track that its audio features do not. ``ImplicitMF`` wraps ``implicit``'s alternating least
squares (Hu, Koren & Volinsky 2008) on a listener x track matrix of positive interactions
(played through, thumbs up). ``blend_scores`` mixes its scores with the content-based scores
of each listener's ``PreferenceLearner`` after standardising both per listener, with a weight
chosen on a validation window. ``temporal_evaluation`` measures MF, content, the blend and
popularity on a simulated population with a temporal split: earlier sessions train, later
sessions test (NDCG@10, recall@10, catalogue coverage of the top-10 lists).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from moodtune.errors import InputError, NotFittedError
from moodtune.evaluation.metrics import ndcg_at_k
from moodtune.evaluation.splits import TemporalSplit, temporal_split
from moodtune.recommend.feedback import (
    FeedbackConfig,
    PreferenceLearner,
    TrackFeatures,
    TrackFeedback,
)

if TYPE_CHECKING:
    from moodtune.evaluation.simulation import SimulatedCatalog, SimulationResult

__all__ = [
    "BLEND_GRID",
    "ImplicitMF",
    "RankingReport",
    "blend_scores",
    "content_scores",
    "evaluate_rankers",
    "interaction_matrix",
    "mf_temporal_metrics",
    "popularity_scores",
    "recall_at_k",
    "temporal_evaluation",
    "temporal_test_metrics",
    "top_k_coverage",
    "window_mask",
]

BLEND_GRID: tuple[float, ...] = tuple(round(w, 2) for w in np.linspace(0.0, 1.0, 11))


class ImplicitMF:
    """Implicit-feedback ALS over a listener x track matrix (``implicit`` library).

    Parameters
    ----------
    factors, regularization, iterations, alpha
        As in ``implicit.als.AlternatingLeastSquares``; ``alpha`` scales confidence.
    threads : int
        Worker threads for fitting (1 or 2 on small machines).
    random_state : int
        Seed of the factor initialisation.
    """

    def __init__(
        self,
        *,
        factors: int = 32,
        regularization: float = 0.05,
        iterations: int = 20,
        alpha: float = 10.0,
        threads: int = 1,
        random_state: int = 0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.alpha = alpha
        self.threads = threads
        self.random_state = random_state

    def fit(self, user_items: sparse.csr_matrix) -> ImplicitMF:
        """Fit on ``user_items`` (shape (n_listeners, n_tracks), non-negative confidences)."""
        from implicit.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        matrix = sparse.csr_matrix(user_items, dtype=np.float32)
        if matrix.nnz and matrix.data.min() < 0:
            raise InputError("interaction confidences must be non-negative", field="user_items")
        # implicit warns (and slows down) when BLAS itself is multi-threaded.
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                iterations=self.iterations,
                alpha=self.alpha,
                num_threads=self.threads,
                random_state=self.random_state,
                calculate_training_loss=False,
            )
            model.fit(matrix, show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors)
        self.item_factors_ = np.asarray(model.item_factors)
        return self

    def scores(self, users: Sequence[int] | None = None) -> np.ndarray:
        """Preference scores; shape (n_users, n_tracks). Rows follow ``users`` (default: all)."""
        if not hasattr(self, "user_factors_"):
            raise NotFittedError("ImplicitMF is not fitted yet; call fit() first")
        factors = self.user_factors_ if users is None else self.user_factors_[list(users)]
        return np.asarray(factors @ self.item_factors_.T, dtype=float)


def interaction_matrix(
    offers: pd.DataFrame,
    *,
    n_listeners: int,
    n_items: int,
    sessions: tuple[int, int],
    thumbs_bonus: float = 1.0,
) -> sparse.csr_matrix:
    """Positive interactions in sessions ``[first, last]`` as a listener x track matrix.

    ``offers`` has columns listener, track (row index), session, accepted, thumbs. A track
    played through counts 1, a thumbs-up adds ``thumbs_bonus``; skips count nothing.
    """
    first, last = sessions
    window = offers[(offers["session"] >= first) & (offers["session"] <= last)]
    thumbs = pd.to_numeric(window["thumbs"], errors="coerce").fillna(0).to_numpy()
    value = window["accepted"].to_numpy(dtype=float) + thumbs_bonus * (thumbs > 0)
    keep = value > 0
    matrix = sparse.coo_matrix(
        (value[keep], (window["listener"].to_numpy()[keep], window["track"].to_numpy()[keep])),
        shape=(n_listeners, n_items),
    )
    return matrix.tocsr()  # duplicates are summed


def popularity_scores(user_items: sparse.csr_matrix) -> np.ndarray:
    """How many listeners interacted positively with each track; shape (n_tracks,)."""
    return np.asarray((user_items > 0).sum(axis=0), dtype=float).ravel()


def content_scores(learners: Sequence[PreferenceLearner], features: TrackFeatures) -> np.ndarray:
    """Posterior-mean preference of each listener for every track; shape (n_users, n_tracks)."""
    weights = np.stack([learner.mean_ for learner in learners])
    return np.asarray(weights @ features.matrix.T)


def _standardise_rows(scores: np.ndarray) -> np.ndarray:
    mean = scores.mean(axis=1, keepdims=True)
    sd = scores.std(axis=1, keepdims=True)
    return (scores - mean) / np.where(sd > 1e-12, sd, 1.0)


def blend_scores(mf: np.ndarray, content: np.ndarray, *, weight: float) -> np.ndarray:
    """``weight * z(mf) + (1 - weight) * z(content)``, each standardised per listener."""
    if not 0.0 <= weight <= 1.0:
        raise InputError("blend weight must be in [0, 1]", field="weight", value=weight)
    if mf.shape != content.shape:
        raise InputError(
            f"score shapes differ: mf {mf.shape} vs content {content.shape}", field="content"
        )
    return weight * _standardise_rows(mf) + (1.0 - weight) * _standardise_rows(content)


def recall_at_k(
    relevant: np.ndarray, scores: np.ndarray, *, k: int = 10, candidates: np.ndarray | None = None
) -> float:
    """Mean over listeners of (relevant items in the top-``k``) / min(k, relevant items).

    Same conventions as ``moodtune.evaluation.metrics.ndcg_at_k``: higher scores first, ties
    to the lower index, listeners without a relevant candidate left out.
    """
    rel = np.asarray(relevant, dtype=bool)
    cand = np.ones_like(rel) if candidates is None else np.asarray(candidates, dtype=bool)
    rel = rel & cand
    users = rel.any(axis=1)
    if not users.any():
        raise InputError("no listener has a relevant candidate item", field="relevant")
    masked = np.where(cand, scores, -np.inf)[users]
    order = np.argsort(-masked, axis=1, kind="stable")[:, :k]
    hits = np.take_along_axis(rel[users], order, axis=1).sum(axis=1)
    return float(np.mean(hits / np.minimum(rel[users].sum(axis=1), k)))


def top_k_coverage(scores: np.ndarray, *, k: int = 10, candidates: np.ndarray | None) -> float:
    """Share of all tracks that appear in at least one listener's top-``k`` list."""
    masked = scores if candidates is None else np.where(candidates, scores, -np.inf)
    order = np.argsort(-masked, axis=1, kind="stable")[:, :k]
    return float(len(np.unique(order)) / scores.shape[1])


@dataclass
class RankingReport:
    """NDCG@k, recall@k and coverage per ranker, with the blend weight that was chosen."""

    metrics: dict[str, dict[str, float]]
    blend_weight: float | None = None
    validation: dict[float, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def evaluate_rankers(
    scores: dict[str, np.ndarray],
    relevant: np.ndarray,
    *,
    candidates: np.ndarray | None = None,
    k: int = 10,
) -> dict[str, dict[str, float]]:
    """NDCG@k, recall@k and top-k coverage for each named score matrix (n_users, n_items)."""
    out: dict[str, dict[str, float]] = {}
    for name, matrix in scores.items():
        out[name] = {
            f"ndcg@{k}": ndcg_at_k(relevant, matrix, k=k, candidates=candidates),
            f"recall@{k}": recall_at_k(relevant, matrix, k=k, candidates=candidates),
            "coverage": top_k_coverage(matrix, k=k, candidates=candidates),
        }
    return out


def window_mask(
    offers: pd.DataFrame, shape: tuple[int, int], sessions: tuple[int, int], *, accepted: bool
) -> np.ndarray:
    first, last = sessions
    window = offers[(offers["session"] >= first) & (offers["session"] <= last)]
    if accepted:
        window = window[window["accepted"].astype(bool)]
    mask = np.zeros(shape, dtype=bool)
    mask[window["listener"].to_numpy(), window["track"].to_numpy()] = True
    return mask


def temporal_test_metrics(
    offers: pd.DataFrame,
    scores: dict[str, np.ndarray],
    *,
    split: TemporalSplit,
    k: int = 10,
) -> dict[str, dict[str, float]]:
    """NDCG@k, recall@k and coverage on the test window of ``split``, as the temporal
    evaluation computes them: relevant = played through in the test window; candidates =
    tracks not offered to the listener in the fit window. ``scores`` are (n_listeners,
    n_tracks), rows and columns indexed like ``offers``' listener and track."""
    shape = next(iter(scores.values())).shape
    relevant = window_mask(offers, shape, split.test, accepted=True)
    candidates = ~window_mask(offers, shape, split.fit, accepted=False)
    return evaluate_rankers(scores, relevant, candidates=candidates, k=k)


def mf_temporal_metrics(
    offers: pd.DataFrame,
    *,
    n_listeners: int,
    n_items: int,
    split: TemporalSplit,
    mf: ImplicitMF,
    k: int = 10,
) -> dict[str, dict[str, float]]:
    """The in-process ``implicit`` model and popularity, fitted on the fit window of
    ``split`` and measured on its test window (:func:`temporal_test_metrics`)."""
    user_items = interaction_matrix(
        offers, n_listeners=n_listeners, n_items=n_items, sessions=split.fit
    )
    shape = (n_listeners, n_items)
    scores = {
        "mf": mf.fit(user_items).scores(),
        "popularity": np.array(np.broadcast_to(popularity_scores(user_items), shape)),
    }
    return temporal_test_metrics(offers, scores, split=split, k=k)


def _learners(
    offers: pd.DataFrame,
    features: TrackFeatures,
    n_listeners: int,
    sessions: tuple[int, int],
    config: FeedbackConfig,
) -> list[PreferenceLearner]:
    first, last = sessions
    window = offers[(offers["session"] >= first) & (offers["session"] <= last)]
    learners = [PreferenceLearner(features.names, config=config) for _ in range(n_listeners)]
    for listener, rows in window.groupby("listener"):
        skipped = pd.to_numeric(rows["skipped_after_s"], errors="coerce").to_numpy(dtype=float)
        thumbs = pd.to_numeric(rows["thumbs"], errors="coerce").to_numpy(dtype=float)
        feedback = [
            TrackFeedback(
                track_id=features.track_ids[track],
                played=True,
                skipped_after_s=None if np.isnan(skip) else float(skip),
                thumbs=None if np.isnan(thumb) else int(thumb),
                helped=bool(helped),
            )
            for track, skip, thumb, helped in zip(
                rows["track"].to_numpy(dtype=int),
                skipped,
                thumbs,
                rows["helped"].to_numpy(dtype=bool),
                strict=True,
            )
        ]
        learners[int(str(listener))].observe(feedback, features)
    return learners


def _fit_and_score(
    offers: pd.DataFrame,
    catalog: SimulatedCatalog,
    n_listeners: int,
    train: tuple[int, int],
    mf: ImplicitMF,
    config: FeedbackConfig,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    shape = (n_listeners, catalog.size)
    user_items = interaction_matrix(
        offers, n_listeners=n_listeners, n_items=catalog.size, sessions=train
    )
    mf_scores = mf.fit(user_items).scores()
    content = content_scores(
        _learners(offers, catalog.features, n_listeners, train, config), catalog.features
    )
    popularity = np.broadcast_to(popularity_scores(user_items), shape)
    seen = window_mask(offers, shape, train, accepted=False)
    return {"mf": mf_scores, "content": content, "popularity": popularity}, ~seen


def temporal_evaluation(
    result: SimulationResult,
    catalog: SimulatedCatalog,
    *,
    arm: str = "no_learning",
    validation_sessions: int | None = None,
    test_sessions: int | None = None,
    k: int = 10,
    mf: ImplicitMF | None = None,
) -> dict[int, RankingReport]:
    """MF vs content vs blend vs popularity on each seed's population, split by time.

    Sessions ``1..T-v-t`` train, the next ``v`` validate (the blend weight is chosen there on
    NDCG@k, with models fitted on the training window), the last ``t`` test (models refitted
    on train + validation). Relevant: tracks a listener played through in the test window that
    they were not offered before; candidates: every catalogue track not offered to them
    before. The log of ``arm`` is used; the default, the no-learning arm, chooses tracks by
    mood alone, so none of the compared rankers decided what the listeners were exposed to.
    """
    config = result.config
    split = temporal_split(
        config.n_sessions, validation_sessions=validation_sessions, test_sessions=test_sessions
    )
    train, validation, test = split.train, split.validation, split.test
    mf = mf or ImplicitMF()
    reports: dict[int, RankingReport] = {}
    n = config.n_listeners
    shape = (n, catalog.size)
    for seed, offers in result.offers[result.offers["arm"] == arm].groupby("seed"):
        scores, candidates = _fit_and_score(offers, catalog, n, train, mf, config.learner)
        relevant = window_mask(offers, shape, validation, accepted=True)
        curve = {
            w: ndcg_at_k(
                relevant,
                blend_scores(scores["mf"], scores["content"], weight=w),
                k=k,
                candidates=candidates,
            )
            for w in BLEND_GRID
        }
        weight = max(curve, key=lambda w: (curve[w], -abs(w - 0.5)))
        scores, candidates = _fit_and_score(
            offers, catalog, n, (1, validation[1]), mf, config.learner
        )
        scores["blend"] = blend_scores(scores["mf"], scores["content"], weight=weight)
        relevant = window_mask(offers, shape, test, accepted=True)
        reports[int(str(seed))] = RankingReport(
            metrics=evaluate_rankers(scores, relevant, candidates=candidates, k=k),
            blend_weight=weight,
            validation=curve,
            details={
                "train_sessions": train,
                "validation_sessions": validation,
                "test_sessions": test,
                "listeners_with_test_items": int((relevant & candidates).any(axis=1).sum()),
            },
        )
    return reports
