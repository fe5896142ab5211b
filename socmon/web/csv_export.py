"""The CSV export, streamed: the first rows leave before the last are read, memory stays flat."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

from fastapi import Response
from fastapi.responses import StreamingResponse
from sqlalchemy import Row
from sqlalchemy.exc import SQLAlchemyError

from monitor.csv_io import safe_cell
from socmon.web.auth import Viewer
from socmon.web.context import WebContext
from socmon.web.filters import Filters
from socmon.web.present import check_info
from socmon.web.queries import export_rows
from socmon.web.scope import DISTRICT_SCHOOL, district_platform

logger = logging.getLogger(__name__)

HEADER = (
    "lapse_id", "account_id", "scope", "platform", "school", "check", "check_title", "status",
    "opened_at", "last_seen_at", "resolved_at", "muted_until", "muted_by", "mute_reason",
    "detail", "clauses",
)  # fmt: skip
BATCH = 500  # rows per chunk sent: small enough to start at once, large enough to be cheap


def cell(value: object) -> object:
    """A cell a spreadsheet will not run as a formula (page text comes from strangers).

    The same rule as every CSV socmon writes (monitor.csv_io.safe_cell).
    """
    return safe_cell(value) if isinstance(value, str) else value


def _iso(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else ""


def row_of(lapse: Row[Any]) -> list[object]:
    """One CSV row; a district-wide lapse (no directory row) says so in `scope` and `school`."""
    info = check_info(lapse.check_id)
    if lapse.registered_id is None:
        scope, platform = "district-wide", district_platform(lapse.account_id)
        school = DISTRICT_SCHOOL
    else:
        scope, platform, school = "account", lapse.platform, lapse.school
    values = (
        lapse.id, lapse.account_id, scope, platform, school, lapse.check_id, info.title,
        lapse.status, _iso(lapse.opened_at), _iso(lapse.last_seen_at), _iso(lapse.resolved_at),
        lapse.muted_until or "", lapse.muted_by, lapse.mute_reason, lapse.detail, info.clauses,
    )  # fmt: skip
    return [cell(v) for v in values]


def _chunks(ctx: WebContext, viewer: Viewer, filters: Filters) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    yield out.getvalue()
    out.seek(0)
    out.truncate()
    n = 0
    try:
        with ctx.sessions() as s:
            for n, lapse in enumerate(export_rows(s, viewer, filters, ctx.settings.tz), 1):
                writer.writerow(row_of(lapse))
                if n % BATCH == 0:
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
    except SQLAlchemyError:
        # The headers are gone already: end with a row that says the file is cut short,
        # so a partial export is never read as complete.
        logger.exception("CSV export failed after %d rows", n)
        writer.writerow(["ERROR: the database failed; this export is incomplete"])
    yield out.getvalue()


def csv_response(ctx: WebContext, viewer: Viewer, filters: Filters, today: date) -> Response:
    """The export as a streamed attachment named after the district's date."""
    return StreamingResponse(
        _chunks(ctx, viewer, filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="socmon-lapses-{today}.csv"'},
    )
