"""Start-up warm-up: what the first request would build is built before the app is ready."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from moodtune.app.services import Services
from moodtune.config import Settings
from moodtune.store.tables import metadata
from moodtune.web import create_app
from moodtune.web.pages import templates
from moodtune.web.state import Readiness
from moodtune.web.warmup import warm_up


def _rows(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
            for t in metadata.sorted_tables
        }


def test_warm_up_compiles_every_template_and_stores_nothing(
    app_settings: Settings, services: Services
) -> None:
    app = create_app(app_settings, services=services)
    before = _rows(services.engine)
    templates.env.cache.clear()  # type: ignore[union-attr]
    warm_up(app, services)
    names = templates.env.list_templates(extensions=["html"])
    cached = {template.name for template in templates.env.cache.values()}  # type: ignore[union-attr]
    assert set(names) <= cached and "checkin.html" in names
    assert _rows(services.engine) == before  # no handler ran, no listener was made
    assert not (app_settings.data_dir / "web" / "local-listener").exists()
    with TestClient(app) as client:  # and the app answers as before
        assert client.get("/healthz").json()["ready"] is True
        assert client.get("/checkin", follow_redirects=False).status_code == 303


def test_the_app_is_ready_only_once_warmed_up(
    app_settings: Settings, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages wait for the preparation, not for a warm-up under way behind a "ready" answer;
    the warm-up's objects are frozen with the models."""
    import moodtune.web.state as state

    steps: list[tuple[str, bool]] = []
    readiness = Readiness(settings=app_settings)
    readiness.warm_up = lambda prepared: steps.append(("warm", readiness.ready))
    monkeypatch.setattr(state, "prepare_services", lambda settings, on_step=None: services)
    monkeypatch.setattr(state, "freeze_prepared", lambda: steps.append(("freeze", readiness.ready)))
    readiness.run()
    assert steps == [("warm", False), ("freeze", False)]
    assert readiness.ready and readiness.services is services


def test_a_failing_warm_up_is_logged_and_the_app_still_starts(
    app_settings: Settings,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(**kwargs: Any) -> list[str]:
        raise RuntimeError("templates unreadable")

    monkeypatch.setattr(templates.env, "list_templates", broken)
    app = create_app(app_settings, services=services)
    with caplog.at_level("WARNING", logger="moodtune.web"):
        warm_up(app, services)
    assert "warm-up failed" in caplog.text and "templates unreadable" in caplog.text
    with TestClient(app) as client:
        assert client.get("/healthz").json()["ready"] is True
