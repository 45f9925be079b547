"""Reading a small JSON file a person gives moodtune: size, encoding and syntax checked first.

Every problem names the file: missing, too large (refused before it is read), not UTF-8 text
(saying when it is UTF-16 or binary), not valid JSON (line and column).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from moodtune.errors import InputError

__all__ = ["encoding_hint", "read_json_file"]


def encoding_hint(path: Path) -> str:
    """What a file that is not UTF-8 seems to be, so the message can say how to fix it."""
    head = path.read_bytes()[:4]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return " (it is UTF-16: save it as UTF-8)"
    if b"\x00" in head:
        return " (it looks like a binary file, not text)"
    return " (save it as UTF-8)"


def read_json_file(path: str | Path, *, what: str, max_bytes: int, why_small: str = "") -> Any:
    """The parsed JSON of ``path`` (a ``what``, e.g. "profile file"); UTF-8 with or without BOM."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=source) from None
    if path.is_dir():
        raise InputError(f"this is a folder, not a {what}", file=source)
    if size > max_bytes:
        limit = f"{max_bytes // 1024} KiB"
        raise InputError(
            f"the {what} is {size:,} bytes, over the {limit} limit" + why_small,
            file=source,
            allowed=f"at most {limit}",
        )
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(
            f"the {what} is not UTF-8 text" + encoding_hint(path), file=source
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", file=source
        ) from None
