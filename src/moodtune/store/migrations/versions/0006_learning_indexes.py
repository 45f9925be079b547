"""Indexes for what an incremental learner update reads: answers changed, sessions finished.

- ``ix_track_feedback_listener_updated`` on ``track_feedback (listener_id, updated_at)`` and
  ``ix_listening_sessions_listener_finished`` on ``listening_sessions (listener_id,
  finished_at)``: a journey start reads the listener's answers changed and sessions finished
  since the learner's marks; with only the ``created_at`` / ``started_at`` indexes SQLite
  walked every answer and session the listener ever gave (2.3 ms of a 24 ms journey start at
  300 sessions, growing with the history).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_track_feedback_listener_updated", "track_feedback", ["listener_id", "updated_at"]
    )
    op.create_index(
        "ix_listening_sessions_listener_finished",
        "listening_sessions",
        ["listener_id", "finished_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_listening_sessions_listener_finished", table_name="listening_sessions")
    op.drop_index("ix_track_feedback_listener_updated", table_name="track_feedback")
