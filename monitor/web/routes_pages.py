"""The pages: overview, account, school, directory, the viewer's accounts, CSV and chart."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import timedelta

from fastapi import APIRouter, Request, Response
from sqlalchemy import func, select

from checks import ALL_CHECKS
from monitor.store.models import OPEN_STATES, Lapse, Review
from monitor.web import queries
from monitor.web.app import PageError, web_context
from monitor.web.chart import open_lapses_svg
from monitor.web.filters import PAGE_SIZE, STATUSES, BadFilter, Filters
from monitor.web.present import check_choices, check_info
from monitor.web.scope import get_account, visible_ids
from monitor.web.viewer import require_viewer

router = APIRouter()
CHART_DAYS = 90
MAX_CHART_DAYS = 731
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _filters(request: Request) -> Filters:
    try:
        return Filters.parse(request.query_params)
    except BadFilter as exc:
        raise PageError(400, "Bad filter", f"{exc}.") from None


def _page(request: Request) -> int:
    value = request.query_params.get("page", "1")
    return max(1, min(int(value), 10_000)) if value.isdigit() else 1


@router.get("/")
def overview(request: Request) -> Response:
    ctx = web_context(request)
    filters = _filters(request)
    with ctx.sessions() as s:
        viewer = require_viewer(ctx, request, s)
        data = queries.overview(s, viewer, filters, ctx.settings.tz)
        schools, platforms = queries.choices(s, viewer)
        matrix: dict[str, dict[str, int]] = defaultdict(dict)
        for school, check_id, n in data.counts:
            matrix[school][check_id] = n
        order = {spec.id: i for i, spec in enumerate(ALL_CHECKS)}
        columns = sorted({c for _, c, _ in data.counts}, key=lambda c: (order.get(c, 99), c))
        return ctx.render(
            request,
            "overview.html.j2",
            data=data,
            matrix=dict(matrix),
            columns=[check_info(c) for c in columns],
            filters=filters,
            schools=schools,
            platforms=platforms,
            checks=check_choices(),
            statuses=STATUSES,
            has_next=filters.offset + PAGE_SIZE < data.total,
            today=ctx.clock().astimezone(ctx.settings.tz).date(),
        )


@router.get("/lapses.csv")
def export_csv(request: Request) -> Response:
    ctx = web_context(request)
    filters = _filters(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["lapse_id", "account_id", "platform", "school", "check", "check_title", "status",
         "opened_at", "last_seen_at", "resolved_at", "muted_until", "muted_by", "mute_reason",
         "detail", "clauses"]
    )  # fmt: skip
    with ctx.sessions() as s:
        viewer = require_viewer(ctx, request, s)
        for lapse, account in queries.export_rows(s, viewer, filters, ctx.settings.tz):
            info = check_info(lapse.check_id)
            writer.writerow(
                _cell(v)
                for v in (
                    lapse.id, account.id, account.platform, account.school, lapse.check_id,
                    info.title, lapse.status, _iso(lapse.opened_at), _iso(lapse.last_seen_at),
                    _iso(lapse.resolved_at), lapse.muted_until or "", lapse.muted_by,
                    lapse.mute_reason, lapse.detail, info.clauses,
                )
            )  # fmt: skip
    stamp = ctx.clock().astimezone(ctx.settings.tz).date().isoformat()
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="socmon-lapses-{stamp}.csv"'},
    )


def _iso(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else ""


def _cell(value: object) -> object:
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@router.get("/chart.svg")
def chart(request: Request) -> Response:
    ctx = web_context(request)
    filters = _filters(request)
    today = ctx.clock().date()
    last = min(filters.until or today, today)
    first = filters.since or last - timedelta(days=CHART_DAYS - 1)
    first = max(first, last - timedelta(days=MAX_CHART_DAYS - 1))
    with ctx.sessions() as s:
        viewer = require_viewer(ctx, request, s)
        series = queries.open_series(s, viewer, filters, first, last) if first <= last else []
    svg = open_lapses_svg(series, f"Open and muted lapses per day (UTC), {first} to {last}")
    return Response(svg, media_type="image/svg+xml")


@router.get("/accounts/{account_id}")
def account(request: Request, account_id: str) -> Response:
    ctx = web_context(request)
    with ctx.sessions() as s:
        viewer = require_viewer(ctx, request, s)
        row = get_account(s, viewer, account_id)
        if row is None:
            raise PageError(404, "Not found", "There is no account with this id that you can see.")
        page = queries.account_page(s, row, _page(request))
        state_by_check = {st.check_id: st for st in page.states}
        order = [spec.id for spec in ALL_CHECKS]
        extra = sorted(set(state_by_check) - set(order))
        return ctx.render(
            request,
            "account.html.j2",
            page=page,
            account=row,
            principals=row.data.get("principals", []),
            checks=[(check_info(c), state_by_check.get(c)) for c in order + extra],
            page_no=_page(request),
            today=ctx.clock().astimezone(ctx.settings.tz).date(),
            mute_max=(ctx.clock() + timedelta(days=365)).date(),
        )


@router.get("/schools/{school:path}")
def school(request: Request, school: str) -> Response:
    ctx = web_context(request)
    with ctx.sessions() as s:
        viewer = require_viewer(ctx, request, s)
        accounts = queries.school_accounts(s, viewer, school)
        if not accounts:
            raise PageError(404, "Not found", "There is no school by this name that you can see.")
        overview = queries.overview(s, viewer, Filters(school=school), ctx.settings.tz)
        return ctx.render(
            request, "school.html.j2", school=school, accounts=accounts, data=overview
        )


@router.get("/directory")
def directory(request: Request) -> Response:
    ctx = web_context(request)
    school = request.query_params.get("school", "")[:200]
    platform = request.query_params.get("platform", "")[:32]
    page = _page(request)
    with ctx.sessions() as s:
        viewer = require_viewer(ctx, request, s)
        rows, has_next = queries.directory(s, viewer, school, platform, page)
        schools, platforms = queries.choices(s, viewer)
        return ctx.render(
            request,
            "directory.html.j2",
            rows=rows,
            has_next=has_next,
            page_no=page,
            school=school,
            platform=platform,
            schools=schools,
            platforms=platforms,
        )


@router.get("/mine")
def mine(request: Request) -> Response:
    """The accounts a manager (or a digest link) may act on, each with a review button."""
    ctx = web_context(request)
    with ctx.sessions() as s:
        viewer = require_viewer(ctx, request, s)
        ids = visible_ids(s, viewer)
        open_counts = dict(
            s.execute(
                select(Lapse.account_id, func.count())
                .where(Lapse.account_id.in_(ids), Lapse.status.in_(OPEN_STATES))
                .group_by(Lapse.account_id)
            ).all()
        )
        reviewed = dict(
            s.execute(
                select(Review.account_id, func.max(Review.at))
                .where(Review.account_id.in_(ids))
                .group_by(Review.account_id)
            ).all()
        )
        rows, _ = queries.directory(s, viewer, "", "", 1)
        return ctx.render(
            request,
            "mine.html.j2",
            rows=[(a, open_counts.get(a.id, 0), reviewed.get(a.id)) for a in rows if a.active],
        )
