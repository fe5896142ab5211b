"""Resolve the viewer of a request: trusted proxy header, signed-in user or digest link."""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy.orm import Session

from monitor.web.app import LoginRequired, PageError, WebContext, set_session
from monitor.web.auth import SessionData, Viewer, active_user

logger = logging.getLogger(__name__)


def require_viewer(ctx: WebContext, request: Request, session: Session) -> Viewer:
    """The viewer, re-checked against the users table; LoginRequired when there is none."""
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
    data: SessionData = request.state.session
    viewer = data.viewer()
    if viewer is None:
        raise LoginRequired()
    if viewer.via_link:
        return _remember(request, viewer)
    user = active_user(session, viewer.email)
    if user is None:
        # Disabled or removed since signing in: the session ends now, not at its expiry.
        set_session(ctx, request, SessionData())
        raise LoginRequired()
    return _remember(request, Viewer(user.email, user.role))


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
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default
