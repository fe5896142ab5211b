"""The weekly summary for communications, and counting school days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from digest_world import HOSTILE, MONDAY, District
from sqlalchemy import select

from monitor.store.db import transaction
from monitor.store.models import OutboxMessage
from notifications.schooldays import DayCounter
from notifications.service import build_digests, due_periods

WED = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
MakeDistrict = Callable[..., District]
VANCOUVER = ZoneInfo("America/Vancouver")


def weekly_rows(d: District) -> list[OutboxMessage]:
    with transaction(d.app.sessions) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "weekly")))


def test_the_weekly_summary_counts_by_check_and_lists_oldest_unknown_and_resolved(
    make_district: MakeDistrict,
) -> None:
    d = make_district(digest={"weekly_weekday": "mon"})
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED - timedelta(days=14))
    d.lapse("hillcrest-fb", "two_admins", "hillcrest-fb: only 1 admin.", WED)
    d.lapse("hillcrest-fb", "identifies_school", f"hillcrest-fb: named {HOSTILE}.", WED)
    d.lapse("hillcrest-band-ig", "freshness", "no post.", WED - timedelta(days=3))
    d.resolve("hillcrest-band-ig", "freshness", MONDAY - timedelta(days=2))
    d.fetch_failing("bayview-fb", MONDAY - timedelta(days=4), "token expired")
    build_digests(d.app, MONDAY)
    [row] = weekly_rows(d)
    assert (row.recipient, row.period) == ("comms@cmsd82.ca", "2026-W48")
    text, html = row.body_text, row.body_html
    assert "Open lapses: 3." in text
    assert "At least two admins: 2 open" in text
    assert "Profile names the school and links its website: 1 open" in text
    oldest = text.index("Oldest open lapses:")
    assert (
        oldest < text.index("bayview-fb: only 1 admin") < text.index("hillcrest-fb: only 1 admin")
    )
    assert "Accounts that could not be checked:" in text and "token expired" in text
    assert "Resolved this week:" in text and "Updated regularly, resolved Sat 21 Nov 2026" in text
    assert HOSTILE in text and HOSTILE not in html and "&lt;script&gt;" in html
    assert "3 open, 1 resolved, 1 unreadable" in row.subject


def test_the_weekly_summary_is_not_due_before_its_day(make_district: MakeDistrict) -> None:
    d = make_district(digest={"weekly_weekday": "tue"})
    d.lapse("bayview-fb", "two_admins", "bayview-fb: only 1 admin.", WED)
    build_digests(d.app, MONDAY)
    assert weekly_rows(d) == []
    build_digests(d.app, MONDAY + timedelta(days=2))  # a missed Tuesday is built on Wednesday
    assert [r.period for r in weekly_rows(d)] == ["2026-W48"]


def test_a_quiet_week_sends_no_summary(make_district: MakeDistrict) -> None:
    d = make_district(digest={"weekly_weekday": "mon"})
    build_digests(d.app, MONDAY)
    assert weekly_rows(d) == []


def test_no_weekly_summary_without_communications_staff(make_district: MakeDistrict) -> None:
    d = make_district(district={"communications": []}, digest={"weekly_weekday": "mon"})
    assert [k for k, _ in due_periods(d.app.settings, MONDAY)] == ["daily"]


def test_a_lapse_opened_friday_is_one_school_day_old_on_monday() -> None:
    counter = DayCounter(VANCOUVER, [], school_days_only=True)
    friday = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    assert counter.age(friday, MONDAY) == 1
    assert (
        counter.age(friday, MONDAY - timedelta(days=1)) == 0
    )  # Sunday: the weekend does not count
    assert counter.age(MONDAY, MONDAY) == 0


def test_holidays_do_not_count_but_weekend_holidays_are_not_subtracted_twice() -> None:
    holidays = [date(2026, 11, 11), date(2026, 11, 14)]  # a Wednesday and a Saturday
    counter = DayCounter(VANCOUVER, holidays, school_days_only=True)
    start, end = date(2026, 11, 9), date(2026, 11, 23)  # Monday to Monday two weeks later
    assert counter.days_between(start, end) == 10 - 1


def test_ages_use_the_district_date_not_utc() -> None:
    counter = DayCounter(VANCOUVER, [], school_days_only=False)
    # 02:00 UTC on Tuesday is still Monday evening in Vancouver.
    late_monday = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert counter.age(late_monday, MONDAY + timedelta(days=1)) == 1
    assert counter.days_between(date(2026, 11, 1), date(2026, 11, 30)) == 29
