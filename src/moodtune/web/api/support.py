"""``/api/v1/support``: crisis resources, always available (no listener or models needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from moodtune.app.views import support_view
from moodtune.safety import help_resources
from moodtune.web.public import SupportPublic

router = APIRouter(tags=["support"])


@router.get("/support", response_model=SupportPublic)
def support(request: Request) -> Any:
    """Where to get help now (by the configured country)."""
    return support_view(help_resources(settings=request.app.state.settings))
