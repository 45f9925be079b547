"""Read a file's tags (mutagen) and, on request only, write mood and tempo back into them.

Tag names written (``docs/audio.md`` lists them too):

* ID3 (MP3, WAV): ``TBPM`` (whole BPM) and ``TXXX`` frames ``MOODTUNE_BPM``,
  ``MOODTUNE_VALENCE``, ``MOODTUNE_AROUSAL``, ``MOODTUNE_QUADRANT``, ``MOODTUNE_VERSION``;
* Vorbis comments (FLAC, Ogg Vorbis, Opus): ``BPM`` and the same five ``MOODTUNE_*`` names;
* MP4/M4A: ``tmpo`` and freeform atoms ``----:org.moodtune:BPM`` (``VALENCE``, ``AROUSAL``,
  ``QUADRANT``, ``VERSION``).

Valence and arousal are written with three decimals on moodtune's [-1, 1] scale; ``BPM`` and
``TBPM`` hold the rounded tempo (the fields players read), ``MOODTUNE_BPM`` one decimal.

Writing never touches the audio: tags are written into a copy beside the file, the copy's
audio payload (:func:`audio_payload_digest`) is checked against the original's, and only
then is the copy renamed over the original (atomic: an interrupted write leaves the old file).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from moodtune.errors import InputError

__all__ = [
    "TAG_VERSION",
    "MoodTags",
    "TrackTags",
    "audio_payload_digest",
    "read_mood_tags",
    "read_tags",
    "write_mood_tags",
]

#: Written as ``MOODTUNE_VERSION``: which method produced the values.
TAG_VERSION = "moodtune-audio-1"
_MP4_MEAN = "org.moodtune"


@dataclass(frozen=True)
class TrackTags:
    """What a file's tags say; ``None`` where a tag is absent. ``tag_error`` when unreadable."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    genre: str | None = None
    date: str | None = None
    isrc: str | None = None
    duration_s: float | None = None
    tag_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MoodTags:
    """The values :func:`write_mood_tags` writes (and :func:`read_mood_tags` reads back)."""

    bpm: float
    valence: float
    arousal: float
    quadrant: str


def _first(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = value[0] if value else None
        if value is None:
            return None
    if hasattr(value, "text"):  # an ID3 frame
        return _first(list(value.text))
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = text.strip()
    return text or None


def _kind(audio: Any) -> str:
    from mutagen.id3 import ID3
    from mutagen.mp4 import MP4

    if isinstance(audio, MP4):
        return "mp4"
    if isinstance(audio.tags, ID3) or type(audio).__name__ in {"MP3", "WAVE", "AIFF"}:
        return "id3"
    return "vorbis"


_ID3_FIELDS = {"title": "TIT2", "artist": "TPE1", "album": "TALB", "genre": "TCON",
               "date": "TDRC", "isrc": "TSRC"}  # fmt: skip
_MP4_FIELDS = {"title": "\xa9nam", "artist": "\xa9ART", "album": "\xa9alb", "genre": "\xa9gen",
               "date": "\xa9day", "isrc": "----:com.apple.iTunes:ISRC"}  # fmt: skip


def read_tags(path: Path | str) -> TrackTags:
    """Title, artist, album, genre, date, ISRC and duration from ``path``'s tags.

    A file whose tags mutagen cannot parse still has audio: the reason is kept in
    ``tag_error`` and every field is ``None``; whether the audio decodes is for
    :func:`moodtune.audio.decode.read_window` to say.
    """
    import mutagen

    try:
        audio = mutagen.File(path)
    except (mutagen.MutagenError, OSError, ValueError, struct.error) as exc:
        return TrackTags(tag_error=f"{type(exc).__name__}: {exc}")
    if audio is None:
        return TrackTags(tag_error="no tag format recognised")
    duration = getattr(getattr(audio, "info", None), "length", None)
    tags = audio.tags
    values: dict[str, str | None] = {}
    kind = _kind(audio)
    for field in ("title", "artist", "album", "genre", "date", "isrc"):
        if tags is None:
            values[field] = None
        elif kind == "id3":
            values[field] = _first(tags.get(_ID3_FIELDS[field]))
        elif kind == "mp4":
            values[field] = _first(tags.get(_MP4_FIELDS[field]))
        else:
            values[field] = _first(tags.get(field))
    return TrackTags(duration_s=float(duration) if duration else None, **values)


def read_mood_tags(path: Path | str) -> dict[str, str]:
    """The moodtune tags present in ``path`` (name as written -> text)."""
    import mutagen

    audio = mutagen.File(path)
    if audio is None or audio.tags is None:
        return {}
    found: dict[str, str] = {}
    for key in list(audio.tags.keys()):
        name = str(key)
        upper = name.upper()
        if "MOODTUNE" in upper or _MP4_MEAN in name or upper in {"BPM", "TBPM", "TMPO"}:
            value = audio.tags[key]
            text = _first(value)
            if text is None and isinstance(value, list) and value:
                text = str(value[0])
            found[name] = text or ""
    return found


def _write_into(path: Path, mood: MoodTags) -> None:
    import mutagen
    from mutagen.id3 import TBPM, TXXX

    audio = mutagen.File(path)
    if audio is None:
        raise InputError("no tag format recognised: tags not written", file=str(path))
    values = {
        "VALENCE": f"{mood.valence:.3f}",
        "AROUSAL": f"{mood.arousal:.3f}",
        "QUADRANT": mood.quadrant,
        "BPM": f"{mood.bpm:.1f}",
        "VERSION": TAG_VERSION,
    }
    kind = _kind(audio)
    if audio.tags is None:
        audio.add_tags()
    tags = audio.tags
    if kind == "id3":
        tags.delall("TBPM")
        tags.add(TBPM(encoding=3, text=[str(round(mood.bpm))]))
        for name, text in values.items():
            tags.delall(f"TXXX:MOODTUNE_{name}")
            tags.add(TXXX(encoding=3, desc=f"MOODTUNE_{name}", text=[text]))
    elif kind == "mp4":
        from mutagen.mp4 import MP4FreeForm

        tags["tmpo"] = [round(mood.bpm)]
        for name, text in values.items():
            tags[f"----:{_MP4_MEAN}:{name}"] = [MP4FreeForm(text.encode("utf-8"))]
    else:
        tags["BPM"] = [str(round(mood.bpm))]
        for name, text in values.items():
            tags[f"MOODTUNE_{name}"] = [text]
    audio.save()


def write_mood_tags(path: Path | str, mood: MoodTags) -> None:
    """Write ``mood`` into ``path``'s tags, leaving its audio payload byte for byte as it was.

    Raises ``InputError`` naming the file when its tags cannot be written or when the audio
    payload would change (then the original is left exactly as it was).
    """
    import mutagen

    path = Path(path)
    before = audio_payload_digest(path)
    handle, staged_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    staged = Path(staged_name)
    try:
        shutil.copy2(path, staged)
        try:
            _write_into(staged, mood)
        except (mutagen.MutagenError, struct.error, ValueError) as exc:
            raise InputError(f"tags could not be written ({exc})", file=str(path)) from None
        if audio_payload_digest(staged) != before:
            raise InputError(
                "writing the tags would change the audio data: the file was left unchanged",
                file=str(path),
            )
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)


def audio_payload_digest(path: Path | str) -> str:
    """sha256 of the encoded audio alone, without any tag: what tag writing must not change.

    MP3: the bytes between a leading ID3v2 tag and trailing ID3v1/APE tags. FLAC: the
    frames after the metadata blocks. MP4: the ``mdat`` atoms. WAV/AIFF: the ``data`` or
    ``SSND`` chunk. Ogg: the packets after the stream's header packets (the comment packet
    holds the tags; pages may be re-laid, packets are not). Anything else: decoded samples.
    """
    path = Path(path)
    data = path.read_bytes()
    digest = hashlib.sha256()
    if data[:4] == b"fLaC":
        digest.update(data[_flac_audio_start(data, path) :])
    elif data[:4] == b"OggS":
        for packet in _ogg_packets(data)[_ogg_header_packets(data) :]:
            digest.update(packet)
    elif data[4:8] == b"ftyp":
        digest.update(_mp4_media(data, path))
    elif data[:4] in (b"RIFF", b"FORM"):
        digest.update(_riff_audio(data, path))
    elif data[:3] == b"ID3" or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\xff\xfa"):
        digest.update(_mpeg_audio(data))
    else:
        import soundfile as sf

        samples, _ = sf.read(path, dtype="int32", always_2d=True)
        digest.update(samples.tobytes())
    return digest.hexdigest()


def _flac_audio_start(data: bytes, path: Path) -> int:
    position = 4
    while position + 4 <= len(data):
        header = data[position]
        length = int.from_bytes(data[position + 1 : position + 4], "big")
        position += 4 + length
        if header & 0x80:  # the last metadata block
            return position
    raise InputError("FLAC metadata blocks run past the end of the file", file=str(path))


def _synchsafe(raw: bytes) -> int:
    return (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]


def _mpeg_audio(data: bytes) -> bytes:
    start = 0
    while data[start : start + 3] == b"ID3" and start + 10 <= len(data):
        footer = 10 if data[start + 5] & 0x10 else 0
        start += 10 + _synchsafe(data[start + 6 : start + 10]) + footer
    end = len(data)
    if data[end - 128 : end - 125] == b"TAG":
        end -= 128
    if data[end - 32 : end - 24] == b"APETAGEX":
        size = int.from_bytes(data[end - 20 : end - 16], "little")
        end -= size + (32 if data[end - size - 32 : end - size - 24] == b"APETAGEX" else 0)
    return data[start:end]


def _riff_audio(data: bytes, path: Path) -> bytes:
    big = data[:4] == b"FORM"
    position = 12
    wanted = b"SSND" if big else b"data"
    while position + 8 <= len(data):
        chunk = data[position : position + 4]
        size = int.from_bytes(data[position + 4 : position + 8], "big" if big else "little")
        if chunk == wanted:
            return data[position + 8 : position + 8 + size]
        position += 8 + size + (size & 1)
    raise InputError(f"no {wanted.decode()} chunk", file=str(path))


def _mp4_media(data: bytes, path: Path) -> bytes:
    media = bytearray()
    position = 0
    while position + 8 <= len(data):
        size = int.from_bytes(data[position : position + 4], "big")
        header = 8
        if size == 1:
            size, header = int.from_bytes(data[position + 8 : position + 16], "big"), 16
        elif size == 0:
            size = len(data) - position
        if size < header:
            raise InputError("an MP4 atom has an impossible size", file=str(path))
        if data[position + 4 : position + 8] == b"mdat":
            media += data[position + header : position + size]
        position += size
    return bytes(media)


def _ogg_packets(data: bytes) -> list[bytes]:
    """The packets of an Ogg file's (first) logical stream, reassembled across pages."""
    packets: list[bytes] = []
    current = bytearray()
    position = 0
    while data[position : position + 4] == b"OggS":
        segments = data[position + 26]
        table = data[position + 27 : position + 27 + segments]
        position += 27 + segments
        for lacing in table:
            current += data[position : position + lacing]
            position += lacing
            if lacing < 255:
                packets.append(bytes(current))
                current = bytearray()
    return packets


def _ogg_header_packets(data: bytes) -> int:
    # Vorbis has three header packets (identification, comment, setup); Opus two.
    return 2 if b"OpusHead" in data[:64] else 3
