"""``/api/v1/history``: mood over time, before/after per session, what helped, streaks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from moodtune import app as moodtune_app
from moodtune.app.explore import MAX_PAGE
from moodtune.web.deps import ListenerId, ServicesDep
from moodtune.web.public import HistoryPublic
from moodtune.web.schemas import Offset, TimeZoneQuery

router = APIRouter(tags=["history"])


@router.get("/history", response_model=HistoryPublic)
def history(
    listener: ListenerId,
    services: ServicesDep,
    sessions_offset: Offset = 0,
    sessions_limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = moodtune_app.HISTORY_SESSIONS,
    tz: TimeZoneQuery = None,
) -> Any:
    """Mood over time, before/after per session, what helped (with counts), streaks.

    Groups and streaks count everything; ``checkins`` holds the latest check-ins (at most
    ``HISTORY_CHECKINS``) and ``sessions`` one page counted from the newest (the totals say
    how many there are). Streaks count calendar days in ``tz``.
    """
    return moodtune_app.history_view(
        services, listener, sessions_offset=sessions_offset, sessions_limit=sessions_limit, tz=tz
    )
