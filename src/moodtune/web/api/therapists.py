"""``/api/v1`` for therapists (multi-user mode): invitations, links, suggestions, the access
log, and a therapist's read-only view of their listeners.

Off in local single-listener mode (404: there are no accounts to speak of).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from moodtune.app import therapists
from moodtune.web.api.accounts import Id, Me, settings_of
from moodtune.web.auth import engine_of
from moodtune.web.deps import ServicesDep
from moodtune.web.problems import PROBLEM_RESPONSES
from moodtune.web.public import (
    AccessPublic,
    ClientSummaryPublic,
    HistoryPublic,
    LinkPublic,
    NewInvitePublic,
    SessionPublic,
    SuggestionPublic,
    TherapistCheckInPublic,
    public_page,
)
from moodtune.web.schemas import DEFAULT_LIMIT, Limit, Offset, TimeZoneQuery, page_of

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)


class InviteCreate(BaseModel):
    share_notes: bool = False


class LinkUpdate(BaseModel):
    share_notes: bool


class CodeIn(BaseModel):
    code: str = Field(min_length=4, max_length=40)


class SuggestionCreate(BaseModel):
    goal: str = Field(min_length=1, max_length=40)
    tracks: int | None = Field(default=None, ge=2, le=200)
    message: str | None = Field(default=None, max_length=1000)


# -- the listener's side of therapists ---------------------------------------------------------


@router.post("/invites", status_code=201, response_model=NewInvitePublic, tags=["therapists"])
def invite(body: InviteCreate, me: Me, request: Request) -> Any:
    """A one-time code to give your therapist (shown once)."""
    return therapists.invite_therapist(
        engine_of(request), settings_of(request), me.listener_id, share_notes=body.share_notes
    )


@router.get("/links", response_model=public_page(LinkPublic), tags=["therapists"])
def links(me: Me, request: Request, offset: Offset = 0, limit: Limit = DEFAULT_LIMIT) -> Any:
    """Your therapists and unused invitations."""
    return page_of(
        therapists.links_of(engine_of(request), me.listener_id), offset=offset, limit=limit
    )


@router.patch("/links/{link_id}", status_code=204, tags=["therapists"])
def update_link(link_id: Id, body: LinkUpdate, me: Me, request: Request) -> Response:
    """Share your notes with this therapist, or stop."""
    therapists.set_link_notes(
        engine_of(request), me.listener_id, link_id, share_notes=body.share_notes
    )
    return Response(status_code=204)


@router.delete("/links/{link_id}", response_model=LinkPublic, tags=["therapists"])
def revoke(link_id: Id, me: Me, request: Request) -> Any:
    """End this therapist's access now."""
    return therapists.revoke_link(engine_of(request), me.listener_id, link_id)


@router.get("/access-log", response_model=public_page(AccessPublic), tags=["therapists"])
def access(me: Me, request: Request, offset: Offset = 0, limit: Limit = DEFAULT_LIMIT) -> Any:
    """Every read of your data by someone else, newest first."""
    return page_of(
        therapists.access_log(engine_of(request), me.listener_id), offset=offset, limit=limit
    )


@router.get("/suggestions", response_model=public_page(SuggestionPublic), tags=["therapists"])
def my_suggestions(
    me: Me, request: Request, offset: Offset = 0, limit: Limit = DEFAULT_LIMIT
) -> Any:
    """Goals your therapists suggested."""
    return page_of(
        therapists.suggestions_for(engine_of(request), me.listener_id), offset=offset, limit=limit
    )


@router.post(
    "/suggestions/{suggestion_id}/{answer}",
    response_model=SuggestionPublic,
    tags=["therapists"],
)
def answer(
    suggestion_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    answer: Annotated[str, Path(pattern="^(accept|decline)$")],
    me: Me,
    request: Request,
) -> Any:
    """Accept (then start it with a check-in) or decline a suggestion."""
    return therapists.answer_suggestion(
        engine_of(request), me.listener_id, suggestion_id, accept=answer == "accept"
    )


# -- the therapist's side ----------------------------------------------------------------------


@router.post("/therapist/links", status_code=201, response_model=LinkPublic,
             tags=["therapists"])  # fmt: skip
def accept(body: CodeIn, me: Me, request: Request) -> Any:
    """Enter a listener's invitation code."""
    return therapists.accept_invite(engine_of(request), settings_of(request), me.listener_id,
                                    body.code)  # fmt: skip


@router.get("/therapist/listeners", response_model=public_page(ClientSummaryPublic),
            tags=["therapists"])  # fmt: skip
def clients(me: Me, services: ServicesDep, offset: Offset = 0, limit: Limit = DEFAULT_LIMIT) -> Any:
    """Your listeners with progress at a glance."""
    found = therapists.linked_clients(services, me.listener_id)
    return page_of(found, offset=offset, limit=limit)


@router.get("/therapist/listeners/{listener_id}/history", response_model=HistoryPublic,
            tags=["therapists"])  # fmt: skip
def client_history(listener_id: Id, me: Me, services: ServicesDep, tz: TimeZoneQuery = None) -> Any:
    """A linked listener's history, read-only (their streak days in the zone ``tz``)."""
    return therapists.client_history(services, me.listener_id, listener_id, tz=tz)


@router.get("/therapist/listeners/{listener_id}/checkins",
            response_model=public_page(TherapistCheckInPublic), tags=["therapists"])  # fmt: skip
def client_checkins(
    listener_id: Id, me: Me, services: ServicesDep, offset: Offset = 0,
    limit: Limit = DEFAULT_LIMIT,
) -> Any:  # fmt: skip
    return page_of(
        therapists.client_checkins(services, me.listener_id, listener_id),
        offset=offset,
        limit=limit,
    )


@router.get("/therapist/listeners/{listener_id}/sessions/{session_id}",
            response_model=SessionPublic, tags=["therapists"])  # fmt: skip
def client_session(listener_id: Id, session_id: Id, me: Me, services: ServicesDep) -> Any:
    return therapists.client_session(services, me.listener_id, listener_id, session_id)


@router.post("/therapist/listeners/{listener_id}/suggestions", status_code=201,
             response_model=SuggestionPublic, tags=["therapists"])  # fmt: skip
def suggest(listener_id: Id, body: SuggestionCreate, me: Me, request: Request) -> Any:
    return therapists.suggest(
        engine_of(request), me.listener_id, listener_id, goal=body.goal, tracks=body.tracks,
        message=body.message,
    )  # fmt: skip
