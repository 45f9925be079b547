"""A scanned library as a catalog track table, and where its state lives.

The table uses moodtune's own column names (the ``moodtune`` import layout), so it becomes a
catalog through :func:`moodtune.catalog.import_catalog` like any other file: the same
checks, the same stored track table and mood tables, ``moodtune catalog use NAME``.
A track's id is ``local-`` and the first 24 hex digits of the sha256 its file had when it was
analysed (kept when moodtune writes tags into it): the same file anywhere gets the same id,
and two copies of one file are one track.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from moodtune.catalog.schema import AUDIO_FEATURES
from moodtune.config import Settings

__all__ = [
    "LOCAL_ID_PREFIX",
    "UNKNOWN_ARTIST",
    "library_dir",
    "library_table",
    "local_track_id",
]

LOCAL_ID_PREFIX = "local-"
#: A file without an artist tag is still a track the listener owns; it is not hidden.
UNKNOWN_ARTIST = "Unknown artist"


def local_track_id(sha256: str) -> str:
    """The catalog id of a local file with this content hash."""
    return f"{LOCAL_ID_PREFIX}{sha256[:24]}"


def library_dir(settings: Settings, name: str) -> Path:
    """``<data_dir>/audio/<name>``: the scan state and the track table it was imported from."""
    return settings.data_dir / "audio" / name


def library_table(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per analysed file, in the catalog's ``moodtune`` import layout.

    Title falls back to the file name, artist to :data:`UNKNOWN_ARTIST`; the duration is the
    file's own (from its header), not the analysed window's.
    """
    rows = []
    for record in records:
        if not record.get("ok") or not record.get("columns"):
            continue
        tags = record.get("tags") or {}
        path = Path(record["path"])
        seconds = record["window"].get("file_seconds") or tags.get("duration_s")
        rows.append(
            {
                "track_id": local_track_id(record["content_id"]),
                "name": tags.get("title") or path.stem,
                "artists": tags.get("artist") or UNKNOWN_ARTIST,
                "album": tags.get("album"),
                "duration_ms": round(float(seconds) * 1000.0) if seconds else None,
                "release_date": tags.get("date"),
                "genres": tags.get("genre"),
                **{column: record["columns"].get(column) for column in AUDIO_FEATURES},
            }
        )
    columns = [
        "track_id", "name", "artists", "album", "duration_ms", "release_date", "genres",
        *AUDIO_FEATURES,
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
