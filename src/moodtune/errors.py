"""The exception tree: every error moodtune raises on purpose derives from ``MoodtuneError``."""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConnectorError",
    "DamagedFileError",
    "DataIntegrityError",
    "DatabaseDamagedError",
    "InputError",
    "MoodtuneError",
    "NotFittedError",
    "NotFoundError",
    "ValidationReport",
    "shorten",
]

#: The longest an echoed value may be in a message; longer ones are cut in the middle.
MAX_ECHOED_CHARS = 80


def shorten(text: str, limit: int = MAX_ECHOED_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters, keeping both ends and saying how much went."""
    if len(text) <= limit:
        return text
    keep = max(limit - len(f"...[{len(text):,} characters cut]..."), 10)
    marker = f"...[{len(text) - keep:,} characters cut]..."
    return text[: keep - keep // 2] + marker + text[len(text) - keep // 2 :]


class MoodtuneError(Exception):
    """Base of all moodtune errors."""


class InputError(MoodtuneError, ValueError):
    """Bad input, with where it came from (file, row, field) and what would be valid.

    ``row`` is 1-based and counts data rows as a spreadsheet shows them (the header is row 1,
    so the first data row is row 2) when ``file`` is a CSV; for other sources it is the
    1-based record number. A long ``value`` echoed in ``message`` (as ``str`` or ``repr``) is
    shown cut to ``MAX_ECHOED_CHARS``; ``value`` itself keeps it whole.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        value: Any = None,
        allowed: str | None = None,
    ) -> None:
        self.message = _cut_echoes(message, value)
        self.file = file
        self.row = row
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        text = self.message
        if where:
            text = f"{', '.join(where)}: {text}"
        if self.allowed:
            text = f"{text} (allowed: {self.allowed})"
        return text

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly view, for APIs and ``--json`` output."""
        return {
            "message": self.message,
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "value": None if self.value is None else shorten(str(self.value)),
            "allowed": self.allowed,
        }


class NotFoundError(InputError, LookupError):
    """Something asked for by id or name does not exist, or is not the caller's (HTTP 404).

    A subclass of ``InputError`` so callers that catch bad input keep working; the web layer
    answers it with 404 rather than 422. Another listener's session is reported exactly like a
    session that does not exist, so its existence is not revealed.
    """


def _cut_echoes(message: str, value: Any) -> str:
    if value is None:
        return message
    for shown in {repr(value), str(value)}:
        if len(shown) > MAX_ECHOED_CHARS and shown in message:
            message = message.replace(shown, shorten(shown))
    return message


class ValidationReport(InputError):
    """Several input problems found at once; ``problems`` holds each as an ``InputError``."""

    def __init__(self, problems: list[InputError], *, file: str | None = None) -> None:
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) found:\n{shown}{more}", file=file)
        if problems:  # where the first problem is, for callers that look at one field
            self.row, self.field, self.value = problems[0].row, problems[0].field, problems[0].value

    def _render(self) -> str:
        return self.message if self.file is None else f"file {self.file}: {self.message}"


class DataIntegrityError(MoodtuneError):
    """A dataset file failed a checksum or content check; it was not used."""


class DamagedFileError(DataIntegrityError):
    """A stored file failed a check: ``file`` names it, ``check`` says which check failed.

    ``remedy`` (when set) says what the user can do; derived files are rebuilt instead.
    """

    def __init__(self, file: Any, check: str, *, remedy: str | None = None) -> None:
        self.file = str(file)
        self.check = check
        self.remedy = remedy
        super().__init__(f"{file}: {check}" + (f"; {remedy}" if remedy else ""))


class DatabaseDamagedError(DamagedFileError):
    """The embedded SQLite database file is damaged; moodtune has not written to it."""

    def __init__(self, file: Any, check: str) -> None:
        super().__init__(
            file,
            f"the moodtune database is damaged ({check}); it was not changed",
            remedy=f"restore it from your backup, or move it aside (with any {file}-wal and "
            f"{file}-shm beside it: mv {file} {file}.damaged) and moodtune starts a new, empty "
            "database; `sqlite3 FILE .recover` may rescue rows from the damaged copy",
        )


class NotFittedError(MoodtuneError, AttributeError):
    """A model was used before ``fit``."""


class ConnectorError(MoodtuneError):
    """An external service (e.g. Spotify) failed; keeps the HTTP status, message and headers."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        url: str | None = None,
    ) -> None:
        self.message = message  #: without the status and URL, for a sentence shown to a person
        self.status = status
        self.headers = headers or {}
        self.url = url
        prefix = f"HTTP {status}: " if status is not None else ""
        super().__init__(f"{prefix}{message}" + (f" ({url})" if url else ""))


def check_is_fitted(estimator: object, attribute: str) -> None:
    """Raise ``NotFittedError`` unless ``estimator`` has the learned ``attribute``."""
    if not hasattr(estimator, attribute):
        raise NotFittedError(
            f"{type(estimator).__name__} is not fitted yet: call fit() before using it"
        )
