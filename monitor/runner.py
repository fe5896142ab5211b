"""The one place a full check cycle is assembled: connectors, enrichment, checks per account.

`socmon check`, `socmon demo` and the daemon all call `run_check_cycle` (or, with
connectors they built themselves, `assembled_cycle`), so a new platform or
enrichment step is wired in here once. Per account the checks come from the
capability table (checks.capabilities); after the accounts, monitor.health
judges the business's pages and the platform credentials once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from checks.base import CheckSpec
from checks.capabilities import checks_for
from connectors.base import Connector
from connectors.no_api import NoApiConnector
from monitor.attest import latest_attesters
from monitor.connect import open_connectors
from monitor.context import App
from monitor.cycle import CycleResult, run_cycle
from monitor.cycle_record import Fence
from monitor.health import check_health
from monitor.platforms import PLATFORMS
from monitor.registry import Account
from monitor.roster import roster_key
from monitor.secrets import SecretMissing


def _no_api_platforms(clock: Callable[[], datetime]) -> dict[str, Connector]:
    """Platforms declared without a connector: every check is attested or impossible."""
    return {
        spec.id: NoApiConnector(spec.id, spec.no_api_reason, clock)
        for spec in PLATFORMS
        if spec.connect is None
    }


async def assembled_cycle(
    app: App,
    connectors: Mapping[str, Connector],
    *,
    accounts: Sequence[Account] | None = None,
    progress: Callable[[int], None] | None = None,
    stop: asyncio.Event | None = None,
    env: Mapping[str, str] | None = None,
    fence: Fence | None = None,
) -> CycleResult:
    """One cycle with `connectors`: each account's checks, then business and credential health."""
    with app.sessions() as session:
        attesters = latest_attesters(session)

    def specs(account: Account) -> Sequence[CheckSpec]:
        return checks_for(account.platform, attesters.get(account.id))

    key: bytes | str
    try:
        key = roster_key(app.settings, env)
    except SecretMissing as exc:
        key = str(exc)  # student_privacy says why it is unknown; the secret's value never

    # Imported here: OpenCV takes a noticeable share of every `socmon` command's start-up.
    from monitor.logo_enricher import open_enricher

    async with open_enricher(app, fence) as enrich:  # the district logo in banners, pictures
        result = await run_cycle(
            app,
            {**_no_api_platforms(app.clock), **connectors},
            accounts=accounts,
            checks_for=specs,
            enrich=enrich,
            progress=progress,
            stop=stop,
            fence=fence,
            roster_key=key,
        )
    if result.status != "failed" and (stop is None or not stop.is_set()):
        health = await check_health(app, result.cycle_id, env)
        result.changes.opened += health.opened
        result.changes.resolved += health.resolved
        result.changes.unmuted += health.unmuted
    return result


async def run_check_cycle(
    app: App,
    *,
    accounts: Sequence[Account] | None = None,
    progress: Callable[[int], None] | None = None,
    stop: asyncio.Event | None = None,
    env: Mapping[str, str] | None = None,
    fence: Fence | None = None,
) -> CycleResult:
    """Open the connectors (secrets from `env`, default the process environment) and run a cycle."""
    async with open_connectors(
        app.settings, app.clock, env, roles_apart=app.roles_apart
    ) as connectors:
        return await assembled_cycle(
            app, connectors, accounts=accounts, progress=progress, stop=stop, env=env, fence=fence
        )
