"""The one Graph API client Facebook Pages, Instagram and the business reads share.

It sends GETs to `{base_url}/{version}/{path}` with the token in the Authorization
header, retries what is transient, waits out the shared usage throttle (when it has
one), counts the requests it sends, and keeps the token out of every error message
even when Graph echoes it. Paging follows only the `after` cursor, on our own
base_url: a reply's `next` may name another host and carries a token in its query.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from connectors.base import (
    AuthFailed,
    ConnectorError,
    NotFound,
    RateLimited,
    Unavailable,
)
from connectors.budget import CallBudget
from connectors.graph import classify_graph_error, cursor_after, edge_rows
from connectors.graph_throttle import GraphThrottle
from connectors.http import RetryPolicy, request_json
from connectors.parsing import require_dict

REDACTED = "[redacted]"


class GraphClient:
    """GETs to one Graph API host and version, throttled, counted and scrubbed."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        api_version: str = "v26.0",
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        throttle: GraphThrottle | None = None,
    ) -> None:
        self._client = client
        self._root = f"{base_url.rstrip('/')}/{api_version.strip('/')}"
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        # Pass one GraphThrottle to every Graph reader of a cycle: app usage is shared.
        self.throttle = throttle
        self.calls = 0  # HTTP requests sent, retries included (for the benchmark)

    async def get(
        self, path: str, params: dict[str, str], token: str, scope: str = ""
    ) -> dict[str, Any]:
        """One Graph GET about the object `scope` (a Page or Instagram account id)."""
        throttle = self.throttle

        async def before() -> None:
            if throttle is not None:
                await throttle.wait(scope, max_wait=self.retry.retry_after_cap)
            self.calls += 1

        try:
            body = await request_json(
                self._client,
                "GET",
                f"{self._root}/{path}",
                params=params,
                headers={"Authorization": f"Bearer {token}"},
                classify=classify_graph_error,
                retry=self.retry,
                sleep=self._sleep,
                on_response=throttle.observe if throttle is not None else None,
                before_request=before,
            )
        except ConnectorError as exc:
            if token and token in str(exc):
                # Graph may echo the token it was given; the cause chain holds no URL.
                raise scrubbed(exc, str(exc).replace(token, REDACTED)) from None
            raise
        return require_dict(body, path)

    async def more(
        self,
        path: str,
        params: dict[str, str],
        edge: Any,
        token: str,
        budget: CallBudget,
        scope: str,
        *,
        while_last: Callable[[Any], bool] | None = None,
    ) -> tuple[list[Any], bool]:
        """Rows of every further result page of `edge`; False when the budget cut it short.

        With `while_last`, paging goes on only while the last row read satisfies it
        (posts and media come newest first: page on while the last is inside the horizon).
        """
        rows: list[Any] = []
        last = edge_rows(edge, path)[-1:]
        after = cursor_after(edge)
        while after is not None and (while_last is None or (last and while_last(last[0]))):
            if not budget.take():
                return rows, False
            reply = await self.get(path, {**params, "after": after}, token, scope)
            data = edge_rows(reply, path)
            rows.extend(data)
            last = data[-1:]
            after = cursor_after(reply) if data else None
        return rows, True

    async def every_row(
        self, path: str, params: dict[str, str], token: str, max_pages: int
    ) -> list[Any]:
        """Every row of a listing (page tokens, owned pages), at most `max_pages` result pages."""
        rows: list[Any] = []
        seen: set[str] = set()
        for _ in range(max_pages):
            reply = await self.get(path, params, token)
            rows.extend(edge_rows(reply, path))
            after = cursor_after(reply)
            if after is None or after in seen:
                return rows
            seen.add(after)
            params = {**params, "after": after}
        raise Unavailable(f"{path}: more than {max_pages} result pages")


def scrubbed(exc: ConnectorError, message: str) -> ConnectorError:
    """The same kind of error as `exc`, with `message`."""
    if isinstance(exc, AuthFailed):
        return type(exc)(message, code=exc.code, subcode=exc.subcode)
    if isinstance(exc, RateLimited):
        return RateLimited(message, retry_after=exc.retry_after)
    if isinstance(exc, Unavailable):
        return Unavailable(message)
    if isinstance(exc, NotFound):
        return NotFound(message)
    return ConnectorError(message, permanent=exc.permanent)
