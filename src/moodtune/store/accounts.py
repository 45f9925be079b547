"""Repository functions for accounts, sign-in sessions, API tokens, therapists and the access log.

Like ``moodtune.store.repository`` these take a ``Connection`` (the caller owns the
transaction) and return frozen records. Secrets reach this module only as keyed hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from moodtune.store.tables import (
    access_log,
    accounts,
    api_tokens,
    auth_sessions,
    listeners,
    sign_in_failures,
    suggestions,
    therapist_links,
)

__all__ = [
    "AccessRecord",
    "AccountRecord",
    "ApiTokenRecord",
    "AuthSessionRecord",
    "LinkRecord",
    "SuggestionRecord",
]


# -- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRecord:
    """An account: the listener it owns, its username and argon2 hash."""

    listener_id: str
    username: str
    password_hash: str
    disabled: bool
    created_at: datetime
    password_changed_at: datetime
    reset_expires_at: datetime | None = None


@dataclass(frozen=True)
class AuthSessionRecord:
    """A signed-in browser session (the cookie itself is never stored)."""

    id: str
    listener_id: str
    user_agent: str | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class ApiTokenRecord:
    """A personal API token: its name and first characters, never the token."""

    id: str
    listener_id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class LinkRecord:
    """A listener's invitation to a therapist; ``therapist_id`` is set once the code is used."""

    id: str
    listener_id: str
    therapist_id: str | None
    share_notes: bool
    created_at: datetime
    accepted_at: datetime | None
    code_expires_at: datetime | None
    listener_name: str | None = None
    therapist_name: str | None = None


@dataclass(frozen=True)
class SuggestionRecord:
    """A goal (and length) a therapist suggests to a listener."""

    id: int
    listener_id: str
    therapist_id: str
    goal: str
    tracks: int | None
    message: str | None
    state: str
    created_at: datetime
    answered_at: datetime | None
    therapist_name: str | None = None


@dataclass(frozen=True)
class AccessRecord:
    """One read of a listener's data by someone else."""

    id: int
    listener_id: str
    reader_id: str | None
    reader_name: str
    what: str
    at: datetime


def _record(cls: Any, row: sa.Row[Any], **extra: Any) -> Any:
    names = cls.__dataclass_fields__
    values = {k: v for k, v in row._mapping.items() if k in names}
    return cls(**values, **extra)


# -- accounts ----------------------------------------------------------------------------------


def insert_account(
    conn: Connection, *, listener_id: str, username: str, password_hash: str, at: datetime
) -> AccountRecord:
    """Create the account of an existing listener."""
    conn.execute(
        accounts.insert().values(
            listener_id=listener_id,
            username=username,
            password_hash=password_hash,
            disabled=False,
            created_at=at,
            password_changed_at=at,
        )
    )
    return AccountRecord(listener_id, username, password_hash, False, at, at)


def get_account(
    conn: Connection, *, listener_id: str | None = None, username: str | None = None
) -> AccountRecord | None:
    """The account of a listener, or by username (exactly one of the two)."""
    assert (listener_id is None) != (username is None)
    where = (
        accounts.c.listener_id == listener_id
        if listener_id is not None
        else accounts.c.username == username
    )
    row = conn.execute(sa.select(accounts).where(where)).first()
    return None if row is None else _record(AccountRecord, row)


def get_account_by_reset(conn: Connection, token_hash: str) -> AccountRecord | None:
    row = conn.execute(sa.select(accounts).where(accounts.c.reset_token_hash == token_hash)).first()
    return None if row is None else _record(AccountRecord, row)


def list_accounts(conn: Connection) -> list[AccountRecord]:
    rows = conn.execute(sa.select(accounts).order_by(accounts.c.username))
    return [_record(AccountRecord, r) for r in rows]


def set_password(conn: Connection, listener_id: str, password_hash: str, at: datetime) -> bool:
    """Replace the password hash (and use up any reset token)."""
    result = conn.execute(
        accounts.update()
        .where(accounts.c.listener_id == listener_id)
        .values(
            password_hash=password_hash,
            password_changed_at=at,
            reset_token_hash=None,
            reset_expires_at=None,
        )
    )
    return bool(result.rowcount)


def set_disabled(conn: Connection, listener_id: str, disabled: bool) -> bool:
    result = conn.execute(
        accounts.update().where(accounts.c.listener_id == listener_id).values(disabled=disabled)
    )
    return bool(result.rowcount)


def set_reset_token(
    conn: Connection, listener_id: str, token_hash: str, expires_at: datetime
) -> None:
    conn.execute(
        accounts.update()
        .where(accounts.c.listener_id == listener_id)
        .values(reset_token_hash=token_hash, reset_expires_at=expires_at)
    )


# -- sign-in sessions --------------------------------------------------------------------------


def insert_auth_session(
    conn: Connection, record: AuthSessionRecord, *, token_hash: str
) -> AuthSessionRecord:
    conn.execute(
        auth_sessions.insert().values(
            id=record.id,
            listener_id=record.listener_id,
            token_hash=token_hash,
            user_agent=record.user_agent,
            created_at=record.created_at,
            last_seen_at=record.last_seen_at,
            expires_at=record.expires_at,
        )
    )
    return record


def find_auth_session(
    conn: Connection, token_hash: str
) -> tuple[AuthSessionRecord, AccountRecord] | None:
    """The session with this token hash and its account (expired or not: the caller decides)."""
    row = conn.execute(
        sa.select(
            auth_sessions,
            accounts.c.username,
            accounts.c.password_hash,
            accounts.c.disabled,
            accounts.c.password_changed_at,
            accounts.c.created_at.label("account_created_at"),
        )
        .join(accounts, accounts.c.listener_id == auth_sessions.c.listener_id)
        .where(auth_sessions.c.token_hash == token_hash)
    ).first()
    if row is None:
        return None
    m = row._mapping
    account = AccountRecord(
        m["listener_id"], m["username"], m["password_hash"], m["disabled"],
        m["account_created_at"], m["password_changed_at"],
    )  # fmt: skip
    return _record(AuthSessionRecord, row), account


def touch_auth_session(
    conn: Connection, session_id: str, *, at: datetime, expires_at: datetime
) -> None:
    conn.execute(
        auth_sessions.update()
        .where(auth_sessions.c.id == session_id)
        .values(last_seen_at=at, expires_at=expires_at)
    )


def list_auth_sessions(conn: Connection, listener_id: str) -> list[AuthSessionRecord]:
    rows = conn.execute(
        sa.select(auth_sessions)
        .where(auth_sessions.c.listener_id == listener_id)
        .order_by(auth_sessions.c.last_seen_at.desc(), auth_sessions.c.id)
    )
    return [_record(AuthSessionRecord, r) for r in rows]


def delete_auth_sessions(
    conn: Connection,
    listener_id: str,
    *,
    session_id: str | None = None,
    except_id: str | None = None,
) -> int:
    """End one session of the listener, or all of them (but ``except_id``)."""
    stmt = auth_sessions.delete().where(auth_sessions.c.listener_id == listener_id)
    if session_id is not None:
        stmt = stmt.where(auth_sessions.c.id == session_id)
    if except_id is not None:
        stmt = stmt.where(auth_sessions.c.id != except_id)
    return int(conn.execute(stmt).rowcount)


def delete_expired_auth_sessions(conn: Connection, now: datetime) -> int:
    return int(
        conn.execute(auth_sessions.delete().where(auth_sessions.c.expires_at <= now)).rowcount
    )


# -- API tokens --------------------------------------------------------------------------------


def insert_api_token(conn: Connection, record: ApiTokenRecord, *, token_hash: str) -> None:
    conn.execute(
        api_tokens.insert().values(
            id=record.id,
            listener_id=record.listener_id,
            name=record.name,
            token_hash=token_hash,
            prefix=record.prefix,
            created_at=record.created_at,
            last_used_at=None,
        )
    )


def find_api_token(
    conn: Connection, token_hash: str
) -> tuple[ApiTokenRecord, AccountRecord] | None:
    row = conn.execute(sa.select(api_tokens).where(api_tokens.c.token_hash == token_hash)).first()
    if row is None:
        return None
    account = get_account(conn, listener_id=row.listener_id)
    if account is None:
        return None
    return _record(ApiTokenRecord, row), account


def touch_api_token(conn: Connection, token_id: str, at: datetime) -> None:
    conn.execute(api_tokens.update().where(api_tokens.c.id == token_id).values(last_used_at=at))


def list_api_tokens(conn: Connection, listener_id: str) -> list[ApiTokenRecord]:
    rows = conn.execute(
        sa.select(api_tokens)
        .where(api_tokens.c.listener_id == listener_id)
        .order_by(api_tokens.c.created_at, api_tokens.c.id)
    )
    return [_record(ApiTokenRecord, r) for r in rows]


def delete_api_token(conn: Connection, listener_id: str, token_id: str) -> bool:
    result = conn.execute(
        api_tokens.delete().where(
            api_tokens.c.listener_id == listener_id, api_tokens.c.id == token_id
        )
    )
    return bool(result.rowcount)


# -- sign-in failures (rate limit) -------------------------------------------------------------


def add_sign_in_failures(conn: Connection, keys: list[str], at: datetime) -> None:
    conn.execute(sign_in_failures.insert(), [{"key": k, "at": at} for k in keys])


def count_sign_in_failures(
    conn: Connection, key: str, since: datetime
) -> tuple[int, datetime | None]:
    """Failures under ``key`` since ``since``, and the oldest of them (for Retry-After)."""
    row = conn.execute(
        sa.select(sa.func.count(), sa.func.min(sign_in_failures.c.at)).where(
            sign_in_failures.c.key == key, sign_in_failures.c.at > since
        )
    ).one()
    oldest: datetime | None = row[1]  # min() keeps the column type: aware UTC
    return int(row[0]), oldest


def clear_sign_in_failures(
    conn: Connection, *, key: str | None = None, before: datetime | None = None
) -> None:
    """Forget the failures of one key, or all failures older than ``before``."""
    stmt = sign_in_failures.delete()
    if key is not None:
        stmt = stmt.where(sign_in_failures.c.key == key)
    if before is not None:
        stmt = stmt.where(sign_in_failures.c.at <= before)
    conn.execute(stmt)


# -- therapist links ---------------------------------------------------------------------------

_therapist = listeners.alias("therapist")
_listener = listeners.alias("listener")


def _links_query() -> sa.Select[Any]:
    return (
        sa.select(
            therapist_links,
            _listener.c.display_name.label("listener_name"),
            _therapist.c.display_name.label("therapist_name"),
        )
        .join(_listener, _listener.c.id == therapist_links.c.listener_id)
        .outerjoin(_therapist, _therapist.c.id == therapist_links.c.therapist_id)
        .order_by(therapist_links.c.created_at, therapist_links.c.id)
    )


def insert_invite(conn: Connection, record: LinkRecord, *, code_hash: str) -> LinkRecord:
    conn.execute(
        therapist_links.insert().values(
            id=record.id,
            listener_id=record.listener_id,
            therapist_id=None,
            code_hash=code_hash,
            code_expires_at=record.code_expires_at,
            share_notes=record.share_notes,
            created_at=record.created_at,
            accepted_at=None,
        )
    )
    return record


def find_invite(conn: Connection, code_hash: str) -> LinkRecord | None:
    row = conn.execute(_links_query().where(therapist_links.c.code_hash == code_hash)).first()
    return None if row is None else _record(LinkRecord, row)


def accept_invite(conn: Connection, link_id: str, therapist_id: str, at: datetime) -> bool:
    """Bind the invitation to the therapist and use up its code (once only)."""
    result = conn.execute(
        therapist_links.update()
        .where(therapist_links.c.id == link_id, therapist_links.c.therapist_id.is_(None))
        .values(therapist_id=therapist_id, accepted_at=at, code_hash=None, code_expires_at=None)
    )
    return bool(result.rowcount)


def get_link(conn: Connection, *, listener_id: str, therapist_id: str) -> LinkRecord | None:
    """The accepted link between this listener and therapist, if any."""
    row = conn.execute(
        _links_query().where(
            therapist_links.c.listener_id == listener_id,
            therapist_links.c.therapist_id == therapist_id,
        )
    ).first()
    return None if row is None else _record(LinkRecord, row)


def links_of_listener(conn: Connection, listener_id: str) -> list[LinkRecord]:
    rows = conn.execute(_links_query().where(therapist_links.c.listener_id == listener_id))
    return [_record(LinkRecord, r) for r in rows]


def links_of_therapist(conn: Connection, therapist_id: str) -> list[LinkRecord]:
    rows = conn.execute(_links_query().where(therapist_links.c.therapist_id == therapist_id))
    return [_record(LinkRecord, r) for r in rows]


def set_link_notes(conn: Connection, listener_id: str, link_id: str, share_notes: bool) -> bool:
    result = conn.execute(
        therapist_links.update()
        .where(therapist_links.c.listener_id == listener_id, therapist_links.c.id == link_id)
        .values(share_notes=share_notes)
    )
    return bool(result.rowcount)


def delete_link(conn: Connection, listener_id: str, link_id: str) -> LinkRecord | None:
    """Revoke: the link row goes (with its unused code); returns what was removed."""
    row = conn.execute(
        _links_query().where(
            therapist_links.c.listener_id == listener_id, therapist_links.c.id == link_id
        )
    ).first()
    if row is None:
        return None
    conn.execute(therapist_links.delete().where(therapist_links.c.id == link_id))
    return _record(LinkRecord, row)


# -- suggestions -------------------------------------------------------------------------------


def insert_suggestion(
    conn: Connection,
    *,
    listener_id: str,
    therapist_id: str,
    goal: str,
    tracks: int | None,
    message: str | None,
    at: datetime,
) -> int:
    return int(
        conn.execute(
            suggestions.insert()
            .values(
                listener_id=listener_id,
                therapist_id=therapist_id,
                goal=goal,
                tracks=tracks,
                message=message,
                state="open",
                created_at=at,
            )
            .returning(suggestions.c.id)
        ).scalar_one()
    )


def list_suggestions(
    conn: Connection, listener_id: str, *, therapist_id: str | None = None
) -> list[SuggestionRecord]:
    query = (
        sa.select(suggestions, _therapist.c.display_name.label("therapist_name"))
        .join(_therapist, _therapist.c.id == suggestions.c.therapist_id)
        .where(suggestions.c.listener_id == listener_id)
        .order_by(suggestions.c.created_at.desc(), suggestions.c.id.desc())
    )
    if therapist_id is not None:
        query = query.where(suggestions.c.therapist_id == therapist_id)
    return [_record(SuggestionRecord, r) for r in conn.execute(query)]


def answer_suggestion(
    conn: Connection, listener_id: str, suggestion_id: int, state: str, at: datetime
) -> SuggestionRecord | None:
    """Accept or decline an open suggestion of this listener (``None`` if there is none)."""
    result = conn.execute(
        suggestions.update()
        .where(
            suggestions.c.listener_id == listener_id,
            suggestions.c.id == suggestion_id,
            suggestions.c.state == "open",
        )
        .values(state=state, answered_at=at)
    )
    if not result.rowcount:
        return None
    found = [s for s in list_suggestions(conn, listener_id) if s.id == suggestion_id]
    return found[0] if found else None


# -- access log --------------------------------------------------------------------------------


def log_access(
    conn: Connection, *, listener_id: str, reader_id: str, reader_name: str, what: str, at: datetime
) -> None:
    conn.execute(
        access_log.insert().values(
            listener_id=listener_id,
            reader_id=reader_id,
            reader_name=reader_name[:64],
            what=what[:200],
            at=at,
        )
    )


def list_access(conn: Connection, listener_id: str, *, limit: int = 200) -> list[AccessRecord]:
    rows = conn.execute(
        sa.select(access_log)
        .where(access_log.c.listener_id == listener_id)
        .order_by(access_log.c.at.desc(), access_log.c.id.desc())
        .limit(limit)
    )
    return [_record(AccessRecord, r) for r in rows]
