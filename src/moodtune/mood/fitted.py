"""The track mood model fitted to human ratings, with a per-track uncertainty.

:class:`ResidualMoodModel` starts from the documented prior (:class:`TrackMoodModel`, the
hand-weighted mix of Spotify's valence, mode, energy, tempo and loudness) and learns, per
axis, a ridge-regression correction from ten audio terms to the part of the human ratings
the prior misses:

    position = clip(prior(x) + b + w · z(x), -1, 1)

where ``z(x)`` are the terms of :data:`RESIDUAL_TERMS` standardised on the training tracks.
The ridge penalty ``alpha`` *is* the shrinkage toward the prior (a huge ``alpha`` gives back
the prior plus a constant); it is chosen per axis by ``cv``-fold cross-validation on the
training rows only, so an evaluation that fits this model inside its outer folds stays
nested. Genres and release year are deliberately not inputs: the ratings come from one
population (chart pop), and a correction keyed to its genres would not carry to others
(``moodtune mood evaluate`` measures this).

**Spread.** A ridge prediction is pulled toward the mean (by how much it cannot explain),
so its positions would crowd the middle of the plane, and a journey toward "calm" would
find few calm tracks. With ``match_spread`` (the default) each axis is stretched about its
mean by ``stretch_ = sd(ratings) / sd(out-of-fold predictions)``, measured on the training
rows: the linear rescaling that maximises concordance (CCC) with the ratings. It changes no
ranking (ρ and r are the same), lowers R², and keeps the plane's regions populated.

**Uncertainty.** Each track's standard error per axis is
``sd(x) = s · sqrt(1 + 1/n + z(x)ᵀ (ZᵀZ + alpha·I)⁻¹ z(x))``: ``s`` is the cross-validated
residual spread (how far a typical rating falls from the prediction), and the leverage term
grows where a track's features lie far from the rated songs (an instrumental piano piece
among chart pop). ``mood_uncertainty`` is the root mean square of the two axes' ``sd``; a
track is *uncertain* when it exceeds ``uncertain_above_``, the 90th percentile of the
training tracks' own values (:data:`UNCERTAIN_QUANTILE`).

The model is stored as JSON (:func:`save_model` / :func:`load_model`), with its format
number; a file of another format or kind is refused. The default model shipped in the
package (``default_mood_model.json``) is written by ``moodtune mood fit`` from the PMEmo
ratings, and that command reproduces it bit for bit.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from moodtune.config import Settings
from moodtune.errors import InputError, check_is_fitted
from moodtune.mood.estimator import (
    AROUSAL_TERMS,
    LOUDNESS_ANCHORS_DB,
    PRIOR_AROUSAL_WEIGHTS,
    PRIOR_VALENCE_WEIGHTS,
    TEMPO_ANCHORS_BPM,
    VALENCE_TERMS,
    TrackMoodModel,
    mood_terms,
)

if TYPE_CHECKING:
    from moodtune.mood.ratings import RatingsJoin

__all__ = [
    "DEFAULT_ALPHAS",
    "FITTED_MODEL_FORMAT",
    "REFIT_RTOL",
    "RESIDUAL_TERMS",
    "UNCERTAIN_QUANTILE",
    "ResidualMoodModel",
    "default_model_path",
    "fit_default_model",
    "load_default_model",
    "load_model",
    "residual_terms",
    "same_model_json",
    "save_model",
]

FITTED_MODEL_FORMAT = 2
MODEL_KIND = "ResidualMoodModel"
DEFAULT_ALPHAS: tuple[float, ...] = tuple(float(a) for a in np.logspace(-1, 5, 25))
UNCERTAIN_QUANTILE = 0.9
#: Inputs of the correction: the prior's five terms and five more texture features, each
#: mapped onto [-1, 1] (the skewed ones through a square root first).
RESIDUAL_TERMS: tuple[str, ...] = (
    "valence",
    "mode",
    "energy",
    "tempo",
    "loudness",
    "danceability",
    "acousticness",
    "speechiness",
    "instrumentalness",
    "liveness",
)
_SQRT_TERMS = frozenset({"acousticness", "speechiness", "instrumentalness", "liveness"})
DEFAULT_MODEL_FILE = "default_mood_model.json"


def residual_terms(X: pd.DataFrame) -> np.ndarray:
    """(n, 10) array of :data:`RESIDUAL_TERMS` in [-1, 1]; NaN where a feature is missing.

    Parameters
    ----------
    X : DataFrame with Spotify audio-feature columns (valence, energy, danceability,
        acousticness, speechiness, instrumentalness, liveness in [0, 1]; mode 0/1; tempo in
        BPM; loudness in dB).
    """
    terms = mood_terms(X)
    missing = [c for c in RESIDUAL_TERMS[5:] if c not in X.columns]
    if missing:
        raise InputError(
            f"audio feature column(s) {missing} missing",
            field=", ".join(missing),
            allowed=", ".join(RESIDUAL_TERMS),
        )
    for name in RESIDUAL_TERMS[5:]:
        values = np.clip(pd.to_numeric(X[name], errors="coerce").to_numpy(dtype=float), 0, 1)
        terms[name] = 2.0 * (np.sqrt(values) if name in _SQRT_TERMS else values) - 1.0
    return np.column_stack([terms[n] for n in RESIDUAL_TERMS])


def _ridge(z: np.ndarray, r: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Ridge coefficients and intercept for centred-by-intercept data (closed form)."""
    mean_z, mean_r = z.mean(axis=0), r.mean()
    zc = z - mean_z
    w = np.linalg.solve(zc.T @ zc + alpha * np.eye(z.shape[1]), zc.T @ (r - mean_r))
    return w, float(mean_r - mean_z @ w)


def _folds(n: int, cv: int, random_state: int) -> list[np.ndarray]:
    order = np.random.default_rng(random_state).permutation(n)
    return [order[i::cv] for i in range(cv)]


@dataclass
class ResidualMoodModel:
    """Prior + ridge correction fitted to ratings, with per-track uncertainty (module doc).

    Parameters
    ----------
    alphas : ridge penalties tried per axis (larger: closer to the prior).
    cv : folds of the inner cross-validation that chooses ``alpha`` and measures ``s``.
    match_spread : stretch each axis about its mean so that the spread of the
        out-of-fold predictions equals the ratings' (module docstring); ranks are unchanged.
    random_state : seed of the inner folds.
    """

    alphas: tuple[float, ...] = DEFAULT_ALPHAS
    cv: int = 5
    match_spread: bool = True
    random_state: int = 0

    def fit(self, X: pd.DataFrame, y: np.ndarray | None = None) -> ResidualMoodModel:
        """Fit to ratings ``y`` ((n, 2) valence, arousal in [-1, 1]); returns ``self``."""
        if y is None:
            raise InputError(
                "ResidualMoodModel is fitted to human ratings; got none",
                field="y",
                allowed="an (n, 2) array of (valence, arousal) ratings in [-1, 1]",
            )
        target = np.asarray(y, dtype=float)
        if target.shape != (len(X), 2):
            raise InputError(
                f"ratings must have shape ({len(X)}, 2), got {target.shape}",
                field="y",
                allowed="n x 2 array of (valence, arousal) in [-1, 1]",
            )
        prior = TrackMoodModel().fit(X).predict(X)
        terms = residual_terms(X)
        ok = np.isfinite(terms).all(axis=1) & np.isfinite(prior).all(axis=1)
        ok &= np.isfinite(target).all(axis=1)
        if ok.sum() < max(2 * self.cv, terms.shape[1] + 2):
            raise InputError(
                f"too few complete rated tracks ({int(ok.sum())}) to fit the mood model",
                field="X",
                allowed=f"at least {max(2 * self.cv, terms.shape[1] + 2)}",
            )
        terms, prior, target = terms[ok], prior[ok], target[ok]
        self.mean_ = terms.mean(axis=0)
        scale = terms.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        z = (terms - self.mean_) / self.scale_
        residual = target - prior
        folds = _folds(len(z), self.cv, self.random_state)
        coef, intercept, alpha, spread, stretch, centres = [], [], [], [], [], []
        for axis in range(2):
            errors = np.zeros((len(self.alphas), len(z)))
            for test in folds:
                train = np.setdiff1d(np.arange(len(z)), test)
                for i, a in enumerate(self.alphas):
                    w, b = _ridge(z[train], residual[train, axis], a)
                    guess = np.clip(prior[test, axis] + b + z[test] @ w, -1, 1)
                    errors[i, test] = target[test, axis] - guess
            best = int(np.argmin((errors**2).mean(axis=1)))
            w, b = _ridge(z, residual[:, axis], self.alphas[best])
            out_of_fold = target[:, axis] - errors[best]
            factor = 1.0
            if self.match_spread and out_of_fold.std() > 0:
                factor = float(target[:, axis].std() / out_of_fold.std())
            fitted = prior[:, axis] + b + z @ w
            centre = float(fitted.mean())
            stretched = centre + factor * (out_of_fold - centre)
            coef.append(w)
            intercept.append(b)
            alpha.append(self.alphas[best])
            stretch.append(factor)
            centres.append(centre)
            spread.append(float(np.sqrt(((target[:, axis] - stretched) ** 2).mean())))
        self.coef_ = np.asarray(coef)
        self.intercept_ = np.asarray(intercept)
        self.alpha_ = np.asarray(alpha)
        self.stretch_ = np.asarray(stretch)
        self.centre_ = np.asarray(centres)
        self.residual_sd_ = np.asarray(spread)
        self.n_train_ = len(z)
        zc = z - z.mean(axis=0)
        self.precision_ = np.stack(
            [np.linalg.inv(zc.T @ zc + a * np.eye(z.shape[1])) for a in self.alpha_]
        )
        self.center_ = z.mean(axis=0)
        train_sd = self._sd_from_z(z)
        self.uncertain_above_ = float(np.quantile(_rms(train_sd), UNCERTAIN_QUANTILE))
        return self

    def _sd_from_z(self, z: np.ndarray) -> np.ndarray:
        zc = z - self.center_
        leverage = np.stack([np.einsum("ij,jk,ik->i", zc, p, zc) for p in self.precision_], 1)
        return self.residual_sd_ * np.sqrt(1.0 + 1.0 / self.n_train_ + self.stretch_**2 * leverage)

    def _z(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return (residual_terms(X) - self.mean_) / self.scale_

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """(n, 2) array of (valence, arousal) in [-1, 1]; NaN rows where a feature is missing."""
        z = self._z(X)
        prior = TrackMoodModel().fit(X).predict(X)
        shrunk = prior + self.intercept_ + z @ self.coef_.T
        return np.clip(self.centre_ + self.stretch_ * (shrunk - self.centre_), -1.0, 1.0)

    def predict_sd(self, X: pd.DataFrame) -> np.ndarray:
        """(n, 2) standard error of each axis's position (same units as the plane)."""
        return self._sd_from_z(self._z(X))

    def predict_uncertainty(self, X: pd.DataFrame) -> np.ndarray:
        """(n,) root mean square of the two axes' standard errors."""
        return _rms(self.predict_sd(X))

    def describe(self) -> dict[str, Any]:
        """A short JSON-ready summary (what ``moodtune catalog info`` shows)."""
        check_is_fitted(self, "coef_")
        return {
            "model": MODEL_KIND,
            "format": FITTED_MODEL_FORMAT,
            "fitted_on": f"{self.n_train_} human-rated songs (PMEmo)",
            "alpha": self.alpha_.tolist(),
            "stretch": self.stretch_.tolist(),
            "residual_sd": self.residual_sd_.tolist(),
            "uncertain_above": self.uncertain_above_,
            "correction": {
                axis: dict(zip(RESIDUAL_TERMS, (self.coef_[i] / self.scale_).tolist(), strict=True))
                for i, axis in enumerate(("valence", "arousal"))
            },
        }

    def to_dict(self) -> dict[str, Any]:
        """The fitted parameters as JSON-ready data (no pickle), with the format number."""
        check_is_fitted(self, "coef_")
        return {
            "format": FITTED_MODEL_FORMAT,
            "model": MODEL_KIND,
            "prior": _prior_description(),
            "terms": list(RESIDUAL_TERMS),
            "params": {
                "alphas": list(self.alphas),
                "cv": self.cv,
                "match_spread": self.match_spread,
                "random_state": self.random_state,
            },
            "mean": self.mean_.tolist(),
            "scale": self.scale_.tolist(),
            "center": self.center_.tolist(),
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_.tolist(),
            "alpha": self.alpha_.tolist(),
            "stretch": self.stretch_.tolist(),
            "centre": self.centre_.tolist(),
            "residual_sd": self.residual_sd_.tolist(),
            "n_train": self.n_train_,
            "precision": self.precision_.tolist(),
            "uncertain_above": self.uncertain_above_,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "model data") -> ResidualMoodModel:
        """Rebuild a model from :meth:`to_dict` output; refuses another kind or format."""
        if data.get("model") != MODEL_KIND or data.get("format") != FITTED_MODEL_FORMAT:
            raise InputError(
                "not a mood model file of a supported format",
                file=source,
                value=f"{data.get('model')} format {data.get('format')}",
                allowed=f"{MODEL_KIND} format {FITTED_MODEL_FORMAT}",
            )
        if list(data.get("terms", [])) != list(RESIDUAL_TERMS):
            raise InputError(
                "the mood model file was fitted on other inputs",
                file=source,
                value=", ".join(map(str, data.get("terms", []))),
                allowed=", ".join(RESIDUAL_TERMS),
            )
        if data.get("prior") != _prior_description():
            raise InputError(
                "the mood model file was fitted on top of other prior weights",
                file=source,
                value=json.dumps(data.get("prior")),
                allowed=json.dumps(_prior_description()),
            )
        params = data["params"]
        model = cls(
            alphas=tuple(float(a) for a in params["alphas"]),
            cv=int(params["cv"]),
            match_spread=bool(params["match_spread"]),
            random_state=int(params["random_state"]),
        )
        model.mean_ = np.asarray(data["mean"], dtype=float)
        model.scale_ = np.asarray(data["scale"], dtype=float)
        model.center_ = np.asarray(data["center"], dtype=float)
        model.coef_ = np.asarray(data["coef"], dtype=float)
        model.intercept_ = np.asarray(data["intercept"], dtype=float)
        model.alpha_ = np.asarray(data["alpha"], dtype=float)
        model.stretch_ = np.asarray(data["stretch"], dtype=float)
        model.centre_ = np.asarray(data["centre"], dtype=float)
        model.residual_sd_ = np.asarray(data["residual_sd"], dtype=float)
        model.n_train_ = int(data["n_train"])
        model.precision_ = np.asarray(data["precision"], dtype=float)
        model.uncertain_above_ = float(data["uncertain_above"])
        return model


def _prior_description() -> dict[str, Any]:
    return {
        "valence_terms": dict(zip(VALENCE_TERMS, PRIOR_VALENCE_WEIGHTS, strict=True)),
        "arousal_terms": dict(zip(AROUSAL_TERMS, PRIOR_AROUSAL_WEIGHTS, strict=True)),
        "tempo_anchors_bpm": list(TEMPO_ANCHORS_BPM),
        "loudness_anchors_db": list(LOUDNESS_ANCHORS_DB),
    }


def _rms(sd: np.ndarray) -> np.ndarray:
    return np.sqrt((sd**2).mean(axis=1))


def model_json(model: ResidualMoodModel) -> str:
    """The exact text :func:`save_model` writes (stable key order, full float precision)."""
    return json.dumps(model.to_dict(), indent=1) + "\n"


REFIT_RTOL = 1e-9
"""How closely a refit must match the shipped model: numpy and BLAS builds round the last
digit or two of a float differently (``np.logspace`` moved one ulp between numpy releases),
so a refit elsewhere is equal up to rounding, not byte for byte."""


def same_model_json(a: str, b: str, *, rtol: float = REFIT_RTOL) -> bool:
    """Whether two model files hold the same model: the same keys, texts and shapes, and
    numbers equal within ``rtol`` (relative; 1e-12 absolute near zero)."""

    def same(x: Any, y: Any) -> bool:
        if isinstance(x, dict) and isinstance(y, dict):
            return x.keys() == y.keys() and all(same(x[k], y[k]) for k in x)
        if isinstance(x, list) and isinstance(y, list):
            return len(x) == len(y) and all(same(p, q) for p, q in zip(x, y, strict=True))
        if isinstance(x, bool) or isinstance(y, bool):
            return x is y
        if isinstance(x, int | float) and isinstance(y, int | float):
            return math.isclose(x, y, rel_tol=rtol, abs_tol=1e-12)
        return bool(x == y)

    return same(json.loads(a), json.loads(b))


def save_model(model: ResidualMoodModel, path: Path) -> None:
    """Write ``model`` as JSON to ``path``."""
    path.write_text(model_json(model))


def load_model(path: Path) -> ResidualMoodModel:
    """Read a model written by :func:`save_model`; other formats are refused by name."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"not a readable mood model file ({exc})", file=str(path)) from None
    if not isinstance(data, dict):
        raise InputError("not a mood model file (not a JSON object)", file=str(path))
    return ResidualMoodModel.from_dict(data, source=str(path))


def default_model_path() -> Path:
    """Where the shipped default model lives inside the package."""
    return Path(str(resources.files("moodtune.mood").joinpath(DEFAULT_MODEL_FILE)))


_DEFAULT: list[ResidualMoodModel] = []


def load_default_model() -> ResidualMoodModel:
    """The shipped default model (read once per process)."""
    if not _DEFAULT:
        _DEFAULT.append(load_model(default_model_path()))
    return _DEFAULT[0]


def fit_default_model(*, settings: Settings | None = None) -> tuple[ResidualMoodModel, RatingsJoin]:
    """Fit the default model exactly as shipped: PMEmo joined to the default catalog, seed 0."""
    from moodtune.mood.ratings import rated_default_tracks

    joined = rated_default_tracks(settings=settings)
    ratings = joined.matched[["rated_valence", "rated_arousal"]].to_numpy(dtype=float)
    return ResidualMoodModel(random_state=0).fit(joined.matched, ratings), joined
