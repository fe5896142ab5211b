"""Read queries of the web page; each takes the viewer and applies `scope` in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from monitor.store.models import (
    OPEN_STATES,
    AccountRow,
    Attestation,
    CheckState,
    Lapse,
    LapseEvent,
    Review,
)
from monitor.web.auth import Viewer
from monitor.web.filters import PAGE_SIZE, Filters
from monitor.web.scope import account_condition

TIMELINE_PAGE = 200
DIRECTORY_PAGE = 200


def _start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tz).astimezone(UTC)


def lapse_conditions(
    session: Session, viewer: Viewer, filters: Filters, tz: ZoneInfo, *, with_status: bool = True
) -> list[ColumnElement[bool]]:
    """The WHERE clauses for lapses joined to their account."""
    conds: list[ColumnElement[bool]] = [account_condition(session, viewer)]
    if filters.school:
        conds.append(AccountRow.school == filters.school)
    if filters.platform:
        conds.append(AccountRow.platform == filters.platform)
    if filters.check:
        conds.append(Lapse.check_id == filters.check)
    if with_status and filters.status != "all":
        conds.append(Lapse.status == filters.status)
    if filters.since:
        conds.append(Lapse.opened_at >= _start(filters.since, tz))
    if filters.until:
        conds.append(Lapse.opened_at < _start(filters.until + timedelta(days=1), tz))
    return conds


def _lapses(conds: list[ColumnElement[bool]]) -> Select[Lapse, AccountRow]:
    return (
        select(Lapse, AccountRow)
        .join(AccountRow, AccountRow.id == Lapse.account_id)
        .where(*conds)
        .order_by(Lapse.opened_at, Lapse.id)
    )


@dataclass(frozen=True, slots=True)
class Overview:
    """What the overview shows for one set of filters."""

    counts: list[tuple[str, str, int]]  # (school, check, lapses)
    total: int
    lapses: list[tuple[Lapse, AccountRow]]
    unknown: list[tuple[str, str, str, int, datetime]]  # (account, school, platform, checks, since)


def overview(session: Session, viewer: Viewer, filters: Filters, tz: ZoneInfo) -> Overview:
    """Counts by school and check, one page of lapses (oldest first), accounts with unknowns."""
    conds = lapse_conditions(session, viewer, filters, tz)
    counts = session.execute(
        select(AccountRow.school, Lapse.check_id, func.count())
        .join(AccountRow, AccountRow.id == Lapse.account_id)
        .where(*conds)
        .group_by(AccountRow.school, Lapse.check_id)
        .order_by(AccountRow.school, Lapse.check_id)
    ).all()
    rows = session.execute(_lapses(conds).limit(PAGE_SIZE).offset(filters.offset)).all()
    return Overview(
        counts=[(s, c, n) for s, c, n in counts],
        total=sum(n for _, _, n in counts),
        lapses=[(row[0], row[1]) for row in rows],
        unknown=unknown_accounts(session, viewer, filters),
    )


def unknown_accounts(
    session: Session, viewer: Viewer, filters: Filters, limit: int = 50
) -> list[tuple[str, str, str, int, datetime]]:
    """Accounts with at least one check whose status is unknown, longest unknown first."""
    conds = [CheckState.status == "unknown", AccountRow.active, account_condition(session, viewer)]
    if filters.school:
        conds.append(AccountRow.school == filters.school)
    if filters.platform:
        conds.append(AccountRow.platform == filters.platform)
    if filters.check:
        conds.append(CheckState.check_id == filters.check)
    since = func.min(CheckState.since)
    rows = session.execute(
        select(AccountRow.id, AccountRow.school, AccountRow.platform, func.count(), since)
        .join(AccountRow, AccountRow.id == CheckState.account_id)
        .where(*conds)
        .group_by(AccountRow.id, AccountRow.school, AccountRow.platform)
        .order_by(since, AccountRow.id)
        .limit(limit)
    ).all()
    return [(a, s, p, n, t) for a, s, p, n, t in rows]


def export_rows(
    session: Session, viewer: Viewer, filters: Filters, tz: ZoneInfo
) -> Iterator[tuple[Lapse, AccountRow]]:
    """Every lapse the filters select (no paging), for the CSV export."""
    query = _lapses(lapse_conditions(session, viewer, filters, tz))
    for row in session.execute(query.execution_options(yield_per=1000)):
        yield row[0], row[1]


@dataclass(frozen=True, slots=True)
class AccountPage:
    """Everything the account page shows."""

    account: AccountRow
    states: list[CheckState]
    lapses: list[Lapse]
    events: list[LapseEvent]
    more_events: bool
    last_review: Review | None
    attestations: dict[str, Attestation]


def account_page(session: Session, account: AccountRow, page: int = 1) -> AccountPage:
    """The account's checks, its open and recent lapses and one page of its timeline."""
    aid = account.id
    states = list(session.scalars(select(CheckState).where(CheckState.account_id == aid)))
    lapses = list(
        session.scalars(
            select(Lapse)
            .where(Lapse.account_id == aid)
            .order_by(Lapse.status.in_(OPEN_STATES).desc(), Lapse.opened_at.desc())
            .limit(100)
        )
    )
    events = list(
        session.scalars(
            select(LapseEvent)
            .where(LapseEvent.account_id == aid)
            .order_by(LapseEvent.at.desc(), LapseEvent.id.desc())
            .limit(TIMELINE_PAGE + 1)
            .offset((page - 1) * TIMELINE_PAGE)
        )
    )
    last_review = session.scalars(
        select(Review).where(Review.account_id == aid).order_by(Review.at.desc()).limit(1)
    ).first()
    attestations: dict[str, Attestation] = {}
    for att in session.scalars(
        select(Attestation).where(Attestation.account_id == aid).order_by(Attestation.at)
    ):
        attestations[att.check_id] = att  # the newest wins
    return AccountPage(
        account=account,
        states=states,
        lapses=lapses,
        events=events[:TIMELINE_PAGE],
        more_events=len(events) > TIMELINE_PAGE,
        last_review=last_review,
        attestations=attestations,
    )


def school_accounts(
    session: Session, viewer: Viewer, school: str
) -> list[tuple[AccountRow, int, int]]:
    """The school's visible accounts with their open lapse and unknown check counts."""
    open_count = (
        select(func.count())
        .where(Lapse.account_id == AccountRow.id, Lapse.status.in_(OPEN_STATES))
        .correlate(AccountRow)
        .scalar_subquery()
    )
    unknown_count = (
        select(func.count())
        .where(CheckState.account_id == AccountRow.id, CheckState.status == "unknown")
        .correlate(AccountRow)
        .scalar_subquery()
    )
    rows = session.execute(
        select(AccountRow, open_count, unknown_count)
        .where(AccountRow.school == school, account_condition(session, viewer))
        .order_by(AccountRow.active.desc(), AccountRow.id)
    ).all()
    return [(a, o, u) for a, o, u in rows]


def directory(
    session: Session, viewer: Viewer, school: str, platform: str, page: int
) -> tuple[list[AccountRow], bool]:
    """Registered accounts (active first), one page; and whether there is a next page."""
    conds: list[ColumnElement[bool]] = [account_condition(session, viewer)]
    if school:
        conds.append(AccountRow.school == school)
    if platform:
        conds.append(AccountRow.platform == platform)
    rows = list(
        session.scalars(
            select(AccountRow)
            .where(*conds)
            .order_by(AccountRow.active.desc(), AccountRow.school, AccountRow.id)
            .limit(DIRECTORY_PAGE + 1)
            .offset((page - 1) * DIRECTORY_PAGE)
        )
    )
    return rows[:DIRECTORY_PAGE], len(rows) > DIRECTORY_PAGE


def choices(session: Session, viewer: Viewer) -> tuple[list[str], list[str]]:
    """The schools and platforms the viewer can filter on."""
    cond = account_condition(session, viewer)
    schools = session.scalars(
        select(AccountRow.school).where(cond).distinct().order_by(AccountRow.school)
    ).all()
    platforms = session.scalars(
        select(AccountRow.platform).where(cond).distinct().order_by(AccountRow.platform)
    ).all()
    return list(schools), list(platforms)


def open_series(
    session: Session, viewer: Viewer, filters: Filters, first: date, last: date
) -> list[tuple[date, int]]:
    """Lapses open (or muted) at the end of each UTC day from `first` to `last`."""
    # The filter's dates bound the chart's axis, not which lapses count.
    base = _without_dates(session, viewer, filters)
    start = _start(first, ZoneInfo("UTC"))
    end = _start(last + timedelta(days=1), ZoneInfo("UTC"))
    joined = (
        select(func.count()).select_from(Lapse).join(AccountRow, AccountRow.id == Lapse.account_id)
    )
    before = session.execute(
        joined.where(
            *base,
            Lapse.opened_at < start,
            or_(Lapse.resolved_at.is_(None), Lapse.resolved_at >= start),
        )
    ).scalar_one()
    opened = _per_day(session, Lapse.opened_at, base, start, end)
    resolved = _per_day(session, Lapse.resolved_at, base, start, end)
    series, level, day = [], before, first
    while day <= last:
        level += opened.get(day, 0) - resolved.get(day, 0)
        series.append((day, level))
        day += timedelta(days=1)
    return series


def _without_dates(session: Session, viewer: Viewer, filters: Filters) -> list[ColumnElement[bool]]:
    plain = Filters(school=filters.school, platform=filters.platform, check=filters.check)
    return lapse_conditions(session, viewer, plain, ZoneInfo("UTC"), with_status=False)


def _per_day(
    session: Session, column: Any, base: list[ColumnElement[bool]], start: datetime, end: datetime
) -> dict[date, int]:
    day = func.date(column)
    rows = session.execute(
        select(day, func.count())
        .select_from(Lapse)
        .join(AccountRow, AccountRow.id == Lapse.account_id)
        .where(*base, and_(column >= start, column < end))
        .group_by(day)
    ).all()
    # SQLite answers 'YYYY-MM-DD' text, PostgreSQL a date.
    return {date.fromisoformat(str(d)[:10]): n for d, n in rows if d is not None}
