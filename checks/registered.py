"""Every page the district's business owns is in the directory, and every registered page is owned.

Unlike the other checks this one compares two lists, the directory and the
business's owned Pages, so it runs once per cycle (`monitor.health`), not on one
account's snapshot: `ownership_findings` is the verdict. An owned page missing
from the directory has no account of its own, so its lapse is kept on a
pseudo-account named by `unregistered_id`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping

from checks.base import LPSD, AccountView, CheckOptions, Citation, Finding, Status, check
from connectors.base import AccountSnapshot, Fact

logger = logging.getLogger(__name__)

PSEUDO_PREFIX = "unregistered-"
_UNSAFE = re.compile(r"[^a-z0-9-]+")


@check(
    id="registered",
    title="In the district directory",
    clauses=(Citation(LPSD, "1.2"), Citation(LPSD, "3.2")),
    remediation=(
        "Add the page to the accounts registry (with its managers and approval), or remove it "
        "from the district's business if it is not an official account."
    ),
    severity="medium",
    audience="communications",
    reads=(Fact.OWNERSHIP,),
)
def registered(account: AccountView, snapshot: AccountSnapshot, options: CheckOptions) -> Finding:
    """One snapshot cannot say who owns a page: the cycle-level verdict is `ownership_findings`."""
    return Finding(
        "registered",
        Status.UNKNOWN,
        f"{account.account_id}: ownership is compared once per cycle from the district's "
        "business, not from one account's snapshot.",
        {"reason": "cycle-level check"},
    )


def unregistered_id(platform: str, page_id: str) -> str:
    """The pseudo-account that carries the lapse of an owned page missing from the directory."""
    safe = _UNSAFE.sub("-", page_id.lower()).strip("-") or "unnamed"
    return f"{PSEUDO_PREFIX}{platform}-{safe}"[:80]


def ownership_findings(
    registered_pages: Mapping[str, str],
    owned: Mapping[str, str] | None,
    *,
    business_id: str,
    error: str = "",
    open_unregistered: Iterable[str] = (),
    platform: str = "facebook",
) -> dict[str, Finding]:
    """Account id (real or pseudo) -> finding, from page id -> account id and page id -> name.

    `owned` is None when the business's pages could not be listed: every registered page
    is then unknown. `open_unregistered` names pseudo-accounts with an open lapse, so one
    whose page is now registered (or no longer owned) gets a pass that resolves it.
    """
    findings: dict[str, Finding] = {}
    if owned is None:
        reason = error or "the business's pages could not be listed"
        for account_id in registered_pages.values():
            findings[account_id] = Finding(
                "registered",
                Status.UNKNOWN,
                f"{account_id}: ownership cannot be checked ({reason}).",
                {"business_id": business_id, "error": reason},
            )
        for pseudo in open_unregistered:
            findings.setdefault(
                pseudo,
                Finding(
                    "registered",
                    Status.UNKNOWN,
                    f"{pseudo}: ownership cannot be checked ({reason}).",
                    {"business_id": business_id, "error": reason},
                ),
            )
        return findings
    for page_id, account_id in registered_pages.items():
        evidence: dict[str, object] = {"business_id": business_id, "page_id": page_id}
        if page_id in owned:
            findings[account_id] = Finding(
                "registered",
                Status.PASS,
                f"{account_id}: the page is owned by the district's business {business_id}.",
                evidence,
            )
        else:
            findings[account_id] = Finding(
                "registered",
                Status.LAPSE,
                f"{account_id}: the page {page_id} is in the directory but the district's "
                f"business {business_id} no longer owns it.",
                evidence,
            )
    for page_id, name in owned.items():
        if page_id in registered_pages:
            continue
        pseudo = unregistered_id(platform, page_id)
        findings[pseudo] = Finding(
            "registered",
            Status.LAPSE,
            f"{pseudo}: the district's business {business_id} owns the page "
            f"{name or '(no name)'!r} ({page_id}) but it is not in the directory.",
            {"business_id": business_id, "page_id": page_id, "name": name},
        )
    for pseudo in open_unregistered:
        findings.setdefault(
            pseudo,
            Finding(
                "registered",
                Status.PASS,
                f"{pseudo}: the page is now in the directory or no longer owned by the business.",
                {"business_id": business_id},
            ),
        )
    return findings
