"""The daemon's view of its database: away since when, said once, kept in a small state file.

`socmon status` cannot read an unavailable database, so the daemon leaves the moment
it lost it in `<state_dir>/database-unavailable`, and removes the file on recovery.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

logger = logging.getLogger(__name__)

MARKER = "database-unavailable"


@dataclass(frozen=True)
class Outage:
    since: datetime
    what: str


def read_outage(state_dir: Path) -> Outage | None:
    """The outage the daemon recorded, or None (none, or the file cannot be read)."""
    try:
        raw = json.loads((state_dir / MARKER).read_text(encoding="utf-8"))
        return Outage(datetime.fromisoformat(raw["since"]), str(raw["what"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class DatabaseWatch:
    """Records when the database went away and when it came back, logging each change once."""

    def __init__(self, state_dir: Path, database: str, clock: Callable[[], datetime]) -> None:
        self.path, self.database, self.clock = state_dir / MARKER, database, clock
        self.outage: Outage | None = None

    def failed(self, what: str) -> None:
        if self.outage is not None:
            return
        self.outage = Outage(self.clock(), what)
        logger.error("database unavailable", extra={"database": self.database, "error": what})
        payload = {"since": self.outage.since.isoformat(), "what": what}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(payload), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            logger.warning("cannot record the outage", extra={"error": exc.strerror})

    def ok(self) -> None:
        if self.outage is None:
            return
        seconds = (self.clock() - self.outage.since).total_seconds()
        logger.info("database back", extra={"database": self.database, "seconds": round(seconds)})
        self.outage = None
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("cannot clear the outage record", extra={"error": exc.strerror})
