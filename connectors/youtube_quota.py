"""YouTube's daily quota: units counted per Pacific day, kept in a file across cycles.

The quota resets at midnight in America/Los_Angeles; connectors are rebuilt every cycle,
so the count lives in a small JSON file under the state directory.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from connectors.base import RateLimited

logger = logging.getLogger(__name__)

PACIFIC = ZoneInfo("America/Los_Angeles")


def until_pacific_midnight(now: datetime) -> float:
    """Seconds from `now` until the next midnight in America/Los_Angeles (quota reset)."""
    local = now.astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), PACIFIC)
    # Subtract in UTC: same-zone aware datetimes subtract as wall clocks (wrong across DST).
    return (midnight.astimezone(UTC) - now.astimezone(UTC)).total_seconds()


class DailyQuota:
    """Units spent today (Pacific date) against the daily quota; optionally kept in a file."""

    def __init__(self, limit: int, clock: Callable[[], datetime], path: Path | None = None):
        self.limit = limit
        self._clock = clock
        self._path = path
        self.day, self.used = self._today(), 0
        if path is not None:
            self._load(path)

    def _today(self) -> str:
        return self._clock().astimezone(PACIFIC).date().isoformat()

    def _load(self, path: Path) -> None:
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            logger.warning("ignoring unreadable YouTube quota file %s: %s", path, exc)
            return
        if isinstance(saved, dict) and saved.get("day") == self.day:
            used = saved.get("units")
            self.used = used if isinstance(used, int) else 0

    def _save(self) -> None:
        if self._path is None:
            return
        try:
            self._path.write_text(json.dumps({"day": self.day, "units": self.used}), "utf-8")
        except OSError as exc:
            logger.warning("cannot record YouTube quota use in %s: %s", self._path, exc)
            self._path = None  # keep counting in memory; warn once

    def _roll(self) -> None:
        today = self._today()
        if today != self.day:
            self.day, self.used = today, 0

    def exhausted(self, reason: str) -> RateLimited:
        """The error for a spent quota: retry after midnight Pacific."""
        wait = until_pacific_midnight(self._clock())
        return RateLimited(
            f"YouTube quota {reason}; resets in {wait / 3600:.1f} h", retry_after=wait
        )

    def charge(self, units: int) -> None:
        """Spend `units`, or raise RateLimited when that would pass the daily quota."""
        self._roll()
        if self.used + units > self.limit:
            raise self.exhausted(f"of {self.limit} units reached")
        self.used += units
        self._save()

    def spend_all(self) -> None:
        """Google said the quota is exceeded: nothing more goes out today."""
        self._roll()
        self.used = max(self.used, self.limit)
        self._save()
