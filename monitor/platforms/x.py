"""X (API v2, app-only bearer token); replies come from recent search, 7 days back."""

from __future__ import annotations

import httpx

from connectors.base import Connector
from connectors.http import RetryPolicy
from connectors.x import XConnector
from connectors.x_shapes import MAX_RESET_WAIT
from monitor.platforms.base import BuildContext, PlatformConfig, PlatformSpec


class XConfig(PlatformConfig):
    """`[platforms.x]`: the shared keys only (search reaches 7 days back, no horizon)."""


def connect(cfg: XConfig, ctx: BuildContext, client: httpx.AsyncClient) -> Connector:
    return XConnector(
        client,
        base_url=cfg.base_url,
        bearer_token=ctx.secret("x", "token_secret", cfg.token_secret),
        read=cfg.read(),
        # A 429 is waited out until x-rate-limit-reset: up to one 15-minute window.
        retry=RetryPolicy(max_retries=cfg.max_retries, retry_after_cap=MAX_RESET_WAIT),
        clock=ctx.clock,
    )


X = PlatformSpec(
    id="x",
    label="X",
    profile_url="https://x.com/{id}",
    sandbox="sandbox.x",
    config=XConfig,
    connect=connect,
)
