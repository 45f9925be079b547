"""Initial schema: listeners, mood check-ins, listening sessions, offered tracks, feedback.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "listeners",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("profile", JSON, nullable=True),
        sa.Column("goals", JSON, nullable=False),
        sa.Column("consent_storage", sa.Boolean(), nullable=False),
        sa.Column("consent_notes", sa.Boolean(), nullable=False),
        sa.Column("consent_learning", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_listeners"),
    )
    op.create_table(
        "listening_sessions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("listener_id", sa.String(32), nullable=False),
        sa.Column("goal", sa.String(20), nullable=False),
        sa.Column("target_valence", sa.Float(), nullable=True),
        sa.Column("target_arousal", sa.Float(), nullable=True),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("details", JSON, nullable=True),
        sa.Column("safety_message_shown", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["listener_id"],
            ["listeners.id"],
            name="fk_listening_sessions_listener_id_listeners",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_listening_sessions"),
    )
    op.create_index(
        "ix_listening_sessions_listener_started",
        "listening_sessions",
        ["listener_id", "started_at"],
    )
    # 0001 kept the feeling words as one comma-separated text column; 0002 makes it a JSON list.
    op.create_table(
        "mood_checkins",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listener_id", sa.String(32), nullable=False),
        sa.Column("session_id", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("valence", sa.Float(), nullable=True),
        sa.Column("arousal", sa.Float(), nullable=True),
        sa.Column("mood_words", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('before', 'after', 'standalone')", name="ck_mood_checkins_kind"
        ),
        sa.CheckConstraint(
            "valence IS NULL OR (valence >= -1 AND valence <= 1)", name="ck_mood_checkins_valence"
        ),
        sa.CheckConstraint(
            "arousal IS NULL OR (arousal >= -1 AND arousal <= 1)", name="ck_mood_checkins_arousal"
        ),
        sa.CheckConstraint(
            "(kind = 'standalone' AND session_id IS NULL) "
            "OR (kind <> 'standalone' AND session_id IS NOT NULL)",
            name="ck_mood_checkins_session_link",
        ),
        sa.ForeignKeyConstraint(
            ["listener_id"],
            ["listeners.id"],
            name="fk_mood_checkins_listener_id_listeners",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["listening_sessions.id"],
            name="fk_mood_checkins_session_id_listening_sessions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_mood_checkins"),
        sa.UniqueConstraint("session_id", "kind", name="uq_mood_checkins_session_id_kind"),
    )
    op.create_index(
        "ix_mood_checkins_listener_created", "mood_checkins", ["listener_id", "created_at"]
    )
    op.create_table(
        "session_tracks",
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("artists", sa.Text(), nullable=True),
        sa.Column("genre", sa.String(100), nullable=True),
        sa.Column("mood", sa.String(50), nullable=True),
        sa.Column("planned_valence", sa.Float(), nullable=True),
        sa.Column("planned_arousal", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint("position >= 0", name="ck_session_tracks_position"),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["listening_sessions.id"],
            name="fk_session_tracks_session_id_listening_sessions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "position", name="pk_session_tracks"),
    )
    op.create_index("ix_session_tracks_track", "session_tracks", ["track_id"])
    op.create_table(
        "track_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listener_id", sa.String(32), nullable=False),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.String(64), nullable=False),
        sa.Column("played", sa.Boolean(), nullable=True),
        sa.Column("skipped_after_s", sa.Float(), nullable=True),
        sa.Column("thumbs", sa.SmallInteger(), nullable=True),
        sa.Column("helped", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("thumbs IS NULL OR thumbs IN (-1, 1)", name="ck_track_feedback_thumbs"),
        sa.CheckConstraint(
            "skipped_after_s IS NULL OR skipped_after_s >= 0",
            name="ck_track_feedback_skipped_after_s",
        ),
        sa.ForeignKeyConstraint(
            ["listener_id"],
            ["listeners.id"],
            name="fk_track_feedback_listener_id_listeners",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id", "position"],
            ["session_tracks.session_id", "session_tracks.position"],
            name="fk_track_feedback_offered_track",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_track_feedback"),
        sa.UniqueConstraint("session_id", "position", name="uq_track_feedback_session_id_position"),
    )
    op.create_index(
        "ix_track_feedback_listener_created", "track_feedback", ["listener_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_table("track_feedback")
    op.drop_table("session_tracks")
    op.drop_table("mood_checkins")
    op.drop_table("listening_sessions")
    op.drop_table("listeners")
