"""The watchdog means progress: WATCHDOG=1 only while a cycle stores results, or between cycles.

A cycle reports each stored batch (`beat`); a job that has run for `stuck_after` seconds
without one is stuck, so the watchdog ping stops and systemd restarts the daemon.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

# Longer than the slowest single account (timeouts times retries), far shorter than a day.
STUCK_SECONDS = 600.0


class Heartbeat:
    """Tracks whether the running cycle, if any, is still making progress."""

    def __init__(
        self,
        stuck_after: float = STUCK_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stuck_after, self._monotonic = stuck_after, monotonic
        self._lock = threading.Lock()
        self._running = 0
        self._last = monotonic()
        self._said = False

    def begin(self) -> None:
        with self._lock:
            self._running += 1
            self._last = self._monotonic()

    def beat(self, _count: int = 1) -> None:
        """A batch of results was stored (the cycle's progress callback)."""
        with self._lock:
            self._last = self._monotonic()

    def end(self) -> None:
        with self._lock:
            self._running = max(0, self._running - 1)
            self._last = self._monotonic()

    def healthy(self) -> bool:
        """Idle, or the running cycle stored something within `stuck_after` seconds."""
        with self._lock:
            idle = self._monotonic() - self._last
            ok = self._running == 0 or idle <= self.stuck_after
            if not ok and not self._said:
                logger.error(
                    "check cycle stuck: no progress; the watchdog is no longer pinged",
                    extra={"seconds": round(idle)},
                )
            self._said = not ok
            return ok
