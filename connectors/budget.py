"""The per-account call budget of one fetch, and the coverage words it leads to.

A busy account costs what it must, up to `max_calls_per_account` requests per
cycle; when the budget runs out the read stops and the snapshot says so, so a
check answers unknown instead of passing on what was never read.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.base import Coverage


class CallBudget:
    """How many more requests one account's fetch may send this cycle."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a call budget must allow at least one call")
        self.limit = limit
        self.used = 0

    def take(self) -> bool:
        """Spend one call; False (nothing spent) when the budget is used up."""
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    @property
    def spent_reason(self) -> str:
        return f"the per-account budget of {self.limit} calls ran out"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass
class Tally:
    """What a comment read covered so far: posts in scope, comments read, comments known to exist."""

    horizon_days: int
    noun: str = "post"  # "post", "media item", "video"
    # Which items the horizon takes in, in words.
    scope: str = "published or commented on"
    posts: int = 0
    comments: int = 0
    expected: int = 0
    stopped: str = ""  # why the read stopped early; "" while it is complete

    def add(self, read: int, platform_count: int | None) -> None:
        """One item in scope: `read` comments and replies read, the platform counting `platform_count`."""
        self.posts += 1
        self.comments += read
        self.expected += max(read, platform_count or 0)

    def stop(self, why: str) -> None:
        """The read stops here (first reason wins)."""
        self.stopped = self.stopped or why

    def coverage(self) -> Coverage:
        """The COMMENTS coverage of the snapshot."""
        scope = (
            f"{_plural(self.posts, self.noun)} {self.scope} in the last {self.horizon_days} days"
        )
        if not self.stopped:
            return Coverage(
                complete=True,
                covered=f"all {self.comments} comments and replies on {scope}",
                read=self.comments,
                at_least=self.expected,
            )
        read = (
            f"read {self.comments} of at least {self.expected} comments and replies"
            if self.expected > self.comments
            else f"read {self.comments} comments and replies, with more left,"
        )
        return Coverage(
            complete=False,
            covered=f"{self.comments} comments and replies on {scope}",
            missing=f"{read} before {self.stopped}",
            read=self.comments,
            at_least=self.expected,
        )
