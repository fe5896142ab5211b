"""The account has posted within the configured period."""

from __future__ import annotations

from checks.base import LPSD, AccountView, CheckOptions, Citation, Finding, Status, check, unexposed
from connectors.base import AccountSnapshot, Fact


@check(
    id="freshness",
    title="Updated regularly",
    clauses=(Citation(LPSD, "1.7"),),
    remediation="Post an update, or ask communications to retire the account if it is unused.",
    severity="low",
    reads=(Fact.POSTS,),
)
def freshness(account: AccountView, snapshot: AccountSnapshot, options: CheckOptions) -> Finding:
    """Lapse when the newest post is older than `options.freshness_days`, or there is none."""
    who = account.account_id
    if not snapshot.exposes(Fact.POSTS):
        return unexposed("freshness", account, snapshot, Fact.POSTS)
    times = [post.created_at for post in snapshot.posts]
    if snapshot.last_post_at is not None:
        times.append(snapshot.last_post_at)
    limit = options.freshness_days
    if not times:
        return Finding(
            "freshness",
            Status.LAPSE,
            f"{who}: the account has no posts.",
            {"last_post_at": None, "freshness_days": limit},
        )
    newest = max(times)
    age_days = (snapshot.fetched_at - newest).total_seconds() / 86400
    evidence: dict[str, object] = {
        "last_post_at": newest.isoformat(),
        "age_days": round(age_days, 1),
        "freshness_days": limit,
    }
    if age_days > limit:
        return Finding(
            "freshness",
            Status.LAPSE,
            f"{who}: the last post is {age_days:.0f} days old, over the {limit}-day limit.",
            evidence,
        )
    return Finding(
        "freshness",
        Status.PASS,
        f"{who}: the last post is {age_days:.0f} days old, within {limit} days.",
        evidence,
    )
