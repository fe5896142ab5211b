"""One check cycle: fetch every account, run its checks, stream the results to the store.

Per platform, `concurrency` workers pull accounts from a queue, so at most that many
fetches are in flight and memory does not grow with the number of accounts: results
go through a bounded queue to one writer that commits them in batches off the event
loop. A failed fetch is a failed run whose checks are all unknown, never a pass.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select

from checks.base import AccountView, CheckSpec, Finding, Status
from checks.capabilities import checks_for
from connectors.base import AccountSnapshot, Connector, ConnectorError, SyncingConnector, SyncMark
from monitor.context import App
from monitor.directory import account_facts, sync_accounts
from monitor.lapses import Changes, expire_mutes, preload, record_findings
from monitor.post_sync import load_marks, save_marks
from monitor.registry import Account
from monitor.store.db import transaction
from monitor.store.models import AccountRow, CheckRun, Cycle

logger = logging.getLogger(__name__)

Enrich = Callable[[Account, AccountSnapshot], Awaitable[AccountSnapshot]]
ChecksFor = Callable[[Account], Sequence[CheckSpec]]
BATCH = 100


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


@dataclass
class CycleResult:
    cycle_id: int
    accounts: int = 0
    ok: int = 0
    failed: int = 0
    errors_by_kind: Counter[str] = field(default_factory=Counter)
    changes: Changes = field(default_factory=Changes)
    seconds: float = 0.0


def all_checks(account: Account) -> Sequence[CheckSpec]:
    """The account's checks per the capability table (cycle-level checks run in monitor.health)."""
    return checks_for(account.platform)


async def run_cycle(
    app: App,
    connectors: Mapping[str, Connector],
    *,
    accounts: Sequence[Account] | None = None,
    checks_for: ChecksFor = all_checks,
    enrich: Enrich | None = None,
    concurrency: Mapping[str, int] | None = None,
    progress: Callable[[int], None] | None = None,
    stop: asyncio.Event | None = None,
) -> CycleResult:
    """Check `accounts` (default: the whole registry) once; returns counts for logs and status."""
    accounts = list(app.accounts if accounts is None else accounts)
    started = time.monotonic()
    now = app.clock()
    with transaction(app.sessions) as session:
        sync_accounts(session, app.accounts, now)
        expire_mutes(session, now)
        facts = account_facts(session, accounts)
        known = load_marks(session, [a.id for a in accounts], now)
        cycle = Cycle(started_at=now, accounts_total=len(accounts))
        session.add(cycle)
        session.flush()
        result = CycleResult(cycle_id=cycle.id, accounts=len(accounts))
    options = app.settings.check_options
    queues: dict[str, deque[Account]] = {}
    for account in accounts:
        queues.setdefault(account.platform, deque()).append(account)
    results: asyncio.Queue[Outcome | None] = asyncio.Queue(maxsize=BATCH * 2)

    async def worker(platform: str) -> None:
        queue = queues[platform]
        while queue and not (stop and stop.is_set()):
            account = queue.popleft()
            view = facts.get(account.id, account.view())
            outcome = await check_account(
                app,
                connectors.get(platform),
                account,
                view,
                checks_for(account),
                options,
                enrich,
                known.pop(account.id, {}),
            )
            await results.put(outcome)

    workers = [
        asyncio.create_task(worker(platform))
        for platform in queues
        for _ in range(min(len(queues[platform]), _limit(app, platform, concurrency)))
    ]
    writer = asyncio.create_task(_writer(app, results, result, progress))
    try:
        await asyncio.gather(*workers)
    finally:
        # Whatever happens to the workers, every finished result still reaches the store:
        # a cancel (a stop whose grace ran out) must not cut the writer's flush short.
        await results.put(None)
        cancelled = False
        while not writer.done():
            try:
                await asyncio.shield(writer)
            except asyncio.CancelledError:
                cancelled = True
        if cancelled:
            raise asyncio.CancelledError
    with transaction(app.sessions) as session:
        row = session.get(Cycle, result.cycle_id)
        assert row is not None
        row.finished_at = app.clock()
        row.accounts_ok, row.accounts_failed = result.ok, result.failed
        row.errors_by_kind = dict(result.errors_by_kind)
    result.seconds = time.monotonic() - started
    return result


def _limit(app: App, platform: str, override: Mapping[str, int] | None) -> int:
    if override and platform in override:
        return override[platform]
    cfg = app.settings.platforms.get(platform)  # type: ignore[call-overload]
    return cfg.concurrency if cfg is not None else 4


async def check_account(
    app: App,
    connector: Connector | None,
    account: Account,
    view: AccountView,
    checks: Sequence[CheckSpec],
    options: object,
    enrich: Enrich | None = None,
    known: Mapping[str, SyncMark] | None = None,
) -> Outcome:
    """Fetch one account and run its checks; a failure becomes unknown findings.

    `known`: the account's per-post sync marks, so an incremental connector skips what
    did not change since its last complete read.
    """
    started = app.clock()
    if connector is None:
        err = ConnectorError(f"no connector is configured for platform {account.platform}")
        err.permanent = True
        return _failed(app, account, checks, started, err)
    try:
        if isinstance(connector, SyncingConnector):
            snapshot = await connector.fetch_since(account.platform_id, known or {})
        else:
            snapshot = await connector.fetch(account.platform_id)
        if enrich is not None:
            snapshot = await enrich(account, snapshot)
    except ConnectorError as err:
        return _failed(app, account, checks, started, err)
    findings = [spec.run(view, snapshot, options) for spec in checks]  # type: ignore[arg-type]
    return Outcome(account, started, app.clock(), findings, sync=snapshot.sync)


def _failed(
    app: App, account: Account, checks: Sequence[CheckSpec], started: datetime, err: ConnectorError
) -> Outcome:
    detail = f"{account.id}: could not be read from {account.platform} ({err})."
    findings = [Finding(spec.id, Status.UNKNOWN, detail, {"error": err.kind}) for spec in checks]
    return Outcome(account, started, app.clock(), findings, err)


async def _writer(
    app: App,
    results: asyncio.Queue[Outcome | None],
    result: CycleResult,
    progress: Callable[[int], None] | None,
) -> None:
    done = False
    while not done:
        batch: list[Outcome] = []
        item = await results.get()
        while item is not None:
            batch.append(item)
            if len(batch) >= BATCH or results.empty():
                break
            item = results.get_nowait()
        done = item is None
        if batch:
            await asyncio.to_thread(_write_batch, app, batch, result)
            if progress:
                progress(len(batch))


def _write_batch(app: App, batch: list[Outcome], result: CycleResult) -> None:
    """Store one batch in one transaction, with a single flush (the hot path of a cycle)."""
    ids = [o.account.id for o in batch]
    with transaction(app.sessions) as session:
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
                changes=result.changes,
                flush=False,
            )
            _note_fetch(rows.get(outcome.account.id), outcome)
            if outcome.error:
                result.failed += 1
                result.errors_by_kind[outcome.error.kind] += 1
            else:
                result.ok += 1
        session.execute(insert(CheckRun), [_run_row(result.cycle_id, o) for o in batch])
        marks = {o.account.id: o.sync for o in batch if o.sync is not None}
        save_marks(session, marks, max(o.finished_at for o in batch))
        result.changes.settle(session)


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
