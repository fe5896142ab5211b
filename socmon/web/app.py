"""The web page's application factory: sessions, security headers, templates, error pages.

Why Secure cookies can be relaxed: browsers (and test clients) drop `Secure` cookies
on plain http. The page is meant to sit behind the district's HTTPS reverse proxy,
so cookies are `Secure` unless `[web] public_url` is itself a plain-http address on
the loopback interface (127.0.0.1, ::1 or localhost), which only a developer or a
test run on the same machine can reach.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import SecretStr
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor.settings import Settings
from monitor.store.db import transaction
from socmon.web import routes_actions, routes_auth, routes_oidc, routes_pages
from socmon.web import sessions as web_sessions
from socmon.web.auth import CookieCodec, SessionData
from socmon.web.context import CSP, Clock, LoginRequired, PageError, WebContext
from socmon.web.present import install_filters

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
COOKIE = "socmon_session"
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def secure_cookies(public_url: str) -> bool:
    """False only for a plain-http public_url on the loopback interface (see module doc)."""
    parts = urlsplit(public_url)
    return not (parts.scheme == "http" and parts.hostname in LOOPBACK)


def create_app(
    settings: Settings,
    sessions: sessionmaker[Session],
    clock: Clock,
    secret_key: SecretStr,
    *,
    writer_sessions: sessionmaker[Session] | None = None,
    oidc_secret: SecretStr | None = None,
    http: httpx.Client | None = None,
) -> FastAPI:
    """The web page. `sessions` reads; `writer_sessions` (default: the same) records actions.

    With `[web.oidc]`, `oidc_secret` is its client secret and `http` the client that talks
    to the provider (built here when not given).
    """
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
        codec=CookieCodec(secret_key),
        link_secret=secret_key,
        env=env,
        secure=secure_cookies(settings.web.public_url),
        throttle_key=hmac.new(
            secret_key.get_secret_value().encode(), b"socmon.throttle", hashlib.sha256
        ).digest(),
        oidc_secret=oidc_secret,
        http=(http or httpx.Client(timeout=10.0)) if settings.web.oidc else None,
        csp=content_security_policy(settings),
    )
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = ctx
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(routes_pages.router)
    app.include_router(routes_actions.router)
    app.include_router(routes_auth.router)
    app.include_router(routes_oidc.router)
    _install_middleware(app, ctx)
    _install_errors(app, ctx)
    return app


def _touch(ctx: WebContext, key: str) -> None:
    try:
        with transaction(ctx.writer) as s:
            web_sessions.touch(s, key, ctx.clock())
    except SQLAlchemyError:
        # The page was served; a missed "last seen" only brings the idle timeout closer.
        logger.warning("could not record session use")


def _install_middleware(app: FastAPI, ctx: WebContext) -> None:
    @app.middleware("http")
    async def sessions_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        static = request.url.path.startswith("/static/")
        loaded = None if static else ctx.codec.load(request.cookies.get(COOKIE))
        request.state.session = loaded or SessionData()
        request.state.session_dirty = loaded is None and not static
        request.state.touch = ""
        response = await call_next(request)
        if request.state.touch:
            # After the handler's own transaction: never a second writer inside it.
            await run_in_threadpool(_touch, ctx, request.state.touch)
        if request.state.session_dirty:
            data: SessionData = request.state.session
            # A browser-session cookie: the server decides when the session ends.
            response.set_cookie(
                COOKIE,
                ctx.codec.dump(data),
                httponly=True,
                secure=ctx.secure,
                samesite="lax",  # strict would drop the session when arriving from a digest link
                path="/",
            )
        security_headers(response, ctx.secure, static, ctx.csp)
        if not static:
            # The access log: a digest link's token is a credential, so it is never written.
            path = "/link/[token]" if request.url.path.startswith("/link/") else request.url.path
            logger.info("%s %s %s", request.method, path, response.status_code)
        return response


def content_security_policy(settings: Settings) -> str:
    """The page's CSP; with OIDC the sign-in form may also go (by redirect) to the provider."""
    if settings.web.oidc is None:
        return CSP
    issuer = urlsplit(settings.web.oidc.issuer)
    return CSP.replace(
        "form-action 'self'", f"form-action 'self' {issuer.scheme}://{issuer.netloc}"
    )


def security_headers(response: Response, secure: bool, static: bool, csp: str = CSP) -> None:
    h = response.headers
    h["Content-Security-Policy"] = csp
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


def _plain_error(status: int, title: str, message: str) -> HTMLResponse:
    """A styled page that needs no template, database or session (the last resort)."""
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title><link rel="stylesheet" href="/static/socmon.css"></head>'
        f'<body><main><section class="card notice"><h1>{title}</h1><p>{message}</p>'
        '<p><a href="/">Back to the overview</a></p></section></main></body></html>'
    )
    return HTMLResponse(html, status_code=status)


def _install_errors(app: FastAPI, ctx: WebContext) -> None:
    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        return ctx.render(
            request, "error.html.j2", exc.status, title=exc.title, message=exc.message
        )

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            # After signing in, a GET of a form's address would be a 405: go to its page.
            path = request.url.path
            target = path.rsplit("/", 1)[0] if path.startswith("/accounts/") else "/"
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Not allowed", 422: "Bad request", 400: "Bad request"}
        title = titles.get(exc.status_code, "Error")
        message = "There is no such page." if exc.status_code == 404 else str(exc.detail)
        return ctx.render(request, "error.html.j2", exc.status_code, title=title, message=message)

    @app.exception_handler(SQLAlchemyError)
    async def database_down(request: Request, exc: SQLAlchemyError) -> Response:
        # Never a page that looks complete: say the answer is unknown and to retry.
        logger.error("database error on %s: %s", request.url.path, type(exc).__name__)
        response = _plain_error(
            503,
            "Database unavailable",
            "socmon could not read its database, so this page cannot be shown. "
            "Try again in a minute; if it persists, tell IT.",
        )
        response.headers["Retry-After"] = "60"
        security_headers(response, ctx.secure, static=False, csp=ctx.csp)
        return response

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        response = _plain_error(
            500,
            "Something went wrong",
            "socmon could not answer this request. IT has the details in the log.",
        )
        security_headers(response, ctx.secure, static=False, csp=ctx.csp)
        return response

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
