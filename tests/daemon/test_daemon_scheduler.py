"""The scheduler is built from config: the right jobs, triggers, options and timezone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from daemon_helpers import T0, upgraded_app, write_config

from monitor.settings import Schedule, load_settings
from monitor.store.db import transaction
from monitor.store.models import Cycle
from socmon.daemon import (
    CHECK,
    DIGESTS,
    HOUSEKEEPING,
    LEASE,
    OUTBOX,
    WATCHDOG,
    WEEKLY,
    build_scheduler,
)
from socmon.daemon.jobs import check_trigger, next_fire, overdue

VANCOUVER = ZoneInfo("America/Vancouver")


def _jobs() -> dict[str, object]:
    return {
        job_id: (lambda: None)
        for job_id in (CHECK, DIGESTS, WEEKLY, HOUSEKEEPING, OUTBOX, LEASE, WATCHDOG)
    }


def _local(*args: int) -> datetime:
    return datetime(*args, tzinfo=VANCOUVER)


def test_it_builds_every_job_with_explicit_ids_in_the_district_timezone(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, first_hour=6, last_hour=22))

    scheduler = build_scheduler(settings, _jobs(), watchdog=15.0)  # type: ignore[arg-type]

    assert {job.id for job in scheduler.get_jobs()} == {
        CHECK,
        DIGESTS,
        WEEKLY,
        HOUSEKEEPING,
        OUTBOX,
        LEASE,
        WATCHDOG,
    }
    assert str(scheduler.timezone) == "America/Vancouver"
    for job in scheduler.get_jobs():
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == 600
    check = scheduler.get_job(CHECK).trigger
    assert isinstance(check, CronTrigger) and str(check.timezone) == "America/Vancouver"
    assert scheduler.get_job(WATCHDOG).trigger.interval == timedelta(seconds=15)


def test_it_leaves_the_watchdog_job_out_when_systemd_set_no_watchdog(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path))
    scheduler = build_scheduler(settings, _jobs(), watchdog=None)  # type: ignore[arg-type]
    assert scheduler.get_job(WATCHDOG) is None


def test_the_check_runs_hourly_from_first_to_last_hour_district_time(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, first_hour=6, last_hour=22))
    trigger = check_trigger(settings.schedule, settings.tz)

    assert next_fire(trigger, _local(2026, 11, 23, 10, 30)) == _local(2026, 11, 23, 11, 0)
    # After 22:00 the next check is 06:00 the next morning, local time.
    assert next_fire(trigger, _local(2026, 11, 23, 22, 0)) == _local(2026, 11, 24, 6, 0)


def test_the_check_interval_follows_check_every_minutes() -> None:
    every_15 = check_trigger(Schedule(check_every_minutes=15), VANCOUVER)
    every_2h = check_trigger(Schedule(check_every_minutes=120, first_hour=6), VANCOUVER)
    every_45 = check_trigger(Schedule(check_every_minutes=45), VANCOUVER)

    assert next_fire(every_15, _local(2026, 11, 23, 10, 16)) == _local(2026, 11, 23, 10, 30)
    assert next_fire(every_2h, _local(2026, 11, 23, 7, 0)) == _local(2026, 11, 23, 8, 0)
    # Cron cannot say "every 45 minutes": an interval stands in.
    assert isinstance(every_45, IntervalTrigger)
    assert every_45.interval == timedelta(minutes=45)


def test_digests_fire_at_the_digest_hour_and_the_weekly_summary_on_its_day(
    tmp_path: Path,
) -> None:
    extra = '\n[digest]\nhour = 07:30:00\nweekly_weekday = "wed"\n'
    settings = load_settings(write_config(tmp_path, extra=extra))
    scheduler = build_scheduler(settings, _jobs())  # type: ignore[arg-type]
    monday_noon = _local(2026, 11, 23, 12, 0)

    daily = next_fire(scheduler.get_job(DIGESTS).trigger, monday_noon)
    weekly = next_fire(scheduler.get_job(WEEKLY).trigger, monday_noon)

    assert daily == _local(2026, 11, 24, 7, 30)
    assert weekly == _local(2026, 11, 25, 7, 30)


def test_a_check_is_overdue_only_once_a_scheduled_run_was_missed(tmp_path: Path) -> None:
    app = upgraded_app(write_config(tmp_path, first_hour=6, last_hour=22), clock=lambda: T0)
    assert overdue(app, T0)  # never ran
    finished = T0 - timedelta(minutes=20)  # 10:10 local; next scheduled check 11:00
    with transaction(app.sessions) as session:
        session.add(Cycle(started_at=finished, finished_at=finished))

    assert not overdue(app, T0)
    assert overdue(app, datetime(2026, 11, 23, 19, 0, tzinfo=UTC))  # 11:00 local
    assert not overdue(app, datetime(2026, 11, 23, 19, 30, tzinfo=UTC), intervals=2)
    assert overdue(app, datetime(2026, 11, 23, 20, 0, tzinfo=UTC), intervals=2)
