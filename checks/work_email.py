"""Contact and manager emails are district (work) addresses.

When the platform does not expose the account's contact emails, only the registered
managers can be checked: a personal manager address is still a lapse, but clean managers
give `unknown`, not `pass`, because the contact emails themselves were never seen.
"""

from __future__ import annotations

from checks.base import (
    CMSD82,
    LPSD,
    AccountView,
    CheckOptions,
    Citation,
    Finding,
    Status,
    check,
)
from connectors.base import AccountSnapshot, Fact


def in_district(address: str, domains: tuple[str, ...]) -> bool:
    """True when the address's domain is a district domain or a subdomain of one."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local:
        return False
    domain = domain.casefold().rstrip(".")
    for allowed in domains:
        allowed = allowed.strip().casefold().lstrip("@").rstrip(".")
        if allowed and (domain == allowed or domain.endswith("." + allowed)):
            return True
    return False


@check(
    id="work_email",
    title="Only district email addresses",
    clauses=(Citation(CMSD82, "C.1"), Citation(LPSD, "1.6")),
    remediation=(
        "Replace any personal email on the account (contact email or manager) with a "
        "district work address."
    ),
    severity="medium",
    reads=(Fact.EMAILS,),
)
def work_email(account: AccountView, snapshot: AccountSnapshot, options: CheckOptions) -> Finding:
    """Lapse when a contact or manager email is outside the district's domains."""
    who = account.account_id
    domains = options.email_domains
    if not domains:
        return Finding(
            "work_email",
            Status.UNKNOWN,
            f"{who}: no district email domains are configured to compare against.",
            {},
        )
    contacts_seen = snapshot.exposes(Fact.EMAILS)
    contacts = snapshot.emails if contacts_seen else ()
    outside_contacts = [e for e in contacts if not in_district(e, domains)]
    outside_managers = [e for e in account.managers if not in_district(e, domains)]
    evidence: dict[str, object] = {
        "domains": list(domains),
        "contact_emails": len(contacts),
        "managers": len(account.managers),
        "outside": outside_contacts + outside_managers,
    }
    if outside_contacts or outside_managers:
        parts = []
        if outside_contacts:
            parts.append("contact " + ", ".join(outside_contacts))
        if outside_managers:
            parts.append("manager " + ", ".join(outside_managers))
        return Finding(
            "work_email",
            Status.LAPSE,
            f"{who}: {' and '.join(parts)} outside the district's email domains.",
            evidence,
        )
    if not contacts_seen:
        reason = snapshot.unexposed.get(Fact.EMAILS, "not exposed by the platform")
        evidence["reason"] = reason
        return Finding(
            "work_email",
            Status.UNKNOWN,
            f"{who}: the managers use district emails, but the contact emails cannot be read "
            f"({reason}).",
            evidence,
        )
    return Finding(
        "work_email",
        Status.PASS,
        f"{who}: all {len(contacts)} contact and {len(account.managers)} manager emails are "
        "district addresses.",
        evidence,
    )
