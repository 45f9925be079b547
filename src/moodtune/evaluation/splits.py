"""Cross-validation splits, kept apart from the models they evaluate (as Surprise does)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from moodtune.errors import InputError

__all__ = ["Fold", "TemporalSplit", "repeated_stratified_folds", "temporal_split"]


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


@dataclass(frozen=True)
class TemporalSplit:
    """Session windows ``(first, last)``, inclusive: earlier sessions train, later ones test."""

    train: tuple[int, int]
    validation: tuple[int, int]
    test: tuple[int, int]

    @property
    def fit(self) -> tuple[int, int]:
        """Train and validation together: what the models evaluated on the test window see."""
        return (self.train[0], self.validation[1])


def temporal_split(
    n_sessions: int, *, validation_sessions: int | None = None, test_sessions: int | None = None
) -> TemporalSplit:
    """Sessions ``1..T-v-t`` train, the next ``v`` validate, the last ``t`` test.

    ``v`` and ``t`` default to a fifth of ``T`` each (at least one session).
    """
    v = validation_sessions or max(1, n_sessions // 5)
    t = test_sessions or max(1, n_sessions // 5)
    if n_sessions - v - t < 1:
        raise InputError(
            f"{n_sessions} sessions are too few for {v} validation and {t} test sessions",
            field="n_sessions",
            value=n_sessions,
        )
    train = (1, n_sessions - v - t)
    validation = (train[1] + 1, train[1] + v)
    return TemporalSplit(train=train, validation=validation, test=(validation[1] + 1, n_sessions))
