"""Instagram business accounts, read through the Graph API of the Facebook Page they are linked to.

`platform_id` is the Instagram user id (the Page's `instagram_business_account`).
Same Graph host, version, error codes, usage headers and throttle as Facebook:
the connector reads through the shared GraphClient. It reads with the district's
system-user token (Authorization header), which reaches the account through the
linked Page; unlike Facebook's `user_likes`, no Instagram field depends on which
token reads it, so no page token is needed. One call reads the profile, the
recent media and their comments with replies; paging only when a list is cut.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from connectors.base import AccountSnapshot, Fact, SyncMark
from connectors.budget import CallBudget, Tally
from connectors.graph import cursor_after, edge_rows
from connectors.graph_client import GraphClient
from connectors.instagram_media import (
    REPLY_FIELDS,
    account_fields,
    build_snapshot,
    comment_fields,
    media_fields,
)
from connectors.options import ReadOptions
from connectors.parsing import parse_time
from connectors.sync import SyncLedger

logger = logging.getLogger(__name__)


class InstagramConnector:
    """Reads Instagram business accounts through the shared Graph client."""

    platform = "instagram"

    def __init__(
        self,
        graph: GraphClient,
        *,
        system_token: str,
        clock: Callable[[], datetime],
        read: ReadOptions = ReadOptions(),
    ) -> None:
        self._graph = graph
        self._token = system_token
        self._clock = clock
        self._read = read

    @property
    def graph_calls(self) -> int:
        """HTTP requests sent, retries included (for the benchmark)."""
        return self._graph.calls

    async def fetch(self, platform_id: str) -> AccountSnapshot:
        """Fetch one account, reading every media item's comments."""
        return await self.fetch_since(platform_id, {})

    async def fetch_since(self, platform_id: str, known: Mapping[str, SyncMark]) -> AccountSnapshot:
        """Fetch one Instagram account by its Instagram user id, skipping unchanged media."""
        budget = CallBudget(self._read.max_calls_per_account)
        budget.take()
        fields = account_fields(self._read.max_posts, self._read.max_comments)
        user = await self._graph.get(platform_id, {"fields": fields}, self._token, platform_id)
        ledger = SyncLedger(known)
        tally = await self._complete_media(platform_id, user, budget, ledger)
        snapshot = build_snapshot(platform_id, user, self._clock())
        if not snapshot.exposes(Fact.COMMENTS):
            return snapshot
        # Own replies on a skipped media item, or past a cut-short read, were not read this time.
        text_read = snapshot.post_text_read and not ledger.omitted and not tally.stopped
        return replace(
            snapshot,
            coverage={Fact.COMMENTS: tally.coverage()},
            sync=ledger.marks(snapshot.posts),
            post_text_read=text_read,
        )

    async def _complete_media(
        self, user_id: str, user: dict[str, Any], budget: CallBudget, ledger: SyncLedger
    ) -> Tally:
        """Read every media item back to the horizon, every comment and every reply on each."""
        where = f"instagram account {user_id}"
        horizon = self._clock() - timedelta(days=self._read.comment_horizon_days)
        tally = Tally(self._read.comment_horizon_days, noun="media item", scope="published")
        media = user.get("media")
        rows = edge_rows(media, where)
        params = {
            "fields": media_fields(self._read.max_comments),
            "limit": str(self._read.max_posts),
        }
        # Media come newest first: page on while the last one read is inside the horizon.
        more, whole = await self._graph.more(
            f"{user_id}/media",
            params,
            media,
            self._token,
            budget,
            user_id,
            while_last=lambda row: _published(row, where) >= horizon,
        )
        rows.extend(more)
        if not whole:
            tally.stop(f"older media were reached: {budget.spent_reason}")
        for item in rows:
            if not isinstance(item, dict) or not item.get("id"):
                continue  # build_snapshot reports it as malformed
            if _published(item, where) < horizon:
                continue
            count = item.get("comments_count")
            count = count if isinstance(count, int) else None
            # comments_count moves with every new comment or reply: unchanged, nothing to read.
            mark = ledger.unchanged(str(item["id"]), str(count)) if count is not None else None
            if mark is not None:
                tally.add(mark.comments, count)
                edges = [item.get("comments")] + [
                    c.get("replies") for c in edge_rows(item.get("comments"), where)
                    if isinstance(c, dict)
                ]  # fmt: skip
                ledger.omitted += any(cursor_after(e) is not None for e in edges)
                continue
            was_stopped = bool(tally.stopped)
            read = await self._complete_comments(item, user_id, budget, tally)
            if count is not None and not tally.stopped and not was_stopped:
                ledger.read_whole(str(item["id"]), str(count), read)
            tally.add(read, count)
        return tally

    async def _complete_comments(
        self, item: dict[str, Any], user_id: str, budget: CallBudget, tally: Tally
    ) -> int:
        """Follow the comments cursor of one media item and each comment's replies cursor."""
        comments = item.get("comments")
        found = edge_rows(comments, f"media {item['id']}")
        limit = str(self._read.max_comments)
        if tally.stopped:
            if cursor_after(comments) is not None:
                tally.stop(budget.spent_reason)
        else:
            params = {"fields": comment_fields(self._read.max_comments), "limit": limit}
            path = f"{item['id']}/comments"
            more, whole = await self._graph.more(
                path, params, comments, self._token, budget, user_id
            )
            found.extend(more)
            if not whole:
                tally.stop(budget.spent_reason)
        read = 0
        for comment in found:
            if not isinstance(comment, dict) or not comment.get("id"):
                continue  # build_snapshot reports it as malformed
            replies = comment.get("replies")
            answers = edge_rows(replies, f"comment {comment['id']}")
            if cursor_after(replies) is not None:
                if tally.stopped:
                    tally.stop(budget.spent_reason)
                else:
                    params = {"fields": REPLY_FIELDS, "limit": limit}
                    path = f"{comment['id']}/replies"
                    more, whole = await self._graph.more(
                        path, params, replies, self._token, budget, user_id
                    )
                    answers.extend(more)
                    if not whole:
                        tally.stop(budget.spent_reason)
            read += 1 + len(answers)
        return read


def _published(row: Any, where: str) -> datetime:
    return parse_time(row.get("timestamp") if isinstance(row, dict) else None, where)
