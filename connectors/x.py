"""X (API v2) connector: user lookup, recent posts, and their replies from recent search.

One app-only bearer token (Authorization header) reads everything. Replies are
found with recent search (`conversation_id:<id>`), which reaches back 7 days only,
and X shows neither whether a reply is hidden nor whether the account liked it. So
the comments fact is exposed only when it is complete and decisive: every post
with replies is recent enough for all of its replies to be visible, and every
reply by someone else was answered by the account. Otherwise COMMENTS is
unexposed with the reason, and the comments check says unknown rather than guess.
Posts whose reply_settings restrict replies (mentionedUsers, following) count as
comments off.

X bills per resource read; `x_calls`, `users_read`, `posts_read` and
`estimated_cost_usd` let the status and benchmark output show what a cycle cost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from connectors.base import (
    AccountSnapshot,
    Fact,
    NotFound,
    PermissionMissing,
    Post,
    SyncMark,
    UsageCapReached,
)
from connectors.budget import CallBudget
from connectors.http import RetryPolicy, Throttle, request_json
from connectors.options import ReadOptions
from connectors.parsing import as_text, malformed, require_dict
from connectors.sync import SyncLedger
from connectors.x_errors import _problems, classify_x_error, reset_in
from connectors.x_replies import ReplyPlan, settle_replies
from connectors.x_shapes import (
    MAX_RESET_WAIT,
    MEDIA_FIELDS,
    PRICE_POST_READ,
    PRICE_USER_READ,
    REPLY_FIELDS,
    SEARCH_DAYS,
    TWEET_FIELDS,
    USER_FIELDS,
    build_snapshot,
    media_by_key,
    search_queries,
    snowflake_time,
    timeline_post,
)

logger = logging.getLogger(__name__)


class XConnector:
    """Reads X accounts (by @handle or numeric id) into AccountSnapshots."""

    platform = "x"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        bearer_token: str,
        read: ReadOptions = ReadOptions(),
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], datetime],
        max_reset_wait: float = MAX_RESET_WAIT,
    ) -> None:
        self._client = client
        self._root = f"{base_url.rstrip('/')}/2"
        self._token = bearer_token
        # X allows 5..100 results per timeline page and 10..100 per search page.
        # Recent search reaches 7 days back: the comment horizon does not apply.
        self._max_posts = min(max(read.max_posts, 5), 100)
        self._max_comments = read.max_comments
        self._max_calls = read.max_calls_per_account
        self._retry = retry or RetryPolicy(retry_after_cap=max_reset_wait)
        self._sleep = sleep
        self._clock = clock
        self._max_reset_wait = max_reset_wait
        # Limits are per endpoint, so each endpoint family waits for its own reset.
        self._throttles: dict[str, Throttle] = {}
        self.x_calls = 0
        self.users_read = 0
        self.posts_read = 0
        # X charges a resource once per UTC day: resource ids already paid for, by day.
        self._charged: dict[str, set[str]] = {}
        # Set when X answers UsageCapExceeded: no further request goes out with this connector.
        self.capped = ""

    def _charge(self, kind: str, resource_id: str) -> bool:
        """Count one resource read; False when X already charged it today."""
        day = f"{kind}:{self._clock().date().isoformat()}"
        seen = self._charged.setdefault(day, set())
        if resource_id in seen:
            return False
        seen.add(resource_id)
        if kind == "user":
            self.users_read += 1
        else:
            self.posts_read += 1
        return True

    @property
    def estimated_cost_usd(self) -> float:
        """What the reads so far cost at X's published per-resource prices."""
        return round(self.users_read * PRICE_USER_READ + self.posts_read * PRICE_POST_READ, 4)

    def throttle(self, family: str) -> Throttle:
        """The throttle of one endpoint family (users, tweets, search)."""
        if family not in self._throttles:
            self._throttles[family] = Throttle(
                f"x {family}", sleep=self._sleep, clock=lambda: self._clock().timestamp()
            )
        return self._throttles[family]

    async def _get(self, family: str, path: str, params: dict[str, str]) -> dict[str, Any]:
        throttle = self.throttle(family)

        async def before() -> None:
            if self.capped:
                raise UsageCapReached(self.capped)
            await throttle.wait(max_wait=self._max_reset_wait)
            self.x_calls += 1

        def seen(response: httpx.Response) -> None:
            # Remaining 0 (or a 429): nothing more goes out until the window resets.
            remaining = response.headers.get("x-rate-limit-remaining", "")
            wait = reset_in(response, self._clock())
            if (remaining == "0" or response.status_code == 429) and wait is not None:
                throttle.hold(wait, f"{path.split('/')[0]} limit reached")
            elif remaining.isdigit():
                throttle.release()

        try:
            body = await request_json(
                self._client,
                "GET",
                f"{self._root}/{path}",
                params=params,
                headers={"Authorization": f"Bearer {self._token}"},
                classify=lambda r: classify_x_error(r, self._clock()),
                retry=self._retry,
                sleep=self._sleep,
                on_response=seen,
                before_request=before,
            )
        except UsageCapReached as exc:
            if not self.capped:
                logger.warning("X usage cap reached: no more X reads this cycle")
            self.capped = str(exc)
            raise
        return require_dict(body, path)

    async def fetch(self, platform_id: str) -> AccountSnapshot:
        """Fetch one account: user, recent posts, and their replies where search reaches."""
        return await self.fetch_since(platform_id, {})

    async def fetch_since(self, platform_id: str, known: Mapping[str, SyncMark]) -> AccountSnapshot:
        """Fetch one account, searching replies only of posts whose reply count moved."""
        ledger = SyncLedger(known)
        handle = platform_id.strip().lstrip("@")
        budget = CallBudget(self._max_calls)
        budget.take()
        user = await self._user(handle)
        user_id = str(user["id"])
        unexposed: dict[Fact, str] = {
            Fact.EMAILS: "X does not expose contact emails",
            Fact.ADMINS: "X does not list who can manage an account",
        }
        protected = user.get("protected")
        if not isinstance(protected, bool):
            unexposed[Fact.AUDIENCE] = "X did not say whether the account is protected"
        posts: list[Post] = []
        own_replies_read = False
        username = as_text(user.get("username")) or handle
        if protected is not False:
            # An app-only token cannot read a protected timeline (or its replies).
            reason = "the account is protected; only approved followers see its posts"
            unexposed[Fact.COMMENTS] = unexposed[Fact.COMMENT_SETTING] = reason
            if snowflake_time(as_text(user.get("most_recent_tweet_id"))) is None:
                unexposed[Fact.POSTS] = reason
        else:
            budget.take()
            timeline = await self._timeline(user_id, budget, unexposed)
            posts, own_replies_read = await self._replies(
                user_id, username, timeline, unexposed, budget, ledger
            )
        return build_snapshot(
            platform_id, user, username, posts, unexposed, self._clock(), ledger, own_replies_read
        )

    async def _user(self, handle: str) -> dict[str, Any]:
        path = f"users/{handle}" if handle.isdigit() else f"users/by/username/{handle}"
        body = await self._get("users", path, {"user.fields": USER_FIELDS})
        user = body.get("data")
        if not isinstance(user, dict):
            # X answers an unknown or suspended user with HTTP 200 and an `errors` list.
            for problem in _problems(body):
                if "resource-not-found" in as_text(problem.get("type")):
                    raise NotFound(f"X user {handle} not found: {as_text(problem.get('detail'))}")
                if "not-authorized" in as_text(problem.get("type")):
                    raise PermissionMissing(f"X user {handle} is not visible to the app")
            raise malformed(path, "no user data")
        if not user.get("id"):
            raise malformed(path, "a user without id")
        self._charge("user", str(user["id"]))
        return user

    async def _timeline(
        self, user_id: str, budget: CallBudget, unexposed: dict[Fact, str]
    ) -> list[tuple[Post, int | None]]:
        """Original posts back to the search horizon, with their reply counts (None: not said)."""
        path = f"users/{user_id}/tweets"
        params = {
            "tweet.fields": TWEET_FIELDS,
            "max_results": str(self._max_posts),
            "exclude": "retweets,replies",
            "expansions": "attachments.media_keys",
            "media.fields": MEDIA_FIELDS,
        }
        horizon = self._clock() - timedelta(days=SEARCH_DAYS)
        posts: list[tuple[Post, int | None]] = []
        while True:
            body = await self._get("tweets", path, params)
            rows = body.get("data", [])
            if not isinstance(rows, list):
                raise malformed(path, "data is not a list")
            media = media_by_key(body)
            for row in rows:
                post = timeline_post(row, path, media)
                self._charge("post", post[0].post_id)
                posts.append(post)
            meta = body.get("meta")
            token = meta.get("next_token") if isinstance(meta, dict) else None
            # Older pages matter only while they can still hold posts whose replies search reaches.
            if not isinstance(token, str) or not token or not rows:
                return posts
            if posts[-1][0].created_at < horizon:
                return posts
            if not budget.take():
                unexposed[Fact.COMMENTS] = (
                    f"posts of the last {SEARCH_DAYS} days not all read: {budget.spent_reason}"
                )
                return posts
            params = {**params, "pagination_token": token}

    async def _replies(
        self,
        user_id: str,
        username: str,
        timeline: list[tuple[Post, int | None]],
        unexposed: dict[Fact, str],
        budget: CallBudget,
        ledger: SyncLedger,
    ) -> tuple[list[Post], bool]:
        """The posts with their replies, and whether every post's replies were read now;
        COMMENTS unexposed unless that picture is complete."""
        plan = ReplyPlan.of(timeline, ledger, self._clock() - timedelta(days=SEARCH_DAYS))
        found, whole = (
            await self._search(plan.searchable, budget) if plan.searchable else ([], True)
        )
        return settle_replies(plan, found, whole, user_id, username, unexposed, budget, ledger)

    async def _search(
        self, posts: list[Post], budget: CallBudget
    ) -> tuple[list[dict[str, Any]], bool]:
        """Replies in the conversations of `posts`, several per query; False when cut short."""
        rows: list[dict[str, Any]] = []
        for query in search_queries(posts):
            params = {
                "query": query,
                "tweet.fields": REPLY_FIELDS,
                "max_results": str(min(max(self._max_comments, 10), 100)),
            }
            while True:
                if not budget.take():
                    return rows, False
                body = await self._get("search", "tweets/search/recent", params)
                data = body.get("data", [])
                if not isinstance(data, list):
                    raise malformed("tweets/search/recent", "data is not a list")
                for row in data:
                    if not isinstance(row, dict) or not row.get("id"):
                        raise malformed("tweets/search/recent", "a reply without id")
                    rows.append(row)
                    self._charge("post", str(row["id"]))
                meta = body.get("meta")
                token = meta.get("next_token") if isinstance(meta, dict) else None
                if not isinstance(token, str) or not token or not data:
                    break
                params = {**params, "next_token": token}
        return rows, True
