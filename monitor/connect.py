"""Build the platform connectors once, at the entry point, from config and secrets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from connectors.base import Connector
from connectors.facebook import FacebookConnector
from connectors.graph_throttle import GraphThrottle
from connectors.http import RetryPolicy, build_client
from connectors.instagram import InstagramConnector
from connectors.x import MAX_RESET_WAIT, XConnector
from connectors.youtube import YouTubeConnector
from connectors.youtube_quota import DailyQuota
from monitor.concurrency import ceiling
from monitor.context import Clock
from monitor.errors import Problem, UserError
from monitor.secrets import SecretMissing, resolve_secret
from monitor.settings import Platform, Settings
from monitor.youtube_grants import grants_folder, load_grants


@dataclass(frozen=True)
class Shared:
    """What several connectors share: Facebook and Instagram count against one Graph app."""

    graph_throttle: GraphThrottle


def _secret(
    settings: Settings, platform: str, key: str, name: str, env: Mapping[str, str] | None
) -> str:
    if not name:
        raise UserError.one(str(settings.source), f"platforms.{platform}.{key}", "is not set")
    try:
        return resolve_secret(name, env).get_secret_value()
    except SecretMissing as exc:
        raise UserError.one(str(settings.source), f"platforms.{platform}.{key}", str(exc)) from None


def _facebook(
    settings: Settings,
    cfg: Platform,
    env: Mapping[str, str] | None,
    client: object,
    clock: Clock,
    shared: Shared,
) -> Connector:
    return FacebookConnector(
        client,  # type: ignore[arg-type]
        base_url=cfg.base_url,
        api_version=cfg.api_version or "v26.0",
        system_token=_secret(settings, "facebook", "token_secret", cfg.token_secret, env),
        business_id=cfg.business_id,
        max_posts=cfg.max_posts,
        max_comments=cfg.max_comments,
        max_calls_per_account=cfg.max_calls_per_account,
        comment_horizon_days=cfg.comment_horizon_days,
        retry=RetryPolicy(max_retries=cfg.max_retries),
        clock=clock,
        throttle=shared.graph_throttle,
    )


def _instagram(
    settings: Settings,
    cfg: Platform,
    env: Mapping[str, str] | None,
    client: object,
    clock: Clock,
    shared: Shared,
) -> Connector:
    return InstagramConnector(
        client,  # type: ignore[arg-type]
        base_url=cfg.base_url,
        api_version=cfg.api_version or "v26.0",
        system_token=_secret(settings, "instagram", "token_secret", cfg.token_secret, env),
        max_posts=cfg.max_posts,
        max_comments=cfg.max_comments,
        max_calls_per_account=cfg.max_calls_per_account,
        comment_horizon_days=cfg.comment_horizon_days,
        retry=RetryPolicy(max_retries=cfg.max_retries),
        clock=clock,
        throttle=shared.graph_throttle,
    )


def _x(
    settings: Settings,
    cfg: Platform,
    env: Mapping[str, str] | None,
    client: object,
    clock: Clock,
    shared: Shared,
) -> Connector:
    return XConnector(
        client,  # type: ignore[arg-type]
        base_url=cfg.base_url,
        bearer_token=_secret(settings, "x", "token_secret", cfg.token_secret, env),
        max_posts=cfg.max_posts,
        max_comments=cfg.max_comments,
        max_calls_per_account=cfg.max_calls_per_account,
        retry=RetryPolicy(max_retries=cfg.max_retries, retry_after_cap=MAX_RESET_WAIT),
        clock=clock,
    )


def _json_secret(
    settings: Settings, key: str, name: str, fields: tuple[str, ...], env: Mapping[str, str] | None
) -> dict[str, str]:
    raw = _secret(settings, "youtube", key, name, env)
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not all(isinstance(body.get(f), str) for f in fields):
        raise UserError.one(
            str(settings.source),
            f"platforms.youtube.{key}",
            f"the secret must be JSON with {', '.join(fields)}",
        )
    return {f: body[f] for f in fields}


def youtube_oauth(
    settings: Settings, cfg: Platform, env: Mapping[str, str] | None
) -> tuple[dict[str, str] | None, dict[str, str] | None]:
    """(the OAuth client's id and secret, the one shared grant) from the configured secrets."""
    oauth = None
    if cfg.refresh_token_secret:
        fields = ("client_id", "client_secret", "refresh_token")
        oauth = _json_secret(
            settings, "refresh_token_secret", cfg.refresh_token_secret, fields, env
        )
    client = None
    if cfg.oauth_client_secret:
        pair = ("client_id", "client_secret")
        client = _json_secret(settings, "oauth_client_secret", cfg.oauth_client_secret, pair, env)
    elif oauth is not None:
        client = {"client_id": oauth["client_id"], "client_secret": oauth["client_secret"]}
    return client, oauth


def _youtube(
    settings: Settings,
    cfg: Platform,
    env: Mapping[str, str] | None,
    client: object,
    clock: Clock,
    shared: Shared,
) -> Connector:
    key = _secret(settings, "youtube", "token_secret", cfg.token_secret, env)
    credentials, oauth = youtube_oauth(settings, cfg, env)
    grants = load_grants(grants_folder(settings.state_dir, env)) if credentials else {}
    # Kept in the state folder so the daily count survives between cycles and restarts.
    path = settings.state_dir / "youtube-quota.json" if settings.state_dir.is_dir() else None
    return YouTubeConnector(
        client,  # type: ignore[arg-type]
        base_url=cfg.base_url,
        api_key=key,
        oauth=oauth,
        client_credentials=credentials,
        grants=grants,
        max_posts=cfg.max_posts,
        max_comments=cfg.max_comments,
        max_calls_per_account=cfg.max_calls_per_account,
        comment_horizon_days=cfg.comment_horizon_days,
        quota=DailyQuota(cfg.daily_quota, clock, path),
        retry=RetryPolicy(max_retries=cfg.max_retries),
        clock=clock,
    )


BUILDERS = {"facebook": _facebook, "instagram": _instagram, "x": _x, "youtube": _youtube}


@asynccontextmanager
async def open_connectors(
    settings: Settings, clock: Clock, env: Mapping[str, str] | None = None
) -> AsyncIterator[dict[str, Connector]]:
    """One httpx client per platform, closed on exit; a missing secret is a user error.

    `clock` is the App's: every snapshot, quota day and rate-limit reset reads it.
    """
    problems: list[Problem] = []
    async with AsyncExitStack() as stack:
        connectors: dict[str, Connector] = {}
        shared = Shared(GraphThrottle("graph", clock=lambda: clock().timestamp()))
        for platform, cfg in settings.platforms.items():
            builder = BUILDERS.get(platform)
            if not cfg.enabled or builder is None:
                continue
            client = await stack.enter_async_context(
                # A connection per fetch the adaptive limit may allow (idle lanes never connect).
                build_client(cfg.timeout_seconds, max_connections=ceiling(cfg))
            )
            try:
                connectors[platform] = builder(settings, cfg, env, client, clock, shared)
            except UserError as exc:
                problems.extend(exc.problems)
        if problems:
            raise UserError(problems)
        yield connectors
