"""The scheduler's triggers in the district's zone, made to move forward in real time.

Cron triggers run in district time; arithmetic on aware times in a zone with daylight
saving is wall-clock arithmetic, so every computation here goes through UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.settings import Schedule, Settings

# A repeated hour lasts 60 minutes: this many one-minute probes always get past it.
STEADY_PROBES = 24 * 60


class SteadyCronTrigger(CronTrigger):  # type: ignore[misc]
    """A CronTrigger whose next fire time always moves forward in real time.

    Arithmetic on aware times in a zone with DST is wall-clock arithmetic: on the night
    clocks go back, APScheduler 3 adds a microsecond to 01:00 PST and lands on 01:00 PDT,
    so it answers 01:00 PST again and again and the scheduler's catch-up loop never ends.
    Times go in and come out in UTC; should an answer still not move forward, asking again
    a minute later each time steps over the repeated hour.
    """

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        prev = previous_fire_time.astimezone(UTC) if previous_fire_time is not None else None
        now = now.astimezone(UTC)
        probe = now
        for _ in range(STEADY_PROBES):
            nxt: datetime | None = super().get_next_fire_time(prev, probe)
            if nxt is None:
                return None
            nxt = nxt.astimezone(UTC)
            if nxt >= now and (prev is None or nxt > prev):
                return nxt
            probe = max(probe, prev or probe) + timedelta(minutes=1)
        return None


def check_trigger(schedule: Schedule, tz: ZoneInfo) -> BaseTrigger:
    """Every check_every_minutes between first_hour and last_hour (inclusive), district time."""
    every, hours = schedule.check_every_minutes, f"{schedule.first_hour}-{schedule.last_hour}"
    if every < 60 and 60 % every == 0:
        return SteadyCronTrigger(minute=f"*/{every}", hour=hours, timezone=tz)
    if every % 60 == 0:
        return SteadyCronTrigger(minute=0, hour=f"{hours}/{every // 60}", timezone=tz)
    # Cron cannot say "every 45 minutes": an interval, kept within the hours by the job.
    return IntervalTrigger(minutes=every, timezone=tz)


def digest_trigger(settings: Settings, weekly: bool = False) -> CronTrigger:
    at = settings.digest.hour
    day = settings.digest.weekly_weekday if weekly else "*"
    return SteadyCronTrigger(day_of_week=day, hour=at.hour, minute=at.minute, timezone=settings.tz)


def next_fire(trigger: BaseTrigger, after: datetime) -> datetime | None:
    """The first time strictly after `after` at which `trigger` fires."""
    if isinstance(trigger, IntervalTrigger):
        return after + trigger.interval  # type: ignore[no-any-return]
    # In UTC: a second after 01:00 PST, computed in the zone, would be 01:00:01 PDT.
    return trigger.get_next_fire_time(None, after.astimezone(UTC) + timedelta(seconds=1))  # type: ignore[no-any-return]


def due_after(schedule: Schedule, tz: ZoneInfo, start: datetime, intervals: int) -> datetime | None:
    """When `intervals` scheduled checks after `start` have come and gone, in elapsed time.

    Each step is the next scheduled check but never less than one interval of real time:
    on the night clocks go back, a wall-clock trigger repeats or reorders the 01:00 hour,
    and "two intervals" must not shrink to one hour (or less). Outside the check hours the
    next scheduled check is later anyway, and wins.
    """
    trigger, every = check_trigger(schedule, tz), timedelta(minutes=schedule.check_every_minutes)
    # In UTC: two aware times sharing a zone compare by wall clock, ignoring the DST fold.
    due = start.astimezone(UTC)
    for _ in range(intervals):
        nxt = next_fire(trigger, due)
        if nxt is None:
            return None
        due = max(nxt.astimezone(UTC), due + every)
    return due
