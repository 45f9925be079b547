"""Several web workers that share one loaded copy of the models: a pre-fork server.

The parent process prepares every model and index once (``prepare_services``), freezes the
garbage collector's view of them and forks the workers. The models' arrays and the faiss index
are read-only, so the workers share their pages with the parent copy-on-write: the second
worker costs the memory it writes (requests, caches), not a second catalog. Each worker opens
its own database connections and keeps no state but read-only caches, so any worker can
continue any request.

Each worker listens on a socket of its own bound to the same address with ``SO_REUSEPORT``,
and the kernel spreads new connections over the workers. With one listening socket shared by
every worker (gunicorn's and ``uvicorn --workers``' way) the worker that wakes first accepts a
whole burst of connections, and kept-alive connections stay where they landed: measured with
``moodtune bench web --workers 2``, one worker served the whole saturation phase (1.12 cores)
while the other idled (0.00). The parent restarts a worker that dies and stops them all on
SIGINT or SIGTERM; a worker stops when the parent is killed (Linux).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from moodtune.config import Settings
from moodtune.errors import InputError

__all__ = ["serve_workers"]

logger = logging.getLogger("moodtune.web")

BACKLOG = 2048
"""Pending connections each worker's socket queues (uvicorn's default)."""
FAST_FAILURES = 5
"""Workers that die this many times in a row within ``FAST_FAILURE_S`` of starting stop the
server: a worker that cannot start (a broken database, a port taken) would only loop."""
FAST_FAILURE_S = 10.0


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _check_port_free(host: str, port: int) -> None:
    """Refuse a port another program listens on (SO_REUSEPORT alone would not notice one that
    set it too), naming it; the probe is closed again before the workers bind."""
    probe = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        probe.bind((host, port))
    except OSError as exc:
        raise InputError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            field="--port",
            value=port,
            allowed="a free port",
        ) from None
    finally:
        probe.close()


def _listening_socket(host: str, port: int) -> socket.socket:
    """This worker's own socket on the shared address (the kernel balances among them)."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def _die_with_parent() -> None:
    """Ask Linux to send this worker SIGTERM when the parent dies (no orphaned workers)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _run_worker(app: object, host: str, port: int, options: dict[str, Any]) -> None:
    """The forked child: serve ``app`` with uvicorn on a socket of its own, then exit."""
    import uvicorn

    code = 1
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)  # uvicorn installs its own
        _die_with_parent()
        sock = _listening_socket(host, port)
        server = uvicorn.Server(uvicorn.Config(app, **options))  # type: ignore[arg-type]
        server.run(sockets=[sock])
        code = 0 if server.started else 3
    except BaseException:
        logger.exception("a moodtune worker stopped on an error")
    finally:
        os._exit(code)  # never run the parent's clean-up (atexit, its engine) in the child


def serve_workers(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int,
    options: dict[str, Any],
    on_step: Callable[[str, int, int], None] | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Prepare the models here, then serve the app from ``workers`` forked processes until
    stopped (SIGINT or SIGTERM stop the workers gracefully). ``options`` are uvicorn's."""
    from threadpoolctl import threadpool_limits

    from moodtune.app.services import prepare_services
    from moodtune.store.engine import dispose_engines
    from moodtune.web import create_app
    from moodtune.web.state import freeze_prepared
    from moodtune.web.warmup import warm_up

    if not hasattr(socket, "SO_REUSEPORT"):
        raise InputError(
            "several workers need SO_REUSEPORT (Linux, macOS, the BSDs)",
            field="--workers",
            value=workers,
            allowed="1 on this system",
        )
    _check_port_free(host, port)
    # one native thread per request, as in a worker's lifespan, and none left running to fork
    with threadpool_limits(limits=1):
        services = prepare_services(settings, on_step=on_step)
        services.matcher  # noqa: B018 (built here once, shared by every worker)
    app = create_app(settings, services=services)
    warm_up(app, services)  # route tables, templates, first calls: once, shared like the models
    # the workers open their own database connections: none may be inherited
    services.engine.dispose()
    dispose_engines()
    # objects made so far are never collected: the collector would otherwise write to every
    # shared object's header and copy its page into each worker
    freeze_prepared()
    options = {k: v for k, v in options.items() if k not in ("host", "port")}

    def spawn() -> int:
        pid = os.fork()
        if pid == 0:
            _run_worker(app, host, port, options)
        return pid

    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(running):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    running: dict[int, float] = {}
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for _ in range(workers):
            running[spawn()] = time.monotonic()
        if on_ready is not None:
            on_ready()
        fast_failures = 0
        failure: str | None = None
        while running:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            started = running.pop(pid, None)
            if started is None or stopping:
                continue
            fast_failures = fast_failures + 1 if time.monotonic() - started < FAST_FAILURE_S else 0
            logger.warning("moodtune worker %d exited (status %d); starting another", pid, status)
            if fast_failures >= FAST_FAILURES:
                failure = (
                    f"moodtune workers exited {fast_failures} times within "
                    f"{FAST_FAILURE_S:.0f} s of starting: see the errors above"
                )
                stop(signal.SIGTERM, None)  # and reap the others
                continue
            running[spawn()] = time.monotonic()
        if failure is not None:
            raise RuntimeError(failure)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
