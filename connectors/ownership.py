"""What the district's Meta business owns, and what Facebook says about the system token.

Two Graph reads made once per cycle with the system-user token: the business's
owned Pages (`/{business}/owned_pages`, followed page by page) and the token's own
description (`/debug_token`). debug_token takes the inspected token in its query
string, as the real API requires; it is never logged and is scrubbed from every
message this module raises.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.base import (
    AuthFailed,
    PermissionMissing,
    Unavailable,
)
from connectors.graph_client import REDACTED, GraphClient
from connectors.http import RetryPolicy
from connectors.parsing import as_text

logger = logging.getLogger(__name__)

_INPUT_TOKEN = re.compile(r"(input_token=)[^&\s\"']+")


class _InputTokenFilter(logging.Filter):
    """Scrubs `input_token=` from httpx's request lines, whatever level the process logs at."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "input_token=" in message:
            record.msg, record.args = _INPUT_TOKEN.sub(r"\1" + REDACTED, message), None
        return True


def _guard_httpx_log() -> None:
    # httpx logs every request URL at INFO, and debug_token's URL holds a token: the CLI
    # quietens httpx, but a daemon or a test at INFO must not print it either.
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _InputTokenFilter) for f in httpx_logger.filters):
        httpx_logger.addFilter(_InputTokenFilter())


@dataclass(frozen=True, slots=True)
class OwnedPage:
    """A Page the business owns."""

    page_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """debug_token's answer: validity, expiry dates (None: never) and granted scopes."""

    is_valid: bool
    expires_at: datetime | None = None
    data_access_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    error: str = ""


def _epoch(value: Any) -> datetime | None:
    # Graph reports 0 for a token that never expires (system-user tokens).
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    return None


class BusinessGraph:
    """Reads the business's owned Pages and the system token's health from the Graph API."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        api_version: str = "v26.0",
        system_token: str,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_result_pages: int = 100,
    ) -> None:
        # Once a cycle, outside the accounts' throttle: no usage wait, the shared client's
        # retries, paging and scrubbing of the token from every error message.
        self._graph = GraphClient(
            client, base_url=base_url, api_version=api_version, retry=retry, sleep=sleep
        )
        self._token = system_token
        # 100 pages of 100 Pages each: far beyond any district; stops a paging loop.
        self._max_result_pages = max_result_pages
        _guard_httpx_log()

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, REDACTED) if self._token else text

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        return await self._graph.get(path, params, self._token)

    async def owned_pages(self, business_id: str) -> list[OwnedPage]:
        """Every Page the business owns, following the `after` cursor on our own base URL."""
        params = {"fields": "id,name", "limit": "100"}
        path = f"{business_id}/owned_pages"
        rows = await self._graph.every_row(path, params, self._token, self._max_result_pages)
        pages: dict[str, OwnedPage] = {}
        for row in rows:
            if not isinstance(row, dict) or not row.get("id"):
                raise Unavailable("malformed reply from owned_pages: a page without id")
            pages[str(row["id"])] = OwnedPage(str(row["id"]), as_text(row.get("name")))
        logger.info("business %s owns %d Facebook pages", business_id, len(pages))
        return list(pages.values())

    async def debug_token(self) -> TokenInfo:
        """What Facebook says about the system token; a rejected token is reported, not raised."""
        try:
            reply = await self._get("debug_token", {"input_token": self._token})
        except PermissionMissing:
            raise
        except AuthFailed as exc:
            # The token cannot even describe itself: that is the answer, not a failed read.
            return TokenInfo(is_valid=False, error=str(exc))
        data = reply.get("data")
        if not isinstance(data, dict):
            raise Unavailable("malformed reply from debug_token: no data object")
        error = data.get("error")
        message = error.get("message") if isinstance(error, dict) else None
        scopes = data.get("scopes")
        return TokenInfo(
            is_valid=data.get("is_valid") is True,
            expires_at=_epoch(data.get("expires_at")),
            data_access_expires_at=_epoch(data.get("data_access_expires_at")),
            scopes=tuple(s for s in scopes if isinstance(s, str))
            if isinstance(scopes, list)
            else (),
            error=self._scrub(str(message))[:200] if message else "",
        )
