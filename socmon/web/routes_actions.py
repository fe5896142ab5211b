"""Forms that change something: mute, mark reviewed (with its confirmation page), attest.

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
from monitor.store.db import transaction
from monitor.store.models import AccountRow, Lapse
from socmon.web.context import PageError, web_context
from socmon.web.scope import account_condition, get_account
from socmon.web.viewer import require_csrf, require_viewer, safe_next

logger = logging.getLogger(__name__)
router = APIRouter()

Field = Annotated[str, Form()]
MAX_MUTE_DAYS = 365


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


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
    if not 0 < lapse_id < 2**53:
        raise PageError(404, "Not found", "There is no lapse with this number that you can see.")
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


@router.get("/accounts/{account_id}/review")
def review_confirm(request: Request, account_id: str) -> Response:
    """The page a digest's "mark reviewed" link lands on: nothing is recorded until the POST."""
    ctx = web_context(request)
    with ctx.sessions() as s:
        viewer = require_viewer(ctx, request, s)
        account = get_account(s, viewer, account_id)
        if account is None:
            raise PageError(404, "Not found", "There is no account with this id that you can see.")
        return ctx.render(request, "review_confirm.html.j2", account=account)


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
