"""Forms that change something: sign in/out, mute, mark reviewed, attest, digest links.

Every POST checks the CSRF token first, then who may do it, then records who and why.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

import checks
from monitor.actions import record_attestation, record_review
from monitor.lapses import LapseNotFound, mute_lapse
from monitor.signed_links import LinkError, LinkExpired, verify_link_token
from monitor.store.db import transaction
from monitor.store.models import AccountRow, Lapse
from monitor.web.app import PageError, set_session, web_context
from monitor.web.auth import LoginRefused, SessionData, authenticate
from monitor.web.scope import account_condition, get_account
from monitor.web.viewer import require_csrf, require_viewer, safe_next

logger = logging.getLogger(__name__)
router = APIRouter()

Field = Annotated[str, Form()]
MAX_MUTE_DAYS = 365


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    ctx = web_context(request)
    request.state.viewer = None
    return ctx.render(request, "login.html.j2", next=safe_next(next), error="", email="")


@router.post("/login")
def login(
    request: Request, email: Field = "", password: Field = "", csrf: Field = "", next: Field = "/"
) -> Response:
    ctx = web_context(request)
    request.state.viewer = None
    require_csrf(ctx, request, csrf)
    error, status = "", 200
    with transaction(ctx.writer) as s:
        try:
            user = authenticate(s, email, password, ctx.clock())
            signed_in = (user.email, user.role)
        except LoginRefused as exc:
            # The failure count must be committed, so the refusal is not raised through.
            error, status = str(exc), 429 if "Too many" in str(exc) else 401
    if error:
        logger.info("sign-in refused status=%s", status)
        return ctx.render(
            request, "login.html.j2", status, next=safe_next(next), error=error, email=email[:200]
        )
    # A new session id on sign-in, so a session planted before it is worth nothing.
    set_session(ctx, request, SessionData(email=signed_in[0], role=signed_in[1]))
    return _see_other(safe_next(next))


@router.post("/logout")
def logout(request: Request, csrf: Field = "") -> Response:
    ctx = web_context(request)
    require_csrf(ctx, request, csrf)
    set_session(ctx, request, SessionData())
    return _see_other("/login")


@router.post("/lapses/{lapse_id}/mute")
def mute(
    request: Request, lapse_id: int, reason: Field = "", until: Field = "", csrf: Field = ""
) -> Response:
    ctx = web_context(request)
    require_csrf(ctx, request, csrf)
    now = ctx.clock()
    today = now.astimezone(ctx.settings.tz).date()
    reason = reason.strip()
    if not 3 <= len(reason) <= 500:
        raise PageError(400, "Reason needed", "Say why the lapse is muted (3 to 500 characters).")
    try:
        until_day = date.fromisoformat(until.strip())
    except ValueError:
        raise PageError(
            400, "Date needed", "Give the last day of the mute, like 2026-12-31."
        ) from None
    if not 0 <= (until_day - today).days <= MAX_MUTE_DAYS:
        raise PageError(
            400,
            "Date out of range",
            f"The mute must end between today and {MAX_MUTE_DAYS} days from now.",
        )
    with transaction(ctx.writer) as s:
        viewer = require_viewer(ctx, request, s)
        if not viewer.can_mute:
            raise PageError(
                403, "Not allowed", "Only communications staff and IT can mute a lapse."
            )
        found = s.execute(
            select(Lapse.id, Lapse.account_id)
            .join(AccountRow, AccountRow.id == Lapse.account_id)
            .where(Lapse.id == lapse_id, account_condition(s, viewer))
        ).first()
        if found is None:
            raise PageError(
                404, "Not found", "There is no lapse with this number that you can see."
            )
        try:
            mute_lapse(s, lapse_id, reason=reason, by=viewer.email, until=until_day, at=now)
        except LapseNotFound:
            raise PageError(
                409, "Already resolved", "This lapse is resolved; there is nothing to mute."
            ) from None
        account_id = found.account_id
    logger.info("lapse muted id=%s until=%s", lapse_id, until_day)
    return _see_other(f"/accounts/{account_id}#lapse-{lapse_id}")


@router.post("/accounts/{account_id}/review")
def review(
    request: Request, account_id: str, note: Field = "", csrf: Field = "", next: Field = ""
) -> Response:
    ctx = web_context(request)
    require_csrf(ctx, request, csrf)
    with transaction(ctx.writer) as s:
        viewer = require_viewer(ctx, request, s)
        if get_account(s, viewer, account_id) is None:
            raise PageError(404, "Not found", "There is no account with this id that you can see.")
        source = "link" if viewer.via_link else "web"
        record_review(s, account_id, viewer.email, note, source, ctx.clock())
    return _see_other(safe_next(next, f"/accounts/{account_id}?reviewed=1#actions"))


@router.post("/accounts/{account_id}/attest")
def attest(
    request: Request, account_id: str, check: Field = "", note: Field = "", csrf: Field = ""
) -> Response:
    ctx = web_context(request)
    require_csrf(ctx, request, csrf)
    try:
        checks.get(check)
    except KeyError:
        raise PageError(400, "Unknown check", "Choose one of the listed checks.") from None
    note = note.strip()
    if not 3 <= len(note) <= 2000:
        raise PageError(400, "Note needed", "Say what you verified (3 to 2000 characters).")
    with transaction(ctx.writer) as s:
        viewer = require_viewer(ctx, request, s)
        if viewer.via_link:
            raise PageError(
                403, "Sign in needed", "Sign in with your password to record an attestation."
            )
        if get_account(s, viewer, account_id) is None:
            raise PageError(404, "Not found", "There is no account with this id that you can see.")
        record_attestation(s, account_id, check, viewer.email, note, ctx.clock())
    return _see_other(f"/accounts/{account_id}?attested=1#actions")


@router.get("/link/{token}")
def open_link(request: Request, token: str) -> Response:
    """A digest link: verify it, start a session limited to its accounts, drop the token from the URL."""
    ctx = web_context(request)
    request.state.viewer = None
    try:
        claims = verify_link_token(token, ctx.link_secret, now=ctx.clock())
    except LinkError as exc:
        expired = isinstance(exc, LinkExpired)
        logger.info("digest link refused: %s", "expired" if expired else "tampered")
        return ctx.render(
            request, "link_error.html.j2", exc.status, expired=expired, reason=str(exc)
        )
    current: SessionData = request.state.session
    signed_in = current.viewer()
    if signed_in is None or signed_in.via_link or signed_in.email != claims.email:
        set_session(
            ctx,
            request,
            SessionData(
                email=claims.email,
                role="manager",
                link_accounts=list(claims.account_ids),
                expires=int(claims.expires_at.timestamp()),
            ),
        )
    if claims.purpose == "history" and len(claims.account_ids) == 1:
        return _see_other(f"/accounts/{claims.account_ids[0]}")
    return _see_other("/mine")
