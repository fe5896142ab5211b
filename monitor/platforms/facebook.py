"""Facebook Pages, read through the Graph API with the district's system-user token."""

from __future__ import annotations

import httpx

from connectors.base import Connector
from connectors.facebook import FacebookConnector
from monitor.fieldtypes import Segment
from monitor.platforms.base import BuildContext, GraphConfig, PlatformSpec


class FacebookConfig(GraphConfig):
    """`[platforms.facebook]`."""

    # The district's Meta business: its owned pages (registered check) and assigned users.
    business_id: Segment = ""


def connect(cfg: FacebookConfig, ctx: BuildContext, client: httpx.AsyncClient) -> Connector:
    return FacebookConnector(
        cfg.graph(client, ctx),
        system_token=ctx.secret("facebook", "token_secret", cfg.token_secret),
        clock=ctx.clock,
        read=cfg.read(),
        business_id=cfg.business_id,
        roles_apart=ctx.roles_apart,
    )


FACEBOOK = PlatformSpec(
    id="facebook",
    label="Facebook",
    profile_url="https://www.facebook.com/{id}",
    sandbox="sandbox.graph",
    config=FacebookConfig,
    connect=connect,
)
