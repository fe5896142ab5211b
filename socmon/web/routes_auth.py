"""Sign-in with a password, sign-out, and digest links (which never replace someone else)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from monitor.signed_links import LinkClaims, LinkError, LinkRevoked, verify_link_token
from monitor.store.db import transaction
from monitor.store.models import LinkRevocation, LinkUse
from socmon.web import sessions as web_sessions
from socmon.web import throttle
from socmon.web.auth import LoginRefused, SessionData, Viewer, authenticate
from socmon.web.context import PageError, WebContext, set_session, web_context
from socmon.web.viewer import require_csrf, safe_next, session_viewer

logger = logging.getLogger(__name__)
router = APIRouter()

Field = Annotated[str, Form()]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _login_page(
    ctx: WebContext,
    request: Request,
    status: int = 200,
    *,
    next: str = "/",
    error: str = "",
    email: str = "",
) -> Response:
    request.state.viewer = None
    return ctx.render(
        request, "login.html.j2", status, next=safe_next(next), error=error, email=email[:200]
    )


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return _login_page(web_context(request), request, next=next)


@router.post("/login")
def login(
    request: Request, email: Field = "", password: Field = "", csrf: Field = "", next: Field = "/"
) -> Response:
    ctx = web_context(request)
    require_csrf(ctx, request, csrf)
    web = ctx.settings.web
    if not web.local_passwords:
        raise PageError(403, "Passwords are off", "Sign in with your district account instead.")
    if len(email) > 320 or len(password) > 1000:
        return _login_page(ctx, request, 401, next=next, error="The email or password is wrong.")
    now = ctx.clock()
    address = throttle.client_address(request, web)
    key = throttle.account_key(ctx.throttle_key, email)
    with transaction(ctx.writer) as s:
        refused = throttle.check(s, web, address, key, now)
        if refused is None:
            try:
                user = authenticate(s, email, password)
            except LoginRefused:
                throttle.record_failure(s, address, key, now)
                error, status = "The email or password is wrong.", 401
            else:
                data = web_sessions.start(s, web, user.email, "password", now)
                error, status = "", 303
        else:
            when = refused.until.astimezone(ctx.settings.tz)
            error = f"{refused.reason}: try again after {when:%H:%M} ({ctx.settings.district.timezone})."
            status = 429
    if error:
        logger.info("sign-in refused status=%s", status)
        return _login_page(ctx, request, status, next=next, error=error, email=email)
    set_session(request, data)
    return _see_other(safe_next(next))


@router.post("/logout")
def logout(request: Request, csrf: Field = "") -> Response:
    ctx = web_context(request)
    require_csrf(ctx, request, csrf)
    with transaction(ctx.writer) as s:
        web_sessions.end(s, request.state.session, ctx.clock(), "signed out")
    set_session(request, SessionData())
    return _see_other("/login")


def _log_use(s: Session, request: Request, claims: LinkClaims | None, outcome: str) -> None:
    """Every use of a link is kept: who it was for, what it named, what happened, from where."""
    ctx = web_context(request)
    s.add(
        LinkUse(
            at=ctx.clock(),
            email=claims.email if claims else "",
            purpose=claims.purpose if claims else "",
            account_ids=list(claims.account_ids) if claims else [],
            outcome=outcome,
            address=throttle.client_address(request, ctx.settings.web),
        )
    )
    logger.info("digest link %s", outcome)


def _claims(ctx: WebContext, request: Request, s: Session, token: str) -> LinkClaims | LinkError:
    """The claims if verified, unexpired and not revoked; else the refusal, logged as a use."""
    try:
        claims = verify_link_token(token[:4000], ctx.link_secret, now=ctx.clock())
    except LinkError as exc:
        _log_use(s, request, None, exc.outcome)
        return exc
    revoked = s.get(LinkRevocation, claims.email)
    if revoked is not None and claims.issued_at <= revoked.revoked_at:
        refusal = LinkRevoked("the links sent to this person were withdrawn")
        _log_use(s, request, claims, refusal.outcome)
        return refusal
    return claims


def _refused(ctx: WebContext, request: Request, exc: LinkError) -> Response:
    request.state.viewer = None
    return ctx.render(
        request, "link_error.html.j2", exc.status, outcome=exc.outcome, reason=str(exc)
    )


def _landing(claims: LinkClaims) -> str:
    if len(claims.account_ids) == 1:
        aid = claims.account_ids[0]
        return f"/accounts/{aid}/review" if claims.purpose == "review" else f"/accounts/{aid}"
    return "/mine"


def _open_as_recipient(
    ctx: WebContext, request: Request, s: Session, claims: LinkClaims, outcome: str
) -> Response:
    now = ctx.clock()
    web_sessions.end(s, request.state.session, now, "replaced by a link")
    data = web_sessions.start(
        s, ctx.settings.web, claims.email, "link", now,
        link_accounts=list(claims.account_ids), not_after=claims.expires_at,
    )  # fmt: skip
    _log_use(s, request, claims, outcome)
    set_session(request, data)
    return _see_other(_landing(claims))


@router.get("/link/{token}")
def open_link(request: Request, token: str) -> Response:
    """A digest link: verify it; open a read-and-review session for its recipient, unless
    someone else is signed in here, who is asked first."""
    ctx = web_context(request)
    with transaction(ctx.writer) as s:
        claims = _claims(ctx, request, s, token)
        if isinstance(claims, LinkError):
            return _refused(ctx, request, claims)
        current: Viewer | None = session_viewer(ctx, request, s)
        request.state.viewer = current
        if current is not None and current.email == claims.email and not current.via_link:
            # Already signed in as the recipient: their own session is kept (and is wider).
            _log_use(s, request, claims, "opened")
            return _see_other(_landing(claims))
        if current is not None and current.email != claims.email:
            _log_use(s, request, claims, "asked")
            return ctx.render(
                request, "link_switch.html.j2", 200, claims=claims, token=token, current=current
            )
        return _open_as_recipient(ctx, request, s, claims, "opened")


@router.post("/link")
def switch_to_link(request: Request, token: Field = "", csrf: Field = "") -> Response:
    """Someone else was signed in and chose to continue as the link's recipient."""
    ctx = web_context(request)
    require_csrf(ctx, request, csrf)
    with transaction(ctx.writer) as s:
        claims = _claims(ctx, request, s, token)
        if isinstance(claims, LinkError):
            return _refused(ctx, request, claims)
        return _open_as_recipient(ctx, request, s, claims, "switched")
