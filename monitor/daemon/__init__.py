"""The daemon behind `socmon run`: scheduler jobs (jobs.py) and the process around them (runner.py)."""

from monitor.daemon.jobs import (
    CHECK,
    DIGESTS,
    HOUSEKEEPING,
    LEASE,
    OUTBOX,
    WATCHDOG,
    WEEKLY,
    Stopper,
    build_scheduler,
    housekeeping,
    run_check_cycle,
)
from monitor.daemon.runner import Daemon

__all__ = [
    "CHECK",
    "DIGESTS",
    "HOUSEKEEPING",
    "LEASE",
    "OUTBOX",
    "WATCHDOG",
    "WEEKLY",
    "Daemon",
    "Stopper",
    "build_scheduler",
    "housekeeping",
    "run_check_cycle",
]
