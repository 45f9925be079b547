"""Where catalogs live on disk, and how they are written so that nothing is ever half-written.

Layout under ``settings.parquet_dir / "catalogs"``::

    <name>/<key>/tracks.parquet       one row per track (the catalog itself)
    <name>/<key>/source.json          where it came from, fingerprint, import report
    <name>/<key>/derived-<version>/   rebuilt when missing: mood.parquet, mood_proba.npy,
                                      scaled_features.npy, meta.json

``key`` is a content fingerprint of the source (sha256 of its bytes, plus the column mapping
for imports) and the build version, so a changed source or a changed builder gets a new
directory and a stale cache is never used. ``settings.data_dir / "catalogs.json"`` records
the imported catalogs and which catalog is active. Every file is written to a temporary name
and renamed into place; a directory is built beside its final name and renamed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from moodtune.config import Settings
from moodtune.errors import InputError

__all__ = [
    "CATALOG_BUILD_VERSION",
    "DEFAULT_CATALOG",
    "RegistryFile",
    "atomic_write_text",
    "build_lock",
    "catalog_root",
    "file_sha256",
    "staging_dir",
    "validate_catalog_name",
]

DEFAULT_CATALOG = "spotify_songs"
# Bump when the way a source becomes a catalog table changes: every catalog is rebuilt.
CATALOG_BUILD_VERSION = 1
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def catalog_root(settings: Settings) -> Path:
    return settings.parquet_dir / "catalogs"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def validate_catalog_name(name: str) -> str:
    """A catalog name: lower-case letters, digits, '-' and '_' (it becomes a directory)."""
    if not _NAME.match(name):
        raise InputError(
            "invalid catalog name",
            field="name",
            value=name,
            allowed="1-64 of a-z, 0-9, '-', '_' (starting with a letter or digit)",
        )
    return name


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def staging_dir(final: Path) -> Iterator[Path]:
    """A temporary directory beside ``final``, renamed to ``final`` if the block succeeds.

    If ``final`` already exists (another process built the same content), the staged copy
    is discarded. On any error the staged directory is removed and ``final`` is untouched.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    staged = final.parent / f".{final.name}.{uuid.uuid4().hex[:8]}.part"
    staged.mkdir()
    try:
        yield staged
        if final.exists():
            shutil.rmtree(staged)
        else:
            os.replace(staged, final)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise


@contextlib.contextmanager
def build_lock(directory: Path) -> Iterator[None]:
    """An inter-process lock so two processes never build the same catalog at once."""
    from filelock import FileLock

    directory.mkdir(parents=True, exist_ok=True)
    with FileLock(str(directory / ".build.lock")):
        yield


class RegistryFile:
    """``catalogs.json``: the imported catalogs and the active one (default ``spotify_songs``)."""

    def __init__(self, settings: Settings) -> None:
        self.path = settings.data_dir / "catalogs.json"

    def read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"active": DEFAULT_CATALOG, "imported": {}}
        try:
            data = json.loads(self.path.read_text())
        except json.JSONDecodeError as exc:
            raise InputError(
                f"the catalog registry is not valid JSON: {exc}; fix or delete it",
                file=str(self.path),
            ) from exc
        data.setdefault("active", DEFAULT_CATALOG)
        data.setdefault("imported", {})
        return data

    def write(self, data: dict[str, Any]) -> None:
        atomic_write_text(self.path, json.dumps(data, indent=2, sort_keys=True))

    @contextlib.contextmanager
    def editing(self) -> Iterator[dict[str, Any]]:
        """Read, let the caller change, write back atomically; under a lock."""
        from filelock import FileLock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock"):
            data = self.read()
            yield data
            self.write(data)
