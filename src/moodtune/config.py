"""One settings object for the whole program, read from ``MOODTUNE_*`` variables and ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "MIN_SECRET_KEY_CHARS",
    "PLACEHOLDER_SECRETS",
    "SECRET_KEY_HELP",
    "Settings",
    "default_mirror_dir",
    "get_settings",
    "is_loopback_host",
]

MIN_SECRET_KEY_CHARS = 32
"""A secret key shorter than this is refused in multi-user mode (32 URL-safe chars ≈ 190 bits)."""
PLACEHOLDER_SECRETS = frozenset(
    {"changethis", "change-me", "changeme", "secret", "secret-key", "your-secret-key", "moodtune"}
)
SECRET_KEY_HELP = (
    "set MOODTUNE_SECRET_KEY to a long random value, for example: "
    "export MOODTUNE_SECRET_KEY="
    "\"$(python -c 'import secrets; print(secrets.token_urlsafe(32))')\" "
    "(or put MOODTUNE_SECRET_KEY=... in the .env file beside where moodtune runs)"
)


def is_loopback_host(host: str) -> bool:
    """Whether binding to ``host`` serves only this machine (``localhost`` or a loopback IP)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
    multi_user: bool = Field(
        default=False,
        description="Require accounts (sign-in) even on loopback; always on for other addresses, "
        "and behind a TLS or trusted proxy (which serves other people).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Keys the session, CSRF and token hashes; required in multi-user mode.",
    )
    behind_tls: bool = Field(
        default=False,
        description="A TLS proxy serves moodtune over https: cookies are sent Secure only.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated proxy addresses whose X-Forwarded-For/-Proto are believed "
        "(the client address for rate limits; https there also makes cookies Secure).",
    )
    request_threads: int | None = Field(
        default=None,
        ge=1,
        le=400,
        description="Requests a web worker computes at once (the rest wait their turn). "
        "Default: 1 on SQLite, where all database work runs in the worker under the "
        "interpreter lock, so a second request thread only contends for it; cores + 1 on "
        "PostgreSQL, whose round trips release it. Requests to Spotify run apart "
        "(docs/benchmarks.md).",
    )
    session_idle_hours: float = Field(
        default=72.0, gt=0, description="A signed-in session ends after this long unused."
    )
    session_max_days: float = Field(
        default=30.0, gt=0, description="A signed-in session ends this long after sign-in."
    )
    sign_in_limit: int = Field(
        default=5, ge=1, description="Failed sign-ins allowed per account and per address..."
    )
    sign_in_window_minutes: float = Field(
        default=15.0, gt=0, description="...within this many minutes, before sign-in waits."
    )

    @model_validator(mode="after")
    def _accounts_behind_a_proxy(self) -> Settings:
        """A proxy in front (``behind_tls``, ``trusted_proxies``) serves other people, though
        moodtune itself is bound to loopback: a nginx default sends ``Host: 127.0.0.1`` and
        the single local listener would answer everyone. So accounts are on there too."""
        if not self.multi_user and (self.behind_tls or self.trusted_proxy_list):
            self.multi_user = True
        return self

    def multi_user_problem(self) -> str | None:
        """Why multi-user mode cannot start with these settings (``None`` when it can)."""
        if self.secret_key is None or not self.secret_key.get_secret_value().strip():
            return "MOODTUNE_SECRET_KEY is not set; " + SECRET_KEY_HELP
        key = self.secret_key.get_secret_value().strip()
        if key.lower() in PLACEHOLDER_SECRETS:
            return f"MOODTUNE_SECRET_KEY is a placeholder ({key!r}); " + SECRET_KEY_HELP
        if len(key) < MIN_SECRET_KEY_CHARS:
            return (
                f"MOODTUNE_SECRET_KEY has {len(key)} characters, fewer than "
                f"{MIN_SECRET_KEY_CHARS}; " + SECRET_KEY_HELP
            )
        return None

    def secret_bytes(self) -> bytes:
        """The secret key as bytes (``InputError`` naming the variable when it is unusable)."""
        from moodtune.errors import InputError

        why = self.multi_user_problem()
        if why is not None or self.secret_key is None:
            raise InputError(why or "missing", field="MOODTUNE_SECRET_KEY")
        return self.secret_key.get_secret_value().strip().encode("utf-8")

    @property
    def trusted_proxy_list(self) -> list[str]:
        """``trusted_proxies`` as a list of addresses."""
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    # Spotify (the optional extra "spotify"): configured only by these; nothing else is read.
    spotify_client_id: str | None = Field(
        default=None, description="Client id of your Spotify app (developer dashboard)."
    )
    spotify_client_secret: SecretStr | None = Field(
        default=None,
        description="Client secret, only for look-ups without a login (never logged or shown).",
    )
    spotify_api_base: str = Field(
        default="https://api.spotify.com/v1/", description="Base URL of the Spotify Web API."
    )
    spotify_accounts_base: str = Field(
        default="https://accounts.spotify.com/",
        description="Base URL of Spotify's accounts service (authorize and api/token).",
    )
    spotify_redirect_uri: str = Field(
        default="http://127.0.0.1:8888/callback",
        description="Loopback redirect registered for your Spotify app (PKCE login).",
    )
    spotify_timeout_s: float = Field(default=10.0, gt=0, description="Timeout of one request.")
    spotify_max_retries: int = Field(
        default=3, ge=0, description="Retries after a 5xx, a timeout or a short 429."
    )
    spotify_max_wait_s: float = Field(
        default=30.0,
        ge=0,
        description="The longest moodtune waits on a 429's Retry-After before telling you.",
    )
    spotify_cache_ttl_s: float = Field(
        default=7 * 24 * 3600.0, ge=0, description="How long track look-ups are cached."
    )

    @property
    def cache_dir(self) -> Path:
        """Verified raw dataset files."""
        return self.data_dir / "datasets"

    @property
    def parquet_dir(self) -> Path:
        """Parquet conversions of the datasets and derived tables."""
        return self.data_dir / "parquet"

    @property
    def spotify_dir(self) -> Path:
        """The Spotify login token (owner-only file) and the look-up cache."""
        return self.data_dir / "spotify"

    @property
    def model_dir(self) -> Path:
        """Fitted models saved as JSON/NPZ."""
        return self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (call ``get_settings.cache_clear()`` after changing env vars)."""
    return Settings()
