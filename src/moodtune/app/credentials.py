"""Passwords, tokens and their comparison: the one place moodtune handles secrets.

- Passwords: argon2id with OWASP's Password Storage Cheat Sheet configuration (19 MiB,
  2 passes, 1 lane: ``ARGON2_PARAMETERS``), rehashed on sign-in when a stored hash was made
  with other parameters (RFC 9106's 64 MiB / 3 passes / 4 lanes, which moodtune used before).
- Tokens (session cookies, API tokens, reset tokens, invite codes) are random
  (``secrets``), shown once, and stored only as HMAC-SHA256 under the secret key with a
  purpose label, so a stolen database does not sign anyone in and one kind cannot stand in
  for another. Every comparison of secrets goes through ``hmac.compare_digest``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from functools import lru_cache
from typing import Literal

from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "ARGON2_PARAMETERS",
    "MAX_PASSWORD_CHARS",
    "MIN_PASSWORD_CHARS",
    "Purpose",
    "hash_password",
    "keyed_hash",
    "needs_rehash",
    "new_invite_code",
    "new_token",
    "same_secret",
    "verify_password",
]

MIN_PASSWORD_CHARS = 10
"""NIST SP 800-63B asks for at least 8; 10 costs people little."""
MAX_PASSWORD_CHARS = 1024
"""Longer input is refused before hashing (argon2 would hash it, slowly, for nothing)."""

Purpose = Literal["session", "api", "reset", "invite", "csrf", "sign-in"]
TOKEN_PREFIXES: dict[str, str] = {"api": "mtk_", "reset": "mtr_", "session": ""}
_INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read aloud safely


ARGON2_PARAMETERS = Parameters(
    type=Type.ID, version=19, salt_len=16, hash_len=32,
    time_cost=2, memory_cost=19 * 1024, parallelism=1,
)  # fmt: skip
"""argon2id as OWASP's Password Storage Cheat Sheet lists it (m=19 MiB, t=2, p=1), the
configuration it gives the same strength as m=46 MiB, t=1 and m=7 MiB, t=5. One lane keeps a
sign-in on one core: a verification costs ~55 ms of CPU here, against ~350 ms (spread over four
threads that take both cores) for RFC 9106's t=3, m=64 MiB, p=4, which let a wave of sign-ins
stop every other request on a two-core server (``docs/benchmarks.md``)."""

ARGON2_SLOTS = max(1, os.cpu_count() or 1)
"""argon2 computations at once per process: each takes one core and 19 MiB, so more at once
than cores only thrash; the rest wait their turn."""
_slots = threading.BoundedSemaphore(ARGON2_SLOTS)


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher.from_parameters(ARGON2_PARAMETERS)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (encoded with its salt and parameters)."""
    with _slots:
        return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no stored hash a dummy one is checked, so an unknown
    username takes as long as a wrong password (no account enumeration by timing)."""
    target = stored_hash or _dummy_hash()
    try:
        with _slots:
            ok = _hasher().verify(target, password)
        return ok and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with other parameters than ``ARGON2_PARAMETERS`` (sign-in
    then stores a fresh hash of the password it has just checked)."""
    return _hasher().check_needs_rehash(stored_hash)


def new_token(purpose: Purpose) -> str:
    """A fresh random token (256 bits), with a prefix saying what it is for."""
    return TOKEN_PREFIXES.get(purpose, "") + secrets.token_urlsafe(32)


def new_invite_code() -> str:
    """A one-time invitation code people can read out or type: ``XXXX-XXXX-XXXX`` (59 bits)."""
    chars = "".join(secrets.choice(_INVITE_ALPHABET) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def normalise_invite_code(code: str) -> str:
    """The code as typed (any case, spaces or dashes) in the form ``new_invite_code`` makes."""
    chars = "".join(c for c in code.upper() if c.isalnum())
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def keyed_hash(secret: bytes, purpose: Purpose, value: str) -> str:
    """HMAC-SHA256 of ``value`` under the secret key and a purpose label (64 hex characters)."""
    message = purpose.encode("ascii") + b"\x00" + value.encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def same_secret(a: str | None, b: str | None) -> bool:
    """Timing-safe equality of two secrets (``None`` or empty never matches)."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
