"""The web page's application factory: sessions, security headers, templates, error pages.

Why Secure cookies can be relaxed: browsers (and test clients) drop `Secure` cookies
on plain http. The page is meant to sit behind the district's HTTPS reverse proxy,
so cookies are `Secure` unless `[web] public_url` is itself a plain-http address on
the loopback interface (127.0.0.1, ::1 or localhost), which only a developer or a
test run on the same machine can reach.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor.settings import Settings
from monitor.signed_links import derive_key
from monitor.web.auth import SessionCodec, SessionData
from monitor.web.present import install_filters

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
COOKIE = "socmon_session"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
LOOPBACK = ("127.0.0.1", "::1", "localhost")

Clock = Callable[[], datetime]


def secure_cookies(public_url: str) -> bool:
    """False only for a plain-http public_url on the loopback interface (see module doc)."""
    parts = urlsplit(public_url)
    return not (parts.scheme == "http" and parts.hostname in LOOPBACK)


@dataclass
class WebContext:
    """What every request handler needs, built once in `create_app`."""

    settings: Settings
    sessions: sessionmaker[Session]
    writer: sessionmaker[Session]
    clock: Clock
    codec: SessionCodec
    link_secret: SecretStr
    env: Environment
    secure: bool

    def render(
        self, request: Request, template: str, status: int = 200, **values: Any
    ) -> HTMLResponse:
        session: SessionData = request.state.session
        values.setdefault("viewer", getattr(request.state, "viewer", None))
        html = self.env.get_template(template).render(
            csrf=self.codec.csrf_token(session.sid),
            district=self.settings.district.name,
            path=request.url.path,
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


def create_app(
    settings: Settings,
    sessions: sessionmaker[Session],
    clock: Clock,
    secret_key: SecretStr,
    *,
    writer_sessions: sessionmaker[Session] | None = None,
) -> FastAPI:
    """The web page. `sessions` reads; `writer_sessions` (default: the same) records actions."""
    from monitor.web import routes_actions, routes_pages

    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    install_filters(env, settings.tz)
    ctx = WebContext(
        settings=settings,
        sessions=sessions,
        writer=writer_sessions or sessions,
        clock=clock,
        codec=SessionCodec(derive_key(secret_key, "session"), derive_key(secret_key, "csrf")),
        link_secret=secret_key,
        env=env,
        secure=secure_cookies(settings.web.public_url),
    )
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = ctx
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(routes_pages.router)
    app.include_router(routes_actions.router)
    _install_middleware(app, ctx)
    _install_errors(app, ctx)
    return app


def set_session(ctx: WebContext, request: Request, data: SessionData) -> None:
    """Replace the session (sign-in, sign-out, link); the middleware writes the cookie."""
    hours = ctx.settings.web.session_hours
    limit = int((ctx.clock() + timedelta(hours=hours)).timestamp())
    data.expires = min(data.expires, limit) if data.expires else limit
    request.state.session = data
    request.state.session_dirty = True


def _install_middleware(app: FastAPI, ctx: WebContext) -> None:
    @app.middleware("http")
    async def sessions_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        static = request.url.path.startswith("/static/")
        loaded = None if static else ctx.codec.load(request.cookies.get(COOKIE), ctx.clock())
        request.state.session = loaded or SessionData()
        request.state.session_dirty = loaded is None and not static
        if request.state.session_dirty:
            set_session(ctx, request, request.state.session)
        response = await call_next(request)
        if request.state.session_dirty:
            data: SessionData = request.state.session
            response.set_cookie(
                COOKIE,
                ctx.codec.dump(data),
                max_age=max(0, data.expires - int(ctx.clock().timestamp())),
                httponly=True,
                secure=ctx.secure,
                samesite="lax",  # strict would drop the session when arriving from a digest link
                path="/",
            )
        _security_headers(response, ctx.secure, static)
        if not static:
            # The access log: a digest link's token is a credential, so it is never written.
            path = "/link/[token]" if request.url.path.startswith("/link/") else request.url.path
            logger.info("%s %s %s", request.method, path, response.status_code)
        return response


def _security_headers(response: Response, secure: bool, static: bool) -> None:
    h = response.headers
    h["Content-Security-Policy"] = CSP
    h["X-Content-Type-Options"] = "nosniff"
    h["X-Frame-Options"] = "DENY"
    # Digest links carry a token in the path: never send it on to another site.
    h["Referrer-Policy"] = "no-referrer"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if not static:
        h["Cache-Control"] = "no-store"
    if secure:
        h["Strict-Transport-Security"] = "max-age=31536000"


def _install_errors(app: FastAPI, ctx: WebContext) -> None:
    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        return ctx.render(
            request, "error.html.j2", exc.status, title=exc.title, message=exc.message
        )

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Not allowed", 422: "Bad request"}
        title = titles.get(exc.status_code, "Error")
        message = "There is no such page." if exc.status_code == 404 else str(exc.detail)
        return ctx.render(request, "error.html.j2", exc.status_code, title=title, message=message)

    @app.exception_handler(RequestValidationError)
    async def bad_form(request: Request, exc: RequestValidationError) -> Response:
        fields = ", ".join(str(e["loc"][-1]) for e in exc.errors())
        return ctx.render(
            request,
            "error.html.j2",
            400,
            title="Bad request",
            message=f"Missing or invalid: {fields}.",
        )
