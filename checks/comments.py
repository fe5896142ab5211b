"""Comments on an account with comments enabled are handled or reviewed within the window."""

from __future__ import annotations

from datetime import datetime, timedelta

from checks.base import (
    CMSD82,
    NW,
    PARK_WEST,
    AccountView,
    CheckOptions,
    Citation,
    Finding,
    Status,
    check,
    unexposed,
)
from connectors.base import AccountSnapshot, Comment, Fact

_MAX_EXAMPLES = 5


def _handled(comment: Comment) -> bool:
    """True when the account itself dealt with the comment (or the platform holds it)."""
    return (
        comment.hidden
        or comment.liked_by_account
        or comment.replied_by_account
        or comment.by_account
        or comment.held_for_review
    )


def _covered_by_review(
    comment: Comment, reviewed_at: datetime | None, due_before: datetime
) -> bool:
    """True when a recent review (inside the window) happened after the comment was made."""
    return (
        reviewed_at is not None and reviewed_at >= due_before and reviewed_at > comment.created_at
    )


@check(
    id="comments",
    title="Comments are monitored daily",
    clauses=(
        Citation(CMSD82, "C.4.c"),
        Citation(NW, "1.10.2"),
        Citation(PARK_WEST, "Guidelines: monitor comments"),
    ),
    remediation=(
        "Hide, answer or like each comment older than a day, or mark the comments reviewed "
        "in socmon; or turn comments off."
    ),
    severity="high",
    reads=(Fact.COMMENTS,),
    # Only what each platform lets the account do: Instagram has no like by the account,
    # and X shows socmon neither hidden nor liked replies, only answers.
    platform_remediation={
        "instagram": (
            "Hide or answer each comment older than a day, or mark the comments reviewed in "
            "socmon; or turn comments off on the post."
        ),
        "x": (
            "Answer each reply older than a day, or mark the replies reviewed in socmon; or "
            "limit who can reply to the post."
        ),
    },
)
def comments(account: AccountView, snapshot: AccountSnapshot, options: CheckOptions) -> Finding:
    """Lapse when an enabled account has a comment older than the window nobody handled."""
    who = account.account_id
    window = options.review_window_hours
    # Comments switched off account-wide (or on every post) need no monitoring: pass even when
    # the comments themselves cannot be read.
    if snapshot.comment_setting == "off" or (
        snapshot.posts and all(post.comments_enabled is False for post in snapshot.posts)
    ):
        return Finding(
            "comments",
            Status.PASS,
            f"{who}: comments are turned off.",
            {"comment_setting": snapshot.comment_setting, "posts": len(snapshot.posts)},
        )
    if not snapshot.exposes(Fact.COMMENTS):
        return unexposed("comments", account, snapshot, Fact.COMMENTS)

    due_before = snapshot.fetched_at - timedelta(hours=window)
    reviewed_at = account.last_reviewed_at
    overdue: list[Comment] = []
    pending = 0  # unhandled but still inside the window: not yet due
    total = 0
    # A post whose comments are switched off takes no new comments; only open posts count.
    for post in snapshot.posts:
        if post.comments_enabled is False:
            continue
        for comment in post.comments:
            total += 1
            if _handled(comment) or _covered_by_review(comment, reviewed_at, due_before):
                continue
            if comment.created_at < due_before:
                overdue.append(comment)
            else:
                pending += 1

    evidence: dict[str, object] = {
        "window_hours": window,
        "comments_seen": total,
        "overdue": len(overdue),
        "not_yet_due": pending,
        "last_reviewed_at": reviewed_at.isoformat() if reviewed_at else None,
    }
    if not overdue:
        return Finding(
            "comments",
            Status.PASS,
            f"{who}: no comment older than {window} h is left unhandled or unreviewed.",
            evidence,
        )
    overdue.sort(key=lambda c: c.created_at)
    oldest_hours = (snapshot.fetched_at - overdue[0].created_at).total_seconds() / 3600
    evidence["comment_ids"] = [c.comment_id for c in overdue[:_MAX_EXAMPLES]]
    evidence["oldest_age_hours"] = round(oldest_hours, 1)
    noun = "comment" if len(overdue) == 1 else "comments"
    return Finding(
        "comments",
        Status.LAPSE,
        f"{who}: {len(overdue)} {noun} older than {window} h not hidden, answered, liked "
        f"or marked reviewed (oldest {oldest_hours:.0f} h).",
        evidence,
    )
