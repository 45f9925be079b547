"""Listener country, exported playlists, and feeling words as a JSON list.

- ``listeners.country``: which crisis resources to show this listener (NULL = the default).
- ``exported_playlists``: playlists a listener saved as files or sent to a service.
- ``mood_checkins.mood_words`` (comma-separated text) becomes ``words`` (JSON list); existing
  rows are converted, blanks dropped, order kept.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("listeners", sa.Column("country", sa.String(20), nullable=True))

    op.create_table(
        "exported_playlists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listener_id", sa.String(32), nullable=False),
        sa.Column("session_id", sa.String(32), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("track_ids", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listener_id"],
            ["listeners.id"],
            name="fk_exported_playlists_listener_id_listeners",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["listening_sessions.id"],
            name="fk_exported_playlists_session_id_listening_sessions",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_exported_playlists"),
    )
    op.create_index("ix_exported_playlists_listener", "exported_playlists", ["listener_id"])

    op.add_column("mood_checkins", sa.Column("words", JSON, nullable=True))
    checkins = sa.table(
        "mood_checkins",
        sa.column("id", sa.Integer()),
        sa.column("mood_words", sa.Text()),
        sa.column("words", JSON),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(checkins.c.id, checkins.c.mood_words)).all()
    for row_id, text in rows:
        words = [w.strip().lower() for w in (text or "").split(",") if w.strip()]
        bind.execute(checkins.update().where(checkins.c.id == row_id).values(words=words))
    with op.batch_alter_table("mood_checkins") as batch:
        batch.alter_column("words", existing_type=JSON, nullable=False)
        batch.drop_column("mood_words")


def downgrade() -> None:
    op.add_column("mood_checkins", sa.Column("mood_words", sa.Text(), nullable=True))
    checkins = sa.table(
        "mood_checkins",
        sa.column("id", sa.Integer()),
        sa.column("mood_words", sa.Text()),
        sa.column("words", JSON),
    )
    bind = op.get_bind()
    for row_id, words in bind.execute(sa.select(checkins.c.id, checkins.c.words)).all():
        text = ",".join(words) if words else None
        bind.execute(checkins.update().where(checkins.c.id == row_id).values(mood_words=text))
    with op.batch_alter_table("mood_checkins") as batch:
        batch.drop_column("words")
    op.drop_index("ix_exported_playlists_listener", table_name="exported_playlists")
    op.drop_table("exported_playlists")
    with op.batch_alter_table("listeners") as batch:
        batch.drop_column("country")
