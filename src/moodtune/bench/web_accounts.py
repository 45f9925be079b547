"""``moodtune bench web --users N --workers W``: signed-in listeners against a multi-user server.

Measured in one run, on this machine:

* a throw-away PostgreSQL cluster (``moodtune.store.pgcluster``) and ``moodtune serve
  --workers W`` in multi-user mode on a free loopback port, its data directory sharing the
  user's dataset and model caches (as ``moodtune bench web`` does);
* ``users`` accounts, made beforehand in this process; each simulated user signs in through
  the sign-in page (argon2 verification included), then repeats a session: a check-in, a
  journey, feedback on 2-3 tracks, finish, the history page, with think time between steps;
* **acknowledged against stored writes**: every 2xx answer to a write is counted (check-ins,
  journeys with their before check-in, feedback, finishes) and, after the load, compared with
  the rows in the database: a lost write is one acknowledged but not stored;
* argon2 on its own: ``hash_password`` and ``verify_password`` timed in this process with the
  parameters the server uses, so the sign-in figure can be read against it;
* **where the CPU went** during the load (psutil, sampled twice a second): this process (the
  simulated users' HTTP client), the server's workers, PostgreSQL, and the rest of the machine
  (other programs on a shared machine), in cores busy on average and server CPU per request,
  so a latency can be read as work or as waiting for a core.

Targets (reported as measured): 0 errors, 0 lost writes, sign-in p99 <= 300 ms,
journey p99 <= 150 ms.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from moodtune.bench.web import (
    FEEDBACK,
    FINISH,
    GOALS,
    JOURNEY,
    ProgressFn,
    Recorder,
    _bench_data_dir,
    _call,
    _free_port,
    _mood,
    _percentiles,
    _run_loop,
    client_session,
    wait_until_ready,
)

if TYPE_CHECKING:
    import aiohttp

    from moodtune.config import Settings

__all__ = ["SIGN_IN", "argon2_cost", "run_accounts_bench", "targets", "wait_until_ready"]

SIGN_IN = "POST /signin"
CHECKIN = "POST /api/v1/checkins"
PASSWORD = "bench password, long enough"


@dataclass
class Writes:
    """Writes the server acknowledged (a 2xx answer), by the table they land in."""

    checkins: int = 0
    sessions: int = 0
    feedback: int = 0

    def add(self, other: Writes) -> None:
        self.checkins += other.checkins
        self.sessions += other.sessions
        self.feedback += other.feedback


CPU_GROUPS = ("client", "server", "postgres")


@dataclass
class CpuMeter:
    """CPU seconds used by the bench's own process (the client), the server it started (its
    process tree) and the PostgreSQL server listening on ``database_port``, and by the whole
    machine, between ``start()`` and ``stop()``; a thread samples every ``every_s`` seconds so
    processes that come and go (pool connections, workers) are counted too."""

    database_port: int | None
    every_s: float = 0.5
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(CPU_GROUPS, 0.0))
    _last: dict[int, float] = field(default_factory=dict)
    #: CPU seconds of each server process (the supervisor and each worker), by pid
    by_server_process: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _started: float = 0.0
    _machine: tuple[float, float] = (0.0, 0.0)
    _wall: float = 0.0
    _postmaster: Any = None

    def _processes(self) -> dict[str, list[Any]]:
        import psutil

        me = psutil.Process()
        groups: dict[str, list[Any]] = {"client": [me], "server": [], "postgres": []}
        groups["server"] = me.children(recursive=True)
        if self._postmaster is None and self.database_port is not None:
            # once: listing every socket of the machine is not cheap
            for conn in psutil.net_connections(kind="tcp"):
                port = getattr(conn.laddr, "port", None)
                if conn.status == psutil.CONN_LISTEN and port == self.database_port:
                    self._postmaster = None if conn.pid is None else psutil.Process(conn.pid)
                    break
        if self._postmaster is not None:
            groups["postgres"] = [self._postmaster, *self._postmaster.children(recursive=True)]
        return groups

    def sample(self) -> None:
        import psutil

        try:
            groups = self._processes()
        except psutil.Error:
            return
        for name, processes in groups.items():
            for process in processes:
                try:
                    times = process.cpu_times()
                    used = times.user + times.system
                    born_before = process.create_time() < self._started
                except psutil.Error:
                    continue
                previous = self._last.get(process.pid, used if born_before else 0.0)
                self.seconds[name] += max(used - previous, 0.0)
                if name == "server":
                    self.by_server_process[process.pid] = self.by_server_process.get(
                        process.pid, 0.0
                    ) + max(used - previous, 0.0)
                self._last[process.pid] = used

    @staticmethod
    def _machine_busy() -> tuple[float, float]:
        import psutil

        times = psutil.cpu_times()
        idle = times.idle + getattr(times, "iowait", 0.0)
        return sum(times) - idle, idle

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.sample()

    def start(self) -> CpuMeter:
        self._started = time.time()
        self.sample()
        self.seconds = dict.fromkeys(CPU_GROUPS, 0.0)
        self.by_server_process = {}
        self._machine = self._machine_busy()
        self._wall = time.perf_counter()
        self._thread = threading.Thread(target=self._run, name="cpu-meter", daemon=True)
        self._thread.start()
        return self

    def stop(self, *, requests: int) -> dict[str, Any]:
        """Cores busy on average per group (and ``others``: the rest of the machine)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()
        wall = time.perf_counter() - self._wall
        busy = self._machine_busy()[0] - self._machine[0]
        ours = sum(self.seconds.values())
        cores = {name: round(used / wall, 2) for name, used in self.seconds.items()}
        return {
            "seconds": round(wall, 1),
            "cores_busy": {**cores, "others": round(max(busy - ours, 0.0) / wall, 2)},
            "machine_cores": os.cpu_count(),
            # busiest first: with two workers both should be busy (the kernel spreads the
            # connections), and the supervisor nearly idle
            "server_processes_cores": sorted(
                (round(used / wall, 3) for used in self.by_server_process.values()), reverse=True
            ),
            "server_cpu_ms_per_request": round(1000 * self.seconds["server"] / requests, 1)
            if requests
            else None,
        }


def argon2_cost(*, repeats: int = 10) -> dict[str, Any]:
    """Milliseconds per ``hash_password`` and ``verify_password`` (argon2id, the defaults)."""
    from moodtune.app.credentials import hash_password, verify_password

    hashes, verifies = [], []
    stored = hash_password(PASSWORD)
    for _ in range(repeats):
        started = time.perf_counter()
        hash_password(PASSWORD)
        hashes.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        verify_password(stored, PASSWORD)
        verifies.append((time.perf_counter() - started) * 1000)
    return {
        "hash": _percentiles(hashes),
        "verify": _percentiles(verifies),
        "parameters": stored.split("$")[3],
    }


@contextmanager
def multi_user_server(
    data_dir: Path,
    *,
    database_url: str,
    workers: int,
    mirror_dir: Path | None,
    offline: bool,
    timeout_s: float = 900.0,
    secret_key: str | None = None,
) -> Iterator[str]:
    """``moodtune serve --workers W`` with accounts on PostgreSQL; yields its URL.

    Servers that are to act as one deployment (several machines) share ``secret_key``;
    by default each server gets a fresh one.
    """
    port = _free_port()
    env = {
        **os.environ,
        "MOODTUNE_DATA_DIR": str(data_dir),
        "MOODTUNE_OFFLINE": str(offline),
        "MOODTUNE_DATABASE_URL": database_url,
        "MOODTUNE_MULTI_USER": "true",
        "MOODTUNE_SECRET_KEY": secret_key or secrets.token_urlsafe(32),
        "PYTHONPATH": os.pathsep.join(
            p for p in (*sys.path, os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    if mirror_dir is not None:
        env["MOODTUNE_MIRROR_DIR"] = str(mirror_dir)
    command = [
        sys.executable,
        "-c",
        "from moodtune.cli import main; main()",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data_dir)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process, timeout_s=timeout_s, log=log, in_a_row=12 * workers)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def make_accounts(database_url: str, usernames: list[str]) -> dict[str, str]:
    """Create the bench's accounts directly in the database; username → listener id."""
    from moodtune.app.accounts import sign_up
    from moodtune.store import make_engine, upgrade

    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with ThreadPoolExecutor(max_workers=2) as pool:
            made = list(
                pool.map(lambda n: sign_up(engine, username=n, password=PASSWORD), usernames)
            )
    finally:
        engine.dispose()
    return {a.username: a.listener_id for a in made}


def _cookie(client: aiohttp.ClientSession, name: str) -> str | None:
    """The value of the cookie ``name`` in this client's jar, if the server set it."""
    for cookie in client.cookie_jar:
        if cookie.key == name:
            return str(cookie.value)
    return None


async def _sign_in(client: aiohttp.ClientSession, rec: Recorder, username: str) -> str | None:
    """Sign in through the page; returns the CSRF token for later writes."""
    import aiohttp

    try:
        async with client.get("/signin") as page:
            await page.read()
        csrf = _cookie(client, "moodtune_csrf") or ""
        started = time.perf_counter()
        form = {"username": username, "password": PASSWORD, "csrf_token": csrf}
        async with client.post("/signin", data=form, allow_redirects=False) as answer:
            status, text = answer.status, await answer.text()
    except (aiohttp.ClientError, TimeoutError) as exc:
        rec.error(SIGN_IN, f"{type(exc).__name__}: {exc}")
        return None
    if status != 303:
        rec.error(SIGN_IN, f"{status} {text[:200]}")
        return None
    rec.latencies[SIGN_IN].append((time.perf_counter() - started) * 1000)
    return _cookie(client, "moodtune_csrf")


async def _user(
    url: str,
    username: str,
    rec: Recorder,
    *,
    deadline: float,
    think: tuple[float, float],
    rng: np.random.Generator,
    ramp_s: float,
) -> Writes:
    """One signed-in listener repeating a session until the deadline (a browser of its own:
    one connection, one cookie jar)."""
    done = Writes()

    async def pause() -> None:
        await asyncio.sleep(float(rng.uniform(*think)))

    await asyncio.sleep(float(rng.uniform(0, ramp_s)))  # people arrive spread out
    async with client_session(url, connections=1, cookies=True) as client:
        token = await _sign_in(client, rec, username)
        if token is None:
            return done
        csrf = {"X-CSRF-Token": token}

        async def call(label: str, method: str, path: str, **kwargs: Any) -> Any:
            return await _call(client, rec, label, method, path, headers=csrf, **kwargs)

        while time.perf_counter() < deadline:
            if await call(CHECKIN, "POST", "/api/v1/checkins", json=_mood(rng)):
                done.checkins += 1
            await pause()
            body = {"goal": str(rng.choice(GOALS)), "mood": _mood(rng), "tracks": 8}
            session = await call(JOURNEY, "POST", "/api/v1/sessions", json=body)
            if not isinstance(session, dict):
                await pause()
                continue
            done.sessions += 1
            done.checkins += 1  # the before check-in
            sid = session["id"]
            count = int(rng.integers(2, 4))
            picks = rng.choice(len(session["tracks"]), size=count, replace=False)
            for number in sorted(int(n) + 1 for n in picks):
                await pause()
                url_fb = f"/api/v1/sessions/{sid}/tracks/{number}/feedback"
                answer = {"thumbs": int(rng.choice([-1, 1])), "played": True}
                if await call(FEEDBACK, "POST", url_fb, json=answer):
                    done.feedback += 1
            await pause()
            if await call(FINISH, "POST", f"/api/v1/sessions/{sid}/finish", json=_mood(rng)):
                done.checkins += 1  # the after check-in
            await call("GET /history", "GET", "/history")
            await pause()
    return done


async def _load(
    url: str,
    usernames: list[str],
    *,
    duration_s: float,
    think: tuple[float, float],
    seed: int,
    ramp_s: float,
) -> tuple[dict[str, Any], Writes]:
    rec = Recorder()
    started = time.perf_counter()
    deadline = started + duration_s
    seeds = np.random.SeedSequence(seed).spawn(len(usernames))
    results = await asyncio.gather(
        *(
            _user(
                url,
                name,
                rec,
                deadline=deadline,
                think=think,
                rng=np.random.default_rng(s),
                ramp_s=ramp_s,
            )
            for name, s in zip(usernames, seeds, strict=True)
        )
    )
    total = Writes()
    for r in results:
        total.add(r)
    summary = rec.summary(time.perf_counter() - started)
    summary["signed_in"] = len(rec.latencies.get(SIGN_IN, ()))
    return summary, total


def stored_writes(database_url: str, listener_ids: list[str]) -> Writes:
    """Rows the bench's listeners have in the database, per acknowledged kind of write."""
    import sqlalchemy as sa

    from moodtune.store import make_engine
    from moodtune.store.tables import checkins, feedback, sessions

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:

            def count(table: sa.Table) -> int:
                query = sa.select(sa.func.count()).select_from(table)
                return int(
                    conn.execute(query.where(table.c.listener_id.in_(listener_ids))).scalar_one()
                )

            return Writes(count(checkins), count(sessions), count(feedback))
    finally:
        engine.dispose()


def run_accounts_bench(
    *,
    users: int = 200,
    workers: int = 2,
    duration_s: float = 60.0,
    think: tuple[float, float] = (1.0, 3.0),
    settings: Settings | None = None,
    random_state: int = 0,
    database_url: str | None = None,
    argon2_repeats: int = 20,
    ramp_s: float | None = None,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Run the signed-in load on PostgreSQL with ``workers`` processes; the report (JSON-ready).

    ``database_url`` names an empty PostgreSQL database to use; by default a throw-away
    cluster is started (and removed) for the run. Users arrive (sign in) spread uniformly over
    ``ramp_s`` seconds (default half the duration): argon2 costs a few hundred milliseconds of
    CPU per sign-in, so everyone signing in at once measures the queue, not the sign-in.
    """
    import shutil

    from sqlalchemy import make_url

    from moodtune import __version__
    from moodtune.config import get_settings
    from moodtune.store.pgcluster import TemporaryPostgres

    settings = settings or get_settings()
    if progress is not None:
        progress("argon2 on its own", 0, 1)
    argon2 = argon2_cost(repeats=argon2_repeats)
    cluster = None if database_url is not None else TemporaryPostgres().start()
    url_db = database_url or (cluster.create_database() if cluster else "")
    work = _bench_data_dir(settings.data_dir)
    try:
        usernames = [f"bench-{i:04d}" for i in range(users)]
        if progress is not None:
            progress(f"making {users} accounts", 0, 1)
        ids = make_accounts(url_db, usernames)
        if progress is not None:
            progress(f"starting {workers} workers", 0, 1)
        load_average = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
        with multi_user_server(
            work,
            database_url=url_db,
            workers=workers,
            mirror_dir=settings.mirror_dir,
            offline=settings.offline,
        ) as url:
            if progress is not None:
                progress(f"load: {users} signed-in users", 0, 1)
            meter = CpuMeter(database_port=make_url(url_db).port).start()
            load, acknowledged = _run_loop(
                _load(
                    url,
                    usernames,
                    duration_s=duration_s,
                    think=think,
                    seed=random_state,
                    ramp_s=duration_s / 2 if ramp_s is None else ramp_s,
                )
            )
            cpu = meter.stop(requests=load["requests"])
        stored = stored_writes(url_db, list(ids.values()))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if cluster is not None:
            cluster.stop()
    lost = Counter(
        {
            "checkins": acknowledged.checkins - stored.checkins,
            "sessions": acknowledged.sessions - stored.sessions,
            "feedback": acknowledged.feedback - stored.feedback,
        }
    )
    report: dict[str, Any] = {
        "bench": "web-accounts",
        "moodtune_version": __version__,
        "machine": {"cpus": os.cpu_count(), "load_average": load_average},
        "options": {
            "users": users,
            "workers": workers,
            "duration_s": duration_s,
            "think_s": list(think),
            "random_state": random_state,
            "ramp_s": duration_s / 2 if ramp_s is None else ramp_s,
            "database": "postgresql",
        },
        "argon2": argon2,
        "load": load,
        "cpu": cpu,
        "writes": {
            "acknowledged": vars(acknowledged),
            "stored": vars(stored),
            "lost": sum(max(v, 0) for v in lost.values()),
            "lost_by_table": {k: max(v, 0) for k, v in lost.items()},
        },
    }
    report["targets"] = targets(report)
    return report


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets against what was measured."""
    endpoints = report["load"]["endpoints"]

    def p99(label: str) -> float | None:
        value = endpoints.get(label, {}).get("p99_ms")
        return None if value is None else float(value)

    sign_in, journey = p99(SIGN_IN), p99(JOURNEY)
    return [
        {
            "target": "errors",
            "goal": "0",
            "measured": report["load"]["errors"],
            "ok": report["load"]["errors"] == 0,
        },
        {
            "target": "lost writes",
            "goal": "0",
            "measured": report["writes"]["lost"],
            "ok": report["writes"]["lost"] == 0,
        },
        {
            "target": "sign-in p99",
            "goal": "<= 300 ms",
            "measured": sign_in,
            "ok": sign_in is not None and sign_in <= 300,
        },
        {
            "target": "journey p99",
            "goal": "<= 150 ms",
            "measured": journey,
            "ok": journey is not None and journey <= 150,
        },
    ]


def render_accounts_report(report: dict[str, Any]) -> None:
    """Rich tables: latency per endpoint, writes acknowledged vs stored, argon2, targets."""
    from rich.table import Table

    from moodtune.cli._common import console

    load, opts = report["load"], report["options"]
    table = Table(
        title=f"moodtune bench web: {opts['users']} signed-in users, "
        f"{opts['workers']} workers on PostgreSQL, {load['seconds']:.0f} s (ms)"
    )
    for col in ("endpoint", "n", "p50", "p95", "p99", "errors"):
        table.add_column(col, justify="right")
    for label, q in load["endpoints"].items():
        table.add_row(
            label.replace("/api/v1", ""),
            str(q["n"]),
            str(q["p50_ms"]),
            str(q["p95_ms"]),
            str(q["p99_ms"]),
            str(load["errors_by_endpoint"].get(label, 0)),
        )
    console.print(table)
    writes = report["writes"]
    console.print(
        f"writes acknowledged {writes['acknowledged']}, stored {writes['stored']}, "
        f"lost {writes['lost']}; errors {load['errors']}",
        highlight=False,
    )
    a = report["argon2"]
    console.print(
        f"argon2id ({a['parameters']}) in-process: hash p50 {a['hash']['p50_ms']} ms / "
        f"p99 {a['hash']['p99_ms']} ms, verify p50 {a['verify']['p50_ms']} ms / "
        f"p99 {a['verify']['p99_ms']} ms",
        highlight=False,
    )
    cpu = report.get("cpu")
    if cpu is not None:
        busy = ", ".join(f"{name} {cores}" for name, cores in cpu["cores_busy"].items())
        console.print(
            f"CPU during the load, cores busy of {cpu['machine_cores']}: {busy}; "
            f"server {cpu['server_cpu_ms_per_request']} ms CPU per request; per server "
            f"process (busiest first): {', '.join(map(str, cpu['server_processes_cores']))}",
            highlight=False,
        )
    for t in report["targets"]:
        mark = "ok" if t["ok"] else "MISSED"
        console.print(
            f"  {t['target']}: {t['measured']} (target {t['goal']}) {mark}", highlight=False
        )
    if load["error_examples"]:
        console.print("first errors: " + " | ".join(load["error_examples"]), highlight=False)
