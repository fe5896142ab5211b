"""The scheduler's jobs and triggers: APScheduler 3 in the district's timezone.

Jobs are rebuilt from config at every start with explicit ids. They call unit-of-work
functions (`run_check_cycle`, `housekeeping` here, notifications' `send_due_digests`)
that tests call directly, with no scheduler running.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete, select

from monitor import runner
from monitor.context import App
from monitor.cycle import CycleResult
from monitor.settings import Schedule, Settings
from monitor.store.db import transaction
from monitor.store.models import CheckRun, Lease
from monitor.store.models import Cycle as CycleRow
from socmon.daemon.triggers import (
    SteadyCronTrigger,
    check_trigger,
    digest_trigger,
    due_after,
    next_fire,
)

__all__ = ["check_trigger", "digest_trigger", "due_after", "next_fire"]  # from triggers

logger = logging.getLogger(__name__)

CHECK, DIGESTS, WEEKLY, HOUSEKEEPING = "check-cycle", "digests", "weekly-summary", "housekeeping"
OUTBOX, LEASE, WATCHDOG = "outbox", "lease", "watchdog"
# Retries of digests that got a 4xx wait in the outbox; this is how often it is swept.
OUTBOX_MINUTES = 10
RETENTION = timedelta(days=30)
# After SIGTERM, in-flight fetches get this long before they are cancelled; what finished
# is flushed either way, and the whole stop stays inside systemd's 10 s budget.
STOP_GRACE_SECONDS = 5.0
HOUSEKEEPING_AT = (3, 17)  # 03:17 district time, away from the top-of-hour jobs

Cycle = Callable[[App, asyncio.Event], Coroutine[Any, Any, CycleResult]]


def default_cycle(app: App, stop: asyncio.Event) -> Coroutine[Any, Any, CycleResult]:
    """The real cycle: connectors from config and secrets, every account, all checks."""
    return runner.run_check_cycle(app, stop=stop)


class Stopper:
    """A stop request that signal handlers, threads and event loops can all see."""

    def __init__(self) -> None:
        self._flag = threading.Event()
        # Re-entrant: set() may run in a signal handler on a thread that is inside bind().
        self._lock = threading.RLock()
        self._loops: dict[asyncio.AbstractEventLoop, asyncio.Event] = {}

    def set(self) -> None:
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        with self._lock:
            self._flag.set()
            for loop, event in self._loops.items():
                if loop is here:
                    event.set()  # same loop: at once, before a worker takes its next account
                    continue
                try:
                    loop.call_soon_threadsafe(event.set)
                except RuntimeError:  # that loop has just closed: nothing left to stop
                    continue

    def is_set(self) -> bool:
        return self._flag.is_set()

    def bind(self, loop: asyncio.AbstractEventLoop) -> asyncio.Event:
        """An asyncio.Event on `loop` that is set when stop is requested."""
        event = asyncio.Event()
        with self._lock:
            self._loops[loop] = event
            if self._flag.is_set():
                event.set()
        return event

    def unbind(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._loops.pop(loop, None)


def run_check_cycle(
    app: App,
    stop: Stopper | None = None,
    *,
    cycle: Cycle = default_cycle,
    grace: float = STOP_GRACE_SECONDS,
) -> CycleResult | None:
    """The check job: one stoppable cycle of the whole registry (None when stop cut it short).

    Runs `monitor.runner.run_check_cycle` in a fresh event loop: connectors and their HTTP
    clients are built per cycle, minutes apart, so no loop is kept alive between runs.
    """
    return asyncio.run(_check_cycle(app, stop or Stopper(), cycle, grace))


async def _check_cycle(
    app: App, stopper: Stopper, cycle: Cycle, grace: float
) -> CycleResult | None:
    loop = asyncio.get_running_loop()
    stop = stopper.bind(loop)
    try:
        task = asyncio.create_task(cycle(app, stop))
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if task.done():
            return task.result()
        try:
            # Workers take no new account once stop is set; in-flight ones get `grace`, then
            # are cancelled. The cycle's writer stores every finished result either way.
            return await asyncio.wait_for(task, grace)
        except TimeoutError:
            logger.warning("check cycle cut short by stop; finished results were kept")
            return None
    finally:
        stopper.unbind(loop)


@dataclass(frozen=True)
class Tidied:
    check_runs: int
    leases: int


def housekeeping(app: App, now: datetime | None = None) -> Tidied:
    """Delete check runs older than RETENTION and leases that have expired."""
    now = now or app.clock()
    with transaction(app.sessions) as session:
        runs = session.execute(delete(CheckRun).where(CheckRun.started_at < now - RETENTION))
        leases = session.execute(delete(Lease).where(Lease.expires_at < now))
    tidied = Tidied(runs.rowcount, leases.rowcount)  # type: ignore[attr-defined]
    logger.info(
        "housekeeping done", extra={"check_runs": tidied.check_runs, "leases": tidied.leases}
    )
    return tidied


def last_finished_cycle(app: App, *, complete: bool = False) -> CycleRow | None:
    """The newest whole-registry cycle that ended (`complete`: the newest that ended complete).

    A narrowed `socmon check --account` says nothing about the rest of the district.
    """
    query = select(CycleRow).where(CycleRow.finished_at.is_not(None), CycleRow.scope == "registry")
    if complete:
        query = query.where(CycleRow.status == "complete")
    with app.sessions() as session:
        return session.scalars(query.order_by(CycleRow.id.desc()).limit(1)).first()


def overdue(app: App, now: datetime, intervals: int = 1) -> bool:
    """True when `intervals` scheduled checks have come and gone since the last complete cycle."""
    last = last_finished_cycle(app, complete=True)
    if last is None or last.finished_at is None:
        return True
    # The next scheduled check after the last complete cycle (status adds an elapsed-time floor).
    trigger, due = check_trigger(app.settings.schedule, app.settings.tz), last.finished_at
    for _ in range(intervals):
        nxt = next_fire(trigger, due)
        if nxt is None:
            return False
        due = nxt
    return now >= due


def in_check_hours(schedule: Schedule, local: datetime) -> bool:
    return schedule.first_hour <= local.hour <= schedule.last_hour


def build_scheduler(
    settings: Settings,
    jobs: Mapping[str, Callable[[], Any]],
    *,
    on_error: Callable[[str], Any] | None = None,
    watchdog: float | None = None,
) -> BlockingScheduler:
    """The scheduler with every job, from config; `jobs` maps each job id to its callable."""
    tz = settings.tz
    scheduler = BlockingScheduler(
        timezone=tz,
        executors={"default": ThreadPoolExecutor(max_workers=6)},
    )
    triggers: dict[str, BaseTrigger] = {
        CHECK: check_trigger(settings.schedule, tz),
        DIGESTS: digest_trigger(settings),
        WEEKLY: digest_trigger(settings, weekly=True),
        HOUSEKEEPING: SteadyCronTrigger(
            hour=HOUSEKEEPING_AT[0], minute=HOUSEKEEPING_AT[1], timezone=tz
        ),
        OUTBOX: IntervalTrigger(minutes=OUTBOX_MINUTES, timezone=tz),
        # Renewed three times per lease, so one missed renewal never loses it.
        LEASE: IntervalTrigger(seconds=max(1, settings.lease.seconds // 3), timezone=tz),
    }
    if watchdog:
        triggers[WATCHDOG] = IntervalTrigger(seconds=watchdog, timezone=tz)
    for job_id, trigger in triggers.items():
        # Given per job rather than as scheduler defaults so they show on the job (and in tests).
        scheduler.add_job(
            jobs[job_id],
            trigger,
            id=job_id,
            name=job_id,
            replace_existing=True,
            coalesce=True,  # a backlog of missed runs runs once
            max_instances=1,  # a slow cycle is never overlapped by the next
            misfire_grace_time=settings.schedule.misfire_grace_seconds,
        )
    scheduler.add_listener(error_listener(on_error), EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def error_listener(record: Callable[[str], Any] | None) -> Callable[[JobExecutionEvent], None]:
    """Logs a job that raised or missed its time, and hands its id to `record` (a metric)."""

    def listener(event: JobExecutionEvent) -> None:
        if event.exception is not None:
            logger.error(
                "job failed",
                exc_info=(type(event.exception), event.exception, event.exception.__traceback__),
                extra={"job": event.job_id},
            )
        else:
            logger.warning("job missed its run time", extra={"job": event.job_id})
        if record is not None:
            record(event.job_id)

    return listener
