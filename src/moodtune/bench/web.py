"""``moodtune bench web``: the real server under bounded load, against the same calls in-process.

Measured in one run, on this machine:

* **load**: a real ``uvicorn`` server (a subprocess on 127.0.0.1, one worker) driven over HTTP
  by ``clients`` simulated clients for ``duration_s`` seconds. The app has one local listener
  per server (no accounts yet), so the clients share it. Each repeats what a person does —
  the check-in page, a check-in, a journey (session start), the journey page, feedback on 2-3
  tracks, finish, the history page — with 0.5-2 s think time between steps;
* **saturation**: journeys (``POST /api/v1/sessions``) back to back at concurrency 8, no think
  time, for ``saturation_s`` seconds: journeys per second;
* **in-process**: the same application-layer calls (``moodtune.app``) in this process, on a
  fresh database, so the cost of HTTP, routing and serialisation is visible next to them;
* the server's peak memory (psutil): RSS polled every 0.25 s, and PSS across its workers
  every 3 s (a PSS read costs the kernel ~19 ms per process: see :class:`RssSampler`).

The simulated clients speak HTTP through aiohttp, whose client costs a fraction of httpx's
CPU per request (measured here: 0.5-0.8 ms against 3.1-3.4 ms for a small answer, 3.0 against
6.4-7.2 ms for a journey): they share the machine's cores with the server, so a heavier client
would take from the server what it measures.

The server uses a throw-away data directory whose dataset, catalog and model caches are links
to ``settings.data_dir`` (the user's cache, filled on a first start): the bench's listener and
database never touch the user's. Figures depend on the machine and its load; targets are
reported as measured (journey p99 <= 100 ms and page p99 <= 150 ms under load, >= 100
journeys/s at saturation, zero errors, RSS <= 600 MB).
"""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    import aiohttp

    from moodtune.config import Settings

__all__ = ["GOALS", "ProgressFn", "run_web_bench", "targets"]

ProgressFn = Callable[[str, int, int], None]
"""Told (stage, done, total) as the bench goes; ``total`` in seconds or calls."""

#: The goals the simulated listeners pick from (every goal a person can choose).
GOALS: tuple[str, ...] = ("calm_down", "lift_mood", "focus", "sleep", "energise", "stay")
JOURNEY = "POST /api/v1/sessions"
FEEDBACK = "POST /api/v1/sessions/{id}/tracks/{n}/feedback"
FINISH = "POST /api/v1/sessions/{id}/finish"
PAGES = ("GET /checkin", "GET /journey/{id}", "GET /history")
#: A journey the catalog cannot build within the goal's jump bounds is refused with a 422 that
#: says so: an answer, not an error; counted apart.
REFUSED = "journeys refused as infeasible (422)"
_SHARED = ("datasets", "parquet", "models")


def _percentiles(ms: Sequence[float]) -> dict[str, float | int | None]:
    if not len(ms):
        return {"n": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None, "mean_ms": None}
    values = np.asarray(ms, dtype=float)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {
        "n": len(values),
        "p50_ms": round(float(p50), 2),
        "p95_ms": round(float(p95), 2),
        "p99_ms": round(float(p99), 2),
        "mean_ms": round(float(values.mean()), 2),
    }


@dataclass
class Recorder:
    """Latencies (ms) per endpoint, errors per endpoint, and journeys refused as infeasible."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    examples: list[str] = field(default_factory=list)

    def error(self, label: str, what: str) -> None:
        self.errors[label] += 1
        if len(self.examples) < 5:
            self.examples.append(f"{label}: {what[:300]}")

    def summary(self, seconds: float) -> dict[str, Any]:
        endpoints = {label: _percentiles(ms) for label, ms in sorted(self.latencies.items())}
        calls = sum(len(ms) for ms in self.latencies.values())
        return {
            "seconds": round(seconds, 2),
            "requests": calls,
            "requests_per_s": round(calls / seconds, 2) if seconds else None,
            "journeys": len(self.latencies.get(JOURNEY, ())),
            "endpoints": endpoints,
            "errors": sum(self.errors.values()),
            "errors_by_endpoint": dict(self.errors),
            "error_examples": list(self.examples),
            "refused": self.refused,
        }


# -- the server ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _bench_data_dir(source: Path) -> Path:
    """A throw-away data dir sharing ``source``'s dataset, catalog and model caches."""
    work = Path(tempfile.mkdtemp(prefix="moodtune-bench-web-"))
    for name in _SHARED:
        (source / name).mkdir(parents=True, exist_ok=True)
        (work / name).symlink_to(source / name, target_is_directory=True)
    return work


class RssSampler:
    """Peak memory of a process and its children (the workers), polled in a thread: the sum of
    their RSS, and of their PSS (proportional set size, Linux), which splits each page the
    forked workers share among them instead of counting it once per process.

    RSS is read every ``every_s`` (``/proc/PID/statm``: microseconds). PSS makes the kernel
    walk every page of the process, about 19 ms of CPU per 400 MB process here, so it is read
    at most every ``pss_every_s`` and on :meth:`sample`: at four reads a second of three
    processes it took 0.23 of this machine's two cores from the server it measured.
    """

    def __init__(self, pid: int, *, every_s: float = 0.25, pss_every_s: float = 3.0) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.every_s = every_s
        self.pss_every_s = pss_every_s
        self.peak_mb = 0.0
        self.peak_pss_mb = 0.0
        self.last_pss_mb = 0.0
        self._pss_at = float("-inf")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _processes(self) -> list[Any]:
        return [self.process, *self.process.children(recursive=True)]

    def _rss_mb(self) -> float:
        import psutil

        try:
            return sum(p.memory_info().rss for p in self._processes()) / 2**20
        except psutil.Error:
            return self.peak_mb

    def _pss_mb(self) -> float:
        import psutil

        if sys.platform != "linux":
            return self._rss_mb()
        try:
            return sum(p.memory_full_info().pss for p in self._processes()) / 2**20
        except psutil.Error:
            return self.last_pss_mb

    def sample(self, *, pss: bool = True) -> float:
        """The RSS sum now, in MB; with ``pss`` ``last_pss_mb`` gets the PSS sum beside it."""
        rss = self._rss_mb()
        self.peak_mb = max(self.peak_mb, rss)
        if pss:
            self._pss_at = time.perf_counter()
            self.last_pss_mb = self._pss_mb()
            self.peak_pss_mb = max(self.peak_pss_mb, self.last_pss_mb)
        return rss

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            due = time.perf_counter() - self._pss_at >= self.pss_every_s
            self.sample(pss=due)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.sample()


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    rss: RssSampler
    ready_s: float


def wait_until_ready(
    url: str,
    process: subprocess.Popen[bytes],
    *,
    timeout_s: float,
    log: Any,
    in_a_row: int = 1,
    progress: ProgressFn | None = None,
) -> None:
    """Poll ``/healthz`` on fresh connections until it answers ready ``in_a_row`` times in a
    row (several workers each prepare their own models; new connections reach them in turn).
    A server that exits or fails to prepare raises with the end of its log."""
    import httpx

    started = time.perf_counter()
    ready = 0
    while ready < in_a_row:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(
                f"the server exited ({process.returncode}): "
                + log.read().decode(errors="replace")[-2000:]
            )
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError(f"the server was not ready within {timeout_s:.0f} s")
        try:
            with httpx.Client(base_url=url, timeout=5.0) as client:
                health = client.get("/healthz", headers={"Connection": "close"}).json()
        except httpx.HTTPError:
            health = {"ready": False, "step": "starting"}
        if health.get("error"):
            raise RuntimeError(f"the server failed to prepare: {health['error']}")
        ready = ready + 1 if health.get("ready") else 0
        if ready >= in_a_row:
            return
        if not ready and progress is not None:
            progress(
                f"server: {health.get('step')}",
                health.get("number", 0) or 0,
                health.get("total", 0) or 1,
            )
        time.sleep(0.05 if ready else 0.25)


@contextmanager
def run_server(
    data_dir: Path,
    *,
    mirror_dir: Path | None,
    offline: bool,
    timeout_s: float = 900.0,
    progress: ProgressFn | None = None,
    workers: int = 1,
) -> Iterator[Server]:
    """``moodtune serve [--workers N]`` on a free loopback port, until it is ready."""

    port = _free_port()
    env = {**os.environ, "MOODTUNE_DATA_DIR": str(data_dir), "MOODTUNE_OFFLINE": str(offline)}
    env.pop("MOODTUNE_DATABASE_URL", None)
    if mirror_dir is not None:
        env["MOODTUNE_MIRROR_DIR"] = str(mirror_dir)
    # the server sees the same sources as this process (a checkout run with PYTHONPATH too)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (*sys.path, env.get("PYTHONPATH", "")) if p)
    # what ``scripts/run`` starts: ``moodtune serve``, with its uvicorn options
    command = [
        sys.executable,
        "-c",
        "from moodtune.cli import main; main()",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *(["--workers", str(workers)] if workers > 1 else []),
    ]
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        # forked workers start together once the models are ready: each must answer
        wait_until_ready(url, process, timeout_s=timeout_s, log=log, progress=progress,
                         in_a_row=4 * workers if workers > 1 else 1)  # fmt: skip
        rss = RssSampler(process.pid).start()
        yield Server(url=url, process=process, rss=rss, ready_s=time.perf_counter() - started)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# -- load over HTTP -----------------------------------------------------------------------------


def client_session(url: str, *, connections: int, cookies: bool = False) -> aiohttp.ClientSession:
    """An HTTP client for the simulated clients: ``connections`` kept-alive connections to
    ``url``, redirects not followed, and with ``cookies`` a jar of its own (one person's
    browser; the jar accepts cookies from the loopback address)."""
    import aiohttp

    return aiohttp.ClientSession(
        base_url=url,
        connector=aiohttp.TCPConnector(limit=connections, limit_per_host=connections),
        timeout=aiohttp.ClientTimeout(total=60.0),
        cookie_jar=aiohttp.CookieJar(unsafe=True) if cookies else aiohttp.DummyCookieJar(),
    )


async def _call(
    client: aiohttp.ClientSession,
    rec: Recorder,
    label: str,
    method: str,
    url: str,
    *,
    json: Any = None,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    ok: tuple[int, ...] = (200, 201),
) -> Any:
    """One request, timed to its last byte; the parsed JSON or text of a good answer, None
    (and an error, or a refusal, recorded) otherwise."""
    import aiohttp

    started = time.perf_counter()
    try:
        async with client.request(
            method, url, json=json, data=data, headers=headers, allow_redirects=False
        ) as response:
            status = response.status
            text = await response.text()
            is_json = response.content_type == "application/json"
    except (aiohttp.ClientError, TimeoutError) as exc:
        rec.error(label, f"{type(exc).__name__}: {exc}")
        return None
    elapsed = (time.perf_counter() - started) * 1000
    if label == JOURNEY and status == 422 and "no sequence" in text:
        rec.refused += 1
        return None
    if status not in ok:
        rec.error(label, f"{status} {text}")
        return None
    rec.latencies[label].append(elapsed)
    if is_json:
        import json as json_module

        return json_module.loads(text)
    return text


def _mood(rng: np.random.Generator) -> dict[str, float]:
    valence, arousal = rng.uniform(-0.9, 0.9, 2).round(3)
    return {"valence": float(valence), "arousal": float(arousal)}


async def _one_listener(
    client: aiohttp.ClientSession,
    rec: Recorder,
    *,
    deadline: float,
    think: tuple[float, float],
    rng: np.random.Generator,
) -> None:
    """Repeat a person's session until the deadline (a flow under way when it passes ends)."""

    async def pause() -> None:
        await asyncio.sleep(float(rng.uniform(*think)))

    await asyncio.sleep(float(rng.uniform(0, think[1])))  # clients arrive spread out
    while time.perf_counter() < deadline:
        await _call(client, rec, "GET /checkin", "GET", "/checkin")
        await _call(
            client, rec, "POST /api/v1/checkins", "POST", "/api/v1/checkins", json=_mood(rng)
        )
        await pause()
        body = {"goal": str(rng.choice(GOALS)), "mood": _mood(rng), "tracks": 8}
        session = await _call(client, rec, JOURNEY, "POST", "/api/v1/sessions", json=body)
        if not isinstance(session, dict):
            await pause()
            continue
        sid = session["id"]
        await _call(client, rec, "GET /journey/{id}", "GET", f"/journey/{sid}")
        numbers = rng.choice(len(session["tracks"]), size=int(rng.integers(2, 4)), replace=False)
        for number in sorted(int(n) + 1 for n in numbers):
            await pause()
            await _call(
                client,
                rec,
                FEEDBACK,
                "POST",
                f"/api/v1/sessions/{sid}/tracks/{number}/feedback",
                json={"thumbs": int(rng.choice([-1, 1])), "played": True},
            )
        await pause()
        await _call(client, rec, FINISH, "POST", f"/api/v1/sessions/{sid}/finish", json=_mood(rng))
        await _call(client, rec, "GET /history", "GET", "/history")
        await pause()


async def _load(
    url: str, *, clients: int, duration_s: float, think: tuple[float, float], seed: int
) -> dict[str, Any]:
    rec = Recorder()
    async with AsyncExitStack() as stack:
        # each listener their own client and kept-alive connection, as each person's browser
        # (a shared pool hands its most recently used connections out first: a few of them,
        # and the workers that accepted them, would carry most of the load)
        own = [
            await stack.enter_async_context(client_session(url, connections=1))
            for _ in range(clients)
        ]
        started = time.perf_counter()
        deadline = started + duration_s
        seeds = np.random.SeedSequence(seed).spawn(clients)
        await asyncio.gather(
            *(
                _one_listener(
                    client, rec, deadline=deadline, think=think, rng=np.random.default_rng(s)
                )
                for client, s in zip(own, seeds, strict=True)
            )
        )
        seconds = time.perf_counter() - started
    return {"clients": clients, "think_s": list(think), **rec.summary(seconds)}


async def _saturate(url: str, *, concurrency: int, duration_s: float, seed: int) -> dict[str, Any]:
    rec = Recorder()
    async with client_session(url, connections=concurrency) as client:
        started = time.perf_counter()
        deadline = started + duration_s

        async def worker(rng: np.random.Generator) -> None:
            while time.perf_counter() < deadline:
                body = {"goal": str(rng.choice(GOALS)), "mood": _mood(rng), "tracks": 8}
                await _call(client, rec, JOURNEY, "POST", "/api/v1/sessions", json=body)

        seeds = np.random.SeedSequence(seed).spawn(concurrency)
        await asyncio.gather(*(worker(np.random.default_rng(s)) for s in seeds))
        seconds = time.perf_counter() - started
    out = rec.summary(seconds)
    done = out["journeys"] + out["refused"]
    return {"concurrency": concurrency, **out, "journeys_per_s": round(done / seconds, 2)}


def _set_up_listener(url: str) -> str:
    import httpx

    survey = {"age": 30, "hours_per_day": 2, "anxiety": 5, "depression": 3, "insomnia": 2, "ocd": 1}
    with httpx.Client(base_url=url, timeout=60.0) as client:
        made = client.post("/api/v1/listener", json={"display_name": "bench", "survey": survey})
        made.raise_for_status()
        listener: str = made.json()["id"]
        return listener


# -- the same calls in-process ------------------------------------------------------------------


def _in_process(settings: Settings, *, flows: int, saturation: int, seed: int) -> dict[str, Any]:
    """The application-layer calls of one flow, ``flows`` times, then ``saturation`` journeys
    back to back, in this process on a fresh SQLite database (one thread)."""
    from threadpoolctl import threadpool_limits

    from moodtune import app as moodtune_app
    from moodtune.app.services import prepare_services
    from moodtune.errors import MoodtuneError
    from moodtune.sessions.service import MoodReport
    from moodtune.store import make_engine, upgrade

    work = Path(tempfile.mkdtemp(prefix="moodtune-bench-inproc-"))
    limits = threadpool_limits(limits=1)  # as the server runs (see web.app's lifespan)
    try:
        engine = make_engine(f"sqlite:///{work / 'moodtune.sqlite3'}")
        upgrade(engine)
        services = prepare_services(settings).with_engine(engine)
        listener = moodtune_app.onboard(services, profile=None, display_name="bench").id
        rng = np.random.default_rng(seed)

        def timed(label: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = call(services, listener, *args, **kwargs)
            except MoodtuneError as exc:
                if label == JOURNEY and "no sequence" in str(exc):
                    rec.refused += 1
                else:
                    rec.error(label, str(exc))
                return None
            rec.latencies[label].append((time.perf_counter() - started) * 1000)
            return result

        def mood() -> MoodReport:
            point = _mood(rng)
            return MoodReport(valence=point["valence"], arousal=point["arousal"])

        def journey() -> Any:
            goal = str(rng.choice(GOALS))
            return timed(JOURNEY, moodtune_app.start_journey, goal=goal, mood=mood(), tracks=8)

        rec = flows_rec = Recorder()
        started = time.perf_counter()
        for _ in range(flows):
            timed("POST /api/v1/checkins", moodtune_app.check_in, mood())
            view = journey()
            if view is None:
                continue
            timed("GET /journey/{id}", moodtune_app.session_view, view.id)
            numbers = rng.choice(len(view.tracks), size=int(rng.integers(2, 4)), replace=False)
            for number in sorted(int(n) + 1 for n in numbers):
                timed(FEEDBACK, moodtune_app.give_feedback, view.id, number, thumbs=1, played=True)
            timed(FINISH, moodtune_app.finish_journey, view.id, mood())
            timed("GET /history", moodtune_app.history_view)
        flows_s = time.perf_counter() - started
        rec = sat = Recorder()
        started = time.perf_counter()
        for _ in range(saturation):
            journey()
        sat_s = time.perf_counter() - started
        engine.dispose()
    finally:
        limits.restore_original_limits()
        shutil.rmtree(work, ignore_errors=True)
    out = sat.summary(sat_s)
    return {
        "flows": flows_rec.summary(flows_s),
        "saturation": {
            **out,
            "journeys_per_s": round((out["journeys"] + out["refused"]) / sat_s, 2),
        },
        "note": "one thread; the check-in and history 'pages' are the app-layer calls behind "
        "them (no HTML rendering), the journey page is session_view",
    }


# -- targets and the run ------------------------------------------------------------------------


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with what was measured and whether it was met."""
    load, sat = report["load"], report["saturation"]
    journey_p99 = load["endpoints"].get(JOURNEY, {}).get("p99_ms")
    pages = [load["endpoints"].get(p, {}).get("p99_ms") for p in PAGES]
    page_p99 = max((p for p in pages if p is not None), default=None)
    errors = load["errors"] + sat["errors"]
    server = report["server"]
    # one process: its RSS; forked workers share pages, which an RSS sum counts once for each
    shared = server.get("workers", 1) > 1 and server.get("peak_pss_mb")
    memory = server["peak_pss_mb"] if shared else server["peak_rss_mb"]
    memory_label = "server peak PSS, all processes (MB)" if shared else "server peak RSS (MB)"

    def row(target: str, goal: str, measured: Any, ok: bool) -> dict[str, Any]:
        return {"target": target, "goal": goal, "measured": measured, "pass": bool(ok)}

    return [
        row("errors (load + saturation)", "0", errors, errors == 0),
        row(
            "journey p99 under load",
            "<= 100 ms",
            journey_p99,
            journey_p99 is not None and journey_p99 <= 100,
        ),
        row(
            "page p99 under load (worst page)",
            "<= 150 ms",
            page_p99,
            page_p99 is not None and page_p99 <= 150,
        ),
        row(
            "journeys per second at saturation",
            ">= 100",
            sat["journeys_per_s"],
            sat["journeys_per_s"] >= 100,
        ),
        row(memory_label, "<= 600", round(memory, 1), memory <= 600),
    ]


T = TypeVar("T")


def _run_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: the caller's thread may already run an event
    loop (a notebook, or Playwright's sync API in the same test process)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def run_web_bench(
    *,
    clients: int = 50,
    duration_s: float = 60.0,
    saturation_s: float = 20.0,
    concurrency: int = 8,
    think: tuple[float, float] = (0.5, 2.0),
    in_process_flows: int = 100,
    in_process_saturation: int = 100,
    settings: Settings | None = None,
    random_state: int = 0,
    progress: ProgressFn | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """Run the load, saturation and in-process phases; return the report (JSON-ready).

    ``workers`` > 1 serves from that many forked workers sharing the models
    (``moodtune serve --workers``)."""
    from moodtune import __version__
    from moodtune.config import get_settings

    settings = settings or get_settings()
    load_average = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    work = _bench_data_dir(settings.data_dir)
    try:
        with run_server(
            work,
            mirror_dir=settings.mirror_dir,
            offline=settings.offline,
            progress=progress,
            workers=workers,
        ) as server:
            idle_mb = server.rss.sample()
            idle_pss_mb = server.rss.last_pss_mb
            _set_up_listener(server.url)
            if progress is not None:
                progress(f"load: {clients} clients", 0, 1)
            load = _run_loop(
                _load(
                    server.url,
                    clients=clients,
                    duration_s=duration_s,
                    think=think,
                    seed=random_state,
                )
            )
            after_load_mb = server.rss.sample()
            after_load_pss_mb = server.rss.last_pss_mb
            if progress is not None:
                progress(f"saturation: concurrency {concurrency}", 0, 1)
            sat = _run_loop(
                _saturate(
                    server.url,
                    concurrency=concurrency,
                    duration_s=saturation_s,
                    seed=random_state + 1,
                )
            )
            peak_mb = server.rss.stop()
            server_info = {
                "ready_s": round(server.ready_s, 2),
                "idle_rss_mb": round(idle_mb, 1),
                "after_load_rss_mb": round(after_load_mb, 1),
                "peak_rss_mb": round(max(peak_mb, server.rss.peak_mb), 1),
                "idle_pss_mb": round(idle_pss_mb, 1),
                "after_load_pss_mb": round(after_load_pss_mb, 1),
                "peak_pss_mb": round(server.rss.peak_pss_mb, 1),
                "workers": workers,
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if progress is not None:
        progress("in-process", 0, 1)
    in_process = _in_process(
        settings, flows=in_process_flows, saturation=in_process_saturation, seed=random_state
    )
    report: dict[str, Any] = {
        "bench": "web",
        "moodtune_version": __version__,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": load_average,
            "platform": platform.platform(),
        },
        "options": {
            "clients": clients,
            "duration_s": duration_s,
            "saturation_s": saturation_s,
            "concurrency": concurrency,
            "think_s": list(think),
            "in_process_flows": in_process_flows,
            "in_process_saturation": in_process_saturation,
            "random_state": random_state,
        },
        "server": server_info,
        "load": load,
        "saturation": sat,
        "in_process": in_process,
    }
    report["targets"] = targets(report)
    return report
