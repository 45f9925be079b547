"""Web fixtures: models prepared once per worker; every app test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from moodtune.app.services import Services
from moodtune.config import Settings
from moodtune.web import create_app

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
def listener(client: TestClient) -> dict[str, Any]:
    """The local listener, set up through the API with a survey."""
    response = client.post("/api/v1/listener", json={"display_name": "Ana", "survey": SURVEY})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
