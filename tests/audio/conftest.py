"""Fixtures for the local-audio tests: synthetic files with known answers, written once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("librosa", reason='the audio tests need `pip install "moodtune[audio]"`')

from moodtune.audio.synthetic import chord_progression, click_track, drum_pattern, write_audio

SR = 22_050


@pytest.fixture(scope="session")
def audio_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One 40-s file per decodable format, and one of each kind of bad file."""
    folder = tmp_path_factory.mktemp("audio-files")
    files = {
        "clicks.flac": click_track(120, seconds=40.0, sr=SR),
        "major.ogg": chord_progression(seconds=40.0, sr=SR),
        "minor.mp3": chord_progression(minor=True, seconds=40.0, sr=SR),
        "drums.opus": drum_pattern(150, seconds=40.0, sr=SR, amplitude=0.8),
        "drums.wav": drum_pattern(90, seconds=40.0, sr=SR, amplitude=0.2),
    }
    paths = {name: write_audio(folder / name, y, sr=SR) for name, y in files.items()}
    paths["silent.flac"] = write_audio(folder / "silent.flac", np.zeros(40 * SR, np.float32))
    paths["short.wav"] = write_audio(folder / "short.wav", click_track(120, seconds=3.0, sr=SR))
    whole = paths["clicks.flac"].read_bytes()
    paths["truncated.flac"] = folder / "truncated.flac"
    paths["truncated.flac"].write_bytes(whole[: len(whole) // 2])
    paths["corrupt.mp3"] = folder / "corrupt.mp3"
    paths["corrupt.mp3"].write_bytes(b"\xff\xfb" + bytes(range(256)) * 100)
    paths["song.m4a"] = folder / "song.m4a"
    paths["song.m4a"].write_bytes(b"\x00\x00\x00\x18ftypM4A " + b"\x00" * 100)
    return paths
