"""Measured audio features -> the catalog's feature columns -> the valence-arousal plane.

The catalog describes a track by Spotify's audio-feature columns (:data:`AUDIO_FEATURES`) and
places it on the plane with the project's mood model fitted to human ratings
(:func:`moodtune.mood.fitted.load_default_model`). A local file gets the same columns, so it
is placed by the very same model and sits in the same space as every catalog track. Three
kinds of column (the method, with its assumptions, is in ``docs/audio.md``):

* **measured**: ``tempo`` (BPM), ``loudness`` (gated dBFS), ``key`` and ``mode``;
* **proxies** for Spotify's own undocumented models, weighted mixes of measured descriptors,
  each in [0, 1] (``lin(x, a, b)`` maps ``a..b`` linearly onto 0..1, clipped):

  - ``energy`` = 0.40 lin(loudness, -30, -3 dB) + 0.25 lin(onset rate, 0.5, 6 /s)
    + 0.20 lin(log2 centroid, log2 500, log2 4000 Hz) + 0.15 lin(log10 flatness, -4, -1);
  - ``valence`` = 0.5 + 0.5 clip(0.6 m + 0.2 lin±(tempo, 60, 180) + 0.2 lin±(log2 centroid,
    log2 500, log2 4000), -1, 1), where ``m`` = clip(mode_strength / 0.3, -1, 1) is how
    clearly major (+) or minor (-) the key profile is and ``lin±`` maps onto -1..1;
  - ``danceability`` = 0.5 tempo confidence + 0.3 (1 - |log2(tempo / 120)|, clipped at 0)
    + 0.2 lin(onset rate, 0.5, 6 /s);
* **not measurable here** (``acousticness``, ``speechiness``, ``instrumentalness``,
  ``liveness``): set to the value of a typical human-rated song, the mood model's own
  training mean, so they move the position nowhere.

**Uncertainty.** Each column carries an error ``sigma`` in the mood model's term units
(every feature mapped onto [-1, 1]): for the unmeasured columns the spread of that term
among the rated songs (the model's ``scale_``); for the proxies half that spread (an
assumption: no audio with Spotify's features is available here to measure it); for
``mode`` ``1 - |m|``; for ``tempo`` 0.05, or the distance to the double tempo's term when
the tempo is octave-ambiguous; for ``loudness`` 0.05. They are propagated through the
model's own sensitivities (finite differences of its prediction, the steeper side at a
clipped bound) and added in quadrature
to the model's per-track standard error::

    sd_axis = sqrt(model_sd_axis**2 + sum_k (d position_axis / d term_k * sigma_k)**2)

``mood_uncertainty`` is the root mean square of the two axes and ``mood_uncertain`` is set
beyond the model's own threshold (``uncertain_above_``), exactly as for catalog tracks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from moodtune.mood.estimator import LOUDNESS_ANCHORS_DB, TEMPO_ANCHORS_BPM
from moodtune.mood.fitted import RESIDUAL_TERMS

if TYPE_CHECKING:
    from moodtune.audio.features import AudioFeatures
    from moodtune.mood.fitted import ResidualMoodModel

__all__ = [
    "MEASURED_COLUMNS",
    "PROXY_COLUMNS",
    "UNMEASURED_COLUMNS",
    "CatalogFeatures",
    "Placement",
    "catalog_features",
    "place_on_plane",
]

MEASURED_COLUMNS: tuple[str, ...] = ("tempo", "loudness", "key", "mode")
PROXY_COLUMNS: tuple[str, ...] = ("energy", "valence", "danceability")
UNMEASURED_COLUMNS: tuple[str, ...] = (
    "acousticness",
    "speechiness",
    "instrumentalness",
    "liveness",
)
#: The proxies' error, as a share of their term's spread among the rated songs (assumed).
PROXY_SIGMA_SHARE = 0.5
#: Error of the measured tempo and loudness terms (term units, i.e. 3 BPM and 0.7 dB).
MEASURED_SIGMA = 0.05
#: ``mode_strength`` (major r - minor r) at which the mode counts as unambiguous.
CLEAR_MODE_STRENGTH = 0.3
_SQRT_TERMS = frozenset({"acousticness", "speechiness", "instrumentalness", "liveness"})
_CENTROID_ANCHORS_HZ = (500.0, 4000.0)
_ONSET_ANCHORS_HZ = (0.5, 6.0)
_FLATNESS_ANCHORS_LOG10 = (-4.0, -1.0)


def _lin(value: float, low: float, high: float) -> float:
    return float(np.clip((value - low) / (high - low), 0.0, 1.0))


@dataclass(frozen=True)
class CatalogFeatures:
    """A file's values of the catalog's audio-feature columns and their errors (term units)."""

    danceability: float
    energy: float
    key: int
    loudness: float
    mode: int
    speechiness: float
    acousticness: float
    instrumentalness: float
    liveness: float
    valence: float
    tempo: float
    sigma: dict[str, float]

    def columns(self) -> dict[str, float | int]:
        """The feature columns alone, as the catalog stores them."""
        values = asdict(self)
        values.pop("sigma")
        return values


def _term_to_feature(name: str, term: float) -> float:
    """Inverse of the mood model's term map (:func:`moodtune.mood.fitted.residual_terms`)."""
    if name == "tempo":
        low, high = TEMPO_ANCHORS_BPM
        return low + (term + 1.0) / 2.0 * (high - low)
    if name == "loudness":
        low, high = LOUDNESS_ANCHORS_DB
        return low + (term + 1.0) / 2.0 * (high - low)
    half = (term + 1.0) / 2.0
    return half**2 if name in _SQRT_TERMS else half


def _feature_per_term(name: str, value: float) -> float:
    """d feature / d term at ``value``: how far one term unit moves the feature."""
    if name == "tempo":
        return (TEMPO_ANCHORS_BPM[1] - TEMPO_ANCHORS_BPM[0]) / 2.0
    if name == "loudness":
        return (LOUDNESS_ANCHORS_DB[1] - LOUDNESS_ANCHORS_DB[0]) / 2.0
    if name in _SQRT_TERMS:
        return float(np.sqrt(max(value, 1e-6)))  # v = ((t+1)/2)^2, dv/dt = sqrt(v)
    return 0.5


def catalog_features(features: AudioFeatures, *, model: ResidualMoodModel) -> CatalogFeatures:
    """The catalog's feature columns for one analysed window (module docstring for the method).

    ``model`` supplies the typical values of the unmeasured columns and the term spreads the
    errors are scaled by; it must be fitted (the shipped default model is).
    """
    spread = dict(zip(RESIDUAL_TERMS, np.asarray(model.scale_, dtype=float).tolist(), strict=True))
    typical = dict(zip(RESIDUAL_TERMS, np.asarray(model.mean_, dtype=float).tolist(), strict=True))
    bpm = features.tempo_bpm
    onset = _lin(features.onset_rate_hz, *_ONSET_ANCHORS_HZ)
    bright = _lin(
        float(np.log2(max(features.centroid_hz, 1.0))), *np.log2(_CENTROID_ANCHORS_HZ).tolist()
    )
    noise = _lin(float(np.log10(max(features.flatness, 1e-12))), *_FLATNESS_ANCHORS_LOG10)
    loud = _lin(features.loudness_db, *LOUDNESS_ANCHORS_DB)
    energy = 0.40 * loud + 0.25 * onset + 0.20 * bright + 0.15 * noise
    mode_clarity = float(np.clip(features.mode_strength / CLEAR_MODE_STRENGTH, -1.0, 1.0))
    tempo_signed = 2.0 * _lin(bpm, *TEMPO_ANCHORS_BPM) - 1.0
    valence = 0.5 + 0.5 * float(
        np.clip(0.6 * mode_clarity + 0.2 * tempo_signed + 0.2 * (2.0 * bright - 1.0), -1.0, 1.0)
    )
    tempo_fit = max(0.0, 1.0 - abs(float(np.log2(bpm / 120.0)))) if bpm > 0 else 0.0
    danceability = 0.5 * features.tempo_confidence + 0.3 * tempo_fit + 0.2 * onset
    sigma = {name: spread[name] for name in UNMEASURED_COLUMNS}
    sigma.update({name: PROXY_SIGMA_SHARE * spread[name] for name in PROXY_COLUMNS})
    sigma["mode"] = 1.0 - abs(mode_clarity)
    sigma["loudness"] = MEASURED_SIGMA
    sigma["tempo"] = MEASURED_SIGMA
    if features.tempo_octave_ambiguous and bpm > 0:
        # The other metrical level is as plausible: its distance is the error.
        double_signed = 2.0 * _lin(2.0 * bpm, *TEMPO_ANCHORS_BPM) - 1.0
        sigma["tempo"] = max(MEASURED_SIGMA, abs(double_signed - tempo_signed))
    return CatalogFeatures(
        danceability=float(np.clip(danceability, 0.0, 1.0)),
        energy=float(np.clip(energy, 0.0, 1.0)),
        key=int(features.key),
        loudness=float(np.clip(features.loudness_db, -60.0, 5.0)),
        mode=int(features.mode),
        speechiness=_term_to_feature("speechiness", typical["speechiness"]),
        acousticness=_term_to_feature("acousticness", typical["acousticness"]),
        instrumentalness=_term_to_feature("instrumentalness", typical["instrumentalness"]),
        liveness=_term_to_feature("liveness", typical["liveness"]),
        valence=float(np.clip(valence, 0.0, 1.0)),
        tempo=float(bpm) if bpm > 0 else float("nan"),
        sigma=sigma,
    )


@dataclass(frozen=True)
class Placement:
    """A file's position on the plane (each axis in [-1, 1]) and how sure it is.

    ``model_sd`` is the mood model's own standard error per axis (what a catalog track gets);
    ``sd`` adds the error of the audio estimates; ``uncertain`` compares the RMS of ``sd``
    with the model's threshold.
    """

    valence: float
    arousal: float
    sd: tuple[float, float]
    model_sd: tuple[float, float]
    uncertainty: float
    uncertain: bool
    contributions: dict[str, tuple[float, float]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def place_on_plane(features: CatalogFeatures, *, model: ResidualMoodModel) -> Placement:
    """Position of ``features`` by ``model``, with the propagated uncertainty (module doc)."""
    columns = features.columns()
    row = pd.DataFrame([columns]).astype(float)
    model_sd = model.predict_sd(row)[0]
    step = 0.01  # term units
    names = [name for name, sigma in features.sigma.items() if sigma > 0]
    # One frame holds the row and, per uncertain column, the row nudged up and down: a
    # single prediction gives the position and every finite difference.
    order = list(columns)
    values = np.tile(np.asarray([float(columns[c]) for c in order]), (1 + 2 * len(names), 1))
    for i, name in enumerate(names):
        delta = step * _feature_per_term(name, float(columns[name]))
        values[1 + 2 * i, order.index(name)] += delta
        values[2 + 2 * i, order.index(name)] -= delta
    predicted = model.predict(pd.DataFrame(values, columns=order))
    position = predicted[0]
    contributions: dict[str, tuple[float, float]] = {}
    added = np.zeros(2)
    for i, name in enumerate(names):
        # One-sided both ways: at a clipped bound (mode 1, energy 0) one side is flat.
        rise = (predicted[1 + 2 * i] - position) / step
        fall = (position - predicted[2 + 2 * i]) / step
        slope = np.where(np.abs(rise) >= np.abs(fall), rise, fall)
        part = slope * features.sigma[name]
        contributions[name] = (float(part[0]), float(part[1]))
        added += part**2
    sd = np.sqrt(model_sd**2 + added)
    uncertainty = float(np.sqrt(np.mean(sd**2)))
    return Placement(
        valence=float(position[0]),
        arousal=float(position[1]),
        sd=(float(sd[0]), float(sd[1])),
        model_sd=(float(model_sd[0]), float(model_sd[1])),
        uncertainty=uncertainty,
        uncertain=bool(uncertainty > model.uncertain_above_),
        contributions=contributions,
    )
