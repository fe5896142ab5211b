"""The account has at least two administrators."""

from __future__ import annotations

from checks.base import CRPS, AccountView, CheckOptions, Citation, Finding, Status, check, unexposed
from connectors.base import AccountSnapshot, Admin, Fact


def _identity(admin: Admin) -> str:
    """A key that counts one person once even when a platform lists them twice."""
    return admin.user_id or admin.email.casefold() or admin.name.casefold()


@check(
    id="two_admins",
    title="At least two admins",
    clauses=(Citation(CRPS, "3.d"), Citation(CRPS, "4.b")),
    remediation="Add a second staff admin (for example the principal) to the account.",
    severity="medium",
    reads=(Fact.ADMINS,),
)
def two_admins(account: AccountView, snapshot: AccountSnapshot, options: CheckOptions) -> Finding:
    """Lapse when the account has fewer admins than `options.min_admins`."""
    who = account.account_id
    if not snapshot.exposes(Fact.ADMINS):
        return unexposed("two_admins", account, snapshot, Fact.ADMINS)
    people = {_identity(admin) for admin in snapshot.admins}
    people.discard("")
    count = len(people)
    evidence: dict[str, object] = {"admins": count, "min_admins": options.min_admins}
    noun = "admin" if count == 1 else "admins"
    if count < options.min_admins:
        return Finding(
            "two_admins",
            Status.LAPSE,
            f"{who}: the account has {count} {noun}, fewer than the {options.min_admins} required.",
            evidence,
        )
    return Finding(
        "two_admins",
        Status.PASS,
        f"{who}: the account has {count} {noun}.",
        evidence,
    )
