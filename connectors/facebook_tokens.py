"""The Facebook Page tokens a cycle reads with: listed once from `/me/accounts`, reloaded once.

Only a page's own token shows comment authors and whether the page liked a comment,
so each page is read with it. Tokens live in memory only (never the database or logs).
"""

from __future__ import annotations

import asyncio
import logging

from connectors.base import AuthFailed, ConnectorError, NotFound
from connectors.graph_client import GraphClient

logger = logging.getLogger(__name__)
# /me/accounts result pages of 100 tokens: 1,000 pages reach 100,000 Pages.
MAX_TOKEN_PAGES = 1000


class PageTokens:
    """Page id -> page token, as the district's system user holds them."""

    def __init__(self, graph: GraphClient, system_token: str) -> None:
        self._graph = graph
        self._system_token = system_token
        self._tokens: dict[str, str] | None = None
        # A failed listing is not asked again by every page of the cycle (one connector a cycle).
        self._error: ConnectorError | None = None
        self._generation = 0  # bumped on every load, so one failure reloads once
        self._lock = asyncio.Lock()

    async def load(self) -> dict[str, str]:
        """Read every page token the system user holds (page id -> token), following paging."""
        params = {"fields": "id,name,access_token", "limit": "100"}
        try:
            rows = await self._graph.every_row(
                "me/accounts", params, self._system_token, MAX_TOKEN_PAGES
            )
        except AuthFailed as exc:
            # IT must know it is the system user's token, not one page's, that failed.
            raise type(exc)(
                f"system user token: {exc}", code=exc.code, subcode=exc.subcode
            ) from exc
        tokens = {
            str(row["id"]): str(row["access_token"])
            for row in rows
            if isinstance(row, dict) and row.get("id") and row.get("access_token")
        }
        self._tokens = tokens
        self._generation += 1
        logger.info("loaded %d Facebook page tokens", len(tokens))
        return tokens

    async def token_for(self, page_id: str) -> tuple[str, int]:
        """(the page's token, the load it came from); NotFound for a page the user lacks."""
        async with self._lock:
            if self._tokens is None:
                if self._error is not None:
                    raise self._error
                try:
                    await self.load()
                except ConnectorError as exc:
                    self._error = exc
                    raise
            tokens, generation = self._tokens or {}, self._generation
        if page_id not in tokens:
            raise NotFound(f"page {page_id} is not managed by the district's system user")
        return tokens[page_id], generation

    async def reload_after(self, generation: int) -> None:
        """A token of load `generation` was rejected: reload, unless someone already did."""
        async with self._lock:
            if self._generation == generation:
                logger.info("a Facebook page token was rejected; reloading page tokens")
                await self.load()
