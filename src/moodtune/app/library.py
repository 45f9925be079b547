"""Bring your own music: scan a folder into a named catalog, optionally tag the files.

``scan_music_folder`` is what ``moodtune audio scan DIR`` does: an incremental scan
(:mod:`moodtune.audio.scan`), then the analysed files become catalog ``name`` through the
ordinary catalog import (so ``moodtune catalog use NAME`` and everything that reads a catalog
works on it), then - only when asked - mood and tempo are written into the files' tags with
the positions the catalog gives them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from moodtune.artefacts import atomic_write_bytes
from moodtune.audio.scan import LibraryStore, ScanOutcome, ScanProgress, run_scan
from moodtune.catalog.store import DEFAULT_CATALOG, RegistryFile, validate_catalog_name
from moodtune.config import Settings, get_settings
from moodtune.errors import InputError

__all__ = [
    "AUDIO_MEDIA_TYPES",
    "FailedFile",
    "LibraryScan",
    "LocalAudioFile",
    "library_files",
    "local_audio_file",
    "owned_track_paths",
    "scan_music_folder",
]

#: What the browser is told each decodable file is (for ``<audio>`` playback).
AUDIO_MEDIA_TYPES: dict[str, str] = {
    ".mp3": "audio/mpeg",
    ".flac": "audio/flac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".wav": "audio/wav",
    ".wave": "audio/wav",
    ".aif": "audio/aiff",
    ".aiff": "audio/aiff",
    ".m4a": "audio/mp4",
    ".mp4": "audio/mp4",
}

TRACK_TABLE = "library.parquet"
STATE_FILE = "scan.sqlite3"


@dataclass(frozen=True)
class FailedFile:
    """A file that was not analysed: its path, the kind of problem and the reason."""

    path: str
    problem: str
    reason: str


@dataclass(frozen=True)
class LibraryScan:
    """What a scan did and what the library now holds."""

    name: str
    root: str
    outcome: ScanOutcome
    tracks: int
    usable_tracks: int
    failed: list[FailedFile]
    catalog_built: bool
    active: bool
    import_report: dict[str, Any] | None
    uncertain_tracks: int
    tags_written: int = 0
    tag_failures: list[FailedFile] = field(default_factory=list)
    placed_plays: int | None = None
    """Plays of the owner's that were "mood unknown" and the active library now holds (None:
    not tried, when the library has no owner or is not the active catalog)."""


def _default_name(root: Path) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", root.name.lower()).strip("-_")
    return slug[:64] or "my-music"


def _check_name(name: str, root: Path, settings: Settings) -> None:
    """The name must not be the built-in catalog or a catalog imported from something else."""
    if name == DEFAULT_CATALOG:
        raise InputError(
            f"{DEFAULT_CATALOG!r} is the built-in catalog; choose another name",
            field="name",
            value=name,
        )
    entry = RegistryFile(settings).read()["imported"].get(name)
    expected = str((_library_dir(settings, name) / TRACK_TABLE).resolve())
    if entry is not None and entry.get("source_file") != expected:
        raise InputError(
            f"catalog {name!r} was imported from {entry.get('source_file')}, not scanned; "
            "choose another name",
            field="name",
            value=name,
        )


def _listener_id(ref: str, settings: Settings) -> str:
    """The id of listener ``ref`` (an id, or a unique display name); ``InputError`` if unknown."""
    from moodtune.sessions.service import get_listener
    from moodtune.store import open_database

    return get_listener(open_database(settings), ref).id


def _library_dir(settings: Settings, name: str) -> Path:
    from moodtune.audio.library import library_dir

    return library_dir(settings, name)


def scan_music_folder(
    root: Path | str,
    *,
    name: str | None = None,
    workers: int | None = None,
    write_tags: bool = False,
    use: bool = False,
    owner: str | None = None,
    progress: ScanProgress | None = None,
    on_result: Any = None,
    settings: Settings | None = None,
) -> LibraryScan:
    """Scan ``root`` into catalog ``name`` (default: the folder's name); see the module doc.

    ``owner`` is the listener whose library this is (id, or unique display name): only they
    can play its files in the web app (:func:`local_audio_file`). Without it the files are
    never served. When the library has an owner and becomes the active catalog (``use``), the
    owner's "mood unknown" plays of its tracks are placed (``LibraryScan.placed_plays``).
    """
    from moodtune.audio.decode import require_audio_extra

    require_audio_extra()
    settings = settings or get_settings()
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise InputError("not a folder", file=str(root), field="dir")
    name = validate_catalog_name(name or _default_name(root))
    _check_name(name, root, settings)
    owner_id = None if owner is None else _listener_id(owner, settings)
    folder = _library_dir(settings, name)
    store = LibraryStore(folder / STATE_FILE)
    scanned_root = store.get_meta("root")
    if scanned_root is not None and scanned_root != str(root):
        raise InputError(
            f"library {name!r} holds the files of {scanned_root}; scan {root} under another "
            f"name, or delete {folder} to start this library afresh",
            field="name",
            value=name,
        )
    try:
        store.set_meta("root", str(root))
        if owner_id is not None:
            store.set_meta("owner", owner_id)
        outcome = run_scan(root, store, workers=workers, progress=progress, on_result=on_result)
        scan = _build_catalog(name, root, store, outcome, write_tags=write_tags, use=use,
                              settings=settings)  # fmt: skip
    finally:
        store.close()
    if owner_id is None or not scan.active:
        return scan
    return replace(scan, placed_plays=_place_owner_plays(owner_id, settings))


def _place_owner_plays(owner_id: str, settings: Settings) -> int:
    """Move the owner's "mood unknown" plays that the (now active) library holds into their
    listening: their own files placed them, so they may reach journeys and the learner."""
    from moodtune.app.connectors import place_mood_unknown
    from moodtune.app.services import Services

    return place_mood_unknown(Services(settings), owner_id).added


def _build_catalog(
    name: str,
    root: Path,
    store: LibraryStore,
    outcome: ScanOutcome,
    *,
    write_tags: bool,
    use: bool,
    settings: Settings,
) -> LibraryScan:
    import io

    from moodtune.audio.library import library_table
    from moodtune.catalog import import_catalog, remove_catalog

    records = store.records()
    failed = [
        FailedFile(r["path"], str(r.get("problem")), str(r.get("reason")))
        for r in records
        if not r.get("ok")
    ]
    table = library_table(records)
    registry = RegistryFile(settings).read()
    uncertain = sum(bool(r.get("placement", {}).get("uncertain")) for r in records if r.get("ok"))
    if table.empty:
        if name in registry["imported"]:
            remove_catalog(name, settings=settings)  # every file is gone or unreadable
        return LibraryScan(
            name=name, root=str(root), outcome=outcome, tracks=0, usable_tracks=0,
            failed=failed, catalog_built=False, active=False, import_report=None,
            uncertain_tracks=0,
        )  # fmt: skip
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    source = _library_dir(settings, name) / TRACK_TABLE
    atomic_write_bytes(source, buffer.getvalue())
    result = import_catalog(
        source, name=name, replace=name in registry["imported"], use=use, settings=settings
    )
    scan = LibraryScan(
        name=name,
        root=str(root),
        outcome=outcome,
        tracks=result.report.tracks,
        usable_tracks=result.report.usable_tracks,
        failed=failed,
        catalog_built=True,
        active=result.active,
        import_report=result.report.as_dict(),
        uncertain_tracks=uncertain,
    )
    if not write_tags:
        return scan
    written, tag_failures = _write_tags(store, records, result.catalog.tracks)
    return LibraryScan(**{**scan.__dict__, "tags_written": written, "tag_failures": tag_failures})


def _write_tags(
    store: LibraryStore, records: list[dict[str, Any]], tracks: Any
) -> tuple[int, list[FailedFile]]:
    """Write each track's catalog mood and tempo into its file, where not already written."""
    from moodtune.audio.library import local_track_id
    from moodtune.audio.scan import file_sha256
    from moodtune.audio.tags import MoodTags, write_mood_tags

    by_id = tracks.set_index("track_id")
    written, failures = 0, []
    for record in records:
        if not record.get("ok"):
            continue
        track_id = local_track_id(record["content_id"])
        if track_id not in by_id.index:
            continue
        row = by_id.loc[track_id]
        if row["mood_valence"] != row["mood_valence"]:  # NaN: the track has no position
            continue
        mood = MoodTags(
            bpm=float(row["tempo"]),
            valence=float(row["mood_valence"]),
            arousal=float(row["mood_arousal"]),
            quadrant=str(row["quadrant"]),
        )
        if record.get("extra", {}).get("tags_written") == mood.__dict__:
            continue
        path = record["path"]
        try:
            write_mood_tags(path, mood)
        except (InputError, OSError) as exc:
            failures.append(FailedFile(path, "tags not written", str(exc)))
            continue
        stat = os.stat(path)
        # The audio is unchanged (checked by write_mood_tags): keep the analysis, new stat.
        store.update_stat(path, size=stat.st_size, mtime_ns=stat.st_mtime_ns,
                          sha256=file_sha256(path))  # fmt: skip
        store.set_extra(path, "tags_written", mood.__dict__)
        written += 1
    return written, failures


def library_files(name: str, *, settings: Settings | None = None) -> dict[str, str]:
    """Catalog track id -> file path for scanned library ``name`` (first path of a copy)."""
    from moodtune.audio.library import local_track_id

    settings = settings or get_settings()
    path = _library_dir(settings, validate_catalog_name(name)) / STATE_FILE
    if not path.exists():
        raise InputError(f"no scanned library named {name!r}", field="name", value=name)
    files: dict[str, str] = {}
    store = LibraryStore(path)
    records = store.records()
    store.close()
    for record in records:
        if record.get("ok"):
            files.setdefault(local_track_id(record["content_id"]), record["path"])
    return files


@dataclass(frozen=True)
class LocalAudioFile:
    """A file of a listener's own library, ready to be streamed (range requests allowed)."""

    path: Path
    media_type: str
    size: int


def local_audio_file(
    listener_id: str, track_id: str, *, settings: Settings | None = None
) -> LocalAudioFile:
    """The file behind local track ``track_id`` in one of ``listener_id``'s libraries.

    A track of another listener's library is reported exactly like one that does not exist
    (``NotFoundError``), as is a file changed or removed since the scan.
    """
    from moodtune.audio.library import LOCAL_ID_PREFIX, local_track_id
    from moodtune.errors import NotFoundError

    settings = settings or get_settings()
    missing = NotFoundError(
        "no such local track in your libraries", field="track_id", value=track_id
    )
    if not track_id.startswith(LOCAL_ID_PREFIX):
        raise missing
    for record in _owned_records(listener_id, settings):
        if local_track_id(record["content_id"]) == track_id:
            path = Path(record["path"])
            try:
                stat = path.stat()
            except OSError:
                continue
            if stat.st_size != record["size"] or stat.st_mtime_ns != record["mtime_ns"]:
                continue  # changed since the scan: it may no longer be this track
            media = AUDIO_MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
            return LocalAudioFile(path=path, media_type=media, size=stat.st_size)
    raise missing


def _owned_records(listener_id: str, settings: Settings) -> list[dict[str, Any]]:
    """The analysed records of every scanned library ``listener_id`` owns, library by library
    (by name), path order within each."""
    records: list[dict[str, Any]] = []
    for state in sorted((settings.data_dir / "audio").glob(f"*/{STATE_FILE}")):
        store = LibraryStore(state)
        try:
            if store.get_meta("owner") == listener_id:
                records += [r for r in store.records() if r.get("ok")]
        finally:
            store.close()
    return records


def owned_track_paths(listener_id: str, *, settings: Settings | None = None) -> dict[str, str]:
    """Local track id -> file path over the libraries ``listener_id`` owns (the first path of
    a copy): where a playlist file of their journey points. Another listener's library, or one
    scanned without ``--listener``, gives nothing, as for playback."""
    from moodtune.audio.library import local_track_id

    paths: dict[str, str] = {}
    for record in _owned_records(listener_id, settings or get_settings()):
        paths.setdefault(local_track_id(record["content_id"]), record["path"])
    return paths
