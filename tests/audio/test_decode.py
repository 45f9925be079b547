"""Which formats decode here, the window taken, and why a bad file is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodtune.audio.decode import (
    ANALYSIS_SR,
    UNSUPPORTED_SUFFIXES,
    AudioFileError,
    read_window,
    window_bounds,
)
from moodtune.audio.features import analyse_window


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("clicks.flac", "FLAC"),
        ("major.ogg", "OGG"),
        ("minor.mp3", "MP3"),
        ("drums.opus", "OGG"),
        ("drums.wav", "WAV"),
    ],
)
def test_each_supported_format_decodes_a_centred_30_s_window(
    audio_files: dict[str, Path], name: str, fmt: str
) -> None:
    window = read_window(audio_files[name])
    assert window.format == fmt
    assert window.sr == ANALYSIS_SR
    assert window.seconds == pytest.approx(30.0, abs=0.05)
    assert window.offset_s == pytest.approx(5.0, abs=0.05)  # (40 - 30) / 2
    assert window.file_seconds == pytest.approx(40.0, abs=0.1)


def test_a_decoded_click_track_keeps_its_tempo(audio_files: dict[str, Path]) -> None:
    for name in ("clicks.flac",):
        window = read_window(audio_files[name])
        assert analyse_window(window.samples, sr=window.sr).tempo_bpm == pytest.approx(
            120, rel=0.02
        )


def test_short_files_are_analysed_whole() -> None:
    assert window_bounds(12.0) == (0.0, 12.0)
    assert window_bounds(3600.0) == (1785.0, 30.0)


@pytest.mark.parametrize(
    ("name", "problem", "reason"),
    [
        ("song.m4a", "unsupported", "needs ffmpeg"),
        ("corrupt.mp3", "corrupt", "cannot decode"),
        ("truncated.flac", "truncated", "end of the audio"),
        ("silent.flac", "silent", "dBFS"),
        ("short.wav", "too short", "3.0 s"),
    ],
)
def test_a_bad_file_is_refused_with_its_path_and_reason(
    audio_files: dict[str, Path], name: str, problem: str, reason: str
) -> None:
    with pytest.raises(AudioFileError) as caught:
        read_window(audio_files[name])
    assert caught.value.problem == problem
    assert reason in caught.value.reason
    assert caught.value.file == str(audio_files[name])


def test_every_unsupported_suffix_names_its_missing_codec() -> None:
    assert {".m4a", ".aac", ".wma"} <= set(UNSUPPORTED_SUFFIXES)
    assert all("ffmpeg" in reason for reason in UNSUPPORTED_SUFFIXES.values())
