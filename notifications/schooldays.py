"""A lapse's age in days, counting only school days when the district asks for it.

Age is the number of district-local days after the day the lapse opened, up to and
including today: a lapse opened on Friday is 1 school day old on Monday. Weekends
never count and neither do `district.holidays` when `school_days_only` is set.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


class DayCounter:
    """Counts days between dates; built once per digest run, cached per opening date."""

    def __init__(self, tz: ZoneInfo, holidays: Iterable[date], school_days_only: bool) -> None:
        self.tz = tz
        self.holidays = frozenset(holidays)
        self.school_days_only = school_days_only
        self._cache: dict[tuple[date, date], int] = {}

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def days_between(self, start: date, end: date) -> int:
        """Days in (start, end], school days only when configured; 0 when end <= start."""
        if end <= start:
            return 0
        if not self.school_days_only:
            return (end - start).days
        key = (start, end)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._count(start, end)
            self._cache[key] = cached
        return cached

    def _count(self, start: date, end: date) -> int:
        # Whole weeks have five weekdays each; only the remainder is walked day by day.
        total_days = (end - start).days
        weeks, rest = divmod(total_days, 7)
        count = weeks * 5
        day = start + timedelta(days=weeks * 7)
        for _ in range(rest):
            day += timedelta(days=1)
            if day.weekday() < 5:
                count += 1
        count -= sum(1 for h in self.holidays if start < h <= end and h.weekday() < 5)
        return count

    def age(self, opened_at: datetime, now: datetime) -> int:
        """The age of something that started at `opened_at`, as of `now`."""
        return self.days_between(self.local_date(opened_at), self.local_date(now))
