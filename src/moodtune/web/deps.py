"""Dependencies shared by every router: the services, and the one listener a request acts for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request

from moodtune.app.services import Services
from moodtune.web.identity import LocalIdentity
from moodtune.web.state import Readiness

__all__ = [
    "ListenerId",
    "NoListenerYet",
    "ServicesDep",
    "current_listener",
    "get_services",
    "on_network_threads",
]

T = TypeVar("T")


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


async def _services(request: Request) -> Services:
    # The dependencies run on the event loop (no IO but a tiny file read in single-listener
    # mode): a sync dependency would cost every request a hop to the thread pool.
    return get_services(request)


ServicesDep = Annotated[Services, Depends(_services)]


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


async def _listener(request: Request) -> str:
    return current_listener(request)


async def _identity(request: Request) -> LocalIdentity | AccountIdentity:
    return identity(request)


ListenerId = Annotated[str, Depends(_listener)]
IdentityDep = Annotated[LocalIdentity | AccountIdentity, Depends(_identity)]


async def on_network_threads(request: Request, call: Callable[[], T]) -> T:
    """Run ``call``, which waits on another service (Spotify), on threads of its own: the few
    request threads (``web.app.request_threads``) stay free for the pages meanwhile."""
    import anyio.to_thread

    limiter = getattr(request.app.state, "network_limiter", None)
    return await anyio.to_thread.run_sync(call, limiter=limiter)
