"""Build the platform connectors once, at the entry point, from config and secrets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

from connectors.base import Connector
from connectors.facebook import FacebookConnector
from connectors.http import RetryPolicy, build_client
from monitor.errors import Problem, UserError
from monitor.secrets import SecretMissing, resolve_secret
from monitor.settings import Platform, Settings


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
    settings: Settings, cfg: Platform, env: Mapping[str, str] | None, client: object
) -> Connector:
    return FacebookConnector(
        client,  # type: ignore[arg-type]
        base_url=cfg.base_url,
        api_version=cfg.api_version or "v26.0",
        system_token=_secret(settings, "facebook", "token_secret", cfg.token_secret, env),
        business_id=cfg.business_id,
        max_posts=cfg.max_posts,
        max_comments=cfg.max_comments,
        retry=RetryPolicy(max_retries=cfg.max_retries),
    )


BUILDERS = {"facebook": _facebook}


@asynccontextmanager
async def open_connectors(
    settings: Settings, env: Mapping[str, str] | None = None
) -> AsyncIterator[dict[str, Connector]]:
    """One httpx client per platform, closed on exit; a missing secret is a user error."""
    problems: list[Problem] = []
    async with AsyncExitStack() as stack:
        connectors: dict[str, Connector] = {}
        for platform, cfg in settings.platforms.items():
            builder = BUILDERS.get(platform)
            if not cfg.enabled or builder is None:
                continue
            client = await stack.enter_async_context(
                build_client(cfg.timeout_seconds, max_connections=cfg.concurrency * 2)
            )
            try:
                connectors[platform] = builder(settings, cfg, env, client)
            except UserError as exc:
                problems.extend(exc.problems)
        if problems:
            raise UserError(problems)
        yield connectors
