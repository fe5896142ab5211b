"""Incremental reads: skip a post whose change marker is the same as at its last settled read.

A post is remembered only when it was read completely and every comment on it was
settled (hidden, liked, answered, held or written by the account): a post with an
unsettled comment is read again every cycle, because the account may handle that
comment without the platform's marker changing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from connectors.base import Post, SyncMark


class SyncLedger:
    """The marks known from the last cycle, and the ones this read leaves for the next."""

    def __init__(self, known: Mapping[str, SyncMark]) -> None:
        self._known = known
        self._carried: dict[str, SyncMark] = {}
        self._whole: dict[str, tuple[str, int]] = {}
        self._settled: dict[str, SyncMark] = {}
        self.skipped = 0
        # Skipped items whose comments were not all in the reply that carried the item: what
        # they say (the account's own replies included) was not read this time.
        self.omitted = 0

    def unchanged(self, item_id: str, marker: str) -> SyncMark | None:
        """The last mark when the item has not changed since (its comments need no read)."""
        mark = self._known.get(item_id)
        if mark is None or mark.marker != marker:
            return None
        self._carried[item_id] = mark
        self.skipped += 1
        return mark

    def read_whole(self, item_id: str, marker: str, comments: int) -> None:
        """The item's comments were read to the end; `marks` keeps it if they are all settled."""
        self._whole[item_id] = (marker, comments)

    def settled(self, item_id: str, marker: str, comments: int) -> None:
        """The item was read to the end and every comment on it is settled."""
        self._settled[item_id] = SyncMark(marker, comments)

    def marks(self, posts: Iterable[Post] = ()) -> dict[str, SyncMark]:
        """The marks for the next cycle: carried ones, and posts read whole with all settled."""
        out = {**self._carried, **self._settled}
        for post in posts:
            whole = self._whole.get(post.post_id)
            if whole is not None and all(c.settled for c in post.comments):
                out[post.post_id] = SyncMark(*whole)
        return out
