"""A cycle's row: opened before the first fetch, closed as complete, incomplete or failed.

"Complete" means every account of the cycle has a stored result; anything less is
recorded as incomplete (a stop) or failed (the store gave up), with the reason.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from connectors.base import ConnectorError
from monitor.context import App
from monitor.directory import sync_accounts
from monitor.lapses import Changes, expire_mutes
from monitor.registry import Account
from monitor.store.db import transaction
from monitor.store.faults import delays, retry
from monitor.store.models import Cycle

logger = logging.getLogger(__name__)


class Fence(Protocol):
    """The lease a cycle runs under (monitor.lease.LeaseFence)."""

    def held(self) -> bool:
        """Local and cheap: False once the lease has expired; workers then take no new account."""
        ...

    def check(self, session: Session) -> None:
        """Inside every write transaction of the cycle: raise Fenced once the lease moved on."""
        ...


class Fenced(Exception):
    """This process's lease was taken over: it must write nothing more."""


class InternalError(ConnectorError):
    """An unexpected exception while fetching or checking one account (a bug, not the platform)."""

    kind = "internal"

    def __init__(self, exc: BaseException) -> None:
        super().__init__(f"internal error: {type(exc).__name__}: {exc}")


@dataclass
class Stored:
    """What one committed batch did: applied to the cycle's counts only after the commit."""

    ok: int = 0
    failed: int = 0
    errors_by_kind: Counter[str] = field(default_factory=Counter)
    changes: Changes = field(default_factory=Changes)


@dataclass
class CycleResult:
    cycle_id: int
    accounts: int = 0
    ok: int = 0
    failed: int = 0
    errors_by_kind: Counter[str] = field(default_factory=Counter)
    changes: Changes = field(default_factory=Changes)
    seconds: float = 0.0
    status: str = "running"  # complete | incomplete | failed once recorded
    reason: str = ""
    error: BaseException | None = None  # what made the cycle fail, for the exit code
    # Per platform: (the adaptive limit at the end, the most fetches that were in flight).
    concurrency: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def stored(self) -> int:
        return self.ok + self.failed

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    def add(self, stored: Stored) -> None:
        """Count a committed batch."""
        self.ok += stored.ok
        self.failed += stored.failed
        self.errors_by_kind.update(stored.errors_by_kind)
        self.changes.opened += stored.changes.opened
        self.changes.resolved += stored.changes.resolved
        self.changes.unmuted += stored.changes.unmuted


def _waits(app: App) -> list[float]:
    cfg = app.settings.database
    return delays(cfg.retry_first_seconds, cfg.retry_max_seconds, cfg.write_retries)


def cycle_scope(app: App, accounts: Sequence[Account]) -> str:
    """ "registry" when `accounts` are the whole registry, else "accounts" (a narrowed check)."""
    every = {a.id for a in app.accounts}
    return "registry" if {a.id for a in accounts} >= every else "accounts"


def start_cycle(app: App, accounts: Sequence[Account], fence: Fence | None) -> CycleResult:
    """Sync the directory, expire mutes and open the cycle's row (status running)."""

    def work() -> int:
        now = app.clock()
        with transaction(app.sessions) as session:
            if fence is not None:
                fence.check(session)
            sync_accounts(session, app.accounts, now)
            expire_mutes(session, now)
            row = Cycle(
                started_at=now,
                accounts_total=len(accounts),
                status="running",
                scope=cycle_scope(app, accounts),
            )
            session.add(row)
            session.flush()
            return row.id

    return CycleResult(cycle_id=retry(work, _waits(app)), accounts=len(accounts))


def finish_cycle(
    app: App,
    result: CycleResult,
    fence: Fence | None,
    *,
    stopped: bool = False,
    failed: str = "",
) -> None:
    """Close the cycle's row: complete only when every account has a stored result."""
    if failed:
        status, reason = "failed", failed
    elif result.stored >= result.accounts:
        status, reason = "complete", ""
    else:
        why = "stopped before every account was checked" if stopped else "results are missing"
        status = "incomplete"
        reason = f"{why}: {result.stored} of {result.accounts} accounts have a stored result"

    def work() -> None:
        with transaction(app.sessions) as session:
            if fence is not None:
                fence.check(session)
            row = session.get(Cycle, result.cycle_id)
            assert row is not None
            row.finished_at = app.clock()
            row.accounts_ok, row.accounts_failed = result.ok, result.failed
            row.errors_by_kind = dict(result.errors_by_kind)
            row.status, row.reason = status, reason

    retry(work, _waits(app))
    result.status, result.reason = status, reason
    if status == "incomplete":
        logger.warning("cycle incomplete", extra={"cycle": result.cycle_id, "reason": reason})
