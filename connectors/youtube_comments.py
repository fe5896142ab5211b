"""YouTube comment threads: read back to the horizon, every reply listed, mapped to posts.

A thread "doesn't necessarily contain all replies" (YouTube's implementation guide):
when `totalReplyCount` exceeds the replies carried, `comments.list?parentId=` lists
them all. Threads and replies are read with the channel's own grant.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Comment, Post, Unavailable
from connectors.budget import CallBudget, Tally
from connectors.parsing import as_dict, as_text, parse_time
from connectors.sync import SyncLedger

logger = logging.getLogger(__name__)

# Comments on a video that is not among the latest uploads get this as the video's time
# when no upload is known: freshness must never read a comment's time as a post's.
UNKNOWN_VIDEO_TIME = datetime(1970, 1, 1, tzinfo=UTC)


def _comment(row: Any, channel_id: str, held: bool, replied: bool = False) -> Comment:
    """One comment resource (top-level or reply) as a Comment."""
    row = as_dict(row)
    snippet = as_dict(row.get("snippet"))
    if not row.get("id"):
        raise Unavailable("malformed reply from commentThreads: a comment without id")
    author_id = as_text(as_dict(snippet.get("authorChannelId")).get("value"))
    return Comment(
        comment_id=str(row["id"]),
        created_at=parse_time(snippet.get("publishedAt"), "commentThreads"),
        author=as_text(snippet.get("authorDisplayName")),
        text=as_text(snippet.get("textOriginal")) or as_text(snippet.get("textDisplay")),
        # viewerRating is the OAuth user's own rating: with the owner's token, liked by the channel.
        liked_by_account=snippet.get("viewerRating") == "like",
        replied_by_account=replied,
        held_for_review=held,
        by_account=author_id == channel_id,
    )


def map_threads(threads: list[dict[str, Any]], channel_id: str, uploads: list[Post]) -> list[Post]:
    """The uploads with their comments; threads on other videos become posts of their own."""
    by_video: dict[str, list[Comment]] = {}
    own: dict[str, list[str]] = {}  # the channel's own replies, kept for what they say
    for thread in threads:
        snippet = as_dict(thread.get("snippet"))
        held = thread.get("_held") is True
        replies = as_dict(thread.get("replies")).get("comments")
        replies = replies if isinstance(replies, list) else []
        others = [_comment(r, channel_id, held) for r in replies]
        answered = any(c.by_account for c in others)
        top = _comment(snippet.get("topLevelComment"), channel_id, held, answered)
        video = as_text(snippet.get("videoId")) or "channel"
        by_video.setdefault(video, []).extend([top, *(c for c in others if not c.by_account)])
        own.setdefault(video, []).extend(c.text for c in others if c.by_account and c.text)
    # A video missing from the latest uploads is older than all of them.
    older = min((p.created_at for p in uploads), default=UNKNOWN_VIDEO_TIME)
    posts = [
        replace(
            p,
            comments=tuple(by_video.pop(p.post_id, ())),
            own_replies=tuple(own.pop(p.post_id, ())),
        )
        for p in uploads
    ]
    for video, comments in by_video.items():
        link = f"https://www.youtube.com/watch?v={video}" if video != "channel" else ""
        replies = tuple(own.get(video, ()))
        posts.append(Post(video, older, None, tuple(comments), link, own_replies=replies))
    return posts


class ThreadReader:
    """The comment-thread half of the YouTube connector."""

    _clock: Callable[[], datetime]
    _horizon_days: int
    _max_comments: int

    @abstractmethod
    async def _list(self, resource: str, params: dict[str, str], grant: str | None = None) -> Any:
        """One `list` call."""

    async def _threads(
        self,
        channel_id: str,
        status: str,
        grant: str,
        budget: CallBudget,
        tally: Tally,
        ledger: SyncLedger,
    ) -> list[dict[str, Any]]:
        """Comment threads of one moderation status active inside the horizon, every reply read."""
        params = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": channel_id,
            "moderationStatus": status,
            "order": "time",
            "maxResults": str(self._max_comments),
        }
        horizon = self._clock() - timedelta(days=self._horizon_days)
        rows: list[dict[str, Any]] = []
        while not tally.stopped:
            if not budget.take():
                tally.stop(budget.spent_reason)
                break
            body = await self._list("commentThreads", params, grant)
            items = body.get("items", [])
            if not isinstance(items, list):
                raise Unavailable("malformed reply from commentThreads: items is not a list")
            inside = [as_dict(i) for i in items if _active_since(as_dict(i)) >= horizon]
            held = status == "heldForReview"
            for thread in inside:
                rows.append({**thread, "_held": held})
                total = as_dict(thread.get("snippet")).get("totalReplyCount")
                marker = f"{_active_since(thread).isoformat()}|{total}"
                thread_id = str(thread.get("id", ""))
                # Neither the comment nor its reply count moved: its replies need no listing.
                mark = ledger.unchanged(thread_id, marker)
                if mark is not None:
                    tally.add(mark.comments, mark.comments)
                    carried = as_dict(thread.get("replies")).get("comments")
                    carried_count = len(carried) if isinstance(carried, list) else 0
                    ledger.omitted += isinstance(total, int) and total > carried_count
                    continue
                stopped_before = bool(tally.stopped)
                read = await self._complete_replies(thread, grant, budget, tally)
                rows[-1] = {**thread, "_held": held}
                if not (stopped_before or tally.stopped) and _settled(rows[-1], channel_id):
                    ledger.settled(thread_id, marker, read)
            token = body.get("nextPageToken")
            # Threads come newest first: one that ends outside the horizon ends the read.
            if not isinstance(token, str) or not token or len(inside) < len(items):
                break
            params = {**params, "pageToken": token}
        return rows

    async def _complete_replies(
        self, thread: dict[str, Any], grant: str, budget: CallBudget, tally: Tally
    ) -> int:
        """A thread "doesn't necessarily contain all replies": list them by parentId when short."""
        snippet = as_dict(thread.get("snippet"))
        total = snippet.get("totalReplyCount")
        total = total if isinstance(total, int) else 0
        replies = as_dict(thread.get("replies")).get("comments")
        carried = replies if isinstance(replies, list) else []
        if total > len(carried) and not tally.stopped:
            params = {"part": "snippet", "parentId": str(thread.get("id", "")), "maxResults": "100"}
            found: list[Any] = []
            while True:
                if not budget.take():
                    tally.stop(budget.spent_reason)
                    # Keep what both reads gave, once each.
                    merged = {str(as_dict(r).get("id")): r for r in [*carried, *found]}
                    carried = list(merged.values())
                    break
                body = await self._list("comments", params, grant)
                items = body.get("items", [])
                if not isinstance(items, list):
                    raise Unavailable("malformed reply from comments: items is not a list")
                found.extend(items)
                token = body.get("nextPageToken")
                if not isinstance(token, str) or not token or not items:
                    carried = found
                    break
                params = {**params, "pageToken": token}
            thread["replies"] = {"comments": carried}
        elif total > len(carried):
            tally.stop(budget.spent_reason)
        tally.add(1 + len(carried), 1 + total)
        return 1 + len(carried)


def _settled(thread: dict[str, Any], channel_id: str) -> bool:
    """Every comment of the thread is settled (held, liked, answered or the channel's own)."""
    (post,) = map_threads([thread], channel_id, [])
    return all(c.settled for c in post.comments)


def _active_since(thread: dict[str, Any]) -> datetime:
    """The latest time on a thread's top-level comment (published or updated)."""
    top = as_dict(as_dict(as_dict(thread.get("snippet")).get("topLevelComment")).get("snippet"))
    times = [top.get("updatedAt"), top.get("publishedAt")]
    found = [parse_time(t, "commentThreads") for t in times if isinstance(t, str)]
    return max(found, default=UNKNOWN_VIDEO_TIME)
