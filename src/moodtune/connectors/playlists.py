"""Playlist files: a journey or playlist written as M3U8, XSPF, CSV or JSON, and read back.

Writing is for taking a journey to a player; reading (M3U8, XSPF, CSV; JSON too, for the
round trip) is for bringing a listener's playlists in as preference signals, matched to the
catalog by ``connectors.matching``. Formats, as written:

* **M3U8** (UTF-8 extended M3U): ``#EXTM3U``, ``#PLAYLIST:name``, then per track
  ``#EXTINF:<seconds>,<artist> - <title>`` and its location: the local path when the track has
  one (``locations="path"`` or ``"auto"``), else ``spotify:track:<id>``.
* **XSPF** 1 (``http://xspf.org/ns/0/``): ``title``, ``creator``, ``album``, ``duration`` (ms),
  ``location`` (a ``file://`` URI or the Spotify URI) and ``identifier`` (the Spotify URI,
  ``isrc:<code>``).
* **CSV**: one header row, ``position,track_id,title,artist,album,duration_ms,spotify_uri,isrc,
  path,valence,arousal``; on reading, common headers of other tools are understood too
  (``Track Name``, ``Artist Name(s)``, ``Track URI``, ``Duration (ms)``, ``ISRC``, ...).
* **JSON**: ``{"format": "moodtune-playlist", "format_version": 1, "name", "tracks": [...]}``
  with the CSV's fields per track.

A malformed file raises ``InputError`` naming the file, the line (M3U8, CSV: as an editor
numbers them; XSPF, JSON: the track's number) and the field.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote, urlparse
from xml.etree import ElementTree as ET

from moodtune.connectors.matching import ExternalTrack, spotify_track_id
from moodtune.errors import InputError

__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "JSON_FORMAT_VERSION",
    "MEDIA_TYPES",
    "Playlist",
    "PlaylistEntry",
    "entry_from_catalog_row",
    "format_from_name",
    "has_location",
    "read_playlist",
    "write_playlist",
]

PlaylistFormat = Literal["m3u8", "xspf", "csv", "json"]
Locations = Literal["auto", "path", "spotify"]

EXPORT_FORMATS: tuple[str, ...] = ("m3u8", "xspf", "csv", "json")
IMPORT_FORMATS: tuple[str, ...] = ("m3u8", "xspf", "csv", "json")
MEDIA_TYPES: dict[str, str] = {
    "m3u8": "audio/x-mpegurl; charset=utf-8",
    "xspf": "application/xspf+xml; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
JSON_FORMAT_VERSION = 1
XSPF_NS = "http://xspf.org/ns/0/"
CSV_COLUMNS = (
    "position",
    "track_id",
    "title",
    "artist",
    "album",
    "duration_ms",
    "spotify_uri",
    "isrc",
    "path",
    "valence",
    "arousal",
)
_EXTENSIONS = {".m3u8": "m3u8", ".m3u": "m3u8", ".xspf": "xspf", ".csv": "csv", ".json": "json"}
#: The largest playlist file read: far above any real playlist, small enough to hold in memory.
MAX_PLAYLIST_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class PlaylistEntry(ExternalTrack):
    """One track of a playlist: how outside players name it, plus what moodtune knows.

    ``track_id`` is the catalog id (None for a track read from a file before matching);
    ``valence`` / ``arousal`` are the track's mood position, written for the listener's use.
    """

    track_id: str | None = None
    valence: float | None = None
    arousal: float | None = None

    @property
    def spotify_uri(self) -> str | None:
        return f"spotify:track:{self.spotify_id}" if self.spotify_id else None


@dataclass(frozen=True)
class Playlist:
    """A named, ordered list of tracks."""

    name: str
    entries: tuple[PlaylistEntry, ...] = field(default_factory=tuple)


def format_from_name(name: str) -> PlaylistFormat:
    """The playlist format a file name's extension says (``.m3u`` reads as M3U8)."""
    suffix = Path(name).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise InputError(
            f"cannot tell the playlist format of {name!r} from its extension",
            file=name,
            field="format",
            value=suffix or name,
            allowed=", ".join(sorted(_EXTENSIONS)),
        )
    return _EXTENSIONS[suffix]  # type: ignore[return-value]


def _check_format(fmt: str, allowed: Sequence[str]) -> PlaylistFormat:
    value = str(fmt).lower().lstrip(".")
    value = "m3u8" if value == "m3u" else value
    if value not in allowed:
        raise InputError(
            "unknown playlist format", field="format", value=fmt, allowed=", ".join(allowed)
        )
    return value  # type: ignore[return-value]


# -- writing -----------------------------------------------------------------------------------


def write_playlist(playlist: Playlist, fmt: str, *, locations: Locations = "auto") -> str:
    """``playlist`` as the text of a ``fmt`` file (``EXPORT_FORMATS``).

    ``locations`` chooses what M3U8 and XSPF point at: ``"path"`` local files, ``"spotify"``
    Spotify URIs, ``"auto"`` the local file when there is one, else the Spotify URI. A track
    with nothing to point at raises ``InputError`` naming it.
    """
    kind = _check_format(fmt, EXPORT_FORMATS)
    if kind == "m3u8":
        return _write_m3u8(playlist, locations)
    if kind == "xspf":
        return _write_xspf(playlist, locations)
    if kind == "csv":
        return _write_csv(playlist)
    return _write_json(playlist)


def has_location(entry: PlaylistEntry, locations: Locations = "auto") -> bool:
    """Whether M3U8 and XSPF can point at ``entry`` with these ``locations``."""
    path = entry.path if locations in ("auto", "path") else None
    uri = entry.spotify_uri if locations in ("auto", "spotify") else None
    return bool(path or uri)


def _location(entry: PlaylistEntry, number: int, locations: Locations) -> str:
    path = entry.path if locations in ("auto", "path") else None
    uri = entry.spotify_uri if locations in ("auto", "spotify") else None
    found = path or uri
    if found is None:
        wanted = {"auto": "a local path or a Spotify id", "path": "a local path"}.get(
            locations, "a Spotify id"
        )
        raise InputError(
            f"track {number} ({entry.label}) has no location to write: it needs {wanted}",
            row=number,
            field="location",
            value=entry.track_id,
            allowed="locations auto, path or spotify",
        )
    return found


def _extinf_title(entry: PlaylistEntry) -> str:
    text = f"{entry.artist} - {entry.title}" if entry.artist and entry.title else entry.label
    return text.replace("\n", " ").replace("\r", " ")


def _write_m3u8(playlist: Playlist, locations: Locations) -> str:
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(playlist.name)}"]
    for number, entry in enumerate(playlist.entries, start=1):
        seconds = -1 if entry.duration_ms is None else round(entry.duration_ms / 1000)
        lines.append(f"#EXTINF:{seconds},{_extinf_title(entry)}")
        lines.append(_location(entry, number, locations))
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _file_uri(path: str) -> str:
    if "://" in path:
        return path
    return "file://" + quote(str(Path(path).as_posix()) if path.startswith("/") else path)


def _write_xspf(playlist: Playlist, locations: Locations) -> str:
    ET.register_namespace("", XSPF_NS)
    root = ET.Element(f"{{{XSPF_NS}}}playlist", version="1")
    ET.SubElement(root, f"{{{XSPF_NS}}}title").text = playlist.name
    track_list = ET.SubElement(root, f"{{{XSPF_NS}}}trackList")
    for number, entry in enumerate(playlist.entries, start=1):
        track = ET.SubElement(track_list, f"{{{XSPF_NS}}}track")
        where = _location(entry, number, locations)
        ET.SubElement(track, f"{{{XSPF_NS}}}location").text = (
            where if where.startswith("spotify:") else _file_uri(where)
        )
        if entry.spotify_uri:
            ET.SubElement(track, f"{{{XSPF_NS}}}identifier").text = entry.spotify_uri
        if entry.isrc:
            ET.SubElement(track, f"{{{XSPF_NS}}}identifier").text = f"isrc:{entry.isrc}"
        for tag, value in (
            ("title", entry.title),
            ("creator", entry.artist),
            ("album", entry.album),
        ):
            if value:
                ET.SubElement(track, f"{{{XSPF_NS}}}{tag}").text = value
        if entry.duration_ms is not None:
            ET.SubElement(track, f"{{{XSPF_NS}}}duration").text = str(int(entry.duration_ms))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _csv_row(number: int, entry: PlaylistEntry) -> dict[str, Any]:
    return {
        "position": number,
        "track_id": entry.track_id or "",
        "title": entry.title or "",
        "artist": entry.artist or "",
        "album": entry.album or "",
        "duration_ms": "" if entry.duration_ms is None else int(entry.duration_ms),
        "spotify_uri": entry.spotify_uri or "",
        "isrc": entry.isrc or "",
        "path": entry.path or "",
        "valence": "" if entry.valence is None else round(entry.valence, 4),
        "arousal": "" if entry.arousal is None else round(entry.arousal, 4),
    }


def _write_csv(playlist: Playlist) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for number, entry in enumerate(playlist.entries, start=1):
        writer.writerow(_csv_row(number, entry))
    return out.getvalue()


def _write_json(playlist: Playlist) -> str:
    tracks = []
    for number, entry in enumerate(playlist.entries, start=1):
        row = {k: v for k, v in _csv_row(number, entry).items() if v != ""}
        tracks.append(row)
    body = {
        "format": "moodtune-playlist",
        "format_version": JSON_FORMAT_VERSION,
        "name": playlist.name,
        "tracks": tracks,
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


# -- reading -----------------------------------------------------------------------------------


def read_playlist(
    source: str | Path | bytes, *, fmt: str | None = None, name: str | None = None
) -> Playlist:
    """Read a playlist file (a path, or the bytes of an upload named ``name``).

    The format comes from ``fmt`` or the file name's extension. Entries carry what the file
    says (title, artist, album, duration, Spotify id, ISRC, path); ``track_id`` is left for
    ``CatalogMatcher`` unless the file (CSV, JSON) names a catalog id.
    """
    if isinstance(source, bytes):
        label = name or "upload"
        data = source
    else:
        label = str(source)
        path = Path(source)
        if path.stat().st_size > MAX_PLAYLIST_BYTES:
            raise InputError(
                f"the file is larger than {MAX_PLAYLIST_BYTES // (1024 * 1024)} MiB",
                file=label,
                value=path.stat().st_size,
            )
        data = path.read_bytes()
    if len(data) > MAX_PLAYLIST_BYTES:
        raise InputError("the file is too large for a playlist", file=label, value=len(data))
    kind = _check_format(fmt, IMPORT_FORMATS) if fmt else format_from_name(name or label)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=label, field="encoding"
        ) from exc
    default_name = Path(name or label).stem
    if kind == "m3u8":
        return _read_m3u8(text, label, default_name)
    if kind == "xspf":
        return _read_xspf(text, label, default_name)
    if kind == "csv":
        return _read_csv(text, label, default_name)
    return _read_json(text, label, default_name)


def _entry_for_location(location: str) -> PlaylistEntry:
    found = spotify_track_id(location)
    if found:
        return PlaylistEntry(spotify_id=found)
    parsed = urlparse(location)
    path = unquote(parsed.path) if parsed.scheme == "file" else location
    return PlaylistEntry(path=path)


def _split_extinf_title(text: str) -> tuple[str | None, str | None]:
    artist, sep, title = text.partition(" - ")
    if not sep:
        return None, text.strip() or None
    return artist.strip() or None, title.strip() or None


def _read_m3u8(text: str, label: str, default_name: str) -> Playlist:
    name = default_name
    pending: PlaylistEntry | None = None
    entries: list[PlaylistEntry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#PLAYLIST:"):
            name = line.removeprefix("#PLAYLIST:").strip() or name
        elif line.startswith("#EXTINF:"):
            head, sep, title_text = line.removeprefix("#EXTINF:").partition(",")
            if not sep:
                raise InputError(
                    "an #EXTINF line needs '<seconds>,<artist> - <title>'",
                    file=label,
                    row=number,
                    field="EXTINF",
                    value=line,
                )
            seconds_text = head.split()[0] if head.split() else ""
            try:
                seconds = float(seconds_text)
            except ValueError:
                raise InputError(
                    "the #EXTINF duration is not a number of seconds",
                    file=label,
                    row=number,
                    field="EXTINF",
                    value=seconds_text,
                    allowed="a number (-1 when unknown)",
                ) from None
            artist, title = _split_extinf_title(title_text)
            duration = None if seconds < 0 or not math.isfinite(seconds) else round(seconds * 1000)
            pending = PlaylistEntry(title=title, artist=artist, duration_ms=duration)
        elif line.startswith("#"):
            continue  # other directives and comments
        else:
            located = _entry_for_location(line)
            base = pending or PlaylistEntry()
            entries.append(replace(base, spotify_id=located.spotify_id, path=located.path))
            pending = None
    if pending is not None:
        raise InputError(
            "the last #EXTINF line has no location after it",
            file=label,
            row=len(text.splitlines()),
            field="location",
        )
    return Playlist(name=name, entries=tuple(entries))


def _reject_doctype(text: str, label: str) -> None:
    # A document type can declare entities that expand without bound; playlists never need one.
    if re.search(r"<!(?:DOCTYPE|ENTITY)", text, flags=re.IGNORECASE):
        raise InputError(
            "XSPF files with a DOCTYPE or ENTITY declaration are refused",
            file=label,
            field="DOCTYPE",
        )


def _read_xspf(text: str, label: str, default_name: str) -> Playlist:
    _reject_doctype(text, label)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        raise InputError(
            f"not well-formed XML (column {column})", file=label, row=line, field="xml"
        ) from exc
    ns = {"x": XSPF_NS}
    if root.tag != f"{{{XSPF_NS}}}playlist":
        raise InputError(
            "the root element is not an XSPF playlist",
            file=label,
            field="playlist",
            value=root.tag,
            allowed=f"{{{XSPF_NS}}}playlist",
        )
    name = (root.findtext("x:title", default="", namespaces=ns) or "").strip() or default_name
    entries = []
    for number, track in enumerate(root.findall("x:trackList/x:track", ns), start=1):

        def text_of(tag: str, track: ET.Element = track) -> str | None:
            value = track.findtext(f"x:{tag}", default="", namespaces=ns).strip()
            return value or None

        duration_text = text_of("duration")
        duration = None
        if duration_text is not None:
            if not duration_text.isdigit():
                raise InputError(
                    "the duration is not a whole number of milliseconds",
                    file=label,
                    row=number,
                    field="duration",
                    value=duration_text,
                )
            duration = int(duration_text)
        spotify_id = isrc = None
        for ident in track.findall("x:identifier", ns):
            value = (ident.text or "").strip()
            if value.lower().startswith("isrc:"):
                isrc = value[5:].strip().upper() or None
            elif found := spotify_track_id(value):
                spotify_id = found
        location = text_of("location")
        located = _entry_for_location(location) if location else PlaylistEntry()
        entries.append(
            PlaylistEntry(
                title=text_of("title"),
                artist=text_of("creator"),
                album=text_of("album"),
                duration_ms=duration,
                spotify_id=spotify_id or located.spotify_id,
                isrc=isrc,
                path=located.path,
            )
        )
    return Playlist(name=name, entries=tuple(entries))


# Normalised header → field, for moodtune's own CSV and the usual exports of other tools.
_CSV_ALIASES: dict[str, str] = {
    "trackid": "track_id",
    "title": "title",
    "name": "title",
    "trackname": "title",
    "song": "title",
    "artist": "artist",
    "artists": "artist",
    "artistname": "artist",
    "artistnames": "artist",
    "creator": "artist",
    "album": "album",
    "albumname": "album",
    "durationms": "duration_ms",
    "duration": "duration_ms",
    "spotifyuri": "spotify_uri",
    "trackuri": "spotify_uri",
    "uri": "spotify_uri",
    "spotifyid": "spotify_uri",
    "spotifyurl": "spotify_uri",
    "isrc": "isrc",
    "path": "path",
    "location": "path",
    "file": "path",
    "valence": "valence",
    "arousal": "arousal",
}


def _header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _number(value: str, *, label: str, row: int, column: str) -> float | None:
    if value.strip() == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise InputError("not a number", file=label, row=row, field=column, value=value) from None
    if not math.isfinite(number):
        raise InputError("not a finite number", file=label, row=row, field=column, value=value)
    return number


def _read_csv(text: str, label: str, default_name: str) -> Playlist:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(
            "the file is empty: a CSV playlist needs a header row", file=label, row=1
        ) from None
    except csv.Error as exc:
        raise InputError(f"unreadable CSV: {exc}", file=label, row=1) from exc
    columns: dict[str, int] = {}
    for index, column in enumerate(header):
        target = _CSV_ALIASES.get(_header_key(column))
        if target is not None and target not in columns:
            columns[target] = index
    if not {"title", "spotify_uri", "isrc", "path", "track_id"} & set(columns):
        raise InputError(
            "no column names the tracks",
            file=label,
            row=1,
            field="header",
            value=",".join(header)[:200],
            allowed="title (with artist), spotify_uri, isrc, path or track_id",
        )
    entries = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise InputError(
                    f"{len(row)} values where the header has {len(header)} columns",
                    file=label,
                    row=line,
                    field="row",
                )

            def cell(name: str, row: list[str] = row) -> str:
                return row[columns[name]].strip() if name in columns else ""

            uri = cell("spotify_uri")
            spotify_id = spotify_track_id(uri) if uri else None
            if uri and spotify_id is None:
                raise InputError(
                    "not a Spotify track URI, link or id",
                    file=label,
                    row=line,
                    field=header[columns["spotify_uri"]],
                    value=uri,
                    allowed="spotify:track:<22 characters>",
                )

            def header_of(name: str) -> str:
                return header[columns[name]] if name in columns else name

            duration = _number(
                cell("duration_ms"), label=label, row=line, column=header_of("duration_ms")
            )
            valence = _number(cell("valence"), label=label, row=line, column=header_of("valence"))
            arousal = _number(cell("arousal"), label=label, row=line, column=header_of("arousal"))
            entries.append(
                PlaylistEntry(
                    track_id=cell("track_id") or None,
                    title=cell("title") or None,
                    artist=cell("artist") or None,
                    album=cell("album") or None,
                    duration_ms=None if duration is None else int(duration),
                    spotify_id=spotify_id,
                    isrc=cell("isrc").upper() or None,
                    path=cell("path") or None,
                    valence=valence,
                    arousal=arousal,
                )
            )
    except csv.Error as exc:
        raise InputError(f"unreadable CSV: {exc}", file=label, row=reader.line_num) from exc
    return Playlist(name=default_name, entries=tuple(entries))


_ENTRY_FIELDS = {f.name for f in fields(PlaylistEntry)}


def _read_json(text: str, label: str, default_name: str) -> Playlist:
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", file=label, row=exc.lineno, field="json") from exc
    if not isinstance(body, dict) or body.get("format") != "moodtune-playlist":
        raise InputError(
            "not a moodtune playlist",
            file=label,
            field="format",
            value=body.get("format") if isinstance(body, dict) else type(body).__name__,
            allowed="moodtune-playlist",
        )
    if body.get("format_version") != JSON_FORMAT_VERSION:
        raise InputError(
            "unsupported playlist format version",
            file=label,
            field="format_version",
            value=body.get("format_version"),
            allowed=str(JSON_FORMAT_VERSION),
        )
    tracks = body.get("tracks")
    if not isinstance(tracks, list):
        raise InputError("tracks must be a list", file=label, field="tracks")
    entries = []
    for number, item in enumerate(tracks, start=1):
        if not isinstance(item, dict):
            raise InputError("a track must be an object", file=label, row=number, field="tracks")
        uri = item.get("spotify_uri")
        spotify_id = spotify_track_id(uri) if uri else None
        if uri and spotify_id is None:
            raise InputError(
                "not a Spotify track URI", file=label, row=number, field="spotify_uri", value=uri
            )
        values: dict[str, Any] = {}
        for key in ("track_id", "title", "artist", "album", "isrc", "path"):
            value = item.get(key)
            if value is not None and not isinstance(value, str):
                raise InputError("must be text", file=label, row=number, field=key, value=value)
            values[key] = value or None
        for key in ("duration_ms", "valence", "arousal"):
            value = item.get(key)
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise InputError("must be a number", file=label, row=number, field=key, value=value)
            values[key] = value
        if values["duration_ms"] is not None:
            values["duration_ms"] = int(values["duration_ms"])
        assert set(values) <= _ENTRY_FIELDS
        entries.append(PlaylistEntry(spotify_id=spotify_id, **values))
    name = body.get("name")
    return Playlist(
        name=name if isinstance(name, str) and name else default_name, entries=tuple(entries)
    )


def entry_from_catalog_row(row: Mapping[str, Any]) -> PlaylistEntry:
    """A playlist entry for one catalog row (``Catalog.tracks`` columns; ``path`` and ``isrc``
    are used when the catalog has them, e.g. a scanned library of local files)."""

    def text(key: str) -> str | None:
        value = row.get(key)
        return value.strip() or None if isinstance(value, str) else None

    def number(key: str) -> float | None:
        value = row.get(key)
        try:
            out = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        return out if math.isfinite(out) else None

    track_id = str(row["track_id"])
    duration = number("duration_ms")
    return PlaylistEntry(
        track_id=track_id,
        title=text("name"),
        artist=text("artists"),
        album=text("album"),
        duration_ms=None if duration is None else int(duration),
        spotify_id=spotify_track_id(track_id),
        isrc=text("isrc"),
        path=text("path"),
        valence=number("mood_valence"),
        arousal=number("mood_arousal"),
    )
