"""Accounts, therapists and the access log: moodtune served to more than one person.

- ``accounts``: one per listener (username, argon2 password hash, disabled, reset token hash).
- ``auth_sessions``: signed-in browser sessions (keyed hash of the cookie, expiry).
- ``api_tokens``: personal API tokens (keyed hash, shown once).
- ``sign_in_failures``: failed sign-ins by keyed hash of account and address (rate limit).
- ``therapist_links``: a listener's invitation (one-time code) and the therapist who took it.
- ``suggestions``: a goal or journey a therapist suggests, which the listener may accept.
- ``access_log``: every read of a listener's data by someone else.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _owner_fk(table: str, column: str = "listener_id", ondelete: str = "CASCADE") -> sa.Constraint:
    return sa.ForeignKeyConstraint(
        [column], ["listeners.id"], name=f"fk_{table}_{column}_listeners", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("listener_id", sa.String(32), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("reset_token_hash", sa.String(64), nullable=True),
        sa.Column("reset_expires_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        _owner_fk("accounts"),
        sa.PrimaryKeyConstraint("listener_id", name="pk_accounts"),
        sa.UniqueConstraint("username", name="uq_accounts_username"),
        sa.UniqueConstraint("reset_token_hash", name="uq_accounts_reset_token_hash"),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("listener_id", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        _owner_fk("auth_sessions"),
        sa.PrimaryKeyConstraint("id", name="pk_auth_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_auth_sessions_token_hash"),
    )
    op.create_index("ix_auth_sessions_listener", "auth_sessions", ["listener_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("listener_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        _owner_fk("api_tokens"),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_listener", "api_tokens", ["listener_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_failures"),
    )
    op.create_index("ix_sign_in_failures_key_at", "sign_in_failures", ["key", "at"])
    op.create_table(
        "therapist_links",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("listener_id", sa.String(32), nullable=False),
        sa.Column("therapist_id", sa.String(32), nullable=True),
        sa.Column("code_hash", sa.String(64), nullable=True),
        sa.Column("code_expires_at", sa.DateTime(), nullable=True),
        sa.Column("share_notes", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "therapist_id IS NULL OR therapist_id <> listener_id",
            name="ck_therapist_links_not_self",
        ),
        _owner_fk("therapist_links"),
        _owner_fk("therapist_links", "therapist_id"),
        sa.PrimaryKeyConstraint("id", name="pk_therapist_links"),
        sa.UniqueConstraint("code_hash", name="uq_therapist_links_code_hash"),
        sa.UniqueConstraint(
            "listener_id", "therapist_id", name="uq_therapist_links_listener_id_therapist_id"
        ),
    )
    op.create_index("ix_therapist_links_therapist", "therapist_links", ["therapist_id"])
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listener_id", sa.String(32), nullable=False),
        sa.Column("therapist_id", sa.String(32), nullable=False),
        sa.Column("goal", sa.String(20), nullable=False),
        sa.Column("tracks", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'accepted', 'declined')", name="ck_suggestions_state"
        ),
        _owner_fk("suggestions"),
        _owner_fk("suggestions", "therapist_id"),
        sa.PrimaryKeyConstraint("id", name="pk_suggestions"),
    )
    op.create_index("ix_suggestions_listener", "suggestions", ["listener_id"])
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listener_id", sa.String(32), nullable=False),
        sa.Column("reader_id", sa.String(32), nullable=True),
        sa.Column("reader_name", sa.String(64), nullable=False),
        sa.Column("what", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _owner_fk("access_log"),
        _owner_fk("access_log", "reader_id", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_access_log"),
    )
    op.create_index("ix_access_log_listener_at", "access_log", ["listener_id", "at"])


def downgrade() -> None:
    for table in (
        "access_log",
        "suggestions",
        "therapist_links",
        "sign_in_failures",
        "api_tokens",
        "auth_sessions",
        "accounts",
    ):
        op.drop_table(table)
