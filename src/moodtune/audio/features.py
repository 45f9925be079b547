"""Audio features of a decoded window: pure functions over NumPy arrays.

Every function takes keyword-only arguments after the signal and states shapes and units.
:func:`analyse_window` computes two short-time Fourier transforms at 22,050 Hz: a fine one in
time (``n_fft=1024``, ``hop_length=256``: an 11.6 ms frame step, fine enough that a 150 BPM
pulse is resolved to about 1 %) for onsets, tempo and spectral shape, and a fine one in
frequency (``n_fft=4096``, 5.4 Hz bins, hop 4096) for the chroma - together about a third of
the work of one 2048-point transform at hop 256:

* **tempo** from the autocorrelation of the onset envelope, weighted by a log-normal prior
  around 120 BPM (one octave wide) to choose the metrical level, refined over the first
  four multiples of the period (:func:`estimate_tempo`). *Half/double time*: every pulse
  also autocorrelates at twice its period (every second beat), so only the double tempo is
  evidence of another metrical level: when onsets halfway between the beats autocorrelate
  nearly as strongly (:data:`OCTAVE_AMBIGUITY`) the estimate is flagged
  ``octave_ambiguous``, and the prior decides between the two levels, as a listener tapping
  along tends to (a 200 BPM pulse reads 100, flagged). librosa's beat tracker is not
  used: it is a numba kernel that compiles for seconds on first use and adds nothing to a
  tempo figure.
* **loudness**: gated mean-square level in dB full scale (ITU-R BS.1770's 400 ms blocks and
  its absolute -70 dB and relative -10 dB gates, without the K-weighting filter), the scale of
  the catalog's ``loudness`` column (Spotify's "typically -60 to 0 dB").
* **dynamic range**: spread (95th - 10th percentile, dB) of the gated block levels.
* **onset rate**: peaks of the onset envelope per second (local maxima over +-50 ms above
  the envelope's mean plus half its standard deviation).
* **brightness**: spectral centroid and 85 % roll-off (Hz); **flatness**: Wiener entropy
  (0 = tonal, 1 = white noise); medians over the non-silent frames.
* **key and mode**: the mean chroma vector correlated with the 24 rotated Krumhansl-Kessler
  key profiles (Krumhansl 1990); the best is the key, its Pearson ``r`` the confidence, and
  ``mode_strength`` = best major ``r`` - best minor ``r`` (positive: major).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from moodtune.audio._librosa import import_librosa

__all__ = [
    "CHROMA_N_FFT",
    "HOP_LENGTH",
    "KK_MAJOR",
    "KK_MINOR",
    "N_FFT",
    "OCTAVE_AMBIGUITY",
    "AudioFeatures",
    "KeyEstimate",
    "SpectralShape",
    "TempoEstimate",
    "analyse_window",
    "chromagram",
    "estimate_key",
    "estimate_tempo",
    "gated_loudness",
    "loudness_range",
    "onset_envelope",
    "onset_rate",
    "power_spectrogram",
    "spectral_shape",
]

N_FFT = 1024
HOP_LENGTH = 256
CHROMA_N_FFT = 4096
CHROMA_HOP_LENGTH = 4096
#: Spectral shape is a median over frames: every second frame measures it as well.
SHAPE_FRAME_STEP = 2
#: Krumhansl & Kessler (1982) probe-tone ratings, C major and C minor (index 0 = C).
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
#: Tempo prior: log-normal around ``PRIOR_BPM`` with this many octaves of standard deviation.
PRIOR_BPM = 120.0
PRIOR_OCTAVES = 1.0
#: A half or double period that autocorrelates at least this fraction of the chosen one's.
OCTAVE_AMBIGUITY = 0.8
_BLOCK_SECONDS = 0.4
_ABSOLUTE_GATE_DB = -70.0
_RELATIVE_GATE_DB = -10.0


@dataclass(frozen=True)
class TempoEstimate:
    """Tempo in BPM; ``confidence`` (0..1) is the normalised autocorrelation at its period."""

    bpm: float
    confidence: float
    octave_ambiguous: bool
    half_strength: float
    double_strength: float


@dataclass(frozen=True)
class KeyEstimate:
    """Pitch class (0 = C ... 11 = B, Spotify's numbering), mode (1 major, 0 minor), confidence."""

    key: int
    mode: int
    confidence: float
    mode_strength: float


@dataclass(frozen=True)
class SpectralShape:
    """Median spectral centroid and 85 % roll-off (Hz) and flatness (0..1) of a window."""

    centroid_hz: float
    rolloff_hz: float
    flatness: float


@dataclass(frozen=True)
class AudioFeatures:
    """Everything :func:`analyse_window` measures in one window (units in the field names)."""

    seconds: float
    tempo_bpm: float
    tempo_confidence: float
    tempo_octave_ambiguous: bool
    loudness_db: float
    loudness_range_db: float
    onset_rate_hz: float
    centroid_hz: float
    rolloff_hz: float
    flatness: float
    key: int
    mode: int
    key_confidence: float
    mode_strength: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def power_spectrogram(
    y: np.ndarray, *, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH
) -> np.ndarray:
    """Power spectrogram ``|STFT|**2`` of mono ``y`` (shape ``(n,)``): ``(1 + n_fft/2, frames)``."""
    librosa = import_librosa()

    spectrum = librosa.stft(y, n_fft=n_fft, hop_length=hop_length, window="hann")
    return np.square(np.abs(spectrum), dtype=np.float32)


def _block_powers(y: np.ndarray, *, sr: int) -> np.ndarray:
    """Mean square of 400 ms blocks overlapping by 75 % (BS.1770): shape ``(blocks,)``."""
    block = max(int(_BLOCK_SECONDS * sr), 1)
    step = max(block // 4, 1)
    if len(y) < block:
        return np.array([float(np.mean(np.square(y, dtype=np.float64)))]) if len(y) else np.zeros(0)
    cumulative = np.concatenate([[0.0], np.cumsum(np.square(y, dtype=np.float64))])
    starts = np.arange(0, len(y) - block + 1, step)
    return (cumulative[starts + block] - cumulative[starts]) / block


def _gated(powers: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        levels = 10.0 * np.log10(powers)
    above = powers[levels > _ABSOLUTE_GATE_DB]
    if above.size == 0:
        return above
    relative = 10.0 * np.log10(above.mean()) + _RELATIVE_GATE_DB
    with np.errstate(divide="ignore"):
        return above[10.0 * np.log10(above) > relative]


def _loudness(y: np.ndarray, *, sr: int) -> tuple[float, float]:
    """``(gated level, level range)`` in dB from one pass over the blocks."""
    kept = _gated(_block_powers(y, sr=sr))
    if kept.size == 0:
        return float("-inf"), 0.0
    level = float(10.0 * np.log10(kept.mean()))
    if kept.size < 2:
        return level, 0.0
    levels = 10.0 * np.log10(kept)
    return level, float(np.percentile(levels, 95) - np.percentile(levels, 10))


def gated_loudness(y: np.ndarray, *, sr: int) -> float:
    """Gated mean-square level of ``y`` (shape ``(n,)``, full scale 1.0) in dBFS; -inf if silent.

    A full-scale sine reads -3.0 dB; halving the amplitude lowers it by 6.0 dB.
    """
    return _loudness(y, sr=sr)[0]


def loudness_range(y: np.ndarray, *, sr: int) -> float:
    """Spread of the gated 400 ms block levels, 95th minus 10th percentile (dB)."""
    return _loudness(y, sr=sr)[1]


@lru_cache(maxsize=8)
def _mel_filters(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    librosa = import_librosa()

    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels).astype(np.float32)


@lru_cache(maxsize=8)
def _chroma_filters(sr: int, n_fft: int) -> np.ndarray:
    librosa = import_librosa()

    return librosa.filters.chroma(sr=sr, n_fft=n_fft, tuning=0.0).astype(np.float32)


def onset_envelope(power: np.ndarray, *, sr: int) -> np.ndarray:
    """Spectral-flux onset strength from a power spectrogram (64 mel bands): ``(frames,)``."""
    librosa = import_librosa()

    mel = _mel_filters(sr, 2 * (power.shape[0] - 1), 64) @ power
    return np.asarray(
        librosa.onset.onset_strength(S=librosa.power_to_db(mel, ref=np.max), sr=sr),
        dtype=np.float64,
    )


def chromagram(power: np.ndarray, *, sr: int) -> np.ndarray:
    """Chroma of a power spectrogram (A440 tuning): shape ``(12, frames)``, index 0 = C."""
    chroma = _chroma_filters(sr, 2 * (power.shape[0] - 1)) @ power
    peak = chroma.max(axis=0, keepdims=True)
    return np.asarray(chroma / np.where(peak > 0, peak, 1.0), dtype=np.float64)


def _autocorrelation(envelope: np.ndarray) -> np.ndarray:
    centred = envelope - envelope.mean()
    n = len(centred)
    spectrum = np.fft.rfft(centred, n=2 * n)
    ac = np.fft.irfft(np.abs(spectrum) ** 2)[:n]
    # Unbiased: each lag is averaged over the frames that overlap at it.
    ac = ac / np.maximum(n - np.arange(n), 1)
    return ac / ac[0] if ac[0] > 0 else np.zeros(n)


def _peak_near(ac: np.ndarray, lag: float, radius: int) -> float:
    """Fractional position of the largest ``ac`` value within ``radius`` frames of ``lag``."""
    low, high = max(round(lag) - radius, 1), min(round(lag) + radius, len(ac) - 2)
    if high <= low:
        return lag
    best = low + int(np.argmax(ac[low : high + 1]))
    left, centre, right = ac[best - 1], ac[best], ac[best + 1]
    curvature = left - 2.0 * centre + right
    shift = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
    return best + float(np.clip(shift, -0.5, 0.5))


def estimate_tempo(
    envelope: np.ndarray,
    *,
    sr: int,
    hop_length: int = HOP_LENGTH,
    min_bpm: float = 40.0,
    max_bpm: float = 240.0,
) -> TempoEstimate:
    """Tempo of an onset envelope (shape ``(frames,)``, ``hop_length`` samples per frame).

    The autocorrelation is searched for periods between ``max_bpm`` and ``min_bpm``, each
    weighted by the log-normal prior (module docstring); the winning period is then refined
    to a fraction of a frame from its first four multiples.
    """
    from scipy.ndimage import gaussian_filter1d

    frame_rate = sr / hop_length
    # Onsets are one or two frames wide: smoothed (sigma 1.5 frames, 17 ms), a period that
    # falls between two frames is not under-counted against one that falls on a frame.
    ac = _autocorrelation(gaussian_filter1d(np.asarray(envelope, dtype=np.float64), 1.5))
    low_lag = max(int(np.floor(60.0 * frame_rate / max_bpm)), 1)
    high_lag = min(int(np.ceil(60.0 * frame_rate / min_bpm)), len(ac) - 2)
    if high_lag <= low_lag or not np.isfinite(ac).all() or ac[0] == 0:
        return TempoEstimate(0.0, 0.0, False, 0.0, 0.0)
    lags = np.arange(low_lag, high_lag + 1)
    bpms = 60.0 * frame_rate / lags
    prior = np.exp(-0.5 * (np.log2(bpms / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)
    strength = np.clip(ac[lags], 0.0, None)
    best = int(lags[np.argmax(strength * prior)])
    estimates = []
    for multiple in range(1, 5):
        if multiple * best + multiple + 1 >= len(ac):
            break
        estimates.append(_peak_near(ac, multiple * best, radius=multiple) / multiple)
    period = float(np.median(estimates)) if estimates else float(best)
    chosen = float(np.clip(ac[best], 0.0, 1.0))

    def strength_at(lag: float) -> float:
        if not 1 <= lag < len(ac) - 1:
            return 0.0
        return float(max(ac[round(lag)], 0.0))

    half = strength_at(2 * period)  # half time: twice the period
    double = strength_at(period / 2)
    ambiguous = chosen > 0 and double >= OCTAVE_AMBIGUITY * chosen
    return TempoEstimate(
        bpm=60.0 * frame_rate / period,
        confidence=chosen,
        octave_ambiguous=bool(ambiguous),
        half_strength=half,
        double_strength=double,
    )


def onset_rate(envelope: np.ndarray, *, sr: int, hop_length: int = HOP_LENGTH) -> float:
    """Onsets per second: peaks of ``envelope`` (shape ``(frames,)``) that stand out."""
    from scipy.ndimage import maximum_filter1d

    if envelope.size == 0:
        return 0.0
    frame_rate = sr / hop_length
    width = max(round(0.1 * frame_rate) | 1, 3)  # +-50 ms
    threshold = envelope.mean() + 0.5 * envelope.std()
    peaks = (envelope == maximum_filter1d(envelope, size=width)) & (envelope > threshold)
    return float(peaks.sum() / (len(envelope) / frame_rate))


def spectral_shape(power: np.ndarray, *, sr: int) -> SpectralShape:
    """Median centroid, 85 % roll-off and flatness over the frames within 60 dB of the loudest.

    ``power`` has shape ``(1 + n_fft/2, frames)``, bins spaced evenly from 0 to ``sr / 2``.
    """
    frame_energy = power.sum(axis=0)
    if not np.any(frame_energy > 0):
        return SpectralShape(0.0, 0.0, 0.0)
    keep = frame_energy > frame_energy.max() * 1e-6
    frames = power[:, keep]
    freqs = np.linspace(0.0, sr / 2.0, frames.shape[0])
    energy = frames.sum(axis=0)
    centroid = (freqs[:, None] * frames).sum(axis=0) / energy
    cumulative = np.cumsum(frames, axis=0)
    rolloff = freqs[np.argmax(cumulative >= 0.85 * energy, axis=0)]
    floor = np.float32(1e-10)
    flatness = np.exp(np.mean(np.log(frames + floor), axis=0)) / (frames.mean(axis=0) + floor)
    return SpectralShape(
        centroid_hz=float(np.median(centroid)),
        rolloff_hz=float(np.median(rolloff)),
        flatness=float(np.clip(np.median(flatness), 0.0, 1.0)),
    )


def estimate_key(chroma: np.ndarray) -> KeyEstimate:
    """Key and mode of a chromagram (shape ``(12, frames)`` or ``(12,)``, index 0 = C)."""
    profile = chroma.mean(axis=1) if chroma.ndim == 2 else np.asarray(chroma, dtype=float)
    if not np.isfinite(profile).all() or np.ptp(profile) == 0:
        return KeyEstimate(key=-1, mode=1, confidence=0.0, mode_strength=0.0)
    major = np.array([np.corrcoef(profile, np.roll(KK_MAJOR, k))[0, 1] for k in range(12)])
    minor = np.array([np.corrcoef(profile, np.roll(KK_MINOR, k))[0, 1] for k in range(12)])
    best_major, best_minor = int(np.argmax(major)), int(np.argmax(minor))
    is_major = major[best_major] >= minor[best_minor]
    return KeyEstimate(
        key=best_major if is_major else best_minor,
        mode=1 if is_major else 0,
        confidence=float(max(major[best_major], minor[best_minor], 0.0)),
        mode_strength=float(major[best_major] - minor[best_minor]),
    )


def analyse_window(y: np.ndarray, *, sr: int) -> AudioFeatures:
    """Every feature of mono ``y`` (shape ``(n,)``, float in [-1, 1], ``sr`` Hz)."""
    power = power_spectrogram(y)
    envelope = onset_envelope(power, sr=sr)
    tempo = estimate_tempo(envelope, sr=sr)
    shape = spectral_shape(power[:, ::SHAPE_FRAME_STEP], sr=sr)
    tonal = power_spectrogram(y, n_fft=CHROMA_N_FFT, hop_length=CHROMA_HOP_LENGTH)
    key = estimate_key(chromagram(tonal, sr=sr))
    level, spread = _loudness(y, sr=sr)
    return AudioFeatures(
        seconds=len(y) / sr,
        tempo_bpm=tempo.bpm,
        tempo_confidence=tempo.confidence,
        tempo_octave_ambiguous=tempo.octave_ambiguous,
        loudness_db=level,
        loudness_range_db=spread,
        onset_rate_hz=onset_rate(envelope, sr=sr),
        centroid_hz=shape.centroid_hz,
        rolloff_hz=shape.rolloff_hz,
        flatness=shape.flatness,
        key=key.key,
        mode=key.mode,
        key_confidence=key.confidence,
        mode_strength=key.mode_strength,
    )
