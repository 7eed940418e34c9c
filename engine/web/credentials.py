"""Secrets of the web layer: argon2 password hashes, random session ids and API tokens, and their digests.

Only digests (SHA-256) of session ids and API tokens are stored; the client keeps the secret. Tokens look
like ``pr_<43 url-safe characters>`` so they are recognisable in a leaked log.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from perfrules.storage import Database, access

TOKEN_PREFIX = "pr_"
_HASHER = PasswordHasher()
# A hash of a password nobody knows: verifying against it for unknown users costs the same time as for
# known ones, so the sign-in form does not tell which user names exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``; None (no such user) still spends the hashing time."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def digest(secret: str) -> str:
    """The stored form of a session id or API token: hex SHA-256."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def issue_token(
    db: Database,
    *,
    name: str,
    role: str,
    employee_id: str | None,
    now: datetime,
    actor: str,
    expires_at: datetime | None = None,
) -> str:
    """Create an API token in ``db`` (its digest and prefix stored) and return its secret, to show once."""
    secret = new_token()
    access.create_token(
        db,
        name=name,
        digest=digest(secret),
        prefix=secret[:8],
        role=role,
        employee_id=employee_id,
        now=now,
        actor=actor,
        expires_at=expires_at,
    )
    return secret


def new_session_id() -> str:
    return secrets.token_urlsafe(32)
