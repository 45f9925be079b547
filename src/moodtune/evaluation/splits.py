"""Cross-validation splits, kept apart from the models they evaluate (as Surprise does)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from moodtune.errors import InputError

__all__ = ["Fold", "repeated_stratified_folds"]


@dataclass(frozen=True)
class Fold:
    """One train/test split of a repeated k-fold: row positions into the evaluated data."""

    repeat: int
    fold: int
    train: np.ndarray
    test: np.ndarray


def repeated_stratified_folds(
    y: ArrayLike, *, n_splits: int = 5, n_repeats: int = 5, random_state: int = 0
) -> list[Fold]:
    """Stratified k-fold, repeated with different shuffles; every row is tested once per repeat.

    Raises ``InputError`` when a class has fewer rows than ``n_splits`` (a stratified fold
    would then miss it), naming the class and its count.
    """
    from sklearn.model_selection import RepeatedStratifiedKFold

    labels = np.asarray(y, dtype=object)
    if n_splits < 2:
        raise InputError("n_splits must be at least 2", field="n_splits", value=n_splits)
    if n_repeats < 1:
        raise InputError("n_repeats must be at least 1", field="n_repeats", value=n_repeats)
    values, counts = np.unique(labels, return_counts=True)
    if len(values) < 2:
        raise InputError(
            "need at least two classes to evaluate a classifier", field="y", value=values.tolist()
        )
    small = {str(v): int(c) for v, c in zip(values, counts, strict=True) if c < n_splits}
    if small:
        raise InputError(
            f"class(es) {small} have fewer rows than n_splits={n_splits}",
            field="y",
            allowed=f"at least {n_splits} rows of every class, or a smaller n_splits",
        )
    splitter = RepeatedStratifiedKFold(
        n_splits=n_splits, n_repeats=n_repeats, random_state=random_state
    )
    return [
        Fold(repeat=i // n_splits, fold=i % n_splits, train=train, test=test)
        for i, (train, test) in enumerate(splitter.split(np.zeros(len(labels)), labels))
    ]
