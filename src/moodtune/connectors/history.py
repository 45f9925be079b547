"""Listening-history exports read as plays and skips: Spotify, Last.fm and ListenBrainz.

Layouts understood (told apart by their content, not their file name):

* **Spotify account data** ``StreamingHistory_music_N.json`` (older ``StreamingHistoryN.json``):
  a JSON array of ``{"endTime": "YYYY-MM-DD HH:MM" (UTC), "artistName", "trackName",
  "msPlayed"}``. Podcast rows (``podcastName``/``episodeName``) are counted and left out.
* **Spotify extended streaming history** ``Streaming_History_Audio_*.json`` (older
  ``endsong_N.json``): a JSON array of objects with ``ts`` (ISO 8601 UTC), ``ms_played``,
  ``master_metadata_track_name``, ``master_metadata_album_artist_name``,
  ``master_metadata_album_album_name``, ``spotify_track_uri``, ``skipped``, ``reason_end`` and
  device details (``ip_addr``, ``platform``, ``conn_country``, ``user_agent_decrypted``, ...),
  which are **never read into a Listen**, so nothing downstream can store them.
* **Last.fm scrobbles** (CSV): the header-less ``artist,album,title,date`` of the common export
  tools (date like ``31 Jan 2021 20:15``, UTC), or a header naming ``artist``, ``track`` (or
  ``title``/``name``), optionally ``album`` and ``uts`` (Unix seconds) / ``utc_time`` / ``date``.
* **ListenBrainz listens** (JSON array, or JSON Lines as in the newer export archives): objects
  with ``listened_at`` (Unix seconds) and ``track_metadata`` (``artist_name``, ``track_name``,
  ``release_name``, ``additional_info`` with ``spotify_id``, ``isrc``, ``duration_ms``).

A play counts as a **skip** when the export says so (``skipped``, or ``reason_end`` =
``fwdbtn``) or, where it has no such flag but gives the time played (the basic Spotify files),
when it lasted under ``SKIP_BEFORE_MS`` (30 s, the learner's "early skip"). Scrobbles are plays
by Last.fm's rule (half the track or four minutes). A malformed file or record raises
``InputError`` naming the file, the record (1-based; the line for CSV and JSON Lines) and
the field. With ``skip_bad=True`` a bad *record* is left out and reported instead
(:class:`BadRecord`: file, record, field, why); a file that is not an export at all still fails.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from moodtune.connectors.matching import ExternalTrack, spotify_track_id
from moodtune.errors import InputError

__all__ = [
    "HISTORY_LAYOUTS",
    "MAX_HISTORY_BYTES",
    "SKIP_BEFORE_MS",
    "BadRecord",
    "HistoryFile",
    "Listen",
    "read_history",
]

SKIP_BEFORE_MS = 30_000
#: Largest history file read (a decade of extended Spotify history is ~12 files of ~12 MB).
MAX_HISTORY_BYTES = 200 * 1024 * 1024

HISTORY_LAYOUTS: dict[str, str] = {
    "spotify-streaming-history": "Spotify account data (StreamingHistory_music_*.json)",
    "spotify-extended-history": "Spotify extended history (Streaming_History_Audio_*.json)",
    "lastfm": "Last.fm scrobbles (CSV)",
    "listenbrainz": "ListenBrainz listens (JSON / JSON Lines)",
}


@dataclass(frozen=True)
class Listen:
    """One play from an export: when it ended (UTC), what it was, and whether it was skipped.

    Only these fields leave the reader: whatever else an export holds is dropped here.
    """

    played_at: datetime
    track: ExternalTrack
    ms_played: int | None
    skipped: bool
    source: str  #: a key of ``HISTORY_LAYOUTS``


@dataclass(frozen=True)
class BadRecord:
    """A record left out by ``skip_bad``: where it is and what was wrong with it."""

    file: str
    record: int | None  #: 1-based record number; the line for CSV and JSON Lines
    field: str | None
    message: str

    @classmethod
    def of(cls, exc: InputError, file: str) -> BadRecord:
        return cls(exc.file or file, exc.row, exc.field, exc.message)

    def __str__(self) -> str:
        where = f"{self.file}, record {self.record}" + (
            f", field {self.field!r}" if self.field else ""
        )
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class HistoryFile:
    """What one file held: its layout, its plays, and how many records were not music."""

    file: str
    layout: str
    listens: tuple[Listen, ...]
    records: int
    not_music: int = 0  #: podcast episodes, audiobooks, rows without a track
    bad: tuple[BadRecord, ...] = ()  #: records left out (only with ``skip_bad``)


def read_history(
    source: str | Path | bytes, *, name: str | None = None, skip_bad: bool = False
) -> HistoryFile:
    """Read one export file (a path, or an upload's bytes named ``name``); layout detected.

    A malformed record raises ``InputError`` (all or nothing); with ``skip_bad`` it is left out
    and listed in ``HistoryFile.bad``. A malformed *file* (not JSON or CSV, not a layout this
    reads, no records) raises either way."""
    if isinstance(source, bytes):
        label, data = name or "upload", source
    else:
        label = str(source)
        size = Path(source).stat().st_size
        if size > MAX_HISTORY_BYTES:
            raise InputError(
                f"larger than {MAX_HISTORY_BYTES // 2**20} MiB", file=label, value=size
            )
        data = Path(source).read_bytes()
    if len(data) > MAX_HISTORY_BYTES:
        raise InputError(f"larger than {MAX_HISTORY_BYTES // 2**20} MiB", file=label)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=label, field="encoding"
        ) from exc
    stripped = text.lstrip()
    if not stripped:
        raise InputError("the file is empty", file=label)
    bad: list[BadRecord] | None = [] if skip_bad else None
    if stripped[0] in "[{":
        records = _json_records(text, label, bad)
        return _read_json_history(records, label, bad)
    return _read_lastfm(text, label, bad)


def _record_error(exc: InputError, label: str, bad: list[BadRecord] | None) -> None:
    """Keep a bad record's error when skipping bad records; raise it otherwise."""
    if bad is None:
        raise exc
    bad.append(BadRecord.of(exc, label))


# -- JSON layouts ------------------------------------------------------------------------------


def _json_records(text: str, label: str, bad: list[BadRecord] | None) -> list[tuple[int, Any]]:
    """``(record number or line, object)`` pairs from a JSON array or JSON Lines text."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON: {exc.msg}", file=label, row=exc.lineno) from exc
        return list(enumerate(body, start=1))
    out = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((line_number, json.loads(line)))
        except json.JSONDecodeError as exc:
            _record_error(
                InputError(
                    f"not a JSON object on this line: {exc.msg}", file=label, row=line_number
                ),
                label,
                bad,
            )
    if len(out) == 1 and isinstance(out[0][1], dict) and "listens" in out[0][1]:
        listens = out[0][1]["listens"]  # the payload of ListenBrainz's API, saved to a file
        if isinstance(listens, list):
            return list(enumerate(listens, start=1))
    return out


def _layout_of(record: Mapping[str, Any]) -> str | None:
    if "ts" in record and "ms_played" in record:
        return "spotify-extended-history"
    if "endTime" in record and "msPlayed" in record:
        return "spotify-streaming-history"
    if "listened_at" in record and "track_metadata" in record:
        return "listenbrainz"
    return None


def _read_json_history(
    records: list[tuple[int, Any]], label: str, bad: list[BadRecord] | None
) -> HistoryFile:
    if not records:
        raise InputError("no records in the file", file=label)
    first_row, first = records[0]
    if bad is not None:  # skipping bad records: the first record of a known layout decides
        first_row, first = next(
            ((r, rec) for r, rec in records if isinstance(rec, dict) and _layout_of(rec)),
            records[0],
        )
    if not isinstance(first, dict) or (layout := _layout_of(first)) is None:
        raise InputError(
            "not a listening-history export this version reads",
            file=label,
            row=first_row,
            field="keys",
            value=sorted(first)[:8] if isinstance(first, dict) else type(first).__name__,
            allowed="; ".join(HISTORY_LAYOUTS.values()),
        )
    reader = {
        "spotify-extended-history": _extended_record,
        "spotify-streaming-history": _basic_record,
        "listenbrainz": _listenbrainz_record,
    }[layout]
    listens: list[Listen] = []
    not_music = 0
    unparsed = len(bad or ())  # lines _json_records could not parse
    for row, record in records:
        try:
            if not isinstance(record, dict):
                raise InputError("a record must be a JSON object", file=label, row=row)
            listen = reader(record, label, row)
        except InputError as exc:
            _record_error(exc, label, bad)
            continue
        if listen is None:
            not_music += 1
        else:
            listens.append(listen)
    total = len(records) + unparsed  # JSON Lines left unparsed are records too
    return HistoryFile(label, layout, tuple(listens), total, not_music, tuple(bad or ()))


def _text(record: Mapping[str, Any], key: str, label: str, row: int) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError("must be text", file=label, row=row, field=key, value=value)
    return value.strip() or None


def _ms(record: Mapping[str, Any], key: str, label: str, row: int, *, required: bool) -> int | None:
    value = record.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(
            "must be a number of milliseconds", file=label, row=row, field=key, value=value
        )
    if value < 0:
        raise InputError("must not be negative", file=label, row=row, field=key, value=value)
    return int(value)


def _timestamp(
    value: Any, key: str, label: str, row: int, *, formats: Sequence[str], iso: bool = True
) -> datetime:
    if isinstance(value, str):
        text = value.strip()
        found: datetime | None = None
        for fmt in formats:
            try:
                found = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if found is None and iso:
            try:
                found = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                found = None
        if found is not None:
            return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)
    raise InputError(
        "not a date and time this export uses",
        file=label,
        row=row,
        field=key,
        value=value,
        allowed=" or ".join(formats) or "ISO 8601",
    )


def _unix(value: Any, key: str, label: str, row: int) -> datetime:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(
            "must be Unix time in seconds", file=label, row=row, field=key, value=value
        )
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise InputError(
            "Unix time out of range", file=label, row=row, field=key, value=value
        ) from None


def _extended_record(record: Mapping[str, Any], label: str, row: int) -> Listen | None:
    # Only the fields below are read; ip_addr, platform, conn_country, user agents and the
    # other device details stay in the file.
    played_at = _timestamp(record.get("ts"), "ts", label, row, formats=("%Y-%m-%dT%H:%M:%SZ",))
    ms_played = _ms(record, "ms_played", label, row, required=True)
    title = _text(record, "master_metadata_track_name", label, row)
    uri = _text(record, "spotify_track_uri", label, row)
    if title is None and uri is None:
        return None  # a podcast episode or audiobook chapter
    spotify_id = spotify_track_id(uri) if uri else None
    if uri and spotify_id is None:
        raise InputError(
            "not a Spotify track URI",
            file=label,
            row=row,
            field="spotify_track_uri",
            value=uri,
            allowed="spotify:track:<22 characters>",
        )
    skipped_flag = record.get("skipped")
    if skipped_flag is not None and not isinstance(skipped_flag, bool):
        raise InputError(
            "must be true, false or null", file=label, row=row, field="skipped", value=skipped_flag
        )
    reason_end = _text(record, "reason_end", label, row)
    return Listen(
        played_at=played_at,
        track=ExternalTrack(
            title=title,
            artist=_text(record, "master_metadata_album_artist_name", label, row),
            album=_text(record, "master_metadata_album_album_name", label, row),
            spotify_id=spotify_id,
        ),
        ms_played=ms_played,
        skipped=bool(skipped_flag) or reason_end == "fwdbtn",
        source="spotify-extended-history",
    )


def _basic_record(record: Mapping[str, Any], label: str, row: int) -> Listen | None:
    played_at = _timestamp(
        record.get("endTime"), "endTime", label, row, formats=("%Y-%m-%d %H:%M",), iso=False
    )
    ms_played = _ms(record, "msPlayed", label, row, required=True)
    title = _text(record, "trackName", label, row)
    artist = _text(record, "artistName", label, row)
    if title is None:
        if "episodeName" in record or "podcastName" in record:
            return None
        raise InputError("a play needs its trackName", file=label, row=row, field="trackName")
    assert ms_played is not None
    return Listen(
        played_at=played_at,
        track=ExternalTrack(title=title, artist=artist),
        ms_played=ms_played,
        skipped=ms_played < SKIP_BEFORE_MS,
        source="spotify-streaming-history",
    )


def _listenbrainz_record(record: Mapping[str, Any], label: str, row: int) -> Listen | None:
    played_at = _unix(record.get("listened_at"), "listened_at", label, row)
    meta = record.get("track_metadata")
    if not isinstance(meta, dict):
        raise InputError("must be an object", file=label, row=row, field="track_metadata")
    title = _text(meta, "track_name", label, row)
    if title is None:
        raise InputError(
            "a listen needs its track_name", file=label, row=row, field="track_metadata.track_name"
        )
    info = meta.get("additional_info") or {}
    if not isinstance(info, dict):
        raise InputError("must be an object", file=label, row=row, field="additional_info")
    spotify = info.get("spotify_id")
    isrc = info.get("isrc")
    duration = info.get("duration_ms")
    return Listen(
        played_at=played_at,
        track=ExternalTrack(
            title=title,
            artist=_text(meta, "artist_name", label, row),
            album=_text(meta, "release_name", label, row),
            spotify_id=spotify_track_id(spotify) if isinstance(spotify, str) else None,
            isrc=isrc.strip().upper() if isinstance(isrc, str) and isrc.strip() else None,
            duration_ms=int(duration)
            if isinstance(duration, int | float) and not isinstance(duration, bool)
            else None,
        ),
        ms_played=None,
        skipped=False,
        source="listenbrainz",
    )


# -- Last.fm CSV -------------------------------------------------------------------------------

_LASTFM_DATE_FORMATS = ("%d %b %Y %H:%M", "%d %b %Y, %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
_LASTFM_HEADERS = {
    "artist": ("artist", "artistname", "artist_name"),
    "title": ("track", "title", "name", "trackname", "track_name"),
    "album": ("album", "albumname", "album_name"),
    "uts": ("uts", "timestamp", "unixtime"),
    "date": ("utctime", "utc_time", "date", "datetime", "playedat"),
}


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise InputError(f"unreadable CSV: {exc}", row=reader.line_num) from exc


def _read_lastfm(text: str, label: str, bad: list[BadRecord] | None) -> HistoryFile:
    try:
        rows = [(line, row) for line, row in _rows(text) if any(c.strip() for c in row)]
    except InputError as exc:
        raise InputError(exc.message, file=label, row=exc.row) from exc
    if not rows:
        raise InputError("the file is empty", file=label)
    header = [c.strip().lower().replace(" ", "_") for c in rows[0][1]]
    columns: dict[str, int] = {}
    for name, aliases in _LASTFM_HEADERS.items():
        for index, column in enumerate(header):
            if column in aliases and name not in columns:
                columns[name] = index
    if "artist" in columns and "title" in columns:
        data = rows[1:]
    elif len(header) == 4:  # artist, album, title, date: no header
        columns = {"artist": 0, "album": 1, "title": 2, "date": 3}
        data = rows
    else:
        raise InputError(
            "not a Last.fm scrobble export",
            file=label,
            row=rows[0][0],
            field="header",
            value=",".join(rows[0][1])[:200],
            allowed="artist,album,title,date without a header, or a header naming artist, track "
            "and uts or utc_time",
        )
    if "uts" not in columns and "date" not in columns:
        raise InputError(
            "no column says when the scrobble was",
            file=label,
            row=rows[0][0],
            field="header",
            allowed="uts, utc_time or date",
        )
    listens = []
    has_header = data is not rows
    for line, row in data:
        try:
            listens.append(_scrobble(row, line, columns, header, label, has_header=has_header))
        except InputError as exc:
            _record_error(exc, label, bad)
    return HistoryFile(label, "lastfm", tuple(listens), len(data), bad=tuple(bad or ()))


def _scrobble(
    row: list[str],
    line: int,
    columns: Mapping[str, int],
    header: Sequence[str],
    label: str,
    *,
    has_header: bool,
) -> Listen:
    """One Last.fm CSV row as a play, or ``InputError`` naming the line and field."""
    if len(row) <= max(columns.values()):
        raise InputError(
            f"{len(row)} values; expected at least {max(columns.values()) + 1}",
            file=label,
            row=line,
            field="row",
        )

    def cell(name: str) -> str:
        return row[columns[name]].strip() if name in columns else ""

    if "uts" in columns and cell("uts"):
        played_at = _unix(cell("uts"), header[columns["uts"]] or "uts", label, line)
    else:
        field_name = header[columns["date"]] if has_header else "date"
        played_at = _timestamp(cell("date"), field_name, label, line, formats=_LASTFM_DATE_FORMATS)
    title, artist = cell("title"), cell("artist")
    if not title or not artist:
        raise InputError(
            "a scrobble needs an artist and a title",
            file=label,
            row=line,
            field="title" if not title else "artist",
        )
    return Listen(
        played_at=played_at,
        track=ExternalTrack(title=title, artist=artist, album=cell("album") or None),
        ms_played=None,
        skipped=False,
        source="lastfm",
    )
