"""Facebook Pages connector: one Graph call reads a quiet page, its roles included.

Each page is read with its own page token (from `/me/accounts`, fetched with the
district's system-user token), because only the page's token shows comment
authors and whether the page itself liked a comment. Tokens live in memory only
and travel in the Authorization header.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx

from connectors.base import (
    AccountSnapshot,
    Admin,
    AuthFailed,
    Comment,
    ConnectorError,
    Fact,
    NotFound,
    PermissionMissing,
    Post,
    SyncMark,
)
from connectors.budget import CallBudget, Tally
from connectors.graph import classify_graph_error, cursor_after, edge_rows
from connectors.graph_throttle import GraphThrottle
from connectors.http import RetryPolicy, request_json
from connectors.parsing import as_text, malformed, parse_time, require_dict
from connectors.sync import SyncLedger

logger = logging.getLogger(__name__)

COMMENT_FIELDS = "id,from,message,created_time,is_hidden,user_likes,parent{id}"
ROLE_FIELDS = "id,name,tasks"
# People per result page of a role edge expanded in the page call; more are followed by cursor.
ROLE_LIMIT = 100
# Graph's default comment order is chronological (oldest first): ask for the newest first,
# replies included (filter=stream), with the total count to say how much is left unread.
COMMENT_MODIFIERS = "order(reverse_chronological).filter(stream).summary(true)"


def post_fields(max_comments: int) -> str:
    """Sub-fields of one post, its comments (replies included) expanded inline, newest first."""
    comments = f"comments.limit({max_comments}).{COMMENT_MODIFIERS}{{{COMMENT_FIELDS}}}"
    media = "attachments{media_type,description,subattachments{media_type,description}}"
    return f"id,created_time,updated_time,permalink_url,message,{media},{comments}"


def total_count(edge: Any) -> int | None:
    """The edge's `summary.total_count` (comments Graph says exist), None when absent."""
    summary = edge.get("summary") if isinstance(edge, dict) else None
    count = summary.get("total_count") if isinstance(summary, dict) else None
    return count if isinstance(count, int) else None


def page_fields(max_posts: int, max_comments: int) -> str:
    """The `fields=` expansion that reads profile, images, posts and comments in one call."""
    return (
        "id,name,about,description,website,emails,link,is_published,cover{source},picture{url},"
        f"posts.limit({max_posts}){{{post_fields(max_comments)}}}"
    )


def admin_sources(page_id: str, business_id: str) -> list[tuple[str, str, dict[str, str]]]:
    """(field of the page, edge path, its query) for each list of people with a role."""
    sources = [("roles", f"{page_id}/roles", {"fields": ROLE_FIELDS})]
    if business_id:
        params = {"business": business_id, "fields": ROLE_FIELDS}
        sources.append(("assigned_users", f"{page_id}/assigned_users", params))
    return sources


def admin_fields(business_id: str) -> str:
    """The role edges as page fields: an edge's query parameters become modifiers.

    Field expansion takes an edge's parameters as `.name(value)` modifiers, so
    `assigned_users.business(ID)` is `/{page}/assigned_users?business=ID` (Graph API
    guide, developers.facebook.com/docs/graph-api/guides/field-expansion).
    """
    roles = f"roles.limit({ROLE_LIMIT}){{{ROLE_FIELDS}}}"
    if not business_id:
        return roles
    return f"{roles},assigned_users.business({business_id}).limit({ROLE_LIMIT}){{{ROLE_FIELDS}}}"


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


def map_comments(rows: list[Any], page_id: str, where: str) -> tuple[Comment, ...]:
    """Comments and others' replies; the page's own replies mark their parent answered."""
    comments: dict[str, Comment] = {}
    answered: set[str] = set()
    for row in rows:
        if not isinstance(row, dict) or not row.get("id"):
            raise malformed(where, "a comment without id")
        author = row.get("from")
        author = author if isinstance(author, dict) else {}  # absent unless a page token
        by_page = str(author.get("id", "")) == page_id
        parent = row.get("parent")
        parent_id = str(parent.get("id", "")) if isinstance(parent, dict) else ""
        if parent_id and by_page:
            answered.add(parent_id)
            continue
        comments[str(row["id"])] = Comment(
            comment_id=str(row["id"]),
            created_at=parse_time(row.get("created_time"), where),
            author=as_text(author.get("name")),
            text=as_text(row.get("message")),
            hidden=row.get("is_hidden") is True,
            liked_by_account=row.get("user_likes") is True,
            by_account=by_page,
        )
    return tuple(
        replace(c, replied_by_account=True) if c.comment_id in answered else c
        for c in comments.values()
    )


MEDIA_TYPES = frozenset({"photo", "video", "album", "animated_image_video", "animated_image_share"})


def read_attachments(value: Any, where: str) -> tuple[bool, tuple[str, ...]]:
    """(a photo or video is attached, the attachments' descriptions) of one post."""
    has_media = False
    texts: list[str] = []
    pending = list(edge_rows(value, where))
    while pending:
        row = pending.pop()
        if not isinstance(row, dict):
            continue
        has_media = has_media or str(row.get("media_type", "")).lower() in MEDIA_TYPES
        if as_text(row.get("description")):
            texts.append(as_text(row.get("description")))
        sub = row.get("subattachments")
        if sub is not None:
            pending.extend(edge_rows(sub, where))
    return has_media, tuple(texts)


def own_replies(rows: list[Any], page_id: str) -> tuple[str, ...]:
    """What the page itself wrote under a post (map_comments keeps only its effect)."""
    out = []
    for row in rows:
        author = row.get("from") if isinstance(row, dict) else None
        by_page = isinstance(author, dict) and str(author.get("id", "")) == page_id
        if by_page and as_text(row.get("message")):
            out.append(as_text(row.get("message")))
    return tuple(out)


def build_snapshot(
    page_id: str,
    page: dict[str, Any],
    admins: tuple[Admin, ...],
    unexposed: dict[Fact, str],
    fetched_at: datetime,
) -> AccountSnapshot:
    """Turn the page reply (posts already completed) into an AccountSnapshot."""
    where = f"page {page_id}"
    if not page.get("id"):
        raise malformed(where, "no id")
    posts = []
    for row in edge_rows(page.get("posts"), where):
        if not isinstance(row, dict) or not row.get("id"):
            raise malformed(where, "a post without id")
        comment_rows = edge_rows(row.get("comments"), where)
        has_media, descriptions = read_attachments(row.get("attachments"), where)
        posts.append(
            Post(
                post_id=str(row["id"]),
                created_at=parse_time(row.get("created_time"), where),
                comments_enabled=None,
                comments=map_comments(comment_rows, page_id, where),
                permalink=as_text(row.get("permalink_url")),
                text=as_text(row.get("message")),
                alt_texts=descriptions,
                has_media=has_media,
                own_replies=own_replies(comment_rows, page_id),
            )
        )
    published = page.get("is_published")
    if not isinstance(published, bool):
        unexposed[Fact.AUDIENCE] = "Facebook did not return is_published"
    unexposed[Fact.COMMENT_SETTING] = "Facebook has no readable per-page comment switch"
    emails = page.get("emails")
    cover = page.get("cover")
    picture = page.get("picture")
    picture_data = picture.get("data") if isinstance(picture, dict) else None
    return AccountSnapshot(
        platform="facebook",
        platform_id=page_id,
        fetched_at=fetched_at,
        name=as_text(page.get("name")),
        about=as_text(page.get("about")),
        description=as_text(page.get("description")),
        website=as_text(page.get("website")),
        emails=tuple(e for e in emails if isinstance(e, str)) if isinstance(emails, list) else (),
        banner_url=as_text(cover.get("source")) if isinstance(cover, dict) else "",
        picture_url=as_text(picture_data.get("url")) if isinstance(picture_data, dict) else "",
        admins=admins,
        # A published page is visible to everyone; an unpublished one only to its admins.
        audience="" if published is None else ("public" if published else "private"),
        published=published is not False,
        comment_setting="",
        posts=tuple(posts),
        last_post_at=max((p.created_at for p in posts), default=None),
        url=as_text(page.get("link")),
        unexposed=unexposed,
        post_text_read=True,
    )


class FacebookConnector:
    """Reads Facebook Pages into AccountSnapshots with the pages' own tokens."""

    platform = "facebook"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        api_version: str = "v26.0",
        system_token: str,
        business_id: str = "",
        max_posts: int = 10,
        max_comments: int = 50,
        max_calls_per_account: int = 50,
        comment_horizon_days: int = 90,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], datetime],
        throttle: GraphThrottle | None = None,
        throttle_at_percent: float = 90.0,
        max_throttle_delay: float = 60.0,
        roles_apart: RolesApart | None = None,
    ) -> None:
        self._client = client
        self._root = f"{base_url.rstrip('/')}/{api_version.strip('/')}"
        self._system_token = system_token
        self._business_id = business_id
        # Page sizes: posts and comments per Graph call.
        self._max_posts = max_posts
        self._max_comments = max_comments
        self._max_calls = max_calls_per_account
        self._horizon_days = comment_horizon_days
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        # Pass one GraphThrottle to both Graph connectors (Instagram too): app usage is shared.
        self.throttle = throttle or GraphThrottle(
            "graph",
            sleep=sleep,
            clock=lambda: clock().timestamp(),
            throttle_at_percent=throttle_at_percent,
            max_delay=max_throttle_delay,
        )
        self._tokens: dict[str, str] | None = None
        # A failed listing is not asked again by every page of the cycle (one connector a cycle).
        self._tokens_error: ConnectorError | None = None
        self._generation = 0  # bumped on every token load, so one failure reloads once
        self._tokens_lock = asyncio.Lock()
        self.graph_calls = 0  # HTTP requests sent, retries included (for the benchmark)
        self._roles_apart = roles_apart if roles_apart is not None else RolesApart()

    async def _get(
        self, path: str, params: dict[str, str], token: str, scope: str = ""
    ) -> dict[str, Any]:
        """One Graph GET about the object `scope` (a Page or Instagram account id)."""

        async def before() -> None:
            await self.throttle.wait(scope, max_wait=self._retry.retry_after_cap)
            self.graph_calls += 1

        body = await request_json(
            self._client,
            "GET",
            f"{self._root}/{path}",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            classify=classify_graph_error,
            retry=self._retry,
            sleep=self._sleep,
            on_response=self.throttle.observe,
            before_request=before,
        )
        return require_dict(body, path)

    async def load_page_tokens(self) -> dict[str, str]:
        """Read every page token the system user holds (page id -> token), following paging."""
        params = {"fields": "id,name,access_token", "limit": "100"}
        tokens: dict[str, str] = {}
        seen: set[str] = set()
        while True:
            try:
                reply = await self._get("me/accounts", params, self._system_token)
            except AuthFailed as exc:
                # IT must know it is the system user's token, not one page's, that failed.
                raise type(exc)(
                    f"system user token: {exc}", code=exc.code, subcode=exc.subcode
                ) from exc
            for row in edge_rows(reply, "me/accounts"):
                if isinstance(row, dict) and row.get("id") and row.get("access_token"):
                    tokens[str(row["id"])] = str(row["access_token"])
            # Follow only the cursor, on our own base_url: `next` may name another
            # host and carries a token in its query string.
            after = cursor_after(reply)
            if after is None or after in seen:
                break
            seen.add(after)
            params = {**params, "after": after}
        self._tokens = tokens
        self._generation += 1
        logger.info("loaded %d Facebook page tokens", len(tokens))
        return tokens

    async def _page_token(self, page_id: str) -> tuple[str, int]:
        async with self._tokens_lock:
            if self._tokens is None:
                if self._tokens_error is not None:
                    raise self._tokens_error
                try:
                    await self.load_page_tokens()
                except ConnectorError as exc:
                    self._tokens_error = exc
                    raise
            tokens, generation = self._tokens or {}, self._generation
        if page_id not in tokens:
            raise NotFound(f"page {page_id} is not managed by the district's system user")
        return tokens[page_id], generation

    async def fetch(self, platform_id: str) -> AccountSnapshot:
        """Fetch one page, reading every post's comments."""
        return await self.fetch_since(platform_id, {})

    async def fetch_since(self, platform_id: str, known: Mapping[str, SyncMark]) -> AccountSnapshot:
        """Fetch one page, skipping the comments of posts unchanged since their settled read.

        Reloads the page tokens once if Facebook rejects the page token.
        """
        token, generation = await self._page_token(platform_id)
        try:
            return await self._fetch_with(platform_id, token, known)
        except PermissionMissing:
            raise
        except AuthFailed:
            async with self._tokens_lock:
                if self._generation == generation:  # nobody reloaded meanwhile
                    logger.info("a Facebook page token was rejected; reloading page tokens")
                    await self.load_page_tokens()
            token, _ = await self._page_token(platform_id)
            return await self._fetch_with(platform_id, token, known)

    async def _fetch_with(
        self, page_id: str, token: str, known: Mapping[str, SyncMark]
    ) -> AccountSnapshot:
        budget = CallBudget(self._max_calls)
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
        fields = page_fields(self._max_posts, self._max_comments)
        if page_id not in self._roles_apart:
            expanded = f"{fields},{admin_fields(self._business_id)}"
            try:
                page = await self._get(page_id, {"fields": expanded}, token, page_id)
            except PermissionMissing:
                budget.take()  # the page itself is read whatever the budget says
            else:
                sources = admin_sources(page_id, self._business_id)
                edges = [(path, params, page.get(key)) for key, path, params in sources]
                return page, await self._people(edges, token, budget, unexposed, page_id)
        page = await self._get(page_id, {"fields": fields}, token, page_id)
        if page_id not in self._roles_apart:
            logger.info("page %s: Graph refused its roles in the page call; reading apart", page_id)
            self._roles_apart.add(page_id)
        return page, await self._admins(page_id, token, budget, unexposed)

    async def _more(
        self,
        path: str,
        params: dict[str, str],
        edge: Any,
        token: str,
        budget: CallBudget,
        scope: str,
    ) -> tuple[list[Any], bool]:
        """Rows of every further result page of `edge`; False when the budget cut it short."""
        rows: list[Any] = []
        after = cursor_after(edge)
        while after is not None:
            if not budget.take():
                return rows, False
            # Only the cursor is followed, on our own base_url: `next` may name another
            # host and carries a token in its query string.
            reply = await self._get(path, {**params, "after": after}, token, scope)
            data = edge_rows(reply, path)
            rows.extend(data)
            after = cursor_after(reply) if data else None
        return rows, True

    def _in_scope(self, post: dict[str, Any], horizon: datetime, where: str) -> bool:
        """Published or commented on (Graph's updated_time) inside the scan horizon."""
        latest = post.get("updated_time") or post.get("created_time")
        return parse_time(latest, where) >= horizon

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
        horizon = self._clock() - timedelta(days=self._horizon_days)
        tally = Tally(self._horizon_days)
        posts = page.get("posts")
        rows = edge_rows(posts, where)
        # Posts come newest first: page on while the last one read is inside the horizon.
        if rows and isinstance(rows[-1], dict) and self._in_scope(rows[-1], horizon, where):
            params = {"fields": post_fields(self._max_comments), "limit": str(self._max_posts)}
            more, whole = await self._more_posts(page_id, params, posts, token, budget, horizon)
            rows.extend(more)
            if not whole:
                tally.stop(f"older posts were reached: {budget.spent_reason}")
        for post in rows:
            if not isinstance(post, dict) or not post.get("id"):
                continue  # build_snapshot reports it as malformed
            if not self._in_scope(post, horizon, f"post {post['id']}"):
                continue
            comments = post.get("comments")
            found = edge_rows(comments, f"post {post['id']}")
            # updated_time moves when someone comments: unchanged means nothing new to read.
            marker = str(post.get("updated_time") or post.get("created_time"))
            mark = ledger.unchanged(str(post["id"]), marker)
            if mark is not None:
                tally.add(max(len(found), mark.comments), total_count(comments))
                ledger.omitted += cursor_after(comments) is not None
                continue
            if not tally.stopped:
                params = {
                    "fields": COMMENT_FIELDS,
                    "filter": "stream",
                    "order": "reverse_chronological",
                    "limit": str(self._max_comments),
                }
                path = f"{post['id']}/comments"
                more, whole = await self._more(path, params, comments, token, budget, page_id)
                found.extend(more)
                if whole:
                    ledger.read_whole(str(post["id"]), marker, len(found))
                else:
                    tally.stop(budget.spent_reason)
            elif cursor_after(comments) is not None:
                tally.stop(budget.spent_reason)
            tally.add(len(found), total_count(comments))
        return tally

    async def _more_posts(
        self,
        page_id: str,
        params: dict[str, str],
        posts: Any,
        token: str,
        budget: CallBudget,
        horizon: datetime,
    ) -> tuple[list[Any], bool]:
        """Further pages of posts until one ends outside the horizon; False when cut short."""
        rows: list[Any] = []
        after = cursor_after(posts)
        path = f"{page_id}/posts"
        while after is not None:
            if not budget.take():
                return rows, False
            reply = await self._get(path, {**params, "after": after}, token, page_id)
            data = edge_rows(reply, path)
            rows.extend(data)
            last = data[-1] if data else None
            inside = isinstance(last, dict) and self._in_scope(last, horizon, path)
            after = cursor_after(reply) if inside else None
        return rows, True

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
                edges.append((path, params, await self._get(path, params, token, page_id)))
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
        """People with the MANAGE task across the role edges, each followed to its end."""
        people: dict[str, tuple[str, set[str]]] = {}
        for path, params, edge in edges:
            more, whole = await self._more(path, params, edge, token, budget, page_id)
            if not whole:
                unexposed[Fact.ADMINS] = f"page roles read only in part: {budget.spent_reason}"
                return ()
            for row in edge_rows(edge, path) + more:
                if not isinstance(row, dict) or not row.get("id"):
                    raise malformed(path, "a person without id")
                name, tasks = people.get(str(row["id"]), (as_text(row.get("name")), set()))
                row_tasks = row.get("tasks")
                tasks |= {str(t) for t in row_tasks} if isinstance(row_tasks, list) else set()
                people[str(row["id"])] = (name, tasks)
        # "Admin" in the district policies means full control of the page, which on
        # Facebook is the MANAGE task; editors and moderators cannot add or remove people.
        return tuple(
            Admin(user_id=uid, name=name, role="admin")
            for uid, (name, tasks) in sorted(people.items())
            if "MANAGE" in tasks
        )
