"""Where catalogs live on disk, and how they are written so that nothing is ever half-written.

Layout under ``settings.parquet_dir / "catalogs"``::

    <name>/<key>/tracks.parquet       one row per track (the catalog itself)
    <name>/<key>/source.json          where it came from, fingerprint, import report
    <name>/<key>/manifest.json        size and sha256 of the two files above
    <name>/<key>/derived-<version>/   rebuilt when missing or damaged: mood.parquet,
                                      mood_proba.npy, scaled_features.npy, meta.json,
                                      manifest.json

``key`` is a content fingerprint of the source (sha256 of its bytes, plus the column mapping
for imports) and the build version, so a changed source or a changed builder gets a new
directory and a stale cache is never used. ``settings.data_dir / "catalogs.json"`` records
the imported catalogs and which catalog is active. Every file is written to a temporary name
and renamed into place; a directory is built beside its final name and renamed, and checked
against its manifest when loaded (``moodtune.artefacts``). Folders are 0700, files 0600.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from moodtune.artefacts import PRIVATE_FILE_MODE, atomic_write_text, file_sha256, private_dir
from moodtune.config import Settings
from moodtune.errors import InputError

__all__ = [
    "CATALOG_BUILD_VERSION",
    "DEFAULT_CATALOG",
    "RegistryFile",
    "atomic_write_text",
    "catalog_root",
    "file_sha256",
    "validate_catalog_name",
]

DEFAULT_CATALOG = "spotify_songs"
# Bump when the way a source becomes a catalog table changes: every catalog is rebuilt.
CATALOG_BUILD_VERSION = 1
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def catalog_root(settings: Settings) -> Path:
    return settings.parquet_dir / "catalogs"


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


class RegistryFile:
    """``catalogs.json``: the imported catalogs and the active one (default ``spotify_songs``)."""

    def __init__(self, settings: Settings) -> None:
        self.path = settings.data_dir / "catalogs.json"

    def read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"active": DEFAULT_CATALOG, "imported": {}}
        from moodtune.jsonfile import read_json_file

        try:
            data = read_json_file(self.path, what="catalog registry", max_bytes=16 * 1024 * 1024)
        except InputError as exc:
            raise InputError(
                f"{exc.message}; fix it, or delete it to forget the imported catalogs (their "
                "folders stay and can be imported again)",
                file=str(self.path),
            ) from None
        if not isinstance(data, dict):
            raise InputError(
                "the catalog registry must be a JSON object; fix or delete it", file=str(self.path)
            )
        data.setdefault("active", DEFAULT_CATALOG)
        data.setdefault("imported", {})
        return data

    def write(self, data: dict[str, Any]) -> None:
        atomic_write_text(self.path, json.dumps(data, indent=2, sort_keys=True))

    @contextlib.contextmanager
    def editing(self) -> Iterator[dict[str, Any]]:
        """Read, let the caller change, write back atomically; under a lock."""
        from filelock import FileLock

        private_dir(self.path.parent)
        with FileLock(str(self.path) + ".lock", mode=PRIVATE_FILE_MODE):
            data = self.read()
            yield data
            self.write(data)
