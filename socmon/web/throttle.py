"""Sign-in throttling that slows an attacker down without telling them who is a user.

Failures are counted per client address and per (address, email typed), over a sliding
window; an unknown email counts exactly like a known one, so the answers (401 or 429 and
their wording) say nothing about which emails exist. Nothing is counted per account
alone: an attacker elsewhere can never lock a real user out.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from monitor.settings_web import Web
from monitor.store.models import LoginAttempt

logger = logging.getLogger(__name__)

KEEP = timedelta(days=1)  # attempts older than this are deleted as new ones arrive


def client_address(request: Request, web: Web) -> str:
    """The client's address: the proxy's header when configured, else the connection's."""
    if web.client_address_header:
        forwarded = request.headers.get(web.client_address_header, "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last[:64]
    return (request.client.host if request.client else "unknown")[:64]


def account_key(key: bytes, email: str) -> str:
    """A keyed hash of the email typed (the table keeps no list of guessed emails)."""
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Throttled:
    """Why a sign-in is refused before the password is checked, and until when."""

    reason: str
    until: datetime


def check(session: Session, web: Web, address: str, key: str, now: datetime) -> Throttled | None:
    """A refusal when this address, or this address for this email, failed too often."""
    since = now - timedelta(minutes=web.login_window_minutes)
    window = timedelta(minutes=web.login_window_minutes)
    recent = select(LoginAttempt.at).where(LoginAttempt.address == address, LoginAttempt.at > since)
    pair = recent.where(LoginAttempt.account_key == key)
    for query, limit, reason in (
        (pair, web.login_max_per_account, "Too many failed sign-ins for this email"),
        (recent, web.login_max_per_address, "Too many failed sign-ins from your network"),
    ):
        count = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        if count >= limit:
            # The window slides: the refusal lasts until enough failures age out of it.
            times = session.scalars(query.order_by(LoginAttempt.at.desc()).limit(limit)).all()
            return Throttled(reason, times[-1] + window)
    return None


def record_failure(session: Session, address: str, key: str, now: datetime) -> None:
    """Count a failed sign-in; drop what is older than a day."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))
    session.add(LoginAttempt(at=now, address=address, account_key=key))
    logger.info("sign-in failed")
