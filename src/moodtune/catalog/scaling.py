"""Standardising features: fitted once on a catalog's usable rows, then applied to any batch.

The catalog's ``scaled_features`` and the track index's similarity vectors are both z-scores
against the usable rows. Fitting (a mean and a standard deviation per feature) and applying are
kept apart so that a job that sees the catalog in batches (``moodtune spark annotate``) fits
once and applies the same numbers to every batch: its output cannot depend on how the rows
were split.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from moodtune.errors import InputError

__all__ = ["FeatureScaler", "feature_values"]


def feature_values(tracks: pd.DataFrame, features: tuple[str, ...]) -> np.ndarray:
    """(n, len(features)) float64 array of ``features``; NaN where a value is missing."""
    missing = [c for c in features if c not in tracks.columns]
    if missing:
        raise InputError(
            f"feature column(s) {missing} missing",
            field=", ".join(missing),
            allowed=", ".join(features),
        )
    return tracks.loc[:, list(features)].apply(pd.to_numeric, errors="coerce").to_numpy(float)


@dataclass(frozen=True)
class FeatureScaler:
    """Mean and standard deviation of each feature over the rows it was fitted on.

    A feature without spread (or without any value) gets scale 1, so it maps to 0, not NaN.
    """

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    @classmethod
    def fit(cls, values: np.ndarray, *, features: tuple[str, ...]) -> FeatureScaler:
        """Fit on ``values`` (n, len(features)), ignoring NaN (``numpy.nanmean``/``nanstd``)."""
        values = np.asarray(values, dtype=float)
        if values.ndim != 2 or values.shape[1] != len(features):
            raise InputError(
                f"values of shape {values.shape} for {len(features)} features", field="values"
            )
        with warnings.catch_warnings():
            # An all-NaN column is handled below (scale 1); numpy's warning would only alarm.
            warnings.simplefilter("ignore", category=RuntimeWarning)
            mean = np.nanmean(values, axis=0) if len(values) else np.full(len(features), np.nan)
            scale = np.nanstd(values, axis=0) if len(values) else np.full(len(features), np.nan)
        scale[~(scale > 0)] = 1.0
        return cls(
            features=tuple(features),
            mean=tuple(float(m) for m in mean),
            scale=tuple(float(s) for s in scale),
        )

    def transform(self, values: np.ndarray) -> np.ndarray:
        """z-scores of ``values`` (n, len(features)) as float64, 0 where a value is missing."""
        values = np.asarray(values, dtype=float)
        return np.nan_to_num((values - np.asarray(self.mean)) / np.asarray(self.scale), nan=0.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: features, mean and scale (floats keep their full precision)."""
        return {"features": list(self.features), "mean": list(self.mean), "scale": list(self.scale)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureScaler:
        """The scaler :meth:`to_dict` wrote."""
        try:
            return cls(
                features=tuple(str(f) for f in data["features"]),
                mean=tuple(float(m) for m in data["mean"]),
                scale=tuple(float(s) for s in data["scale"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"not a feature scaler ({exc})", field="scaler") from None
