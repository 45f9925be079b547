"""Soft mood clusters: a Gaussian mixture over audio features, named by a rule on centroids.

Features: danceability, energy, loudness, speechiness, acousticness, instrumentalness,
valence, tempo. The three skewed ones (speechiness, acousticness, instrumentalness) are
square-rooted, then all are standardised on the fitted catalog.

**Choosing k.** BIC is computed for every k in ``k_range`` (on a random sample of at most
``max_fit_rows`` rows). On tens of thousands of real tracks BIC keeps falling as k grows
(the features are not Gaussian), so its plain minimum would pick the largest k tried. The
rule is therefore: the smallest k whose BIC has made at least 90 % of the improvement
between the first k and the best one (``bic_share``). On data with a clear minimum this is
that minimum or just before it. The whole curve is reported.

**Naming rule** (never by index). For each cluster, take its centroid as z-scores of the
*raw* features against the catalog (after the sqrt transform). Every feature whose |z| is at
least ``DESCRIPTOR_THRESHOLD`` (0.3) gives a descriptor word from ``DESCRIPTORS`` (e.g.
acousticness high → "Acoustic", energy low → "Gentle"). A name is the two strongest
descriptors, written in the fixed order of ``DESCRIPTORS`` (energy and valence words first,
then tempo/loudness, then texture). Clusters whose names collide get the next descriptor
added, until names are unique; a cluster with no descriptor is "Balanced". If two clusters
still collide after all descriptors, the one with the larger mean valence gets " (brighter)".

**Quality** is reported without circular evaluation (no accuracy for predicting labels made
from the same features): *stability*, the adjusted Rand index between the reference fit and
fits with other seeds; *separation*, the silhouette score on a sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from moodtune.errors import InputError, check_is_fitted

__all__ = [
    "CLUSTER_FEATURES",
    "DESCRIPTORS",
    "DESCRIPTOR_THRESHOLD",
    "FEEL_DESCRIPTORS",
    "TEXTURE_DESCRIPTORS",
    "ClusterQuality",
    "MoodClusters",
    "name_clusters",
]

CLUSTER_FEATURES: tuple[str, ...] = (
    "danceability",
    "energy",
    "loudness",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "valence",
    "tempo",
)
SQRT_FEATURES: frozenset[str] = frozenset({"speechiness", "acousticness", "instrumentalness"})
DESCRIPTOR_THRESHOLD = 0.3

# Feel words (how the music feels): (feature, word when high, word when low).
FEEL_DESCRIPTORS: tuple[tuple[str, str, str], ...] = (
    ("energy", "Powerful", "Mellow"),
    ("valence", "Upbeat", "Melancholic"),
    ("tempo", "Fast", "Slow"),
    ("loudness", "Loud", "Soft"),
)
# Texture nouns (what kind of music): only the high side names a texture.
TEXTURE_DESCRIPTORS: tuple[tuple[str, str], ...] = (
    ("danceability", "Dance"),
    ("acousticness", "Acoustic"),
    ("instrumentalness", "Instrumental"),
    ("speechiness", "Spoken"),
)
DEFAULT_TEXTURE = "Mix"
DESCRIPTORS = (*FEEL_DESCRIPTORS, *((f, w, "") for f, w in TEXTURE_DESCRIPTORS))


def _transform(X: pd.DataFrame) -> np.ndarray:
    missing = [c for c in CLUSTER_FEATURES if c not in X.columns]
    if missing:
        raise InputError(
            f"audio feature column(s) {missing} missing",
            field=", ".join(missing),
            allowed=", ".join(CLUSTER_FEATURES),
        )
    cols = []
    for name in CLUSTER_FEATURES:
        values = pd.to_numeric(X[name], errors="coerce").to_numpy(dtype=float)
        cols.append(np.sqrt(np.clip(values, 0.0, None)) if name in SQRT_FEATURES else values)
    return np.column_stack(cols)


def name_clusters(centroid_z: np.ndarray, *, mean_valence: np.ndarray | None = None) -> list[str]:
    """Unique names from centroid z-scores (k × len(CLUSTER_FEATURES)) by the documented rule.

    A name is ``<feel words> <texture>``: the strongest feel word (|z| >= threshold), then the
    texture noun of the strongest texture feature with z >= threshold ("Mix" if none). Names
    that collide take the next-strongest feel word, then the next texture, until unique.
    """
    index = {f: CLUSTER_FEATURES.index(f) for f in CLUSTER_FEATURES}
    feels: list[list[str]] = []
    textures: list[list[str]] = []
    for row in centroid_z:
        feel = sorted(
            (
                (-abs(row[index[f]]), position, high if row[index[f]] > 0 else low)
                for position, (f, high, low) in enumerate(FEEL_DESCRIPTORS)
                if abs(row[index[f]]) >= DESCRIPTOR_THRESHOLD
            ),
        )
        texture = sorted(
            (-row[index[f]], position, word)
            for position, (f, word) in enumerate(TEXTURE_DESCRIPTORS)
            if row[index[f]] >= DESCRIPTOR_THRESHOLD
        )
        feels.append([w for *_, w in feel])
        textures.append([w for *_, w in texture] or [DEFAULT_TEXTURE])

    n_feel = [min(1, len(f)) for f in feels]
    n_texture = [1] * len(feels)

    def render(i: int) -> str:
        words = feels[i][: n_feel[i]] + textures[i][: n_texture[i]]
        return (
            " ".join(words)
            if feels[i][: n_feel[i]] or textures[i] != [DEFAULT_TEXTURE]
            else ("Balanced Mix")
        )

    names = [render(i) for i in range(len(feels))]
    while True:
        collisions = {n for n in names if names.count(n) > 1}
        grew = False
        for i, name in enumerate(names):
            if name not in collisions:
                continue
            if n_feel[i] < len(feels[i]):
                n_feel[i] += 1
            elif n_texture[i] < len(textures[i]):
                n_texture[i] += 1
            else:
                continue
            grew = True
            names[i] = render(i)
        if not grew:
            break
    for name in {n for n in names if names.count(n) > 1}:
        members = [i for i, n in enumerate(names) if n == name]
        if mean_valence is not None:
            members.sort(key=lambda i: -mean_valence[i])
        for rank, i in enumerate(members):
            suffix = " (brighter)" if rank == 0 else f" (variant {rank + 1})"
            names[i] = f"{name}{suffix}"
    return names


@dataclass
class ClusterQuality:
    """Stability (ARI across seeds) and separation (silhouette), plus the BIC curve."""

    k: int
    bic_curve: dict[int, float]
    stability_ari: list[float]
    silhouette: float
    fit_rows: int
    seeds: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "bic_curve": {str(k): v for k, v in self.bic_curve.items()},
            "stability_ari": self.stability_ari,
            "stability_ari_mean": float(np.mean(self.stability_ari))
            if self.stability_ari
            else None,
            "stability_ari_min": float(np.min(self.stability_ari)) if self.stability_ari else None,
            "silhouette": self.silhouette,
            "fit_rows": self.fit_rows,
            "seeds": self.seeds,
        }


@dataclass
class MoodClusters:
    """Gaussian-mixture mood clusters with k chosen by BIC and names from centroids.

    Parameters
    ----------
    k_range : candidate numbers of clusters (inclusive bounds).
    k : fix k instead of choosing it by BIC.
    bic_share : share of the BIC improvement that the chosen k must reach (see module doc).
    max_fit_rows : fit on a random sample of at most this many rows (all rows are predicted).
    stability_seeds : extra seeds refitted to measure stability (ARI against the reference).
    random_state : seed of the sample and of the reference fit.
    """

    k_range: tuple[int, int] = (2, 10)
    k: int | None = None
    bic_share: float = 0.9
    covariance_type: str = "full"
    max_fit_rows: int = 6000
    stability_seeds: int = 3
    silhouette_rows: int = 3000
    random_state: int = 0

    def fit(self, X: pd.DataFrame) -> MoodClusters:
        """Fit on the rows of ``X`` with complete features (``CLUSTER_FEATURES`` columns)."""
        from threadpoolctl import threadpool_limits

        # Small matrices: one BLAS thread is as fast and does not oversubscribe shared cores.
        with threadpool_limits(limits=1):
            return self._fit(X)

    def _fit(self, X: pd.DataFrame) -> MoodClusters:
        from sklearn.metrics import adjusted_rand_score, silhouette_score
        from sklearn.mixture import GaussianMixture

        data = _transform(X)
        data = data[np.isfinite(data).all(axis=1)]
        low, high = self.k_range
        if self.k is None and not 1 <= low <= high:
            raise InputError(
                "bad k_range", field="k_range", value=self.k_range, allowed="1 <= low <= high"
            )
        if len(data) < 2 * max(high if self.k is None else self.k, 2):
            raise InputError(
                f"too few complete tracks ({len(data)}) to form mood clusters",
                field="tracks",
                value=len(data),
                allowed=f"at least {2 * max(high, 2)}",
            )
        self.mean_ = data.mean(axis=0)
        self.scale_ = data.std(axis=0)
        self.scale_[self.scale_ == 0] = 1.0
        scaled = (data - self.mean_) / self.scale_
        rng = np.random.default_rng(self.random_state)
        if len(scaled) > self.max_fit_rows:
            sample = scaled[rng.choice(len(scaled), self.max_fit_rows, replace=False)]
        else:
            sample = scaled

        def mixture(k: int, seed: int) -> Any:
            return GaussianMixture(
                n_components=k,
                covariance_type=self.covariance_type,
                random_state=seed,
                reg_covar=1e-4,
                n_init=1,
            ).fit(sample)

        fitted: dict[int, Any] = {}
        if self.k is None:
            ks = range(low, min(high, len(sample) // 2) + 1)
            for k in ks:
                fitted[k] = mixture(k, self.random_state)
            bic = {k: float(m.bic(sample)) for k, m in fitted.items()}
            chosen = _choose_k(bic, self.bic_share)
        else:
            fitted[self.k] = mixture(self.k, self.random_state)
            bic = {self.k: float(fitted[self.k].bic(sample))}
            chosen = self.k
        self.model_ = fitted[chosen]
        self.k_ = chosen

        labels = self.model_.predict(scaled)
        seeds = [self.random_state + 1 + i for i in range(self.stability_seeds)]
        ari = [
            float(adjusted_rand_score(labels, mixture(chosen, seed).predict(scaled)))
            for seed in seeds
        ]
        if chosen > 1:
            sil_rows = min(self.silhouette_rows, len(scaled))
            silhouette = (
                float(
                    silhouette_score(
                        scaled, labels, sample_size=sil_rows, random_state=self.random_state
                    )
                )
                if len(set(labels.tolist())) > 1
                else float("nan")
            )
        else:
            silhouette = float("nan")
        self.quality_ = ClusterQuality(
            k=chosen,
            bic_curve=bic,
            stability_ari=ari,
            silhouette=silhouette,
            fit_rows=len(sample),
            seeds=seeds,
        )
        # Centroids back in catalog z-scores (means are already standardised).
        centroid_z = np.asarray(self.model_.means_)
        raw = pd.DataFrame(data, columns=list(CLUSTER_FEATURES))
        mean_valence = np.array(
            [
                raw.loc[labels == j, "valence"].mean() if (labels == j).any() else 0.0
                for j in range(chosen)
            ]
        )
        self.names_ = name_clusters(centroid_z, mean_valence=mean_valence)
        centroids = pd.DataFrame(
            centroid_z * self.scale_ + self.mean_, columns=list(CLUSTER_FEATURES), index=self.names_
        )
        for name in SQRT_FEATURES:  # back to Spotify's units
            centroids[name] = centroids[name].clip(lower=0) ** 2
        self.centroids_ = centroids
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """(n, k) membership probabilities; rows with a missing feature get NaN."""
        check_is_fitted(self, "model_")
        data = _transform(X)
        ok = np.isfinite(data).all(axis=1)
        out = np.full((len(data), self.k_), np.nan)
        if ok.any():
            out[ok] = self.model_.predict_proba((data[ok] - self.mean_) / self.scale_)
        return out

    def predict(self, X: pd.DataFrame) -> pd.Series:
        """The most probable cluster's name for each row (None where features are missing)."""
        proba = self.predict_proba(X)
        names = np.asarray(self.names_, dtype=object)
        ok = np.isfinite(proba).all(axis=1)
        out = np.full(len(proba), None, dtype=object)
        if ok.any():
            out[ok] = names[np.argmax(proba[ok], axis=1)]
        return pd.Series(out, index=X.index, dtype=object)

    def describe(self) -> dict[str, Any]:
        """Names, centroids (raw units) and quality, JSON-ready."""
        check_is_fitted(self, "model_")
        return {
            "names": list(self.names_),
            "centroids": {
                name: {k: round(float(v), 4) for k, v in row.items()}
                for name, row in self.centroids_.iterrows()
            },
            "weights": {
                n: float(w) for n, w in zip(self.names_, self.model_.weights_, strict=True)
            },
            "quality": self.quality_.as_dict(),
            "covariance_type": self.covariance_type,
        }


def _choose_k(bic: dict[int, float], share: float) -> int:
    ks = sorted(bic)
    first, best = bic[ks[0]], min(bic.values())
    if first <= best:
        return ks[0]
    threshold = first - share * (first - best)
    return next(k for k in ks if bic[k] <= threshold)
