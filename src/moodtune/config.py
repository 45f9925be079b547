"""One settings object for the whole program, read from ``MOODTUNE_*`` variables and ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_mirror_dir", "get_settings"]


def default_mirror_dir() -> Path | None:
    """The local dataset mirror: ``../shared/data`` beside the checkout (or the working dir)."""
    checkout = Path(__file__).resolve().parents[2]
    for base in (checkout, Path.cwd()):
        candidate = base.parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


class Settings(BaseSettings):
    """Where moodtune keeps its data and which sources it may use.

    Nothing here ever sends data off the machine: the only network use is fetching public
    datasets (when no local mirror has them) and, when the user asks, Spotify.
    """

    model_config = SettingsConfigDict(env_prefix="MOODTUNE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("moodtune", appauthor=False)),
        description="Cache of datasets, catalogs, models and the embedded database.",
    )
    mirror_dir: Path | None = Field(
        default_factory=default_mirror_dir,
        description="A local directory holding dataset files, tried before any public URL.",
    )
    offline: bool = Field(
        default=False, description="Never download: use only the mirror and the cache."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is SQLite in data_dir (e.g. postgresql+psycopg://...).",
    )
    crisis_country: str = Field(
        default="international", description="Which crisis resources to show (ISO country code)."
    )
    random_state: int = Field(default=0, description="Seed for reproducible model fitting.")

    @property
    def cache_dir(self) -> Path:
        """Verified raw dataset files."""
        return self.data_dir / "datasets"

    @property
    def parquet_dir(self) -> Path:
        """Parquet conversions of the datasets and derived tables."""
        return self.data_dir / "parquet"

    @property
    def model_dir(self) -> Path:
        """Fitted models saved as JSON/NPZ."""
        return self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (call ``get_settings.cache_clear()`` after changing env vars)."""
    return Settings()
