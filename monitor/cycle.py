"""One check cycle: fetch every account, run its checks, stream the results to the store.

Per platform, `concurrency` workers pull accounts from a queue, so at most that many
fetches are in flight and memory does not grow with the number of accounts: results
go through a bounded queue to one writer that commits them in batches off the event
loop. A failed fetch is a failed run whose checks are all unknown, never a pass; so is
an unexpected exception on one account (kind `internal`), and the cycle goes on. The
writer retries transient database errors; if it still fails, the workers stop at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from checks.base import AccountView, CheckSpec, Finding, Status
from checks.capabilities import checks_for
from connectors.base import (
    AccountSnapshot,
    Connector,
    ConnectorError,
    SyncingConnector,
    SyncMark,
)
from monitor.breaker import Breaker
from monitor.concurrency import AdaptiveLimit, Gate, UsageSource, policy_for
from monitor.context import App
from monitor.cycle_record import (
    CycleResult,
    Fence,
    Fenced,
    InternalError,
    finish_cycle,
    start_cycle,
)
from monitor.cycle_writer import BATCH, Outcome
from monitor.cycle_writer import writer as store_results
from monitor.directory import account_facts
from monitor.post_sync import load_marks
from monitor.registry import Account
from monitor.roster_store import NO_ROSTER, load_roster, privacy_resolutions
from monitor.store.faults import describe, is_unavailable

__all__ = ["CycleResult", "Outcome", "check_account", "run_cycle"]

logger = logging.getLogger(__name__)

Enrich = Callable[[Account, AccountSnapshot], Awaitable[AccountSnapshot]]
ChecksFor = Callable[[Account], Sequence[CheckSpec]]


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
    fence: Fence | None = None,
    roster_key: bytes | str = "the roster key was not given to this cycle",
) -> CycleResult:
    """Check `accounts` (default: the whole registry) once; returns counts for logs and status.

    `roster_key` is the consent roster's HMAC key, or why it is not available.

    The cycle is recorded as complete only when every account has a stored result; a stop
    makes it incomplete, and a writer that cannot store (after bounded retries) stops the
    workers at once and records it as failed, with the reason.
    """
    accounts = list(app.accounts if accounts is None else accounts)
    started = time.monotonic()
    result = start_cycle(app, accounts, fence)
    try:
        with app.sessions() as session:
            facts = account_facts(session)
            # Per-post sync marks: what each account's connector may skip re-reading.
            known = load_marks(session, [a.id for a in accounts], app.clock())
            staff = [p.name for a in app.accounts for p in a.principals]
            roster = load_roster(session, roster_key, staff)
            resolutions = privacy_resolutions(session)
    except SQLAlchemyError as exc:
        # The cycle's row is open: close it as failed rather than leave it "running".
        reason = f"reading the directory failed: {describe(exc)}"
        logger.error("cycle failed", extra={"cycle": result.cycle_id, "reason": reason})
        _finish_quietly(app, result, fence, failed=reason)
        result.status, result.reason, result.error = "failed", reason, exc
        result.seconds = time.monotonic() - started
        return result
    if isinstance(roster, str) and roster != NO_ROSTER:
        logger.warning("consent roster unusable: %s", roster)
    students: dict[str, Any] = {
        "roster": None if isinstance(roster, str) else roster,
        "roster_missing": roster if isinstance(roster, str) else "",
    }
    options = app.settings.check_options
    queues: dict[str, deque[Account]] = {}
    for account in accounts:
        queues.setdefault(account.platform, deque()).append(account)
    results: asyncio.Queue[Outcome | None] = asyncio.Queue(maxsize=BATCH * 2)
    breakers = {platform: Breaker(platform) for platform in queues}

    gates = {platform: _gate(app, platform, concurrency) for platform in queues}

    def going() -> bool:
        return not (stop and stop.is_set()) and (fence is None or fence.held())

    async def worker(platform: str) -> None:
        queue, breaker, gate = queues[platform], breakers[platform], gates[platform]
        usage = _usage_source(connectors.get(platform))
        while queue and going():
            async with gate:  # at most the adaptive limit's fetches at once
                if not (queue and going()):
                    break
                account = queue.popleft()
                if breaker.open:  # the platform is down: unknown without another request
                    at = app.clock()
                    outcome = _failed(app, account, checks_for(account), at, breaker.refusal())
                else:
                    view = replace(
                        facts.view(account),
                        privacy_resolutions=resolutions.get(account.id, {}),
                        **students,
                    )
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
                    breaker.record(outcome.error)
                    if outcome.error is None:  # a fast refusal or a long throttle is no latency
                        # The App's clock: the same instants the run row stores; tests inject it.
                        took = (outcome.finished_at - outcome.started_at).total_seconds()
                        gate.limit.observe(took, usage())
            await results.put(outcome)  # cancelled at once if the writer dies (below)

    workers = [
        asyncio.create_task(worker(platform))
        for platform in queues
        for _ in range(min(len(queues[platform]), gates[platform].limit.policy.maximum))
    ]
    writer = asyncio.create_task(store_results(app, results, result, progress, fence))
    fetching: asyncio.Future[list[None]] = asyncio.gather(*workers)
    try:
        pair: list[asyncio.Future[Any]] = [fetching, writer]
        await asyncio.wait(pair, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        fetching.cancel()
        await _drain(results, writer)
        # A cancel (a stop whose grace ran out): what finished is stored, and so is the fact
        # that the cycle is incomplete, before the cancel goes on.
        _finish_quietly(app, result, fence, stopped=True)
        raise
    if writer.done():  # the writer ends before the workers only when it failed
        fetching.cancel()
        await asyncio.gather(fetching, return_exceptions=True)
        return _writer_failed(app, result, writer, fence, started)
    result.concurrency = {p: (g.limit.limit, g.peak) for p, g in gates.items()}
    await _drain(results, writer)
    if writer.exception() is not None:
        return _writer_failed(app, result, writer, fence, started)
    try:
        finish_cycle(app, result, fence, stopped=bool(stop and stop.is_set()))
    except Fenced as exc:
        result.status, result.reason, result.error = "failed", str(exc), exc
        logger.error("cycle stopped: %s", exc, extra={"cycle": result.cycle_id})
    result.seconds = time.monotonic() - started
    return result


async def _drain(results: asyncio.Queue[Outcome | None], writer: asyncio.Task[None]) -> None:
    """Tell the writer there is no more, and wait (through cancels) until it has stored it all."""
    put = asyncio.ensure_future(results.put(None))
    cancelled = False
    while not writer.done():
        try:
            await asyncio.wait({writer})  # a cancelled wait leaves the writer running
        except asyncio.CancelledError:
            cancelled = True
    put.cancel()  # never left waiting on a full queue whose writer is gone
    if cancelled:
        raise asyncio.CancelledError


def _writer_failed(
    app: App, result: CycleResult, writer: asyncio.Task[None], fence: Fence | None, started: float
) -> CycleResult:
    exc = writer.exception()
    assert exc is not None
    result.error = exc
    result.seconds = time.monotonic() - started
    if isinstance(exc, Fenced):
        result.status, result.reason = "failed", str(exc)
        logger.error("cycle stopped: %s", exc, extra={"cycle": result.cycle_id})
        return result  # the lease moved on: this process writes nothing more
    reason = f"storing results failed: {describe(exc) if is_unavailable(exc) else repr(exc)}"
    logger.error("cycle failed", extra={"cycle": result.cycle_id, "reason": reason})
    _finish_quietly(app, result, fence, failed=reason)
    result.status, result.reason = "failed", reason  # even when the store could not say so
    return result


def _finish_quietly(
    app: App, result: CycleResult, fence: Fence | None, *, stopped: bool = False, failed: str = ""
) -> None:
    """Record the end of a cycle that went wrong; if even that fails, say so and go on."""
    try:
        finish_cycle(app, result, fence, stopped=stopped, failed=failed)
    except (SQLAlchemyError, Fenced) as exc:
        logger.error(
            "could not record the end of the cycle",
            extra={"cycle": result.cycle_id, "error": describe(exc)},
        )


def _gate(app: App, platform: str, override: Mapping[str, int] | None) -> Gate:
    """The platform's adaptive limit; a caller's `concurrency` override fixes it."""
    fixed = override.get(platform) if override else None
    cfg = app.settings.platforms.get(platform)
    return Gate(AdaptiveLimit(policy_for(cfg, fixed)))


def _usage_source(connector: Connector | None) -> Callable[[], float | None]:
    """The platform's usage as its connector's throttle last saw it (Graph), else none."""
    throttle = getattr(connector, "throttle", None)
    if isinstance(throttle, UsageSource):
        return throttle.usage_percent
    return lambda: None


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
        findings = [spec.run(view, snapshot, options) for spec in checks]  # type: ignore[arg-type]
    except ConnectorError as err:
        return _failed(app, account, checks, started, err)
    except Exception as exc:  # the per-account boundary: one account, not the whole cycle
        logger.exception("internal error checking account=%s", account.id)
        return _failed(app, account, checks, started, InternalError(exc))
    return Outcome(account, started, app.clock(), findings, sync=snapshot.sync)


def _failed(
    app: App, account: Account, checks: Sequence[CheckSpec], started: datetime, err: ConnectorError
) -> Outcome:
    detail = f"{account.id}: could not be read from {account.platform} ({err})."
    findings = [Finding(spec.id, Status.UNKNOWN, detail, {"error": err.kind}) for spec in checks]
    return Outcome(account, started, app.clock(), findings, err)
