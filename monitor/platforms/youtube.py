"""YouTube Data API v3: an API key for public facts, OAuth grants for each channel's own."""

from __future__ import annotations

import json
from collections.abc import Mapping

import httpx
from pydantic import Field

from connectors.base import Connector
from connectors.http import RetryPolicy
from connectors.youtube import YouTubeConnector
from connectors.youtube_quota import DailyQuota
from monitor.errors import UserError
from monitor.fieldtypes import HttpUrl, OptionalSecretName
from monitor.platforms.base import BuildContext, HorizonConfig, PlatformSpec, read_secret
from monitor.youtube_grants import grants_folder, load_grants


class YouTubeConfig(HorizonConfig):
    """`[platforms.youtube]`."""

    # The older set-up: one grant as JSON {client_id, client_secret, refresh_token}.
    refresh_token_secret: OptionalSecretName = ""
    # The OAuth client (JSON client_id, client_secret) that per-channel grants use.
    oauth_client_secret: OptionalSecretName = ""
    # Google's OAuth host for the device flow (device code and token endpoints).
    oauth_url: HttpUrl = "https://oauth2.googleapis.com"
    # The project's daily quota in units; socmon stops before it.
    daily_quota: int = Field(10_000, ge=1, le=100_000_000)


def _json_secret(
    source: str, key: str, name: str, fields: tuple[str, ...], env: Mapping[str, str] | None
) -> dict[str, str]:
    raw = read_secret(source, "youtube", key, name, env)
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not all(isinstance(body.get(f), str) for f in fields):
        raise UserError.one(
            source, f"platforms.youtube.{key}", f"the secret must be JSON with {', '.join(fields)}"
        )
    return {f: body[f] for f in fields}


def youtube_oauth(
    cfg: YouTubeConfig, source: str, env: Mapping[str, str] | None
) -> tuple[dict[str, str] | None, dict[str, str] | None]:
    """(the OAuth client's id and secret, the one shared grant) from the configured secrets."""
    oauth = None
    if cfg.refresh_token_secret:
        fields = ("client_id", "client_secret", "refresh_token")
        oauth = _json_secret(source, "refresh_token_secret", cfg.refresh_token_secret, fields, env)
    client = None
    if cfg.oauth_client_secret:
        pair = ("client_id", "client_secret")
        client = _json_secret(source, "oauth_client_secret", cfg.oauth_client_secret, pair, env)
    elif oauth is not None:
        client = {"client_id": oauth["client_id"], "client_secret": oauth["client_secret"]}
    return client, oauth


def connect(cfg: YouTubeConfig, ctx: BuildContext, client: httpx.AsyncClient) -> Connector:
    key = ctx.secret("youtube", "token_secret", cfg.token_secret)
    credentials, oauth = youtube_oauth(cfg, ctx.source, ctx.env)
    grants = load_grants(grants_folder(ctx.state_dir, ctx.env)) if credentials else {}
    # Kept in the state folder so the daily count survives between cycles and restarts.
    path = ctx.state_dir / "youtube-quota.json" if ctx.state_dir.is_dir() else None
    return YouTubeConnector(
        client,
        base_url=cfg.base_url,
        api_key=key,
        oauth=oauth,
        client_credentials=credentials,
        grants=grants,
        read=cfg.read(),
        quota=DailyQuota(cfg.daily_quota, ctx.clock, path),
        retry=RetryPolicy(max_retries=cfg.max_retries),
        clock=ctx.clock,
    )


YOUTUBE = PlatformSpec(
    id="youtube",
    label="YouTube",
    profile_url="https://www.youtube.com/channel/{id}",
    sandbox="sandbox.youtube",
    config=YouTubeConfig,
    connect=connect,
)
