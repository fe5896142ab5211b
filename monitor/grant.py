"""Grant one YouTube channel's read access with Google's device flow, and keep its refresh token.

The person signs in as the channel in any browser; socmon checks that the grant
really is for the account's channel (`channels.list?mine=true`) before storing it,
because a grant for another channel would answer "not held, not liked" for comments
it cannot see.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from connectors import google_device
from connectors.base import ConnectorError
from connectors.http import Sleep, build_client
from monitor.context import App
from monitor.errors import UserError
from monitor.platforms.youtube import YOUTUBE, youtube_oauth
from monitor.youtube_grants import grants_folder, save_grant

logger = logging.getLogger(__name__)


class GrantFailed(Exception):
    """The grant could not be obtained or is for another channel; nothing was stored."""


def _find_channel(app: App, account_id: str) -> str:
    source = str(app.settings.registry)
    account = app.account(account_id)
    if account is None:
        raise UserError.one(source, account_id, "no such account in the registry")
    if account.platform != "youtube":
        raise UserError.one(source, account_id, f"is a {account.platform} account, not YouTube")
    return account.platform_id


async def _granted_channel(client: httpx.AsyncClient, base_url: str, access_token: str) -> str:
    """The channel the new grant belongs to."""
    try:
        response = await client.get(
            f"{base_url.rstrip('/')}/youtube/v3/channels",
            params={"part": "id", "mine": "true"},
            headers={"Authorization": f"Bearer {access_token}"},
        )
    except httpx.TransportError as exc:
        raise GrantFailed(f"YouTube did not answer: {type(exc).__name__}") from exc
    try:
        items = response.json().get("items", [])
        return str(items[0]["id"])
    except (ValueError, AttributeError, IndexError, KeyError, TypeError):
        raise GrantFailed(
            f"YouTube did not name the granted channel (HTTP {response.status_code})"
        ) from None


async def connect_youtube(
    app: App,
    account_id: str,
    *,
    show: Callable[[str], None],
    env: Mapping[str, str] | None = None,
    sleep: Sleep = asyncio.sleep,
    client: httpx.AsyncClient | None = None,
) -> Path:
    """Run the device flow for one account's channel; returns the grant file written."""
    settings = app.settings
    channel = _find_channel(app, account_id)
    cfg = YOUTUBE.configured(settings.platforms)
    if cfg is None or not cfg.enabled:
        raise UserError.one(str(settings.source), "platforms.youtube", "is not configured")
    credentials, _ = youtube_oauth(cfg, str(settings.source), env)
    if credentials is None:
        raise UserError.one(
            str(settings.source), "platforms.youtube.oauth_client_secret", "is not set"
        )
    async with build_client(cfg.timeout_seconds, max_connections=2) as own:
        http = client or own
        try:
            code = await google_device.start(http, cfg.oauth_url, credentials["client_id"])
            show(f"On any device, open {code.verification_url} and enter the code {code.user_code}")
            show(f"Sign in as the Google account that owns {account_id} ({channel}).")
            tokens = await google_device.poll(
                http, cfg.oauth_url, code, **credentials, clock=app.clock, sleep=sleep
            )
        except ConnectorError as exc:
            raise GrantFailed(str(exc)) from exc
        granted = await _granted_channel(http, cfg.base_url, str(tokens.get("access_token", "")))
    if granted != channel:
        raise GrantFailed(
            f"the grant is for channel {granted}, not {account_id}'s channel {channel}; "
            "sign in as the account that owns it and run the command again"
        )
    path = save_grant(
        grants_folder(settings.state_dir, env), channel, str(tokens["refresh_token"]), app.clock()
    )
    logger.info("stored a YouTube grant account=%s channel=%s", account_id, channel)
    return path
