"""Tags are read from every container; mood and tempo are written without touching the audio."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import soundfile as sf

from moodtune.audio.tags import (
    MoodTags,
    audio_payload_digest,
    read_mood_tags,
    read_tags,
    write_mood_tags,
)

MOOD = MoodTags(bpm=121.6, valence=0.25, arousal=-0.5, quadrant="calm/relaxed")
CONTAINERS = ["clicks.flac", "major.ogg", "minor.mp3", "drums.opus", "drums.wav"]


def _decoded_sha(path: Path) -> str:
    samples, _ = sf.read(path, dtype="int32", always_2d=True)
    return hashlib.sha256(samples.tobytes()).hexdigest()


def _tag(path: Path, *, title: str, artist: str, album: str, isrc: str) -> None:
    import mutagen
    from mutagen.id3 import TALB, TIT2, TPE1, TSRC

    audio = mutagen.File(path)
    if audio.tags is None:
        audio.add_tags()
    if path.suffix in {".mp3", ".wav"}:
        for frame in (
            TIT2(text=[title]),
            TPE1(text=[artist]),
            TALB(text=[album]),
            TSRC(text=[isrc]),
        ):
            audio.tags.add(frame)
    else:
        audio.tags.update({"title": [title], "artist": [artist], "album": [album], "isrc": [isrc]})
    audio.save()


@pytest.fixture
def copies(audio_files: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    return {name: Path(shutil.copy2(audio_files[name], tmp_path / name)) for name in CONTAINERS}


@pytest.mark.parametrize("name", CONTAINERS)
def test_title_artist_album_isrc_and_duration_are_read(copies: dict[str, Path], name: str) -> None:
    path = copies[name]
    _tag(path, title="Song", artist="Band", album="Record", isrc="GBAYE0000001")
    tags = read_tags(path)
    assert (tags.title, tags.artist, tags.album, tags.isrc) == (
        "Song",
        "Band",
        "Record",
        "GBAYE0000001",
    )
    assert tags.duration_s == pytest.approx(40.0, abs=0.2)
    assert tags.tag_error is None


@pytest.mark.parametrize("name", CONTAINERS)
def test_writing_mood_tags_leaves_the_audio_frames_untouched(
    copies: dict[str, Path], name: str
) -> None:
    path = copies[name]
    _tag(path, title="Song", artist="Band", album="Record", isrc="GBAYE0000001")
    frames, decoded, whole = audio_payload_digest(path), _decoded_sha(path), path.read_bytes()
    write_mood_tags(path, MOOD)
    assert path.read_bytes() != whole  # the tags did go in
    assert audio_payload_digest(path) == frames
    assert _decoded_sha(path) == decoded
    written = {k.upper(): v for k, v in read_mood_tags(path).items()}
    prefix = "TXXX:" if name.endswith((".mp3", ".wav")) else ""
    assert written[f"{prefix}MOODTUNE_VALENCE"] == "0.250"
    assert written[f"{prefix}MOODTUNE_AROUSAL"] == "-0.500"
    assert written[f"{prefix}MOODTUNE_QUADRANT"] == "calm/relaxed"
    assert written["TBPM" if prefix else "BPM"] == "122"
    assert read_tags(path).title == "Song"  # the listener's own tags are kept
    write_mood_tags(path, MOOD)  # again: replaced, not repeated
    assert audio_payload_digest(path) == frames


@pytest.mark.parametrize("name", ["clicks.flac", "minor.mp3", "drums.wav", "major.ogg"])
def test_the_payload_digest_sees_a_change_to_the_audio(copies: dict[str, Path], name: str) -> None:
    path = copies[name]
    before = audio_payload_digest(path)
    data = bytearray(path.read_bytes())
    data[-2000] ^= 0xFF  # one byte deep in the audio data
    path.write_bytes(bytes(data))
    assert audio_payload_digest(path) != before


def test_mp4_freeform_tags_go_in_and_the_media_stays_where_the_track_points(
    tmp_path: Path,
) -> None:
    import mutagen
    from mutagen.mp4 import MP4FreeForm

    from .conftest import minimal_m4a, mp4_chunk_offset

    media = bytes(range(256)) * 40
    path = minimal_m4a(tmp_path / "song.m4a", media)
    audio = mutagen.File(path)
    audio.add_tags()
    audio.tags["\xa9nam"] = ["Song"]
    audio.tags["----:com.apple.iTunes:ISRC"] = [MP4FreeForm(b"GBAYE0000001")]
    audio.save()
    tags = read_tags(path)
    assert (tags.title, tags.isrc, tags.duration_s) == ("Song", "GBAYE0000001", 40.0)
    before = audio_payload_digest(path)
    write_mood_tags(path, MOOD)
    data = path.read_bytes()
    assert audio_payload_digest(path) == before
    offset = mp4_chunk_offset(data)
    assert data[offset : offset + len(media)] == media  # moved or not, still found
    written = read_mood_tags(path)
    assert written["----:org.moodtune:VALENCE"] == "0.250"
    assert written["----:org.moodtune:QUADRANT"] == "calm/relaxed"
    assert written["tmpo"] == "122"
