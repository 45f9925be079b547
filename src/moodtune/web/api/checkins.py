"""``/api/v1/checkins``: how you feel, now and over time."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from moodtune import app as moodtune_app
from moodtune.app.views import CheckInView
from moodtune.web.deps import ListenerId, ServicesDep
from moodtune.web.public import CheckInPublic, public_page
from moodtune.web.responses import json_result
from moodtune.web.schemas import CheckInCreate, Limit, Offset, Page

router = APIRouter(tags=["check-ins"])


@router.post("/checkins", status_code=201, response_model=CheckInPublic)
def create_checkin(body: CheckInCreate, listener: ListenerId, services: ServicesDep) -> Any:
    """Record how you feel (a point and/or words; a note is kept only with consent)."""
    return json_result(
        CheckInPublic, moodtune_app.check_in(services, listener, body.report()), status_code=201
    )


@router.get("/checkins", response_model=public_page(CheckInPublic))
def list_checkins(
    listener: ListenerId, services: ServicesDep, offset: Offset = 0, limit: Limit = 20
) -> Any:
    """Your check-ins, newest first."""
    items, total = moodtune_app.checkin_page(services, listener, offset=offset, limit=limit)
    return Page[CheckInView](items=items, total=total, offset=offset, limit=limit)
