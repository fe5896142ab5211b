"""Build the platform connectors once, at the entry point, from config and secrets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

from connectors.base import Connector
from connectors.facebook import RolesApart
from connectors.graph_throttle import GraphThrottle
from connectors.http import build_client
from monitor.concurrency import ceiling
from monitor.context import Clock
from monitor.errors import Problem, UserError
from monitor.platforms import PLATFORMS, BuildContext
from monitor.settings import Settings


@asynccontextmanager
async def open_connectors(
    settings: Settings,
    clock: Clock,
    env: Mapping[str, str] | None = None,
    *,
    roles_apart: RolesApart | None = None,
) -> AsyncIterator[dict[str, Connector]]:
    """One httpx client per platform, closed on exit; a missing secret is a user error.

    `clock` is the App's: every snapshot, quota day and rate-limit reset reads it.
    `roles_apart` is the App's memory that outlives this cycle's connectors.
    """
    problems: list[Problem] = []
    ctx = BuildContext(
        source=str(settings.source),
        state_dir=settings.state_dir,
        env=env,
        clock=clock,
        graph_throttle=GraphThrottle("graph", clock=lambda: clock().timestamp()),
        roles_apart=roles_apart if roles_apart is not None else RolesApart(),
    )
    async with AsyncExitStack() as stack:
        connectors: dict[str, Connector] = {}
        for spec in PLATFORMS:
            cfg = settings.platforms.get(spec.id)
            if cfg is None or not cfg.enabled or spec.connect is None:
                continue
            client = await stack.enter_async_context(
                # A connection per fetch the adaptive limit may allow (idle lanes never connect).
                build_client(cfg.timeout_seconds, max_connections=ceiling(cfg))
            )
            try:
                connector = spec.build(cfg, ctx, client)
            except UserError as exc:
                problems.extend(exc.problems)
                continue
            if connector is not None:
                connectors[spec.id] = connector
        if problems:
            raise UserError(problems)
        yield connectors
