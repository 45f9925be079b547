"""A local cache of Spotify look-ups with expiry.

Answers of track look-ups and searches are kept in a small SQLite file for a while
(``Settings.spotify_cache_ttl_s``), so showing the same tracks again asks Spotify nothing.
Only public catalogue data goes here, never a listener's library or tokens.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moodtune.artefacts import PRIVATE_FILE_MODE, private_dir

__all__ = ["LookupCache"]


class LookupCache:
    """Key → JSON value with an expiry time, in SQLite (one file; safe across processes)."""

    def __init__(self, path: Path, *, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.ttl_s = ttl_s
        self.clock = clock
        private_dir(self.path.parent)
        # created owner-only, like everything in the data folder (its journal follows the mode)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE)
        os.fchmod(fd, PRIVATE_FILE_MODE)
        os.close(fd)
        with self._connect() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS lookups "
                "(key TEXT PRIMARY KEY, body TEXT NOT NULL, expires REAL NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=5)

    def get(self, key: str) -> Any | None:
        """The cached value, or None when absent or expired (an expired row is removed)."""
        with self._connect() as conn:
            row = conn.execute("SELECT body, expires FROM lookups WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            if row[1] <= self.clock():
                conn.execute("DELETE FROM lookups WHERE key = ?", (key,))
                return None
        return json.loads(row[0])

    def put(self, key: str, value: Any) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO lookups (key, body, expires) VALUES (?, ?, ?)",
                (key, json.dumps(value), self.clock() + self.ttl_s),
            )

    def purge_expired(self) -> int:
        """Remove every expired entry; returns how many."""
        with self._connect() as conn:
            return conn.execute("DELETE FROM lookups WHERE expires <= ?", (self.clock(),)).rowcount
