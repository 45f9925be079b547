"""Scan a folder of audio files: incremental, on every core, resumable, nothing lost on failure.

A library's state is one SQLite file (``<data_dir>/audio/<name>/scan.sqlite3``) holding, per
path, the size, mtime and sha256 seen and the analysis (or why the file could not be
analysed). Every finished file is committed in its own transaction as it completes, so an
interrupted scan keeps everything done so far and the next scan resumes where it stopped.

A re-scan compares each file's size and mtime with the stored ones: equal means unchanged
(not read at all). Otherwise the file is hashed; the same content as stored (a copy back, a
touched file) only updates the stored stat, new content is analysed again. Stored paths no
longer on disk are dropped. Files that failed stay failed until they change (their reason is
reported on every scan).

Analysis runs in a process pool (one worker per core by default), forked on Linux from a
fork server that has imported the decoders once (:func:`start_workers`), so workers start warm
and never inherit another thread's locks. A worker that dies (a decoder crash on a hostile file)
breaks the pool: the files still pending are then analysed one per process, so the file that
crashes is named and everything else is kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from moodtune.artefacts import PRIVATE_FILE_MODE, make_private, private_dir
from moodtune.audio.decode import (
    DECODABLE_SUFFIXES,
    UNSUPPORTED_SUFFIXES,
    WINDOW_SECONDS,
    AudioFileError,
)

__all__ = [
    "SCAN_FORMAT",
    "FileAnalysis",
    "LibraryStore",
    "ScanOutcome",
    "ScanPlan",
    "ScanProgress",
    "analyse_file",
    "discover_audio_files",
    "file_sha256",
    "plan_scan",
    "run_scan",
    "start_workers",
]

#: Bump when the analysis changes: every stored analysis is redone on the next scan.
SCAN_FORMAT = 1
AUDIO_SUFFIXES: frozenset[str] = DECODABLE_SUFFIXES | frozenset(UNSUPPORTED_SUFFIXES)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileAnalysis:
    """One file's outcome: its stat and hash, and the analysis or the reason there is none.

    ``problem`` is one of :data:`moodtune.audio.decode.Problem` or ``"analysis failed"``;
    ``features`` are :class:`~moodtune.audio.features.AudioFeatures` fields, ``columns`` the
    catalog feature columns, ``placement`` a :class:`~moodtune.audio.placement.Placement`.
    """

    path: str
    size: int
    mtime_ns: int
    sha256: str
    ok: bool
    problem: str | None = None
    reason: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)
    window: dict[str, Any] = field(default_factory=dict)
    features: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, Any] = field(default_factory=dict)
    sigma: dict[str, float] = field(default_factory=dict)
    placement: dict[str, Any] = field(default_factory=dict)
    seconds_analysed: float = 0.0
    content_id: str = ""  # the sha256 when analysed: kept when moodtune writes tags
    same_content: bool = False  # the hash matched the stored one: only the stat changed

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def file_sha256(path: Path | str) -> str:
    """sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def analyse_file(
    path: str, *, known_sha256: str | None = None, window: float = WINDOW_SECONDS
) -> FileAnalysis:
    """Hash, tag-read, decode and analyse one file; never raises for a bad file.

    With ``known_sha256`` equal to the file's hash, nothing is decoded (``same_content``).
    """
    from moodtune.audio.decode import read_window
    from moodtune.audio.features import analyse_window
    from moodtune.audio.placement import catalog_features, place_on_plane
    from moodtune.audio.tags import read_tags
    from moodtune.mood.fitted import load_default_model

    try:
        stat = os.stat(path)
        base: dict[str, Any] = {"path": path, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        sha = file_sha256(path)
    except OSError as exc:  # removed or unreadable since the folder was listed
        return FileAnalysis(
            path=path, size=-1, mtime_ns=-1, sha256="", ok=False, problem="unreadable",
            reason=exc.strerror or str(exc),
        )  # fmt: skip
    if known_sha256 is not None and sha == known_sha256:
        return FileAnalysis(**base, sha256=sha, ok=True, same_content=True)
    tags = read_tags(path).as_dict()
    try:
        decoded = read_window(path, window=window)
        features = analyse_window(decoded.samples, sr=decoded.sr)
        model = load_default_model()
        columns = catalog_features(features, model=model)
        placement = place_on_plane(columns, model=model)
    except AudioFileError as exc:
        return FileAnalysis(
            **base, sha256=sha, ok=False, problem=exc.problem, reason=exc.reason, tags=tags
        )
    except Exception as exc:  # a decoder or numerical failure on one file must not stop a scan
        return FileAnalysis(
            **base,
            sha256=sha,
            ok=False,
            problem="analysis failed",
            reason=f"{type(exc).__name__}: {exc}",
            tags=tags,
        )
    return FileAnalysis(
        **base,
        sha256=sha,
        ok=True,
        tags=tags,
        window={
            "offset_s": decoded.offset_s,
            "seconds": decoded.seconds,
            "file_seconds": decoded.file_seconds,
            "format": decoded.format,
            "subtype": decoded.subtype,
            "native_sr": decoded.native_sr,
            "channels": decoded.channels,
        },
        features=features.as_dict(),
        columns=columns.columns(),
        sigma=dict(columns.sigma),
        placement=placement.as_dict(),
        seconds_analysed=decoded.seconds,
        content_id=sha,
    )


@dataclass(frozen=True)
class StoredFile:
    """What the library remembers of a path."""

    size: int
    mtime_ns: int
    sha256: str
    ok: bool
    format: int


class LibraryStore:
    """The scan state of one library: a SQLite file, one committed row per finished file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        private_dir(path.parent)
        # Created 0600 before SQLite opens it: its -wal and -shm files copy its mode.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))
        with self._transaction() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER NOT NULL,"
                " mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, ok INTEGER NOT NULL,"
                " format INTEGER NOT NULL, record TEXT NOT NULL, scanned_at REAL NOT NULL)"
            )
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        make_private(path)

    def _transaction(self) -> sqlite3.Connection:
        """The store's one connection, as a transaction context (commit, or roll back).

        One connection for the store's life: closing the last connection checkpoints the
        write-ahead log and syncs the file, which per finished file would cost more than
        the analysis on a busy disk. A commit in WAL mode is atomic and survives the
        process being killed; ``synchronous=NORMAL`` only lets a power cut lose the last few.
        """
        if self._db is None:
            self._db = sqlite3.connect(self.path, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        return self._db

    def close(self) -> None:
        """Close the connection (the next use opens it again)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def get_meta(self, key: str) -> str | None:
        with self._transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def stored(self) -> dict[str, StoredFile]:
        with self._transaction() as db:
            rows = db.execute("SELECT path, size, mtime_ns, sha256, ok, format FROM files")
            return {r[0]: StoredFile(r[1], r[2], r[3], bool(r[4]), r[5]) for r in rows}

    def put(self, analysis: FileAnalysis) -> None:
        """Record ``analysis`` (one transaction: it is there or not, never half)."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    analysis.path,
                    analysis.size,
                    analysis.mtime_ns,
                    analysis.sha256,
                    int(analysis.ok),
                    SCAN_FORMAT,
                    json.dumps(analysis.as_dict(), allow_nan=True),
                    time.time(),
                ),
            )

    def update_stat(self, path: str, *, size: int, mtime_ns: int, sha256: str) -> None:
        """A file whose content is known: only its stat (and hash, after a tag write) moved."""
        with self._transaction() as db:
            row = db.execute("SELECT record FROM files WHERE path = ?", (path,)).fetchone()
            if row is None:
                return
            record = json.loads(row[0])
            record.update(size=size, mtime_ns=mtime_ns, sha256=sha256)
            db.execute(
                "UPDATE files SET size = ?, mtime_ns = ?, sha256 = ?, record = ? WHERE path = ?",
                (size, mtime_ns, sha256, json.dumps(record), path),
            )

    def set_extra(self, path: str, key: str, value: Any) -> None:
        """Store ``value`` under ``key`` in a file's record (e.g. the tags written)."""
        with self._transaction() as db:
            row = db.execute("SELECT record FROM files WHERE path = ?", (path,)).fetchone()
            if row is not None:
                record = json.loads(row[0])
                record.setdefault("extra", {})[key] = value
                db.execute("UPDATE files SET record = ? WHERE path = ?", (json.dumps(record), path))

    def remove(self, paths: Iterable[str]) -> None:
        with self._transaction() as db:
            db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])

    def records(self) -> list[dict[str, Any]]:
        """Every stored record (``FileAnalysis`` fields, plus ``extra``), sorted by path."""
        with self._transaction() as db:
            rows = db.execute("SELECT record FROM files ORDER BY path").fetchall()
        return [json.loads(r[0]) for r in rows]


def discover_audio_files(root: Path) -> tuple[list[str], int]:
    """Audio files under ``root`` (absolute paths, sorted) and how many other files were seen.

    Hidden files and folders (a leading ``.``) are skipped, as are symbolic links to folders.
    """
    found: list[str] = []
    other = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            if Path(name).suffix.lower() in AUDIO_SUFFIXES:
                found.append(str(Path(folder, name).resolve()))
            else:
                other += 1
    return sorted(found), other


@dataclass(frozen=True)
class ScanPlan:
    """What a scan will do: files to analyse (with their stored hash, if any), the rest."""

    to_analyse: list[tuple[str, str | None]]
    unchanged: list[str]
    removed: list[str]
    other_files: int


def plan_scan(root: Path, store: LibraryStore) -> ScanPlan:
    """Compare the folder with the stored state (module docstring)."""
    paths, other = discover_audio_files(root)
    stored = store.stored()
    to_analyse: list[tuple[str, str | None]] = []
    unchanged: list[str] = []
    for path in paths:
        known = stored.get(path)
        if known is None or known.format != SCAN_FORMAT:
            to_analyse.append((path, None))
            continue
        stat = os.stat(path)
        if stat.st_size == known.size and stat.st_mtime_ns == known.mtime_ns:
            unchanged.append(path)
        else:
            to_analyse.append((path, known.sha256))
    present = set(paths)
    removed = sorted(p for p in stored if p not in present)
    return ScanPlan(to_analyse=to_analyse, unchanged=unchanged, removed=removed, other_files=other)


class ScanProgress(Protocol):
    """What the scan reports as it goes (the CLI renders it with Rich)."""

    def start(self, total: int) -> None: ...

    def advance(self, analysis: FileAnalysis) -> None: ...


@dataclass
class ScanOutcome:
    """What one scan did (counts), and how long it took."""

    analysed: int = 0
    same_content: int = 0
    failed: int = 0
    unchanged: int = 0
    removed: int = 0
    other_files: int = 0
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    workers: int = 1
    crashed: list[str] = field(default_factory=list)


def _one_blas_thread() -> AbstractContextManager[object]:
    """One BLAS thread: the analysis's matrix products are small, and on a busy machine a
    second, spinning BLAS thread makes them many times slower (measured: 78 ms against 1 ms
    for the chroma product at a load average of 8 on 2 cores)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # threadpoolctl comes with scikit-learn; without it, no limit is set
        return nullcontext()
    return threadpool_limits(1)


def _worker_init() -> None:
    # One process per core: BLAS threads inside each worker would only compete.
    _one_blas_thread()


#: What the fork server imports once, so that every worker forked from it starts warm.
WORKER_PRELOAD: tuple[str, ...] = ("moodtune.audio.worker",)


def start_workers() -> None:
    """Start the fork server the scan's workers come from (once per process; idempotent).

    Returns once the server has imported :data:`WORKER_PRELOAD`. Workers are forked from a
    small single-threaded server rather than from this process:
    forking a process that runs other threads (Rich's refresh thread, a web server's) can
    copy a lock another thread holds, and the child then waits on it forever.
    """
    if not sys.platform.startswith("linux") or _STARTED:
        return
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(WORKER_PRELOAD))
    # The server imports the preload before its first fork: one empty child waits for that.
    child = context.Process(target=_nothing)
    child.start()
    child.join()
    _STARTED.append(True)


_STARTED: list[bool] = []


def _nothing() -> None:
    """What the fork server's first child does (it only proves the server is ready)."""


def _pool(workers: int) -> ProcessPoolExecutor:
    import multiprocessing

    method = "forkserver" if sys.platform.startswith("linux") else "spawn"
    start_workers()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_worker_init,
    )


def _analyse_all(
    jobs: list[tuple[str, str | None]], *, workers: int, window: float, crashed: list[str]
) -> Iterator[FileAnalysis]:
    """Analyses of ``jobs`` as they complete; a crashed worker's files are retried alone."""
    if workers <= 1:
        with _one_blas_thread():
            for path, known in jobs:
                yield analyse_file(path, known_sha256=known, window=window)
        return
    pending = dict(jobs)
    pool = _pool(workers)
    try:
        futures: dict[Future[FileAnalysis], str] = {
            pool.submit(analyse_file, path, known_sha256=known, window=window): path
            for path, known in jobs
        }
        for future in as_completed(futures):
            try:
                result = future.result()
            except BrokenProcessPool:
                break
            pending.pop(futures[future], None)
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for path, known in list(pending.items()):
        # One process per file: the crash, if it recurs, is this file's alone.
        with _pool(1) as single:
            try:
                yield single.submit(analyse_file, path, known_sha256=known, window=window).result()
            except BrokenProcessPool:
                crashed.append(path)
                stat = os.stat(path)
                yield FileAnalysis(
                    path=path,
                    size=stat.st_size,
                    mtime_ns=stat.st_mtime_ns,
                    sha256=file_sha256(path),
                    ok=False,
                    problem="corrupt",
                    reason="the decoder crashed on this file (its worker process died)",
                )


def run_scan(
    root: Path,
    store: LibraryStore,
    *,
    workers: int | None = None,
    window: float = WINDOW_SECONDS,
    progress: ScanProgress | None = None,
    on_result: Callable[[FileAnalysis], None] | None = None,
) -> ScanOutcome:
    """Bring ``store`` up to date with the files under ``root`` (module docstring).

    ``workers`` defaults to every core; ``on_result`` is called after each file is committed
    (an exception it raises stops the scan, keeping what was committed: how tests interrupt).
    """
    started = time.perf_counter()
    workers = workers or os.cpu_count() or 1
    plan = plan_scan(root, store)
    store.remove(plan.removed)
    outcome = ScanOutcome(
        unchanged=len(plan.unchanged),
        removed=len(plan.removed),
        other_files=plan.other_files,
        workers=workers,
    )
    if progress is not None:
        progress.start(len(plan.to_analyse))
    for analysis in _analyse_all(
        plan.to_analyse, workers=min(workers, max(len(plan.to_analyse), 1)), window=window,
        crashed=outcome.crashed,
    ):  # fmt: skip
        if analysis.same_content:
            store.update_stat(
                analysis.path, size=analysis.size, mtime_ns=analysis.mtime_ns,
                sha256=analysis.sha256,
            )  # fmt: skip
            outcome.same_content += 1
        else:
            store.put(analysis)
            if analysis.ok:
                outcome.analysed += 1
                outcome.audio_seconds += analysis.seconds_analysed
            else:
                outcome.failed += 1
        if progress is not None:
            progress.advance(analysis)
        if on_result is not None:
            on_result(analysis)
    outcome.wall_seconds = time.perf_counter() - started
    return outcome
