"""Sign-in with the district's identity provider: /oidc/start and /oidc/callback."""

from __future__ import annotations

import hmac
import logging
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from monitor.settings_web import Oidc
from monitor.store.db import transaction
from monitor.store.models import User
from socmon.web import oidc as protocol
from socmon.web import sessions as web_sessions
from socmon.web.context import PageError, WebContext, set_session, web_context
from socmon.web.viewer import require_csrf, safe_next

logger = logging.getLogger(__name__)
router = APIRouter()

COOKIE = "socmon_oidc"
PENDING_MINUTES = 10  # time allowed at the provider between the redirect and the callback


def _serializer(ctx: WebContext) -> URLSafeSerializer:
    return URLSafeSerializer(ctx.link_secret.get_secret_value(), salt="socmon.oidc-pending")


def _configured(ctx: WebContext) -> Oidc:
    oidc = ctx.settings.web.oidc
    if oidc is None or ctx.http is None or ctx.oidc_secret is None:
        raise PageError(404, "Not found", "Sign-in with the district's accounts is not set up.")
    return oidc


def _redirect_uri(ctx: WebContext) -> str:
    return f"{ctx.settings.web.public_url.rstrip('/')}/oidc/callback"


def _failed(exc: protocol.OidcError) -> PageError:
    return PageError(exc.status, "Sign-in failed", str(exc))


@router.post("/oidc/start")
def start(
    request: Request, csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
) -> Response:
    """Send the browser to the provider, remembering state, nonce and PKCE verifier."""
    ctx = web_context(request)
    oidc = _configured(ctx)
    require_csrf(ctx, request, csrf)
    assert ctx.http is not None  # _configured checked it
    try:
        meta = protocol.discover(ctx.http, oidc)
    except protocol.OidcError as exc:
        raise _failed(exc) from None
    url, pending = protocol.authorization_url(meta, oidc, _redirect_uri(ctx), safe_next(next))
    expires = int((ctx.clock() + timedelta(minutes=PENDING_MINUTES)).timestamp())
    cookie = _serializer(ctx).dumps(
        {"s": pending.state, "n": pending.nonce, "v": pending.verifier, "x": pending.next,
         "b": request.state.session.sid, "e": expires}
    )  # fmt: skip
    response = RedirectResponse(url, status_code=303)
    # Lax: the provider's redirect back is a top-level GET, which carries it.
    response.set_cookie(
        COOKIE, cookie, httponly=True, secure=ctx.secure, samesite="lax", path="/oidc/"
    )
    return response


def _pending(ctx: WebContext, request: Request) -> protocol.Pending:
    """The sign-in this browser started, unexpired; else a refusal."""
    try:
        raw: Any = _serializer(ctx).loads(request.cookies.get(COOKIE, ""))
        pending = protocol.Pending(str(raw["s"]), str(raw["n"]), str(raw["v"]), str(raw["x"]))
        browser, expires = str(raw["b"]), int(raw["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise protocol.OidcError(
            "This sign-in was not started in this browser. Sign in again."
        ) from None
    if browser != request.state.session.sid or expires <= int(ctx.clock().timestamp()):
        raise protocol.OidcError(
            "This sign-in has expired or was started elsewhere. Sign in again."
        )
    return pending


@router.get("/oidc/callback")
def callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    """The provider's answer: check it all, then start an "oidc" session."""
    ctx = web_context(request)
    oidc = _configured(ctx)
    assert ctx.http is not None and ctx.oidc_secret is not None
    request.state.viewer = None
    try:
        pending = _pending(ctx, request)
        if error:
            raise protocol.OidcError("The district's sign-in service did not sign you in.")
        if not code or not hmac.compare_digest(state.encode(), pending.state.encode()):
            logger.warning("oidc callback refused: state mismatch")
            raise protocol.OidcError(
                "This sign-in answer does not match the one started here. Sign in again."
            )
        meta = protocol.discover(ctx.http, oidc)
        token = protocol.exchange_code(
            ctx.http, meta, oidc, ctx.oidc_secret, _redirect_uri(ctx), code[:2000], pending.verifier
        )
        jwks = protocol.get_json(ctx.http, meta["jwks_uri"])
        claims = protocol.verify_id_token(token, jwks, oidc, pending.nonce, ctx.clock())
        email = protocol.email_of(claims, oidc)
    except protocol.OidcError as exc:
        page = ctx.render(
            request, "error.html.j2", exc.status, title="Sign-in failed", message=str(exc)
        )
        page.delete_cookie(COOKIE, path="/oidc/")
        return page
    now = ctx.clock()
    with transaction(ctx.writer) as s:
        user = s.scalars(select(User).where(User.email == email)).first()
        role = protocol.role_from_claims(claims, oidc) if user is None else user.role
        if (user is not None and user.disabled) or role is None:
            logger.warning("oidc sign-in refused: not a socmon user")
            data = None
        else:
            data = web_sessions.start(s, ctx.settings.web, email, "oidc", now, role=role)
    if data is None:
        raise PageError(
            403, "No access", "You signed in, but you are not a socmon user. Ask IT to add you."
        )
    set_session(request, data)
    response = RedirectResponse(safe_next(pending.next), status_code=303)
    response.delete_cookie(COOKIE, path="/oidc/")
    return response
