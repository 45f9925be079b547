"""Accounts: sign-up, sign-in with a rate limit, sessions, password change and reset, API tokens.

Every account owns one listener (its ``listener_id`` is the account's key), so everything a
listener does keeps working unchanged once ``current_listener`` resolves the account. The web
and the CLI (``moodtune admin``) call these functions; secrets are handled in
``moodtune.app.credentials``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from moodtune.app.credentials import (
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
    hash_password,
    keyed_hash,
    needs_rehash,
    new_token,
    same_secret,
    verify_password,
)
from moodtune.config import Settings
from moodtune.errors import InputError, MoodtuneError, NotFoundError
from moodtune.store import accounts as store
from moodtune.store import read_transaction, single_read, write_transaction
from moodtune.store.tables import utcnow

__all__ = [
    "RESET_TOKEN_HOURS",
    "AccountView",
    "AuthFailed",
    "NewApiToken",
    "Principal",
    "RateLimited",
    "SignInSessionView",
    "SignedIn",
    "TokenView",
    "account_view",
    "authenticate_session",
    "authenticate_token",
    "change_password",
    "create_api_token",
    "disable_account",
    "end_sessions",
    "issue_reset_token",
    "list_accounts",
    "list_api_tokens",
    "list_sign_in_sessions",
    "reset_password",
    "revoke_api_token",
    "sign_in",
    "sign_out",
    "sign_up",
]

RESET_TOKEN_HOURS = 24.0
"""How long a reset token printed by ``moodtune admin reset-password`` stays usable."""
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
TOUCH_EVERY = timedelta(minutes=5)
"""A session's last-seen time is written at most this often (not on every request)."""


class AuthFailed(MoodtuneError):
    """Wrong username or password, a disabled account, or an unknown/expired token."""


class RateLimited(MoodtuneError):
    """Too many failed sign-ins for this account or from this address; says when to retry."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class AccountView:
    """An account as people see it (never its hash)."""

    listener_id: str
    username: str
    disabled: bool
    created_at: datetime
    password_changed_at: datetime


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: the account's listener, and how they proved it."""

    listener_id: str
    username: str
    via: Literal["session", "token"]
    session_id: str | None = None


@dataclass(frozen=True)
class SignedIn:
    """A new sign-in session: the cookie value (shown to the browser once) and its expiry."""

    principal: Principal
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class SignInSessionView:
    """One signed-in browser session, for "where you are signed in"."""

    id: str
    user_agent: str | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    current: bool


@dataclass(frozen=True)
class TokenView:
    """A personal API token as listed: name, first characters, when made and last used."""

    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class NewApiToken:
    """A token just made: ``token`` is shown this once and never stored."""

    token: str = field(
        metadata={"description": "Send as 'Authorization: Bearer <token>'; shown only now."}
    )
    listed: TokenView


def account_view(record: store.AccountRecord) -> AccountView:
    return AccountView(
        listener_id=record.listener_id,
        username=record.username,
        disabled=record.disabled,
        created_at=record.created_at,
        password_changed_at=record.password_changed_at,
    )


# -- checks ------------------------------------------------------------------------------------


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive and trimmed: ``" Ana "`` signs in as ``ana``."""
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME.fullmatch(name):
        raise InputError(
            "not a usable username",
            field="username",
            value=username,
            allowed="3 to 64 characters: letters, digits, '.', '_' or '-', starting with a "
            "letter or digit",
        )
    return name


def check_text(value: str, *, field: str, max_chars: int, multiline: bool = False) -> str:
    """Trimmed free text people type (a token's name, a therapist's message): no control
    characters (PostgreSQL cannot store NUL; none belongs in a name), at most ``max_chars``."""
    import unicodedata

    text = value.strip()
    allowed = "\n\t" if multiline else ""
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in text):
        raise InputError("control characters are not allowed", field=field, value=value)
    if not text or len(text) > max_chars:
        raise InputError(
            "needs some text", field=field, value=value, allowed=f"1 to {max_chars} characters"
        )
    return text


def check_password(password: str, *, username: str, field: str = "password") -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(
            f"the password is too short ({len(password)} characters)",
            field=field,
            allowed=f"at least {MIN_PASSWORD_CHARS} characters (a few words work well)",
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise InputError(
            "the password is too long", field=field,
            allowed=f"at most {MAX_PASSWORD_CHARS} characters",
        )  # fmt: skip
    if normalise_username(password) == username:
        raise InputError("the password cannot be the username", field=field)
    return password


# -- sign-up, admin ----------------------------------------------------------------------------


def sign_up(
    engine: Engine,
    *,
    username: str,
    password: str,
    display_name: str | None = None,
    keep_notes: bool = False,
    learning: bool = True,
) -> AccountView:
    """Create an account and the listener it owns (the survey comes later, on its page)."""
    from moodtune.sessions import create_listener, delete_listener

    name = check_username(username)
    check_password(password, username=name)
    with read_transaction(engine) as conn:
        if store.get_account(conn, username=name) is not None:
            raise InputError("this username is taken", field="username", value=name)
    password_hash = hash_password(password)
    person = create_listener(
        engine, display_name=display_name, consent_notes=keep_notes, consent_learning=learning
    )
    try:
        with write_transaction(engine) as conn:
            made = store.insert_account(
                conn, listener_id=person.id, username=name, password_hash=password_hash,
                at=utcnow(),
            )  # fmt: skip
    except IntegrityError:  # the same name, taken a moment ago by a concurrent sign-up
        delete_listener(engine, person.id)
        raise InputError("this username is taken", field="username", value=name) from None
    return account_view(made)


def list_accounts(engine: Engine) -> list[AccountView]:
    with read_transaction(engine) as conn:
        return [account_view(a) for a in store.list_accounts(conn)]


def _account(conn: object, username: str) -> store.AccountRecord:
    from sqlalchemy import Connection

    assert isinstance(conn, Connection)
    found = store.get_account(conn, username=normalise_username(username))
    if found is None:
        raise NotFoundError("no such account", field="username", value=username)
    return found


def disable_account(engine: Engine, username: str, *, disabled: bool = True) -> AccountView:
    """Disable (or enable again) an account; disabling ends its sessions and API tokens."""
    with write_transaction(engine) as conn:
        account = _account(conn, username)
        store.set_disabled(conn, account.listener_id, disabled)
        if disabled:
            store.delete_auth_sessions(conn, account.listener_id)
            for token in store.list_api_tokens(conn, account.listener_id):
                store.delete_api_token(conn, account.listener_id, token.id)
        updated = store.get_account(conn, listener_id=account.listener_id)
    assert updated is not None
    return account_view(updated)


def issue_reset_token(
    engine: Engine, settings: Settings, username: str, *, hours: float = RESET_TOKEN_HOURS
) -> tuple[str, datetime]:
    """A one-time password-reset token for ``username`` (replacing any earlier one)."""
    token = new_token("reset")
    expires = utcnow() + timedelta(hours=hours)
    with write_transaction(engine) as conn:
        account = _account(conn, username)
        store.set_reset_token(
            conn, account.listener_id, keyed_hash(settings.secret_bytes(), "reset", token), expires
        )
    return token, expires


def reset_password(
    engine: Engine, settings: Settings, *, token: str, new_password: str
) -> AccountView:
    """Set a new password with a reset token; it works once, and every session ends."""
    digest = keyed_hash(settings.secret_bytes(), "reset", token.strip())
    with write_transaction(engine) as conn:
        account = store.get_account_by_reset(conn, digest)
        if (
            account is None
            or account.reset_expires_at is None
            or account.reset_expires_at <= utcnow()
        ):
            raise InputError(
                "this reset token is unknown, used or expired", field="token",
                allowed="a token from `moodtune admin reset-password USERNAME` (valid "
                f"{RESET_TOKEN_HOURS:.0f} h, once)",
            )  # fmt: skip
        check_password(new_password, username=account.username, field="new_password")
        store.set_password(conn, account.listener_id, hash_password(new_password), utcnow())
        store.delete_auth_sessions(conn, account.listener_id)
        store.clear_sign_in_failures(conn, key=_failure_key(settings, "account", account.username))
        updated = store.get_account(conn, listener_id=account.listener_id)
    assert updated is not None
    return account_view(updated)


# -- sign-in -----------------------------------------------------------------------------------


def _failure_key(settings: Settings, kind: Literal["account", "address"], value: str) -> str:
    return f"{kind}:{keyed_hash(settings.secret_bytes(), 'sign-in', value)[:40]}"


def _check_rate(engine: Engine, settings: Settings, keys: dict[str, str]) -> None:
    window = timedelta(minutes=settings.sign_in_window_minutes)
    now = utcnow()
    with read_transaction(engine) as conn:
        for what, key in keys.items():
            count, oldest = store.count_sign_in_failures(conn, key, now - window)
            if count >= settings.sign_in_limit and oldest is not None:
                wait = max(int((oldest + window - now).total_seconds()) + 1, 1)
                minutes = max(round(wait / 60), 1)
                raise RateLimited(
                    f"too many failed sign-ins {what}: please wait about {minutes} minute(s) "
                    "and try again (or ask whoever runs this moodtune to reset your password)",
                    retry_after_s=wait,
                )


def sign_in(
    engine: Engine,
    settings: Settings,
    *,
    username: str,
    password: str,
    address: str,
    user_agent: str | None = None,
) -> SignedIn:
    """Check the password and start a session; ``RateLimited`` after too many failures for this
    account or from this address within the window, ``AuthFailed`` when it does not match."""
    name = normalise_username(username)
    keys = {
        "for this account": _failure_key(settings, "account", name),
        "from this address": _failure_key(settings, "address", address),
    }
    _check_rate(engine, settings, keys)
    with read_transaction(engine) as conn:
        account = store.get_account(conn, username=name)
    password_ok = verify_password(
        None if account is None else account.password_hash, password[:MAX_PASSWORD_CHARS]
    )
    if account is None or not password_ok or account.disabled:
        now = utcnow()
        with write_transaction(engine) as conn:
            store.add_sign_in_failures(conn, list(keys.values()), now)
            store.clear_sign_in_failures(
                conn, before=now - timedelta(minutes=settings.sign_in_window_minutes)
            )
        raise AuthFailed("that username and password do not match an active account")
    token = new_token("session")
    now = utcnow()
    record = store.AuthSessionRecord(
        id=uuid.uuid4().hex,
        listener_id=account.listener_id,
        user_agent=(user_agent or "")[:200] or None,
        created_at=now,
        last_seen_at=now,
        expires_at=_expiry(settings, created=now, seen=now),
    )
    with write_transaction(engine) as conn:
        store.insert_auth_session(
            conn, record, token_hash=keyed_hash(settings.secret_bytes(), "session", token)
        )
        store.clear_sign_in_failures(conn, key=keys["for this account"])
        store.delete_expired_auth_sessions(conn, now)
        if needs_rehash(account.password_hash):
            store.set_password(conn, account.listener_id, hash_password(password), now)
    principal = Principal(account.listener_id, account.username, "session", record.id)
    return SignedIn(principal=principal, token=token, expires_at=record.expires_at)


def _expiry(settings: Settings, *, created: datetime, seen: datetime) -> datetime:
    """A session ends after ``session_idle_hours`` unused or ``session_max_days`` after sign-in."""
    return min(
        seen + timedelta(hours=settings.session_idle_hours),
        created + timedelta(days=settings.session_max_days),
    )


def authenticate_session(engine: Engine, settings: Settings, token: str) -> Principal | None:
    """The principal of a session cookie, or ``None`` when it is unknown, expired or disabled."""
    if not token:
        return None
    digest = keyed_hash(settings.secret_bytes(), "session", token)
    now = utcnow()
    with single_read(engine) as conn:
        found = store.find_auth_session(conn, digest)
    if found is None:
        return None
    session, account = found
    if session.expires_at <= now or account.disabled:
        return None
    if now - session.last_seen_at >= TOUCH_EVERY:
        with write_transaction(engine) as conn:
            store.touch_auth_session(
                conn, session.id, at=now,
                expires_at=_expiry(settings, created=session.created_at, seen=now),
            )  # fmt: skip
    return Principal(account.listener_id, account.username, "session", session.id)


def authenticate_token(engine: Engine, settings: Settings, token: str) -> Principal | None:
    """The principal of a personal API token (``Authorization: Bearer mtk_...``)."""
    if not token:
        return None
    digest = keyed_hash(settings.secret_bytes(), "api", token)
    with read_transaction(engine) as conn:
        found = store.find_api_token(conn, digest)
    if found is None:
        return None
    record, account = found
    if account.disabled:
        return None
    now = utcnow()
    if record.last_used_at is None or now - record.last_used_at >= TOUCH_EVERY:
        with write_transaction(engine) as conn:
            store.touch_api_token(conn, record.id, now)
    return Principal(account.listener_id, account.username, "token")


def sign_out(engine: Engine, principal: Principal) -> None:
    """End the session this request came with."""
    if principal.session_id is None:
        return
    with write_transaction(engine) as conn:
        store.delete_auth_sessions(conn, principal.listener_id, session_id=principal.session_id)


def end_sessions(
    engine: Engine, principal: Principal, *, session_id: str | None = None, keep_current: bool
) -> int:
    """End one of the listener's sessions (``session_id``) or all of them ("sign out
    everywhere"; ``keep_current`` keeps the one making the request). Returns how many ended."""
    with write_transaction(engine) as conn:
        return store.delete_auth_sessions(
            conn,
            principal.listener_id,
            session_id=session_id,
            except_id=principal.session_id if keep_current else None,
        )


def list_sign_in_sessions(engine: Engine, principal: Principal) -> list[SignInSessionView]:
    now = utcnow()
    with read_transaction(engine) as conn:
        found = store.list_auth_sessions(conn, principal.listener_id)
    return [
        SignInSessionView(
            id=s.id,
            user_agent=s.user_agent,
            created_at=s.created_at,
            last_seen_at=s.last_seen_at,
            expires_at=s.expires_at,
            current=s.id == principal.session_id,
        )
        for s in found
        if s.expires_at > now
    ]


def change_password(engine: Engine, principal: Principal, *, current: str, new: str) -> AccountView:
    """Change the password (the current one is asked again); other sessions end."""
    with read_transaction(engine) as conn:
        account = store.get_account(conn, listener_id=principal.listener_id)
    if account is None:
        raise NotFoundError("no such account", field="account")
    if not verify_password(account.password_hash, current[:MAX_PASSWORD_CHARS]):
        raise InputError("this is not your current password", field="current_password")
    check_password(new, username=account.username, field="new_password")
    if same_secret(current, new):
        raise InputError("the new password is the same as the current one", field="new_password")
    with write_transaction(engine) as conn:
        store.set_password(conn, account.listener_id, hash_password(new), utcnow())
        store.delete_auth_sessions(conn, account.listener_id, except_id=principal.session_id)
        updated = store.get_account(conn, listener_id=account.listener_id)
    assert updated is not None
    return account_view(updated)


# -- API tokens --------------------------------------------------------------------------------


def _token_view(record: store.ApiTokenRecord) -> TokenView:
    return TokenView(
        id=record.id, name=record.name, prefix=record.prefix, created_at=record.created_at,
        last_used_at=record.last_used_at,
    )  # fmt: skip


def create_api_token(
    engine: Engine, settings: Settings, principal: Principal, *, name: str
) -> NewApiToken:
    """A new personal API token; the token itself is returned this once."""
    label = check_text(name, field="name", max_chars=100)
    token = new_token("api")
    record = store.ApiTokenRecord(
        id=uuid.uuid4().hex, listener_id=principal.listener_id, name=label, prefix=token[:8],
        created_at=utcnow(), last_used_at=None,
    )  # fmt: skip
    with write_transaction(engine) as conn:
        store.insert_api_token(
            conn, record, token_hash=keyed_hash(settings.secret_bytes(), "api", token)
        )
    return NewApiToken(token=token, listed=_token_view(record))


def list_api_tokens(engine: Engine, principal: Principal) -> list[TokenView]:
    with read_transaction(engine) as conn:
        return [_token_view(t) for t in store.list_api_tokens(conn, principal.listener_id)]


def revoke_api_token(engine: Engine, principal: Principal, token_id: str) -> None:
    """Revoke one of your tokens: it stops working at once (404 for anyone else's)."""
    with write_transaction(engine) as conn:
        if not store.delete_api_token(conn, principal.listener_id, token_id):
            raise NotFoundError("no such token", field="token_id", value=token_id)
