"""A DEMONSTRATION OF WHAT NOT TO DO: the leaky protocol behind the prior art's "91%".

The prior art (shared/prior-art/000) oversampled the survey with noise *before* splitting it
into train and test, so most test rows had a near-copy of themselves - made from the same
respondent - in the training rows, and a flexible model scored by recognising them. This module
reproduces that protocol (``leaky_protocol``) beside the same model, sampler and split sizes
done right (``leak_free_protocol``), so the difference is visible in the code's structure:

* leaky:     ``fit_transform(all rows)`` -> ``oversample_with_noise(all rows)`` -> split -> fit
* leak-free: split -> ``Pipeline([features, oversample, model]).fit(training rows only)``

Never use ``leaky_protocol`` to report a figure. It exists so that reports can show how far
it overstates the honest one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from moodtune.evaluation.metrics import balanced_accuracy, macro_f1, spread
from moodtune.survey.features import survey_feature_pipeline

__all__ = [
    "compare_protocols",
    "leak_free_protocol",
    "leaky_protocol",
    "oversample_with_noise",
]

#: Noise of the smoothed bootstrap, as a multiple of the per-class bandwidth (imbalanced-learn).
NOISE_SHRINKAGE = 0.5
TEST_SIZE = 0.2


def _model(random_state: int) -> Any:
    """The classifier both protocols use (the prior art's kind: a flexible tree ensemble)."""
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=100, random_state=random_state, n_jobs=1)


def _sampler(random_state: int) -> Any:
    from imblearn.over_sampling import RandomOverSampler

    return RandomOverSampler(shrinkage=NOISE_SHRINKAGE, random_state=random_state)


def oversample_with_noise(
    X: np.ndarray, y: np.ndarray, *, random_state: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Balance the classes with noisy copies of existing rows (a smoothed bootstrap).

    Returns the resampled rows, their labels, and ``source``: for every output row, the
    position of the original row it was made from (shape (n_out,)).
    """
    sampler = _sampler(random_state)
    X_res, y_res = sampler.fit_resample(X, y)
    return np.asarray(X_res), np.asarray(y_res, dtype=object), np.asarray(sampler.sample_indices_)


def _scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    labels = sorted({*map(str, y_true), *map(str, y_pred)})
    return {
        "macro_f1": macro_f1(y_true, y_pred, labels=labels),
        "balanced_accuracy": balanced_accuracy(y_true, y_pred, labels=labels),
        "accuracy": float(np.mean(y_true == y_pred)),
    }


def leaky_protocol(
    frame: pd.DataFrame, y: np.ndarray, *, random_state: int = 0
) -> dict[str, float]:
    """WHAT NOT TO DO - the prior art's protocol, kept to measure how much it overstates.

    Returns the test-set scores and ``test_rows_with_copy_in_training``: the share of test
    rows made from a respondent who also has a (noisy) copy among the training rows.
    """
    from sklearn.model_selection import train_test_split

    y = np.asarray(y, dtype=object)
    # LEAK 1: imputation and scaling are learned from every row, the future test rows included.
    X_all = survey_feature_pipeline(include_fav_genre=True).fit_transform(frame)
    # LEAK 2: oversampling BEFORE the split - copies of one respondent land on both sides.
    X_big, y_big, source = oversample_with_noise(X_all, y, random_state=random_state)
    X_train, X_test, y_train, y_test, source_train, source_test = train_test_split(
        X_big, y_big, source, test_size=TEST_SIZE, stratify=y_big, random_state=random_state
    )
    model = _model(random_state).fit(X_train, y_train)
    scores = _scores(y_test, np.asarray(model.predict(X_test), dtype=object))
    scores["test_rows_with_copy_in_training"] = float(np.mean(np.isin(source_test, source_train)))
    scores["n_test"] = len(y_test)
    return scores


def leak_free_protocol(
    frame: pd.DataFrame, y: np.ndarray, *, random_state: int = 0
) -> dict[str, float]:
    """The same model, sampler and split size, done right: split first, then fit a pipeline
    whose imputation, scaling and oversampling see only the training rows."""
    from imblearn.pipeline import Pipeline as SamplingPipeline
    from sklearn.model_selection import train_test_split

    y = np.asarray(y, dtype=object)
    frame_train, frame_test, y_train, y_test = train_test_split(
        frame, y, test_size=TEST_SIZE, stratify=y, random_state=random_state
    )
    pipeline = SamplingPipeline(
        [
            ("features", survey_feature_pipeline(include_fav_genre=True)),
            ("oversample", _sampler(random_state)),
            ("model", _model(random_state)),
        ]
    )
    pipeline.fit(frame_train, y_train)
    scores = _scores(y_test, np.asarray(pipeline.predict(frame_test), dtype=object))
    scores["test_rows_with_copy_in_training"] = 0.0
    scores["n_test"] = len(y_test)
    return scores


def compare_protocols(
    frame: pd.DataFrame,
    y: np.ndarray,
    *,
    n_repeats: int = 5,
    random_state: int = 0,
    on_repeat: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Both protocols on the same rows over ``n_repeats`` seeds, side by side (JSON-friendly).

    ``overstatement`` is the leaky mean minus the leak-free mean for each metric.
    """
    runs: dict[str, list[dict[str, float]]] = {"leaky": [], "leak_free": []}
    for i in range(n_repeats):
        seed = random_state + i
        runs["leaky"].append(leaky_protocol(frame, y, random_state=seed))
        runs["leak_free"].append(leak_free_protocol(frame, y, random_state=seed))
        if on_repeat is not None:
            on_repeat()
    metrics = ("macro_f1", "balanced_accuracy", "accuracy", "test_rows_with_copy_in_training")
    out: dict[str, Any] = {
        "warning": "DEMONSTRATION OF WHAT NOT TO DO: the leaky figures are not a result",
        "protocol": {
            "leaky": (
                "impute+scale on all rows, oversample with noise on all rows, THEN a "
                f"{TEST_SIZE:.0%} stratified train/test split (the prior art's protocol)"
            ),
            "leak_free": (
                f"{TEST_SIZE:.0%} stratified train/test split FIRST, then a pipeline "
                "(impute+scale, oversample with noise, model) fitted on the training rows only"
            ),
            "model": "random forest, 100 trees",
            "oversampling": f"smoothed bootstrap to balanced classes, shrinkage {NOISE_SHRINKAGE}",
            "n_repeats": n_repeats,
        },
    }
    for name, results in runs.items():
        out[name] = {m: spread([r[m] for r in results]) for m in metrics}
    out["overstatement"] = {
        m: out["leaky"][m]["mean"] - out["leak_free"][m]["mean"]
        for m in ("macro_f1", "balanced_accuracy", "accuracy")
    }
    return out
