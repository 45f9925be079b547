"""The schema at the newest migration, as SQLAlchemy Core tables.

These definitions are what the repository functions query; they never create anything. The
database schema is made only by the Alembic migrations in ``moodtune/store/migrations``, and a
test checks that the migrated database and these tables agree.

Every row that belongs to a listener reaches ``listeners.id`` through a foreign key with
``ON DELETE CASCADE``, so deleting a listener cannot leave orphans behind.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

__all__ = [
    "CHECKIN_KINDS",
    "LISTENING_KINDS",
    "SUGGESTION_STATES",
    "JSONType",
    "UTCDateTime",
    "access_log",
    "accounts",
    "api_tokens",
    "auth_sessions",
    "checkins",
    "exported_playlists",
    "feedback",
    "listeners",
    "listening_events",
    "metadata",
    "session_tracks",
    "sessions",
    "sign_in_failures",
    "suggestions",
    "therapist_links",
    "unmatched_listening",
    "utcnow",
]

CHECKIN_KINDS = ("before", "after", "standalone")
LISTENING_KINDS = ("play", "skip", "like")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timestamps stored as naive UTC on every backend and returned timezone-aware (UTC)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: moodtune stores timezone-aware times")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
"""JSON text on SQLite, JSONB on PostgreSQL."""

listeners = sa.Table(
    "listeners",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("display_name", sa.String(200), nullable=True),
    sa.Column("profile", JSONType, nullable=True),
    sa.Column("goals", JSONType, nullable=False),
    sa.Column("consent_storage", sa.Boolean(), nullable=False),
    sa.Column("consent_notes", sa.Boolean(), nullable=False),
    sa.Column("consent_learning", sa.Boolean(), nullable=False),
    sa.Column("country", sa.String(20), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

sessions = sa.Table(
    "listening_sessions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column(
        "listener_id",
        sa.String(32),
        sa.ForeignKey("listeners.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("goal", sa.String(20), nullable=False),
    sa.Column("target_valence", sa.Float(), nullable=True),
    sa.Column("target_arousal", sa.Float(), nullable=True),
    sa.Column("model_version", sa.String(200), nullable=False),
    sa.Column("details", JSONType, nullable=True),
    sa.Column("safety_message_shown", sa.Boolean(), nullable=False),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Index("ix_listening_sessions_listener_started", "listener_id", "started_at"),
    sa.Index("ix_listening_sessions_listener_finished", "listener_id", "finished_at"),
)

checkins = sa.Table(
    "mood_checkins",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column(
        "listener_id",
        sa.String(32),
        sa.ForeignKey("listeners.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "session_id",
        sa.String(32),
        sa.ForeignKey("listening_sessions.id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("valence", sa.Float(), nullable=True),
    sa.Column("arousal", sa.Float(), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("words", JSONType, nullable=False),
    sa.CheckConstraint("kind IN ('before', 'after', 'standalone')", name="kind"),
    sa.CheckConstraint("valence IS NULL OR (valence >= -1 AND valence <= 1)", name="valence"),
    sa.CheckConstraint("arousal IS NULL OR (arousal >= -1 AND arousal <= 1)", name="arousal"),
    sa.CheckConstraint(
        "(kind = 'standalone' AND session_id IS NULL) "
        "OR (kind <> 'standalone' AND session_id IS NOT NULL)",
        name="session_link",
    ),
    sa.UniqueConstraint("session_id", "kind"),
    sa.Index("ix_mood_checkins_listener_created", "listener_id", "created_at"),
)

session_tracks = sa.Table(
    "session_tracks",
    metadata,
    sa.Column(
        "session_id",
        sa.String(32),
        sa.ForeignKey("listening_sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("position", sa.Integer(), primary_key=True),
    sa.Column("track_id", sa.String(64), nullable=False),
    sa.Column("name", sa.Text(), nullable=True),
    sa.Column("artists", sa.Text(), nullable=True),
    sa.Column("genre", sa.String(100), nullable=True),
    sa.Column("mood", sa.String(50), nullable=True),
    sa.Column("planned_valence", sa.Float(), nullable=True),
    sa.Column("planned_arousal", sa.Float(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.CheckConstraint("position >= 0", name="position"),
    sa.Index("ix_session_tracks_track", "track_id"),
)

feedback = sa.Table(
    "track_feedback",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column(
        "listener_id",
        sa.String(32),
        sa.ForeignKey("listeners.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("session_id", sa.String(32), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("track_id", sa.String(64), nullable=False),
    sa.Column("played", sa.Boolean(), nullable=True),
    sa.Column("skipped_after_s", sa.Float(), nullable=True),
    sa.Column("thumbs", sa.SmallInteger(), nullable=True),
    sa.Column("helped", sa.Boolean(), nullable=True),
    sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(
        ["session_id", "position"],
        ["session_tracks.session_id", "session_tracks.position"],
        ondelete="CASCADE",
        name="fk_track_feedback_offered_track",
    ),
    sa.CheckConstraint("thumbs IS NULL OR thumbs IN (-1, 1)", name="thumbs"),
    sa.CheckConstraint("skipped_after_s IS NULL OR skipped_after_s >= 0", name="skipped_after_s"),
    sa.UniqueConstraint("session_id", "position"),
    sa.Index("ix_track_feedback_listener_created", "listener_id", "created_at"),
    sa.Index("ix_track_feedback_listener_updated", "listener_id", "updated_at"),
)

exported_playlists = sa.Table(
    "exported_playlists",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column(
        "listener_id",
        sa.String(32),
        sa.ForeignKey("listeners.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "session_id",
        sa.String(32),
        sa.ForeignKey("listening_sessions.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("format", sa.String(20), nullable=False),
    sa.Column("location", sa.Text(), nullable=True),
    sa.Column("track_ids", JSONType, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Index("ix_exported_playlists_listener", "listener_id"),
)


listening_events = sa.Table(
    "listening_events",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column(
        "listener_id",
        sa.String(32),
        sa.ForeignKey("listeners.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("source", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("track_id", sa.String(64), nullable=False),
    sa.Column("matched_by", sa.String(20), nullable=False),
    sa.Column("played_at", UTCDateTime(), nullable=True),
    sa.Column("ms_played", sa.Integer(), nullable=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("imported_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('play', 'skip', 'like')", name="kind"),
    sa.CheckConstraint("ms_played IS NULL OR ms_played >= 0", name="ms_played"),
    sa.UniqueConstraint("listener_id", "fingerprint"),
    sa.Index("ix_listening_events_listener_played", "listener_id", "played_at"),
)
"""Plays, skips and likes imported from listening histories, playlists and Spotify, matched to
a catalog track (unmatched ones go to ``unmatched_listening``). ``fingerprint`` makes a
re-import of the same file add nothing."""

unmatched_listening = sa.Table(
    "unmatched_listening",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column(
        "listener_id",
        sa.String(32),
        sa.ForeignKey("listeners.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("source", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("track_key", sa.String(64), nullable=False),
    sa.Column("title", sa.Text(), nullable=True),
    sa.Column("artists", sa.Text(), nullable=True),
    sa.Column("album", sa.Text(), nullable=True),
    sa.Column("spotify_uri", sa.String(64), nullable=True),
    sa.Column("isrc", sa.String(16), nullable=True),
    sa.Column("duration_ms", sa.Integer(), nullable=True),
    sa.Column("reason", sa.String(60), nullable=False),
    sa.Column("played_at", UTCDateTime(), nullable=True),
    sa.Column("ms_played", sa.Integer(), nullable=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("imported_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('play', 'skip', 'like')", name="kind"),
    sa.CheckConstraint("ms_played IS NULL OR ms_played >= 0", name="ms_played"),
    sa.UniqueConstraint("listener_id", "fingerprint"),
    sa.Index("ix_unmatched_listening_listener_track", "listener_id", "track_key"),
)
"""Imported plays, skips and likes of tracks the catalog does not hold ("mood unknown"): what
the export named (title, artists, album, Spotify URI, ISRC), never a device or place. Kept out
of journeys and of learning; re-matched when the catalog grows (``place_unknown_listening``)."""

# -- accounts (migration 0004) -----------------------------------------------------------------
# Secrets (session tokens, API tokens, reset tokens, invite codes) are stored only as keyed
# hashes (HMAC-SHA256 with the secret key): a copy of the database does not sign anyone in.

SUGGESTION_STATES = ("open", "accepted", "declined")


def _owner(name: str = "listener_id", *, primary_key: bool = False) -> sa.Column[Any]:
    return sa.Column(
        name,
        sa.String(32),
        sa.ForeignKey("listeners.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


accounts = sa.Table(
    "accounts",
    metadata,
    _owner(primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("reset_token_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("reset_expires_at", UTCDateTime(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("password_changed_at", UTCDateTime(), nullable=False),
)

auth_sessions = sa.Table(
    "auth_sessions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    _owner(),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_agent", sa.String(200), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_seen_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Index("ix_auth_sessions_listener", "listener_id"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    _owner(),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_used_at", UTCDateTime(), nullable=True),
    sa.Index("ix_api_tokens_listener", "listener_id"),
)

sign_in_failures = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    # "account:<hash>" or "address:<hash>": keyed hashes, never the name or the address itself
    sa.Column("key", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Index("ix_sign_in_failures_key_at", "key", "at"),
)

therapist_links = sa.Table(
    "therapist_links",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    _owner(),
    sa.Column(
        "therapist_id",
        sa.String(32),
        sa.ForeignKey("listeners.id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column("code_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("code_expires_at", UTCDateTime(), nullable=True),
    sa.Column("share_notes", sa.Boolean(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("accepted_at", UTCDateTime(), nullable=True),
    sa.CheckConstraint("therapist_id IS NULL OR therapist_id <> listener_id", name="not_self"),
    sa.UniqueConstraint("listener_id", "therapist_id"),
    sa.Index("ix_therapist_links_therapist", "therapist_id"),
)

suggestions = sa.Table(
    "suggestions",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    _owner(),
    sa.Column(
        "therapist_id",
        sa.String(32),
        sa.ForeignKey("listeners.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("goal", sa.String(20), nullable=False),
    sa.Column("tracks", sa.Integer(), nullable=True),
    sa.Column("message", sa.Text(), nullable=True),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("answered_at", UTCDateTime(), nullable=True),
    sa.CheckConstraint("state IN ('open', 'accepted', 'declined')", name="state"),
    sa.Index("ix_suggestions_listener", "listener_id"),
)

access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    _owner(),
    # the reader's account may be deleted later: the listener's record of who read stays
    sa.Column(
        "reader_id",
        sa.String(32),
        sa.ForeignKey("listeners.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column("reader_name", sa.String(64), nullable=False),
    sa.Column("what", sa.String(200), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Index("ix_access_log_listener_at", "listener_id", "at"),
)
