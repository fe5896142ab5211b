"""Resolve the viewer of a request: trusted proxy header, a live session, or nobody."""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.models import User
from socmon.web import sessions as web_sessions
from socmon.web.auth import SessionData, Viewer, active_user
from socmon.web.context import LoginRequired, PageError, WebContext

logger = logging.getLogger(__name__)


def require_viewer(ctx: WebContext, request: Request, session: Session) -> Viewer:
    """The viewer, re-checked against the sessions and users tables; LoginRequired if none."""
    header = ctx.settings.web.trusted_user_header
    if header:
        # Only meaningful behind the district's proxy, which must strip this header from clients.
        email = request.headers.get(header, "").strip().lower()
        if email:
            user = active_user(session, email)
            if user is None:
                raise PageError(
                    403, "No access", "Your single sign-on account is not a socmon user."
                )
            return _remember(request, Viewer(user.email, user.role))
    viewer = session_viewer(ctx, request, session)
    if viewer is None:
        raise LoginRequired()
    return viewer


def session_viewer(ctx: WebContext, request: Request, session: Session) -> Viewer | None:
    """Who the browser's session belongs to, or None (ended, expired, idle, user disabled)."""
    data: SessionData = request.state.session
    now = ctx.clock()
    row = web_sessions.live(session, ctx.settings.web, data, now)
    if row is None:
        return None
    if row.kind == "link":
        viewer = Viewer(row.email, "manager", tuple(row.link_accounts or ()))
    elif row.kind == "oidc" and row.role:
        # Let in by the provider's groups; a `users` entry, if one exists, still decides.
        user = session.scalars(select(User).where(User.email == row.email)).first()
        if user is not None and user.disabled:
            return None
        viewer = Viewer(row.email, user.role if user else row.role)
    else:
        user = active_user(session, row.email)
        if user is None:
            return None  # disabled or removed since signing in: the session is over
        viewer = Viewer(user.email, user.role)
    if web_sessions.needs_touch(row, now):
        request.state.touch = row.id
    return _remember(request, viewer)


def _remember(request: Request, viewer: Viewer) -> Viewer:
    request.state.viewer = viewer
    return viewer


def require_csrf(ctx: WebContext, request: Request, token: str) -> None:
    """Refuse a form that was not served by this site to this browser session."""
    data: SessionData = request.state.session
    if not ctx.codec.csrf_ok(data.sid, token):
        logger.warning("form refused: bad csrf token path=%s", request.url.path)
        raise PageError(
            403,
            "Form refused",
            "This form has expired or did not come from this site. "
            "Go back, reload the page and try again.",
        )


def safe_next(target: str, default: str = "/") -> str:
    """Only same-site paths: never redirect to another host after a form."""
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and len(target) <= 2000
        and not any(c in target for c in "\r\n\x00")
    ):
        return target
    return default
