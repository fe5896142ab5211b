"""Store and load per-post sync marks: what the next cycle may skip re-reading."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from connectors.base import SyncMark
from monitor.store.models import PostSync

# A post skipped this long is read in full again: a like or a hide undone moves no marker.
FULL_READ_EVERY = timedelta(days=1)


def load_marks(
    session: Session, account_ids: Sequence[str], now: datetime
) -> dict[str, dict[str, SyncMark]]:
    """Account id -> post id -> its mark from a complete read less than a day old."""
    out: dict[str, dict[str, SyncMark]] = {}
    # Plain columns, not ORM objects: the session would hold every account's rows at once.
    query = select(
        PostSync.account_id, PostSync.post_id, PostSync.marker, PostSync.comments, PostSync.read_at
    ).where(PostSync.account_id.in_(account_ids), PostSync.read_at > now - FULL_READ_EVERY)
    for account_id, post_id, marker, comments, read_at in session.execute(query):
        out.setdefault(account_id, {})[post_id] = SyncMark(marker, comments, read_at)
    return out


def save_marks(session: Session, marks: Mapping[str, Mapping[str, SyncMark]], at: datetime) -> None:
    """Replace the marks of these accounts with this read's (posts gone from it drop out)."""
    if not marks:
        return
    session.execute(delete(PostSync).where(PostSync.account_id.in_(list(marks))))
    rows = [
        {
            "account_id": account_id,
            "post_id": post_id[:200],
            "marker": mark.marker[:200],
            "comments": mark.comments,
            "read_at": mark.read_at or at,
        }
        for account_id, posts in marks.items()
        for post_id, mark in posts.items()
    ]
    if rows:
        session.execute(insert(PostSync), rows)
