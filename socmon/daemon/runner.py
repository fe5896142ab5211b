"""`socmon run`'s process: lease-guarded jobs, signals, sd_notify and metrics around the scheduler.

Only the holder of the lease (monitor.lease) runs jobs, so a second `socmon run` on the
same database is a standby that takes over when the first stops or dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Coroutine, Mapping
from types import FrameType
from typing import TYPE_CHECKING, Any

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers import SchedulerNotRunningError
from sqlalchemy.exc import InterfaceError, OperationalError

from monitor import runner
from monitor.context import App
from monitor.cycle import CycleResult
from monitor.errors import UserError
from monitor.lease import LeaseFence, LeaseKeeper
from monitor.store.faults import describe, is_unavailable, redacted
from socmon import sdnotify
from socmon.daemon.dbwatch import DatabaseWatch
from socmon.daemon.heartbeat import Heartbeat
from socmon.daemon.jobs import (
    CHECK,
    DIGESTS,
    HOUSEKEEPING,
    LEASE,
    OUTBOX,
    WATCHDOG,
    WEEKLY,
    Cycle,
    Stopper,
    build_scheduler,
    default_cycle,
    housekeeping,
    in_check_hours,
    overdue,
    run_check_cycle,
)
from socmon.daemon.recovery import recover
from socmon.metrics import Metrics

if TYPE_CHECKING:
    from notifications.service import DigestRun

logger = logging.getLogger(__name__)

# systemd's default stop budget is longer, but the unit (and the issue) promise 10 s.
STOP_TIMEOUT_SECONDS = 8.0


class Daemon:
    """Runs the scheduler for one process: lease-guarded jobs, signals, sd_notify, metrics."""

    def __init__(
        self,
        app: App,
        keeper: LeaseKeeper,
        *,
        metrics: Metrics | None = None,
        environ: Mapping[str, str] | None = None,
        send_digests: Callable[[App], DigestRun] | None = None,
        deliver: Callable[[App], DigestRun] | None = None,
        cycle: Cycle = default_cycle,
        heartbeat: Heartbeat | None = None,
    ) -> None:
        self.app, self.keeper, self.metrics = app, keeper, metrics
        self.environ = os.environ if environ is None else environ
        self.stopper = Stopper()
        self._send_digests = send_digests or _send_due_digests
        self._deliver = deliver or _deliver_pending
        self.heartbeat = heartbeat or Heartbeat()
        self._digests_waiting = False  # the digest job found a cycle running
        self.dbwatch = DatabaseWatch(app.settings.state_dir, redacted(app.engine), app.clock)
        # The real cycle reports its progress to the heartbeat (the watchdog means progress).
        self._cycle = self._real_cycle if cycle is default_cycle else cycle
        self.clean = True  # False when run() returned with a job still running
        self._running: set[str] = set()
        self._idle = threading.Condition()
        jobs: dict[str, Callable[[], Any]] = {
            CHECK: self._guarded(CHECK, self.check),
            DIGESTS: self._guarded(DIGESTS, self.digests),
            WEEKLY: self._guarded(WEEKLY, self.digests),
            OUTBOX: self._guarded(OUTBOX, self.outbox),
            HOUSEKEEPING: self._guarded(HOUSEKEEPING, lambda: housekeeping(app)),
            LEASE: self.renew_lease,
            WATCHDOG: self.watchdog,
        }
        self.scheduler = build_scheduler(
            app.settings,
            jobs,
            on_error=self._job_failed,
            watchdog=sdnotify.watchdog_seconds(self.environ),
        )
        self.scheduler.add_listener(self._started, EVENT_SCHEDULER_STARTED)

    def run(self) -> int:
        """Block until SIGTERM/SIGINT; returns the exit code."""
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        signal.signal(signal.SIGHUP, self._on_reload_signal)
        self.renew_lease()
        self.scheduler.start()  # returns once stop() has shut it down
        self.clean = self._wait_idle(STOP_TIMEOUT_SECONDS)
        self.keeper.release()
        logger.info("socmon stopped", extra={"clean": self.clean})
        return 0

    def stop(self) -> None:
        """Ask everything to stop; safe to call from a signal handler."""
        if self.stopper.is_set():
            return
        self.stopper.set()
        # Shut the scheduler down off the signal handler: it takes locks the main loop may hold.
        threading.Thread(target=self._shutdown, name="shutdown", daemon=True).start()

    def check(self) -> CycleResult | None:
        """The check-cycle job: the whole registry, within the configured hours."""
        now_local = self.app.clock().astimezone(self.app.settings.tz)
        if not in_check_hours(self.app.settings.schedule, now_local):
            return None
        self.heartbeat.begin()
        try:
            result = run_check_cycle(self.app, self.stopper, cycle=self._cycle)
        finally:
            self.heartbeat.end()
        self._note_database(result)
        # Metrics first: a scrape right after the "cycle finished" line already shows it.
        if result is not None and self.metrics is not None:
            self.metrics.cycle_finished(result.seconds, result.errors_by_kind)
        self._refresh_metrics()
        if result is not None:
            logger.info(
                "cycle finished",
                extra={
                    "cycle": result.cycle_id,
                    "accounts": result.accounts,
                    "status": result.status,
                    "ok": result.ok,
                    "failed": result.failed,
                    "opened": len(result.changes.opened),
                    "resolved": len(result.changes.resolved),
                    "seconds": round(result.seconds, 1),
                },
            )
        if self._digests_waiting and not self.stopper.is_set():
            self._digests_waiting = False
            self._counted(self._send_digests(self.app))  # they waited for this cycle
        return result

    def _real_cycle(self, app: App, stop: asyncio.Event) -> Coroutine[Any, Any, CycleResult]:
        fence = LeaseFence(self.keeper)  # this cycle's writes stop if the lease moves on
        return runner.run_check_cycle(app, stop=stop, progress=self.heartbeat.beat, fence=fence)

    def _note_database(self, result: CycleResult | None) -> None:
        if result is None:
            return
        if result.status == "failed" and result.error is not None:
            if is_unavailable(result.error):
                self.dbwatch.failed(describe(result.error))
            return
        self.dbwatch.ok()

    def watchdog(self) -> bool:
        """The watchdog job: ping systemd only while idle or while the cycle makes progress."""
        if not self.heartbeat.healthy():
            return False
        return sdnotify.notify("WATCHDOG=1", self.environ)

    def digests(self) -> DigestRun:
        """The digest job: build and send whatever is due (the outbox makes it exactly-once).

        While a check cycle runs, building waits for it (the check job builds them when it
        ends), so a digest never shows half a cycle; what is already built is still sent.
        """
        with self._idle:
            checking = CHECK in self._running
        self._digests_waiting = checking
        if checking:
            logger.info("digests wait for the running check cycle")
            return self._counted(self._deliver(self.app))
        return self._counted(self._send_digests(self.app))

    def outbox(self) -> DigestRun:
        """The outbox sweep: send digests whose retry time has come."""
        return self._counted(self._deliver(self.app))

    def _counted(self, run: DigestRun) -> DigestRun:
        if self.metrics is not None:
            self.metrics.digests(run.sent, run.failed)
        return run

    def renew_lease(self) -> bool:
        """The lease job: renew; on taking over, check at once if a scheduled check was missed."""
        was_held = self.keeper.held()
        held = self.keeper.renew()
        if self.keeper.last_error:
            self.dbwatch.failed(self.keeper.last_error)
        else:
            self.dbwatch.ok()
        if held and not was_held:
            # Just started or took over: put right what a dead holder left half-done, then
            # catch up on a missed check and a missed morning.
            now = self.app.clock()
            recover(self.app, now)
            if self._check_due_now():
                # The catch-up cycle first; the check job builds the digests when it ends.
                self._digests_waiting = True
                self.scheduler.modify_job(CHECK, next_run_time=now)
            else:
                self.scheduler.modify_job(DIGESTS, next_run_time=now)
        if self.metrics is not None:
            self.metrics.lease_held.set(1 if held else 0)
        return held

    def _guarded(self, job_id: str, work: Callable[[], Any]) -> Callable[[], Any]:
        def job() -> Any:
            if not self.keeper.held():
                logger.debug("job skipped: another process holds the lease", extra={"job": job_id})
                return None
            if self.stopper.is_set():
                return None
            with self._idle:
                self._running.add(job_id)
            try:
                return work()
            except (OperationalError, InterfaceError) as exc:
                if not is_unavailable(exc):
                    raise
                # The database is away: one line (on the change), the job runs again later.
                self.dbwatch.failed(describe(exc))
                return None
            finally:
                with self._idle:
                    self._running.discard(job_id)
                    self._idle.notify_all()

        return job

    def _check_due_now(self) -> bool:
        now = self.app.clock()
        local = now.astimezone(self.app.settings.tz)
        return in_check_hours(self.app.settings.schedule, local) and overdue(self.app, now)

    def _started(self, _event: object) -> None:
        if self.stopper.is_set():
            threading.Thread(target=self._shutdown, name="shutdown", daemon=True).start()
            return
        sdnotify.notify("READY=1", self.environ)
        jobs = {job.id: job.next_run_time for job in self.scheduler.get_jobs()}
        logger.info(
            "socmon running",
            extra={
                "holder": self.keeper.holder,
                "lease": "held" if self.keeper.held() else "standby",
                "next_check": jobs.get(CHECK),
                "next_digest": jobs.get(DIGESTS),
            },
        )

    def _shutdown(self) -> None:
        sdnotify.notify("STOPPING=1", self.environ)
        logger.info("stopping", extra={"running": ",".join(sorted(self._running)) or "none"})
        with contextlib.suppress(SchedulerNotRunningError):
            # Not started yet: _started() sees the stop request and comes back here.
            self.scheduler.shutdown(wait=False)

    def _wait_idle(self, timeout: float) -> bool:
        with self._idle:
            done = self._idle.wait_for(lambda: not self._running, timeout)
        if not done:
            logger.warning("jobs still running at exit", extra={"jobs": ",".join(self._running)})
        return done

    def _on_stop_signal(self, signum: int, _frame: FrameType | None) -> None:
        logger.info("signal received", extra={"signal": signal.Signals(signum).name})
        self.stop()

    def _on_reload_signal(self, _signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=self.reload, name="reload", daemon=True).start()

    def reload(self) -> None:
        """SIGHUP: re-read the registry; a bad file is logged and the old registry stays."""
        try:
            self.app.reload_registry()
        except UserError as exc:
            logger.error(
                "registry reload failed; keeping the old registry", extra={"problem": str(exc)}
            )
            return
        logger.info("registry reloaded", extra={"accounts": len(self.app.accounts)})

    def _job_failed(self, job_id: str) -> None:
        if self.metrics is not None:
            self.metrics.job_failures.labels(job=job_id).inc()

    def _refresh_metrics(self) -> None:
        if self.metrics is not None:
            self.metrics.refresh(self.app.sessions)


def _send_due_digests(app: App) -> DigestRun:
    # Imported when the job runs: notifications is a layer the daemon only calls.
    from notifications.service import send_due_digests

    return send_due_digests(app)


def _deliver_pending(app: App) -> DigestRun:
    from notifications.service import deliver_pending

    return deliver_pending(app)
