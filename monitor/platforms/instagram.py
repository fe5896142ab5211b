"""Instagram professional accounts, read through the Graph API of their linked Facebook Page."""

from __future__ import annotations

import httpx

from connectors.base import Connector
from connectors.instagram import InstagramConnector
from monitor.platforms.base import BuildContext, GraphConfig, PlatformSpec


class InstagramConfig(GraphConfig):
    """`[platforms.instagram]`: the Graph keys, without Facebook's business."""


def connect(cfg: InstagramConfig, ctx: BuildContext, client: httpx.AsyncClient) -> Connector:
    return InstagramConnector(
        cfg.graph(client, ctx),
        system_token=ctx.secret("instagram", "token_secret", cfg.token_secret),
        clock=ctx.clock,
        read=cfg.read(),
    )


INSTAGRAM = PlatformSpec(
    id="instagram",
    label="Instagram",
    profile_url="https://www.instagram.com/{id}/",
    sandbox="sandbox.instagram",
    config=InstagramConfig,
    connect=connect,
)
