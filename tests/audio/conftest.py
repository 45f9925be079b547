"""Fixtures for the local-audio tests: synthetic files with known answers, written once."""

from __future__ import annotations

import struct
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


def _box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full(kind: bytes, payload: bytes, flags: int = 0) -> bytes:
    return _box(kind, b"\x00" + flags.to_bytes(3, "big") + payload)


def minimal_m4a(path: Path, media: bytes) -> Path:
    """An MP4/M4A container (ftyp, moov with one AAC track, mdat holding ``media``).

    No M4A encoder runs here without ffmpeg; the media bytes are opaque, which is all tag
    writing may see. The track's one chunk offset (``stco``) points at ``media``.
    """
    identity = b"\x00\x01\x00\x00" + b"\x00" * 12 + b"\x00\x01\x00\x00" + b"\x00" * 12
    matrix = identity + b"\x40\x00\x00\x00"
    mvhd = _full(
        b"mvhd",
        struct.pack(">IIII", 0, 0, 44100, 44100 * 40)
        + b"\x00\x01\x00\x00"
        + b"\x01\x00"
        + b"\x00" * 10
        + matrix
        + b"\x00" * 24
        + struct.pack(">I", 2),
    )
    tkhd = _full(
        b"tkhd",
        struct.pack(">IIIII", 0, 0, 1, 0, 44100 * 40)
        + b"\x00" * 8
        + b"\x00\x00\x00\x00\x01\x00\x00\x00"
        + matrix
        + b"\x00" * 8,
        flags=7,
    )
    mdhd = _full(b"mdhd", struct.pack(">IIII", 0, 0, 44100, 44100 * 40) + b"\x55\xc4\x00\x00")
    hdlr = _full(b"hdlr", b"\x00" * 4 + b"soun" + b"\x00" * 12 + b"SoundHandler\x00")
    esds = _full(b"esds", bytes.fromhex("0319000000041140150000000001f4000001f40005021210060102"))
    mp4a = _box(
        b"mp4a",
        b"\x00" * 6
        + b"\x00\x01"
        + b"\x00" * 8
        + b"\x00\x02\x00\x10"
        + b"\x00" * 4
        + struct.pack(">I", 44100 << 16)
        + esds,
    )
    tables = (
        _full(b"stsd", struct.pack(">I", 1) + mp4a)
        + _full(b"stts", struct.pack(">III", 1, 1, 44100 * 40))
        + _full(b"stsc", struct.pack(">IIII", 1, 1, 1, 1))
        + _full(b"stsz", struct.pack(">III", 0, 1, len(media)))
    )
    dinf = _box(b"dinf", _full(b"dref", struct.pack(">I", 1) + _full(b"url ", b"", flags=1)))

    def moov(offset: int) -> bytes:
        stbl = _box(b"stbl", tables + _full(b"stco", struct.pack(">II", 1, offset)))
        minf = _box(b"minf", _full(b"smhd", b"\x00" * 4) + dinf + stbl)
        return _box(b"moov", mvhd + _box(b"trak", tkhd + _box(b"mdia", mdhd + hdlr + minf)))

    ftyp = _box(b"ftyp", b"M4A \x00\x00\x02\x00M4A mp42isom")
    start = len(ftyp) + len(moov(0)) + 8
    path.write_bytes(ftyp + moov(start) + _box(b"mdat", media))
    return path


def mp4_chunk_offset(data: bytes) -> int:
    """Where the (only) ``stco`` entry of an MP4 file says its media starts."""
    at = data.index(b"stco")
    return int(struct.unpack(">I", data[at + 12 : at + 16])[0])
