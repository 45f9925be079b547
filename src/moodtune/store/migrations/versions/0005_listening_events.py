"""Imported listening: plays, skips and likes from history exports, playlists and Spotify.

- ``listening_events``: one row per matched play, skip or like of a listener (a catalog
  ``track_id``, the source, when, how long); never an IP address or device detail. Deleted
  with the listener (``ON DELETE CASCADE``); ``(listener_id, fingerprint)`` is unique so a
  re-import adds nothing.
- ``unmatched_listening``: the same for plays, skips and likes the catalog does not hold
  ("mood unknown"): title, artists, album, Spotify URI and ISRC as the export named them, and
  why they did not match; never an IP address or device detail. Deleted with the listener.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listening_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listener_id", sa.String(32), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("track_id", sa.String(64), nullable=False),
        sa.Column("matched_by", sa.String(20), nullable=False),
        sa.Column("played_at", sa.DateTime(), nullable=True),
        sa.Column("ms_played", sa.Integer(), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('play', 'skip', 'like')", name="ck_listening_events_kind"),
        sa.CheckConstraint(
            "ms_played IS NULL OR ms_played >= 0", name="ck_listening_events_ms_played"
        ),
        sa.ForeignKeyConstraint(
            ["listener_id"],
            ["listeners.id"],
            name="fk_listening_events_listener_id_listeners",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_listening_events"),
        sa.UniqueConstraint(
            "listener_id", "fingerprint", name="uq_listening_events_listener_id_fingerprint"
        ),
    )
    op.create_index(
        "ix_listening_events_listener_played", "listening_events", ["listener_id", "played_at"]
    )

    op.create_table(
        "unmatched_listening",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listener_id", sa.String(32), nullable=False),
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
        sa.Column("played_at", sa.DateTime(), nullable=True),
        sa.Column("ms_played", sa.Integer(), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('play', 'skip', 'like')", name="ck_unmatched_listening_kind"),
        sa.CheckConstraint(
            "ms_played IS NULL OR ms_played >= 0", name="ck_unmatched_listening_ms_played"
        ),
        sa.ForeignKeyConstraint(
            ["listener_id"],
            ["listeners.id"],
            name="fk_unmatched_listening_listener_id_listeners",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_unmatched_listening"),
        sa.UniqueConstraint(
            "listener_id", "fingerprint", name="uq_unmatched_listening_listener_id_fingerprint"
        ),
    )
    op.create_index(
        "ix_unmatched_listening_listener_track",
        "unmatched_listening",
        ["listener_id", "track_key"],
    )


def downgrade() -> None:
    op.drop_index("ix_unmatched_listening_listener_track", table_name="unmatched_listening")
    op.drop_table("unmatched_listening")
    op.drop_index("ix_listening_events_listener_played", table_name="listening_events")
    op.drop_table("listening_events")
