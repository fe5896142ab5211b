"""The HTTP plumbing every platform connector shares: client, retries, throttle.

Connectors classify responses into the typed errors of `connectors.base`; this
module decides what to do with them: transient errors (`Unavailable`,
`RateLimited`, timeouts, dropped connections) are retried with exponential
backoff and jitter, everything else is raised at once. Tokens travel in the
`Authorization` header only, so URLs (which end up in logs) never carry them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from connectors.base import ConnectorError, RateLimited, Unavailable
from connectors.transport import LaneTransport

logger = logging.getLogger(__name__)

USER_AGENT = "socmon/0.1"

Sleep = Callable[[float], Awaitable[None]]
Classify = Callable[[httpx.Response], ConnectorError | None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry transient errors."""

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    # A platform asking for a longer pause than this is not waited for inside one
    # fetch: the error is raised so the scheduler can try the account later.
    retry_after_cap: float = 120.0
    # Returns a float in [0, 1); injected by tests to make the jitter predictable.
    jitter: Callable[[], float] = field(default=random.random)

    def delay_for(self, attempt: int, error: ConnectorError) -> float | None:
        """Seconds to wait before retry number `attempt + 1`, or None to give up now."""
        if isinstance(error, RateLimited) and error.retry_after is not None:
            if error.retry_after > self.retry_after_cap:
                return None
            return max(error.retry_after, 0.0)
        # "Equal jitter": at least half the exponential step, so retries never
        # hammer the platform, and spread over the other half so workers desynchronise.
        step = min(self.backoff_cap, self.backoff_base * 2.0**attempt)
        return step / 2 + self.jitter() * step / 2


def build_client(timeout_seconds: float, max_connections: int) -> httpx.AsyncClient:
    """The one AsyncClient the entry point builds and hands to every connector."""
    if timeout_seconds <= 0 or max_connections <= 0:
        raise ValueError("timeout_seconds and max_connections must be positive")
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 10.0)),
        transport=LaneTransport(max_connections, pool_timeout=timeout_seconds),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


def _describe(method: str, url: str) -> str:
    """'GET host/path' for messages: never the query string, which could carry secrets."""
    parsed = urlsplit(url)  # not httpx.URL: its validating parse is CPU the message does not need
    return f"{method} {parsed.hostname or ''}{parsed.path}"


# Characters Graph's field expansions are made of, sent as they are; anything else is escaped.
_QUERY_SAFE = "(){},."


def with_query(url: str, params: Mapping[str, str] | None) -> str:
    """`url` with `params` encoded onto it, so httpx parses the whole URL once.

    Handing httpx the params separately made it parse and re-validate the URL three times
    per request, character by character (a third of the client's CPU per request with a
    long `fields=` expansion, measured); an escaped `fields=` is also far quicker to check.
    """
    if not params:
        return url
    query = urlencode(params, safe=_QUERY_SAFE, quote_via=quote)
    return f"{url}{'&' if '?' in url else '?'}{query}"


async def request_json(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    classify: Classify,
    retry: RetryPolicy | None = None,
    sleep: Sleep = asyncio.sleep,
    on_response: Callable[[httpx.Response], None] | None = None,
    before_request: Callable[[], Awaitable[None]] | None = None,
) -> Any:
    """Send one request, retrying transient failures; return the decoded JSON body.

    `classify` maps a response to a typed error (None when it is good).
    `on_response` sees every response, good or bad (usage headers).
    `before_request` runs before every attempt (throttle waits, call counters);
    what it raises propagates unretried.
    """
    policy = retry or RetryPolicy()
    what = _describe(method, url)
    attempt = 0
    while True:
        if before_request is not None:
            await before_request()
        cause: BaseException | None = None
        try:
            response = await client.request(
                method, with_query(url, params), headers=dict(headers or {})
            )
        except httpx.TimeoutException as exc:
            error: ConnectorError = Unavailable(f"{what} timed out")
            cause = exc
        except httpx.UnsupportedProtocol as exc:
            # A bad base_url in the config: retrying will not fix it.
            raise ConnectorError(f"{what}: unsupported URL scheme", permanent=True) from exc
        except httpx.TransportError as exc:
            error = Unavailable(f"{what} failed: {type(exc).__name__}")
            cause = exc
        else:
            if on_response is not None:
                on_response(response)
            classified = classify(response)
            if classified is None:
                try:
                    return response.json()
                except ValueError as exc:
                    classified = Unavailable(f"{what}: malformed JSON in the reply")
                    cause = exc
            error = classified

        if error.permanent or not isinstance(error, Unavailable | RateLimited):
            raise error from cause
        if attempt >= policy.max_retries:
            raise error from cause
        delay = policy.delay_for(attempt, error)
        if delay is None:
            raise error from cause
        attempt += 1
        logger.debug("%s: %s; retry %d in %.1fs", what, error.kind, attempt, delay)
        await sleep(delay)


class Throttle:
    """Per-platform pause shared by every request to that platform.

    A connector calls `hold()` when the platform reports high usage and
    `release()` when usage is back to normal; every request first awaits `wait()`.
    """

    def __init__(
        self,
        name: str,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._sleep = sleep
        self._clock = clock
        self._not_before = 0.0
        self.active = False

    def remaining(self) -> float:
        """Seconds left before the next request may go out."""
        return max(0.0, self._not_before - self._clock())

    def hold(self, seconds: float, reason: str) -> None:
        """Make the next requests wait `seconds` from now (latest report wins)."""
        self._not_before = self._clock() + max(seconds, 0.0)
        if not self.active:
            self.active = True
            logger.info("%s: throttling requests (%s)", self.name, reason)

    def release(self) -> None:
        """Usage is back to normal: stop delaying requests."""
        self._not_before = 0.0
        if self.active:
            self.active = False
            logger.info("%s: usage back to normal, no longer throttling", self.name)

    async def wait(self, max_wait: float | None = None) -> None:
        """Wait out the current hold; raise RateLimited when it is longer than `max_wait`."""
        remaining = self.remaining()
        if remaining <= 0:
            return
        if max_wait is not None and remaining > max_wait:
            raise RateLimited(
                f"{self.name}: usage limit reached, next request in {remaining:.0f}s",
                retry_after=remaining,
            )
        await self._sleep(remaining)
