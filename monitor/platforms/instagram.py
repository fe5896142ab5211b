"""Instagram professional accounts, read through the Graph API of their linked Facebook Page."""

from __future__ import annotations

import httpx

from connectors.base import Connector
from connectors.http import RetryPolicy
from connectors.instagram import InstagramConnector
from monitor.platforms.base import BuildContext, GraphConfig, PlatformSpec


class InstagramConfig(GraphConfig):
    """`[platforms.instagram]`: the Graph keys, without Facebook's business."""


def connect(cfg: InstagramConfig, ctx: BuildContext, client: httpx.AsyncClient) -> Connector:
    return InstagramConnector(
        client,
        base_url=cfg.base_url,
        api_version=cfg.graph_version,
        system_token=ctx.secret("instagram", "token_secret", cfg.token_secret),
        max_posts=cfg.max_posts,
        max_comments=cfg.max_comments,
        max_calls_per_account=cfg.max_calls_per_account,
        comment_horizon_days=cfg.comment_horizon_days,
        retry=RetryPolicy(max_retries=cfg.max_retries),
        clock=ctx.clock,
        throttle=ctx.graph_throttle,
    )


INSTAGRAM = PlatformSpec(
    id="instagram",
    label="Instagram",
    profile_url="https://www.instagram.com/{id}/",
    sandbox="sandbox.instagram",
    config=InstagramConfig,
    connect=connect,
)
