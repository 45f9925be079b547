"""Several worker processes (`moodtune serve --workers`): nothing lost, nothing loaded twice.

On PostgreSQL the load is ``moodtune bench web --users N --workers 2`` in small: every write the
server acknowledged (2xx) is counted and compared with the rows stored afterwards. On the
embedded SQLite the forked workers share the models and continue each other's sessions.
"""

from __future__ import annotations

from typing import Any

import pytest

from moodtune.bench.web_accounts import run_accounts_bench
from moodtune.config import Settings


@pytest.mark.postgres
def test_two_workers_lose_no_acknowledged_write(
    prepared: Any, real_settings: Settings, postgres_server: Any
) -> None:
    database = postgres_server.create_database()
    try:
        report = run_accounts_bench(
            users=16, workers=2, duration_s=12.0, think=(0.1, 0.4), settings=real_settings,
            database_url=database, argon2_repeats=2,
        )  # fmt: skip
    finally:
        postgres_server.drop_database(database)
    load, writes = report["load"], report["writes"]
    assert load["errors"] == 0, load["error_examples"]
    assert load["signed_in"] == 16
    acknowledged, stored = writes["acknowledged"], writes["stored"]
    assert acknowledged["sessions"] >= 16 and acknowledged["feedback"] >= 16
    # both workers answered: 16 listeners' connections all on one worker by chance, 1 in 2^15
    busiest, second, *_ = report["cpu"]["server_processes_cores"]
    assert second >= 0.05 * busiest > 0, report["cpu"]
    assert writes["lost"] == 0 and stored == acknowledged, writes
    assert report["argon2"]["parameters"] == "m=19456,t=2,p=1"


@pytest.mark.postgres
def test_a_session_started_on_one_server_is_continued_on_the_other(
    prepared: Any, real_settings: Settings, postgres_server: Any
) -> None:
    """Two servers on one PostgreSQL (two machines, one deployment): nothing lives in a worker.

    The listener signs in and starts a journey on server A, then, with the same cookie, gives
    feedback and finishes it on server B; each server then shows the other's writes.
    """
    import secrets
    import shutil
    from contextlib import ExitStack

    import httpx

    from moodtune.bench.web import _bench_data_dir
    from moodtune.bench.web_accounts import PASSWORD, make_accounts, multi_user_server

    database = postgres_server.create_database()
    work = _bench_data_dir(real_settings.data_dir)
    key = secrets.token_urlsafe(32)
    try:
        make_accounts(database, ["alex"])
        with ExitStack() as stack:
            server = {
                "database_url": database, "workers": 1, "secret_key": key,
                "mirror_dir": real_settings.mirror_dir, "offline": True, "timeout_s": 300.0,
            }  # fmt: skip
            a = stack.enter_context(multi_user_server(work, **server))
            b = stack.enter_context(multi_user_server(work, **server))
            assert a != b
            with httpx.Client(base_url=a, timeout=60) as on_a:
                on_a.get("/signin")
                signed_in = on_a.post(
                    "/signin",
                    data={
                        "username": "alex",
                        "password": PASSWORD,
                        "csrf_token": on_a.cookies["moodtune_csrf"],
                    },
                )
                assert signed_in.status_code == 303, signed_in.text[:300]
                on_a.headers["X-CSRF-Token"] = on_a.cookies["moodtune_csrf"]
                mood = {"valence": -0.4, "arousal": 0.6}
                started = on_a.post(
                    "/api/v1/sessions", json={"goal": "calm_down", "mood": mood, "tracks": 6}
                )
                assert started.status_code == 201, started.text[:300]
                session = started.json()
                sid, first = session["id"], session["tracks"][0]["track_id"]
                cookies, headers = dict(on_a.cookies), dict(on_a.headers)

            with httpx.Client(base_url=b, timeout=60, cookies=cookies, headers=headers) as on_b:
                seen = on_b.get(f"/api/v1/sessions/{sid}")
                assert seen.status_code == 200 and seen.json()["tracks"][0]["track_id"] == first
                liked = on_b.post(
                    f"/api/v1/sessions/{sid}/tracks/1/feedback",
                    json={"thumbs": 1, "played": True},
                )
                assert liked.status_code == 200, liked.text[:300]
                done = on_b.post(
                    f"/api/v1/sessions/{sid}/finish", json={"valence": 0.1, "arousal": -0.2}
                )
                assert done.status_code == 200, done.text[:300]

            with httpx.Client(base_url=a, timeout=60, cookies=cookies, headers=headers) as on_a:
                back = on_a.get(f"/api/v1/sessions/{sid}").json()
            assert back["finished_at"] is not None
            assert back["after"]["valence"] == pytest.approx(0.1)
            assert back["tracks"][0]["feedback"]["thumbs"] == 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
        postgres_server.drop_database(database)


def _worker_of(client: Any, workers: list[Any], port: int) -> int | None:
    """The pid of the worker process holding this client's kept-alive connection."""
    response = client.get("/healthz")
    assert response.status_code == 200
    _, client_port = response.extensions["network_stream"].get_extra_info("client_addr")
    for worker in workers:
        for conn in worker.net_connections(kind="tcp"):
            if (
                conn.laddr
                and conn.laddr.port == port
                and conn.raddr
                and conn.raddr.port == (client_port)
            ):
                return int(worker.pid)
    return None


def test_forked_workers_share_the_models_and_continue_each_others_sessions(
    prepared: Any, real_settings: Settings
) -> None:
    """``moodtune serve --workers 2`` on the embedded SQLite: the models are loaded once and
    shared (each worker's own memory is a fraction of what it maps), a journey started on one
    worker is continued on the other, check-ins written through both at once all land, and a
    killed worker is replaced."""
    import shutil
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlsplit

    import httpx
    import psutil

    from moodtune.bench.web import _bench_data_dir, _set_up_listener, run_server

    work = _bench_data_dir(real_settings.data_dir)
    clients: list[httpx.Client] = []
    try:
        with run_server(
            work, mirror_dir=real_settings.mirror_dir, offline=True, timeout_s=300.0, workers=2
        ) as server:
            workers = psutil.Process(server.process.pid).children()
            assert len(workers) == 2
            for worker in workers:  # the models are shared, copy-on-write, not loaded twice
                memory = worker.memory_full_info()
                assert memory.uss < 0.5 * memory.rss, memory
            _set_up_listener(server.url)
            port = urlsplit(server.url).port
            by_worker: dict[int, httpx.Client] = {}
            for _ in range(40):  # new connections until each worker holds one
                client = httpx.Client(base_url=server.url, timeout=60)
                clients.append(client)
                pid = _worker_of(client, workers, port or 0)
                if pid is not None:
                    by_worker.setdefault(pid, client)
                if len(by_worker) == 2:
                    break
            assert len(by_worker) == 2, "every new connection went to one worker"
            on_a, on_b = by_worker.values()

            started = on_a.post(
                "/api/v1/sessions",
                json={"goal": "calm_down", "mood": {"valence": -0.4, "arousal": 0.6}, "tracks": 6},
            )
            assert started.status_code == 201, started.text[:300]
            sid, first = started.json()["id"], started.json()["tracks"][0]["track_id"]
            seen = on_b.get(f"/api/v1/sessions/{sid}")
            assert seen.status_code == 200 and seen.json()["tracks"][0]["track_id"] == first
            liked = on_b.post(
                f"/api/v1/sessions/{sid}/tracks/1/feedback", json={"thumbs": 1, "played": True}
            )
            assert liked.status_code == 200, liked.text[:300]
            done = on_b.post(
                f"/api/v1/sessions/{sid}/finish", json={"valence": 0.1, "arousal": -0.2}
            )
            assert done.status_code == 200, done.text[:300]
            back = on_a.get(f"/api/v1/sessions/{sid}").json()
            assert back["finished_at"] is not None
            assert back["tracks"][0]["feedback"]["thumbs"] == 1

            before = on_a.get("/api/v1/checkins").json()["total"]

            def check_ins(client: httpx.Client) -> list[int]:
                mood = {"valence": 0.2, "arousal": -0.1}
                return [client.post("/api/v1/checkins", json=mood).status_code for _ in range(15)]

            with ThreadPoolExecutor(max_workers=2) as pool:
                codes = [c for got in pool.map(check_ins, (on_a, on_b)) for c in got]
            assert codes == [201] * 30
            assert on_b.get("/api/v1/checkins").json()["total"] == before + 30

            # a worker that dies is replaced, from the parent's loaded models
            import signal
            import time

            parent = psutil.Process(server.process.pid)
            killed = workers[0].pid
            workers[0].send_signal(signal.SIGKILL)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                now = [c.pid for c in parent.children() if c.status() != psutil.STATUS_ZOMBIE]
                if len(now) == 2 and killed not in now:
                    break
                time.sleep(0.1)
            assert len(now) == 2 and killed not in now, now
            with httpx.Client(base_url=server.url, timeout=60) as fresh:
                for _ in range(6):  # new connections, whichever worker takes them
                    assert fresh.get("/api/v1/checkins").json()["total"] == before + 30
    finally:
        for client in clients:
            client.close()
        shutil.rmtree(work, ignore_errors=True)


def test_workers_refuse_a_port_another_program_listens_on() -> None:
    """``SO_REUSEPORT`` would let the workers share a port with another program that set it
    too; the parent checks first, with a plain bind, and names the port."""
    import socket

    from moodtune.errors import InputError
    from moodtune.web.prefork import _check_port_free

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InputError) as caught:
            _check_port_free("127.0.0.1", port)
    assert caught.value.field == "--port" and str(port) in str(caught.value)
    _check_port_free("127.0.0.1", port)  # free again: no error
