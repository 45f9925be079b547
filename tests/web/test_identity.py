"""The local listener's id: read once, re-read whenever its file changes."""

from __future__ import annotations

from pathlib import Path

from moodtune.config import Settings
from moodtune.web.identity import LocalIdentity


def test_the_local_id_follows_its_file(tmp_path: Path) -> None:
    one = LocalIdentity(Settings(data_dir=tmp_path, offline=True))
    other = LocalIdentity(Settings(data_dir=tmp_path, offline=True))  # another worker
    assert one.get() is None
    one.set("a" * 32)
    assert one.get() == "a" * 32 and other.get() == "a" * 32
    other.set("b" * 32)  # same length, written by the other one
    assert one.get() == "b" * 32
    one.path.write_text("c" * 16, encoding="utf-8")  # edited in place
    assert other.get() == "c" * 16
    other.clear()
    assert one.get() is None and other.get() is None
