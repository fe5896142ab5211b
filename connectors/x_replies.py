"""How X's replies settle the comments fact: which posts to search, and what the replies found say.

The comments fact is exposed only when complete and decisive: every post with replies
is recent enough for recent search to reach all of them, and every reply by someone
else was answered by the account (X shows neither hidden replies nor the account's likes).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from connectors.base import Fact, Post
from connectors.budget import CallBudget
from connectors.parsing import as_text
from connectors.sync import SyncLedger
from connectors.x_shapes import SEARCH_DAYS, map_replies


@dataclass(frozen=True, slots=True)
class ReplyPlan:
    """The timeline's posts split by what must be done about their replies."""

    posts: list[Post]
    counts: dict[str, int | None]  # post id -> reply count (None: X did not say)
    unchanged: set[str]  # reply count unchanged since a settled read: nothing new
    beyond: list[Post]  # has replies, older than recent search reaches
    searchable: list[Post]  # has (or may have) replies, inside the search window

    @classmethod
    def of(
        cls, timeline: list[tuple[Post, int | None]], ledger: SyncLedger, horizon: datetime
    ) -> ReplyPlan:
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
        return cls(
            posts=[post for post, _ in timeline],
            counts=counts,
            unchanged=unchanged,
            beyond=[p for p in with_replies if p.created_at < horizon],
            searchable=[p for p in with_replies if p.created_at >= horizon],
        )


def settle_replies(
    plan: ReplyPlan,
    found: list[dict[str, Any]],
    whole: bool,
    user_id: str,
    username: str,
    unexposed: dict[Fact, str],
    budget: CallBudget,
    ledger: SyncLedger,
) -> tuple[list[Post], bool]:
    """The posts with the replies found, and whether every post's replies were read now."""
    posts = list(plan.posts)
    searchable, beyond, counts, unchanged = (
        plan.searchable,
        plan.beyond,
        plan.counts,
        plan.unchanged,
    )
    by_conversation: dict[str, list[dict[str, Any]]] = {}
    for row in found:
        by_conversation.setdefault(as_text(row.get("conversation_id")), []).append(row)
    unanswered = 0
    for index, post in enumerate(posts):
        rows = by_conversation.get(post.post_id)
        if not rows:
            continue
        comments = map_replies(rows, user_id, f"conversation {post.post_id}")
        unanswered += sum(1 for c in comments if not (c.by_account or c.replied_by_account))
        own = tuple(as_text(r.get("text")) for r in rows if as_text(r.get("author_id")) == user_id)
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
