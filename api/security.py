"""Passwords, tokens and keys: how each secret is made, kept and checked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt
from pwdlib import PasswordHash

from infra.settings import Settings

PROJECT_KEY_PREFIX = "phc_"
PERSONAL_KEY_PREFIX = "phx_"
KEY_BYTES = 32  # 256 bits of randomness: guessing is hopeless, so a fast hash is enough to keep the key
ALGORITHM = "HS256"
MAX_USER_ID = 2**31 - 1  # user ids are PostgreSQL integers
TokenKind = Literal["access", "refresh"]

_passwords = PasswordHash.recommended()  # argon2id with the library's current parameters


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _passwords.verify(password, password_hash)


# A hash to verify against when the e-mail is unknown, so a log-in takes as long either way.
DUMMY_PASSWORD_HASH = hash_password(secrets.token_urlsafe(16))


def new_project_key() -> str:
    return PROJECT_KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


def new_personal_key() -> str:
    return PERSONAL_KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


def hash_key(key: str) -> str:
    """SHA-256 of a random key: it cannot be reversed, and the key can still be looked up by it."""
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(settings: Settings, user_id: int, kind: TokenKind) -> str:
    now = datetime.now(UTC)
    lifetime = (
        timedelta(minutes=settings.access_token_minutes)
        if kind == "access"
        else timedelta(days=settings.refresh_token_days)
    )
    claims = {"sub": str(user_id), "kind": kind, "iat": now, "exp": now + lifetime, "jti": secrets.token_hex(8)}
    return jwt.encode(claims, settings.signing_key(), algorithm=ALGORITHM)


def read_token(settings: Settings, token: str, kind: TokenKind) -> int | None:
    """The user id in a valid, unexpired token of that kind; None for anything else."""
    try:
        claims = jwt.decode(token, settings.signing_key(), algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        return None
    subject = str(claims["sub"])
    if claims.get("kind") != kind or not subject.isdigit() or not 0 < int(subject) <= MAX_USER_ID:
        return None
    return int(subject)
