"""Who is asking: local users (argon2id), the district's identity provider, a trusted proxy
header, or a digest link; and the signed cookie that names the browser's session.

The cookie carries only a random session id, signed with itsdangerous; the session itself
(who, until when, ended or not) is a row in `web_sessions`, so signing out, `socmon users
disable` and `socmon users sessions --revoke` end it at once. CSRF tokens are the session
id signed under their own salt, so every form is bound to the browser that loaded it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.models import User

logger = logging.getLogger(__name__)

ROLES = ("comms", "manager", "it")
MIN_PASSWORD_LENGTH = 12
WRONG = "The email or password is wrong."

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
    """The browser's session id (from the cookie, or new) and whether the cookie must be set."""

    sid: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    new: bool = True


def session_key(sid: str) -> str:
    """The database key of a session id: its SHA-256, so the table holds no usable id."""
    return hashlib.sha256(sid.encode()).hexdigest()


class CookieCodec:
    """Signs the session cookie and the CSRF tokens (itsdangerous, one salt each)."""

    def __init__(self, secret: SecretStr) -> None:
        key = secret.get_secret_value()
        kwargs = {"digest_method": hashlib.sha256}
        self._cookie = URLSafeSerializer(key, salt="socmon.session", signer_kwargs=kwargs)
        self._csrf = URLSafeSerializer(key, salt="socmon.csrf", signer_kwargs=kwargs)

    def dump(self, data: SessionData) -> str:
        return self._cookie.dumps(data.sid)

    def load(self, cookie: str | None) -> SessionData | None:
        """The session id, or None when missing or forged."""
        if not cookie:
            return None
        try:
            sid = self._cookie.loads(cookie)
        except BadSignature:
            return None
        return SessionData(sid, new=False) if isinstance(sid, str) and sid else None

    def csrf_token(self, sid: str) -> str:
        return self._csrf.dumps(sid)

    def csrf_ok(self, sid: str, token: str) -> bool:
        if not token:
            return False
        try:
            return bool(self._csrf.loads(token) == sid)
        except BadSignature:
            return False


class LoginRefused(Exception):
    """Sign-in failed; the message is safe to show (it never says whether the email exists)."""


def authenticate(session: Session, email: str, password: str) -> User:
    """Check the password: the same work and the same answer for an unknown email."""
    email = email.strip().lower()
    user = session.scalars(select(User).where(User.email == email)).first()
    if user is None or user.disabled:
        _verify(_DUMMY_HASH, password)
        raise LoginRefused(WRONG)
    if not _verify(user.password_hash, password):
        raise LoginRefused(WRONG)
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
