"""Time zones: a listener's days are their own calendar days, not the server's.

A check-in at 23:30 in Berlin is that day's, though the server (often on UTC) sees the next
day; streaks and "days you checked in" count the listener's days. The zone comes from the
person (the browser's ``Intl`` zone on the pages, ``tz`` in the API); without one, moodtune
uses the machine's local zone, which is the listener's own when it runs on their computer.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moodtune.errors import InputError

__all__ = ["MAX_ZONE_CHARS", "in_zone", "time_zone"]

MAX_ZONE_CHARS = 64
"""IANA names are short ("America/Argentina/ComodRivadavia" is 32); anything longer is not one."""


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def time_zone(name: str | None, *, field: str = "tz") -> tzinfo | None:
    """The IANA time zone ``name`` (``Europe/Berlin``), or None (this machine's zone) for None.

    Raises :class:`InputError` naming ``field`` for a name that is not a known zone.
    """
    if name is None:
        return None
    allowed = "an IANA time zone name such as Europe/Berlin or America/New_York"
    if not isinstance(name, str) or not 0 < len(name) <= MAX_ZONE_CHARS or ".." in name:
        raise InputError("not a time zone", field=field, value=name, allowed=allowed)
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError(
            f"unknown time zone {name!r}", field=field, value=name, allowed=allowed
        ) from None


def in_zone(moment: datetime, zone: tzinfo | None) -> datetime:
    """``moment`` as a wall-clock time in ``zone`` (stored times are UTC; a naive one is
    taken as UTC); ``None`` is this machine's zone."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone)
