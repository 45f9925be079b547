"""Evaluation metrics as pure functions over arrays.

Classification metrics (for the effect model) wrap scikit-learn where it has them and add what it
lacks (multiclass Brier score, reliability bins with counts). Ranking metrics (for the genre
recommenders) score a matrix of recommendation scores against a matrix of relevant items.

Every function validates shapes and labels and raises ``InputError`` naming the bad argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from moodtune.errors import InputError

__all__ = [
    "balanced_accuracy",
    "calibration_bins",
    "classification_summary",
    "expected_calibration_error",
    "hit_rate_at_k",
    "log_loss",
    "macro_f1",
    "multiclass_brier",
    "ndcg_at_k",
    "one_hot",
    "per_class_recall",
    "spread",
]


# --- classification -------------------------------------------------------------------------


def _labels_array(y: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(y, dtype=object)
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional, got shape {arr.shape}", field=name)
    if arr.size == 0:
        raise InputError(f"{name} is empty", field=name)
    return arr


def _check_known(y: np.ndarray, labels: Sequence[Any], name: str) -> None:
    known = set(labels)
    unknown = sorted({str(v) for v in y if v not in known})
    if unknown:
        raise InputError(
            f"{name} holds label(s) not in labels: {unknown}",
            field=name,
            value=unknown[0],
            allowed=", ".join(map(str, labels)),
        )


def one_hot(y_true: ArrayLike, *, labels: Sequence[Any]) -> np.ndarray:
    """Indicator matrix of ``y_true`` over ``labels``; shape (n_samples, n_labels), float."""
    y = _labels_array(y_true, "y_true")
    _check_known(y, labels, "y_true")
    index = {lab: i for i, lab in enumerate(labels)}
    out = np.zeros((y.size, len(labels)), dtype=float)
    out[np.arange(y.size), [index[v] for v in y]] = 1.0
    return out


def _proba_array(proba: ArrayLike, n_rows: int, labels: Sequence[Any]) -> np.ndarray:
    p = np.asarray(proba, dtype=float)
    if p.shape != (n_rows, len(labels)):
        raise InputError(
            f"proba must have shape (n_samples, n_labels) = ({n_rows}, {len(labels)}), "
            f"got {p.shape}",
            field="proba",
        )
    if not np.all(np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
        raise InputError("proba must hold finite probabilities in [0, 1]", field="proba")
    if not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
        raise InputError("each row of proba must sum to 1", field="proba")
    return p


def _pair(y_true: ArrayLike, y_pred: ArrayLike, labels: Sequence[Any]) -> tuple[np.ndarray, ...]:
    yt = _labels_array(y_true, "y_true")
    yp = _labels_array(y_pred, "y_pred")
    if yt.shape != yp.shape:
        raise InputError(
            f"y_true and y_pred differ in length ({yt.size} vs {yp.size})", field="y_pred"
        )
    _check_known(yt, labels, "y_true")
    _check_known(yp, labels, "y_pred")
    return yt, yp


def macro_f1(y_true: ArrayLike, y_pred: ArrayLike, *, labels: Sequence[Any]) -> float:
    """Unweighted mean of per-class F1 over ``labels`` (a class never predicted scores 0)."""
    from sklearn.metrics import f1_score

    yt, yp = _pair(y_true, y_pred, labels)
    return float(f1_score(yt, yp, labels=list(labels), average="macro", zero_division=0.0))


def per_class_recall(
    y_true: ArrayLike, y_pred: ArrayLike, *, labels: Sequence[Any]
) -> dict[str, float]:
    """Recall of each label (NaN for a label absent from ``y_true``)."""
    yt, yp = _pair(y_true, y_pred, labels)
    out: dict[str, float] = {}
    for lab in labels:
        mask = yt == lab
        out[str(lab)] = float(np.mean(yp[mask] == lab)) if mask.any() else float("nan")
    return out


def balanced_accuracy(y_true: ArrayLike, y_pred: ArrayLike, *, labels: Sequence[Any]) -> float:
    """Mean recall over the labels present in ``y_true`` (chance level is 1 / n_present)."""
    recalls = [r for r in per_class_recall(y_true, y_pred, labels=labels).values() if r == r]
    return float(np.mean(recalls))


def log_loss(
    y_true: ArrayLike, proba: ArrayLike, *, labels: Sequence[Any], eps: float = 1e-15
) -> float:
    """Mean negative log-likelihood (natural log) of the true label; ``proba`` columns follow
    ``labels``. Probabilities are clipped to ``[eps, 1 - eps]`` so a confident miss is finite."""
    truth = one_hot(y_true, labels=labels)
    p = _proba_array(proba, truth.shape[0], labels)
    picked = np.clip(np.sum(p * truth, axis=1), eps, 1.0 - eps)
    return float(-np.mean(np.log(picked)))


def multiclass_brier(y_true: ArrayLike, proba: ArrayLike, *, labels: Sequence[Any]) -> float:
    """Mean over rows of the squared distance between ``proba`` and the one-hot truth.

    Range 0 (perfect) to 2 (certain and wrong). Predicting the class frequencies scores
    ``1 - sum(freq**2)``.
    """
    truth = one_hot(y_true, labels=labels)
    p = _proba_array(proba, truth.shape[0], labels)
    return float(np.mean(np.sum((p - truth) ** 2, axis=1)))


def calibration_bins(
    y_true: ArrayLike, proba: ArrayLike, *, labels: Sequence[Any], n_bins: int = 10
) -> list[dict[str, float]]:
    """Reliability-diagram data, one-vs-rest pooled over classes.

    Every (row, class) pair is a forecast "this row is that class with probability p". Pairs are
    put in ``n_bins`` equal-width bins of p; each bin reports its edges, the number of forecasts,
    their mean predicted probability and how often the event happened. Empty bins are kept
    (count 0, NaN means) so bins line up across folds.
    """
    if n_bins < 1:
        raise InputError("n_bins must be at least 1", field="n_bins", value=n_bins)
    truth = one_hot(y_true, labels=labels)
    p = _proba_array(proba, truth.shape[0], labels).ravel()
    events = truth.ravel()
    edges = np.round(np.linspace(0.0, 1.0, n_bins + 1), 12)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, n_bins - 1)
    out: list[dict[str, float]] = []
    for b in range(n_bins):
        mask = which == b
        count = int(mask.sum())
        out.append(
            {
                "lower": float(edges[b]),
                "upper": float(edges[b + 1]),
                "count": count,
                "mean_predicted": float(p[mask].mean()) if count else float("nan"),
                "observed": float(events[mask].mean()) if count else float("nan"),
            }
        )
    return out


def expected_calibration_error(bins: Sequence[dict[str, float]]) -> float:
    """Count-weighted mean |observed - predicted| over ``calibration_bins`` output."""
    total = sum(b["count"] for b in bins)
    if total == 0:
        raise InputError("calibration bins hold no forecasts", field="bins")
    return float(
        sum(b["count"] * abs(b["observed"] - b["mean_predicted"]) for b in bins if b["count"])
        / total
    )


def classification_summary(
    y_true: ArrayLike,
    proba: ArrayLike,
    *,
    labels: Sequence[Any],
    y_pred: ArrayLike | None = None,
    n_bins: int = 10,
) -> dict[str, Any]:
    """All classification metrics for one set of predictions.

    ``y_pred`` are the decided labels (default: the most probable label per row); the
    probability metrics use ``proba`` (columns in ``labels`` order).
    """
    p = np.asarray(proba, dtype=float)
    if y_pred is None:
        y_pred = np.asarray(labels, dtype=object)[np.argmax(p, axis=1)]
    y_pred = np.asarray(y_pred, dtype=object)
    bins = calibration_bins(y_true, p, labels=labels, n_bins=n_bins)
    return {
        "macro_f1": macro_f1(y_true, y_pred, labels=labels),
        "balanced_accuracy": balanced_accuracy(y_true, y_pred, labels=labels),
        "accuracy": float(np.mean(np.asarray(y_true, dtype=object) == y_pred)),
        "per_class_recall": per_class_recall(y_true, y_pred, labels=labels),
        "log_loss": log_loss(y_true, p, labels=labels),
        "brier": multiclass_brier(y_true, p, labels=labels),
        "ece": expected_calibration_error(bins),
        "calibration": bins,
    }


# --- ranking --------------------------------------------------------------------------------


def _ranking_inputs(
    relevant: ArrayLike, scores: ArrayLike, k: int, candidates: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rel = np.asarray(relevant)
    sc = np.asarray(scores, dtype=float)
    if rel.ndim != 2:
        raise InputError(
            f"relevant must be 2-D (n_users, n_items), got shape {rel.shape}", field="relevant"
        )
    if sc.shape != rel.shape:
        raise InputError(
            f"scores must have the shape of relevant {rel.shape}, got {sc.shape}", field="scores"
        )
    if not np.isin(rel, (0, 1)).all():
        raise InputError("relevant must be boolean (or 0/1)", field="relevant")
    if np.isnan(sc).any():
        raise InputError("scores must not contain NaN", field="scores")
    if not isinstance(k, int | np.integer) or k < 1:
        raise InputError("k must be a positive integer", field="k", value=k)
    if candidates is None:
        cand = np.ones(rel.shape, dtype=bool)
    else:
        cand = np.asarray(candidates)
        if cand.shape != rel.shape or not np.isin(cand, (0, 1)).all():
            raise InputError(
                f"candidates must be a boolean mask of shape {rel.shape}", field="candidates"
            )
        cand = cand.astype(bool)
    rel_b = rel.astype(bool) & cand
    users = rel_b.any(axis=1)
    if not users.any():
        raise InputError(
            "no user has a relevant candidate item; the metric is undefined", field="relevant"
        )
    masked = np.where(cand, sc, -np.inf)
    # Stable sort on the negated scores: ties go to the lower item index, deterministically.
    order = np.argsort(-masked, axis=1, kind="stable")[:, :k]
    top_ok = np.take_along_axis(cand, order, axis=1)
    hits = np.take_along_axis(rel_b, order, axis=1) & top_ok
    return hits[users], rel_b[users], top_ok[users]


def hit_rate_at_k(
    relevant: ArrayLike, scores: ArrayLike, *, k: int = 3, candidates: ArrayLike | None = None
) -> float:
    """Share of users with at least one relevant item among their top-``k`` scored items.

    Parameters
    ----------
    relevant : array, shape (n_users, n_items), bool
        Items each user really likes (the held-out truth).
    scores : array, shape (n_users, n_items), float
        Recommendation scores; higher ranks first. Ties go to the lower item index.
    k : int
        Length of the recommendation list.
    candidates : array, shape (n_users, n_items), bool, optional
        Items that may be recommended (e.g. the hidden ones); others are never ranked and
        relevant items outside it do not count. Default: all items.

    Users without a relevant candidate item are left out of the mean.
    """
    hits, _, _ = _ranking_inputs(relevant, scores, k, candidates)
    return float(np.mean(hits.any(axis=1)))


def ndcg_at_k(
    relevant: ArrayLike, scores: ArrayLike, *, k: int = 3, candidates: ArrayLike | None = None
) -> float:
    """Mean normalised discounted cumulative gain at ``k`` with binary relevance.

    ``DCG = sum_i rel_i / log2(i + 2)`` over the top-``k`` positions ``i = 0..k-1``, divided by
    the DCG of the ideal list (all of the user's relevant candidates first). Arguments as for
    ``hit_rate_at_k``; users without a relevant candidate item are left out of the mean.
    """
    hits, rel_b, _ = _ranking_inputs(relevant, scores, k, candidates)
    discounts = 1.0 / np.log2(np.arange(k) + 2.0)
    dcg = (hits * discounts[: hits.shape[1]]).sum(axis=1)
    n_rel = np.minimum(rel_b.sum(axis=1), k)
    ideal = np.cumsum(discounts)[n_rel - 1]
    return float(np.mean(dcg / ideal))


def spread(values: Sequence[float], *, values_key: str | None = None) -> dict[str, Any]:
    """Mean, sample std, min and max of a figure over repeats (and the values, if keyed)."""
    arr = np.asarray(values, dtype=float)
    summary: dict[str, Any] = {
        "mean": float(arr.mean()),
        "std": float(arr.std(ddof=1)) if arr.size > 1 else 0.0,
        "min": float(arr.min()),
        "max": float(arr.max()),
    }
    if values_key is not None:
        summary[values_key] = [float(v) for v in arr]
    return summary
