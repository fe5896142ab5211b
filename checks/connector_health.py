"""The platform credentials work: not revoked, not about to expire, with every permission needed.

An operational check addressed to IT: it runs once per cycle (`monitor.health`) on
what the platform says about the credential (Facebook's debug_token) and on how the
cycle's fetches went (an authentication failure on any account). Its lapse is kept
on the pseudo-account `credential_id(platform)`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from checks.base import AccountView, CheckOptions, Citation, Finding, Status, check
from connectors.base import AccountSnapshot

logger = logging.getLogger(__name__)

PSEUDO_PREFIX = "credential-"
# A token is renewed by a person: two weeks' warning leaves time to do it.
EXPIRY_WARNING_DAYS = 14
# Facebook permissions the checks read with: pages listed, posts/comments, roles.
FACEBOOK_SCOPES = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_metadata",
)
BUSINESS_SCOPE = "business_management"  # only when a business id is configured
# Instagram comments through a business system user (and `username`, since 27 Aug 2024).
INSTAGRAM_SCOPES = ("instagram_basic", "instagram_manage_comments", "pages_read_engagement")


@dataclass(frozen=True, slots=True)
class TokenFacts:
    """What the platform reports about a credential (Facebook's debug_token)."""

    is_valid: bool
    expires_at: datetime | None = None  # None: never expires
    data_access_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    error: str = ""


@check(
    id="connector_health",
    title="Platform credential works",
    clauses=(Citation("socmon operations", "credential health"),),
    remediation=(
        "Renew or re-authorise the platform credential (with the permissions named) and update "
        "the secret socmon reads."
    ),
    severity="high",
    audience="it",
)
def connector_health(
    account: AccountView, snapshot: AccountSnapshot, options: CheckOptions
) -> Finding:
    """One account's snapshot cannot judge a credential: the cycle verdict is `credential_finding`."""
    return Finding(
        "connector_health",
        Status.UNKNOWN,
        f"{account.account_id}: credentials are checked once per cycle, not per account.",
        {"reason": "cycle-level check"},
    )


def credential_id(platform: str) -> str:
    """The pseudo-account that carries a platform credential's lapse."""
    return f"{PSEUDO_PREFIX}{platform}"


def needed_scopes(platform: str, *, business_id: str = "") -> tuple[str, ...]:
    """The permissions the checks need on this platform (Facebook's debug_token reports them)."""
    scopes = {"facebook": FACEBOOK_SCOPES, "instagram": INSTAGRAM_SCOPES}.get(platform)
    if scopes is None:
        return ()
    return scopes + ((BUSINESS_SCOPE,) if business_id else ())


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _token_problems(
    token: TokenFacts, needed: Sequence[str], now: datetime, warn_days: int
) -> list[str]:
    problems: list[str] = []
    if not token.is_valid:
        problems.append(f"is invalid or revoked ({token.error or 'the platform says so'})")
    horizon = now + timedelta(days=warn_days)
    deadlines = (
        ("expires", "expired", token.expires_at),
        ("loses data access", "lost data access", token.data_access_expires_at),
    )
    for future, past, moment in deadlines:
        if moment is None:
            continue
        if moment <= now:
            problems.append(f"{past} on {_day(moment)}")
        elif moment <= horizon:
            problems.append(f"{future} on {_day(moment)}, in {(moment - now).days} days")
    missing = [scope for scope in needed if scope not in token.scopes]
    if token.is_valid and missing:
        problems.append(f"lacks the permission {', '.join(missing)}")
    return problems


def credential_finding(
    platform: str,
    now: datetime,
    *,
    label: str = "",
    token: TokenFacts | None = None,
    token_error: str = "",
    auth_failures: Sequence[str] = (),
    capped: Sequence[str] = (),
    without_grant: Sequence[str] = (),
    accounts_read: int = 0,
    needed: Sequence[str] = (),
    warn_days: int = EXPIRY_WARNING_DAYS,
) -> Finding:
    """The verdict on one platform's credential from its token facts and this cycle's fetches.

    `label` is the platform's name for people (its declaration's, in monitor.platforms).
    """
    who = credential_id(platform)
    label = label or platform
    evidence: dict[str, object] = {
        "platform": platform,
        "auth_failures": len(auth_failures),
        "accounts_read": accounts_read,
    }
    problems: list[str] = []
    if token is not None:
        evidence.update(
            is_valid=token.is_valid,
            expires_at=token.expires_at.isoformat() if token.expires_at else None,
            data_access_expires_at=(
                token.data_access_expires_at.isoformat() if token.data_access_expires_at else None
            ),
            missing_scopes=[s for s in needed if s not in token.scopes],
        )
        problems += _token_problems(token, needed, now, warn_days)
    if auth_failures:
        noun = "account was" if len(auth_failures) == 1 else "accounts were"
        problems.append(
            f"was refused for {len(auth_failures)} {noun} in this cycle ({auth_failures[0]})"
        )
    if capped:
        # Not a passing throttle: nothing is read until the cap resets or the plan changes.
        evidence["capped"] = len(capped)
        noun = "account" if len(capped) == 1 else "accounts"
        problems.append(f"hit its usage cap: {len(capped)} {noun} unread ({capped[0]})")
    if without_grant:
        # Held-for-review comments and the channel's likes answer only to its own grant.
        evidence["without_grant"] = list(without_grant)
        names = ", ".join(without_grant[:5]) + (" ..." if len(without_grant) > 5 else "")
        noun = "channel" if len(without_grant) == 1 else "channels"
        problems.append(
            f"lacks the channel's own grant for {len(without_grant)} {noun} ({names}): "
            "run 'socmon connect youtube ACCOUNT' for each"
        )
    if problems:
        return Finding(
            "connector_health",
            Status.LAPSE,
            f"{who}: the {label} credential {'; '.join(problems)}.",
            evidence,
        )
    if token is not None:
        until = f"until {_day(token.expires_at)}" if token.expires_at else "with no expiry date"
        return Finding(
            "connector_health",
            Status.PASS,
            f"{who}: the {label} credential is valid {until} and has every permission needed.",
            evidence,
        )
    if accounts_read:
        return Finding(
            "connector_health",
            Status.PASS,
            f"{who}: the {label} credential worked for {accounts_read} accounts in this cycle.",
            evidence,
        )
    reason = token_error or "no account was read with it in this cycle"
    evidence["error"] = reason
    return Finding(
        "connector_health",
        Status.UNKNOWN,
        f"{who}: the {label} credential could not be checked ({reason}).",
        evidence,
    )
