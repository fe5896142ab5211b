"""Facebook Pages connector: one Graph call reads a quiet page, its roles included.

Each page is read with its own page token (from `/me/accounts`, fetched with the
district's system-user token), because only the page's token shows comment
authors and whether the page itself liked a comment. Tokens live in memory only
and travel in the Authorization header. What is asked for and how the reply is
read lives in connectors.facebook_page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from connectors.base import (
    AccountSnapshot,
    Admin,
    AuthFailed,
    Fact,
    PermissionMissing,
    SyncMark,
)
from connectors.budget import CallBudget, Tally
from connectors.facebook_page import (
    COMMENT_FIELDS,
    admin_fields,
    admin_sources,
    admins_of,
    build_snapshot,
    page_fields,
    post_fields,
    total_count,
)
from connectors.facebook_tokens import PageTokens
from connectors.graph import cursor_after, edge_rows
from connectors.graph_client import GraphClient
from connectors.graph_throttle import GraphThrottle
from connectors.options import ReadOptions
from connectors.parsing import parse_time
from connectors.sync import SyncLedger

logger = logging.getLogger(__name__)


class RolesApart:
    """Pages whose role edges Graph refused inside the page call, for the process's lifetime.

    Graph answers a whole field-expanded request with the error of one refused edge, so
    such a page is read with separate calls; remembering it spares every later cycle
    (connectors are built anew each cycle) the failed expanded call.
    """

    def __init__(self) -> None:
        self._pages: set[str] = set()

    def __contains__(self, page_id: object) -> bool:
        return page_id in self._pages

    def add(self, page_id: str) -> None:
        self._pages.add(page_id)


class FacebookConnector:
    """Reads Facebook Pages into AccountSnapshots with the pages' own tokens."""

    platform = "facebook"

    def __init__(
        self,
        graph: GraphClient,
        *,
        system_token: str,
        clock: Callable[[], datetime],
        read: ReadOptions = ReadOptions(),
        business_id: str = "",
        roles_apart: RolesApart | None = None,
    ) -> None:
        self._graph = graph
        self._tokens = PageTokens(graph, system_token)
        self._clock = clock
        self._read = read
        self._business_id = business_id
        self._roles_apart = roles_apart if roles_apart is not None else RolesApart()

    @property
    def graph_calls(self) -> int:
        """HTTP requests sent, retries included (for the benchmark)."""
        return self._graph.calls

    @property
    def throttle(self) -> GraphThrottle | None:
        return self._graph.throttle

    async def load_page_tokens(self) -> dict[str, str]:
        """Read every page token the system user holds (page id -> token), following paging."""
        return await self._tokens.load()

    async def fetch(self, platform_id: str) -> AccountSnapshot:
        """Fetch one page, reading every post's comments."""
        return await self.fetch_since(platform_id, {})

    async def fetch_since(self, platform_id: str, known: Mapping[str, SyncMark]) -> AccountSnapshot:
        """Fetch one page, skipping the comments of posts unchanged since their settled read.

        Reloads the page tokens once if Facebook rejects the page token.
        """
        token, generation = await self._tokens.token_for(platform_id)
        try:
            return await self._fetch_with(platform_id, token, known)
        except PermissionMissing:
            raise
        except AuthFailed:
            await self._tokens.reload_after(generation)
            token, _ = await self._tokens.token_for(platform_id)
            return await self._fetch_with(platform_id, token, known)

    async def _fetch_with(
        self, page_id: str, token: str, known: Mapping[str, SyncMark]
    ) -> AccountSnapshot:
        budget = CallBudget(self._read.max_calls_per_account)
        budget.take()
        unexposed: dict[Fact, str] = {}
        page, admins = await self._page_and_admins(page_id, token, budget, unexposed)
        ledger = SyncLedger(known)
        tally = await self._complete_posts(page_id, page, token, budget, ledger)
        snapshot = build_snapshot(page_id, page, admins, unexposed, self._clock())
        # Own replies on a skipped post, or past a cut-short read, were not read this time.
        text_read = snapshot.post_text_read and not ledger.omitted and not tally.stopped
        return replace(
            snapshot,
            coverage={Fact.COMMENTS: tally.coverage()},
            sync=ledger.marks(snapshot.posts),
            post_text_read=text_read,
        )

    async def _page_and_admins(
        self, page_id: str, token: str, budget: CallBudget, unexposed: dict[Fact, str]
    ) -> tuple[dict[str, Any], tuple[Admin, ...]]:
        """The page reply and its admins: one call with the role edges expanded in it.

        Where Graph refuses a role edge it refuses the whole expanded request; that page
        is then read with separate calls, which leave only ADMINS unknown.
        """
        fields = page_fields(self._read.max_posts, self._read.max_comments)
        if page_id not in self._roles_apart:
            expanded = f"{fields},{admin_fields(self._business_id)}"
            try:
                page = await self._graph.get(page_id, {"fields": expanded}, token, page_id)
            except PermissionMissing:
                budget.take()  # the page itself is read whatever the budget says
            else:
                sources = admin_sources(page_id, self._business_id)
                edges = [(path, params, page.get(key)) for key, path, params in sources]
                return page, await self._people(edges, token, budget, unexposed, page_id)
        page = await self._graph.get(page_id, {"fields": fields}, token, page_id)
        if page_id not in self._roles_apart:
            logger.info("page %s: Graph refused its roles in the page call; reading apart", page_id)
            self._roles_apart.add(page_id)
        return page, await self._admins(page_id, token, budget, unexposed)

    async def _admins(
        self, page_id: str, token: str, budget: CallBudget, unexposed: dict[Fact, str]
    ) -> tuple[Admin, ...]:
        """Admins read with separate calls to /roles (and /assigned_users with a business id)."""
        edges: list[tuple[str, dict[str, str], Any]] = []
        for _, path, params in admin_sources(page_id, self._business_id):
            if not budget.take():
                unexposed[Fact.ADMINS] = f"page roles not read: {budget.spent_reason}"
                return ()
            try:
                edges.append((path, params, await self._graph.get(path, params, token, page_id)))
            except PermissionMissing:
                # A partial admin list could open false lapses: say "unknown" instead.
                unexposed[Fact.ADMINS] = "the token lacks permission to read page roles"
                return ()
        return await self._people(edges, token, budget, unexposed, page_id)

    async def _people(
        self,
        edges: list[tuple[str, dict[str, str], Any]],
        token: str,
        budget: CallBudget,
        unexposed: dict[Fact, str],
        page_id: str,
    ) -> tuple[Admin, ...]:
        """The admins across the role edges, each edge followed to its end."""
        people: list[tuple[str, Any]] = []
        for path, params, edge in edges:
            more, whole = await self._graph.more(path, params, edge, token, budget, page_id)
            if not whole:
                unexposed[Fact.ADMINS] = f"page roles read only in part: {budget.spent_reason}"
                return ()
            people.extend((path, row) for row in edge_rows(edge, path) + more)
        return admins_of(people)

    async def _complete_posts(
        self,
        page_id: str,
        page: dict[str, Any],
        token: str,
        budget: CallBudget,
        ledger: SyncLedger,
    ) -> Tally:
        """Read every post back to the horizon and every comment and reply on each, newest first."""
        where = f"page {page_id}"
        horizon = self._clock() - timedelta(days=self._read.comment_horizon_days)
        tally = Tally(self._read.comment_horizon_days)

        def in_scope(post: Any) -> bool:
            # Published or commented on (Graph's updated_time) inside the scan horizon.
            if not isinstance(post, dict):
                return False
            latest = post.get("updated_time") or post.get("created_time")
            return parse_time(latest, f"post {post.get('id')} of {where}") >= horizon

        posts = page.get("posts")
        rows = edge_rows(posts, where)
        params = {
            "fields": post_fields(self._read.max_comments),
            "limit": str(self._read.max_posts),
        }
        path = f"{page_id}/posts"
        more, whole = await self._graph.more(
            path, params, posts, token, budget, page_id, while_last=in_scope
        )
        rows.extend(more)
        if not whole:
            tally.stop(f"older posts were reached: {budget.spent_reason}")
        for post in rows:
            if not isinstance(post, dict) or not post.get("id"):
                continue  # build_snapshot reports it as malformed
            if in_scope(post):
                await self._complete_comments(post, page_id, token, budget, ledger, tally)
        return tally

    async def _complete_comments(
        self,
        post: dict[str, Any],
        page_id: str,
        token: str,
        budget: CallBudget,
        ledger: SyncLedger,
        tally: Tally,
    ) -> None:
        """Every comment and reply of one post, unless it is unchanged since its settled read."""
        comments = post.get("comments")
        found = edge_rows(comments, f"post {post['id']}")
        # updated_time moves when someone comments: unchanged means nothing new to read.
        marker = str(post.get("updated_time") or post.get("created_time"))
        mark = ledger.unchanged(str(post["id"]), marker)
        if mark is not None:
            tally.add(max(len(found), mark.comments), total_count(comments))
            ledger.omitted += cursor_after(comments) is not None
            return
        if not tally.stopped:
            params = {
                "fields": COMMENT_FIELDS,
                "filter": "stream",
                "order": "reverse_chronological",
                "limit": str(self._read.max_comments),
            }
            path = f"{post['id']}/comments"
            more, whole = await self._graph.more(path, params, comments, token, budget, page_id)
            found.extend(more)
            if whole:
                ledger.read_whole(str(post["id"]), marker, len(found))
            else:
                tally.stop(budget.spent_reason)
        elif cursor_after(comments) is not None:
            tally.stop(budget.spent_reason)
        tally.add(len(found), total_count(comments))
