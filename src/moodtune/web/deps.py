"""Dependencies shared by every router: the services, and the one listener a request acts for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from moodtune.app.services import Services
from moodtune.web.identity import LocalIdentity
from moodtune.web.state import Readiness

__all__ = ["ListenerId", "NoListenerYet", "ServicesDep", "current_listener", "get_services"]


class NoListenerYet(Exception):
    """No listener has been set up on this machine yet (pages send people to the welcome)."""


class NotReady(Exception):
    """Models are still being prepared."""


def readiness(request: Request) -> Readiness:
    state: Readiness = request.app.state.readiness
    return state


def get_services(request: Request) -> Services:
    """The prepared services; 503 with Retry-After while the first start prepares models."""
    state = readiness(request)
    if state.services is None:
        if request.url.path.startswith("/api/"):
            raise HTTPException(
                503,
                f"moodtune is still preparing ({state.step}); try again shortly",
                headers={"Retry-After": "5"},
            )
        raise NotReady()
    return state.services


ServicesDep = Annotated[Services, Depends(get_services)]


class AccountIdentity:
    """The signed-in account's listener, in multi-user mode (the ``LocalIdentity`` interface).

    An account is made with its listener, so ``set`` is refused and ``clear`` has nothing to
    forget: deleting the listener deletes the account and its sessions with it.
    """

    def __init__(self, listener_id: str | None) -> None:
        self.listener_id = listener_id

    def get(self) -> str | None:
        return self.listener_id

    def set(self, listener_id: str) -> None:
        raise HTTPException(409, "with accounts, a listener comes with its account: sign up")

    def clear(self) -> None:
        self.listener_id = None


def identity(request: Request) -> LocalIdentity | AccountIdentity:
    """The local listener's file, or in multi-user mode the signed-in account's listener."""
    if request.app.state.settings.multi_user:
        from moodtune.web.auth import principal_of

        principal = principal_of(request)
        return AccountIdentity(None if principal is None else principal.listener_id)
    ident: LocalIdentity = request.app.state.identity
    return ident


def current_listener(request: Request) -> str:
    """The id of the listener this request acts for (the seam for accounts)."""
    listener = identity(request).get()
    if listener is None:
        if request.url.path.startswith("/api/"):
            raise HTTPException(
                404, "no listener on this machine yet: create one with POST /api/v1/listener"
            )
        raise NoListenerYet()
    return listener


ListenerId = Annotated[str, Depends(current_listener)]
IdentityDep = Annotated[LocalIdentity | AccountIdentity, Depends(identity)]
