"""Listeners, mood check-ins, listening sessions, feedback, history, export and deletion.

The service functions validate input, group writes into single transactions and run the risk
screen (``moodtune.safety``); the SQL lives in ``moodtune.store.repository``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moodtune.sessions.history import (
    MIN_SESSIONS,
    GroupEffect,
    History,
    SessionChange,
    Streaks,
    listener_history,
)
from moodtune.sessions.service import (
    GOALS,
    CheckInResult,
    FinishedSession,
    MoodReport,
    OfferedTrack,
    StartedSession,
    checkins_page,
    create_listener,
    delete_listener,
    export_listener,
    finish_session,
    get_listener,
    get_session,
    learning_data,
    listener_profile,
    listener_risk,
    record_checkin,
    record_feedback,
    record_playlist_export,
    set_consent,
    start_session,
)

__all__ = [
    "GOALS",
    "MIN_SESSIONS",
    "CheckInResult",
    "FinishedSession",
    "GroupEffect",
    "History",
    "JourneyCatalog",
    "LearnedListener",
    "MoodReport",
    "OfferedTrack",
    "PersonalJourney",
    "SessionChange",
    "StartedSession",
    "Streaks",
    "checkins_page",
    "create_listener",
    "delete_listener",
    "export_listener",
    "finish_session",
    "get_listener",
    "get_session",
    "learn_listener",
    "learning_data",
    "listener_history",
    "listener_profile",
    "listener_risk",
    "load_journey_catalog",
    "personal_journey",
    "record_checkin",
    "record_feedback",
    "record_playlist_export",
    "set_consent",
    "start_personal_session",
    "start_session",
]

# The personal-journey part needs pandas and the learner; it loads on first use, so commands
# and the web app that only read or record sessions start fast.
_PERSONAL = {
    "JourneyCatalog",
    "LearnedListener",
    "PersonalJourney",
    "learn_listener",
    "load_journey_catalog",
    "personal_journey",
    "start_personal_session",
}

if TYPE_CHECKING:
    from moodtune.sessions.personal import (
        JourneyCatalog,
        LearnedListener,
        PersonalJourney,
        learn_listener,
        load_journey_catalog,
        personal_journey,
        start_personal_session,
    )


def __getattr__(name: str) -> Any:
    if name in _PERSONAL:
        from moodtune.sessions import personal

        return getattr(personal, name)
    raise AttributeError(f"module 'moodtune.sessions' has no attribute {name!r}")
