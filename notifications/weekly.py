"""The weekly summary for communications staff: the whole district at a glance."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from checks import ALL_CHECKS
from monitor.registry import Account
from monitor.settings import Settings
from notifications.digest import fmt_date, fmt_day
from notifications.links import PLATFORM_LABELS, account_url
from notifications.recipients import spec_for
from notifications.schooldays import DayCounter
from notifications.state import StoreView

OLDEST_SHOWN = 10


@dataclass(frozen=True, slots=True)
class CheckCount:
    check_id: str
    title: str
    open: int
    muted: int


@dataclass(frozen=True, slots=True)
class WeeklyLine:
    """One account-level line: an old lapse, an unknown account or a resolution."""

    school: str
    account_id: str
    platform: str
    url: str
    title: str
    detail: str
    date: str
    days: int


@dataclass(frozen=True, slots=True)
class WeeklySummary:
    """Everything the weekly templates show; the same for every communications recipient."""

    period: str
    district: str
    week_label: str
    age_unit: str
    by_check: list[CheckCount]
    open_total: int
    muted_total: int
    oldest: list[WeeklyLine]
    unknown: list[WeeklyLine]
    resolved: list[WeeklyLine]
    lapse_ids: list[int]

    @property
    def has_news(self) -> bool:
        return bool(self.open_total or self.unknown or self.resolved)


def build_weekly(
    store: StoreView,
    accounts: Sequence[Account],
    settings: Settings,
    counter: DayCounter,
    now: datetime,
    period: str,
) -> WeeklySummary:
    """Counts by check, the oldest open lapses, unknown accounts and this week's resolutions."""
    by_id = {a.id: a for a in accounts}
    known = [lapse for lapse in store.active if lapse.account_id in by_id]
    open_counts = Counter(lapse.check_id for lapse in known if lapse.status == "open")
    muted_counts = Counter(lapse.check_id for lapse in known if lapse.status == "muted")
    order = [s.id for s in ALL_CHECKS] + sorted(
        set(open_counts) | set(muted_counts) - {s.id for s in ALL_CHECKS}
    )
    by_check = [
        CheckCount(cid, _title(cid), open_counts[cid], muted_counts[cid])
        for cid in order
        if open_counts[cid] or muted_counts[cid]
    ]

    def line(account_id: str, check_id: str, detail: str, at: datetime, days: int) -> WeeklyLine:
        account = by_id[account_id]
        return WeeklyLine(
            school=account.school,
            account_id=account_id,
            platform=PLATFORM_LABELS.get(account.platform, account.platform),
            url=account_url(account.platform, account.platform_id),
            title=_title(check_id) if check_id else "",
            detail=detail,
            date=fmt_date(at, counter),
            days=days,
        )

    oldest_rows = sorted(
        (lapse for lapse in known if lapse.status == "open"), key=lambda x: (x.opened_at, x.id)
    )[:OLDEST_SHOWN]
    oldest = [
        line(x.account_id, x.check_id, x.detail, x.opened_at, counter.age(x.opened_at, now))
        for x in oldest_rows
    ]
    unknown = [
        line(u.account_id, "", u.reason, u.since, (now - u.since).days)
        for u in sorted(store.unknown.values(), key=lambda u: (u.since, u.account_id))
        if u.account_id in by_id
    ]
    since = store.last_sent_any or now - timedelta(days=7)
    resolved_rows = sorted(
        (
            x
            for x in store.resolved
            if x.account_id in by_id and x.resolved_at is not None and x.resolved_at > since
        ),
        key=lambda x: (by_id[x.account_id].school, x.account_id, x.id),
    )
    resolved = [
        line(
            x.account_id,
            x.check_id,
            x.detail,
            x.resolved_at,
            counter.age(x.opened_at, x.resolved_at),
        )
        for x in resolved_rows
        if x.resolved_at is not None
    ]
    today = counter.local_date(now)
    monday = today - timedelta(days=today.weekday())
    return WeeklySummary(
        period=period,
        district=settings.district.name,
        week_label=f"week of {fmt_day(monday)}",
        age_unit="school days" if settings.digest.school_days_only else "days",
        by_check=by_check,
        open_total=sum(open_counts.values()),
        muted_total=sum(muted_counts.values()),
        oldest=oldest,
        unknown=unknown,
        resolved=resolved,
        lapse_ids=sorted({x.id for x in oldest_rows} | {x.id for x in resolved_rows}),
    )


def _title(check_id: str) -> str:
    spec = spec_for(check_id)
    return spec.title if spec else check_id.replace("_", " ")
