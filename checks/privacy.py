"""The account is no more public than the audience declared in the registry."""

from __future__ import annotations

from checks.base import (
    CMSD82,
    CRPS,
    NW,
    AccountView,
    CheckOptions,
    Citation,
    Finding,
    Status,
    check,
    unexposed,
)
from connectors.base import AccountSnapshot, Fact


@check(
    id="privacy",
    title="Privacy matches the declared audience",
    clauses=(
        Citation(CMSD82, "C.3.c"),
        Citation(CMSD82, "C.4.d"),
        Citation(NW, "1.8"),
        Citation(CRPS, "3.h"),
    ),
    remediation=(
        "Set the account to private (or ask communications to change its declared audience "
        "to public)."
    ),
    severity="high",
    reads=(Fact.AUDIENCE,),
)
def privacy(account: AccountView, snapshot: AccountSnapshot, options: CheckOptions) -> Finding:
    """Lapse when the platform shows the account public but the registry declares it private."""
    who = account.account_id
    if not snapshot.exposes(Fact.AUDIENCE):
        return unexposed("privacy", account, snapshot, Fact.AUDIENCE)
    evidence: dict[str, object] = {
        "declared": account.audience,
        "observed": snapshot.audience,
        "published": snapshot.published,
    }
    # An unpublished page reaches nobody, so it cannot be more public than declared.
    if not snapshot.published:
        return Finding(
            "privacy",
            Status.PASS,
            f"{who}: the account is unpublished, visible to no one.",
            evidence,
        )
    if not snapshot.audience:
        return Finding(
            "privacy",
            Status.UNKNOWN,
            f"{who}: the platform did not report the account's audience.",
            evidence,
        )
    if snapshot.audience == "public" and account.audience == "private":
        return Finding(
            "privacy",
            Status.LAPSE,
            f"{who}: the account is public but is declared private.",
            evidence,
        )
    return Finding(
        "privacy",
        Status.PASS,
        f"{who}: the account is {snapshot.audience}, declared {account.audience}.",
        evidence,
    )
