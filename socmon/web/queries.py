"""Read queries of the lapse lists; each takes the viewer and applies `scope` in SQL.

District-wide lapses (an unregistered Page the district's business owns, a platform
credential) sit on pseudo-accounts with no directory row, so lapses are outer-joined to
their account; `scope` lets only communications staff and IT see them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, Row, Select, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from monitor.store.models import AccountRow, CheckState, Lapse
from socmon.web.auth import Viewer
from socmon.web.filters import PAGE_SIZE, Filters
from socmon.web.scope import DISTRICT_SCHOOL, account_condition, district_wide

UNKNOWN_SHOWN = 50


def _start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tz).astimezone(UTC)


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with its own wildcards taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(q: str) -> ColumnElement[bool]:
    """Lapses whose account id, platform id or handle, or school contains `q` (any case)."""
    # Match the (few thousand) accounts once, not the accounts of every lapse; district-wide
    # pseudo-accounts have no directory row, so their id is matched on the lapse.
    matching = select(AccountRow.id).where(account_search(q))
    return or_(
        Lapse.account_id.in_(matching),
        func.lower(Lapse.account_id).like(_like(q), escape="\\"),
    )


def account_search(q: str) -> ColumnElement[bool]:
    """Accounts whose id, platform id or handle, or school contains `q` (any case)."""
    pattern = _like(q)
    columns = (AccountRow.id, AccountRow.platform_id, AccountRow.school)
    return or_(*(func.lower(c).like(pattern, escape="\\") for c in columns))


def platform_condition(platform: str) -> ColumnElement[bool]:
    """The account's platform, or the platform a district-wide pseudo-account names."""
    return or_(
        AccountRow.platform == platform,
        and_(
            AccountRow.id.is_(None),
            or_(
                Lapse.account_id == f"credential-{platform}",
                Lapse.account_id.startswith(f"unregistered-{platform}-", autoescape=True),
            ),
        ),
    )


def lapse_conditions(
    session: Session, viewer: Viewer, filters: Filters, tz: ZoneInfo, *, with_status: bool = True
) -> list[ColumnElement[bool]]:
    """The WHERE clauses for lapses outer-joined to their account."""
    conds: list[ColumnElement[bool]] = [account_condition(session, viewer)]
    if filters.school == DISTRICT_SCHOOL:
        conds.append(district_wide())
    elif filters.school:
        conds.append(AccountRow.school == filters.school)
    if filters.platform:
        conds.append(platform_condition(filters.platform))
    if filters.check:
        conds.append(Lapse.check_id == filters.check)
    if with_status and filters.status != "all":
        conds.append(Lapse.status == filters.status)
    if filters.since:
        conds.append(Lapse.opened_at >= _start(filters.since, tz))
    if filters.until:
        conds.append(Lapse.opened_at < _start(filters.until + timedelta(days=1), tz))
    if filters.q:
        conds.append(search_condition(filters.q))
    return conds


_SORT_COLUMNS: dict[str, Any] = {
    "opened": Lapse.opened_at,
    "account": Lapse.account_id,
    "school": AccountRow.school,
    "check": Lapse.check_id,
    "status": Lapse.status,
}


def lapses_only(viewer: Viewer, filters: Filters) -> bool:
    """True when neither who sees nor what is asked involves the account (skip the join)."""
    return (
        viewer.sees_all
        and not (filters.school or filters.platform or filters.q)
        and (filters.sort != "school")
    )


def _order(filters: Filters) -> tuple[Any, Any]:
    column = _SORT_COLUMNS[filters.sort]
    if filters.order == "desc":
        return column.desc(), Lapse.id.desc()
    return column.asc(), Lapse.id.asc()


def _lapses(conds: list[ColumnElement[bool]], filters: Filters) -> Select[Lapse, AccountRow]:
    return (
        select(Lapse, AccountRow)
        .outerjoin(AccountRow, AccountRow.id == Lapse.account_id)
        .where(*conds)
        .order_by(*_order(filters))
    )


@dataclass(frozen=True, slots=True)
class Overview:
    """What the overview shows for one set of filters; every count is exact."""

    counts: list[tuple[str, str, int]]  # (school, check, lapses); district-wide as DISTRICT
    total: int
    lapses: list[tuple[Lapse, AccountRow | None]]
    unknown: list[tuple[str, str, str, int, datetime]]  # (account, school, platform, checks, since)
    unknown_total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def overview(session: Session, viewer: Viewer, filters: Filters, tz: ZoneInfo) -> Overview:
    """Counts by school and check, one page of lapses, accounts with unknowns."""
    conds = lapse_conditions(session, viewer, filters, tz)
    school = func.coalesce(AccountRow.school, DISTRICT_SCHOOL)
    counts = session.execute(
        select(school, Lapse.check_id, func.count())
        .select_from(Lapse)
        .outerjoin(AccountRow, AccountRow.id == Lapse.account_id)
        .where(*conds)
        .group_by(school, Lapse.check_id)
        .order_by(school, Lapse.check_id)
    ).all()
    # Page through narrow (sort key, id) rows first: sorting whole rows of 20,000 lapses
    # (detail, evidence) is what made a late page slow.
    ids = _lapses(conds, filters).with_only_columns(Lapse.id)
    if lapses_only(viewer, filters):
        ids = select(Lapse.id).where(*conds).order_by(*_order(filters))
    page_ids = ids.limit(PAGE_SIZE).offset(filters.offset).scalar_subquery()
    rows = session.execute(_lapses([Lapse.id.in_(page_ids)], filters)).all()
    unknown, unknown_total = unknown_accounts(session, viewer, filters)
    return Overview(
        counts=[(s, c, n) for s, c, n in counts],
        total=sum(n for _, _, n in counts),
        lapses=[(row[0], row[1]) for row in rows],
        unknown=unknown,
        unknown_total=unknown_total,
    )


def unknown_accounts(
    session: Session, viewer: Viewer, filters: Filters, limit: int = UNKNOWN_SHOWN
) -> tuple[list[tuple[str, str, str, int, datetime]], int]:
    """Accounts with an unknown check, longest unknown first (`limit` of them), and how many."""
    conds = [CheckState.status == "unknown", AccountRow.active, account_condition(session, viewer)]
    if filters.school:
        conds.append(AccountRow.school == filters.school)
    if filters.platform:
        conds.append(AccountRow.platform == filters.platform)
    if filters.check:
        conds.append(CheckState.check_id == filters.check)
    if filters.q:
        conds.append(account_search(filters.q))
    since = func.min(CheckState.since)
    base = (
        select(AccountRow.id, AccountRow.school, AccountRow.platform, func.count(), since)
        .join(AccountRow, AccountRow.id == CheckState.account_id)
        .where(*conds)
        .group_by(AccountRow.id, AccountRow.school, AccountRow.platform)
    )
    rows = session.execute(base.order_by(since, AccountRow.id).limit(limit)).all()
    total = session.execute(
        select(func.count(func.distinct(CheckState.account_id)))
        .join(AccountRow, AccountRow.id == CheckState.account_id)
        .where(*conds)
    ).scalar_one()
    return [(a, s, p, n, t) for a, s, p, n, t in rows], int(total)


EXPORT_COLUMNS = (
    Lapse.id, Lapse.account_id, Lapse.check_id, Lapse.status, Lapse.opened_at,
    Lapse.last_seen_at, Lapse.resolved_at, Lapse.muted_until, Lapse.muted_by,
    Lapse.mute_reason, Lapse.detail, AccountRow.id.label("registered_id"),
    AccountRow.platform, AccountRow.school,
)  # fmt: skip


def export_rows(
    session: Session, viewer: Viewer, filters: Filters, tz: ZoneInfo
) -> Iterator[Row[Any]]:
    """Every lapse the filters select (no paging), in the page's order, for the CSV export.

    Plain columns, fetched 1,000 at a time: no ORM objects, no evidence JSON to decode.
    """
    query = _lapses(lapse_conditions(session, viewer, filters, tz), filters).with_only_columns(
        *EXPORT_COLUMNS
    )
    rows: Iterator[Row[Any]] = iter(session.execute(query.execution_options(yield_per=1000)))
    yield from rows


def _epoch(session: Session, column: Any) -> ColumnElement[int]:
    """A UTC timestamp column as whole seconds since 1970, computed by the database.

    Integers cost far less to fetch than datetimes: the chart reads thousands of them.
    """
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column)), Integer)
    # SQLite keeps UTC timestamps as text; strftime('%s') reads them as UTC.
    return cast(func.strftime("%s", column), Integer)


def open_series(
    session: Session, viewer: Viewer, filters: Filters, first: date, last: date, tz: ZoneInfo
) -> list[tuple[date, int]]:
    """Lapses open or muted at the end of each district day from `first` to `last`.

    The filter's dates bound the chart's axis, not which lapses count; its other filters
    (search, school, platform, check) select the same lapses the summary counts.
    """
    plain = Filters(
        school=filters.school, platform=filters.platform, check=filters.check, q=filters.q
    )
    base = lapse_conditions(session, viewer, plain, tz, with_status=False)
    days = (last - first).days + 1
    if days <= 0:
        return []
    # Day boundaries at the district's midnight (a GROUP BY on the database's date() is UTC).
    ends = [int(_start(first + timedelta(days=k + 1), tz).timestamp()) for k in range(days)]
    start = _start(first, tz)
    opened_on = [0] * (days + 1)  # the last slot: after the chart's last day (not drawn)
    resolved_on = [0] * (days + 1)
    before = 0
    # Core rows (no ORM result machinery): plain integer pairs.
    query = select(_epoch(session, Lapse.opened_at), _epoch(session, Lapse.resolved_at))
    if not lapses_only(viewer, plain):
        query = query.outerjoin(AccountRow, AccountRow.id == Lapse.account_id)
    rows = (
        session.connection()
        .execute(
            query.where(
                *base,
                Lapse.opened_at < _start(last + timedelta(days=1), tz),
                or_(Lapse.resolved_at.is_(None), Lapse.resolved_at >= start),
            )
        )
        .all()
    )
    first_second = int(start.timestamp())
    for opened_at, resolved_at in rows:
        if opened_at < first_second:
            before += 1
        else:
            opened_on[bisect_right(ends, opened_at)] += 1
        if resolved_at is not None:
            resolved_on[bisect_right(ends, resolved_at)] += 1
    series, level = [], before
    for k in range(days):
        level += opened_on[k] - resolved_on[k]
        series.append((first + timedelta(days=k), level))
    return series
