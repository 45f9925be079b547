"""Add mood columns to a track table: position, quadrant and soft cluster membership."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from moodtune.mood.clusters import MoodClusters
from moodtune.mood.estimator import MoodModel, TrackMoodModel
from moodtune.mood.space import quadrant

__all__ = ["MOOD_ANNOTATION_VERSION", "MoodAnnotation", "annotate_tracks"]

# Bump when the default model, clustering or naming changes: cached mood columns are rebuilt.
MOOD_ANNOTATION_VERSION = 3


@dataclass
class MoodAnnotation:
    """Mood columns for every row, the (n, k) cluster probabilities and what produced them."""

    columns: pd.DataFrame  # mood_valence, mood_arousal, quadrant, mood_cluster
    cluster_proba: np.ndarray
    cluster_names: tuple[str, ...]
    description: dict[str, Any]


def annotate_tracks(
    tracks: pd.DataFrame,
    *,
    model: MoodModel | None = None,
    clusters: MoodClusters | None = None,
    fit_mask: np.ndarray | None = None,
    reference: pd.DataFrame | None = None,
    random_state: int = 0,
) -> MoodAnnotation:
    """Place every track on the mood plane and in soft mood clusters.

    The mood model is fitted (prior weights, no ratings) and the clusters are fitted on the
    rows of ``fit_mask`` (default: all rows; the catalog passes its usable rows), or on
    ``reference`` rows when given, then every row with complete features is annotated. Rows
    with a missing feature get NaN / None.
    """
    if reference is not None:
        # A small catalog (a personal playlist) is placed on the plane and in the clusters of a
        # large reference catalog, so its positions are absolute, not relative to itself.
        fit_rows = reference
    else:
        fit_rows = tracks if fit_mask is None else tracks.loc[np.asarray(fit_mask, dtype=bool)]
    model = model if model is not None else TrackMoodModel()
    model.fit(fit_rows)
    positions = model.predict(tracks)
    if clusters is None:
        # Small catalogs get fewer candidate clusters (about 20 tracks per cluster at least).
        high = min(10, len(fit_rows) // 20)
        clusters = (
            MoodClusters(k_range=(2, high), random_state=random_state)
            if high >= 2
            else MoodClusters(k=1, stability_seeds=0, random_state=random_state)
        )
    clusters.fit(fit_rows)
    proba = clusters.predict_proba(tracks).astype(np.float32)
    names = tuple(clusters.names_)
    best = np.full(len(tracks), None, dtype=object)
    complete = np.isfinite(proba).all(axis=1)
    best[complete] = np.asarray(names, dtype=object)[np.argmax(proba[complete], axis=1)]
    known = np.isfinite(positions).all(axis=1)
    quadrants = np.full(len(tracks), None, dtype=object)
    quadrants[known] = [quadrant(v, a) for v, a in positions[known]]
    columns = pd.DataFrame(
        {
            "mood_valence": positions[:, 0],
            "mood_arousal": positions[:, 1],
            "quadrant": quadrants,
            "mood_cluster": best,
        },
        index=tracks.index,
    )
    describe_model = getattr(model, "to_dict", None)
    description = {
        "version": MOOD_ANNOTATION_VERSION,
        "model": describe_model() if callable(describe_model) else type(model).__name__,
        "clusters": clusters.describe(),
    }
    return MoodAnnotation(
        columns=columns, cluster_proba=proba, cluster_names=names, description=description
    )
