"""Web fixtures. In-process app tests: models prepared once per worker, every test on SQLite and
PostgreSQL. Browser tests: one real moodtune server and one Chromium per test session (per worker).

The server is the real thing: ``moodtune serve`` in a subprocess on a free loopback port, with
its own data directory (seeded from the worker's dataset cache, so datasets are converted and
models fitted once; ``MOODTUNE_TEST_SEED_DATA_DIR`` may name the data directory of a moodtune
you ran before, whose dataset and model caches then spare the first start its minute of fitting).
Every test gets a fresh browser context (its own cookies and storage). ``multi_user_server`` is
the same with accounts on (``MOODTUNE_MULTI_USER=true``, a real secret key) for the account
pages; both are in the ``browser`` xdist group, so they share this worker's Chromium.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
)

import moodtune
from moodtune.app.services import Services
from moodtune.config import Settings
from moodtune.web import create_app

READY_TIMEOUT_S = 240.0
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"
CACHE_DIRS = ("datasets", "parquet", "models")
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
MOODTUNE = [sys.executable, "-c", "from moodtune.cli import main; main()"]
MULTI_USER_SIGN_IN_LIMIT = 3


@dataclass(frozen=True)
class LiveServer:
    """A running moodtune: where it answers and where it keeps its data."""

    base_url: str
    data_dir: Path
    log: Path
    env: dict[str, str]  # the environment it runs in (the admin commands use the same)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _copy_missing(source: Path, target: Path) -> None:
    """Copy the cache files under ``source`` that ``target`` lacks (atomically, file by file)."""
    for name in CACHE_DIRS:
        top = source / name
        if not top.is_dir():
            continue
        for path in top.rglob("*"):
            if not path.is_file() or path.name.endswith(".lock"):
                continue
            dest = target / path.relative_to(source)
            if dest.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(dest.name + ".copying")
            shutil.copy2(path, tmp)
            os.replace(tmp, dest)


def _health(base_url: str) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
            answer: dict[str, object] = json.loads(response.read())
            return answer
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _server_failed(process: subprocess.Popen[bytes], log: Path, why: str) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    process.wait(timeout=10)
    tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
    pytest.fail(f"the moodtune server {why}; its output:\n{tail}", pytrace=False)


@contextlib.contextmanager
def _serve(
    home: Path, shared_data_dir: Path, mirror_dir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """``moodtune serve`` on a free port in ``home``, waited on until /healthz says ready; its
    data directory starts with the worker's caches and gives back what it converted and fitted."""
    data_dir = home / "data"
    data_dir.mkdir()
    _copy_missing(shared_data_dir, data_dir)
    seed = os.environ.get("MOODTUNE_TEST_SEED_DATA_DIR")
    if seed:  # a data dir of a moodtune run before: skips the first start's model fitting
        _copy_missing(Path(seed), data_dir)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    src = str(Path(moodtune.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])]),
        "MOODTUNE_DATA_DIR": str(data_dir),
        "MOODTUNE_MIRROR_DIR": str(mirror_dir),
        "MOODTUNE_OFFLINE": "true",
        "MOODTUNE_CRISIS_COUNTRY": "international",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    env.pop("MOODTUNE_DATABASE_URL", None)
    log = home / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*MOODTUNE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=home,  # no stray .env from the checkout
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if process.poll() is not None:
                _server_failed(process, log, f"exited with code {process.returncode}")
            health = _health(base_url)
            if health is not None and health.get("error"):
                _server_failed(process, log, f"could not prepare: {health['error']}")
            if health is not None and health.get("ready"):
                break
            if time.monotonic() > deadline:
                _server_failed(process, log, f"was not ready after {READY_TIMEOUT_S:.0f} s")
            time.sleep(0.25)
        # later tests of this worker reuse what the server converted and fitted
        _copy_missing(data_dir, shared_data_dir)
        yield LiveServer(base_url=base_url, data_dir=data_dir, log=log, env=env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path, mirror_dir: Path
) -> Iterator[LiveServer]:
    """The local single-listener moodtune, as ``scripts/run`` starts it."""
    with _serve(tmp_path_factory.mktemp("web-server"), shared_data_dir, mirror_dir) as server:
        yield server


@pytest.fixture(scope="session")
def multi_user_server(
    tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path, mirror_dir: Path
) -> Iterator[LiveServer]:
    """moodtune for several people (``MOODTUNE_MULTI_USER=true``, a real secret key) on SQLite
    in its own data directory. It trusts 127.0.0.1 as a proxy, so each browser context can come
    from its own client address (``X-Forwarded-For``) and the per-address sign-in limit of one
    test does not lock out the next; the limit is 3 failures so that test is short."""
    from tests.web.accounts_helpers import SECRET_KEY

    extra = {
        "MOODTUNE_MULTI_USER": "true",
        "MOODTUNE_SECRET_KEY": SECRET_KEY,
        "MOODTUNE_SIGN_IN_LIMIT": str(MULTI_USER_SIGN_IN_LIMIT),
        "MOODTUNE_TRUSTED_PROXIES": "127.0.0.1",
    }
    home = tmp_path_factory.mktemp("web-server-multi")
    with _serve(home, shared_data_dir, mirror_dir, extra) as server:
        yield server


def moodtune_admin(server: LiveServer, *args: str, password: str | None = None) -> str:
    """Run ``moodtune admin ARGS`` on the server's database, as whoever runs it would; its
    standard output (a reset token, for ``reset-password``)."""
    env = dict(server.env)
    if password is not None:
        env["MOODTUNE_NEW_PASSWORD"] = password
    done = subprocess.run(
        [*MOODTUNE, "admin", *args], cwd=server.data_dir.parent, env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"moodtune admin {' '.join(args)}: {done.stderr}{done.stdout}"
    return done.stdout


def new_context(
    browser: Browser,
    server: LiveServer,
    *,
    viewport: ViewportSize | None = None,
    java_script: bool = True,
    dark: bool = False,
) -> BrowserContext:
    """A fresh browser profile pointed at the server."""
    context = browser.new_context(
        base_url=server.base_url,
        viewport=viewport or DESKTOP,
        java_script_enabled=java_script,
        color_scheme="dark" if dark else "light",
        accept_downloads=True,
        reduced_motion="reduce",
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    ctx = new_context(browser, live_server)
    yield ctx
    ctx.close()


def new_tab(context: BrowserContext) -> Page:
    """A tab, with any uncaught script error collected on ``page.script_errors``."""
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.script_errors = errors  # type: ignore[attr-defined]
    return tab


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A tab, with any uncaught script error collected on ``page.script_errors``."""
    return new_tab(context)


@pytest.fixture
def no_listener(live_server: LiveServer, context: BrowserContext) -> None:
    """The machine has nobody set up yet (a previous test's listener is deleted)."""
    context.request.delete(live_server.base_url + "/api/v1/listener")


@pytest.fixture
def listener(no_listener: None, live_server: LiveServer, context: BrowserContext) -> str:
    """A listener who answered the survey (set up through the API, which the pages share)."""
    answer = context.request.post(
        live_server.base_url + "/api/v1/listener",
        data={"display_name": "Robin", "survey": {"anxiety": 4, "depression": 3,
              "insomnia": 2, "ocd": 1, "hours_per_day": 3, "fav_genre": "Rock"}},
    )  # fmt: skip
    assert answer.ok, answer.text()
    return str(answer.json()["id"])


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


#: Fixtures whose tests share one worker's servers and browser (directly or through others).
SHARED_SERVER_FIXTURES = frozenset({"live_server", "multi_user_server", "browser"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the real servers or the browser go to one xdist worker (``--dist
    loadgroup``): each server and Chromium starts once. In-process tests stay free."""
    here = Path(__file__).parent
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        if here in Path(str(item.fspath)).parents and uses & SHARED_SERVER_FIXTURES:
            item.add_marker(pytest.mark.xdist_group("browser"))


# --- in-process app tests (TestClient) ------------------------------------------------------

SURVEY = {"age": 24, "hours_per_day": 3, "fav_genre": "Rock", "bpm": 120,
          "anxiety": 6, "depression": 4, "insomnia": 3, "ocd": 1}  # fmt: skip


@pytest.fixture
def app_settings(real_settings: Settings, tmp_path: Path) -> Settings:
    """The app's own settings: a fresh data dir, so the local listener file is per test."""
    return real_settings.model_copy(update={"data_dir": tmp_path / "web-data"})


@pytest.fixture
def services(prepared: Services, engine: Any) -> Services:
    """The prepared models over this test's fresh database (SQLite or PostgreSQL)."""
    return prepared.with_engine(engine)


@pytest.fixture
def client(app_settings: Settings, services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings, services=services)) as test_client:
        yield test_client


@pytest.fixture
def api_listener(client: TestClient) -> dict[str, Any]:
    """The local listener, set up through the API with a survey."""
    response = client.post("/api/v1/listener", json={"display_name": "Ana", "survey": SURVEY})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# --- multi-user (accounts) app tests ----------------------------------------------------------


@pytest.fixture
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its smallest cost, so tests sign up many people quickly; one test checks the
    real parameters (``test_passwords_use_argon2id_with_owasps_parameters``)."""
    from argon2 import PasswordHasher

    from moodtune.app import credentials

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(credentials, "_hasher", lambda: cheap)


@pytest.fixture
def multi_settings(app_settings: Settings) -> Settings:
    from pydantic import SecretStr

    from tests.web.accounts_helpers import SECRET_KEY

    return app_settings.model_copy(
        update={"multi_user": True, "secret_key": SecretStr(SECRET_KEY), "sign_in_limit": 3}
    )


@pytest.fixture
def multi_app(multi_settings: Settings, services: Services, fast_passwords: None) -> Any:
    """The app in multi-user mode over this test's database (SQLite or PostgreSQL)."""
    return create_app(multi_settings, services=services)
