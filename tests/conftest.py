"""Shared fixtures: no network beyond loopback, an isolated data directory, seeded randomness."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from moodtune.config import Settings, default_mirror_dir, get_settings

_real_connect = socket.socket.connect
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else None
    if host is not None and host not in _LOOPBACK:
        raise RuntimeError(f"tests may not use the network: connection to {address!r} refused")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any non-loopback connection fails, so a test can never reach the internet."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    """The local dataset mirror (``../shared/data``); tests need it and never download."""
    mirror = default_mirror_dir()
    if mirror is None:
        pytest.fail("the dataset mirror ../shared/data beside the checkout is missing")
    return mirror


@pytest.fixture(scope="session")
def shared_data_dir(tmp_path_factory: pytest.TempPathFactory, mirror_dir: Path) -> Path:
    """One data directory per test worker, so the real datasets are converted once per run."""
    return tmp_path_factory.mktemp("moodtune-data")


@pytest.fixture(scope="session")
def real_settings(shared_data_dir: Path, mirror_dir: Path) -> Settings:
    """Settings over the real mirror, offline, with a worker-wide cache."""
    return Settings(data_dir=shared_data_dir, mirror_dir=mirror_dir, offline=True)


@pytest.fixture
def settings(
    tmp_path: Path, mirror_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Fresh, isolated settings (own data dir, offline) also seen by ``get_settings()``."""
    monkeypatch.setenv("MOODTUNE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MOODTUNE_MIRROR_DIR", str(mirror_dir))
    monkeypatch.setenv("MOODTUNE_OFFLINE", "true")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def prepared(real_settings: Settings) -> Any:
    """``Services`` with every model loaded, once per test worker (a first start fits the
    effect model: about 35 s); ``prepared.with_engine(engine)`` serves them over a test's DB."""
    from moodtune.app.services import prepare_services

    return prepare_services(real_settings)


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: tests are reproducible."""
    return np.random.default_rng(20221127)


# --- databases (store+listeners): every database test runs on SQLite AND a real PostgreSQL ---


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A throw-away PostgreSQL cluster for this test worker (own port); fails if not installed."""
    from moodtune.store.pgcluster import PostgresUnavailable, TemporaryPostgres

    try:
        server = TemporaryPostgres().start()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_migrated_template(postgres_server: Any) -> str:
    """A database migrated to head once per worker (by Alembic); test databases copy it."""
    from moodtune.store import make_engine, upgrade

    url = postgres_server.create_database()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return str(url.rsplit("/", 1)[1])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on (every database test runs on both)."""
    return str(request.param)


@pytest.fixture
def db_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, EMPTY database: a SQLite file, or a new PostgreSQL database."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'moodtune.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def engine(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """An engine on a fresh database at the newest schema (made by the Alembic migrations)."""
    from moodtune.store import make_engine, upgrade

    if db_backend == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'moodtune.sqlite3'}")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    server = request.getfixturevalue("postgres_server")
    url = server.create_database(template=request.getfixturevalue("postgres_migrated_template"))
    eng = make_engine(url)
    yield eng
    eng.dispose()
    server.drop_database(url)


# --- a real browser: one Playwright and one Chromium per test worker, for every browser test ---
# (two sync Playwright drivers cannot run in one process: the second finds the first's loop)

CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """The Playwright driver (sync API), started once per worker."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Any]:
    """Debian's Chromium, headless, with its background traffic switched off."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing ({CHROMIUM}): run scripts/bootstrap, which installs the "
            "Debian package 'chromium' (or: apt-get install -y chromium)",
            pytrace=False,
        )
    launched = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()
