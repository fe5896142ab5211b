"""What every request handler shares: the context built once by `create_app`, and page errors.

It lives apart from the application factory so the routes can import it without importing
the factory that mounts them (no import cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from monitor.settings import Settings
from socmon.web.auth import CookieCodec, SessionData

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

Clock = Callable[[], datetime]


@dataclass
class WebContext:
    """What every request handler needs, built once in `create_app`."""

    settings: Settings
    sessions: sessionmaker[Session]
    writer: sessionmaker[Session]
    clock: Clock
    codec: CookieCodec
    link_secret: SecretStr
    env: Environment
    secure: bool
    throttle_key: bytes
    # OpenID Connect: the client secret and the HTTP client for the provider (None: off).
    oidc_secret: SecretStr | None = None
    http: httpx.Client | None = None
    csp: str = CSP

    def render(
        self, request: Request, template: str, status: int = 200, **values: Any
    ) -> HTMLResponse:
        session: SessionData = request.state.session
        values.setdefault("viewer", getattr(request.state, "viewer", None))
        html = self.env.get_template(template).render(
            csrf=self.codec.csrf_token(session.sid),
            district=self.settings.district.name,
            zone=self.settings.district.timezone,
            path=request.url.path,
            local_passwords=self.settings.web.local_passwords,
            oidc_label=self.settings.web.oidc.button_label if self.settings.web.oidc else "",
            **values,
        )
        return HTMLResponse(html, status_code=status)


class PageError(Exception):
    """An answer that is a page explaining what went wrong (404, 403, 410, 400)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


class LoginRequired(Exception):
    """No one is signed in; GET pages redirect to the sign-in page."""


def web_context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.web
    return ctx


def set_session(request: Request, data: SessionData) -> None:
    """Replace the browser's session id (sign-in, sign-out, link); the middleware sets the cookie."""
    request.state.session = data
    request.state.session_dirty = True
