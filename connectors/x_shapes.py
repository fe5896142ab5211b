"""What the X connector asks X for, and how X's replies become posts and comments.

Fields per docs.x.com/x-api (user and post fields, `attachments.media_keys` expanded
into `includes.media`); a reply's `referenced_tweets` names what it answers.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from connectors.base import AccountSnapshot, Comment, Coverage, Fact, Post
from connectors.parsing import as_text, malformed, parse_time
from connectors.sync import SyncLedger

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


def timeline_post(row: Any, path: str, media: dict[str, str]) -> tuple[Post, int | None]:
    """One timeline post and its reply count (None when X did not say)."""
    if not isinstance(row, dict) or not row.get("id"):
        raise malformed(path, "a post without id")
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


def search_queries(posts: list[Post]) -> list[str]:
    """`conversation_id:` terms joined with OR, as many per query as its length allows."""
    queries: list[str] = []
    for post in posts:
        term = f"conversation_id:{post.post_id}"
        if queries and len(queries[-1]) + len(term) + 4 <= SEARCH_QUERY_MAX:
            queries[-1] += f" OR {term}"
        else:
            queries.append(term)
    return queries


def media_by_key(body: dict[str, Any]) -> dict[str, str]:
    """media_key -> alt text of the media X expanded in `includes` ("" when it has none)."""
    includes = body.get("includes")
    rows = includes.get("media") if isinstance(includes, dict) else None
    return {
        str(row["media_key"]): as_text(row.get("alt_text"))
        for row in (rows if isinstance(rows, list) else [])
        if isinstance(row, dict) and row.get("media_key")
    }


def map_replies(rows: list[dict[str, Any]], user_id: str, where: str) -> tuple[Comment, ...]:
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


def build_snapshot(
    platform_id: str,
    user: dict[str, Any],
    username: str,
    posts: list[Post],
    unexposed: dict[Fact, str],
    fetched_at: datetime,
    ledger: SyncLedger,
    own_replies_read: bool,
) -> AccountSnapshot:
    """The account's snapshot from the user, its posts (replies attached) and what was not read."""
    protected = user.get("protected")
    last_seen = snowflake_time(as_text(user.get("most_recent_tweet_id")))
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
        url=f"https://x.com/{username}",
        unexposed=unexposed,
        coverage=coverage,
        sync=ledger.marks(posts),
        # Post texts and media are in the timeline; the account's own replies only where
        # recent search reaches.
        post_text_read=own_replies_read,
    )
