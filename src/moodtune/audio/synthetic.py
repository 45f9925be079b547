"""Synthetic audio with known answers: click tracks, chord progressions, drum patterns.

What the known-answer tests and ``moodtune bench audio`` analyse: signals whose tempo, mode
and intensity are set by construction, written with soundfile in any format it encodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "FORMATS",
    "chord_progression",
    "click_track",
    "drum_pattern",
    "write_audio",
]

#: File suffix -> (libsndfile format, subtype, sample rate) used by :func:`write_audio`.
FORMATS: dict[str, tuple[str, str, int]] = {
    ".wav": ("WAV", "PCM_16", 44_100),
    ".flac": ("FLAC", "PCM_16", 44_100),
    ".ogg": ("OGG", "VORBIS", 44_100),
    ".opus": ("OGG", "OPUS", 48_000),
    ".mp3": ("MP3", "MPEG_LAYER_III", 44_100),
}
#: Major and minor triads with the octave, in semitones above the root.
MAJOR_CHORD = (0, 4, 7, 12)
MINOR_CHORD = (0, 3, 7, 12)


def click_track(
    bpm: float, *, seconds: float = 30.0, sr: int = 22_050, amplitude: float = 0.5
) -> np.ndarray:
    """A 1 kHz click (20 ms, decaying) on every beat: shape ``(seconds * sr,)`` float32."""
    y = np.zeros(int(seconds * sr), dtype=np.float32)
    length = int(0.02 * sr)
    t = np.arange(length) / sr
    click = (amplitude * np.sin(2 * np.pi * 1000.0 * t) * np.exp(-t * 200.0)).astype(np.float32)
    for start in np.arange(0.0, seconds, 60.0 / bpm):
        i = round(start * sr)
        y[i : i + length] += click[: len(y) - i]
    return y


def chord_progression(
    roots: Sequence[int] = (0, 5, 7, 0),
    *,
    minor: bool = False,
    seconds: float = 30.0,
    chord_seconds: float = 1.5,
    sr: int = 22_050,
    amplitude: float = 0.3,
) -> np.ndarray:
    """Sustained triads on ``roots`` (semitones above C4) in major or minor: shape ``(n,)``.

    The default is I-IV-V-I; with ``minor`` the same roots carry minor triads (i-iv-v-i).
    """
    y = np.zeros(int(seconds * sr), dtype=np.float32)
    length = int(chord_seconds * sr)
    t = np.arange(length) / sr
    envelope = np.minimum(1.0, t * 20.0) * np.exp(-t * 1.0)
    intervals = MINOR_CHORD if minor else MAJOR_CHORD
    for index, start in enumerate(np.arange(0.0, seconds, chord_seconds)):
        root = roots[index % len(roots)]
        tones = [261.63 * 2 ** ((root + step) / 12.0) for step in intervals]
        chord = sum(np.sin(2 * np.pi * f * t) for f in tones) / len(tones)
        i = round(start * sr)
        y[i : i + length] += (amplitude * chord * envelope)[: len(y) - i].astype(np.float32)
    return y


def drum_pattern(
    bpm: float,
    *,
    seconds: float = 30.0,
    sr: int = 22_050,
    amplitude: float = 0.5,
    random_state: int = 0,
) -> np.ndarray:
    """Kick on the beat, a noise snare on the off-beat eighth: shape ``(n,)`` float32."""
    rng = np.random.default_rng(random_state)
    y = np.zeros(int(seconds * sr), dtype=np.float32)
    length = int(0.08 * sr)
    t = np.arange(length) / sr
    kick = np.sin(2 * np.pi * 60.0 * t) * np.exp(-t * 25.0)
    for index, start in enumerate(np.arange(0.0, seconds, 60.0 / bpm / 2.0)):
        hit = rng.standard_normal(length) * np.exp(-t * 40.0) if index % 2 else kick
        i = round(start * sr)
        y[i : i + length] += (amplitude * hit)[: len(y) - i].astype(np.float32)
    return np.clip(y, -1.0, 1.0)


def write_audio(path: Path, samples: np.ndarray, *, sr: int = 22_050) -> Path:
    """Write mono ``samples`` (at ``sr`` Hz) to ``path`` in the format its suffix names.

    Resampled to the format's usual rate (:data:`FORMATS`; Opus only takes 48 kHz).
    """
    import soundfile as sf

    from moodtune.audio._librosa import import_librosa

    librosa = import_librosa()

    fmt, subtype, rate = FORMATS[path.suffix.lower()]
    data = samples if rate == sr else librosa.resample(samples, orig_sr=sr, target_sr=rate)
    data = np.clip(data, -1.0, 1.0)
    # In blocks: libsndfile 1.2's Vorbis encoder crashes on one very large write.
    with sf.SoundFile(path, "w", samplerate=rate, channels=1, format=fmt, subtype=subtype) as out:
        for start in range(0, len(data), 1 << 15):
            out.write(data[start : start + (1 << 15)])
    return path
