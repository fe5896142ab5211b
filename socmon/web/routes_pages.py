"""The pages: overview, account, school, directory, the viewer's accounts, CSV and chart."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from fastapi import APIRouter, Request, Response
from sqlalchemy import func, select

from checks import ALL_CHECKS
from monitor.store.models import OPEN_STATES, Lapse, Review
from socmon.web import queries, queries_accounts
from socmon.web.chart import SIZES, open_lapses_svg
from socmon.web.context import PageError, WebContext, web_context
from socmon.web.csv_export import csv_response
from socmon.web.filters import (
    FIRST_DAY,
    PAGE_SIZE,
    SORTS,
    STATUSES,
    BadFilter,
    Filters,
    choice,
    page_number,
    text_value,
)
from socmon.web.present import check_choices, check_info
from socmon.web.scope import DISTRICT_SCHOOL, get_account, visible_ids
from socmon.web.viewer import require_viewer

router = APIRouter()
CHART_DAYS = 90
MAX_CHART_DAYS = 731


def _filters(request: Request) -> Filters:
    try:
        return Filters.parse(request.query_params)
    except BadFilter as exc:
        raise PageError(400, "Bad filter", f"{exc}.") from None


def _page(request: Request) -> int:
    try:
        return page_number(request.query_params)
    except BadFilter as exc:
        raise PageError(400, "Bad page number", f"{exc}.") from None


def _today(ctx: WebContext) -> date:
    return ctx.clock().astimezone(ctx.settings.tz).date()


def chart_days(ctx: WebContext, filters: Filters) -> tuple[date, date]:
    """The chart's first and last district day: the filter's dates, at most two years, not past today."""
    today = _today(ctx)
    last = max(min(filters.until or today, today), FIRST_DAY)
    first = filters.since or last - timedelta(days=CHART_DAYS - 1)
    return max(first, last - timedelta(days=MAX_CHART_DAYS - 1)), last


@router.get("/")
def overview(request: Request) -> Response:
    ctx = web_context(request)
    with ctx.sessions() as s:
        viewer = require_viewer(ctx, request, s)
        filters = _filters(request)
        first, last = chart_days(ctx, filters)
        data = queries.overview(s, viewer, filters, ctx.settings.tz)
        series = queries.open_series(s, viewer, filters, first, last, ctx.settings.tz)
        schools, platforms = queries_accounts.choices(s, viewer)
    matrix: dict[str, dict[str, int]] = defaultdict(dict)
    for school, check_id, n in data.counts:
        matrix[school][check_id] = n
    order = {spec.id: i for i, spec in enumerate(ALL_CHECKS)}
    columns = sorted({c for _, c, _ in data.counts}, key=lambda c: (order.get(c, 99), c))
    if filters.page > data.pages:
        raise PageError(404, "No such page", f"These filters have {data.pages:,} page(s).")
    return ctx.render(
        request,
        "overview.html.j2",
        data=data,
        matrix=dict(matrix),
        columns=[check_info(c) for c in columns],
        filters=filters,
        schools=schools,
        platforms=platforms,
        district_school=DISTRICT_SCHOOL if viewer.sees_all else "",
        checks=check_choices(),
        statuses=STATUSES,
        sorts=SORTS,
        series=series,
        page_size=PAGE_SIZE,
        today=_today(ctx),
    )


@router.get("/lapses.csv")
def export_csv(request: Request) -> Response:
    ctx = web_context(request)
    with ctx.sessions() as s:
        viewer = require_viewer(ctx, request, s)
    filters = _filters(request)
    return csv_response(ctx, viewer, filters, _today(ctx))


@router.get("/chart.svg")
def chart(request: Request) -> Response:
    ctx = web_context(request)
    with ctx.sessions() as s:
        viewer = require_viewer(ctx, request, s)
        filters = _filters(request)
        try:
            size = choice(request.query_params, "size", tuple(SIZES))
        except BadFilter as exc:
            raise PageError(400, "Bad filter", f"{exc}.") from None
        first, last = chart_days(ctx, filters)
        series = queries.open_series(s, viewer, filters, first, last, ctx.settings.tz)
    zone = ctx.settings.district.timezone
    title = f"Open or muted lapses at the end of each day ({zone}), {first} to {last}"
    return Response(open_lapses_svg(series, title, size), media_type="image/svg+xml")


@router.get("/accounts/{account_id}")
def account(request: Request, account_id: str) -> Response:
    ctx = web_context(request)
    with ctx.sessions() as s:
        viewer = require_viewer(ctx, request, s)
        page_no = _page(request)
        row = get_account(s, viewer, account_id)
        if row is None:
            raise PageError(404, "Not found", "There is no account with this id that you can see.")
        page = queries_accounts.account_page(s, row, page_no)
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
            page_no=page_no,
            today=_today(ctx),
            mute_max=_today(ctx) + timedelta(days=365),
        )


@router.get("/schools/{school:path}")
def school(request: Request, school: str) -> Response:
    ctx = web_context(request)
    with ctx.sessions() as s:
        viewer = require_viewer(ctx, request, s)
        accounts = queries_accounts.school_accounts(s, viewer, school[:200])
        if not accounts:
            raise PageError(404, "Not found", "There is no school by this name that you can see.")
        filters = Filters(school=school[:200])
        overview = queries.overview(s, viewer, filters, ctx.settings.tz)
        return ctx.render(
            request,
            "school.html.j2",
            school=school,
            accounts=accounts,
            data=overview,
            filters=filters,
        )


@router.get("/directory")
def directory(request: Request) -> Response:
    ctx = web_context(request)
    with ctx.sessions() as s:
        viewer = require_viewer(ctx, request, s)
        try:
            school = text_value(request.query_params, "school", 200)
            platform = text_value(request.query_params, "platform", 32)
            q = text_value(request.query_params, "q", 200)
        except BadFilter as exc:
            raise PageError(400, "Bad filter", f"{exc}.") from None
        page = _page(request)
        found = queries_accounts.directory(s, viewer, school, platform, q, page)
        schools, platforms = queries_accounts.choices(s, viewer)
    if page > found.pages:
        raise PageError(404, "No such page", f"The directory has {found.pages:,} page(s).")
    return ctx.render(
        request,
        "directory.html.j2",
        found=found,
        page_no=page,
        school=school,
        platform=platform,
        q=q,
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
        found = queries_accounts.directory(s, viewer, "", "", "", 1)
        return ctx.render(
            request,
            "mine.html.j2",
            rows=[
                (a, open_counts.get(a.id, 0), reviewed.get(a.id))
                for a, _, _ in found.rows
                if a.active
            ],
        )
