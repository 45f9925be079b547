"""Listener personas: clusters of survey respondents, named from their centroids, on a 2-D map.

How it works (details and reasons in docs/personas.md):

* Features come from the shared ``survey_feature_pipeline`` (ages, hours, the four 0-10 scores,
  the yes/no answers and the 16 genre frequencies, standardised; no BPM, no missing-indicators).
* For every k in ``k_range`` KMeans and a Gaussian mixture are fitted; the silhouette (KMeans)
  and BIC (mixture) curves are kept. **KMeans drives the personas** and k is the silhouette's
  argmax (unless ``k`` is given); the mixture's BIC-chosen k and its agreement with KMeans
  (adjusted Rand index) are reported next to it.
* Membership probabilities are a softmax over squared distances to the KMeans centroids with the
  pooled within-cluster variance as temperature - the E-step of a spherical, equal-weight Gaussian
  mixture sitting at the KMeans solution - so the most probable persona is always the nearest one.
* Personas are named by ``name_personas`` from standardised differences to the population,
  never by cluster index.
* The 2-D map is a PCA of the same feature matrix (explained variance reported).

A fitted model is saved as one ``.npz`` of plain arrays plus a JSON header (no pickle); loading
refuses files written in another format version.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import logsumexp
from sklearn.base import BaseEstimator

from moodtune import __version__
from moodtune.artefacts import load_or_build
from moodtune.config import Settings, get_settings
from moodtune.errors import DataIntegrityError, InputError, check_is_fitted
from moodtune.jsonable import to_jsonable
from moodtune.survey.features import check_feature_frame, survey_feature_pipeline
from moodtune.survey.schema import (
    BOOL_FIELDS,
    EFFECTS,
    FREQ_COLUMNS,
    GENRES,
    SCORES,
    Profile,
    load_survey,
    profiles_to_frame,
    survey_checksum,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = [
    "FORMAT_VERSION",
    "NAMING_RULE",
    "NearestRespondent",
    "PersonaAssignment",
    "PersonaModel",
    "assign_persona",
    "load_or_fit_personas",
    "name_personas",
    "persona_map_figure",
    "persona_report",
    "survey_checksum",
    "trait_differences",
]

_GMM_N_INIT = 3

#: Bumped whenever the saved layout changes; files of another version are refused.
FORMAT_VERSION = 1

_FEATURE_OPTIONS: dict[str, bool] = {
    "include_scores": True,
    "include_frequencies": True,
    "include_bpm": False,
    "include_fav_genre": False,
    "missing_indicators": False,
}

#: Interpretable variables the naming rule may use: column -> (phrase if high, phrase if low).
#: ``genre_breadth`` is the mean of the 16 frequencies (0-3): how much of everything one hears.
TRAIT_PHRASES: dict[str, tuple[str, str]] = {
    "age": ("older", "younger"),
    "anxiety": ("high-anxiety", "low-anxiety"),
    "depression": ("high-depression", "low-depression"),
    "insomnia": ("high-insomnia", "low-insomnia"),
    "ocd": ("high-OCD", "low-OCD"),
    "distress": ("high-distress", "low-distress"),
    "hours_per_day": ("heavy-listening", "light-listening"),
    "genre_breadth": ("broad-taste", "narrow-taste"),
    "exploratory": ("exploratory", "non-exploratory"),
    "instrumentalist": ("instrument-playing", "non-instrumentalist"),
}
#: Word order inside a name; genres come last, then "listeners".
_PHRASE_ORDER = (
    "age",
    "distress",
    "anxiety",
    "depression",
    "insomnia",
    "ocd",
    "hours_per_day",
    "genre_breadth",
    "exploratory",
    "instrumentalist",
)
_GENRE_WORDS: dict[str, str] = {
    "EDM": "EDM",
    "Hip hop": "hip-hop",
    "K pop": "K-pop",
    "Lofi": "lo-fi",
    "R&B": "R&B",
    "Video game music": "video-game-music",
}
_FREQ_TO_GENRE = dict(zip(FREQ_COLUMNS, GENRES, strict=True))

NAMING_RULE = (
    "For each persona, every interpretable variable (age, hours per day, the four 0-10 scores, "
    "exploratory and instrumentalist shares, genre breadth = mean frequency over the 16 genres, "
    "and each genre's frequency) gets a standardised difference d = (persona mean - population "
    "mean) / population SD. When at least three of the four scores pass the threshold in the "
    "same direction they merge into one 'distress' trait (d = mean of the four). Traits with "
    "|d| >= threshold are ranked by |d|; the name takes the strongest `max_traits` non-genre "
    "traits and the most over-represented genre (d >= threshold), in a fixed word order, "
    "ending in 'listeners' ('Typical listeners' when nothing passes). If two personas get the "
    "same name, each adds its next strongest trait (first those over the threshold, then the "
    "rest) until all names differ."
)


def _structure_label(silhouette: float) -> str:
    """Kaufman & Rousseeuw's reading of an average silhouette width."""
    if silhouette > 0.70:
        return "strong structure (silhouette > 0.70)"
    if silhouette > 0.50:
        return "reasonable structure (silhouette 0.51-0.70)"
    if silhouette > 0.25:
        return "weak structure, could be artificial (silhouette 0.26-0.50)"
    return (
        "no substantial cluster structure (silhouette <= 0.25): personas are a coarse "
        "summary of a continuum, not natural groups"
    )


def _genre_word(genre: str) -> str:
    return _GENRE_WORDS.get(genre, genre.lower())


# --- the naming rule ---------------------------------------------------------------------------


def _interpretable(frame: pd.DataFrame) -> pd.DataFrame:
    """The variables the naming rule reads, as floats (NaN where missing)."""
    out = pd.DataFrame(index=frame.index)
    for name in ("age", "hours_per_day", *SCORES):
        out[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    for name in ("exploratory", "instrumentalist"):
        out[name] = frame[name].astype("Float64").astype(float)
    freqs = frame[list(FREQ_COLUMNS)].astype(float)
    out["genre_breadth"] = freqs.mean(axis=1, skipna=True)
    for column in FREQ_COLUMNS:
        out[column] = freqs[column]
    return out


def trait_differences(frame: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Standardised differences (persona mean - population mean) / population SD.

    Returns a frame of shape (n_personas, n_variables) indexed by label, over the interpretable
    variables (age, hours, scores, shares, ``genre_breadth`` and the ``freq_*`` columns).
    """
    values = _interpretable(frame)
    sd = values.std(ddof=0).replace(0.0, np.nan)
    diffs = (values.groupby(np.asarray(labels)).mean() - values.mean()) / sd
    return diffs.fillna(0.0)


@dataclass(frozen=True)
class _Trait:
    key: str
    d: float

    @property
    def is_genre(self) -> bool:
        return self.key in _FREQ_TO_GENRE


def _ranked_traits(row: pd.Series, threshold: float) -> tuple[list[_Trait], list[_Trait]]:
    """(traits over the threshold, the rest) for one persona, each strongest first."""
    scores = [float(row[s]) for s in SCORES]
    candidates: list[_Trait] = []
    merged = any(sum(1 for d in scores if sign * d >= threshold) >= 3 for sign in (1.0, -1.0))
    if merged:
        candidates.append(_Trait("distress", float(np.mean(scores))))
    for key in TRAIT_PHRASES:
        if key == "distress" or (merged and key in SCORES):
            continue
        candidates.append(_Trait(key, float(row[key])))
    # Only over-represented genres describe a persona ("metal listeners"), never absent ones.
    candidates += [_Trait(c, float(row[c])) for c in FREQ_COLUMNS if float(row[c]) > 0]
    candidates.sort(key=lambda t: -abs(t.d))
    strong = [t for t in candidates if abs(t.d) >= threshold]
    weak = [t for t in candidates if abs(t.d) < threshold]
    return strong, weak


def _compose(traits: list[_Trait]) -> str:
    words = [
        TRAIT_PHRASES[t.key][0 if t.d > 0 else 1]
        for t in sorted(
            (t for t in traits if not t.is_genre), key=lambda t: _PHRASE_ORDER.index(t.key)
        )
    ]
    genres = [_genre_word(_FREQ_TO_GENRE[t.key]) for t in traits if t.is_genre]
    if genres:
        words.append(" and ".join(genres))
    if not words:
        return "Typical listeners"
    text = " ".join([*words, "listeners"])
    return text[0].upper() + text[1:]


def name_personas(diffs: pd.DataFrame, *, threshold: float = 0.3, max_traits: int = 2) -> list[str]:
    """Names for personas from their standardised differences (rows of ``trait_differences``).

    See ``NAMING_RULE``. Names are unique; the row order of ``diffs`` never enters a name.
    """
    chosen: list[list[_Trait]] = []
    reserve: list[list[_Trait]] = []
    for _, row in diffs.iterrows():
        strong, weak = _ranked_traits(row, threshold)
        general = [t for t in strong if not t.is_genre][:max_traits]
        genre = [t for t in strong if t.is_genre][:1]
        picked = general + genre
        chosen.append(picked)
        reserve.append([t for t in strong + weak if t not in picked])
    names = [_compose(traits) for traits in chosen]
    while len(set(names)) < len(names):
        progressed = False
        for name in {n for n in names if names.count(n) > 1}:
            for i, current in enumerate(names):
                if current == name and reserve[i]:
                    trait = reserve[i].pop(0)
                    if trait.is_genre and sum(t.is_genre for t in chosen[i]) >= 2:
                        continue
                    chosen[i].append(trait)
                    progressed = True
        names = [_compose(traits) for traits in chosen]
        if not progressed:
            break
    if len(set(names)) < len(names):  # identical centroids: say so rather than invent a trait
        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            seen[name] = seen.get(name, 0) + 1
            if names.count(name) > 1:
                names[i] = f"{name} (variant {seen[name]})"
    return names


# --- results -----------------------------------------------------------------------------------


@dataclass
class NearestRespondent:
    """A survey respondent close to the person in feature space."""

    row: int  #: 0-based row of the survey frame the model was fitted on
    distance: float  #: Euclidean distance over the person's answered standardised features
    persona: str
    music_effect: str | None


@dataclass
class PersonaAssignment:
    """Where one profile belongs: its persona, membership probabilities and map position."""

    persona: str
    probabilities: dict[str, float]
    x: float
    y: float
    nearest: list[NearestRespondent] = field(default_factory=list)
    imputed_fields: list[str] = field(default_factory=list)
    cold_start: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view."""
        return asdict(self)


# --- the model ---------------------------------------------------------------------------------


class PersonaModel(BaseEstimator):
    """Cluster survey respondents into named personas (KMeans-driven, GMM alongside, PCA map).

    Parameters
    ----------
    k_range
        Inclusive (low, high) range of cluster counts to try; low >= 2.
    k
        Use this many personas instead of the silhouette's choice (curves are still computed).
    n_init
        KMeans restarts per fit.
    gmm_covariance
        ``covariance_type`` of the Gaussian mixtures fitted for the BIC curve.
    gmm_reg_covar
        Variance floor added to every mixture component (features are standardised, so 0.1 is
        10% of the population variance). The answers are ordinal or yes/no: without a floor a
        component collapses onto one answer level and BIC rewards ever more components.
    stability_seeds
        How many random seeds to refit KMeans with at the chosen k for the stability ARI.
    name_threshold, max_traits
        Parameters of the naming rule (see ``NAMING_RULE``).
    n_nearest
        How many nearest respondents ``assign`` reports.
    random_state
        Seed of every random step.
    """

    def __init__(
        self,
        *,
        k_range: tuple[int, int] = (2, 8),
        k: int | None = None,
        n_init: int = 10,
        gmm_covariance: str = "diag",
        gmm_reg_covar: float = 0.1,
        stability_seeds: int = 10,
        name_threshold: float = 0.3,
        max_traits: int = 2,
        n_nearest: int = 5,
        random_state: int = 0,
    ) -> None:
        self.k_range = k_range
        self.k = k
        self.n_init = n_init
        self.gmm_covariance = gmm_covariance
        self.gmm_reg_covar = gmm_reg_covar
        self.stability_seeds = stability_seeds
        self.name_threshold = name_threshold
        self.max_traits = max_traits
        self.n_nearest = n_nearest
        self.random_state = random_state

    # -- fitting --------------------------------------------------------------------------------

    def _check_params(self, n_rows: int) -> list[int]:
        low, high = (int(v) for v in self.k_range)
        if low < 2 or high < low:
            raise InputError(
                "k_range must be (low, high) with 2 <= low <= high",
                field="k_range",
                value=self.k_range,
                allowed="e.g. (2, 8)",
            )
        if n_rows < 3:
            raise InputError(
                f"need at least 3 respondents to form personas, got {n_rows}", field="frame"
            )
        ks = [k for k in range(low, high + 1) if k < n_rows]
        if self.k is not None and not 2 <= self.k < n_rows:
            raise InputError(
                "k must be at least 2 and below the number of respondents",
                field="k",
                value=self.k,
                allowed=f"2-{n_rows - 1}",
            )
        return ks

    def fit(self, frame: pd.DataFrame, y: Any = None) -> PersonaModel:
        """Fit on a clean survey frame (``load_survey(...).frame`` or ``profiles_to_frame``)."""
        from threadpoolctl import threadpool_limits

        # Surveys are small (hundreds of rows): one thread is fastest, and OpenMP/BLAS thread
        # pools spinning on a busy machine made the same fit 20x slower.
        with threadpool_limits(limits=1):
            return self._fit(frame)

    def _fit(self, frame: pd.DataFrame) -> PersonaModel:
        from sklearn.cluster import KMeans
        from sklearn.decomposition import PCA
        from sklearn.metrics import adjusted_rand_score, silhouette_score
        from sklearn.mixture import GaussianMixture

        pipeline = survey_feature_pipeline(**_FEATURE_OPTIONS)
        columns = [c for block in pipeline.transformers for c in block[2]]
        check_feature_frame(frame, columns)
        ks = self._check_params(len(frame))
        frame = frame.reset_index(drop=True)
        matrix = np.asarray(pipeline.fit_transform(frame), dtype=float)
        self.feature_names_ = [str(n) for n in pipeline.get_feature_names_out()]
        self.input_columns_ = columns
        self.feature_mean_, self.feature_scale_, self.feature_fill_ = _affine_parameters(pipeline)

        silhouettes, bics, kmeans_fits = [], [], {}
        for k in ks:
            km = KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state)
            labels = km.fit_predict(matrix)
            kmeans_fits[k] = km
            silhouettes.append(float(silhouette_score(matrix, labels)))
            gmm = GaussianMixture(
                n_components=k,
                covariance_type=self.gmm_covariance,
                random_state=self.random_state,
                reg_covar=self.gmm_reg_covar,
                n_init=_GMM_N_INIT,
            ).fit(matrix)
            bics.append(float(gmm.bic(matrix)))
        silhouette_k = ks[int(np.argmax(silhouettes))]
        bic_k = ks[int(np.argmin(bics))]
        k = silhouette_k if self.k is None else int(self.k)
        if k not in kmeans_fits:
            kmeans_fits[k] = KMeans(
                n_clusters=k, n_init=self.n_init, random_state=self.random_state
            ).fit(matrix)
        chosen = kmeans_fits[k]
        labels = np.asarray(chosen.labels_, dtype=int)
        gmm_at_k = GaussianMixture(
            n_components=k,
            covariance_type=self.gmm_covariance,
            random_state=self.random_state,
            reg_covar=self.gmm_reg_covar,
            n_init=_GMM_N_INIT,
        ).fit(matrix)
        best_silhouette = max(silhouettes)
        self.selection_: dict[str, Any] = {
            "k_values": ks,
            "silhouette": silhouettes,
            "gmm_bic": bics,
            "gmm_covariance": self.gmm_covariance,
            "gmm_reg_covar": self.gmm_reg_covar,
            "silhouette_k": silhouette_k,
            "bic_k": bic_k,
            "chosen_k": k,
            "chosen_by": "silhouette (KMeans)" if self.k is None else "fixed k parameter",
            "kmeans_vs_gmm_ari": float(adjusted_rand_score(labels, gmm_at_k.predict(matrix))),
            "best_silhouette": best_silhouette,
            "structure": _structure_label(best_silhouette),
        }

        aris, subsample_aris = [], []
        rng = np.random.default_rng(self.random_state)
        for seed in range(1, self.stability_seeds + 1):
            other = KMeans(
                n_clusters=k, n_init=self.n_init, random_state=self.random_state + seed
            ).fit_predict(matrix)
            aris.append(float(adjusted_rand_score(labels, other)))
            # Refit on 80% of the respondents: do the same groups come back without the rest?
            rows = rng.choice(len(matrix), size=max(k + 1, int(0.8 * len(matrix))), replace=False)
            part = KMeans(
                n_clusters=k, n_init=self.n_init, random_state=self.random_state + seed
            ).fit_predict(matrix[rows])
            subsample_aris.append(float(adjusted_rand_score(labels[rows], part)))
        self.stability_: dict[str, Any] = {
            "seeds": self.stability_seeds,
            "reference_seed": self.random_state,
            "ari": aris,
            "mean_ari": float(np.mean(aris)) if aris else None,
            "min_ari": float(np.min(aris)) if aris else None,
            "subsample_fraction": 0.8,
            "subsample_ari": subsample_aris,
            "subsample_mean_ari": float(np.mean(subsample_aris)) if subsample_aris else None,
            "subsample_min_ari": float(np.min(subsample_aris)) if subsample_aris else None,
        }

        pca = PCA(n_components=2, random_state=self.random_state).fit(matrix)
        self.map_mean_ = np.asarray(pca.mean_, dtype=float)
        self.map_components_ = np.asarray(pca.components_, dtype=float)
        self.map_explained_variance_ = [float(v) for v in pca.explained_variance_ratio_]

        self.centers_ = np.asarray(chosen.cluster_centers_, dtype=float)
        self.temperature_ = float(chosen.inertia_) / (matrix.shape[0] * matrix.shape[1])
        diffs = trait_differences(frame, labels)
        self.names_ = name_personas(
            diffs, threshold=self.name_threshold, max_traits=self.max_traits
        )
        self.labels_ = labels
        self.train_matrix_ = matrix
        self.embedding_ = self._to_map(matrix)
        self.train_effects_: list[str | None] = (
            [None if pd.isna(e) else str(e) for e in frame["music_effects"]]
            if "music_effects" in frame.columns
            else [None] * len(frame)
        )
        self.profiles_ = _persona_profiles(
            frame, labels, self.names_, diffs, self.name_threshold, self.train_effects_
        )
        self.n_respondents_ = len(frame)
        self.moodtune_version_ = __version__
        return self

    # -- using a fitted model -------------------------------------------------------------------

    def _standardise(self, frame: pd.DataFrame) -> np.ndarray:
        """Standardised features with NaN where the answer is missing, (n_rows, n_features)."""
        check_is_fitted(self, "centers_")
        check_feature_frame(frame, self.input_columns_)
        raw = np.empty((len(frame), len(self.input_columns_)), dtype=float)
        for j, column in enumerate(self.input_columns_):
            values = frame[column]
            if column in BOOL_FIELDS:
                values = values.astype("boolean").astype("Float64")
            raw[:, j] = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
        return np.asarray((raw - self.feature_mean_) / self.feature_scale_)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The standardised feature matrix, shape (n_rows, n_features), as at fit time."""
        scaled = self._standardise(frame)
        return np.where(np.isnan(scaled), self.feature_fill_, scaled)

    def _to_map(self, matrix: np.ndarray) -> np.ndarray:
        return np.asarray((matrix - self.map_mean_) @ self.map_components_.T)

    def _log_membership(self, scaled: np.ndarray) -> np.ndarray:
        # Unanswered features are left out (marginalised), not imputed: the spherical Gaussian
        # behind the memberships factorises over features, so its marginal just drops them.
        diff = scaled[:, None, :] - self.centers_[None, :, :]
        sq = np.where(np.isnan(diff), 0.0, diff**2).sum(axis=2)
        logits = -sq / (2.0 * self.temperature_)
        return np.asarray(logits - logsumexp(logits, axis=1, keepdims=True))

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Persona index (into ``names_``) of each row, shape (n_rows,)."""
        return np.asarray(self._log_membership(self._standardise(frame)).argmax(axis=1))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Membership probabilities, shape (n_rows, n_personas), rows sum to 1."""
        return np.exp(self._log_membership(self._standardise(frame)))

    def map_position(self, frame: pd.DataFrame) -> np.ndarray:
        """Coordinates on the 2-D PCA map, shape (n_rows, 2)."""
        return self._to_map(self.transform(frame))

    def assign(self, profile: Profile) -> PersonaAssignment:
        """Persona, membership probabilities, map position and nearest respondents of a profile."""
        check_is_fitted(self, "centers_")
        frame = profiles_to_frame([profile])
        scaled = self._standardise(frame)
        observed = ~np.isnan(scaled[0])
        proba = np.exp(self._log_membership(scaled))[0]
        best = int(proba.argmax())
        x, y = self._to_map(np.where(observed, scaled, self.feature_fill_))[0]
        gaps = self.train_matrix_[:, observed] - scaled[0, observed]
        distances = np.sqrt((gaps**2).sum(axis=1))
        order = np.argsort(distances, kind="stable")[: self.n_nearest]
        nearest = [
            NearestRespondent(
                row=int(i),
                distance=float(distances[i]),
                persona=self.names_[int(self.labels_[i])],
                music_effect=self.train_effects_[int(i)],
            )
            for i in order
        ]
        record = frame.iloc[0]
        imputed = [c for c in self.input_columns_ if pd.isna(record[c])]
        cold = not profile.has_genre_answers
        details: dict[str, Any] = {
            "map_explained_variance": self.map_explained_variance_,
            "probabilities_from": "softmax over squared distances to KMeans centroids",
            "features_used": int(observed.sum()),
            "features_total": len(observed),
        }
        if imputed:
            details["note"] = (
                f"{len(imputed)} unanswered field(s) were left out of the persona choice and the "
                "nearest respondents, and set to the survey median on the map; with fewer "
                "answers the probabilities are flatter"
            )
        return PersonaAssignment(
            persona=self.names_[best],
            probabilities={n: float(p) for n, p in zip(self.names_, proba, strict=True)},
            x=float(x),
            y=float(y),
            nearest=nearest,
            imputed_fields=imputed,
            cold_start=cold,
            details=details,
        )

    # -- persistence ----------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the learned state to ``path`` (.npz of arrays + JSON header; no pickle)."""
        check_is_fitted(self, "centers_")
        path = Path(path)
        header = {
            "format": "moodtune.personas",
            "format_version": FORMAT_VERSION,
            "moodtune_version": self.moodtune_version_,
            "params": to_jsonable(self.get_params()),
            "feature_names": self.feature_names_,
            "input_columns": self.input_columns_,
            "names": self.names_,
            "temperature": self.temperature_,
            "selection": self.selection_,
            "stability": self.stability_,
            "map_explained_variance": self.map_explained_variance_,
            "profiles": self.profiles_,
            "n_respondents": self.n_respondents_,
            "train_effects": self.train_effects_,
        }
        arrays = {
            "centers": self.centers_,
            "labels": self.labels_,
            "train_matrix": self.train_matrix_,
            "embedding": self.embedding_,
            "feature_mean": self.feature_mean_,
            "feature_scale": self.feature_scale_,
            "feature_fill": self.feature_fill_,
            "map_mean": self.map_mean_,
            "map_components": self.map_components_,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
        os.close(fd)
        try:
            arrays["header"] = np.array(json.dumps(to_jsonable(header)))
            np.savez_compressed(tmp, allow_pickle=False, **arrays)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path

    @classmethod
    def load(cls, path: str | Path) -> PersonaModel:
        """Read a model written by ``save``; refuses other formats and versions clearly."""
        path = Path(path)
        if not path.is_file():
            raise InputError("persona model file not found", file=str(path))
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(str(data["header"]))
                arrays = {k: np.asarray(data[k]) for k in data.files if k != "header"}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise InputError(
                f"not a moodtune persona model file ({exc})",
                file=str(path),
                allowed="a .npz written by PersonaModel.save",
            ) from None
        if header.get("format") != "moodtune.personas":
            raise InputError(
                "not a moodtune persona model file",
                file=str(path),
                field="format",
                value=header.get("format"),
                allowed="moodtune.personas",
            )
        if header.get("format_version") != FORMAT_VERSION:
            raise InputError(
                f"persona model written by moodtune {header.get('moodtune_version')} in format "
                f"version {header.get('format_version')}, which this moodtune ({__version__}) "
                "cannot read; refit it (delete the file, or run the command again with a fresh "
                "model directory)",
                file=str(path),
                field="format_version",
                value=header.get("format_version"),
                allowed=str(FORMAT_VERSION),
            )
        params = header["params"]
        params["k_range"] = tuple(params["k_range"])
        model = cls(**params)
        model.feature_names_ = header["feature_names"]
        model.input_columns_ = header["input_columns"]
        model.names_ = header["names"]
        model.temperature_ = float(header["temperature"])
        model.selection_ = header["selection"]
        model.stability_ = header["stability"]
        model.map_explained_variance_ = header["map_explained_variance"]
        model.profiles_ = header["profiles"]
        model.n_respondents_ = int(header["n_respondents"])
        model.train_effects_ = header["train_effects"]
        model.moodtune_version_ = header["moodtune_version"]
        model.centers_ = arrays["centers"]
        model.labels_ = arrays["labels"].astype(int)
        model.train_matrix_ = arrays["train_matrix"]
        model.embedding_ = arrays["embedding"]
        model.feature_mean_ = arrays["feature_mean"]
        model.feature_scale_ = arrays["feature_scale"]
        model.feature_fill_ = arrays["feature_fill"]
        model.map_mean_ = arrays["map_mean"]
        model.map_components_ = arrays["map_components"]
        return model


def _affine_parameters(pipeline: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per input column (mean, scale, fill) of the fitted feature pipeline (no indicators).

    The persona features are ``(x - mean) / scale`` with NaN replaced by ``fill``; keeping these
    three vectors lets a saved model transform new profiles without pickling sklearn objects.
    """
    means, scales, fills = [], [], []
    for _, block, _columns in pipeline.transformers_:
        if block == "drop":
            continue
        scaler = block.named_steps["scale"]
        imputer = block.named_steps["impute"]
        means.append(np.asarray(scaler.mean_, dtype=float))
        scales.append(np.asarray(scaler.scale_, dtype=float))
        fills.append(np.asarray(imputer.statistics_, dtype=float))
    mean, scale, fill = np.concatenate(means), np.concatenate(scales), np.concatenate(fills)
    # A column that was empty at fit has no mean; it always takes the fill value (0).
    fill = np.where(np.isnan(fill), 0.0, fill)
    return np.nan_to_num(mean), np.where(np.isnan(scale) | (scale == 0), 1.0, scale), fill


def _persona_profiles(
    frame: pd.DataFrame,
    labels: np.ndarray,
    names: list[str],
    diffs: pd.DataFrame,
    threshold: float,
    effects: list[str | None],
) -> list[dict[str, Any]]:
    """Size and profile of each persona, JSON-friendly, biggest first."""
    values = _interpretable(frame)
    effect_series = pd.Series(effects, dtype=object)
    out = []
    for index, name in enumerate(names):
        members = labels == index
        group = values[members]
        row = pd.Series(diffs.loc[index])
        genres: list[dict[str, Any]] = sorted(
            (
                {
                    "genre": _FREQ_TO_GENRE[c],
                    "mean_frequency": float(group[c].mean()),
                    "std_diff": float(row[c]),
                }
                for c in FREQ_COLUMNS
            ),
            key=lambda g: -float(g["std_diff"]),
        )
        labelled = effect_series[members].dropna()
        effect_counts = {
            e: {
                "n": int((labelled == e).sum()),
                "share": float((labelled == e).mean()) if len(labelled) else None,
            }
            for e in EFFECTS
        }
        fav = frame.loc[members, "fav_genre"].dropna().value_counts().head(3)
        strong, _ = _ranked_traits(row, threshold)
        out.append(
            {
                "name": name,
                "size": int(members.sum()),
                "share": float(members.mean()),
                "means": {
                    c: to_jsonable(float(group[c].mean()))
                    for c in ("age", "hours_per_day", *SCORES, "genre_breadth")
                },
                "shares": {
                    c: to_jsonable(float(group[c].mean()))
                    for c in ("exploratory", "instrumentalist")
                },
                "traits": [{"variable": t.key, "std_diff": t.d} for t in strong if not t.is_genre],
                "top_genres": sorted(genres, key=lambda g: -float(g["mean_frequency"]))[:3],
                "over_represented_genres": [g for g in genres if g["std_diff"] >= threshold][:3],
                "favourite_genres": [{"genre": str(g), "n": int(n)} for g, n in fav.items()],
                "music_effects": {"labelled": len(labelled), **effect_counts},
            }
        )
    return sorted(out, key=lambda p: -p["size"])


# --- caching, reporting, assignment -------------------------------------------------------------


_CACHE_FILE = "personas.npz"


def _cache_dir(frame: pd.DataFrame, model: PersonaModel, settings: Settings) -> Path:
    params = json.dumps(to_jsonable(model.get_params()), sort_keys=True)
    key = hashlib.sha256(f"{params}|{FORMAT_VERSION}".encode()).hexdigest()[:10]
    return settings.model_dir / f"personas-{survey_checksum(frame)[:16]}-{key}"


def load_or_fit_personas(
    frame: pd.DataFrame | None = None,
    *,
    settings: Settings | None = None,
    model: PersonaModel | None = None,
    refit: bool = False,
) -> PersonaModel:
    """The persona model for a survey, cached in ``settings.model_dir`` by survey checksum.

    ``frame`` defaults to the public MxMH survey; ``model`` to ``PersonaModel(random_state=
    settings.random_state)``. A cached model that fails its manifest check or is of an
    incompatible format is refitted and replaced, with a warning (see ``moodtune.artefacts``).
    """
    settings = settings or get_settings()
    if frame is None:
        frame = load_survey(settings=settings).frame
    template = model if model is not None else PersonaModel(random_state=settings.random_state)
    survey_frame = frame
    return load_or_build(
        _cache_dir(frame, template, settings),
        files=(_CACHE_FILE,),
        build=lambda staged: template.fit(survey_frame).save(staged / _CACHE_FILE),
        load=lambda folder: PersonaModel.load(folder / _CACHE_FILE),
        what="the persona model",
        rebuild_on=(DataIntegrityError, InputError),
        refresh=refit,
    )


def persona_report(
    model: PersonaModel | None = None, *, settings: Settings | None = None
) -> dict[str, Any]:
    """The persona section of ``moodtune survey report`` as a JSON-serialisable dict."""
    if model is None:
        model = load_or_fit_personas(settings=settings)
    check_is_fitted(model, "centers_")
    return to_jsonable(
        {
            "method": {
                "features": model.feature_names_,
                "clustering": "KMeans drives the personas; a Gaussian mixture is fitted "
                "alongside for the BIC curve and agreement",
                "k_choice": model.selection_["chosen_by"],
                "memberships": "softmax over squared distances to KMeans centroids, "
                "temperature = pooled within-cluster variance",
                "map": "PCA of the standardised feature matrix",
                "naming_rule": NAMING_RULE,
                "name_threshold": model.name_threshold,
            },
            "n_respondents": model.n_respondents_,
            "k_selection": model.selection_,
            "stability": model.stability_,
            "map": {"method": "PCA", "explained_variance_ratio": model.map_explained_variance_},
            "personas": model.profiles_,
            "moodtune_version": model.moodtune_version_,
        }
    )


def assign_persona(
    profile: Profile, model: PersonaModel | None = None, *, settings: Settings | None = None
) -> PersonaAssignment:
    """Assign one profile to a persona (fits or loads the cached default model when needed)."""
    if model is None:
        model = load_or_fit_personas(settings=settings)
    return model.assign(profile)


def persona_map_figure(
    model: PersonaModel,
    *,
    assignment: PersonaAssignment | None = None,
    html_path: str | Path | None = None,
) -> go.Figure:
    """A Plotly scatter of respondents on the 2-D map, coloured by persona, person marked."""
    import plotly.graph_objects as go

    check_is_fitted(model, "centers_")
    figure = go.Figure()
    for index, name in enumerate(model.names_):
        members = model.labels_ == index
        figure.add_trace(
            go.Scatter(
                x=model.embedding_[members, 0],
                y=model.embedding_[members, 1],
                mode="markers",
                name=f"{name} (n={int(members.sum())})",
                marker={"size": 6, "opacity": 0.6},
                hovertemplate=f"{name}<extra></extra>",
            )
        )
    if assignment is not None:
        figure.add_trace(
            go.Scatter(
                x=[assignment.x],
                y=[assignment.y],
                mode="markers",
                name=f"You: {assignment.persona}",
                marker={
                    "size": 18,
                    "symbol": "star",
                    "color": "black",
                    "line": {"width": 1, "color": "white"},
                },
            )
        )
    pc1, pc2 = (100 * v for v in model.map_explained_variance_)
    figure.update_layout(
        title="Listener personas (PCA map of survey respondents)",
        xaxis_title=f"PC1 ({pc1:.0f}% of variance)",
        yaxis_title=f"PC2 ({pc2:.0f}% of variance)",
        legend_title="Persona",
        template="plotly_white",
    )
    if html_path is not None:
        figure.write_html(str(html_path), include_plotlyjs=True)
    return figure
