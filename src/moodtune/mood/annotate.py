"""Add mood columns to a track table: position, its uncertainty, quadrant and soft cluster.

The default position model is the one fitted to human ratings and shipped in the package
(:func:`moodtune.mood.fitted.load_default_model`); it also gives each track's uncertainty
(``mood_uncertainty``, the root mean square of the two axes' standard errors) and whether it
is beyond the model's usual spread (``mood_uncertain``). Quadrants are read from the fitted
positions, and so are the clusters: the mixture sees the fitted valence and arousal (mapped
onto [0, 1]) in place of Spotify's ``valence`` and ``energy``, so a cluster named "Upbeat" or
"Mellow" is upbeat or mellow where the tracks sit on the plane.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from moodtune.mood.clusters import MoodClusters
from moodtune.mood.estimator import MoodModel
from moodtune.mood.fitted import load_default_model
from moodtune.mood.space import quadrant

__all__ = [
    "MOOD_ANNOTATION_VERSION",
    "MoodAnnotation",
    "annotate_tracks",
    "apply_mood_annotation",
    "describe_annotation",
    "fit_mood_clusters",
]

# Bump when the default model, clustering or naming changes: cached mood columns are rebuilt.
MOOD_ANNOTATION_VERSION = 4


@dataclass
class MoodAnnotation:
    """Mood columns for every row, the (n, k) cluster probabilities and what produced them."""

    # mood_valence, mood_arousal, mood_uncertainty, mood_uncertain, quadrant, mood_cluster
    columns: pd.DataFrame
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

    Without ``model`` the shipped fitted model places the tracks; a ``model`` given is fitted
    (without ratings) on the fitting rows first. The clusters are fitted on the rows of
    ``fit_mask`` (default: all rows; the catalog passes its usable rows), or on
    ``reference`` rows when given, then every row with complete features is annotated. Rows
    with a missing feature get NaN / None.

    The two steps are also public, for jobs that see the catalog in batches: fit once
    (:func:`fit_mood_clusters`), then apply the same fitted state to every batch
    (:func:`apply_mood_annotation`); each row's columns depend only on that row and the state.
    """
    if reference is not None:
        # A small catalog (a personal playlist) is placed on the plane and in the clusters of a
        # large reference catalog, so its positions are absolute, not relative to itself.
        fit_rows = reference
    else:
        fit_rows = tracks if fit_mask is None else tracks.loc[np.asarray(fit_mask, dtype=bool)]
    if model is None:
        model = load_default_model()
    else:
        model.fit(fit_rows)
    clusters = fit_mood_clusters(
        fit_rows, model.predict(fit_rows), clusters=clusters, random_state=random_state
    )
    annotation = apply_mood_annotation(tracks, model=model, clusters=clusters)
    annotation.description = describe_annotation(model, clusters)
    return annotation


def fit_mood_clusters(
    fit_rows: pd.DataFrame,
    positions: np.ndarray,
    *,
    clusters: MoodClusters | None = None,
    random_state: int = 0,
) -> MoodClusters:
    """The mood clusters fitted on ``fit_rows`` placed at ``positions`` ((n, 2) valence,
    arousal), in their order (the fit draws a seeded sample of rows by position).

    Without ``clusters``, k is chosen by BIC in 2..10, fewer for small catalogs (about 20
    tracks per cluster at least; one cluster below 40 rows).
    """
    if clusters is None:
        high = min(10, len(fit_rows) // 20)
        clusters = (
            MoodClusters(k_range=(2, high), random_state=random_state)
            if high >= 2
            else MoodClusters(k=1, stability_seeds=0, random_state=random_state)
        )
    return clusters.fit(_on_the_plane(fit_rows, np.asarray(positions, dtype=float)))


def apply_mood_annotation(
    tracks: pd.DataFrame, *, model: MoodModel, clusters: MoodClusters
) -> MoodAnnotation:
    """The mood columns and cluster probabilities of ``tracks`` from a fitted model and
    fitted clusters; row by row, so a table annotated in batches equals it annotated whole.

    The description is left empty (see :func:`describe_annotation`).
    """
    positions = model.predict(tracks)
    uncertainty = _uncertainty(model, tracks)
    proba = clusters.predict_proba(_on_the_plane(tracks, positions)).astype(np.float32)
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
            "mood_uncertainty": uncertainty,
            "mood_uncertain": _is_uncertain(model, uncertainty),
            "quadrant": quadrants,
            "mood_cluster": best,
        },
        index=tracks.index,
    )
    return MoodAnnotation(columns=columns, cluster_proba=proba, cluster_names=names, description={})


def describe_annotation(model: MoodModel, clusters: MoodClusters) -> dict[str, Any]:
    """What produced the mood columns: version, model and clusters (JSON-ready)."""
    describe_model = getattr(model, "describe", None) or getattr(model, "to_dict", None)
    return {
        "version": MOOD_ANNOTATION_VERSION,
        "model": describe_model() if callable(describe_model) else type(model).__name__,
        "clusters": clusters.describe(),
    }


def _uncertainty(model: MoodModel, tracks: pd.DataFrame) -> np.ndarray:
    predict = getattr(model, "predict_uncertainty", None)
    if callable(predict):
        return np.asarray(predict(tracks), dtype=float)
    return np.full(len(tracks), np.nan)  # a model without an uncertainty says nothing


def _is_uncertain(model: MoodModel, uncertainty: np.ndarray) -> np.ndarray:
    threshold = getattr(model, "uncertain_above_", None)
    if threshold is None:
        return np.zeros(len(uncertainty), dtype=bool)
    return np.nan_to_num(uncertainty, nan=0.0) > float(threshold)


def _on_the_plane(tracks: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """``tracks`` with valence and energy replaced by the fitted position, on [0, 1]."""
    placed = tracks.copy()
    placed["valence"] = (positions[:, 0] + 1.0) / 2.0
    placed["energy"] = (positions[:, 1] + 1.0) / 2.0
    return placed
