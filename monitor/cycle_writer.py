"""The cycle's one writer: results arrive through a bounded queue and are stored in batches.

Each batch is one transaction (checked against the lease's fence first) run off the
event loop; transient database errors are retried with a bounded backoff, and the
counts of a batch reach the cycle only once it is committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from checks.base import Finding
from connectors.base import ConnectorError, SyncMark
from monitor.context import App
from monitor.cycle_record import CycleResult, Fence, Stored
from monitor.lapses import preload, record_findings
from monitor.post_sync import save_marks
from monitor.registry import Account
from monitor.store.db import transaction
from monitor.store.faults import aretry, delays
from monitor.store.models import AccountRow, CheckRun

logger = logging.getLogger(__name__)

BATCH = 100
# Seconds a partial batch waits for more results: a slow cycle's results still reach the
# store (and the status page) within this, a fast cycle's go in full batches.
BATCH_WAIT = 0.5


@dataclass
class Outcome:
    """One account's result, on its way to the writer."""

    account: Account
    started_at: datetime
    finished_at: datetime
    findings: list[Finding]
    error: ConnectorError | None = None
    # The posts the next cycle may skip (None: keep the stored marks, e.g. after a failure).
    sync: Mapping[str, SyncMark] | None = None


async def writer(
    app: App,
    results: asyncio.Queue[Outcome | None],
    result: CycleResult,
    progress: Callable[[int], None] | None,
    fence: Fence | None,
) -> None:
    cfg = app.settings.database
    waits = delays(cfg.retry_first_seconds, cfg.retry_max_seconds, cfg.write_retries)
    done = False
    while not done:
        batch, done = await _next_batch(results)
        if batch:
            stored = await aretry(_storing(app, batch, result.cycle_id, fence), waits)
            result.add(stored)
            if progress:
                progress(len(batch))


async def _next_batch(results: asyncio.Queue[Outcome | None]) -> tuple[list[Outcome], bool]:
    """Up to BATCH results, waiting at most BATCH_WAIT for a partial batch to fill.

    Taking only what was queued made batches of ~10 at full speed, and each batch pays
    its own preload queries, fence check and commit: a third of a steady cycle's CPU.
    Returns the batch and whether the end of the results (None) was reached.
    """
    loop = asyncio.get_running_loop()
    batch: list[Outcome] = []
    item = await results.get()
    deadline = loop.time() + BATCH_WAIT
    while item is not None:
        batch.append(item)
        if len(batch) >= BATCH:
            return batch, False
        if not results.empty():
            item = results.get_nowait()
            continue
        remaining = deadline - loop.time()
        if remaining <= 0:
            return batch, False
        try:
            item = await asyncio.wait_for(results.get(), remaining)
        except TimeoutError:
            return batch, False
    return batch, True


def _storing(
    app: App, batch: list[Outcome], cycle_id: int, fence: Fence | None
) -> Callable[[], Awaitable[Stored]]:
    return lambda: asyncio.to_thread(_write_batch, app, batch, cycle_id, fence)


def _write_batch(app: App, batch: list[Outcome], cycle_id: int, fence: Fence | None) -> Stored:
    """Store one batch in one transaction, with a single flush (the hot path of a cycle)."""
    ids = [o.account.id for o in batch]
    stored = Stored()
    with transaction(app.sessions) as session:
        if fence is not None:
            fence.check(session)
        states, lapses = preload(session, ids)
        rows = {r.id: r for r in session.scalars(select(AccountRow).where(AccountRow.id.in_(ids)))}
        for outcome in batch:
            record_findings(
                session,
                outcome.account.id,
                outcome.findings,
                outcome.finished_at,
                states=states.setdefault(outcome.account.id, {}),
                lapses=lapses.setdefault(outcome.account.id, {}),
                changes=stored.changes,
                flush=False,
            )
            _note_fetch(rows.get(outcome.account.id), outcome)
            if outcome.error:
                stored.failed += 1
                stored.errors_by_kind[outcome.error.kind] += 1
            else:
                stored.ok += 1
        session.execute(insert(CheckRun), [_run_row(cycle_id, o) for o in batch])
        marks = {o.account.id: o.sync for o in batch if o.sync is not None}
        save_marks(session, marks, max(o.finished_at for o in batch))
        stored.changes.settle(session)
    return stored


def _run_row(cycle_id: int, outcome: Outcome) -> dict[str, object]:
    error = outcome.error
    return {
        "cycle_id": cycle_id,
        "account_id": outcome.account.id,
        "started_at": outcome.started_at,
        "finished_at": outcome.finished_at,
        "outcome": "failed" if error else "ok",
        "error_kind": error.kind if error else "",
        "error": str(error) if error else "",
    }


def _note_fetch(row: AccountRow | None, outcome: Outcome) -> None:
    """Log on state changes only: 'failing since' once, 'recovered' once."""
    if row is None:
        return
    if outcome.error is not None:
        if row.fetch_status != "failed":
            row.failing_since = outcome.finished_at
            logger.warning(
                "account failing account=%s platform=%s kind=%s error=%s",
                row.id,
                row.platform,
                outcome.error.kind,
                outcome.error,
            )
        row.fetch_status = "failed"
        row.last_error = str(outcome.error)
    else:
        if row.fetch_status == "failed":
            logger.info("account recovered account=%s platform=%s", row.id, row.platform)
        row.fetch_status = "ok"
        row.failing_since = None
        row.last_error = ""
