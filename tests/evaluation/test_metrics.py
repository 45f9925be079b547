"""Metric functions against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from moodtune.errors import InputError
from moodtune.evaluation.metrics import (
    balanced_accuracy,
    calibration_bins,
    classification_summary,
    expected_calibration_error,
    hit_rate_at_k,
    log_loss,
    macro_f1,
    multiclass_brier,
    ndcg_at_k,
    one_hot,
    per_class_recall,
)

LABELS = ("a", "b", "c")


def test_macro_f1_by_hand() -> None:
    y_true = ["a", "a", "b", "c"]
    y_pred = ["a", "b", "b", "b"]
    # a: P=1, R=1/2 -> F1=2/3; b: P=1/3, R=1 -> F1=1/2; c: never predicted -> 0.
    assert macro_f1(y_true, y_pred, labels=LABELS) == pytest.approx((2 / 3 + 1 / 2 + 0) / 3)


def test_recall_and_balanced_accuracy_by_hand() -> None:
    y_true = ["a", "a", "a", "b", "c", "c"]
    y_pred = ["a", "a", "b", "b", "a", "c"]
    recall = per_class_recall(y_true, y_pred, labels=LABELS)
    assert recall == pytest.approx({"a": 2 / 3, "b": 1.0, "c": 0.5})
    assert balanced_accuracy(y_true, y_pred, labels=LABELS) == pytest.approx((2 / 3 + 1 + 0.5) / 3)


def test_recall_of_absent_class_is_nan_and_left_out_of_balanced_accuracy() -> None:
    recall = per_class_recall(["a", "b"], ["a", "a"], labels=LABELS)
    assert math.isnan(recall["c"])
    assert balanced_accuracy(["a", "b"], ["a", "a"], labels=LABELS) == pytest.approx(0.5)


def test_log_loss_and_brier_by_hand() -> None:
    y_true = ["a", "c"]
    proba = [[0.5, 0.25, 0.25], [0.2, 0.0, 0.8]]
    assert log_loss(y_true, proba, labels=LABELS) == pytest.approx(
        -(math.log(0.5) + math.log(0.8)) / 2
    )
    # Row 1: 0.25 + 0.0625 + 0.0625; row 2: 0.04 + 0 + 0.04.
    assert multiclass_brier(y_true, proba, labels=LABELS) == pytest.approx((0.375 + 0.08) / 2)


def test_brier_of_class_frequencies_is_one_minus_sum_of_squares() -> None:
    y_true = ["a"] * 6 + ["b"] * 3 + ["c"]
    freq = np.array([0.6, 0.3, 0.1])
    proba = np.tile(freq, (10, 1))
    assert multiclass_brier(y_true, proba, labels=LABELS) == pytest.approx(1 - np.sum(freq**2))


def test_log_loss_of_confident_miss_is_finite() -> None:
    value = log_loss(["a"], [[0.0, 1.0, 0.0]], labels=LABELS)
    assert math.isfinite(value)
    assert value > 30


def test_calibration_bins_by_hand() -> None:
    y_true = ["a", "b"]
    proba = [[0.9, 0.1, 0.0], [0.9, 0.1, 0.0]]
    bins = calibration_bins(y_true, proba, labels=LABELS, n_bins=2)
    # Forecasts below 0.5: (b,0.1,0) (c,0,0) (b,0.1,1) (c,0,0); at/above 0.5: (a,0.9,1),(a,0.9,0).
    assert [b["count"] for b in bins] == [4, 2]
    assert bins[0]["mean_predicted"] == pytest.approx(0.05)
    assert bins[0]["observed"] == pytest.approx(0.25)
    assert bins[1]["mean_predicted"] == pytest.approx(0.9)
    assert bins[1]["observed"] == pytest.approx(0.5)
    assert expected_calibration_error(bins) == pytest.approx((4 * 0.2 + 2 * 0.4) / 6)


def test_calibration_keeps_empty_bins_and_puts_one_in_last_bin() -> None:
    bins = calibration_bins(["a"], [[1.0, 0.0, 0.0]], labels=LABELS, n_bins=4)
    assert [b["count"] for b in bins] == [2, 0, 0, 1]
    assert math.isnan(bins[1]["observed"])


def test_classification_summary_predicts_argmax() -> None:
    summary = classification_summary(["a", "b", "c"], np.eye(3)[[0, 1, 1]], labels=LABELS, n_bins=5)
    assert summary["accuracy"] == pytest.approx(2 / 3)
    assert summary["per_class_recall"]["c"] == 0.0
    assert len(summary["calibration"]) == 5


def test_one_hot_and_bad_inputs_name_the_problem() -> None:
    assert one_hot(["b", "a"], labels=LABELS).tolist() == [[0, 1, 0], [1, 0, 0]]
    with pytest.raises(InputError, match="not in labels"):
        macro_f1(["a", "z"], ["a", "a"], labels=LABELS)
    with pytest.raises(InputError, match="differ in length"):
        macro_f1(["a"], ["a", "b"], labels=LABELS)
    with pytest.raises(InputError, match="shape"):
        log_loss(["a"], [[0.5, 0.5]], labels=LABELS)
    with pytest.raises(InputError, match="sum to 1"):
        multiclass_brier(["a"], [[0.5, 0.4, 0.0]], labels=LABELS)


# --- ranking --------------------------------------------------------------------------------


def test_hit_rate_and_ndcg_by_hand() -> None:
    relevant = np.array([[1, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]], dtype=bool)
    scores = np.array(
        [
            [0.1, 0.9, 0.8, 0.7],  # top-3: 1, 2, 3 -> relevant item 3 at position 2
            [0.9, 0.8, 0.7, 0.1],  # top-3: 0, 1, 2 -> relevant item 2 at position 2
            [0.9, 0.1, 0.8, 0.7],  # top-3: 0, 2, 3 -> miss
        ]
    )
    assert hit_rate_at_k(relevant, scores, k=3) == pytest.approx(2 / 3)
    d = 1 / np.log2(np.arange(3) + 2)
    user0 = d[2] / (d[0] + d[1])
    user1 = d[2] / d[0]
    assert ndcg_at_k(relevant, scores, k=3) == pytest.approx((user0 + user1 + 0) / 3)
    assert hit_rate_at_k(relevant, scores, k=1) == 0.0


def test_perfect_ranking_scores_one() -> None:
    relevant = np.array([[1, 1, 0, 0], [0, 0, 0, 1]], dtype=bool)
    scores = relevant.astype(float)
    assert ndcg_at_k(relevant, scores, k=3) == pytest.approx(1.0)
    assert hit_rate_at_k(relevant, scores, k=1) == pytest.approx(1.0)


def test_candidates_restrict_ranking_and_users_without_relevant_are_skipped() -> None:
    relevant = np.array([[1, 0, 1], [0, 0, 0]], dtype=bool)
    scores = np.array([[0.9, 0.5, 0.1], [0.3, 0.2, 0.1]])
    candidates = np.array([[0, 1, 1], [1, 1, 1]], dtype=bool)
    # Item 0 is not a candidate: the ranked list is 1, 2; relevant candidate item 2 at position 1.
    assert hit_rate_at_k(relevant, scores, k=1, candidates=candidates) == 0.0
    assert hit_rate_at_k(relevant, scores, k=2, candidates=candidates) == 1.0
    d = 1 / np.log2(np.arange(2) + 2)
    assert ndcg_at_k(relevant, scores, k=2, candidates=candidates) == pytest.approx(d[1] / d[0])


def test_ties_go_to_lower_index() -> None:
    relevant = np.array([[0, 1]], dtype=bool)
    assert hit_rate_at_k(relevant, np.zeros((1, 2)), k=1) == 0.0


def test_k_larger_than_items_is_allowed() -> None:
    relevant = np.array([[0, 1]], dtype=bool)
    assert ndcg_at_k(relevant, np.array([[0.5, 0.1]]), k=5) == pytest.approx(1 / np.log2(3))


def test_ranking_bad_inputs() -> None:
    rel = np.array([[1, 0]], dtype=bool)
    with pytest.raises(InputError, match="shape"):
        hit_rate_at_k(rel, np.zeros((1, 3)), k=1)
    with pytest.raises(InputError, match="k must"):
        ndcg_at_k(rel, np.zeros((1, 2)), k=0)
    with pytest.raises(InputError, match="no user"):
        ndcg_at_k(np.zeros((2, 2), dtype=bool), np.zeros((2, 2)), k=1)
    with pytest.raises(InputError, match="NaN"):
        hit_rate_at_k(rel, np.array([[np.nan, 0.0]]), k=1)
