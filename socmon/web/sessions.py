"""Server-side sessions: started at sign-in, looked up on each request, ended for good."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitor.settings_web import Web
from monitor.store.models import WebSession
from socmon.web.auth import SessionData, session_key

logger = logging.getLogger(__name__)

# Recording "last seen" on every request would make every page view a write.
TOUCH_EVERY = timedelta(seconds=60)


def start(
    session: Session,
    web: Web,
    email: str,
    kind: str,
    now: datetime,
    *,
    link_accounts: list[str] | None = None,
    not_after: datetime | None = None,
    role: str = "",
) -> SessionData:
    """A new session (new id: one planted before sign-in is worth nothing) and its row."""
    data = SessionData()
    expires = now + timedelta(hours=web.session_hours)
    if not_after is not None:
        expires = min(expires, not_after)
    session.add(
        WebSession(
            id=session_key(data.sid),
            email=email,
            kind=kind,
            role=role,
            link_accounts=link_accounts,
            created_at=now,
            last_seen_at=now,
            expires_at=expires,
            ended_at=None,
            ended_reason="",
        )
    )
    logger.info("session started kind=%s", kind)
    return data


def live(session: Session, web: Web, data: SessionData, now: datetime) -> WebSession | None:
    """The session's row while it is neither ended, past its expiry, nor idle too long."""
    if data.new:
        return None
    row = session.get(WebSession, session_key(data.sid))
    if row is None or row.ended_at is not None or now >= row.expires_at:
        return None
    if now - row.last_seen_at >= timedelta(minutes=web.session_idle_minutes):
        return None
    return row


def needs_touch(row: WebSession, now: datetime) -> bool:
    return now - row.last_seen_at >= TOUCH_EVERY


def touch(session: Session, key: str, now: datetime) -> None:
    """Record that the session was used now (the idle timeout counts from here)."""
    session.execute(
        update(WebSession)
        .where(WebSession.id == key, WebSession.ended_at.is_(None))
        .values(last_seen_at=now)
    )


def end(session: Session, data: SessionData, now: datetime, reason: str) -> None:
    """End the browser's session (sign-out, or a link that replaces it)."""
    session.execute(
        update(WebSession)
        .where(WebSession.id == session_key(data.sid), WebSession.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason)
    )


def end_all(session: Session, email: str, now: datetime, reason: str, kind: str = "") -> int:
    """End every open session of `email` (of one kind when given); how many were ended."""
    query = update(WebSession).where(
        WebSession.email == email.strip().lower(), WebSession.ended_at.is_(None)
    )
    if kind:
        query = query.where(WebSession.kind == kind)
    result = session.execute(query.values(ended_at=now, ended_reason=reason))
    return int(getattr(result, "rowcount", 0) or 0)


def open_sessions(session: Session, email: str, now: datetime) -> list[WebSession]:
    """The sessions of `email` that have not ended nor expired, newest first."""
    return list(
        session.scalars(
            select(WebSession)
            .where(
                WebSession.email == email.strip().lower(),
                WebSession.ended_at.is_(None),
                WebSession.expires_at > now,
            )
            .order_by(WebSession.created_at.desc())
        )
    )
