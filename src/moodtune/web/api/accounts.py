"""``/api/v1`` for accounts (multi-user mode): sign-in tokens, the account, API tokens, sessions.

Off in local single-listener mode (404: there are no accounts to speak of).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from pydantic import BaseModel, Field

from moodtune.app import accounts
from moodtune.config import Settings
from moodtune.web.auth import engine_of, principal_of
from moodtune.web.problems import PROBLEM_RESPONSES, problem
from moodtune.web.public import NewApiTokenPublic, SignInSessionPublic, TokenPublic, public_page
from moodtune.web.schemas import DEFAULT_LIMIT, Limit, Offset, page_of

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
Id = Annotated[str, Path(min_length=1, max_length=64)]


def signed_in(request: Request) -> accounts.Principal:
    """The signed-in principal (accounts on); 404 in local single-listener mode."""
    if not request.app.state.settings.multi_user:
        raise HTTPException(404, "accounts are off: this moodtune serves one local listener")
    principal = principal_of(request)
    if principal is None:  # guard_request has already answered 401; kept for safety
        raise HTTPException(401, "sign in first", headers={"WWW-Authenticate": "Bearer"})
    return principal


Me = Annotated[accounts.Principal, Depends(signed_in)]


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)
    name: str = Field(default="API token", min_length=1, max_length=100)


class TokenName(BaseModel):
    name: str = Field(default="API token", min_length=1, max_length=100)


class AccountPublic(BaseModel):
    """Who this request acts for, and how they signed in (a session cookie or a token)."""

    listener_id: str
    username: str
    via: str


@router.post("/auth/token", status_code=201, response_model=NewApiTokenPublic, tags=["accounts"])
def token_by_password(body: TokenRequest, request: Request) -> Any:
    """Sign in with username and password and get a personal API token (rate limited)."""
    settings = settings_of(request)
    if not settings.multi_user:
        raise HTTPException(404, "accounts are off: this moodtune serves one local listener")
    engine = engine_of(request)
    try:
        signed = accounts.sign_in(
            engine, settings, username=body.username, password=body.password,
            address=request.client.host if request.client else "unknown",
            user_agent=request.headers.get("user-agent"),
        )  # fmt: skip
    except accounts.RateLimited as exc:
        return problem(429, str(exc), request=request,
                       headers={"Retry-After": str(exc.retry_after_s)})  # fmt: skip
    except accounts.AuthFailed as exc:
        return problem(401, str(exc), request=request, headers={"WWW-Authenticate": "Bearer"})
    accounts.sign_out(engine, signed.principal)  # a token, not a browser session
    made = accounts.create_api_token(engine, settings, signed.principal, name=body.name)
    return made


@router.get("/account", response_model=AccountPublic, tags=["accounts"])
def account(me: Me) -> Any:
    """Who you are signed in as."""
    return AccountPublic(listener_id=me.listener_id, username=me.username, via=me.via)


@router.get("/tokens", response_model=public_page(TokenPublic), tags=["accounts"])
def list_tokens(me: Me, request: Request, offset: Offset = 0, limit: Limit = DEFAULT_LIMIT) -> Any:
    """Your personal API tokens (names and first characters only)."""
    found = accounts.list_api_tokens(engine_of(request), me)
    return page_of(found, offset=offset, limit=limit)


@router.post("/tokens", status_code=201, response_model=NewApiTokenPublic, tags=["accounts"])
def create_token(body: TokenName, me: Me, request: Request) -> Any:
    """A new personal API token, shown once."""
    made = accounts.create_api_token(engine_of(request), settings_of(request), me, name=body.name)
    return made


@router.delete("/tokens/{token_id}", status_code=204, tags=["accounts"])
def revoke_token(token_id: Id, me: Me, request: Request) -> Response:
    """Revoke a token: it stops working at once."""
    accounts.revoke_api_token(engine_of(request), me, token_id)
    return Response(status_code=204)


@router.get("/account/sessions", response_model=public_page(SignInSessionPublic), tags=["accounts"])
def sessions(me: Me, request: Request, offset: Offset = 0, limit: Limit = DEFAULT_LIMIT) -> Any:
    """Where you are signed in."""
    return page_of(
        accounts.list_sign_in_sessions(engine_of(request), me), offset=offset, limit=limit
    )


@router.delete("/account/sessions", tags=["accounts"])
def end_all_sessions(me: Me, request: Request) -> dict[str, int]:
    """Sign out everywhere (every browser session; API tokens stay until revoked)."""
    return {"ended": accounts.end_sessions(engine_of(request), me, keep_current=False)}
