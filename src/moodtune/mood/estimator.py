"""The prior track mood model: a documented hand-weighted mix of audio features.

Catalog positions come from :class:`moodtune.mood.fitted.ResidualMoodModel`, fitted to human
ratings on top of this prior; the prior stays as its base and as a baseline in
``moodtune mood evaluate``. It rests on Spotify's own ``valence`` and ``energy``
estimates (themselves models Spotify fitted to its listeners' judgements, undocumented in
detail), adjusted by other features with weights chosen by moodtune:

* valence = 0.85 · (2·valence − 1) + 0.15 · (2·mode − 1)
  (major mode reads slightly more positive: Gabrielsson & Lindström 2010 review).
* arousal = 0.6 · (2·energy − 1) + 0.2 · tempo_term + 0.2 · loudness_term, where
  tempo_term maps 60–180 BPM linearly onto [-1, 1] and loudness_term maps -30…-3 dB onto
  [-1, 1] (both clipped). Energy, tempo and loudness are the features most consistently
  linked to perceived arousal (e.g. Gabrielsson & Lindström 2010; Eerola & Vuoskoski 2013).

Each term lies in [-1, 1] and the weights of each axis sum to 1, so the result always lies
in [-1, 1] without clipping. The anchors are absolute (not catalog percentiles), so a track
gets the same position in any catalog.

The model is swappable: anything with ``fit(X, y=None)`` and ``predict(X) -> (n, 2)`` can
replace it (``MoodModel`` protocol). Given human ratings ``y`` (n × 2, in [-1, 1]),
``TrackMoodModel.fit`` re-fits the term weights by least squares; without ``y`` it keeps the
documented prior weights.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from moodtune.errors import InputError, check_is_fitted

__all__ = [
    "MOOD_MODEL_FORMAT",
    "REQUIRED_FEATURES",
    "MoodModel",
    "TrackMoodModel",
    "mood_terms",
]

MOOD_MODEL_FORMAT = 1
REQUIRED_FEATURES: tuple[str, ...] = ("valence", "mode", "energy", "tempo", "loudness")
VALENCE_TERMS: tuple[str, ...] = ("valence", "mode")
AROUSAL_TERMS: tuple[str, ...] = ("energy", "tempo", "loudness")
PRIOR_VALENCE_WEIGHTS: tuple[float, ...] = (0.85, 0.15)
PRIOR_AROUSAL_WEIGHTS: tuple[float, ...] = (0.6, 0.2, 0.2)
TEMPO_ANCHORS_BPM: tuple[float, float] = (60.0, 180.0)
LOUDNESS_ANCHORS_DB: tuple[float, float] = (-30.0, -3.0)


class MoodModel(Protocol):
    """What the catalog needs from a track mood model."""

    def fit(self, X: pd.DataFrame, y: np.ndarray | None = None) -> MoodModel: ...

    def predict(self, X: pd.DataFrame) -> np.ndarray: ...


def _linear(values: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(2.0 * (values - low) / (high - low) - 1.0, -1.0, 1.0)


def mood_terms(X: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each feature mapped onto [-1, 1], the inputs of the two linear models.

    Parameters
    ----------
    X : DataFrame with columns ``REQUIRED_FEATURES`` (Spotify units: valence, energy in
        [0, 1]; mode 0/1; tempo in BPM; loudness in dB). Missing values give NaN terms.
    """
    missing = [c for c in REQUIRED_FEATURES if c not in X.columns]
    if missing:
        raise InputError(
            f"audio feature column(s) {missing} missing",
            field=", ".join(missing),
            allowed=", ".join(REQUIRED_FEATURES),
        )

    def col(name: str) -> np.ndarray:
        return pd.to_numeric(X[name], errors="coerce").to_numpy(dtype=float)

    return {
        "valence": np.clip(2.0 * col("valence") - 1.0, -1.0, 1.0),
        "mode": np.clip(2.0 * col("mode") - 1.0, -1.0, 1.0),
        "energy": np.clip(2.0 * col("energy") - 1.0, -1.0, 1.0),
        "tempo": _linear(col("tempo"), *TEMPO_ANCHORS_BPM),
        "loudness": _linear(col("loudness"), *LOUDNESS_ANCHORS_DB),
    }


@dataclass
class TrackMoodModel:
    """Audio features -> (valence, arousal) in [-1, 1]: a documented linear model of terms.

    ``fit(X)`` keeps the prior weights (module docstring); ``fit(X, y)`` with human ratings
    ``y`` (n × 2) fits each axis's term weights by least squares. ``predict`` returns an
    (n, 2) float array, NaN for rows with a missing feature.
    """

    valence_weights: tuple[float, ...] = PRIOR_VALENCE_WEIGHTS
    arousal_weights: tuple[float, ...] = PRIOR_AROUSAL_WEIGHTS

    def fit(self, X: pd.DataFrame, y: np.ndarray | None = None) -> TrackMoodModel:
        terms = mood_terms(X)
        if y is None:
            self.valence_coef_ = np.asarray(self.valence_weights, dtype=float)
            self.arousal_coef_ = np.asarray(self.arousal_weights, dtype=float)
            self.intercept_ = np.zeros(2)
            self.fitted_on_ratings_ = False
            return self
        target = np.asarray(y, dtype=float)
        if target.shape != (len(X), 2):
            raise InputError(
                f"ratings must have shape ({len(X)}, 2), got {target.shape}",
                field="y",
                allowed="n x 2 array of (valence, arousal) in [-1, 1]",
            )
        if np.nanmax(np.abs(target)) > 1.0:
            raise InputError(
                "ratings outside [-1, 1]", field="y", value=float(np.nanmax(np.abs(target)))
            )
        coefs, intercepts = [], []
        for axis, names in enumerate((VALENCE_TERMS, AROUSAL_TERMS)):
            design = np.column_stack([terms[n] for n in names])
            ok = np.isfinite(design).all(axis=1) & np.isfinite(target[:, axis])
            if ok.sum() <= len(names) + 1:
                raise InputError(
                    f"too few complete rows ({int(ok.sum())}) to fit the mood model",
                    field="X",
                    allowed=f"more than {len(names) + 1}",
                )
            with_bias = np.column_stack([design[ok], np.ones(ok.sum())])
            solution, *_ = np.linalg.lstsq(with_bias, target[ok, axis], rcond=None)
            coefs.append(solution[:-1])
            intercepts.append(solution[-1])
        self.valence_coef_, self.arousal_coef_ = coefs
        self.intercept_ = np.asarray(intercepts)
        self.fitted_on_ratings_ = True
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """(n, 2) array of (valence, arousal) in [-1, 1]."""
        check_is_fitted(self, "valence_coef_")
        terms = mood_terms(X)
        valence = np.column_stack([terms[n] for n in VALENCE_TERMS]) @ self.valence_coef_
        arousal = np.column_stack([terms[n] for n in AROUSAL_TERMS]) @ self.arousal_coef_
        out = np.column_stack([valence, arousal]) + self.intercept_
        # Prior weights keep the result in range; fitted weights may not, hence the clip.
        return np.clip(out, -1.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the fitted model (no pickle)."""
        check_is_fitted(self, "valence_coef_")
        return {
            "format": MOOD_MODEL_FORMAT,
            "model": "TrackMoodModel",
            "valence_terms": dict(zip(VALENCE_TERMS, self.valence_coef_.tolist(), strict=True)),
            "arousal_terms": dict(zip(AROUSAL_TERMS, self.arousal_coef_.tolist(), strict=True)),
            "intercept": self.intercept_.tolist(),
            "fitted_on_ratings": self.fitted_on_ratings_,
            "tempo_anchors_bpm": list(TEMPO_ANCHORS_BPM),
            "loudness_anchors_db": list(LOUDNESS_ANCHORS_DB),
        }

    def save(self, path: Path) -> None:
        """Write the model as JSON."""
        path.write_text(json.dumps(self.to_dict(), indent=2))

    @classmethod
    def load(cls, path: Path) -> TrackMoodModel:
        """Read a model written by ``save``; refuses other formats with a clear message."""
        data = json.loads(path.read_text())
        if data.get("model") != "TrackMoodModel" or data.get("format") != MOOD_MODEL_FORMAT:
            raise InputError(
                "not a TrackMoodModel file of a supported format",
                file=str(path),
                value=f"{data.get('model')} format {data.get('format')}",
                allowed=f"TrackMoodModel format {MOOD_MODEL_FORMAT}",
            )
        model = cls(
            valence_weights=tuple(data["valence_terms"][n] for n in VALENCE_TERMS),
            arousal_weights=tuple(data["arousal_terms"][n] for n in AROUSAL_TERMS),
        )
        model.valence_coef_ = np.asarray(model.valence_weights, dtype=float)
        model.arousal_coef_ = np.asarray(model.arousal_weights, dtype=float)
        model.intercept_ = np.asarray(data["intercept"], dtype=float)
        model.fitted_on_ratings_ = bool(data["fitted_on_ratings"])
        return model
