"""Every page the district's business owns is in the directory, and every registered page is owned.

A district-scope check: it compares two lists, the directory and the business's owned
Pages, once per cycle, not one account's snapshot. A registered page the business no
longer owns is a finding on that account; an owned page missing from the directory has
no account, so its finding is district-wide, about the page (`Subject.page`).
"""

from __future__ import annotations

from checks.base import LPSD, CheckOptions, Citation, Finding, Status, check
from checks.district import DistrictFinding, DistrictView, OwnershipFacts, Subject
from connectors.base import Fact


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
    scope="district",
)
def registered(district: DistrictView, options: CheckOptions) -> list[DistrictFinding]:
    """The directory against each business's owned pages (none without a business id)."""
    return [
        DistrictFinding(subject, finding)
        for facts in district.ownership
        for subject, finding in sorted(ownership_findings(facts).items())
    ]


def ownership_findings(facts: OwnershipFacts) -> dict[Subject, Finding]:
    """Subject -> finding: each registered page, each owned page missing from the directory.

    `facts.owned` is None when the business's pages could not be listed: every registered
    page is then unknown. `facts.open_unregistered` names pages with an open lapse, so one
    now registered (or no longer owned) gets a pass that resolves it.
    """
    findings: dict[Subject, Finding] = {}
    business_id, platform = facts.business_id, facts.platform
    if facts.owned is None:
        reason = facts.error or "the business's pages could not be listed"
        evidence: dict[str, object] = {"business_id": business_id, "error": reason}
        for account_id in facts.registered_pages.values():
            findings[Subject.account(platform, account_id)] = Finding(
                "registered",
                Status.UNKNOWN,
                f"{account_id}: ownership cannot be checked ({reason}).",
                evidence,
            )
        for page_id in facts.open_unregistered:
            findings.setdefault(
                Subject.page(platform, page_id),
                Finding(
                    "registered",
                    Status.UNKNOWN,
                    f"The page {page_id}: ownership cannot be checked ({reason}).",
                    evidence,
                ),
            )
        return findings
    for page_id, account_id in facts.registered_pages.items():
        evidence = {"business_id": business_id, "page_id": page_id}
        if page_id in facts.owned:
            findings[Subject.account(platform, account_id)] = Finding(
                "registered",
                Status.PASS,
                f"{account_id}: the page is owned by the district's business {business_id}.",
                evidence,
            )
        else:
            findings[Subject.account(platform, account_id)] = Finding(
                "registered",
                Status.LAPSE,
                f"{account_id}: the page {page_id} is in the directory but the district's "
                f"business {business_id} no longer owns it.",
                evidence,
            )
    for page_id, name in facts.owned.items():
        if page_id in facts.registered_pages:
            continue
        findings[Subject.page(platform, page_id)] = Finding(
            "registered",
            Status.LAPSE,
            f"The district's business {business_id} owns the page "
            f"{name or '(no name)'!r} ({page_id}) but it is not in the directory.",
            {"business_id": business_id, "page_id": page_id, "name": name},
        )
    for page_id in facts.open_unregistered:
        findings.setdefault(
            Subject.page(platform, page_id),
            Finding(
                "registered",
                Status.PASS,
                f"The page {page_id} is now in the directory or no longer owned by the business.",
                {"business_id": business_id, "page_id": page_id},
            ),
        )
    return findings
