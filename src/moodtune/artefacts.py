"""Files moodtune derives and keeps in its data folder: private, checked on load, self-healing.

Every artefact folder (a catalog's track table, its derived mood tables, a track index, a
fitted model) holds a ``manifest.json`` beside its files: the size and sha256 of each one,
written after them and before the folder is renamed into place. :func:`load_or_build` checks a
folder against its manifest before using it; a folder that fails (a file missing, cut short,
overwritten, replaced, or the manifest itself unreadable) is rebuilt from its source, and a
warning on the ``moodtune.artefacts`` logger says what was rebuilt and why. Without logging
configured Python prints such a warning on stderr as it is; a program that configures
logging decides where it goes.

Everything moodtune writes under its data folder is private: folders 0700, files 0600,
whatever the process umask (:func:`private_dir`, :func:`make_private`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from moodtune.errors import DamagedFileError, DataIntegrityError

__all__ = [
    "MANIFEST_NAME",
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "DamagedFileError",
    "atomic_write_bytes",
    "atomic_write_text",
    "build_folder",
    "file_sha256",
    "folder_lock",
    "load_or_build",
    "logger",
    "make_private",
    "private_dir",
    "remove_lock",
    "verify_folder",
    "write_manifest",
]

logger = logging.getLogger("moodtune.artefacts")

MANIFEST_NAME = "manifest.json"
_MANIFEST_FORMAT = "moodtune-manifest"
_MANIFEST_VERSION = 1
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600

T = TypeVar("T")


# -- private files ------------------------------------------------------------------------------


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents as 0700 folders; existing folders are left as
    they are (tighten one of your own with :func:`make_private`)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            os.mkdir(folder, PRIVATE_DIR_MODE)
            os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is masked by the umask
    return path


def make_private(path: Path) -> None:
    """Give ``path`` (a file, or a folder and everything in it) owner-only permissions."""
    if not path.is_dir():
        os.chmod(path, PRIVATE_FILE_MODE)
        return
    os.chmod(path, PRIVATE_DIR_MODE)
    for root, dirs, files in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(root, name), PRIVATE_DIR_MODE)
        for name in files:
            os.chmod(os.path.join(root, name), PRIVATE_FILE_MODE)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (mode 0600) via a temporary file and a rename."""
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, PRIVATE_FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` (mode 0600) via a temporary file and a rename."""
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An inter-process lock for building ``folder`` (its file is in ``.locks/`` beside it)."""
    from filelock import FileLock

    private_dir(folder.parent / ".locks")
    with FileLock(str(_lock_path(folder)), mode=PRIVATE_FILE_MODE):
        yield


def _lock_path(folder: Path) -> Path:
    return folder.parent / ".locks" / f"{folder.name}.lock"


def remove_lock(folder: Path) -> None:
    """Remove ``folder``'s lock file once the folder itself is gone for good."""
    _lock_path(folder).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # only when empty
        _lock_path(folder).parent.rmdir()


# -- manifests ----------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(folder: Path, files: Iterable[str]) -> None:
    """Record the size and sha256 of ``files`` (names inside ``folder``) in its manifest."""
    entries = {}
    for name in files:
        path = folder / name
        entries[name] = {"size": path.stat().st_size, "sha256": file_sha256(path)}
    manifest = {"format": _MANIFEST_FORMAT, "format_version": _MANIFEST_VERSION, "files": entries}
    atomic_write_text(folder / MANIFEST_NAME, json.dumps(manifest, indent=1, sort_keys=True))


def verify_folder(folder: Path, files: Sequence[str]) -> None:
    """Check ``files`` in ``folder`` against its manifest; raise ``DamagedFileError`` on the
    first that is missing, unlisted, of another size or another sha256."""
    manifest_path = folder / MANIFEST_NAME
    if not manifest_path.is_file():
        raise DamagedFileError(
            manifest_path, "missing (the folder was written by an older moodtune, or damaged)"
        )
    try:
        manifest = json.loads(manifest_path.read_bytes())
        listed = manifest["files"]
        if manifest.get("format") != _MANIFEST_FORMAT or not isinstance(listed, dict):
            raise ValueError("not a moodtune manifest")
    except (ValueError, KeyError, TypeError) as exc:
        raise DamagedFileError(manifest_path, f"unreadable manifest ({exc})") from None
    if manifest.get("format_version") != _MANIFEST_VERSION:
        raise DamagedFileError(
            manifest_path,
            f"manifest format {manifest.get('format_version')!r}, this moodtune reads "
            f"{_MANIFEST_VERSION}",
        )
    for name in files:
        path = folder / name
        entry = listed.get(name)
        if not isinstance(entry, dict):
            raise DamagedFileError(path, "not listed in the folder's manifest")
        if not path.is_file():
            raise DamagedFileError(path, "missing")
        size = path.stat().st_size
        if size != entry.get("size"):
            raise DamagedFileError(
                path, f"size check failed: {size} bytes, the manifest says {entry.get('size')}"
            )
        if file_sha256(path) != entry.get("sha256"):
            raise DamagedFileError(path, "sha256 check failed: the content was changed")


# -- building -----------------------------------------------------------------------------------


def build_folder(folder: Path, *, files: Sequence[str], build: Callable[[Path], object]) -> None:
    """Build ``folder`` afresh: ``build`` writes ``files`` into a staging folder beside it, then
    the manifest is written, everything made private, and the staging folder renamed over
    ``folder`` (an old copy, with anything else it held, is removed). On error nothing changes.

    Call it under :func:`folder_lock` when several processes may build the same folder.
    """
    private_dir(folder.parent)
    tag = uuid.uuid4().hex[:8]
    staged = folder.parent / f".{folder.name}.{tag}.part"
    os.mkdir(staged, PRIVATE_DIR_MODE)
    try:
        build(staged)
        write_manifest(staged, files)
        make_private(staged)
        old = folder.parent / f".{folder.name}.{tag}.old"
        if folder.exists():
            os.replace(folder, old)
        os.replace(staged, folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise


def load_or_build(
    folder: Path,
    *,
    files: Sequence[str],
    build: Callable[[Path], object],
    load: Callable[[Path], T],
    what: str,
    rebuild_on: tuple[type[Exception], ...] = (DataIntegrityError,),
    refresh: bool = False,
) -> T:
    """``load(folder)`` when the folder passes its manifest check, else build it and load it.

    ``build(staging)`` writes ``files`` into the folder it is given; ``load`` may raise one of
    ``rebuild_on`` (default ``DataIntegrityError``) to say a verified folder is still unusable
    (e.g. written in an older format). A folder that existed but failed is rebuilt with a
    warning naming ``what``, the file and the failed check; a first build says nothing.
    ``refresh`` rebuilds whatever the folder holds.
    """
    problem: Exception | None = None
    if refresh:
        with folder_lock(folder):
            build_folder(folder, files=files, build=build)
        return load(folder)
    if folder.exists():
        try:
            verify_folder(folder, files)
            return load(folder)
        except rebuild_on as exc:
            problem = exc
    with folder_lock(folder):
        if folder.exists():  # another process may have built or healed it meanwhile
            try:
                verify_folder(folder, files)
                return load(folder)
            except rebuild_on as exc:
                problem = exc
        build_folder(folder, files=files, build=build)
    if problem is not None:
        logger.warning("moodtune: rebuilt %s (%s): %s", what, folder, problem)
    return load(folder)
