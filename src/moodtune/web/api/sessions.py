"""``/api/v1/sessions``: journeys — start, read, swap a track, feedback, finish."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from moodtune import app as moodtune_app
from moodtune.app.views import SessionSummary
from moodtune.web.deps import ListenerId, ServicesDep
from moodtune.web.public import SessionPublic, SessionSummaryPublic, public_page
from moodtune.web.responses import json_result
from moodtune.web.schemas import (
    DEFAULT_LIMIT,
    FeedbackCreate,
    Limit,
    Offset,
    Page,
    SessionCreate,
    SessionFinish,
)

router = APIRouter(prefix="/sessions", tags=["sessions"])
SessionId = Annotated[str, Path(min_length=1, max_length=64)]
Number = Annotated[int, Path(ge=1, le=200, description="the track's number as shown (from 1)")]


@router.post("", status_code=201, response_model=SessionPublic)
def start(body: SessionCreate, listener: ListenerId, services: ServicesDep) -> Any:
    """Check in and get a journey of real tracks from how you feel toward your goal."""
    journey = moodtune_app.start_journey(
        services,
        listener,
        goal=body.goal.value,
        mood=body.mood.report(),
        tracks=body.tracks,
        minutes=None if body.minutes is None else float(body.minutes),
    )
    return json_result(SessionPublic, journey, status_code=201)


@router.get("", response_model=public_page(SessionSummaryPublic))
def list_sessions(
    listener: ListenerId,
    services: ServicesDep,
    offset: Offset = 0,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:
    """Your sessions, newest first."""
    items, total = moodtune_app.list_journeys(services, listener, offset=offset, limit=limit)
    return Page[SessionSummary](items=items, total=total, offset=offset, limit=limit)


@router.get("/{session_id}", response_model=SessionPublic)
def get(session_id: SessionId, listener: ListenerId, services: ServicesDep) -> Any:
    """One of your sessions with its tracks, your feedback and the change."""
    return json_result(SessionPublic, moodtune_app.session_view(services, listener, session_id))


@router.post("/{session_id}/tracks/{number}/swap", response_model=SessionPublic)
def swap(session_id: SessionId, number: Number, listener: ListenerId, services: ServicesDep) -> Any:
    """Swap a track for the next-best one at its point of the path (within the jump bounds)."""
    swapped = moodtune_app.swap_track(services, listener, session_id, number)
    return json_result(SessionPublic, swapped)


@router.post("/{session_id}/tracks/{number}/feedback", response_model=SessionPublic)
def feedback(
    session_id: SessionId,
    number: Number,
    body: FeedbackCreate,
    listener: ListenerId,
    services: ServicesDep,
) -> Any:
    """Thumbs up/down, "this helped", played or skipped (answers add up per track)."""
    answered = moodtune_app.give_feedback(
        services,
        listener,
        session_id,
        number,
        thumbs=body.thumbs,
        helped=body.helped,
        played=body.played,
        skipped_after_s=None if body.skipped_after_s is None else float(body.skipped_after_s),
    )
    return json_result(SessionPublic, answered)


@router.post("/{session_id}/finish", response_model=SessionPublic)
def finish(
    session_id: SessionId, body: SessionFinish, listener: ListenerId, services: ServicesDep
) -> Any:
    """The second check-in: how you feel now; the before/after change is saved and shown."""
    return json_result(
        SessionPublic, moodtune_app.finish_journey(services, listener, session_id, body.report())
    )
