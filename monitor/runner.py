"""The one place a full check cycle is assembled: connectors, enrichment, checks per account.

`socmon check`, `socmon demo` and the daemon all call `run_check_cycle`, so a new
platform or enrichment step is wired in here once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence

from monitor.connect import open_connectors
from monitor.context import App
from monitor.cycle import CycleResult, all_checks, run_cycle
from monitor.registry import Account


async def run_check_cycle(
    app: App,
    *,
    accounts: Sequence[Account] | None = None,
    progress: Callable[[int], None] | None = None,
    stop: asyncio.Event | None = None,
    env: Mapping[str, str] | None = None,
) -> CycleResult:
    """Open the connectors (secrets from `env`, default the process environment) and run a cycle."""
    async with open_connectors(app.settings, env) as connectors:
        return await run_cycle(
            app,
            connectors,
            accounts=accounts,
            checks_for=all_checks,
            progress=progress,
            stop=stop,
        )
