"""What each platform lets socmon check, in one table: from the API, attested by a person, or not at all.

`checks_for(platform)` turns the table into the checks run on one account: API
checks run as declared; attested checks read the latest attestation instead of
the snapshot; impossible ones answer `unknown` with the table's reason, never pass.
`registered` and `connector_health` compare lists and credentials once per cycle
(monitor.health), so they are in the table but never run per account.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from functools import partial

from checks import ALL_CHECKS, get
from checks.base import AccountView, CheckOptions, CheckSpec, Finding, Status
from connectors.base import AccountSnapshot

logger = logging.getLogger(__name__)


class Mode(StrEnum):
    API = "api"
    ATTESTED = "attested"
    IMPOSSIBLE = "impossible"


@dataclass(frozen=True, slots=True)
class Capability:
    """How one check is answered on one platform, and why."""

    mode: Mode
    note: str


def _api(note: str) -> Capability:
    return Capability(Mode.API, note)


def _attested(note: str) -> Capability:
    return Capability(Mode.ATTESTED, note)


def _impossible(note: str) -> Capability:
    return Capability(Mode.IMPOSSIBLE, note)


CYCLE_CHECKS = frozenset({"registered", "connector_health"})
_GROUPS_GONE = "the Facebook Groups API was removed on 2024-04-22"
_ADMINS = "{} does not list account admins: a manager confirms who they are"
_NOT_OWNED = "{} has no business ownership list that socmon can read"

CAPABILITIES: Mapping[str, Mapping[str, Capability]] = {
    "facebook": {
        "comments": _api("page posts and comments, read with the page token"),
        "privacy": _api("is_published"),
        "principal_admin": _api("/roles and /assigned_users (MANAGE task)"),
        "two_admins": _api("/roles and /assigned_users (MANAGE task)"),
        "work_email": _api("the page's emails field and the registry's managers"),
        "identifies_school": _api("name, about, description and website"),
        "signature": _api("profile text; logo in cover and picture"),
        "freshness": _api("recent posts"),
        "registered": _api("the business's owned_pages (when business_id is set)"),
        "connector_health": _api("debug_token, and authentication failures in the cycle"),
        "student_privacy": _api(
            "post messages, attachments (media, alt text) and the page's replies"
        ),
    },
    "facebook_group": {
        "comments": _attested(f"{_GROUPS_GONE}: a manager confirms comments are reviewed"),
        "privacy": _attested(f"{_GROUPS_GONE}: a manager confirms the group's privacy"),
        "principal_admin": _attested(f"{_GROUPS_GONE}: a manager confirms the principal is admin"),
        "two_admins": _attested(f"{_GROUPS_GONE}: a manager confirms two staff admins"),
        "work_email": _impossible(
            "a group has no contact email; manager emails are checked when the registry loads"
        ),
        "identifies_school": _attested(f"{_GROUPS_GONE}: a manager confirms name and link"),
        "signature": _attested(f"{_GROUPS_GONE}: a manager confirms the signature or logo"),
        "freshness": _attested(f"{_GROUPS_GONE}: a manager confirms the group is in use"),
        "registered": _impossible(f"{_GROUPS_GONE}; groups are not owned by a business"),
        "connector_health": _impossible("there is no Groups credential to check"),
        "student_privacy": _impossible(f"{_GROUPS_GONE}: group posts cannot be read"),
    },
    "instagram": {
        "comments": _api("media comments_enabled and comments with hidden state and replies"),
        "privacy": _api("the API sees only public professional accounts"),
        "principal_admin": _attested(_ADMINS.format("Instagram")),
        "two_admins": _attested(_ADMINS.format("Instagram")),
        "work_email": _api("manager emails; Instagram exposes no contact email"),
        "identifies_school": _api("name, biography and website"),
        "signature": _api("biography text; logo in the profile picture (no banner)"),
        "freshness": _api("recent media"),
        "registered": _impossible("socmon lists only the Facebook Pages a business owns"),
        "connector_health": _api("authentication failures in the cycle (Graph token)"),
        "student_privacy": _api("captions, media type and the account's replies"),
    },
    "x": {
        "comments": _api("replies by recent search, 7 days back; hidden state unreadable"),
        "privacy": _api("protected"),
        "principal_admin": _attested(_ADMINS.format("X")),
        "two_admins": _attested(_ADMINS.format("X")),
        "work_email": _api("manager emails; X exposes no contact email"),
        "identifies_school": _api("name, description and url"),
        "signature": _api("description text; logo in banner and profile image"),
        "freshness": _api("most recent post"),
        "registered": _impossible(_NOT_OWNED.format("X")),
        "connector_health": _api("bearer token refused in the cycle"),
        "student_privacy": _api("post text, attachments and alt text, the account's replies"),
    },
    "youtube": {
        "comments": _api("comment threads with moderationStatus (owner OAuth)"),
        "privacy": _api("channel and video privacyStatus"),
        "principal_admin": _attested(_ADMINS.format("YouTube")),
        "two_admins": _attested(_ADMINS.format("YouTube")),
        "work_email": _api("manager emails; YouTube exposes no contact email"),
        "identifies_school": _api("title, description and links"),
        "signature": _api("description text; logo in banner and thumbnail"),
        "freshness": _api("recent uploads"),
        "registered": _impossible(_NOT_OWNED.format("YouTube")),
        "connector_health": _api("API key and refresh token refused in the cycle"),
        "student_privacy": _api("video titles and descriptions, the channel's replies"),
    },
}


# Platforms are declared in monitor.platforms (above checks, so not importable here); this
# table is their capability rows keyed by id, and tests/monitor/test_platforms.py keeps the
# two in step.
PLATFORMS: tuple[str, ...] = tuple(CAPABILITIES)


def capability(platform: str, check_id: str) -> Capability:
    """How `check_id` is answered on `platform`; KeyError for an unknown platform or check."""
    get(check_id)  # the same KeyError, naming the known checks, for a misspelt id
    try:
        return CAPABILITIES[platform][check_id]
    except KeyError:
        raise KeyError(f"unknown platform {platform!r} (known: {', '.join(PLATFORMS)})") from None


def attestation_finding(
    check_id: str,
    account: AccountView,
    snapshot: AccountSnapshot,
    options: CheckOptions,
    *,
    by: str = "",
    note: str = "",
) -> Finding:
    """Pass while the latest attestation is at most `attest_every_days` old, else a lapse."""
    who = account.account_id
    every = options.attest_every_days
    at = account.attestations.get(check_id)
    evidence: dict[str, object] = {"mode": "attested", "attest_every_days": every, "how": note}
    how_to = f"a manager confirms it with 'socmon attest {who} {check_id} --by EMAIL'"
    if at is None:
        return Finding(
            check_id,
            Status.LAPSE,
            f"{who}: attestation overdue: nobody has attested {check_id} yet; {how_to}.",
            evidence,
        )
    evidence.update(attested_at=at.isoformat(), attested_by=by)
    if snapshot.fetched_at - at > timedelta(days=every):
        return Finding(
            check_id,
            Status.LAPSE,
            f"{who}: attestation overdue: {check_id} was last attested on {at:%Y-%m-%d}, "
            f"more than {every} days ago; {how_to}.",
            evidence,
        )
    by_whom = f" by {by}" if by else ""
    return Finding(check_id, Status.PASS, f"{who}: attested{by_whom} on {at:%Y-%m-%d}.", evidence)


def impossible_finding(
    check_id: str,
    reason: str,
    account: AccountView,
    snapshot: AccountSnapshot,
    options: CheckOptions,
) -> Finding:
    """The `unknown` answer for a fact the platform cannot give."""
    return Finding(
        check_id,
        Status.UNKNOWN,
        f"{account.account_id}: {check_id} cannot be checked on this platform ({reason}).",
        {"mode": "impossible", "reason": reason},
    )


def _spec_for(spec: CheckSpec, cap: Capability, attested_by: Mapping[str, str]) -> CheckSpec:
    if cap.mode is Mode.API:
        return spec
    if cap.mode is Mode.ATTESTED:
        by = attested_by.get(spec.id, "")
        return replace(
            spec, fn=partial(attestation_finding, spec.id, by=by, note=cap.note), reads=()
        )
    return replace(spec, fn=partial(impossible_finding, spec.id, cap.note), reads=())


_PLAIN: dict[str, tuple[CheckSpec, ...]] = {}


def checks_for(
    platform: str, attested_by: Mapping[str, str] | None = None
) -> tuple[CheckSpec, ...]:
    """The per-account checks of `platform`; `attested_by` names who made each latest attestation."""
    if platform not in CAPABILITIES:
        raise KeyError(f"unknown platform {platform!r} (known: {', '.join(PLATFORMS)})")
    if not attested_by and platform in _PLAIN:
        return _PLAIN[platform]
    table = CAPABILITIES[platform]
    specs = tuple(
        _spec_for(spec, table[spec.id], attested_by or {})
        for spec in ALL_CHECKS
        if spec.id not in CYCLE_CHECKS
    )
    if not attested_by:
        _PLAIN[platform] = specs
    return specs


MODE_LABELS = {Mode.API: "api", Mode.ATTESTED: "attested", Mode.IMPOSSIBLE: "not possible"}


def format_table(*, notes: bool = False) -> str:
    """The table as text: one row per check, one column per platform (and the reasons)."""
    width = max(len(spec.id) for spec in ALL_CHECKS) + 2
    col = max(len(p) for p in PLATFORMS) + 2
    lines = ["check".ljust(width) + "".join(p.ljust(col) for p in PLATFORMS).rstrip()]
    for spec in ALL_CHECKS:
        cells = (MODE_LABELS[CAPABILITIES[p][spec.id].mode] for p in PLATFORMS)
        lines.append(spec.id.ljust(width) + "".join(c.ljust(col) for c in cells).rstrip())
    if notes:
        lines.append("")
        for platform in PLATFORMS:
            for spec in ALL_CHECKS:
                cap = CAPABILITIES[platform][spec.id]
                lines.append(f"{platform} {spec.id}: {MODE_LABELS[cap.mode]}, {cap.note}")
    return "\n".join(lines) + "\n"
