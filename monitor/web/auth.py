"""Who is asking: local users (argon2id), a trusted proxy header, or a signed digest link.

The session is a signed cookie (HMAC-SHA256 over JSON) carrying a random session id,
the user and an expiry; it holds no password and no token. CSRF tokens are an HMAC of
the session id, so every form is bound to the browser that loaded it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.models import User

logger = logging.getLogger(__name__)

ROLES = ("comms", "manager", "it")
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 12

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory parameters.
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    """An argon2id hash; refuses passwords shorter than MIN_PASSWORD_LENGTH."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


@dataclass(frozen=True, slots=True)
class Viewer:
    """The person behind a request and what they may see."""

    email: str
    role: str
    # A digest link limits the viewer to these accounts (on top of being their manager).
    link_accounts: tuple[str, ...] | None = None

    @property
    def sees_all(self) -> bool:
        return self.role in ("comms", "it") and self.link_accounts is None

    @property
    def can_mute(self) -> bool:
        # Muting hides a lapse from the digest: a district decision, not the manager's.
        return self.sees_all

    @property
    def via_link(self) -> bool:
        return self.link_accounts is not None


@dataclass(slots=True)
class SessionData:
    """The content of the session cookie."""

    sid: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    email: str = ""
    role: str = ""
    link_accounts: list[str] | None = None
    expires: int = 0

    def viewer(self) -> Viewer | None:
        if not self.email or self.role not in ROLES:
            return None
        links = tuple(self.link_accounts) if self.link_accounts is not None else None
        return Viewer(self.email, self.role, links)


class SessionCodec:
    """Signs and reads the session cookie with its own sub-key."""

    def __init__(self, key: bytes, csrf_key: bytes) -> None:
        self._key = key
        self._csrf_key = csrf_key

    def dump(self, data: SessionData) -> str:
        body = json.dumps(
            {
                "s": data.sid,
                "e": data.email,
                "r": data.role,
                "l": data.link_accounts,
                "x": data.expires,
            },
            separators=(",", ":"),
        ).encode()
        payload = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
        return f"{payload}.{self._sign(payload)}"

    def load(self, cookie: str | None, now: datetime) -> SessionData | None:
        """The session, or None when missing, forged or expired."""
        if not cookie:
            return None
        payload, _, signature = cookie.partition(".")
        if not hmac.compare_digest(self._sign(payload), signature):
            return None
        try:
            raw: dict[str, Any] = json.loads(
                base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            )
            data = SessionData(
                sid=str(raw["s"]),
                email=str(raw["e"]),
                role=str(raw["r"]),
                link_accounts=raw["l"],
                expires=int(raw["x"]),
            )
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        if data.expires and data.expires <= int(now.timestamp()):
            return None
        return data

    def csrf_token(self, sid: str) -> str:
        return hmac.new(self._csrf_key, sid.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, sid: str, token: str) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(sid), token)

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()


class LoginRefused(Exception):
    """Sign-in failed; the message is safe to show (it never says whether the email exists)."""


def authenticate(session: Session, email: str, password: str, now: datetime) -> User:
    """Check the password; count failures and lock the user for a while after too many."""
    email = email.strip().lower()
    user = session.scalars(select(User).where(User.email == email)).first()
    if user is None or user.disabled:
        _verify(_DUMMY_HASH, password)
        raise LoginRefused("The email or password is wrong.")
    if user.locked_until is not None and user.locked_until > now:
        raise LoginRefused(
            f"Too many failed sign-ins: try again after {user.locked_until:%H:%M} UTC."
        )
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            logger.warning("user locked after failed sign-ins user_id=%s", user.id)
        raise LoginRefused("The email or password is wrong.")
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except VerifyMismatchError:
        return False
    except (VerificationError, InvalidHashError):
        logger.warning("a stored password hash could not be verified")
        return False


def active_user(session: Session, email: str) -> User | None:
    """The enabled user with this email (for proxy sign-in and session re-checks)."""
    # Emails are stored lower-case (`socmon users add`), so the unique index serves this.
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    return None if user is None or user.disabled else user
