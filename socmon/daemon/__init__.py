"""The daemon behind `socmon run`: scheduler jobs (jobs.py) and the process around them (runner.py)."""

from socmon.daemon.jobs import (
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
from socmon.daemon.runner import Daemon

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
