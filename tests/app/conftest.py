"""The application layer's tests run on a small grid catalog (every mood covered, exact index)
over the test's database (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from moodtune.app.services import Services
from moodtune.recommend.tracks import TrackIndex
from moodtune.sessions import JourneyCatalog
from tests.recommend.tiny_catalog import grid_catalog


@pytest.fixture(scope="module")
def grid() -> JourneyCatalog:
    return JourneyCatalog.from_index(TrackIndex(method="exact").fit(grid_catalog(0.1)), name="grid")


@pytest.fixture
def services(engine: Any, grid: JourneyCatalog) -> Services:
    return Services(engine=engine, catalog_loader=lambda: grid)
