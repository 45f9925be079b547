"""What the application answers from: the database and every model, loaded once at start.

``prepare_services`` loads (or, on a first start, fits and caches) the persona model, the
"will music help" model, the genre recommender, the active catalog with its mood model and
track index, and opens (creating and migrating) the database. Requests then answer from memory:
no model is fitted inside a request.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np

from moodtune.config import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from moodtune.app.views import EffectView, GenreView, PersonaView, TrackView
    from moodtune.connectors.matching import CatalogMatcher
    from moodtune.recommend.genres import GenreRecommender
    from moodtune.sessions.personal import JourneyCatalog
    from moodtune.survey.effect import EffectModel
    from moodtune.survey.personas import PersonaModel
    from moodtune.survey.schema import SurveyData

__all__ = ["PREPARE_STEPS", "Memo", "Services", "StepReporter", "TrackSearch", "prepare_services"]

K = TypeVar("K")
V = TypeVar("V")


class Memo(Generic[K, V]):
    """A bounded, thread-safe memo of answers computed from loaded models (the least recently
    used goes first): what a request would otherwise recompute from the same inputs."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        """The kept answer for ``key``, or ``compute()`` kept for next time."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = compute()  # outside the lock: two threads may both compute; both get one answer
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)


MAX_CACHED_TRACK_VIEWS = 8192
"""Catalog rows whose ``TrackView`` is kept (a few MB); others are built on each request."""

StepReporter = Callable[[str, int, int], None]
"""Called with (what is being done, step number from 1, number of steps) before each step."""

PREPARE_STEPS: tuple[str, ...] = (
    "opening the database",
    "reading the listener survey",
    "listener personas",
    "the 'will music help?' model (the first start evaluates it: about a minute)",
    "genre recommendations",
    "the track catalog, its moods and the track index",
)


@dataclass(frozen=True)
class TrackSearch:
    """Lower-cased "title — artists" per catalog row, for substring search without pandas."""

    text: np.ndarray  # object array of str, one per catalog row
    popularity: np.ndarray  # float, NaN where unknown
    usable: np.ndarray  # bool

    @classmethod
    def from_tracks(cls, tracks: object) -> TrackSearch:
        import pandas as pd

        assert isinstance(tracks, pd.DataFrame)
        names = tracks["name"].fillna("").astype(str).str.lower()
        artists = tracks["artists"].fillna("").astype(str).str.lower()
        return cls(
            text=(names + " \u2014 " + artists).to_numpy(dtype=object),
            popularity=pd.to_numeric(tracks["popularity"], errors="coerce").to_numpy(dtype=float)
            if "popularity" in tracks
            else np.full(len(tracks), np.nan),
            usable=tracks["usable"].to_numpy(dtype=bool),
        )


class Services:
    """The database engine, the settings and every fitted model the application uses.

    Each model is loaded (or fitted and cached) the first time it is needed and then kept:
    the web app calls ``prepare_services`` so all of them are ready before the first request;
    a CLI command touches only what it uses.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        engine: Engine | None = None,
        catalog_loader: Callable[[], JourneyCatalog] | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self._engine = engine
        self._catalog_loader = catalog_loader
        self._lock = threading.RLock()
        self._survey: SurveyData | None = None
        self._catalog: JourneyCatalog | None = None
        self._personas: PersonaModel | None = None
        self._effect: EffectModel | None = None
        self._genres: GenreRecommender | None = None
        self._other_genres: dict[str, GenreRecommender] = {}
        self._search: TrackSearch | None = None
        self._track_views: dict[int, TrackView] = {}
        self._track_view_columns: dict[str, np.ndarray] | None = None
        self._matcher: CatalogMatcher | None = None
        #: persona, genres and effect per survey answers (see ``app.listeners.profile_insights``)
        self.insights: Memo[
            tuple[str, int],
            tuple[PersonaView | None, tuple[GenreView, ...], EffectView | None],
        ] = Memo(max_entries=1024)
        self.timings: dict[str, float] = {}
        from moodtune.sessions.personal import LearnerCache

        self.learners = LearnerCache()  #: per database: each Services has its own engine

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                from moodtune.store import open_database

                self._engine = open_database(self.settings)
            return self._engine

    @property
    def survey(self) -> SurveyData:
        with self._lock:
            if self._survey is None:
                from moodtune.survey.schema import load_survey

                self._survey = load_survey(settings=self.settings)
            return self._survey

    @property
    def personas(self) -> PersonaModel:
        with self._lock:
            if self._personas is None:
                from moodtune.survey.personas import load_or_fit_personas

                self._personas = load_or_fit_personas(self.survey.frame, settings=self.settings)
            return self._personas

    @property
    def effect(self) -> EffectModel:
        return self.load_effect()

    def load_effect(self, progress: Callable[[int, int], None] | None = None) -> EffectModel:
        """The "will music help" model; a first start evaluates it (about a minute) and tells
        ``progress`` (done, total) as it goes."""
        with self._lock:
            if self._effect is None:
                from moodtune.survey.effect import train_effect_model

                self._effect = train_effect_model(
                    self.survey, settings=self.settings, progress=progress or False
                )
            return self._effect

    @property
    def genres(self) -> GenreRecommender:
        with self._lock:
            if self._genres is None:
                from moodtune.recommend.genres import load_or_fit_genre_recommender

                self._genres = load_or_fit_genre_recommender(
                    "hybrid", survey=self.survey, settings=self.settings
                )
            return self._genres

    def genre_recommender(self, kind: str = "hybrid") -> GenreRecommender:
        """The genre recommender of ``kind`` (the app's is ``"hybrid"``; the others are
        loaded, or fitted and cached, the first time one is asked for)."""
        if kind == "hybrid":
            return self.genres
        with self._lock:
            if kind not in self._other_genres:
                from moodtune.recommend.genres import load_or_fit_genre_recommender

                self._other_genres[kind] = load_or_fit_genre_recommender(
                    kind, survey=self.survey, settings=self.settings
                )
            return self._other_genres[kind]

    @property
    def catalog(self) -> JourneyCatalog:
        with self._lock:
            if self._catalog is None:
                from moodtune.sessions.personal import load_journey_catalog

                self._catalog = (
                    self._catalog_loader()
                    if self._catalog_loader is not None
                    else load_journey_catalog(self.settings)
                )
            return self._catalog

    @property
    def search(self) -> TrackSearch:
        with self._lock:
            if self._search is None:
                self._search = TrackSearch.from_tracks(self.catalog.index.tracks_)
            return self._search

    @property
    def matcher(self) -> CatalogMatcher:
        """Look-up tables matching outside tracks (Spotify id, ISRC, title + artist) to the
        active catalog, built once (about 0.3 s for 28k tracks)."""
        with self._lock:
            if self._matcher is None:
                from moodtune.connectors.matching import CatalogMatcher

                self._matcher = CatalogMatcher(self.catalog.index.tracks_)
            return self._matcher

    @property
    def catalog_name(self) -> str:
        return self.catalog.name

    def track_view_at(self, row: int) -> TrackView:
        """The ``TrackView`` of catalog row ``row``, built once: a session or search page
        shows the same tracks again and again."""
        view = self._track_views.get(row)
        if view is None:
            from moodtune.app.views import track_view

            # From the columns the view reads, not ``tracks_.iloc[row]``: a pandas row of
            # the whole mixed-type table cost ~0.3 ms, more than the rest of the view.
            columns = self._view_columns()
            view = track_view({c: values[row] for c, values in columns.items()})
            if len(self._track_views) < MAX_CACHED_TRACK_VIEWS:
                self._track_views[row] = view  # views are frozen: safe to share
        return view

    def _view_columns(self) -> dict[str, np.ndarray]:
        """The catalog's ``TRACK_VIEW_COLUMNS`` as arrays, made once (read-only)."""
        columns = self._track_view_columns
        if columns is None:
            from moodtune.app.views import TRACK_VIEW_COLUMNS

            tracks = self.catalog.index.tracks_
            columns = {c: tracks[c].to_numpy() for c in TRACK_VIEW_COLUMNS if c in tracks}
            self._track_view_columns = columns
        return columns

    def with_engine(self, engine: Engine) -> Services:
        """The same loaded models over another database (tests run one app on two back-ends)."""
        other = Services(self.settings, engine=engine, catalog_loader=self._catalog_loader)
        with self._lock:
            other._survey, other._catalog = self._survey, self._catalog
            other._personas, other._effect = self._personas, self._effect
            other._genres, other._search = self._genres, self._search
            other._track_views = self._track_views
            other._track_view_columns = self._track_view_columns
            other._matcher = self._matcher
            other.insights = self.insights  # the same models give the same answers
        return other


def prepare_services(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    on_step: StepReporter | None = None,
) -> Services:
    """Load every model and index the application needs (fit and cache on a first start).

    ``on_step`` is told what is being prepared before each step, so a caller can show
    progress; ``Services.timings`` records how long each step took, in seconds.
    """
    services = Services(settings, engine=engine)
    loaders: tuple[Callable[[], object], ...] = (
        lambda: services.engine,
        lambda: services.survey,
        lambda: services.personas,
        lambda: services.effect,
        lambda: services.genres,
        lambda: services.search,
    )
    total = len(PREPARE_STEPS)
    for number, (label, load) in enumerate(zip(PREPARE_STEPS, loaders, strict=True), start=1):
        if on_step is not None:
            on_step(label, number, total)
        started = time.perf_counter()
        load()
        services.timings[label.split(" (")[0]] = round(time.perf_counter() - started, 3)
    return services
