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
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from connectors.base import (
    AccountSnapshot,
    Comment,
    Coverage,
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
from connectors.parsing import as_text, malformed, parse_time, require_dict
from connectors.sync import SyncLedger
from connectors.x_errors import (  # noqa: F401 -- re-exported for callers of connectors.x
    CAP_REASON,
    DEFAULT_RETRY_AFTER,
    _problems,
    classify_x_error,
    is_usage_cap,
    reset_in,
)

logger = logging.getLogger(__name__)

USER_FIELDS = (
    "description,url,entities,profile_image_url,profile_banner_url,protected,"
    "most_recent_tweet_id,created_at"
)
TWEET_FIELDS = "created_at,reply_settings,conversation_id,public_metrics,attachments"
MEDIA_FIELDS = "type,alt_text"
REPLY_FIELDS = "created_at,author_id,conversation_id,referenced_tweets"
# reply_settings values that keep the public out of the replies: treated as comments off.
RESTRICTED_REPLIES = {"mentionedUsers", "following"}
SEARCH_DAYS = 7
SEARCH_QUERY_MAX = 512  # characters in one recent-search query (standard access)
# Prices per resource read since February 2026 (see docs/platform-apis.md).
PRICE_USER_READ = 0.010
PRICE_POST_READ = 0.005
# X windows are 15 minutes: waiting up to a full window is cheaper than failing the account.
MAX_RESET_WAIT = 15 * 60.0
# X snowflake ids carry their creation time: milliseconds since this epoch, shifted by 22 bits.
_SNOWFLAKE_EPOCH_MS = 1288834974657


def snowflake_time(tweet_id: str) -> datetime | None:
    """When a post with this id was created (X ids encode it), or None for a non-id."""
    if not tweet_id.isdigit():
        return None
    millis = (int(tweet_id) >> 22) + _SNOWFLAKE_EPOCH_MS
    return datetime.fromtimestamp(millis / 1000, UTC)


def website_of(user: dict[str, Any]) -> str:
    """The profile link as written (entities' expanded URL), not X's t.co short link."""
    entities = user.get("entities")
    url_part = entities.get("url") if isinstance(entities, dict) else None
    urls = url_part.get("urls") if isinstance(url_part, dict) else None
    if isinstance(urls, list) and urls and isinstance(urls[0], dict):
        expanded = as_text(urls[0].get("expanded_url"))
        if expanded:
            return expanded
    return as_text(user.get("url"))


def larger_avatar(url: str) -> str:
    """X serves 48 px `_normal` avatars; the 400 px one is the same path (logo detection)."""
    return re.sub(r"_normal(\.\w+)$", r"_400x400\1", url)


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
        last_seen = snowflake_time(as_text(user.get("most_recent_tweet_id")))
        posts: list[Post] = []
        own_replies_read = False
        if protected is not False:
            # An app-only token cannot read a protected timeline (or its replies).
            reason = "the account is protected; only approved followers see its posts"
            unexposed[Fact.COMMENTS] = unexposed[Fact.COMMENT_SETTING] = reason
            if last_seen is None:
                unexposed[Fact.POSTS] = reason
        else:
            budget.take()
            timeline = await self._timeline(user_id, budget, unexposed)
            username = as_text(user.get("username")) or handle
            posts, own_replies_read = await self._replies(
                user_id, username, timeline, unexposed, budget, ledger
            )
        fetched_at = self._clock()
        coverage = {}
        if protected is False:
            replies = sum(len(p.comments) for p in posts)
            coverage[Fact.COMMENTS] = Coverage(
                complete=Fact.COMMENTS not in unexposed,
                covered=f"{replies} replies by others on {len(posts)} posts read from the timeline",
                missing=unexposed.get(Fact.COMMENTS, ""),
                read=replies,
            )
        times = [p.created_at for p in posts] + ([last_seen] if last_seen else [])
        settings = {p.comments_enabled for p in posts}
        comment_setting = "" if not posts else ("restricted" if settings == {False} else "on")
        return AccountSnapshot(
            platform="x",
            platform_id=platform_id,
            fetched_at=fetched_at,
            name=as_text(user.get("name")),
            about=as_text(user.get("description")),
            website=website_of(user),
            banner_url=as_text(user.get("profile_banner_url")),
            picture_url=larger_avatar(as_text(user.get("profile_image_url"))),
            audience="" if protected is None else ("private" if protected else "public"),
            comment_setting=comment_setting,
            posts=tuple(posts),
            last_post_at=max(times, default=None),
            url=f"https://x.com/{as_text(user.get('username')) or handle}",
            unexposed=unexposed,
            coverage=coverage,
            sync=ledger.marks(posts),
            # Post texts and media are in the timeline; the account's own replies only where
            # recent search reaches.
            post_text_read=own_replies_read,
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
            media = _media_by_key(body)
            for row in rows:
                posts.append(self._timeline_post(row, path, media))
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

    def _timeline_post(self, row: Any, path: str, media: dict[str, str]) -> tuple[Post, int | None]:
        if not isinstance(row, dict) or not row.get("id"):
            raise malformed(path, "a post without id")
        self._charge("post", str(row["id"]))
        setting = as_text(row.get("reply_settings")) or "everyone"
        metrics = row.get("public_metrics")
        replies = metrics.get("reply_count") if isinstance(metrics, dict) else None
        attachments = row.get("attachments")
        keys = attachments.get("media_keys") if isinstance(attachments, dict) else None
        keys = [str(k) for k in keys] if isinstance(keys, list) else []
        post = Post(
            post_id=str(row["id"]),
            created_at=parse_time(row.get("created_at"), path),
            comments_enabled=setting not in RESTRICTED_REPLIES,
            permalink=f"https://x.com/i/web/status/{row['id']}",
            text=as_text(row.get("text")),
            alt_texts=tuple(media[k] for k in keys if media.get(k)),
            has_media=bool(keys),
        )
        return post, replies if isinstance(replies, int) else None

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
        horizon = self._clock() - timedelta(days=SEARCH_DAYS)
        posts = [post for post, _ in timeline]
        counts = {post.post_id: count for post, count in timeline}
        # A reply count unchanged since a read where every reply was answered: nothing new.
        unchanged = {
            pid for pid, count in counts.items() if count and ledger.unchanged(pid, str(count))
        }
        # A post X says has no replies needs no search; an unknown count is searched.
        with_replies = [
            p
            for p, count in timeline
            if p.comments_enabled and count != 0 and p.post_id not in unchanged
        ]
        beyond = [p for p in with_replies if p.created_at < horizon]
        searchable = [p for p in with_replies if p.created_at >= horizon]
        found, whole = await self._search(searchable, budget) if searchable else ([], True)
        by_conversation: dict[str, list[dict[str, Any]]] = {}
        for row in found:
            by_conversation.setdefault(as_text(row.get("conversation_id")), []).append(row)
        unanswered = 0
        for index, post in enumerate(posts):
            rows = by_conversation.get(post.post_id)
            if not rows:
                continue
            comments = _map_replies(rows, user_id, f"conversation {post.post_id}")
            unanswered += sum(1 for c in comments if not (c.by_account or c.replied_by_account))
            own = tuple(
                as_text(r.get("text")) for r in rows if as_text(r.get("author_id")) == user_id
            )
            posts[index] = replace(post, comments=comments, own_replies=tuple(t for t in own if t))
        for post in searchable if whole else ():
            count = counts.get(post.post_id)
            if count is not None:
                replies = len(by_conversation.get(post.post_id, ()))
                ledger.read_whole(post.post_id, str(count), replies)
        if Fact.COMMENTS in unexposed:
            pass  # the timeline was already cut short
        elif not whole:
            unexposed[Fact.COMMENTS] = f"replies not all read: {budget.spent_reason}"
        elif beyond:
            unexposed[Fact.COMMENTS] = (
                f"{len(beyond)} post(s) with replies are older than the {SEARCH_DAYS} days X "
                "search reaches"
            )
        elif unanswered:
            unexposed[Fact.COMMENTS] = (
                f"{unanswered} repl{'y' if unanswered == 1 else 'ies'} not answered by "
                f"@{username}; X does not show whether a reply was hidden or liked by the account"
            )
        # A post skipped as unchanged had its own replies read earlier, not now.
        return posts, whole and not beyond and not unchanged

    async def _search(
        self, posts: list[Post], budget: CallBudget
    ) -> tuple[list[dict[str, Any]], bool]:
        """Replies in the conversations of `posts`, several per query; False when cut short."""
        queries: list[str] = []
        for post in posts:
            term = f"conversation_id:{post.post_id}"
            if queries and len(queries[-1]) + len(term) + 4 <= SEARCH_QUERY_MAX:
                queries[-1] += f" OR {term}"
            else:
                queries.append(term)
        rows: list[dict[str, Any]] = []
        for query in queries:
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


def _media_by_key(body: dict[str, Any]) -> dict[str, str]:
    """media_key -> alt text of the media X expanded in `includes` ("" when it has none)."""
    includes = body.get("includes")
    rows = includes.get("media") if isinstance(includes, dict) else None
    return {
        str(row["media_key"]): as_text(row.get("alt_text"))
        for row in (rows if isinstance(rows, list) else [])
        if isinstance(row, dict) and row.get("media_key")
    }


def _map_replies(rows: list[dict[str, Any]], user_id: str, where: str) -> tuple[Comment, ...]:
    """Replies as comments; the account's own replies mark what they answer as answered."""
    answered: set[str] = set()
    comments: dict[str, Comment] = {}
    for row in rows:
        author = as_text(row.get("author_id"))
        if author == user_id:
            refs = row.get("referenced_tweets")
            for ref in refs if isinstance(refs, list) else []:
                if isinstance(ref, dict) and ref.get("type") == "replied_to":
                    answered.add(as_text(ref.get("id")))
            continue
        comments[str(row["id"])] = Comment(
            comment_id=str(row["id"]),
            created_at=parse_time(row.get("created_at"), where),
            author=author,
            text=as_text(row.get("text")),
        )
    return tuple(
        replace(c, replied_by_account=True) if c.comment_id in answered else c
        for c in comments.values()
    )
