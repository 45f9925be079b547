"""Fixtures of the connector tests: the tiny catalog as services, and the fake Spotify."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from moodtune.app.services import Services
from moodtune.recommend.tracks import TrackIndex
from moodtune.sessions import JourneyCatalog
from tests.connectors.catalog import CALM, HAPPY, SAD, TENSE, connector_catalog
from tests.connectors.fake_spotify import FakeSpotify, RunningFake, fixture, track_body


@pytest.fixture(scope="module")
def tiny() -> JourneyCatalog:
    index = TrackIndex(method="exact").fit(connector_catalog())
    return JourneyCatalog.from_index(index, name="connectors")


@pytest.fixture
def services(engine: Any, tiny: JourneyCatalog) -> Services:
    return Services(engine=engine, catalog_loader=lambda: tiny)


@pytest.fixture(scope="module")
def running() -> Iterator[RunningFake]:
    fake = FakeSpotify()
    fake.tracks = {
        TENSE: fixture("track_get_jmperez.json"),  # the real body, as Spotify sent it
        CALM: track_body(CALM, "Weightless", "Marconi Union", isrc="GBCEL1100349"),
        SAD: track_body(SAD, "Hurt", "Johnny Cash", release="2002"),
        HAPPY: track_body(HAPPY, "Walking on Sunshine", "Katrina & The Waves"),
        **{f"x{i:021d}": track_body(f"x{i:021d}", f"Song {i}", "Many Songs") for i in range(23)},
    }
    fake.saved = [CALM, SAD]
    fake.recent = [(TENSE, "2026-01-05T09:00:00.123Z"), (HAPPY, "2026-01-05T09:04:00Z")]
    fake.user_playlists = {"3cEYpjA9oz9GiPac4AsH4n": ("Focus", [CALM, "x000000000000000000001"])}
    server = RunningFake(fake)
    yield server
    server.stop()


@pytest.fixture
def fake(running: RunningFake) -> FakeSpotify:
    """The running fake with no scripted failures and an empty request log."""
    running.fake.reset()
    return running.fake
