"""Turn a track table in any common layout into the catalog's one-row-per-track schema.

Recognised layouts (by their header): the TidyTuesday ``spotify_songs`` table (the default
catalog), Exportify playlist CSVs, the Kaggle "Spotify tracks dataset", and moodtune's own
column names. Anything else can be mapped with ``src=dst`` pairs. Every problem is reported
with the file, the row (as a spreadsheet shows it: header is row 1), the column and the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from moodtune.catalog.identity import match_key, stable_track_id
from moodtune.catalog.schema import (
    AUDIO_FEATURES,
    BASE_COLUMNS,
    FEATURE_RANGES,
    MAX_DURATION_MS,
    MIN_DURATION_MS,
    parse_release_dates,
    validate_tracks,
)
from moodtune.errors import InputError, ValidationReport

__all__ = [
    "CANONICAL_FIELDS",
    "LAYOUTS",
    "MAX_TRACK_FILE_BYTES",
    "REQUIRED_FIELDS",
    "ImportReport",
    "Layout",
    "NormalisedCatalog",
    "detect_layout",
    "normalise_tracks",
    "parse_mapping",
    "read_track_file",
    "sniff_text_table",
]

TEXT_FIELDS: tuple[str, ...] = ("name", "artists", "album", "album_id")
CANONICAL_FIELDS: tuple[str, ...] = (
    "track_id",
    *TEXT_FIELDS,
    "popularity",
    "duration_ms",
    "release_date",
    "genres",
    "subgenres",
    "explicit",
    *AUDIO_FEATURES,
)
REQUIRED_FIELDS: tuple[str, ...] = ("track_id", "name", "artists", "duration_ms", *AUDIO_FEATURES)
#: Fields a file may lack: without a track id column, ids are derived from artist + title.
OPTIONAL_REQUIRED: frozenset[str] = frozenset({"track_id"})
#: Genre cells list several genres with these separators ("rock, pop", "rock; pop").
GENRE_SEPARATORS = re.compile(r"[,;]")


@dataclass(frozen=True)
class Layout:
    """A known export format: the headers that identify it and how its columns map.

    ``signature`` holds normalised header names (lower case, letters and digits only) that
    must all be present; ``columns`` maps canonical fields to the file's exact headers.
    """

    name: str
    signature: tuple[str, ...]
    columns: dict[str, str]
    artist_separator: str | None = None
    genre_separator: str | None = None


_FEATURE_COLUMNS = {f: f for f in AUDIO_FEATURES}
LAYOUTS: tuple[Layout, ...] = (
    Layout(
        name="tidytuesday-spotify-songs",
        signature=("trackid", "trackartist", "trackalbumreleasedate", "playlistgenre"),
        columns={
            "track_id": "track_id",
            "name": "track_name",
            "artists": "track_artist",
            "album": "track_album_name",
            "album_id": "track_album_id",
            "popularity": "track_popularity",
            "duration_ms": "duration_ms",
            "release_date": "track_album_release_date",
            "genres": "playlist_genre",
            "subgenres": "playlist_subgenre",
            **_FEATURE_COLUMNS,
        },
    ),
    Layout(
        name="exportify",
        signature=("trackname", "artistnames", "durationms"),
        columns={
            "track_id": "Track URI",
            "name": "Track Name",
            "artists": "Artist Name(s)",
            "album": "Album Name",
            "album_id": "Album URI",
            "popularity": "Popularity",
            "duration_ms": "Duration (ms)",
            "release_date": "Release Date",
            "genres": "Genres",
            "explicit": "Explicit",
            **{f: f.capitalize() for f in AUDIO_FEATURES},
        },
        artist_separator=",",
        genre_separator=",",
    ),
    Layout(
        name="kaggle-spotify-tracks",
        signature=("trackid", "artists", "albumname", "trackgenre"),
        columns={
            "track_id": "track_id",
            "name": "track_name",
            "artists": "artists",
            "album": "album_name",
            "popularity": "popularity",
            "duration_ms": "duration_ms",
            "genres": "track_genre",
            "explicit": "explicit",
            **_FEATURE_COLUMNS,
        },
        artist_separator=";",
    ),
    Layout(
        name="moodtune",
        signature=("trackid", "name", "artists", "durationms"),
        columns={f: f for f in CANONICAL_FIELDS},
    ),
)

# Header aliases (normalised) tried for fields a layout or the user's mapping left open.
_ALIASES: dict[str, tuple[str, ...]] = {
    "track_id": ("trackid", "spotifyid", "id", "trackuri", "uri", "spotifyuri"),
    "name": ("trackname", "name", "title", "songname", "song", "tracktitle"),
    "artists": ("artists", "artist", "artistnames", "artistname", "trackartist"),
    "album": ("album", "albumname", "trackalbumname"),
    "album_id": ("albumid", "albumuri", "trackalbumid"),
    "popularity": ("popularity", "trackpopularity"),
    "duration_ms": ("durationms", "duration"),
    "release_date": (
        "releasedate",
        "albumreleasedate",
        "trackalbumreleasedate",
        "year",
        "releaseyear",
    ),
    "genres": ("genres", "genre", "trackgenre", "playlistgenre"),
    "subgenres": ("subgenres", "subgenre", "playlistsubgenre"),
    "explicit": ("explicit", "isexplicit"),
    **{f: (f,) for f in AUDIO_FEATURES},
}

_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}
_SPOTIFY_ID = re.compile(r"(?:spotify:track:|open\.spotify\.com/track/)([A-Za-z0-9]+)")


def _normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(header).lower())


@dataclass
class ImportReport:
    """What an import did: the layout and mapping used, and every row it skipped or flagged."""

    file: str
    layout: str
    mapping: dict[str, str]
    unmapped_columns: list[str]
    rows_read: int
    tracks: int = 0
    usable_tracks: int = 0
    duplicate_rows_merged: int = 0
    duplicates_with_differing_values: int = 0
    derived_ids: bool = False
    linked_to_default: int = 0
    ambiguous_links: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)
    release_date_coverage: float = 0.0
    explicit_available: bool = False
    problems: list[InputError] = field(default_factory=list)

    def as_dict(self, *, max_problems: int = 50) -> dict[str, Any]:
        """JSON-friendly summary (at most ``max_problems`` problems listed)."""
        return {
            "file": self.file,
            "layout": self.layout,
            "mapping": self.mapping,
            "unmapped_columns": self.unmapped_columns,
            "rows_read": self.rows_read,
            "tracks": self.tracks,
            "usable_tracks": self.usable_tracks,
            "duplicate_rows_merged": self.duplicate_rows_merged,
            "duplicates_with_differing_values": self.duplicates_with_differing_values,
            "derived_ids": self.derived_ids,
            "linked_to_default": self.linked_to_default,
            "ambiguous_links": self.ambiguous_links,
            "skipped": self.skipped,
            "excluded": self.excluded,
            "release_date_coverage": self.release_date_coverage,
            "explicit_available": self.explicit_available,
            "problem_count": len(self.problems),
            "problems": [p.as_dict() for p in self.problems[:max_problems]],
        }


@dataclass
class NormalisedCatalog:
    """The one-row-per-track table (schema ``BASE_COLUMNS``) and the report of how it was made."""

    tracks: pd.DataFrame
    report: ImportReport


#: Track files larger than this are refused before parsing (about 1 M rows of a wide export;
#: parsing one takes several GB of memory). Documented in docs/catalog.md.
MAX_TRACK_FILE_BYTES = 256 * 1024 * 1024


def sniff_text_table(path: Path, *, tab: bool = False) -> tuple[str, str]:
    """``(encoding, delimiter)`` of a CSV export: UTF-8 (with or without BOM) or UTF-16 with
    its BOM; comma, semicolon (European spreadsheets), tab or pipe, from the header line."""
    import csv
    import gzip

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as handle:
        head = handle.read(64 * 1024)  # the sample: the header and the first rows
    encoding = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    sample = 64 * 1024
    try:
        text = head.decode(encoding)
    except UnicodeDecodeError as exc:
        if len(head) < sample or exc.start < len(head) - 4:  # not a character cut by the sample
            raise InputError(
                f"the file is not UTF-8 text (byte {exc.start} cannot be read); save it as UTF-8 "
                "(or UTF-16) CSV" + (" — it looks binary" if b"\x00" in head else ""),
                file=str(path),
            ) from None
        text = head[: exc.start].decode(encoding)
    if tab:
        return encoding, "\t"
    header = text.splitlines()[0] if text else ""
    try:
        sep = csv.Sniffer().sniff(header, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    return encoding, sep


def read_track_file(path: Path) -> tuple[pd.DataFrame, int]:
    """Read a CSV or Parquet file of tracks; returns the frame and the number of its first row.

    CSV cells are read as text so that every value can be checked and reported as written.
    Files over ``MAX_TRACK_FILE_BYTES`` are refused before they are read.
    """
    if not path.exists():
        raise InputError("file not found", file=str(path))
    size = path.stat().st_size
    if size > MAX_TRACK_FILE_BYTES:
        raise InputError(
            f"the file is {size / 2**20:,.0f} MiB, over the {MAX_TRACK_FILE_BYTES // 2**20} MiB "
            "limit for track files; split it, or keep only the columns moodtune reads",
            file=str(path),
            allowed=f"at most {MAX_TRACK_FILE_BYTES // 2**20} MiB",
        )
    suffixes = "".join(path.suffixes[-2:]).lower()
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path), 1
        if suffixes.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
            encoding, sep = sniff_text_table(path, tab=".tsv" in suffixes)
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=sep, encoding=encoding)
            return frame, 2
    except InputError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"could not be read: {exc}", file=str(path)) from exc
    except (OSError, ValueError) as exc:  # pyarrow raises these for damaged Parquet
        raise InputError(f"could not be read: {exc}", file=str(path)) from exc
    raise InputError(
        f"unsupported file type {path.suffix or '(no suffix)'!r}",
        file=str(path),
        value=path.suffix,
        allowed=".csv, .csv.gz, .tsv, .parquet",
    )


def parse_mapping(items: list[str] | None) -> dict[str, str]:
    """Parse ``"src=dst"`` items into ``{dst: src}`` (canonical field -> file header).

    A bad item is an ``InputError`` with ``field="mapping"`` (the parameter of
    :func:`import_catalog` the result goes to).
    """
    mapping: dict[str, str] = {}
    for item in items or []:
        source, sep, target = item.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise InputError(
                "a column mapping must look like SOURCE=FIELD",
                field="mapping",
                value=item,
                allowed="e.g. 'Song Title=name'",
            )
        target = target.strip()
        if target not in CANONICAL_FIELDS:
            raise InputError(
                f"unknown catalog field {target!r} in mapping {item!r}",
                field="mapping",
                value=target,
                allowed=", ".join(CANONICAL_FIELDS),
            )
        mapping[target] = source.strip()
    return mapping


def detect_layout(columns: list[str]) -> Layout | None:
    """The first known layout whose signature headers are all present, else ``None``."""
    present = {_normalise_header(c) for c in columns}
    for layout in LAYOUTS:
        if all(s in present for s in layout.signature):
            return layout
    return None


def _resolve_mapping(
    columns: list[str], layout: Layout | None, overrides: dict[str, str], *, file: str
) -> dict[str, str]:
    missing_sources = [src for src in overrides.values() if src not in columns]
    if missing_sources:
        raise InputError(
            f"mapped column(s) {missing_sources} not in the file",
            file=file,
            field="mapping",
            value=", ".join(missing_sources),
            allowed=", ".join(columns),
        )
    by_normal = {_normalise_header(c): c for c in reversed(columns)}
    mapping = dict(overrides)
    used = set(overrides.values())
    if layout is not None:
        for target, source in layout.columns.items():
            if target not in mapping and source in columns and source not in used:
                mapping[target] = source
                used.add(source)
    for target, aliases in _ALIASES.items():
        if target in mapping:
            continue
        for alias in aliases:
            found = by_normal.get(alias)
            if found is not None and found not in used:
                mapping[target] = found
                used.add(found)
                break
    missing = [f for f in REQUIRED_FIELDS if f not in mapping and f not in OPTIONAL_REQUIRED]
    if missing:
        raise InputError(
            f"required catalog field(s) {missing} not found in the columns {columns}; "
            "map them with mapping={FIELD: 'FILE COLUMN'}",
            file=file,
            field=", ".join(missing),
            allowed="required: " + ", ".join(REQUIRED_FIELDS),
        )
    return mapping


def _text(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    present = (text.notna() & (text != "")).fillna(False).to_numpy(dtype=bool)
    cells = text.astype(object).to_numpy()
    cleaned = [cell if keep else None for cell, keep in zip(cells, present, strict=True)]
    return pd.Series(cleaned, index=values.index, dtype="object")


def _track_ids(values: pd.Series) -> pd.Series:
    text = _text(values)
    return text.map(
        lambda v: (m.group(1) if (m := _SPOTIFY_ID.search(v)) else v) if v is not None else None
    )


def _split_list(values: pd.Series, separator: str | re.Pattern[str] | None) -> list[list[str]]:
    out: list[list[str]] = []
    for value in values.tolist():
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            out.append([])
        elif isinstance(value, list | tuple | np.ndarray):
            out.append([str(v).strip() for v in value if str(v).strip()])
        elif separator is None:
            text = str(value).strip()
            out.append([text] if text else [])
        else:
            parts = (
                separator.split(str(value))
                if isinstance(separator, re.Pattern)
                else str(value).split(separator)
            )
            out.append([p.strip() for p in parts if p.strip()])
    return out


def _show(value: Any) -> str:
    """A cell as a message shows it: quoted text, or 'an empty cell' when blank."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "an empty cell"
    if isinstance(value, str) and not value.strip():
        return "an empty cell"
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return repr(value) if isinstance(value, str) else str(value)


class _Problems:
    """Collects one ``InputError`` per bad cell, with the file's own row numbers and headers."""

    def __init__(self, *, file: str, row_numbers: np.ndarray, mapping: dict[str, str]) -> None:
        self.file = file
        self.row_numbers = row_numbers
        self.mapping = mapping
        self.items: list[tuple[int, InputError]] = []

    def add(
        self, mask: np.ndarray, target: str, message: str, values: pd.Series, allowed: str
    ) -> None:
        for position in np.flatnonzero(mask):
            row = int(self.row_numbers[position])
            value = values.iloc[position]
            error = InputError(
                message.replace("{value}", _show(value)),
                file=self.file,
                row=row,
                field=self.mapping.get(target, target),
                value=value,
                allowed=allowed,
            )
            self.items.append((row, error))

    def sorted(self) -> list[InputError]:
        return [e for _, e in sorted(self.items, key=lambda item: item[0])]


def _numeric(raw: pd.Series, target: str, problems: _Problems, *, required: bool) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw):
        raw = raw.astype(float)
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    blank = raw.isna().to_numpy() | (raw.astype("string").str.strip() == "").fillna(True).to_numpy()
    not_number = ~blank & values.isna().to_numpy()
    problems.add(not_number, target, "{value} is not a number", raw, "a number")
    if required:
        problems.add(blank, target, "missing value ({value})", raw, "a number")
    infinite = values.notna().to_numpy() & ~np.isfinite(values.to_numpy())
    problems.add(infinite, target, "{value} is not a finite number", raw, "a finite number")
    rng = FEATURE_RANGES.get(target)
    if rng is not None:
        present = values.notna().to_numpy() & ~infinite
        bad = present & ~rng.valid(values).to_numpy()
        if target == "tempo":
            zero = present & (values.to_numpy() == 0)
            problems.add(zero, target, "tempo {value} (no beat detected)", raw, rng.describe())
            bad &= ~zero
        problems.add(bad, target, "{value} is out of range", raw, rng.describe())
    if target == "duration_ms":
        short = values.notna().to_numpy() & (values.to_numpy() < MIN_DURATION_MS)
        problems.add(
            short, target, "duration {value} ms is under 30 s", raw, f">= {MIN_DURATION_MS} ms"
        )
        long = ~infinite & values.notna().to_numpy() & (values.to_numpy() > MAX_DURATION_MS)
        problems.add(
            long, target, "duration {value} ms is over 24 h", raw, f"<= {MAX_DURATION_MS} ms"
        )
    return values


def _boolean(raw: pd.Series, target: str, problems: _Problems) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype("boolean")
    text = raw.astype("string").str.strip().str.lower()
    result = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    result[text.isin(_TRUE).fillna(False)] = True
    result[text.isin(_FALSE).fillna(False)] = False
    bad = (text.notna() & (text != "") & result.isna()).to_numpy(dtype=bool)
    problems.add(bad, target, "{value} is not a true/false value", raw, "true/false, yes/no, 1/0")
    return result


_NUMERIC_FIELDS = frozenset({"popularity", "duration_ms", *AUDIO_FEATURES})


def _column_kind(values: pd.Series) -> str:
    """The broad type of a column: bool, number, datetime, timedelta, category or text."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "timedelta"
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    return "text"


def _allowed_kinds(target: str) -> tuple[str, ...]:
    if target in _NUMERIC_FIELDS:
        return ("number", "text")
    if target == "explicit":
        return ("bool", "number", "text")
    if target == "release_date":
        return ("datetime", "number", "text")
    return ("text", "number", "category")  # ids, names, genres


def _check_column_types(raw: pd.DataFrame, resolved: dict[str, str], *, file: str) -> None:
    """Refuse columns whose type cannot hold the field (e.g. a boolean ``energy`` column).

    CSV cells are all read as text (checked cell by cell later); typed files such as Parquet
    carry a type per column, and a wrong one would otherwise be converted silently (True ->
    energy 1.0).
    """
    for target, source in resolved.items():
        column = raw[source]
        kind = _column_kind(column)
        allowed = _allowed_kinds(target)
        if kind not in allowed:
            raise InputError(
                f"column {source!r} (catalog field {target!r}) has type {kind} "
                f"({column.dtype}), which cannot hold a {target}",
                file=file,
                field=source,
                value=str(column.dtype),
                allowed=" or ".join(f"{k} column" for k in allowed),
            )


def normalise_tracks(
    raw: pd.DataFrame,
    *,
    file: str,
    mapping: dict[str, str] | None = None,
    first_row: int = 2,
    reference: Callable[[], pd.DataFrame | None] | None = None,
) -> NormalisedCatalog:
    """Map, parse, check and deduplicate ``raw`` into one row per track.

    A file without a track id column gets ids derived from the normalised artist and title
    (and duration): :func:`moodtune.catalog.identity.stable_track_id`. Such tracks that match
    exactly one track of ``reference()`` (the default catalog: same normalised artist and
    title, duration within ``LINK_DURATION_TOLERANCE_MS`` when both are known) take its id;
    several candidates are counted as ambiguous and keep their local id.

    Rows without a track id are skipped (they cannot be identified); rows repeating a track id
    are merged, keeping the first row's values and the union of all genres and subgenres. Bad
    values never abort: they are reported, and the track is kept with ``usable=False``.
    """
    columns = [str(c) for c in raw.columns]
    raw = raw.set_axis(columns, axis=1).reset_index(drop=True)
    if raw.empty:
        raise InputError("the file has no data rows", file=file)
    layout = detect_layout(columns)
    resolved = _resolve_mapping(columns, layout, mapping or {}, file=file)
    _check_column_types(raw, resolved, file=file)
    row_numbers = np.arange(len(raw)) + first_row
    problems = _Problems(file=file, row_numbers=row_numbers, mapping=resolved)

    def column(target: str) -> pd.Series:
        source = resolved.get(target)
        if source is None:
            return pd.Series([None] * len(raw), index=raw.index, dtype=object)
        return raw[source]

    parsed = pd.DataFrame(index=raw.index)
    derive_ids = "track_id" not in resolved
    for target in TEXT_FIELDS:
        parsed[target] = _text(column(target))
    if derive_ids:
        # No id column (a chart export, a spreadsheet): the id is derived from who and what;
        # a row without artist or title cannot be identified (reported below as missing).
        parsed["track_id"] = None
        missing_id = (parsed["name"].isna() | parsed["artists"].isna()).to_numpy()
    else:
        parsed["track_id"] = _track_ids(column("track_id"))
        missing_id = parsed["track_id"].isna().to_numpy()
        problems.add(
            missing_id,
            "track_id",
            "missing track id ({value}): row skipped",
            column("track_id"),
            "an id",
        )
    for target in ("name", "artists"):
        problems.add(
            parsed[target].isna().to_numpy() & (~missing_id | derive_ids),
            target,
            "missing value ({value})",
            column(target),
            "a non-empty text",
        )
    artist_sep = layout.artist_separator if layout else None
    if artist_sep == ";":
        parsed["artists"] = parsed["artists"].map(
            lambda v: ", ".join(a.strip() for a in v.split(";")) if v is not None else None
        )
    for target in ("popularity", "duration_ms", *AUDIO_FEATURES):
        if target == "popularity" and target not in resolved:
            parsed[target] = np.nan
            continue
        parsed[target] = _numeric(
            column(target), target, problems, required=target in REQUIRED_FIELDS
        )
    dates = parse_release_dates(column("release_date"))
    problems.add(
        ~dates["release_valid"].to_numpy(),
        "release_date",
        "{value} is not a date: release date dropped",
        column("release_date"),
        "YYYY-MM-DD, YYYY-MM or YYYY",
    )
    parsed = parsed.join(dates.drop(columns="release_valid"))
    genre_sep = layout.genre_separator if layout else None
    parsed["genres"] = _split_list(column("genres"), genre_sep or GENRE_SEPARATORS)
    parsed["subgenres"] = _split_list(column("subgenres"), genre_sep or GENRE_SEPARATORS)
    if derive_ids:
        parsed["track_id"] = [
            stable_track_id(a, t, d) if a is not None and t is not None else None
            for a, t, d in zip(
                parsed["artists"],
                parsed["name"],
                parsed["duration_ms"].to_numpy(float),
                strict=True,
            )
        ]
    explicit_known = "explicit" in resolved
    parsed["explicit"] = (
        _boolean(column("explicit"), "explicit", problems)
        if explicit_known
        else pd.Series(pd.NA, index=raw.index, dtype="boolean")
    )

    report = ImportReport(
        file=file,
        layout=layout.name if layout else "mapped",
        mapping={k: resolved[k] for k in CANONICAL_FIELDS if k in resolved},
        unmapped_columns=[c for c in columns if c not in set(resolved.values())],
        rows_read=len(raw),
    )
    report.derived_ids = derive_ids
    if missing_id.any():
        reason = "no artist or title to derive an id from" if derive_ids else "missing track id"
        report.skipped[reason] = int(missing_id.sum())
    kept = parsed.loc[~missing_id]
    if derive_ids and reference is not None:
        known = reference()
        if known is not None:
            kept = _link_to_reference(kept, known, report)
    tracks = _deduplicate(kept, report)
    if tracks.empty:
        raise ValidationReport(problems.sorted() or [InputError("no tracks", file=file)], file=file)

    tracks = validate_tracks(tracks)  # the reasons keep why; no model sees the bad values
    tracks["synthetic"] = False
    tracks = tracks[list(BASE_COLUMNS)]

    report.tracks = len(tracks)
    report.usable_tracks = int(tracks["usable"].sum())
    report.excluded = count_reasons(tracks["exclusion_reason"])
    report.release_date_coverage = float(tracks["release_date"].notna().mean())
    report.explicit_available = bool(explicit_known and tracks["explicit"].notna().any())
    report.problems = problems.sorted()
    return NormalisedCatalog(tracks=tracks, report=report)


def count_reasons(reasons: pd.Series) -> dict[str, int]:
    """How many rows carry each exclusion reason (a row may carry several)."""
    counts: dict[str, int] = {}
    for text in reasons.dropna().tolist():
        for reason in str(text).split("; "):
            counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


#: Two durations this close may be one recording (exports round differently).
LINK_DURATION_TOLERANCE_MS = 3000


def _link_to_reference(
    tracks: pd.DataFrame, reference: pd.DataFrame, report: ImportReport
) -> pd.DataFrame:
    """Give derived-id tracks that match exactly one reference track that track's id."""
    keys = [match_key(a, t) for a, t in zip(reference["artists"], reference["name"], strict=True)]
    by_key: dict[str, list[tuple[str, float]]] = {}
    durations = pd.to_numeric(reference["duration_ms"], errors="coerce").to_numpy(float)
    for key, track_id, duration in zip(keys, reference["track_id"], durations, strict=True):
        by_key.setdefault(key, []).append((str(track_id), float(duration)))
    ids = tracks["track_id"].tolist()
    linked = ambiguous = 0
    for position, (artist, title, duration) in enumerate(
        zip(tracks["artists"], tracks["name"], tracks["duration_ms"].to_numpy(float), strict=True)
    ):
        candidates = by_key.get(match_key(artist, title), [])
        if np.isfinite(duration):
            candidates = [
                (i, d)
                for i, d in candidates
                if not np.isfinite(d) or abs(d - duration) <= LINK_DURATION_TOLERANCE_MS
            ]
        found = sorted({i for i, _ in candidates})
        if len(found) == 1:
            ids[position] = found[0]
            linked += 1
        elif len(found) > 1:
            ambiguous += 1
    report.linked_to_default = linked
    report.ambiguous_links = ambiguous
    return tracks.assign(track_id=ids)


def _deduplicate(parsed: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    duplicated = parsed["track_id"].duplicated(keep=False).to_numpy()
    if not duplicated.any():
        return parsed.reset_index(drop=True)
    first = parsed.drop_duplicates("track_id", keep="first").reset_index(drop=True)
    report.duplicate_rows_merged = int(len(parsed) - len(first))
    genres: dict[str, list[str]] = {}
    subgenres: dict[str, list[str]] = {}
    dup_rows = parsed.loc[duplicated, ["track_id", "genres", "subgenres"]]
    for track_id, gs, ss in dup_rows.itertuples(index=False, name=None):
        bucket = genres.setdefault(track_id, [])
        bucket.extend(g for g in gs if g not in bucket)
        sub_bucket = subgenres.setdefault(track_id, [])
        sub_bucket.extend(s for s in ss if s not in sub_bucket)
    first["genres"] = [
        genres.get(t, g) for t, g in zip(first["track_id"], first["genres"], strict=True)
    ]
    first["subgenres"] = [
        subgenres.get(t, s) for t, s in zip(first["track_id"], first["subgenres"], strict=True)
    ]
    compare = ["name", "artists", "album", "popularity", "duration_ms", *AUDIO_FEATURES]
    dups = parsed.loc[duplicated, ["track_id", *compare]]
    differing = (
        dups.groupby("track_id", sort=False)[compare].nunique(dropna=False).gt(1).any(axis=1)
    )
    report.duplicates_with_differing_values = int(differing.sum())
    return first
