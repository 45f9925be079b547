"""Decode a bounded, mono, resampled window of an audio file - and say why a file cannot be.

Decoding is libsndfile's (through soundfile): WAV/AIFF, FLAC, Ogg Vorbis, Ogg Opus and MP3
decode here without ffmpeg. MP4/M4A (AAC or ALAC), WMA and APE do not: libsndfile has no MP4
reader, and librosa's other backend (audioread) needs ffmpeg or GStreamer, which this project
does not require. Such files are reported as ``unsupported`` with that reason, never guessed.

Only a window is decoded (:data:`WINDOW_SECONDS`, centred in the file: intros and fade-outs
say little about a track's character), so a ten-hour recording costs what a song does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from moodtune.errors import InputError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "ANALYSIS_SR",
    "DECODABLE_SUFFIXES",
    "SILENCE_DBFS",
    "UNSUPPORTED_SUFFIXES",
    "WINDOW_SECONDS",
    "AudioFileError",
    "AudioWindow",
    "Problem",
    "read_window",
    "require_audio_extra",
    "window_bounds",
]

#: The analysis window (seconds) and the rate every window is resampled to (Hz).
WINDOW_SECONDS = 30.0
ANALYSIS_SR = 22_050
#: Suffixes libsndfile 1.2 decodes here (checked by tests/audio/test_decode.py).
DECODABLE_SUFFIXES: frozenset[str] = frozenset(
    {".wav", ".wave", ".aif", ".aiff", ".flac", ".ogg", ".oga", ".opus", ".mp3"}
)
#: Common audio suffixes that need a codec this installation lacks, and why.
UNSUPPORTED_SUFFIXES: dict[str, str] = {
    ".m4a": "MP4/M4A (AAC or ALAC) needs ffmpeg, which is not used: libsndfile has no MP4 reader",
    ".mp4": "MP4 (AAC or ALAC) needs ffmpeg, which is not used: libsndfile has no MP4 reader",
    ".aac": "raw AAC needs ffmpeg, which is not used: libsndfile has no AAC decoder",
    ".alac": "ALAC needs ffmpeg, which is not used: libsndfile has no ALAC decoder",
    ".wma": "WMA needs ffmpeg, which is not used: libsndfile has no WMA decoder",
    ".ape": "Monkey's Audio needs ffmpeg, which is not used: libsndfile has no APE decoder",
}
#: A window whose gated loudness is below this (dB full scale) is silence, not music.
SILENCE_DBFS = -70.0
#: Files shorter than this cannot give a tempo or a key (seconds).
MIN_ANALYSIS_SECONDS = 5.0
#: How much of the file's end is read back to detect a file cut short (seconds).
TAIL_PROBE_SECONDS = 0.5

Problem = Literal["unsupported", "corrupt", "truncated", "silent", "too short"]


class AudioFileError(InputError):
    """A file that cannot be analysed: ``problem`` says which kind, the message says why."""

    def __init__(self, path: Path | str, problem: Problem, reason: str) -> None:
        self.problem: Problem = problem
        self.reason = reason
        super().__init__(f"{problem}: {reason}", file=str(path))


def require_audio_extra() -> None:
    """Raise a clear ``InputError`` when the ``audio`` extra is not installed."""
    missing = []
    for module in ("librosa", "soundfile", "mutagen"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise InputError(
            f"local audio needs {', '.join(missing)}, which is not installed",
            field="audio",
            allowed='pip install "moodtune[audio]"',
        )


@dataclass(frozen=True)
class AudioWindow:
    """A decoded window: mono ``samples`` (shape ``(n,)``, float32 in [-1, 1]) at ``sr`` Hz.

    ``offset_s`` is where the window starts in the file and ``file_seconds`` the file's length
    as its header gives it; ``format``/``subtype`` are libsndfile's names (``MP3``,
    ``MPEG_LAYER_III``).
    """

    samples: np.ndarray
    sr: int
    offset_s: float
    file_seconds: float
    native_sr: int
    channels: int
    format: str
    subtype: str

    @property
    def seconds(self) -> float:
        """Length of the window in seconds."""
        return len(self.samples) / self.sr


def window_bounds(file_seconds: float, *, window: float = WINDOW_SECONDS) -> tuple[float, float]:
    """``(offset, length)`` in seconds of the analysis window of a file this long: centred."""
    if file_seconds <= window:
        return 0.0, file_seconds
    return (file_seconds - window) / 2.0, window


def read_window(
    path: Path | str,
    *,
    window: float = WINDOW_SECONDS,
    sr: int = ANALYSIS_SR,
) -> AudioWindow:
    """Decode ``window`` seconds (centred) of ``path`` as mono float32 resampled to ``sr`` Hz.

    Raises
    ------
    AudioFileError
        ``unsupported`` (a format libsndfile cannot decode here), ``corrupt`` (the decoder
        refused the data), ``truncated`` (fewer samples than the header promises), ``too
        short`` (under 5 s) or ``silent`` (gated loudness below -70 dBFS).
    """
    import numpy as np
    import soundfile as sf

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in UNSUPPORTED_SUFFIXES:
        raise AudioFileError(path, "unsupported", UNSUPPORTED_SUFFIXES[suffix])
    try:
        handle = sf.SoundFile(path)
    except sf.LibsndfileError as exc:
        problem: Problem = "corrupt" if suffix in DECODABLE_SUFFIXES else "unsupported"
        raise AudioFileError(
            path, problem, f"libsndfile cannot decode it as audio ({exc.error_string})"
        ) from None
    with handle:
        native_sr, frames = int(handle.samplerate), int(handle.frames)
        if native_sr <= 0 or frames <= 0:
            raise AudioFileError(path, "corrupt", "the header declares no audio frames")
        file_seconds = frames / native_sr
        if file_seconds < MIN_ANALYSIS_SECONDS:
            raise AudioFileError(
                path, "too short", f"{file_seconds:.1f} s of audio (at least 5 s is analysed)"
            )
        offset, length = window_bounds(file_seconds, window=window)
        start, count = int(offset * native_sr), int(length * native_sr)
        try:
            handle.seek(start)
            block = handle.read(count, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as exc:
            # Data that ends early fails from there to the end; damage in the middle does not.
            _probe_tail(handle, path, frames=frames, native_sr=native_sr)
            raise AudioFileError(path, "corrupt", f"decoding failed ({exc})") from None
        if len(block) < 0.98 * count:
            raise AudioFileError(
                path,
                "truncated",
                f"{(start + len(block)) / native_sr:.1f} s decode, the header says "
                f"{file_seconds:.1f} s",
            )
        _probe_tail(handle, path, frames=frames, native_sr=native_sr)
        fmt, subtype, channels = str(handle.format), str(handle.subtype), int(handle.channels)
    mono = block.mean(axis=1) if block.shape[1] > 1 else block[:, 0]
    if not np.isfinite(mono).all():
        raise AudioFileError(path, "corrupt", "the decoded samples contain NaN or infinity")
    samples = _resample(np.ascontiguousarray(mono), native_sr=native_sr, sr=sr)
    level = _gated_level_dbfs(samples, sr=sr)
    if level < SILENCE_DBFS:
        shown = "-inf" if math.isinf(level) else f"{level:.0f}"
        raise AudioFileError(
            path, "silent", f"the analysed window is silent ({shown} dBFS, below {SILENCE_DBFS:g})"
        )
    return AudioWindow(
        samples=samples,
        sr=sr,
        offset_s=start / native_sr,
        file_seconds=file_seconds,
        native_sr=native_sr,
        channels=channels,
        format=fmt,
        subtype=subtype,
    )


def _probe_tail(handle: object, path: Path, *, frames: int, native_sr: int) -> None:
    """Read the file's last half second: a file cut short fails here, not in a later play."""
    import soundfile as sf

    assert isinstance(handle, sf.SoundFile)
    probe = int(TAIL_PROBE_SECONDS * native_sr)
    try:
        handle.seek(max(frames - probe, 0))
        got = len(handle.read(probe, dtype="float32", always_2d=True))
    except (sf.LibsndfileError, RuntimeError):
        got = 0
    if got < probe // 2:
        raise AudioFileError(
            path,
            "truncated",
            f"the end of the audio cannot be decoded (the header says {frames / native_sr:.1f} s)",
        )


def _resample(samples: np.ndarray, *, native_sr: int, sr: int) -> np.ndarray:
    if native_sr == sr:
        return samples.astype("float32", copy=False)
    from moodtune.audio._librosa import import_librosa

    librosa = import_librosa()

    # soxr "LQ": its pass band and stop-band rejection are ample for onsets, spectral shape
    # and chroma (measured: the known-answer tests read the same), at half "HQ"'s cost.
    out = librosa.resample(samples, orig_sr=native_sr, target_sr=sr, res_type="soxr_lq")
    return out.astype("float32", copy=False)


def _gated_level_dbfs(samples: np.ndarray, *, sr: int) -> float:
    from moodtune.audio.features import gated_loudness

    return gated_loudness(samples, sr=sr)
