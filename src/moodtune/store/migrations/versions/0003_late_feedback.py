"""Feedback given after a session finished is kept, marked late.

- ``track_feedback.late``: True when the answer came after the session's after check-in (within
  ``moodtune.sessions.service.LATE_FEEDBACK_WINDOW``); existing rows are not late.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("track_feedback") as batch:
        batch.add_column(sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("track_feedback") as batch:
        batch.drop_column("late")
