"""Who is using the app. Bound to loopback without accounts, moodtune has one local listener.

Their id is kept in ``data_dir/web/local-listener`` (0600); deleting their data removes it.
This is the one seam the accounts issue replaces: every route asks ``current_listener``.
"""

from __future__ import annotations

import os
from pathlib import Path

from moodtune.config import Settings

__all__ = ["LocalIdentity"]


class LocalIdentity:
    """The local listener's id, stored in a small file beside the database."""

    def __init__(self, settings: Settings) -> None:
        self.path: Path = settings.data_dir / "web" / "local-listener"
        self._seen: tuple[tuple[int, int, int], str | None] | None = None

    def get(self) -> str | None:
        """The id, re-read only when the file changed (every request asks: a stat is cheaper)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._seen = None
            return None
        mark = (st.st_ino, st.st_mtime_ns, st.st_size)
        seen = self._seen
        if seen is not None and seen[0] == mark:
            return seen[1]
        try:
            text = self.path.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None
        self._seen = (mark, text)
        return text

    def set(self, listener_id: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(listener_id)
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
