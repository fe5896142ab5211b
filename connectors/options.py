"""What the entry point tells a connector, as one frozen object instead of a long parameter list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How much of one account a cycle reads: the same knobs on every platform."""

    # Page sizes: posts and comments per request.
    max_posts: int = 10
    max_comments: int = 50
    # A busy account costs what it must, up to this many requests per cycle.
    max_calls_per_account: int = 50
    # Posts published or commented on within this many days are read completely.
    comment_horizon_days: int = 90
