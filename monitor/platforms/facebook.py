"""Facebook Pages, read through the Graph API with the district's system-user token."""

from __future__ import annotations

import httpx

from connectors.base import Connector
from connectors.facebook import FacebookConnector
from connectors.http import RetryPolicy
from monitor.fieldtypes import Segment
from monitor.platforms.base import BuildContext, GraphConfig, PlatformSpec


class FacebookConfig(GraphConfig):
    """`[platforms.facebook]`."""

    # The district's Meta business: its owned pages (registered check) and assigned users.
    business_id: Segment = ""


def connect(cfg: FacebookConfig, ctx: BuildContext, client: httpx.AsyncClient) -> Connector:
    return FacebookConnector(
        client,
        base_url=cfg.base_url,
        api_version=cfg.graph_version,
        system_token=ctx.secret("facebook", "token_secret", cfg.token_secret),
        business_id=cfg.business_id,
        max_posts=cfg.max_posts,
        max_comments=cfg.max_comments,
        max_calls_per_account=cfg.max_calls_per_account,
        comment_horizon_days=cfg.comment_horizon_days,
        retry=RetryPolicy(max_retries=cfg.max_retries),
        clock=ctx.clock,
        throttle=ctx.graph_throttle,
    )


FACEBOOK = PlatformSpec(
    id="facebook",
    label="Facebook",
    profile_url="https://www.facebook.com/{id}",
    sandbox="sandbox.graph",
    config=FacebookConfig,
    connect=connect,
)
