"""Facebook and Instagram connectors for tests: the shared Graph client built the way connect.py does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import fields
from datetime import datetime
from typing import Any

import httpx

from connectors.facebook import FacebookConnector
from connectors.graph_client import GraphClient
from connectors.graph_throttle import GraphThrottle
from connectors.http import RetryPolicy
from connectors.instagram import InstagramConnector
from connectors.options import ReadOptions

READ_KEYS = {f.name for f in fields(ReadOptions)}


def graph(
    http: httpx.AsyncClient,
    *,
    base_url: str,
    clock: Callable[[], datetime],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    retry: RetryPolicy | None = None,
    throttle: GraphThrottle | None = None,
) -> GraphClient:
    """A Graph client with its own usage throttle unless one is shared."""
    throttle = throttle or GraphThrottle(sleep=sleep, clock=lambda: clock().timestamp())
    return GraphClient(http, base_url=base_url, retry=retry, sleep=sleep, throttle=throttle)


def split(options: dict[str, Any]) -> tuple[ReadOptions, dict[str, Any]]:
    """(the ReadOptions among `options`, the rest)."""
    read = ReadOptions(**{k: v for k, v in options.items() if k in READ_KEYS})
    return read, {k: v for k, v in options.items() if k not in READ_KEYS}


def facebook(
    http: httpx.AsyncClient,
    *,
    base_url: str,
    system_token: str,
    clock: Callable[[], datetime],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    retry: RetryPolicy | None = None,
    throttle: GraphThrottle | None = None,
    **options: Any,
) -> FacebookConnector:
    """A FacebookConnector; read limits, business_id and roles_apart among `options`."""
    client = graph(
        http, base_url=base_url, clock=clock, sleep=sleep, retry=retry, throttle=throttle
    )
    read, rest = split(options)
    return FacebookConnector(client, system_token=system_token, clock=clock, read=read, **rest)


def instagram(
    http: httpx.AsyncClient,
    *,
    base_url: str,
    system_token: str,
    clock: Callable[[], datetime],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    retry: RetryPolicy | None = None,
    throttle: GraphThrottle | None = None,
    **options: Any,
) -> InstagramConnector:
    """An InstagramConnector; read limits among `options`."""
    client = graph(
        http, base_url=base_url, clock=clock, sleep=sleep, retry=retry, throttle=throttle
    )
    read, rest = split(options)
    return InstagramConnector(client, system_token=system_token, clock=clock, read=read, **rest)
