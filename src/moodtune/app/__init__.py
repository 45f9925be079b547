"""The application layer: one function per thing a person does, with typed results.

The CLI and the web call these functions; they own the defaults (journey length, bounds), the
safety screen and ownership (a session is reachable only through its listener). Models are
loaded once into ``Services`` by ``prepare_services``; no request fits a model.
"""

from __future__ import annotations

from moodtune.app.explore import get_track, mood_map, search_tracks, similar_tracks
from moodtune.app.journeys import (
    DEFAULT_JOURNEY_MINUTES,
    DEFAULT_SESSION_TRACKS,
    finish_journey,
    give_feedback,
    goal_choices,
    goal_label,
    journey_length,
    list_journeys,
    mood_journey,
    prepared_view,
    session_view,
    song_path,
    start_journey,
    start_song_path,
    swap_track,
)
from moodtune.app.listeners import (
    HISTORY_CHECKINS,
    HISTORY_SESSIONS,
    check_in,
    checkin_page,
    delete_everything,
    export_everything,
    get_listener_view,
    history_view,
    me_view,
    onboard,
    profile_insights,
    profile_support,
    save_survey,
    set_consent,
)
from moodtune.app.services import PREPARE_STEPS, Services, prepare_services

__all__ = [
    "DEFAULT_JOURNEY_MINUTES",
    "DEFAULT_SESSION_TRACKS",
    "HISTORY_CHECKINS",
    "HISTORY_SESSIONS",
    "PREPARE_STEPS",
    "Services",
    "check_in",
    "checkin_page",
    "delete_everything",
    "export_everything",
    "finish_journey",
    "get_listener_view",
    "get_track",
    "give_feedback",
    "goal_choices",
    "goal_label",
    "history_view",
    "journey_length",
    "list_journeys",
    "me_view",
    "mood_journey",
    "mood_map",
    "onboard",
    "prepare_services",
    "prepared_view",
    "profile_insights",
    "profile_support",
    "save_survey",
    "search_tracks",
    "session_view",
    "set_consent",
    "similar_tracks",
    "song_path",
    "start_journey",
    "start_song_path",
    "swap_track",
]
